"""The example patients' guidance, from their PDF records through the whole pipeline: the statements each
must contain and the ones it must never contain, with record citations by kind and date."""

from __future__ import annotations

import json
import re

import pytest

from oncoguide.domain import Analysis
from oncoguide.paths import EXAMPLES
from oncoguide.pipeline import analyze

EXPECTED = {
    # Lung adenocarcinoma IVB, KRAS G12C, PD-L1 TPS 60%, other drivers negative, after chemo-immunotherapy.
    "lung": {
        "expect": {
            "about.lung.nsclc",
            "stage.group_iv",
            "stage.subgroup_iv",
            "where_it_spreads.lung",
            "goals.control",
            "biomarkers.kras_g12c",
            "treatment_approaches.nsclc.kras_g12c",
            "treatment_approaches.nsclc.pdl1_high",
            "questions.negative_driver",
            "questions.after_immunotherapy",
        },
        "forbid": {
            "treatment_approaches.nsclc.egfr",
            "treatment_approaches.nsclc.alk",
            "treatment_approaches.nsclc.ros1",
            "treatment_approaches.nsclc.ret",
            "treatment_approaches.nsclc.met_exon14",  # MET exon 14 skipping: not detected
            "treatment_approaches.nsclc.braf_v600e",
            "treatment_approaches.nrg1",
            "treatment_approaches.ntrk_any",
            "treatment_approaches.msi_high_any",
            "missing.stage",
            "goals.cure",
            "about.lung.squamous",  # adenocarcinoma
            "tumor_grade.versus_stage",  # no grade in the records
        },
        "phrases": [
            "says your pathology report of 18 February 2026, page 1",
            "sotorasib or adagrasib",
            "Stage IVB is a more exact part of stage IV.",
            "Stage IV and metastatic mean the same thing.",
        ],
    },
    # Breast IDC IIA (T2 N0 M0), ER+/PR+, HER2 1+ (HER2-low), Recurrence Score 18, BRCA pending.
    "breast": {
        "expect": {
            "about.breast.invasive",
            "stage.group_ii",
            "stage.subgroup_ii",
            "tumor_grade.versus_stage",  # Nottingham grade 2
            "where_it_spreads.breast",
            "goals.cure",
            "biomarkers.her2_low",
            "treatment_approaches.breast.hr_positive_her2_negative",
            "questions.biomarker_pending",
        },
        "forbid": {
            "stage.group_iv",
            "goals.control",
            "about.spread_keeps_name",  # the sentinel node is not spread to far parts of the body
            "treatment_approaches.about_metastatic",
            "treatment_approaches.breast.her2_low",  # for HER2-low cancer that has spread
            "treatment_approaches.breast.her2_positive",
            "treatment_approaches.breast.germline_brca",  # BRCA results pending
            "treatment_approaches.breast.pik3ca_akt1_pten",
            "biomarkers.triple_negative",
            "treatment_approaches.breast.tnbc_sacituzumab",
            "treatment_approaches.breast.tnbc_pdl1",
            "questions.testing.breast_recurrence_score",  # her Recurrence Score (18) is in the records
        },
        "phrases": ["My BRCA1 result was still pending", "Grade and stage are not the same."],
    },
    # Sigmoid colon adenocarcinoma IVA, KRAS/NRAS/BRAF wild-type, MSS, HER2 negative, after FOLFOX.
    "colorectal": {
        "expect": {
            "about.colorectal",
            "stage.group_iv",
            "stage.subgroup_iv",
            "where_it_spreads.colorectal",
            "tumor_grade.versus_stage",  # G2
            "goals.control",
            "treatment_approaches.colorectal.ras_wild_type",
            "glossary.wild_type",
        },
        "forbid": {
            "questions.colorectal.sidedness",  # sigmoid colon: left-sided
            "treatment_approaches.colorectal.braf_v600e",  # BRAF V600E not detected
            "treatment_approaches.colorectal.kras_g12c",
            "treatment_approaches.colorectal.msi_high",
            "treatment_approaches.colorectal.her2",
            "missing.tests.colorectal",
            "goals.cure",
            "about.rectal",  # sigmoid colon
        },
        "phrases": ["left side of the colon", "panitumumab or cetuximab"],
    },
}
_FORBIDDEN_TEXT = re.compile(r"you should take|life expectancy|(%|percent)\s*(\w+\s+){0,2}surviv", re.I)


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def example(request: pytest.FixtureRequest) -> tuple[str, Analysis]:
    folder = EXAMPLES / request.param
    return request.param, analyze(sorted(folder.glob("*.pdf")))


def test_every_example_patient_has_expectations() -> None:
    assert sorted(p.parent.name for p in EXAMPLES.glob("*/expected.json")) == sorted(EXPECTED)


def test_profile_is_the_expected_one(example) -> None:
    name, analysis = example
    expected = json.loads((EXAMPLES / name / "expected.json").read_text(encoding="utf-8"))
    for field in ("cancer_type", "stage_group", "n", "m"):
        assert getattr(analysis.profile, field).value == expected[field], field


def test_guidance_has_the_expected_statements_and_none_forbidden(example) -> None:
    name, analysis = example
    rules = {s.rule_id for section in analysis.guidance.sections for s in section.statements}
    assert EXPECTED[name]["expect"] <= rules, sorted(EXPECTED[name]["expect"] - rules)
    assert not EXPECTED[name]["forbid"] & rules, sorted(EXPECTED[name]["forbid"] & rules)
    text = " ".join(s.text for section in analysis.guidance.sections for s in section.statements)
    for phrase in EXPECTED[name]["phrases"]:
        assert phrase in text, phrase
    assert not _FORBIDDEN_TEXT.search(text)


def test_records_are_cited_by_kind_and_date(example) -> None:
    _, analysis = example
    quoted = [
        s.text
        for section in analysis.guidance.sections
        for s in section.statements
        if "”, says your" in s.text
    ]
    assert quoted
    assert all(re.search(r"”, says your [a-z ]+ of \d{1,2} [A-Z][a-z]+ \d{4}, page \d+\.", t) for t in quoted)
