"""Treatment history: names, regimens, status cues, dates, lines, traps and reconciliation."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest

from extractors import treatments
from extractors.base import PageText
from extractors.nlp import assign_assertions
from oncoguide.domain import Assertion, DrugClass, Finding, TreatmentModality, TreatmentStatus
from oncoguide.paths import EXAMPLES

_KEPT = {Assertion.PRESENT, Assertion.HISTORICAL, Assertion.HYPOTHETICAL}  # as extractors/reconcile.py


def _found(text: str, document_id: str = "doc") -> list[Finding]:
    return treatments.extract(PageText(document_id, 1, text))


def _statuses(text: str) -> dict[str, str]:
    return {f.value: f.treatment.status.value for f in _found(text) if f.treatment}


def _asserted(text: str, document_id: str = "doc") -> list[Finding]:
    """Findings that survive the caller's ConText pass, as the pipeline keeps them."""
    found = _found(text, document_id)
    spans = [(f.evidence[0].start, f.evidence[0].end) for f in found]
    return [f for f, a in zip(found, assign_assertions(text, spans), strict=True) if a in _KEPT]


def test_the_lexicon_lints_clean() -> None:
    assert treatments.lint() == []


@pytest.mark.parametrize(
    ("text", "agent", "status"),
    [
        ("She received four cycles of docetaxel and cyclophosphamide.", "docetaxel", "received"),
        ("Paclitaxel weekly x 12 doses, then surgery.", "paclitaxel", "received"),
        ("He is s/p right upper lobectomy in 2021.", "lobectomy", "received"),
        ("She completed adjuvant capecitabine last spring.", "capecitabine", "received"),
        ("Progression after 6 cycles of gemcitabine.", "gemcitabine", "received"),
        ("He is currently on osimertinib 80 mg daily.", "osimertinib", "ongoing"),
        ("Continue tamoxifen for now.", "tamoxifen", "ongoing"),
        ("She will start abemaciclib with fulvestrant next month.", "abemaciclib", "planned"),
        ("Plan lumpectomy with sentinel node biopsy.", "lumpectomy", "planned"),
        (
            "We recommend stereotactic body radiation therapy to the lung nodule.",
            "stereotactic body radiation therapy",
            "planned",
        ),
        ("We discussed olaparib as maintenance.", "olaparib", "considered"),
        ("Cabozantinib is an alternative.", "cabozantinib", "considered"),
        ("The patient declined chemotherapy.", "chemotherapy", "declined"),
    ],
)
def test_status_cues(text: str, agent: str, status: str) -> None:
    assert _statuses(text).get(agent) == status


def test_a_therapy_stopped_for_a_reason_was_received_with_that_reason() -> None:
    found = _found("Nivolumab was discontinued because of colitis; last dose 02/14/2025.")
    treatment = found[0].treatment
    assert treatment is not None
    assert (treatment.agent, treatment.status) == ("nivolumab", TreatmentStatus.RECEIVED)
    assert treatment.reason_stopped == "toxicity"
    assert treatment.end == dt.date(2025, 2, 14)
    progression = _found("Stopped erlotinib due to progression of disease.")[0].treatment
    assert progression is not None and progression.reason_stopped == "progression"


def test_not_recommended_and_not_indicated_are_no_treatment() -> None:
    assert _found("Chemotherapy: not recommended given the low score.") == []
    assert _found("Adjuvant radiotherapy is not indicated after this resection.") == []


def test_brand_names_normalise_to_the_generic_name_with_class_and_code() -> None:
    [finding] = _found("He received Keytruda every 3 weeks.")
    treatment = finding.treatment
    assert treatment is not None
    assert (finding.value, treatment.agent, treatment.drug_class) == (
        "pembrolizumab",
        "pembrolizumab",
        DrugClass.IMMUNOTHERAPY,
    )
    assert finding.evidence[0].quote == "Keytruda"
    carboplatin = _found("Received Paraplatin.")[0].treatment
    assert carboplatin is not None and carboplatin.rxnorm == "40048"


