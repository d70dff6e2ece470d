"""Each example patient's records reproduce the expected profile in examples/<patient>/expected.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oncoguide.domain import Analysis, Assertion, Finding
from oncoguide.paths import EXAMPLES
from oncoguide.pipeline import analyze

PATIENTS = sorted(path.parent.name for path in EXAMPLES.glob("*/expected.json"))
SCALAR_FIELDS = ("cancer_type", "organ", "t", "n", "m", "stage_group")


@pytest.fixture(scope="module", params=PATIENTS)
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], Analysis]:
    folder: Path = EXAMPLES / request.param
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return expected, analyze(sorted(folder.glob("*.pdf")))


def test_there_are_three_example_patients() -> None:
    assert len(PATIENTS) >= 3


def test_scalar_fields_match(case) -> None:
    expected, analysis = case
    profile = analysis.profile
    got = {name: getattr(profile, name).value for name in SCALAR_FIELDS}
    assert got == {name: expected.get(name) for name in SCALAR_FIELDS}


def test_every_chosen_value_carries_evidence(case) -> None:
    _, analysis = case
    for name in SCALAR_FIELDS:
        field = getattr(analysis.profile, name)
        if field.value is not None and field.chosen is not None:
            assert field.chosen.evidence, name
            quote = field.chosen.evidence[0]
            document = next(d for d in analysis.documents if d.id == quote.document_id)
            assert document.pages[quote.page - 1].text[quote.start : quote.end] == quote.quote


def _matches(finding: Finding, wanted: dict[str, Any]) -> bool:
    biomarker = finding.biomarker
    assert biomarker is not None
    got = biomarker.model_dump(mode="json")
    return all(got.get(key) == value for key, value in wanted.items())


def test_expected_biomarkers_are_found(case) -> None:
    expected, analysis = case
    missing = [
        wanted
        for wanted in expected.get("biomarkers", [])
        if not any(_matches(finding, wanted) for finding in analysis.profile.biomarkers)
    ]
    assert not missing


def test_expected_treatments_are_found(case) -> None:
    expected, analysis = case
    found = {
        (f.treatment.agent, f.treatment.status.value) for f in analysis.profile.treatments if f.treatment
    }
    wanted = {(t["agent"], t["status"]) for t in expected.get("treatments", [])}
    assert wanted <= found


def test_family_history_never_becomes_the_patients_cancer(case) -> None:
    _, analysis = case
    family = [f for f in analysis.findings if f.assertion is Assertion.FAMILY]
    chosen = analysis.profile.cancer_type.chosen
    assert chosen is None or chosen not in family
