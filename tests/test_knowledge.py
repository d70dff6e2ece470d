"""The knowledge base and the rules engine: every rule fires when met and only then, the safety
principles hold, the output is deterministic, and the KB checker catches each class of problem."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.engine import build_guidance, explain
from knowledge.lint import MAX_GRADE, check_kb, statement_grades
from knowledge.rules import KB_DIR, load_kb
from oncoguide.domain import (
    Assertion,
    Basis,
    Biomarker,
    BiomarkerResult,
    Evidence,
    FieldStatus,
    Finding,
    FindingKind,
    Guidance,
    PatientProfile,
    ProfileField,
    SectionId,
    Treatment,
)

# --- hand-built profiles ---------------------------------------------------------------------


def evidence(quote: str, page: int = 1) -> list[Evidence]:
    return [Evidence(document_id="doc-1", page=page, start=0, end=len(quote), quote=quote)]


def known(
    kind: FindingKind, value: str, display: str | None = None, prefix: str | None = None
) -> ProfileField:
    chosen = Finding(
        kind=kind, value=value, display=display or value, prefix=prefix, evidence=evidence(value)
    )
    return ProfileField(status=FieldStatus.KNOWN, value=value, display=display or value, chosen=chosen)


def marker(name: str, result: str, **details: object) -> Finding:
    quote = f"{name} {details.get('alteration') or ''} {result}".replace("  ", " ")
    return Finding(
        kind=FindingKind.BIOMARKER,
        value=name,
        display=name,
        biomarker=Biomarker(marker=name, result=result, **details),
        evidence=evidence(quote, page=2),
    )


def treatment(agent: str, drug_class: str, status: str = "received") -> Finding:
    return Finding(
        kind=FindingKind.TREATMENT,
        value=agent,
        display=agent,
        treatment=Treatment(agent=agent, modality="systemic", drug_class=drug_class, status=status),
        evidence=evidence(f"{agent} {status}", page=3),
    )


def primary_site(quote: str, value: str = "colon") -> ProfileField:
    """A primary site as the extractors give it: the lexicon's key, and the record's words as evidence."""
    chosen = Finding(
        kind=FindingKind.PRIMARY_SITE, value=value, display=value.capitalize(), evidence=evidence(quote)
    )
    return ProfileField(status=FieldStatus.KNOWN, value=value, display=chosen.display, chosen=chosen)


def profile(
    code: str | None, organ: str | None, stage: str | None, tnm: tuple[str, str, str] | None = None, **lists
) -> PatientProfile:
    fields: dict[str, ProfileField] = {}
    if code:
        fields["cancer_type"] = known(FindingKind.CANCER_TYPE, code, display=code)
    if organ:
        fields["organ"] = known(FindingKind.CANCER_TYPE, organ)
    if stage:
        fields["stage_group"] = known(FindingKind.STAGE_GROUP, stage)
    if tnm:
        for name, value in zip(("t", "n", "m"), tnm, strict=True):
            fields[name] = known(FindingKind(name), value, prefix="p")
    return PatientProfile(**fields, **lists)


def lung() -> PatientProfile:
    """Lung adenocarcinoma IVB, KRAS G12C positive, PD-L1 TPS 60%, EGFR negative, after chemo-IO."""
    return profile(
        "LUAD",
        "LUNG",
        "IVB",
        ("T2a", "N2", "M1c"),
        biomarkers=[
            marker("KRAS", "positive", alteration="p.G12C"),
            marker("PD-L1", "positive", value=60.0, unit="TPS"),
            marker("EGFR", "negative"),
        ],
        treatments=[treatment("carboplatin", "chemotherapy"), treatment("pembrolizumab", "immunotherapy")],
    )


def lung_egfr_alk() -> PatientProfile:
    """Two drivers at once is rare; here it lets one profile exercise both rules."""
    return profile(
        "LUAD",
        "LUNG",
        "IIIA",
        biomarkers=[
            marker("EGFR", "positive", alteration="exon 19 deletion"),
            marker("ALK", "positive", alteration="fusion"),
        ],
    )


def breast() -> PatientProfile:
    """HR-positive, HER2-negative (IHC 1+) invasive ductal carcinoma, stage IIA, grade 2."""
    return profile(
        "IDC",
        "BREAST",
        "IIA",
        grade=known(FindingKind.GRADE, "G2", display="grade 2"),
        biomarkers=[
            marker("ER", "positive", value=95.0, unit="%"),
            marker("PR", "positive", value=40.0, unit="%"),
            marker("HER2", "negative", score="1+"),
            marker("Ki-67", "positive", value=20.0, unit="%"),
            marker("BRCA1", "pending"),
            marker("BRCA2", "negative"),
        ],
        treatments=[treatment("letrozole", "hormone", "planned")],
    )


def breast_her2_positive() -> PatientProfile:
    return profile("IDC", "BREAST", "IIB", biomarkers=[marker("HER2", "positive", score="3+")])


def breast_her2_low_metastatic() -> PatientProfile:
    return profile(
        "IDC",
        "BREAST",
        "IV",
        biomarkers=[
            marker("ER", "negative"),
            marker("PR", "negative"),
            marker("ERBB2", "negative", score="2+"),
        ],
    )


def colorectal() -> PatientProfile:
    """Sigmoid colon adenocarcinoma IVA, KRAS/NRAS/BRAF wild-type, MSS, HER2 not amplified."""
    return profile(
        "COAD",
        "BOWEL",
        "IVA",
        ("T3", "N1b", "M1a"),
        primary_site=primary_site("Sigmoid colon"),
        biomarkers=[
            marker("KRAS", "negative"),
            marker("NRAS", "negative"),
            marker("BRAF", "negative"),
            marker("HER2", "negative"),
            marker("MSI", "negative"),
            marker("TMB", "negative", value=6.0, unit="mut/Mb"),
        ],
        treatments=[
            treatment("oxaliplatin", "chemotherapy"),
            treatment("panitumumab", "targeted", "planned"),
        ],
    )


def colorectal_braf() -> PatientProfile:
    return profile("COAD", "BOWEL", "IVB", biomarkers=[marker("BRAF", "positive", alteration="p.V600E")])


def colorectal_msi_high() -> PatientProfile:
    return profile("READ", "BOWEL", "IVA", biomarkers=[marker("MSI", "positive", score="MSI-H")])


def prostate_msi_high() -> PatientProfile:
    return profile("PRAD", "PROSTATE", "IVB", biomarkers=[marker("dMMR", "positive")])


def melanoma() -> PatientProfile:
    return profile("SKCM", "SKIN", "III")


# --- issue 4's biomarker groups: one profile that meets each rule (the others do not) ----------


def lung_ros1() -> PatientProfile:
    return profile("LUAD", "LUNG", "IVB", biomarkers=[marker("ROS1", "positive", alteration="fusion")])


def lung_ret() -> PatientProfile:
    return profile("LUAD", "LUNG", "IVA", biomarkers=[marker("RET", "positive", alteration="fusion")])


def lung_met_exon14() -> PatientProfile:
    return profile(
        "LUAD", "LUNG", "IVB", biomarkers=[marker("MET", "positive", alteration="exon 14 skipping")]
    )


def lung_egfr_exon20() -> PatientProfile:
    return profile(
        "LUAD", "LUNG", "IVB", biomarkers=[marker("EGFR", "positive", alteration="p.A767_V769dup")]
    )


def lung_her2_mutation() -> PatientProfile:
    return profile(
        "LUAD", "LUNG", "IVB", biomarkers=[marker("ERBB2", "positive", alteration="p.Y772_A775dup")]
    )


def lung_braf_v600e() -> PatientProfile:
    return profile("LUAD", "LUNG", "IVB", biomarkers=[marker("BRAF", "positive", alteration="p.V600E")])


def lung_ntrk() -> PatientProfile:
    return profile("LUAD", "LUNG", "IVB", biomarkers=[marker("NTRK1", "positive", alteration="fusion")])


def small_cell_lung() -> PatientProfile:
    return profile("SCLC", "LUNG", "IVB")


def breast_pik3ca_esr1_brca() -> PatientProfile:
    """HR-positive, HER2-0 metastatic breast cancer after hormone therapy: PIK3CA, ESR1 and BRCA2 changes."""
    return profile(
        "IDC",
        "BREAST",
        "IV",
        biomarkers=[
            marker("ER", "positive", value=90.0, unit="%"),
            marker("PR", "positive", value=30.0, unit="%"),
            marker("HER2", "negative", score="0"),
            marker("PIK3CA", "positive", alteration="p.H1047R"),
            marker("ESR1", "positive", alteration="p.Y537S"),
            marker("BRCA2", "positive", alteration="c.5946delT"),
        ],
        treatments=[treatment("letrozole", "hormone")],
    )


def breast_her2_ultralow() -> PatientProfile:
    return profile(
        "IDC",
        "BREAST",
        "IV",
        biomarkers=[marker("ER", "positive"), marker("HER2", "negative", score="ultralow")],
    )


def colorectal_kras_g12c() -> PatientProfile:
    return profile("COAD", "BOWEL", "IVB", biomarkers=[marker("KRAS", "positive", alteration="p.G12C")])


def colorectal_her2() -> PatientProfile:
    return profile(
        "READ",
        "BOWEL",
        "IVA",
        biomarkers=[
            marker("HER2", "positive", alteration="amplification"),
            marker("KRAS", "negative"),
            marker("NRAS", "negative"),
        ],
    )


def prostate_hrr_psma() -> PatientProfile:
    return profile(
        "PRAD",
        "PROSTATE",
        "IVB",
        biomarkers=[
            marker("BRCA2", "positive", alteration="p.E1493fs"),
            marker("ATM", "negative"),
            marker("PSMA", "positive"),
        ],
        treatments=[treatment("enzalutamide", "hormone")],
    )


def melanoma_braf() -> PatientProfile:
    return profile("SKCM", "SKIN", "IIIC", biomarkers=[marker("BRAF", "positive", alteration="p.V600K")])


# --- issue 4's second part: NRG1, sidedness, stage-specific testing, other staging systems -------


def lung_nrg1() -> PatientProfile:
    return profile("LUAD", "LUNG", "IVA", biomarkers=[marker("NRG1", "positive", alteration="fusion")])


def pancreas_nrg1() -> PatientProfile:
    return profile("PAAD", "PANCREAS", "IV", biomarkers=[marker("NRG1", "positive", alteration="fusion")])


def colorectal_right_sided() -> PatientProfile:
    """Cecum adenocarcinoma IVB, RAS and BRAF wild-type: the side gives a question, not the antibodies."""
    return profile(
        "COAD",
        "BOWEL",
        "IVB",
        primary_site=primary_site("cecum"),
        biomarkers=[marker("KRAS", "negative"), marker("NRAS", "negative"), marker("BRAF", "negative")],
    )


def colon_early() -> PatientProfile:
    """Stage IIA colon cancer after surgery, no MSI or MMR result."""
    return profile(
        "COAD",
        "BOWEL",
        "IIA",
        ("T3", "N0", "M0"),
        treatments=[treatment("right hemicolectomy", "other")],
    )


def breast_early_node_negative() -> PatientProfile:
    """ER-positive, HER2-negative, node-negative stage IA breast cancer: a recurrence-score question."""
    return profile(
        "IDC",
        "BREAST",
        "IA",
        ("T1c", "N0", "M0"),
        biomarkers=[
            marker("ER", "positive"),
            marker("PR", "positive"),
            marker("HER2", "negative", score="0"),
        ],
    )


def breast_triple_negative() -> PatientProfile:
    return profile(
        "IDC",
        "BREAST",
        "IIB",
        biomarkers=[
            marker("ER", "negative"),
            marker("PR", "negative"),
            marker("HER2", "negative", score="0"),
        ],
    )


def breast_dcis() -> PatientProfile:
    return profile("DCIS", "BREAST", "0is", ("Tis", "N0", "M0"), biomarkers=[marker("ER", "positive")])


def breast_triple_negative_metastatic() -> PatientProfile:
    """Triple-negative breast cancer that has spread, PD-L1 CPS 12."""
    return profile(
        "IDC",
        "BREAST",
        "IV",
        biomarkers=[
            marker("ER", "negative"),
            marker("PR", "negative"),
            marker("HER2", "negative", score="0"),
            marker("PD-L1", "positive", value=12.0, unit="CPS"),
        ],
    )


def lymphoma() -> PatientProfile:
    return profile("DLBCLNOS", "LYMPH", None)


def glioblastoma() -> PatientProfile:
    return profile("GB", "BRAIN", None)


def ovarian() -> PatientProfile:
    return profile("HGSOC", "OVARY", "IIIC")


def stage_conflict() -> PatientProfile:
    conflict = ProfileField(
        status=FieldStatus.CONFLICT,
        supporting=[Finding(kind=FindingKind.STAGE_GROUP, value="IIB", display="IIB")],
        conflicting=[Finding(kind=FindingKind.STAGE_GROUP, value="IIIA", display="IIIA")],
    )
    return PatientProfile(cancer_type=known(FindingKind.CANCER_TYPE, "LUSC"), stage_group=conflict)


def unknown() -> PatientProfile:
    return PatientProfile()


def head_neck_iva() -> PatientProfile:
    """Oral cavity squamous cell carcinoma IVA (T4a N2b M0): stage IV without distant spread."""
    return profile("OCSC", "HEAD_NECK", "IVA", ("T4a", "N2b", "M0"))


PROFILES = {
    "lung": lung,
    "lung_egfr_alk": lung_egfr_alk,
    "breast": breast,
    "breast_her2_positive": breast_her2_positive,
    "breast_her2_low_metastatic": breast_her2_low_metastatic,
    "colorectal": colorectal,
    "colorectal_braf": colorectal_braf,
    "colorectal_msi_high": colorectal_msi_high,
    "prostate_msi_high": prostate_msi_high,
    "melanoma": melanoma,
    "stage_conflict": stage_conflict,
    "unknown": unknown,
    "lung_ros1": lung_ros1,
    "lung_ret": lung_ret,
    "lung_met_exon14": lung_met_exon14,
    "lung_egfr_exon20": lung_egfr_exon20,
    "lung_her2_mutation": lung_her2_mutation,
    "lung_braf_v600e": lung_braf_v600e,
    "lung_ntrk": lung_ntrk,
    "small_cell_lung": small_cell_lung,
    "breast_pik3ca_esr1_brca": breast_pik3ca_esr1_brca,
    "breast_her2_ultralow": breast_her2_ultralow,
    "colorectal_kras_g12c": colorectal_kras_g12c,
    "colorectal_her2": colorectal_her2,
    "prostate_hrr_psma": prostate_hrr_psma,
    "melanoma_braf": melanoma_braf,
    "lung_nrg1": lung_nrg1,
    "pancreas_nrg1": pancreas_nrg1,
    "colorectal_right_sided": colorectal_right_sided,
    "colon_early": colon_early,
    "breast_early_node_negative": breast_early_node_negative,
    "breast_triple_negative": breast_triple_negative,
    "breast_dcis": breast_dcis,
    "breast_triple_negative_metastatic": breast_triple_negative_metastatic,
    "lymphoma": lymphoma,
    "glioblastoma": glioblastoma,
    "ovarian": ovarian,
    "head_neck_iva": head_neck_iva,
}


def fired(guidance: Guidance) -> set[str]:
    return {s.rule_id for section in guidance.sections for s in section.statements}


def statements(guidance: Guidance, section: SectionId | None = None) -> list[str]:
    return [s.text for sec in guidance.sections if section in (None, sec.id) for s in sec.statements]


@pytest.fixture(scope="module")
def fired_by_profile() -> dict[str, set[str]]:
    return {name: fired(build_guidance(make())) for name, make in PROFILES.items()}


# --- every rule fires when met and not otherwise ---------------------------------------------


@pytest.mark.parametrize("rule", load_kb().rules, ids=lambda rule: rule.id)
def test_rule_fires_only_when_its_conditions_hold(rule, fired_by_profile: dict[str, set[str]]) -> None:
    firing = {name for name, rules in fired_by_profile.items() if rule.id in rules}
    assert firing, f"{rule.id} fires on none of the hand-built profiles"
    if rule.when.model_dump(exclude_defaults=True):
        assert firing != set(PROFILES), f"{rule.id} has conditions but fires on every profile"
    else:
        assert firing == set(PROFILES), f"{rule.id} has no conditions and must always fire"


EXPECTED = [
    ("lung", "treatment_approaches.nsclc.kras_g12c", True),
    ("lung", "treatment_approaches.nsclc.pdl1_high", True),
    ("lung", "treatment_approaches.nsclc.egfr", False),
    ("lung", "missing.stage", False),
    ("lung", "questions.after_immunotherapy", True),
    ("lung_egfr_alk", "treatment_approaches.nsclc.egfr", True),
    ("lung_egfr_alk", "treatment_approaches.nsclc.alk", True),
    ("lung_egfr_alk", "treatment_approaches.nsclc.kras_g12c", False),
    ("breast", "treatment_approaches.breast.hr_positive_her2_negative", True),
    ("breast", "treatment_approaches.breast.her2_positive", False),
    ("breast", "treatment_approaches.breast.her2_low", False),  # HER2-low but not metastatic
    ("breast", "biomarkers.her2_low", True),
    ("breast", "questions.biomarker_pending", True),
    ("breast_her2_positive", "treatment_approaches.breast.her2_positive", True),
    ("breast_her2_positive", "treatment_approaches.breast.hr_positive_her2_negative", False),
    ("breast_her2_low_metastatic", "treatment_approaches.breast.her2_low", True),
    ("colorectal", "treatment_approaches.colorectal.ras_wild_type", True),
    ("colorectal", "treatment_approaches.colorectal.msi_high", False),
    ("colorectal", "treatment_approaches.colorectal.braf_v600e", False),
    ("colorectal", "missing.tests.colorectal", False),
    ("colorectal_braf", "treatment_approaches.colorectal.braf_v600e", True),
    ("colorectal_braf", "treatment_approaches.colorectal.ras_wild_type", False),
    ("colorectal_msi_high", "treatment_approaches.colorectal.msi_high", True),
    ("prostate_msi_high", "treatment_approaches.msi_high_any", True),
    ("stage_conflict", "stage.conflict", True),
    ("stage_conflict", "missing.tests.nsclc", False),  # squamous, not metastatic
    # issue 4's groups: each fires on its own profile and not on a near miss
    ("lung_ros1", "treatment_approaches.nsclc.ros1", True),
    ("lung", "treatment_approaches.nsclc.ros1", False),
    ("lung_ret", "treatment_approaches.nsclc.ret", True),
    ("lung_ros1", "treatment_approaches.nsclc.ret", False),
    ("lung_met_exon14", "treatment_approaches.nsclc.met_exon14", True),
    ("lung", "treatment_approaches.nsclc.met_exon14", False),
    ("lung_egfr_exon20", "treatment_approaches.nsclc.egfr_exon20", True),
    ("lung_egfr_exon20", "treatment_approaches.nsclc.egfr", False),  # not a common EGFR change
    ("lung_egfr_alk", "treatment_approaches.nsclc.egfr_exon20", False),  # exon 19 deletion
    ("lung_her2_mutation", "treatment_approaches.nsclc.her2_mutation", True),
    ("colorectal_her2", "treatment_approaches.nsclc.her2_mutation", False),
    ("lung_braf_v600e", "treatment_approaches.nsclc.braf_v600e", True),
    ("colorectal_braf", "treatment_approaches.nsclc.braf_v600e", False),  # not lung
    ("lung_ntrk", "treatment_approaches.ntrk_any", True),
    ("lung_ros1", "treatment_approaches.ntrk_any", False),
    ("small_cell_lung", "treatment_approaches.sclc.extensive", True),
    ("small_cell_lung", "about.lung.sclc", True),
    ("small_cell_lung", "about.lung.nsclc", False),
    ("small_cell_lung", "missing.tests.nsclc", False),
    ("lung", "treatment_approaches.sclc.extensive", False),
    ("breast_pik3ca_esr1_brca", "treatment_approaches.breast.pik3ca_akt1_pten", True),
    ("breast_pik3ca_esr1_brca", "treatment_approaches.breast.esr1", True),
    ("breast_pik3ca_esr1_brca", "treatment_approaches.breast.germline_brca", True),
    ("breast_pik3ca_esr1_brca", "biomarkers.pi3k_pathway", True),
    ("breast", "treatment_approaches.breast.pik3ca_akt1_pten", False),
    ("breast", "treatment_approaches.breast.esr1", False),  # ER by IHC is not an ESR1 mutation
    ("breast", "treatment_approaches.breast.germline_brca", False),  # BRCA2 negative, BRCA1 pending
    ("breast_her2_ultralow", "treatment_approaches.breast.her2_ultralow", True),
    ("breast_her2_ultralow", "treatment_approaches.breast.her2_low", False),
    ("breast_her2_low_metastatic", "treatment_approaches.breast.her2_ultralow", False),
    ("colorectal_kras_g12c", "treatment_approaches.colorectal.kras_g12c", True),
    ("colorectal_kras_g12c", "treatment_approaches.nsclc.kras_g12c", False),
    ("lung", "treatment_approaches.colorectal.kras_g12c", False),
    ("colorectal_her2", "treatment_approaches.colorectal.her2", True),
    ("colorectal", "treatment_approaches.colorectal.her2", False),  # HER2 not amplified
    ("prostate_hrr_psma", "treatment_approaches.prostate.hrr", True),
    ("prostate_hrr_psma", "treatment_approaches.prostate.psma", True),
    ("prostate_hrr_psma", "biomarkers.hrr", True),
    ("prostate_hrr_psma", "biomarkers.psma", True),
    ("prostate_hrr_psma", "missing.tests.prostate", True),  # PALB2, CHEK2 and MSI not tested
    ("prostate_msi_high", "treatment_approaches.prostate.hrr", False),
    ("prostate_msi_high", "missing.tests.prostate", True),
    ("prostate_msi_high", "questions.testing.prostate", True),
    ("melanoma_braf", "treatment_approaches.melanoma.braf_v600", True),
    ("melanoma_braf", "missing.tests.melanoma", False),
    ("melanoma", "missing.tests.melanoma", True),
    ("melanoma", "questions.testing.melanoma", True),
    ("melanoma", "treatment_approaches.melanoma.braf_v600", False),
    # NRG1 fusion: lung and pancreas cancers that have spread, and only with the fusion found
    ("lung_nrg1", "treatment_approaches.nrg1", True),
    ("pancreas_nrg1", "treatment_approaches.nrg1", True),
    ("lung_nrg1", "biomarkers.alk_ros1_ret_ntrk", True),
    ("lung_ros1", "treatment_approaches.nrg1", False),
    ("pancreas_nrg1", "about.cancer_type", True),
    # colorectal sidedness: the antibodies for a left-sided primary (or rectal cancer), else a question
    ("colorectal", "questions.colorectal.sidedness", False),
    ("colorectal_right_sided", "treatment_approaches.colorectal.ras_wild_type", False),
    ("colorectal_right_sided", "questions.colorectal.sidedness", True),
    ("colorectal_braf", "questions.colorectal.sidedness", False),  # BRAF V600E: not wild-type
    # stage-specific testing
    ("breast_early_node_negative", "questions.testing.breast_recurrence_score", True),
    ("breast", "questions.testing.breast_recurrence_score", False),  # N not in the records
    ("breast_triple_negative", "questions.testing.breast_recurrence_score", False),
    ("breast_her2_low_metastatic", "questions.testing.breast_recurrence_score", False),
    ("colon_early", "missing.tests.colorectal_mmr", True),
    ("colon_early", "questions.testing.colorectal_mmr", True),
    ("colon_early", "missing.tests.colorectal", False),  # the metastatic panel is not asked
    ("colorectal", "missing.tests.colorectal_mmr", False),
    # triple-negative breast cancer
    ("breast_triple_negative", "biomarkers.triple_negative", True),
    ("breast_her2_low_metastatic", "biomarkers.triple_negative", True),  # ER, PR negative; HER2 2+
    ("breast", "biomarkers.triple_negative", False),
    # goals by stage
    ("colon_early", "goals.cure", True),
    ("ovarian", "goals.cure", True),
    ("lung", "goals.cure", False),
    ("lung", "goals.control", True),
    ("breast", "goals.control", False),
    ("lymphoma", "goals.stage_unknown", True),
    ("lung", "goals.stage_unknown", False),
    ("unknown", "goals.stage_unknown", True),
    # cancers staged another way
    ("lymphoma", "stage.system.blood", True),
    ("glioblastoma", "stage.system.cns", True),
    ("ovarian", "stage.system.figo", True),
    ("lung", "stage.system.blood", False),
    ("lymphoma", "stage.system.figo", False),
    ("breast", "stage.system.figo", False),
    ("lymphoma", "missing.stage", True),
]


@pytest.mark.parametrize(("name", "rule_id", "fires"), EXPECTED)
def test_expected_rules_for_profiles(name: str, rule_id: str, fires: bool, fired_by_profile) -> None:
    assert (rule_id in fired_by_profile[name]) is fires


# --- safety ----------------------------------------------------------------------------------

TARGETED = {
    "KRAS": "treatment_approaches.nsclc.kras_g12c",
    "EGFR": "treatment_approaches.nsclc.egfr",
    "ALK": "treatment_approaches.nsclc.alk",
}


@pytest.mark.parametrize("result", ["negative", "pending", "not_tested", "equivocal", None])
@pytest.mark.parametrize("gene", sorted(TARGETED))
def test_no_targeted_statement_unless_the_biomarker_is_positive(gene: str, result: str | None) -> None:
    alteration = {"KRAS": "p.G12C", "EGFR": "p.L858R", "ALK": "fusion"}[gene]
    biomarkers = [marker(gene, result, alteration=alteration)] if result else []
    guidance = build_guidance(profile("LUAD", "LUNG", "IVA", biomarkers=biomarkers))
    rules = fired(guidance)
    assert TARGETED[gene] not in rules
    if result in (None, "pending", "not_tested"):
        assert "missing.tests.nsclc" in rules
        question = next(s for s in statements(guidance, SectionId.QUESTIONS) if "tested for" in s)
        assert gene in question


# Each biomarker-targeted rule of issue 4's groups and the profile that meets it: with the rule's
# markers turned negative, pending, untested or equivocal, the rule must not fire.
TARGETED_GROUPS = {
    "treatment_approaches.nsclc.ros1": lung_ros1,
    "treatment_approaches.nsclc.ret": lung_ret,
    "treatment_approaches.nsclc.met_exon14": lung_met_exon14,
    "treatment_approaches.nsclc.egfr_exon20": lung_egfr_exon20,
    "treatment_approaches.nsclc.her2_mutation": lung_her2_mutation,
    "treatment_approaches.nsclc.braf_v600e": lung_braf_v600e,
    "treatment_approaches.ntrk_any": lung_ntrk,
    "treatment_approaches.breast.pik3ca_akt1_pten": breast_pik3ca_esr1_brca,
    "treatment_approaches.breast.esr1": breast_pik3ca_esr1_brca,
    "treatment_approaches.breast.germline_brca": breast_pik3ca_esr1_brca,
    "treatment_approaches.colorectal.kras_g12c": colorectal_kras_g12c,
    "treatment_approaches.colorectal.her2": colorectal_her2,
    "treatment_approaches.prostate.hrr": prostate_hrr_psma,
    "treatment_approaches.prostate.psma": prostate_hrr_psma,
    "treatment_approaches.melanoma.braf_v600": melanoma_braf,
    "treatment_approaches.nrg1": lung_nrg1,
    "treatment_approaches.breast.tnbc_pdl1": breast_triple_negative_metastatic,
}


@pytest.mark.parametrize("result", ["negative", "pending", "not_tested", "equivocal"])
@pytest.mark.parametrize("rule_id", sorted(TARGETED_GROUPS))
def test_targeted_group_needs_its_biomarker_positive(rule_id: str, result: str) -> None:
    kb = load_kb()
    rule = next(r for r in kb.rules if r.id == rule_id)
    base = TARGETED_GROUPS[rule_id]()
    assert rule_id in fired(build_guidance(base))
    # The group's own marker, not the HR/HER2 context of a breast rule; for ESR1, the ER gene change.
    targeted = {m for condition in rule.when.biomarkers for m in condition.markers} - {"ER", "PR", "HER2"}
    targeted |= {"HER2"} if rule_id.endswith(("her2", "her2_mutation")) else set()
    targeted |= {"ER"} if rule_id.endswith("esr1") else set()

    def is_targeted(finding) -> bool:
        marker_id = kb.marker_id(finding.biomarker.marker)
        return marker_id in targeted and (marker_id != "ER" or finding.biomarker.alteration is not None)

    changed = [
        f.model_copy(update={"biomarker": f.biomarker.model_copy(update={"result": BiomarkerResult(result)})})
        if is_targeted(f)
        else f
        for f in base.biomarkers
    ]
    assert changed != base.biomarkers
    assert rule_id not in fired(build_guidance(base.model_copy(update={"biomarkers": changed})))


def _wild_type_colorectal(code: str, site: ProfileField | None) -> PatientProfile:
    extra = {"primary_site": site} if site else {}
    return profile(
        code,
        "BOWEL",
        "IVA",
        biomarkers=[marker("KRAS", "negative"), marker("NRAS", "negative"), marker("BRAF", "negative")],
        **extra,
    )


@pytest.mark.parametrize(
    ("code", "quote", "left"),
    [
        ("COAD", "Sigmoid colon", True),
        ("COAD", "descending colon, mass at 30 cm", True),
        ("COAD", "splenic flexure", True),
        ("READ", None, True),  # rectal cancer is always left-sided
        ("COADREAD", "rectosigmoid junction", True),
        ("COAD", "cecum", False),
        ("COAD", "Ascending colon", False),
        ("COAD", "transverse colon", False),  # between the sides: asked, not assumed
        ("COAD", "cecum and sigmoid colon", False),  # two sides named: unclear
        ("COAD", "colon", False),
        ("COAD", None, False),  # no site in the records
    ],
)
def test_anti_egfr_statement_needs_a_left_sided_primary(code: str, quote: str | None, left: bool) -> None:
    rules = fired(build_guidance(_wild_type_colorectal(code, primary_site(quote) if quote else None)))
    assert ("treatment_approaches.colorectal.ras_wild_type" in rules) is left
    assert ("questions.colorectal.sidedness" in rules) is not left


def test_anti_egfr_statement_needs_braf_tested_and_wild_type() -> None:
    base = _wild_type_colorectal("COAD", primary_site("sigmoid colon"))
    no_braf = base.model_copy(update={"biomarkers": base.biomarkers[:2]})
    rules = fired(build_guidance(no_braf))
    assert "treatment_approaches.colorectal.ras_wild_type" not in rules
    assert "missing.tests.colorectal" in rules


def test_sidedness_statement_cites_the_site_in_the_records() -> None:
    guidance = build_guidance(colorectal())
    texts = [
        s
        for s in guidance.sections[3].statements
        if s.rule_id == "treatment_approaches.colorectal.ras_wild_type"
    ]
    assert any("left side" in s.text for s in texts)
    assert any(e.quote == "Sigmoid colon" for s in texts for e in s.evidence)
    assert any(s.sources[0].id == "nci.colon_treatment_hp" for s in texts)


def _site(value: str) -> Finding:
    return Finding(kind=FindingKind.METASTATIC_SITE, value=value, display=value, evidence=evidence(value))


@pytest.mark.parametrize(
    ("stage", "m", "sites", "metastatic"),
    [
        ("IIA", None, ["LYMPH_NODE"], False),  # a sentinel node of an early cancer is not distant spread
        ("IIIA", None, ["LIVER"], False),  # a stated stage wins over a site mention
        (None, "M0", ["LIVER"], False),
        (None, None, ["LYMPH_NODE"], False),
        (None, None, ["LIVER"], True),
        (None, "M1b", [], True),
        ("IVA", None, [], True),
    ],
)
def test_metastatic_means_stage_iv_m1_or_a_distant_site(stage, m, sites, metastatic) -> None:
    base = profile("IDC", "BREAST", stage, metastatic_sites=[_site(s) for s in sites])
    if m:
        base.m = known(FindingKind.M, m)
    rules = fired(build_guidance(base))
    assert ("goals.control" in rules) is metastatic
    assert ("about.spread_keeps_name" in rules) is metastatic


def test_withdrawn_approval_is_said_to_be_withdrawn() -> None:
    guidance = build_guidance(lung_egfr_exon20())
    texts = [s.text for s in guidance.sections[3].statements if s.rule_id.endswith("egfr_exon20")]
    assert any("mobocertinib" in t and "withdrawn" in t for t in texts)
    assert all("last_reviewed" not in t for t in texts)


def test_every_fda_fact_has_a_review_date() -> None:
    kb = load_kb()
    fda = {sid for sid, entry in kb.sources.items() if entry.kind in ("fda_label", "fda_approval")}
    for rule in kb.rules:
        for template in rule.statements:
            if fda & set(template.sources):
                assert template.last_reviewed is not None, rule.id


def test_negated_or_family_biomarker_fires_nothing() -> None:
    for assertion in (Assertion.NEGATED, Assertion.FAMILY, Assertion.HYPOTHETICAL):
        finding = marker("KRAS", "positive", alteration="p.G12C").model_copy(update={"assertion": assertion})
        rules = fired(build_guidance(profile("LUAD", "LUNG", "IVB", biomarkers=[finding])))
        assert "treatment_approaches.nsclc.kras_g12c" not in rules


def test_pdl1_below_50_or_with_a_driver_gives_no_first_line_immunotherapy() -> None:
    low = profile("LUAD", "LUNG", "IVB", biomarkers=[marker("PD-L1", "positive", value=49.0, unit="TPS")])
    driver = profile(
        "LUAD",
        "LUNG",
        "IVB",
        biomarkers=[marker("PD-L1", "positive", value=80.0, unit="TPS"), marker("EGFR", "positive")],
    )
    for case in (low, driver):
        assert "treatment_approaches.nsclc.pdl1_high" not in fired(build_guidance(case))


_SURVIVAL = re.compile(r"%\s*(?:\w+\s+){0,2}surviv|percent\s+(?:\w+\s+){0,2}surviv|life expectancy", re.I)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_no_prescription_and_no_survival_numbers(name: str) -> None:
    guidance = build_guidance(PROFILES[name]())
    for text in [guidance.disclaimer, *statements(guidance)]:
        assert "you should take" not in text.lower()
        assert not _SURVIVAL.search(text)
    for text in statements(guidance, SectionId.TREATMENT_APPROACHES):
        if text.startswith("Guidelines"):
            assert "Ask your oncologist whether this applies to you" in text


def test_unknown_stage_is_missing_and_asked_never_guessed() -> None:
    guidance = build_guidance(profile("LUAD", "LUNG", None))
    rules = fired(guidance)
    assert {"missing.stage", "questions.stage_unknown"} <= rules
    assert not any(rule.startswith("stage.") for rule in rules)
    assert not any(re.search(r"\bstage (0|I|II|III|IV)[ABC]?\b", t) for t in statements(guidance))


def test_every_statement_cites_a_source_and_record_quotes_come_from_evidence() -> None:
    guidance = build_guidance(lung())
    kras = next(s for s in guidance.sections[2].statements if s.rule_id == "biomarkers.kras")
    assert "says your record doc-1, page 2." in kras.text and "“KRAS p.G12C positive”" in kras.text
    assert kras.evidence and kras.facts
    assert all(s.sources for sec in guidance.sections for s in sec.statements)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_shuffled_profile_lists_give_identical_guidance(name: str) -> None:
    base = PROFILES[name]()
    expected = build_guidance(base).model_dump_json()
    rng = random.Random(7)
    for _ in range(5):
        shuffled = base.model_copy(
            update={
                key: rng.sample(getattr(base, key), len(getattr(base, key)))
                for key in ("biomarkers", "treatments")
            }
        )
        assert build_guidance(shuffled).model_dump_json() == expected


def test_sections_in_order_and_statements_by_rule_id() -> None:
    guidance = build_guidance(lung())
    assert [s.id for s in guidance.sections] == list(SectionId)
    for section in guidance.sections:
        ids = [s.rule_id for s in section.statements]
        assert ids == sorted(ids)


def test_explain_traces_rule_facts_evidence_and_sources() -> None:
    trace = explain(build_guidance(lung()))
    assert "rule treatment_approaches.nsclc.kras_g12c" in trace
    assert "KRAS p.G12C positive" in trace
    assert "evidence: doc-1, page 2" in trace
    assert "fda.sotorasib.2021" in trace


def test_profile_without_organ_finds_it_from_the_oncotree_lineage() -> None:
    rules = fired(build_guidance(profile("LUAD", None, "IVB")))
    assert {"about.lung.nsclc", "about.spread_keeps_name"} <= rules


def test_derived_stage_without_tnm_is_explained() -> None:
    derived = known(FindingKind.STAGE_GROUP, "IIIA")
    derived.chosen.basis = Basis.DERIVED
    assert "stage.group_iii" in fired(build_guidance(PatientProfile(stage_group=derived)))


# --- staging in plain words, the about statements and the last treatment groups of issue 4 --------

STAGE_GROUP_RULES = {
    "0": "stage.group_0",
    "I": "stage.group_i",
    "II": "stage.group_ii",
    "III": "stage.group_iii",
    "IV": "stage.group_iv",
}
SUBGROUP_RULES = {main: rule.replace("group_", "subgroup_") for main, rule in STAGE_GROUP_RULES.items()}


@pytest.mark.parametrize(
    ("stage", "main"),
    [
        ("0", "0"),
        ("0is", "0"),
        ("I", "I"),
        ("IA2", "I"),
        ("IB", "I"),
        ("II", "II"),
        ("IIC", "II"),
        ("III", "III"),
        ("IIIA", "III"),
        ("IIIC", "III"),
        ("IV", "IV"),
        ("IVA", "IV"),
        ("IVB", "IV"),
        ("IVC", "IV"),
    ],
)
def test_each_stage_group_is_explained_and_a_subgroup_named_as_part_of_it(stage: str, main: str) -> None:
    guidance = build_guidance(profile("PAAD", None, stage))
    stage_rules = {r for r in fired(guidance) if r.startswith(("stage.group_", "stage.subgroup_"))}
    subgroup = stage != main
    assert stage_rules == {STAGE_GROUP_RULES[main]} | ({SUBGROUP_RULES[main]} if subgroup else set())
    text = " ".join(statements(guidance, SectionId.STAGE))
    assert f"Stage {main} means" in text
    assert (f"Stage {stage} is a more exact part of stage {main}." in text) is subgroup
    assert ("more exact part" in text) is subgroup
    assert ("not spread to far parts of the body" in text) is (main in ("I", "II", "III"))
    assert ("in situ" in text) is (main == "0")
    assert ("Stage IV and metastatic mean the same thing." in text) is (main == "IV")


def test_grade_versus_stage_only_when_the_records_give_a_grade() -> None:
    with_grade = build_guidance(breast())
    text = next(s.text for s in with_grade.sections[1].statements if s.rule_id == "tumor_grade.versus_stage")
    assert "Grade and stage are not the same" in text and "“G2”" in text
    assert "tumor_grade.versus_stage" not in fired(build_guidance(breast_her2_positive()))


SPREAD_RULES = {
    "IDC": "where_it_spreads.breast",
    "LUAD": "where_it_spreads.lung",
    "LUSC": "where_it_spreads.lung",
    "SCLC": "where_it_spreads.lung",
    "COAD": "where_it_spreads.colorectal",
    "READ": "where_it_spreads.colorectal",
    "PRAD": "where_it_spreads.prostate",
    "SKCM": "where_it_spreads.melanoma",
    "PAAD": None,
    "DCIS": None,  # in situ: it has not grown into nearby tissue, let alone spread
    "CCRCC": None,
}


@pytest.mark.parametrize("code", sorted(SPREAD_RULES))
def test_where_it_spreads_for_the_five_cancers_said_generally(code: str) -> None:
    guidance = build_guidance(profile(code, None, "II"))
    spread = [s for s in guidance.sections[1].statements if s.rule_id.startswith("where_it_spreads.")]
    assert [s.rule_id for s in spread] == ([SPREAD_RULES[code]] if SPREAD_RULES[code] else [])
    for statement in spread:
        assert not re.search(r"\d|percent", statement.text)
        assert "It does not mean your cancer is in these places." in statement.text
        assert "nci.metastatic" in {source.id for source in statement.sources}


@pytest.mark.parametrize(
    ("code", "about"),
    [
        ("LUSC", {"about.lung.nsclc", "about.lung.squamous"}),
        ("LUAD", {"about.lung.nsclc"}),
        ("READ", {"about.colorectal", "about.rectal"}),
        ("COAD", {"about.colorectal"}),
    ],
)
def test_squamous_lung_and_rectal_cancer_have_their_own_about_statement(code: str, about: set[str]) -> None:
    rules = fired(build_guidance(profile(code, None, "IIB")))
    assert {r for r in rules if r.startswith(("about.lung", "about.colorectal", "about.rectal"))} == about


def _triple_negative(*extra: Finding, stage: str = "IV", her2: str = "negative") -> PatientProfile:
    receptors = [marker("ER", "negative"), marker("PR", "negative"), marker("HER2", her2, score="0")]
    return profile("IDC", None, stage, biomarkers=[*receptors, *extra])


SACITUZUMAB, TNBC_PDL1 = (
    "treatment_approaches.breast.tnbc_sacituzumab",
    "treatment_approaches.breast.tnbc_pdl1",
)


@pytest.mark.parametrize(
    ("pdl1", "fires"),
    [
        (marker("PD-L1", "positive", value=10.0, unit="CPS"), True),
        (marker("PD-L1", "positive", value=35.0, unit="CPS"), True),
        (marker("PD-L1", "positive", value=9.0, unit="CPS"), False),
        (marker("PD-L1", "positive", value=60.0, unit="TPS"), False),  # a TPS is not a CPS
        (marker("PD-L1", "positive"), False),  # positive with no score
        (marker("PD-L1", "negative", value=0.0, unit="CPS"), False),
        (marker("PD-L1", "pending"), False),
        (None, False),
    ],
)
def test_tnbc_pembrolizumab_needs_pdl1_cps_of_10_or_more(pdl1: Finding | None, fires: bool) -> None:
    rules = fired(build_guidance(_triple_negative(*([pdl1] if pdl1 else []))))
    assert SACITUZUMAB in rules
    assert (TNBC_PDL1 in rules) is fires


def test_tnbc_statements_need_three_negative_receptors_and_spread() -> None:
    cps = marker("PD-L1", "positive", value=20.0, unit="CPS")
    assert not {SACITUZUMAB, TNBC_PDL1} & fired(build_guidance(_triple_negative(cps, stage="IIB")))
    assert not {SACITUZUMAB, TNBC_PDL1} & fired(build_guidance(_triple_negative(cps, her2="positive")))
    assert not {SACITUZUMAB, TNBC_PDL1} & fired(build_guidance(_triple_negative(cps, her2="pending")))
    hr_positive = profile(
        "IDC", None, "IV", biomarkers=[marker("ER", "positive"), marker("HER2", "negative", score="0"), cps]
    )
    assert not {SACITUZUMAB, TNBC_PDL1} & fired(build_guidance(hr_positive))
    pr_missing = profile("IDC", None, "IV", biomarkers=[marker("ER", "negative"), marker("HER2", "negative")])
    assert SACITUZUMAB not in fired(build_guidance(pr_missing))


@pytest.mark.parametrize("braf", ["positive", "negative", None])
@pytest.mark.parametrize(("stage", "fires"), [("IB", False), ("IIC", False), ("IIIB", True), ("IV", True)])
def test_melanoma_immunotherapy_whatever_the_braf_result(braf: str | None, stage: str, fires: bool) -> None:
    biomarkers = [marker("BRAF", braf, alteration="p.V600E" if braf == "positive" else None)] if braf else []
    guidance = build_guidance(profile("SKCM", None, stage, biomarkers=biomarkers))
    assert ("treatment_approaches.melanoma.immunotherapy" in fired(guidance)) is fires
    if fires:
        text = " ".join(statements(guidance, SectionId.TREATMENT_APPROACHES))
        assert "immunotherapy for melanoma that has spread or cannot be removed" in text
        assert "with or without a BRAF change" in text


def test_nrg1_is_on_the_nsclc_testing_list() -> None:
    untested = build_guidance(profile("LUAD", None, "IVA"))
    assert "We did not find a result for the NRG1 test in your records." in statements(untested)
    assert any("NRG1 and PD-L1?" in t for t in statements(untested, SectionId.QUESTIONS))
    tested = build_guidance(profile("LUAD", None, "IVA", biomarkers=[marker("NRG1", "negative")]))
    assert not any("NRG1 test in your records" in t for t in statements(tested))


# --- the knowledge base checker --------------------------------------------------------------


def test_real_kb_is_clean_and_plain() -> None:
    assert check_kb() == []
    grades = [grade for _, grade in statement_grades(load_kb())]
    assert grades and max(grades) <= MAX_GRADE


def _broken_copy(tmp_path: Path, edit) -> Path:
    directory = tmp_path / "kb"
    shutil.copytree(KB_DIR, directory)
    path = directory / "rules" / "stage.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data["rules"][0], directory)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


def _set_text(text: str):
    def edit(rule: dict, _: Path) -> None:
        rule["statements"][0]["text"] = text

    return edit


BROKEN = {
    "no source": (lambda rule, _: rule["statements"][0].update(sources=[]), "no source"),
    "unknown source": (
        lambda rule, _: rule["statements"][0].update(sources=["nccn.guideline"]),
        "unknown source",
    ),
    "unknown condition field": (lambda rule, _: rule["when"].update(stagee=["IV"]), "Extra inputs"),
    "unknown field name": (lambda rule, _: rule["when"].update(unknown=["stagegroup"]), "when.unknown"),
    "dangling marker": (lambda rule, _: rule["when"].update(not_positive=["KRASS"]), "unknown marker KRASS"),
    "invalid OncoTree code": (lambda rule, _: rule["when"].update(cancer_under=["NOTACODE"]), "OncoTree"),
    "unguarded placeholder": (_set_text("You have {agent}."), "may have no value"),
    "unknown placeholder": (_set_text("Your {tumour} is here."), "unknown placeholder"),
    "reading level": (
        _set_text(
            "Notwithstanding considerable interindividual heterogeneity, multidisciplinary oncological "
            "consultation necessitates comprehensive histopathological characterisation."
        ),
        "reads at US grade",
    ),
    "prescription": (_set_text("You should take the pill."), "forbidden phrase"),
    "survival": (_set_text("About 30% of people survive."), "forbidden phrase"),
    "survival percent": (_set_text("The 5-year % survival is low."), "forbidden phrase"),
    "life expectancy": (_set_text("Your life expectancy is short."), "forbidden phrase"),
    "unknown site group": (
        lambda rule, _: rule["when"].update(primary_site_in=["left_kidney"]),
        "unknown site group left_kidney",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_kb_catches_each_problem(tmp_path: Path, case: str) -> None:
    edit, expected = BROKEN[case]
    problems = check_kb(_broken_copy(tmp_path, edit))
    assert any(expected in problem for problem in problems), problems


def test_check_kb_catches_unusable_and_undated_sources(tmp_path: Path) -> None:
    directory = _broken_copy(tmp_path, lambda rule, _: None)
    path = directory / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"].append(
        {
            "id": "nccn.nsclc",
            "kind": "nci_page",
            "title": "x",
            "publisher": "NCCN",
            "url": "https://www.nccn.org/x",
        }
    )
    data["sources"].append(
        {
            "id": "fda.undated",
            "kind": "fda_approval",
            "title": "x",
            "publisher": "FDA",
            "url": "https://www.fda.gov/x",
        }
    )
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    problems = check_kb(directory)
    assert any("nccn.nsclc" in p and "not a usable source" in p for p in problems)
    assert any("fda.undated" in p and "date" in p for p in problems)


def test_engine_loads_a_kb_from_another_directory(tmp_path: Path) -> None:
    directory = _broken_copy(tmp_path, _set_text("Your stage is {stage_group} in this copy."))
    guidance = build_guidance(lung(), kb_dir=directory)
    assert "Your stage is IVB in this copy." in statements(guidance, SectionId.STAGE)


@pytest.mark.parametrize(
    ("code", "organ", "stage", "tnm", "distant"),
    [
        ("OCSC", "HEAD_NECK", "IVA", ("T4a", "N2b", "M0"), False),  # head and neck IVA is M0
        ("PRAD", "PROSTATE", "IVA", ("T3a", "N1", "M0"), False),  # prostate IVA: nodes only
        ("OCSC", "HEAD_NECK", "IVC", ("T2", "N1", "M1"), True),
        ("LUAD", "LUNG", "IVA", ("T2a", "N0", "M1a"), True),
        ("IDC", "BREAST", "IV", None, True),  # for breast, stage IV is distant spread
    ],
)
def test_stage_iv_means_distant_spread_only_where_it_does(
    code: str, organ: str, stage: str, tnm: tuple[str, str, str] | None, distant: bool
) -> None:
    rules = fired(build_guidance(profile(code, organ, stage, tnm)))
    assert ("stage.group_iv" in rules) is distant
    assert ("stage.group_iv_not_distant" in rules) is not distant
    assert ("goals.control" in rules) is distant