def test_regimen_acronyms_expand_to_their_agents_cited_on_the_acronym() -> None:
    text = "She had 8 cycles of mFOLFOX6 before the liver resection."
    found = _found(text)
    assert {f.value for f in found} >= {"fluorouracil", "leucovorin", "oxaliplatin", "hepatectomy"}
    for finding in found:
        quote = finding.evidence[0]
        assert text[quote.start : quote.end] == quote.quote
    assert {f.evidence[0].quote for f in found if f.value == "oxaliplatin"} == {"mFOLFOX6"}
    assert {f.value for f in _found("Completed CAPOX x 8 cycles.")} == {"capecitabine", "oxaliplatin"}


def test_ambiguous_acronyms_need_capitals_and_treatment_words_nearby() -> None:
    assert _found("Dose-dense AC x 4 cycles followed by weekly paclitaxel.")
    assert {f.value for f in _found("Dose-dense AC x 4 cycles.")} == {"doxorubicin", "cyclophosphamide"}
    # "AC" as an abbreviation, or in lower case, is no regimen.
    assert _found("The AC joint is tender; sections labeled TC show tumor with capsule.") == []
    assert _found("Gleason score 4+3=7, grade group 3; no ac seen.") == []


def test_dates_and_line_of_therapy_on_the_same_line() -> None:
    text = "- 01/10/2025 to 06/02/2025: first-line carboplatin + paclitaxel x 6 cycles."
    found = {f.value: f.treatment for f in _found(text)}
    carboplatin = found["carboplatin"]
    assert carboplatin is not None
    assert (carboplatin.start, carboplatin.end) == (dt.date(2025, 1, 10), dt.date(2025, 6, 2))
    assert carboplatin.line == 1
    assert carboplatin.status is TreatmentStatus.RECEIVED
    planned = _found("2. Second-line therapy: plan docetaxel, to start 07/01/2025.")[0].treatment
    assert planned is not None
    assert (planned.status, planned.line, planned.start) == (TreatmentStatus.PLANNED, 2, dt.date(2025, 7, 1))


def test_maintenance_keeps_the_line_stated_before() -> None:
    text = "After first-line chemotherapy she went on to maintenance pemetrexed, completed in May."
    pemetrexed = next(f.treatment for f in _found(text) if f.value == "pemetrexed")
    assert pemetrexed is not None and pemetrexed.line == 1


def test_lab_report_therapy_associations_are_not_treatments() -> None:
    text = (
        "INTERPRETATION\nThe FDA has approved erlotinib and osimertinib for tumors with this alteration.\n"
        "Variants of uncertain significance: none."
    )
    assert _found(text) == []
    assert _found("This variant has been associated with resistance to cetuximab.") == []


def test_a_drug_discussed_with_its_approval_is_considered() -> None:
    text = "We discussed sotorasib, a KRAS inhibitor approved by the FDA for this setting, as an option."
    assert _statuses(text) == {"sotorasib": "considered"}


def test_supportive_and_non_cancer_drugs_are_not_reported() -> None:
    text = "Medications: denosumab monthly, ondansetron as needed, metformin, lisinopril, gabapentin."
    assert _found(text) == []


def test_radiation_oncology_is_a_department_not_a_treatment() -> None:
    assert _statuses("Referred to radiation oncology for whole-breast radiation.") == {
        "whole-breast radiation": "planned"
    }


def test_a_form_field_answered_no_is_no_treatment() -> None:
    assert _found("PRIOR MALIGNANCY: No. CHEMORADIATION THERAPY: No. ORGAN TRANSPLANT: No.") == []
    assert _found("NEOADJUVANT THERAPY: Not provided.") == []


def test_family_history_and_negation_are_dropped_by_the_assertion_pass() -> None:
    text = "FAMILY HISTORY:\nHer mother was treated with tamoxifen for breast cancer.\n"
    assert _asserted(text) == []
    assert _asserted("She has had no prior chemotherapy.") == []


def _treatment(document_id: str, agent: str, status: str, start: int = 0) -> Finding:
    text = " " * start + agent
    found = _found(text, document_id)
    assert found, agent
    finding = found[0]
    assert finding.treatment is not None
    return finding.model_copy(
        update={"treatment": finding.treatment.model_copy(update={"status": TreatmentStatus(status)})}
    )


