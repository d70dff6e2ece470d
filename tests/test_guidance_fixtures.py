"""Issue 4's acceptance table: profiles written as fixtures, each with the statements its guidance must
contain and the ones it must never contain.

One row per profile: the facts (OncoTree code, stage, T N M, primary site, biomarkers, treatments), the
rule ids expected and forbidden, and phrases expected and forbidden in the text. Together the rows cover
every cancer of the knowledge base and one served only by the general layer, every stage group with its
subgroups and an unknown stage, positive, negative, pending and missing biomarkers, treated and
untreated; `test_the_table_covers_issue_4` checks that this stays true as rows change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from test_knowledge import known, marker, primary_site, profile, treatment

from knowledge.engine import build_guidance
from knowledge.rules import load_kb
from oncoguide.domain import FindingKind, Guidance, PatientProfile

# Every rule that names a treatment for a biomarker-defined group: none may fire unless the row's
# biomarker is positive; each row's `expect` lists the ones that must fire for it.
TARGETED = frozenset(
    {
        "treatment_approaches.nsclc.egfr",
        "treatment_approaches.nsclc.egfr_exon20",
        "treatment_approaches.nsclc.alk",
        "treatment_approaches.nsclc.ros1",
        "treatment_approaches.nsclc.ret",
        "treatment_approaches.nsclc.met_exon14",
        "treatment_approaches.nsclc.kras_g12c",
        "treatment_approaches.nsclc.braf_v600e",
        "treatment_approaches.nsclc.her2_mutation",
        "treatment_approaches.nsclc.pdl1_high",
        "treatment_approaches.nrg1",
        "treatment_approaches.ntrk_any",
        "treatment_approaches.msi_high_any",
        "treatment_approaches.breast.hr_positive_her2_negative",
        "treatment_approaches.breast.her2_positive",
        "treatment_approaches.breast.her2_low",
        "treatment_approaches.breast.her2_ultralow",
        "treatment_approaches.breast.pik3ca_akt1_pten",
        "treatment_approaches.breast.esr1",
        "treatment_approaches.breast.germline_brca",
        "treatment_approaches.breast.tnbc_pdl1",
        "treatment_approaches.colorectal.ras_wild_type",
        "treatment_approaches.colorectal.braf_v600e",
        "treatment_approaches.colorectal.kras_g12c",
        "treatment_approaches.colorectal.her2",
        "treatment_approaches.colorectal.msi_high",
        "treatment_approaches.prostate.hrr",
        "treatment_approaches.prostate.psma",
        "treatment_approaches.melanoma.braf_v600",
    }
)
ALWAYS_FORBIDDEN = (
    re.compile(r"\byou should take\b", re.I),
    re.compile(r"\blife expectancy\b", re.I),
    re.compile(r"(%|percent)\s*(\w+\s+){0,2}surviv", re.I),
    re.compile(r"\byou (must|need to) (take|start|get)\b", re.I),
)


@dataclass(frozen=True)
class Case:
    """One fixture profile and what its guidance must and must not say."""

    id: str
    cancer: str  # the KB's cancer group the row stands for (see COVERAGE)
    code: str | None  # OncoTree code; None: the records do not name the cancer type
    stage: str | None
    tnm: tuple[str, str, str] | None = None
    site: str | None = None  # the primary site in the records' words
    grade: str | None = None  # the grade as the records give it (G2)
    biomarkers: tuple[tuple, ...] = ()  # (marker, result, {details})
    treatments: tuple[tuple[str, str, str], ...] = ()  # (agent, drug class, status)
    expect: frozenset[str] = frozenset()
    forbid: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()
    forbid_phrases: tuple[str, ...] = ()
    missing_biomarkers: bool = field(default=False)  # a biomarker the KB asks for has no result

    def build(self) -> PatientProfile:
        organ = None  # always found from the OncoTree lineage, as for a record that names no organ
        extra = {"primary_site": primary_site(self.site)} if self.site else {}
        if self.grade:
            extra["grade"] = known(FindingKind.GRADE, self.grade)
        return profile(
            self.code,
            organ,
            self.stage,
            self.tnm,
            biomarkers=[
                marker(name, result, **(details[0] if details else {}))
                for name, result, *details in self.biomarkers
            ],
            treatments=[treatment(*t) for t in self.treatments],
            **extra,
        )


def ids(*names: str) -> frozenset[str]:
    return frozenset(names)


CURE, CONTROL, UNKNOWN_GOAL = "goals.cure", "goals.control", "goals.stage_unknown"
# What each stage group means (stage.group_*), and a subgroup named as a more exact part of its main
# group (stage.subgroup_*): IIIA gets both, III only the first.
STAGE_0, STAGE_I, STAGE_II, STAGE_III, STAGE_IV = (f"stage.group_{g}" for g in ("0", "i", "ii", "iii", "iv"))
SUB_0, SUB_I, SUB_II, SUB_III, SUB_IV = (f"stage.subgroup_{g}" for g in ("0", "i", "ii", "iii", "iv"))
STAGE_RULES = ids(STAGE_0, STAGE_I, STAGE_II, STAGE_III, STAGE_IV, SUB_0, SUB_I, SUB_II, SUB_III, SUB_IV)
GRADE = "tumor_grade.versus_stage"
SPREAD = {c: f"where_it_spreads.{c}" for c in ("breast", "lung", "colorectal", "prostate", "melanoma")}
ALL_SPREAD = frozenset(SPREAD.values())
SACITUZUMAB = "treatment_approaches.breast.tnbc_sacituzumab"
TNBC_PDL1 = "treatment_approaches.breast.tnbc_pdl1"
MELANOMA_IO = "treatment_approaches.melanoma.immunotherapy"
ABOUT_SQUAMOUS, ABOUT_RECTAL = "about.lung.squamous", "about.rectal"

CASES: tuple[Case, ...] = (
    # --- breast -----------------------------------------------------------------------------------
    Case(
        "breast_dcis_stage_0",
        "breast_hr_positive",
        "DCIS",
        "0",
        ("Tis", "N0", "M0"),
        biomarkers=(("ER", "positive", {"value": 90.0, "unit": "%"}),),
        expect=ids(STAGE_0, CURE, "treatment_history.none"),
        forbid=ids(CONTROL, STAGE_IV, SUB_0, "about.spread_keeps_name", "about.breast.invasive", SACITUZUMAB)
        | TARGETED
        | ALL_SPREAD,
        phrases=(
            "Stage 0 means abnormal cells are found only in the place where they first formed.",
            "in situ",
        ),
    ),
    Case(
        "breast_hr_positive_ia_node_negative",
        "breast_hr_positive",
        "IDC",
        "IA",
        ("T1c", "N0", "M0"),
        biomarkers=(("ER", "positive"), ("PR", "positive"), ("HER2", "negative", {"score": "0"})),
        treatments=(("lumpectomy", "other", "received"),),
        expect=ids(
            "treatment_approaches.breast.hr_positive_her2_negative",
            "questions.testing.breast_recurrence_score",
            STAGE_I,
            SUB_I,
            SPREAD["breast"],
            CURE,
            "treatment_history.each",
        ),
        forbid=TARGETED - ids("treatment_approaches.breast.hr_positive_her2_negative")
        | ids(CONTROL, "biomarkers.her2_low", "missing.tests.breast", GRADE, SACITUZUMAB),
        phrases=("lumpectomy as received", "Stage IA is a more exact part of stage I."),
    ),
    Case(
        "breast_hr_positive_iiia_node_positive",
        "breast_hr_positive",
        "ILC",
        "IIIA",
        ("T2", "N2a", "M0"),
        grade="G2",
        biomarkers=(("ER", "positive"), ("PR", "negative"), ("HER2", "negative", {"score": "1+"})),
        treatments=(("letrozole", "hormone", "ongoing"),),
        expect=ids(
            "treatment_approaches.breast.hr_positive_her2_negative",
            "biomarkers.her2_low",
            STAGE_III,
            SUB_III,
            GRADE,
            CURE,
        ),
        forbid=ids(
            SACITUZUMAB,
            "questions.testing.breast_recurrence_score",
            "treatment_approaches.breast.her2_low",  # HER2-low drugs are for cancer that has spread
            "biomarkers.triple_negative",
            CONTROL,
        ),
    ),
    Case(
        "breast_her2_positive_iib_treated",
        "breast_her2_positive",
        "IDC",
        "IIB",
        biomarkers=(("ER", "negative"), ("PR", "negative"), ("ERBB2", "positive", {"score": "3+"})),
        treatments=(("trastuzumab", "targeted", "ongoing"), ("paclitaxel", "chemotherapy", "received")),
        expect=ids("treatment_approaches.breast.her2_positive", "biomarkers.her2", CURE),
        forbid=ids(
            "treatment_approaches.breast.hr_positive_her2_negative",
            "treatment_approaches.breast.her2_low",
            "biomarkers.triple_negative",
            "biomarkers.her2_low",
        ),
    ),
    Case(
        "breast_her2_low_iv",
        "breast_her2_low",
        "IDC",
        "IV",
        biomarkers=(("ER", "positive"), ("PR", "positive"), ("HER2", "negative", {"score": "2+"})),
        treatments=(("letrozole", "hormone", "stopped"),),
        expect=ids(
            "treatment_approaches.breast.her2_low",
            "treatment_approaches.breast.hr_positive_her2_negative",
            STAGE_IV,
            CONTROL,
            "about.spread_keeps_name",
        ),
        forbid=ids(
            "treatment_approaches.breast.her2_positive",
            "treatment_approaches.breast.her2_ultralow",
            "treatment_approaches.breast.germline_brca",
            "questions.testing.breast_recurrence_score",
            SACITUZUMAB,  # hormone receptor positive: not triple-negative
            SUB_IV,
            CURE,
        ),
        missing_biomarkers=True,
        phrases=(
            "breast cancer that has spread to other places is still breast cancer",
            "Stage IV and metastatic mean the same thing.",
        ),
    ),
    Case(
        "breast_triple_negative_iia_untreated",
        "breast_triple_negative",
        "IDC",
        "IIA",
        ("T2", "N0", "M0"),
        biomarkers=(("ER", "negative"), ("PR", "negative"), ("HER2", "negative", {"score": "0"})),
        expect=ids("biomarkers.triple_negative", CURE, "treatment_history.none", STAGE_II, SUB_II),
        forbid=TARGETED
        | ids("questions.testing.breast_recurrence_score", "biomarkers.her2_low", SACITUZUMAB),
        phrases=("triple-negative",),
    ),
    Case(
        "breast_triple_negative_iv_pdl1_cps_high_treated",
        "breast_triple_negative",
        "IDC",
        "IV",
        biomarkers=(
            ("ER", "negative"),
            ("PR", "negative"),
            ("HER2", "negative", {"score": "0"}),
            ("PD-L1", "positive", {"value": 15.0, "unit": "CPS"}),
        ),
        treatments=(("paclitaxel", "chemotherapy", "received"),),
        expect=ids(SACITUZUMAB, TNBC_PDL1, "biomarkers.triple_negative", STAGE_IV, SPREAD["breast"], CONTROL),
        forbid=TARGETED - ids(TNBC_PDL1) | ids(SUB_IV, CURE),
        phrases=("sacituzumab govitecan", "pembrolizumab, given with chemotherapy", "(CPS) of 10 or more"),
    ),
    Case(
        "breast_triple_negative_ivb_pdl1_cps_low",
        "breast_triple_negative",
        "IDC",
        "IVB",
        biomarkers=(
            ("ER", "negative"),
            ("PR", "negative"),
            ("HER2", "negative", {"score": "1+"}),
            ("PD-L1", "positive", {"value": 5.0, "unit": "CPS"}),
        ),
        # HER2 1+ is HER2-low, whose drug is approved for triple-negative cancer too; CPS below 10 gets
        # no pembrolizumab statement.
        expect=ids(
            SACITUZUMAB, "treatment_approaches.breast.her2_low", STAGE_IV, SUB_IV, "treatment_history.none"
        ),
        forbid=TARGETED - ids("treatment_approaches.breast.her2_low") | ids(CURE),
        phrases=("Stage IVB is a more exact part of stage IV.",),
        forbid_phrases=("pembrolizumab",),
    ),
    Case(
        "breast_receptors_missing_iib",
        "breast_hr_positive",
        "IDC",
        "IIB",
        expect=ids("missing.tests.breast", "questions.testing.breast", CURE),
        forbid=TARGETED | ids("biomarkers.triple_negative", "biomarkers.about"),
        phrases=(
            "Has my tumor been tested for estrogen receptor (ER), progesterone receptor (PR) and HER2?",
        ),
        missing_biomarkers=True,
    ),
    # --- non-small cell lung --------------------------------------------------------------------------
    Case(
        "nsclc_adeno_ivb_egfr_l858r_treated",
        "nsclc_adenocarcinoma",
        "LUAD",
        "IVB",
        ("T2a", "N2", "M1c"),
        biomarkers=(("EGFR", "positive", {"alteration": "p.L858R"}), ("ALK", "negative")),
        treatments=(("osimertinib", "targeted", "ongoing"),),
        expect=ids(
            "treatment_approaches.nsclc.egfr",
            "missing.tests.nsclc",
            STAGE_IV,
            SUB_IV,
            SPREAD["lung"],
            CONTROL,
        ),
        forbid=TARGETED - ids("treatment_approaches.nsclc.egfr") | ids(CURE, ABOUT_SQUAMOUS),
        missing_biomarkers=True,
    ),
    Case(
        "nsclc_adeno_iva_untested_untreated",
        "nsclc_adenocarcinoma",
        "LUAD",
        "IVA",
        expect=ids("missing.tests.nsclc", "questions.testing.nsclc", "treatment_history.none", CONTROL),
        forbid=TARGETED | ids("biomarkers.about", "trials.biomarker"),
        phrases=("Has my tumor been tested for EGFR, ALK, ROS1", "NRG1 and PD-L1?", "the NRG1 test"),
        missing_biomarkers=True,
    ),
    Case(
        "nsclc_adeno_iiib_pending",
        "nsclc_adenocarcinoma",
        "LUAD",
        "IIIB",
        biomarkers=(("EGFR", "pending"), ("PD-L1", "pending")),
        expect=ids("questions.biomarker_pending", STAGE_III, CURE),
        forbid=TARGETED | ids("missing.tests.nsclc", CONTROL),
        phrases=("My EGFR result was still pending",),
    ),
    Case(
        "nsclc_adeno_iva_nrg1",
        "nsclc_adenocarcinoma",
        "LUAD",
        "IVA",
        biomarkers=(
            ("NRG1", "positive", {"alteration": "CD74-NRG1 fusion"}),
            ("EGFR", "negative"),
            ("KRAS", "negative"),
        ),
        treatments=(("carboplatin", "chemotherapy", "received"), ("pemetrexed", "chemotherapy", "received")),
        expect=ids("treatment_approaches.nrg1", "biomarkers.alk_ros1_ret_ntrk", "questions.targeted_option"),
        forbid=TARGETED - ids("treatment_approaches.nrg1"),
        phrases=("zenocutuzumab",),
        forbid_phrases=("the NRG1 test",),
    ),
    Case(
        "nsclc_squamous_ib_untreated",
        "nsclc_squamous",
        "LUSC",
        "IB",
        ("T2a", "N0", "M0"),
        expect=ids(
            "about.lung.nsclc", ABOUT_SQUAMOUS, SPREAD["lung"], STAGE_I, SUB_I, CURE, "treatment_history.none"
        ),
        forbid=TARGETED | ids("missing.tests.nsclc", "questions.testing.nsclc", STAGE_IV, MELANOMA_IO),
        phrases=("squamous cell lung cancer",),
    ),
    Case(
        "nsclc_squamous_ivb_pdl1_high",
        "nsclc_squamous",
        "LUSC",
        "IVB",
        biomarkers=(("PD-L1", "positive", {"value": 80.0, "unit": "TPS"}),),
        treatments=(("pembrolizumab", "immunotherapy", "ongoing"),),
        expect=ids(
            "treatment_approaches.nsclc.pdl1_high",
            "questions.after_immunotherapy",
            ABOUT_SQUAMOUS,
            SUB_IV,
            CONTROL,
        ),
        forbid=TARGETED - ids("treatment_approaches.nsclc.pdl1_high") | ids("missing.tests.nsclc"),
        phrases=("80 percent of tumor cells",),
    ),
    # --- small cell lung ------------------------------------------------------------------------------
    Case(
        "sclc_ivb_treated",
        "sclc",
        "SCLC",
        "IVB",
        treatments=(
            ("carboplatin", "chemotherapy", "received"),
            ("etoposide", "chemotherapy", "received"),
            ("atezolizumab", "immunotherapy", "ongoing"),
        ),
        expect=ids("treatment_approaches.sclc.extensive", "about.lung.sclc", "questions.after_immunotherapy"),
        forbid=TARGETED | ids("about.lung.nsclc", ABOUT_SQUAMOUS, "missing.tests.nsclc", CURE),
    ),
    Case(
        "sclc_stage_unknown",
        "sclc",
        "SCLC",
        None,
        expect=ids(
            "missing.stage", "questions.stage_unknown", UNKNOWN_GOAL, "about.lung.sclc", SPREAD["lung"]
        ),
        forbid=TARGETED | STAGE_RULES | ids("treatment_approaches.sclc.extensive", GRADE, CURE, CONTROL),
        forbid_phrases=("stage I", "stage II", "stage IV", "Your records give stage"),
    ),
    # --- prostate -------------------------------------------------------------------------------------
    Case(
        "prostate_ivb_brca2_treated",
        "prostate",
        "PRAD",
        "IVB",
        biomarkers=(("BRCA2", "positive", {"alteration": "p.E1493fs"}),),
        treatments=(("enzalutamide", "hormone", "ongoing"),),
        expect=ids(
            "treatment_approaches.prostate.hrr",
            "biomarkers.brca",
            "missing.tests.prostate",
            SPREAD["prostate"],
            CONTROL,
        ),
        forbid=TARGETED - ids("treatment_approaches.prostate.hrr"),
        missing_biomarkers=True,
    ),
    Case(
        "prostate_iib_untreated",
        "prostate",
        "PRAD",
        "IIB",
        expect=ids("about.prostate", STAGE_II, SUB_II, SPREAD["prostate"], CURE, "treatment_history.none"),
        forbid=TARGETED | ids("missing.tests.prostate", "questions.testing.prostate", CONTROL),
    ),
    # --- colon ---------------------------------------------------------------------------------------
    Case(
        "colon_stage_0",
        "colon",
        "COAD",
        "0",
        ("Tis", "N0", "M0"),
        site="sigmoid colon",
        expect=ids(STAGE_0, SPREAD["colorectal"], CURE, "missing.tests.colorectal_mmr"),
        forbid=TARGETED | ids("missing.tests.colorectal", CONTROL, SUB_0, ABOUT_RECTAL),
        missing_biomarkers=True,
    ),
    Case(
        "colon_iia_no_mmr_result",
        "colon",
        "COAD",
        "IIA",
        ("T3", "N0", "M0"),
        site="ascending colon",
        grade="G3",
        treatments=(("right hemicolectomy", "other", "received"),),
        expect=ids("missing.tests.colorectal_mmr", "questions.testing.colorectal_mmr", GRADE, CURE),
        forbid=TARGETED | ids("missing.tests.colorectal", "questions.colorectal.sidedness", ABOUT_RECTAL),
        phrases=("We did not find a result for the MSI or MMR test",),
        missing_biomarkers=True,
    ),
    Case(
        "colon_ivb_left_wild_type_treated",
        "colon",
        "COAD",
        "IVB",
        site="Sigmoid colon",
        biomarkers=(
            ("KRAS", "negative"),
            ("NRAS", "negative"),
            ("BRAF", "negative"),
            ("MSI", "negative", {"score": "MSS"}),
            ("HER2", "negative"),
        ),
        treatments=(
            ("oxaliplatin", "chemotherapy", "received"),
            ("fluorouracil", "chemotherapy", "received"),
        ),
        expect=ids("treatment_approaches.colorectal.ras_wild_type", "glossary.wild_type", CONTROL),
        forbid=TARGETED - ids("treatment_approaches.colorectal.ras_wild_type")
        | ids("questions.colorectal.sidedness", "missing.tests.colorectal"),
        phrases=("panitumumab or cetuximab", "left side of the colon"),
    ),
    Case(
        "colon_iva_right_wild_type",
        "colon",
        "COAD",
        "IVA",
        site="cecum",
        biomarkers=(("KRAS", "negative"), ("NRAS", "negative"), ("BRAF", "negative")),
        expect=ids("questions.colorectal.sidedness", "missing.tests.colorectal", CONTROL),
        forbid=TARGETED,
        phrases=("Did it start on the left or the right side of the colon?",),
        forbid_phrases=("panitumumab", "cetuximab"),
        missing_biomarkers=True,
    ),
    # --- rectal --------------------------------------------------------------------------------------
    Case(
        "rectal_iva_msi_high",
        "rectal",
        "READ",
        "IVA",
        biomarkers=(("MSI", "positive", {"score": "MSI-H"}),),
        expect=ids(
            "treatment_approaches.colorectal.msi_high",
            "missing.tests.colorectal",
            "about.colorectal",
            ABOUT_RECTAL,
            SPREAD["colorectal"],
            CONTROL,
        ),
        forbid=TARGETED - ids("treatment_approaches.colorectal.msi_high")
        | ids("treatment_approaches.msi_high_any"),
        missing_biomarkers=True,
    ),
    Case(
        "rectal_ivb_wild_type_no_site",
        "rectal",
        "READ",
        "IVB",
        biomarkers=(("KRAS", "negative"), ("NRAS", "negative"), ("BRAF", "negative"), ("MSI", "negative")),
        expect=ids("treatment_approaches.colorectal.ras_wild_type"),  # rectal cancer is left-sided
        forbid=ids("questions.colorectal.sidedness"),
    ),
    Case(
        "rectal_iiib_wild_type_treated",
        "rectal",
        "READ",
        "IIIB",
        ("T3", "N1a", "M0"),
        biomarkers=(("KRAS", "negative"), ("NRAS", "negative"), ("BRAF", "negative"), ("MMR", "negative")),
        treatments=(("capecitabine", "chemotherapy", "received"),),
        expect=ids(STAGE_III, SUB_III, ABOUT_RECTAL, CURE),
        forbid=TARGETED
        | ids("questions.colorectal.sidedness", "missing.tests.colorectal_mmr", CONTROL, GRADE),
        phrases=("started in the rectum",),
    ),
    # --- melanoma ------------------------------------------------------------------------------------
    Case(
        "melanoma_iiic_braf_v600e",
        "melanoma",
        "SKCM",
        "IIIC",
        biomarkers=(("BRAF", "positive", {"alteration": "p.V600E"}),),
        expect=ids(
            "treatment_approaches.melanoma.braf_v600",
            MELANOMA_IO,
            "about.melanoma",
            SPREAD["melanoma"],
            SUB_III,
            CURE,
        ),
        forbid=TARGETED - ids("treatment_approaches.melanoma.braf_v600") | ids("missing.tests.melanoma"),
    ),
    Case(
        "melanoma_iv_braf_negative_treated",
        "melanoma",
        "SKCM",
        "IV",
        biomarkers=(("BRAF", "negative"),),
        treatments=(("nivolumab", "immunotherapy", "ongoing"), ("ipilimumab", "immunotherapy", "stopped")),
        expect=ids(
            "questions.negative_driver", "questions.after_immunotherapy", MELANOMA_IO, STAGE_IV, CONTROL
        ),
        forbid=TARGETED | ids("missing.tests.melanoma", SUB_IV),
        phrases=("My BRAF test was negative.", "approved with or without a BRAF change"),
    ),
    Case(
        "melanoma_ib_untreated",
        "melanoma",
        "SKCM",
        "IB",
        expect=ids("about.melanoma", STAGE_I, SUB_I, SPREAD["melanoma"], CURE, "treatment_history.none"),
        forbid=TARGETED | ids("missing.tests.melanoma", "questions.testing.melanoma", MELANOMA_IO),
    ),
    # --- other cancers: served by the general layer --------------------------------------------------
    Case(
        "pancreas_iib_untreated",
        "other",
        "PAAD",
        "IIB",
        expect=ids(
            "about.cancer_type",
            "treatment_approaches.about",
            STAGE_II,
            SUB_II,
            CURE,
            "treatment_history.none",
        ),
        forbid=TARGETED
        | ALL_SPREAD
        | ids(
            "about.lung.nsclc", "about.colorectal", "about.breast.invasive", MELANOMA_IO, SACITUZUMAB, CONTROL
        ),
        phrases=("pancreatic adenocarcinoma",),
    ),
    Case(
        "pancreas_iv_nrg1_negative",
        "other",
        "PAAD",
        "IV",
        biomarkers=(("NRG1", "negative"),),
        expect=ids("questions.negative_driver", "about.spread_keeps_name", CONTROL),
        forbid=TARGETED,
        phrases=("pancreas cancer that has spread to other places is still pancreas cancer",),
    ),
    Case(
        "bladder_0a_treated",
        "other",
        "BLCA",
        "0a",
        ("Ta", "N0", "M0"),
        grade="high grade",
        treatments=(("transurethral resection of bladder tumor", "other", "received"),),
        expect=ids(STAGE_0, SUB_0, GRADE, CURE, "treatment_history.each"),
        forbid=TARGETED | ALL_SPREAD | ids(CONTROL, STAGE_I, "about.spread_keeps_name"),
        phrases=("Stage 0a is a more exact part of stage 0.", "Grade and stage are not the same."),
    ),
    Case(
        "kidney_iv_treated",
        "other",
        "CCRCC",
        "IV",
        ("T3a", "N1", "M1"),
        treatments=(("pembrolizumab", "immunotherapy", "ongoing"), ("axitinib", "targeted", "ongoing")),
        expect=ids("about.spread_keeps_name", "questions.after_immunotherapy", STAGE_IV, CONTROL),
        forbid=TARGETED | ALL_SPREAD | ids("about.lung.nsclc", "stage.system.figo", SUB_IV),
        phrases=("kidney cancer that has spread",),
        forbid_phrases=("lung cancer",),
    ),
    Case(
        "lymphoma_no_tnm_stage",
        "other",
        "DLBCLNOS",
        None,
        expect=ids("stage.system.blood", "missing.stage", UNKNOWN_GOAL),
        forbid=TARGETED | STAGE_RULES | ids("stage.system.cns", "stage.system.figo", CURE, CONTROL),
    ),
    Case(
        "ovarian_iiic_figo",
        "other",
        "HGSOC",
        "IIIC",
        treatments=(("carboplatin", "chemotherapy", "received"),),
        expect=ids("stage.system.figo", STAGE_III, SUB_III, CURE),
        forbid=TARGETED | ids("stage.system.blood", "missing.stage"),
        phrases=("FIGO",),
    ),
    Case(
        "glioblastoma_no_stage",
        "other",
        "GB",
        None,
        expect=ids("stage.system.cns", "missing.stage"),
        forbid=TARGETED | ids("stage.system.blood", "stage.system.figo", CURE),
    ),
    Case(
        "cancer_type_and_stage_unknown",
        "unknown",
        None,
        None,
        expect=ids(
            "missing.cancer_type",
            "missing.stage",
            "about.cancer_type_unknown",
            "questions.cancer_type_unknown",
            "questions.stage_unknown",
            UNKNOWN_GOAL,
        ),
        forbid=TARGETED | ids("about.cancer_type", "treatment_approaches.about", CURE, CONTROL),
        phrases=("pathology report",),
    ),
)


def fired(guidance: Guidance) -> set[str]:
    return {s.rule_id for section in guidance.sections for s in section.statements}


def texts(guidance: Guidance) -> list[str]:
    return [guidance.disclaimer, *(s.text for section in guidance.sections for s in section.statements)]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_guidance_says_what_is_expected_and_nothing_forbidden(case: Case) -> None:
    guidance = build_guidance(case.build())
    rules = fired(guidance)
    assert not case.expect & case.forbid, "a row may not both expect and forbid a rule"
    assert case.expect <= rules, f"missing: {sorted(case.expect - rules)}"
    assert not case.forbid & rules, f"forbidden: {sorted(case.forbid & rules)}"
    text = " ".join(texts(guidance))
    for phrase in case.phrases:
        assert phrase in text, phrase
    for phrase in case.forbid_phrases:
        assert not re.search(rf"{re.escape(phrase)}\b", text), phrase
    for pattern in ALWAYS_FORBIDDEN:
        assert not pattern.search(text), pattern.pattern


def _positive_markers(case: Case) -> set[str]:
    return {name for name, result, *_ in case.biomarkers if result == "positive"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_a_targeted_statement_needs_a_positive_biomarker(case: Case) -> None:
    # The one exception is RAS wild-type colorectal cancer: three negative results, named in the rule.
    targeted = fired(build_guidance(case.build())) & TARGETED - {
        "treatment_approaches.colorectal.ras_wild_type"
    }
    assert not targeted or _positive_markers(case), sorted(targeted)


STAGE_GROUPS = ("0", "I", "II", "III", "IV")
COVERAGE = {
    "breast_hr_positive",
    "breast_her2_positive",
    "breast_her2_low",
    "breast_triple_negative",
    "nsclc_adenocarcinoma",
    "nsclc_squamous",
    "sclc",
    "prostate",
    "colon",
    "rectal",
    "melanoma",
    "other",
}


def test_the_table_covers_issue_4() -> None:
    assert len(CASES) >= 20
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.cancer for case in CASES} >= COVERAGE
    stages = {case.stage for case in CASES}
    for group in STAGE_GROUPS:
        assert any(s and re.match(rf"^{group}(?![IV])", s) for s in stages), group
    assert None in stages, "an unknown stage"
    assert {"IVA", "IVB"} <= stages and any(
        s and s[-1] in "ABC" and s[:-1] in ("I", "II", "III") for s in stages
    )
    results = {result for case in CASES for _, result, *_ in case.biomarkers}
    assert {"positive", "negative", "pending"} <= results
    assert any(case.missing_biomarkers for case in CASES) and any(not case.biomarkers for case in CASES)
    assert any(case.treatments for case in CASES) and any(not case.treatments for case in CASES)
    # treated rows span several cancers, not one
    assert {case.cancer for case in CASES if case.treatments} >= {
        "breast_her2_positive",
        "sclc",
        "colon",
        "other",
    }


_MAIN_GROUP = re.compile(r"^(0|IV|III|II|I)")
_GROUP_IDS = {"0": "0", "I": "i", "II": "ii", "III": "iii", "IV": "iv"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_row_explains_its_stage_group_and_grade(case: Case) -> None:
    """A stated group gets what it means; a subgroup (IIIA, IVB) is also named as part of its group; a
    grade gets "grade versus stage"; an unknown stage gets none of these."""
    rules = fired(build_guidance(case.build()))
    expected: set[str] = set()
    if case.stage:
        main = _MAIN_GROUP.match(case.stage).group(1)
        expected.add(f"stage.group_{_GROUP_IDS[main]}")
        if case.stage != main:
            expected.add(f"stage.subgroup_{_GROUP_IDS[main]}")
    assert rules & STAGE_RULES == expected
    assert (GRADE in rules) is (case.grade is not None)


# The rules that closed issue 4's last content gaps: each must fire for some row and be forbidden for
# another, so that the table checks both that it appears and that it stays away where it must.
GAP_RULES = (
    STAGE_RULES | ALL_SPREAD | ids(GRADE, SACITUZUMAB, TNBC_PDL1, MELANOMA_IO, ABOUT_SQUAMOUS, ABOUT_RECTAL)
)


@pytest.mark.parametrize("rule_id", sorted(GAP_RULES))
def test_the_table_expects_and_forbids_each_gap_rule(rule_id: str) -> None:
    assert rule_id in {rule.id for rule in load_kb().rules}
    assert any(rule_id in case.expect for case in CASES), f"no row expects {rule_id}"
    assert any(rule_id in case.forbid for case in CASES), f"no row forbids {rule_id}"
