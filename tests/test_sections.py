"""Sections: headers found, categories right, and every section bounded."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from extractors.nlp import Section, assign_assertions, lint, section_at, sections
from oncoguide.domain import Assertion


def _categories(text: str) -> list[tuple[str, str]]:
    return [(s.title, s.category) for s in sections(text)]


def test_data_files_lint_clean() -> None:
    assert lint() == []


@pytest.mark.parametrize(
    ("header", "category"),
    [
        ("FINAL DIAGNOSIS", "final_diagnosis"),
        ("DIAGNOSIS", "final_diagnosis"),
        ("Synoptic Report", "synoptic"),
        ("CAP SUMMARY", "synoptic"),
        ("GROSS DESCRIPTION", "gross"),
        ("MICROSCOPIC DESCRIPTION", "microscopic"),
        ("ADDENDUM", "addendum"),
        ("IMMUNOHISTOCHEMISTRY", "ihc"),
        ("MOLECULAR RESULTS", "molecular_results"),
        ("Assessment and Plan", "assessment_plan"),
        ("ONCOLOGIC HISTORY", "oncologic_history"),
        ("Family History", "family_history"),
        ("CLINICAL HISTORY", "clinical_history"),
        ("COMMENT", "comment"),
        ("FROZEN SECTION DIAGNOSIS", "intraoperative"),
        ("Social History", "other"),
        ("Methodology", "test_description"),
        ("TEST DESCRIPTION", "test_description"),
        ("BACKGROUND", "test_description"),
        ("Results", "molecular_results"),
    ],
)
def test_header_categories(header: str, category: str) -> None:
    text = f"Report of a case.\n{header}: some words here.\n"
    assert _categories(text) == [(header, category)]


def test_inline_headers_of_ocr_text_and_longest_header_wins() -> None:
    text = (
        "PATIENT HISTORY: a biopsy. PRE-OP DIAGNOSIS: Prostate cancer. FINAL DIAGNOSIS: PART 1: "
        "adenocarcinoma. CASE SYNOPSIS: SYNOPTIC DATA - PRIMARY TUMOR."
    )
    assert _categories(text) == [
        ("PATIENT HISTORY", "clinical_history"),
        ("PRE-OP DIAGNOSIS", "clinical_history"),
        ("FINAL DIAGNOSIS", "final_diagnosis"),
        ("CASE SYNOPSIS", "synoptic"),
    ]


def test_a_header_word_inside_a_sentence_is_no_header() -> None:
    text = "The diagnosis: of carcinoma was made. Comment was made about the gross appearance."
    assert sections(text) == []


def test_all_caps_header_ended_by_an_ocr_period() -> None:
    text = "HISTORY. Large right upper lobe tumour. MACROSCOPIC. Six specimens. The diagnosis. Was made."
    assert _categories(text) == [("HISTORY", "clinical_history"), ("MACROSCOPIC", "gross")]


def test_header_alone_on_its_line() -> None:
    text = "GROSS DESCRIPTION\nA lobe of lung.\nMICROSCOPIC DESCRIPTION\nSheets of cells."
    assert _categories(text) == [("GROSS DESCRIPTION", "gross"), ("MICROSCOPIC DESCRIPTION", "microscopic")]


def test_sections_are_ordered_contiguous_and_cover_their_text() -> None:
    text = "CLINICAL HISTORY: lung mass.\nFINAL DIAGNOSIS: adenocarcinoma.\nCOMMENT: see addendum."
    found = sections(text)
    assert [s.start for s in found] == sorted(s.start for s in found)
    assert all(a.end == b.start for a, b in itertools.pairwise(found))
    assert found[-1].end == len(text)
    assert text[found[1].start : found[1].end].startswith("FINAL DIAGNOSIS: adenocarcinoma")
    assert section_at(found, text.index("adenocarcinoma")) == found[1]
    assert section_at(found, 0) == found[0]
    assert section_at([], 5) is None


def test_family_history_ends_at_the_next_header() -> None:
    text = "FAMILY HISTORY: Mother had breast cancer.\nDIAGNOSIS: negative for lymph node metastasis."
    family, diagnosis = sections(text)
    assert family == Section("FAMILY HISTORY", "family_history", 0, text.index("DIAGNOSIS"))
    assert diagnosis.category == "final_diagnosis"


def test_family_history_ends_at_an_unlisted_label() -> None:
    # "SOCIAL HX" is not in the data: any ALL-CAPS label still ends a bounded section.
    text = "FAMILY HISTORY: Father with colon cancer. SOCIAL HX: never smoker, no lymph node metastasis."
    family, other = sections(text)
    assert family.end == text.index("SOCIAL HX")
    assert (other.title, other.category, other.end) == ("SOCIAL HX", "other", len(text))


def test_family_history_ends_at_a_blank_line_and_at_its_length_bound() -> None:
    text = "FAMILY HISTORY:\nAunt with ovarian cancer.\n\nthe patient's nodes are negative for metastasis."
    (family,) = sections(text)
    assert family.end == text.index("\n\n")
    long_text = "FAMILY HISTORY: " + "Relatives are well. " * 60 + "Consider chemotherapy."
    (family,) = sections(long_text)
    assert family.end < long_text.index("Consider")


def test_test_descriptions_state_no_results_and_end_soon() -> None:
    # A method section is silenced for biomarkers; the result after its blank line, its next label or
    # its length bound is not.
    text = "METHOD: DNA is amplified by PCR and sequenced.\n\nKRAS G12D detected."
    (method,) = sections(text)
    assert (method.category, method.results, method.end) == ("test_description", False, text.index("\n\n"))
    text = "Disclaimer: " + "This test was developed by the laboratory. " * 20 + "EGFR L858R detected."
    (disclaimer,) = sections(text)
    assert disclaimer.end < text.index("EGFR")
    assert all(s.results for s in sections("FINAL DIAGNOSIS: adenocarcinoma. COMMENT: see addendum."))


def test_the_missed_header_trap_from_stack_notes() -> None:
    # The header after the family history is one no rule knows; the findings after it are the patient's.
    text = (
        "FAMILY HISTORY: Mother with breast cancer at 50.\n\n"
        "Pathologic findings reviewed with the patient\n"
        "The lymph nodes are negative for lymph node metastasis. Will consider chemotherapy.\n"
    )
    spans = [
        (m.start(), m.end()) for m in re.finditer(r"breast cancer|lymph node metastasis|chemotherapy", text)
    ]
    assert assign_assertions(text, spans) == [Assertion.FAMILY, Assertion.NEGATED, Assertion.HYPOTHETICAL]


def test_history_sections_do_not_make_findings_historical() -> None:
    text = (
        "CLINICAL HISTORY: 65 year old with lung mass.\n"
        "ONCOLOGIC HISTORY: Stage IIIA adenocarcinoma of the lung diagnosed in 2023.\n"
    )
    spans = [(m.start(), m.end()) for m in re.finditer(r"lung mass|adenocarcinoma", text)]
    assert assign_assertions(text, spans) == [Assertion.PRESENT, Assertion.PRESENT]


def test_dev_set_reports_have_bounded_ordered_sections(devset: list[dict[str, Any]]) -> None:
    with_diagnosis = 0
    for record in devset:
        text = record["text"]
        found = sections(text)
        assert all(0 <= s.start < s.end <= len(text) for s in found)
        assert all(a.end <= b.start for a, b in itertools.pairwise(found))
        assert all(s.end - s.start <= 400 + 40 for s in found if s.category == "family_history")
        with_diagnosis += any(s.category == "final_diagnosis" for s in found)
    # Most pathology reports state a (final) diagnosis under a header.
    assert with_diagnosis / len(devset) > 0.55