def _selected(findings: list[Finding]) -> set[tuple[str, str]]:
    return {
        (f.value, f.treatment.status.value) for f in treatments.select_treatments(findings) if f.treatment
    }


def test_a_later_document_saying_received_supersedes_an_earlier_plan() -> None:
    findings = [_treatment("note1", "letrozole", "planned"), _treatment("note2", "letrozole", "received")]
    assert _selected(findings) == {("letrozole", "received")}


def test_a_plan_in_the_latest_note_stays_planned_beside_what_was_given() -> None:
    findings = [
        _treatment("note1", "leucovorin", "received"),
        _treatment("note2", "leucovorin", "received"),
        _treatment("note2", "leucovorin", "planned", start=40),
        _treatment("note2", "irinotecan", "planned", start=60),
    ]
    assert _selected(findings) == {
        ("leucovorin", "received"),
        ("leucovorin", "planned"),
        ("irinotecan", "planned"),
    }


def test_considered_gives_way_to_a_plan_and_duplicates_merge() -> None:
    findings = [
        _treatment("note1", "panitumumab", "considered"),
        _treatment("note1", "panitumumab", "planned", start=30),
        _treatment("note1", "panitumumab", "planned", start=60),
    ]
    selected = treatments.select_treatments(findings)
    assert [(f.value, f.treatment.status.value) for f in selected if f.treatment] == [
        ("panitumumab", "planned")
    ]
    assert len(selected[0].evidence) == 2


def test_received_and_ongoing_keep_the_latest() -> None:
    findings = [_treatment("note1", "tamoxifen", "ongoing"), _treatment("note2", "tamoxifen", "received")]
    assert _selected(findings) == {("tamoxifen", "received")}


def test_modalities() -> None:
    by_agent = {f.value: f.treatment for f in _found("S/p left mastectomy and adjuvant radiotherapy.")}
    assert by_agent["mastectomy"] is not None and by_agent["mastectomy"].modality is TreatmentModality.SURGERY
    radiation = by_agent["radiation therapy"]
    assert radiation is not None and radiation.modality is TreatmentModality.RADIATION


@pytest.mark.devset
def test_dev_set_reports_are_read_fast_and_name_few_systemic_therapies(devset: list[dict[str, Any]]) -> None:
    started = time.perf_counter()
    found = [f for record in devset for f in _found(record["text"], record["id"])]
    elapsed = time.perf_counter() - started
    assert elapsed < 0.01 * len(devset)  # well under 10 ms a report
    for finding in found:
        quote = finding.evidence[0]
        assert quote.quote and finding.treatment is not None
    systemic = [f for f in found if f.treatment and f.treatment.modality is TreatmentModality.SYSTEMIC]
    # Pathology reports name a resection often and systemic therapy rarely.
    assert len(systemic) < 0.05 * len(devset)


@pytest.mark.devset
def test_cue_groups_matched_at_once_find_what_each_group_with_its_own_word_boundaries_finds(
    devset: list[dict[str, Any]],
) -> None:
    """The cue regexes test the word boundaries once around all the groups: the same cues, at the same
    places and of the same group, as each group testing them itself."""
    texts = [r["text"] for r in devset[:300]] + [
        p.read_text("utf-8") for p in EXAMPLES.glob("*/sources/*.txt")
    ]
    cues = list(enumerate(treatments._lexicon().lexicon.cues))
    found = 0
    for side in ("before", "after"):
        for weak in (False, True):
            groups = [(i, group) for i, group in cues if group.weak is weak]
            each = "|".join(
                f"(?P<g{i}>{treatments._words(getattr(g, side))})" for i, g in groups if getattr(g, side)
            )
            separately = re.compile(each or "(?!)", re.IGNORECASE)
            together = treatments._cue_regex(groups, side)
            for text in texts:
                expected = [(m.span(), m.lastgroup) for m in separately.finditer(text)]
                assert [(m.span(), m.lastgroup) for m in together.finditer(text)] == expected
                found += len(expected)
    assert found > 1000
