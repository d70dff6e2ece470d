"""The kind and date of a record, read from the top of its first page, name it in guidance."""

from __future__ import annotations

import datetime as dt

import pytest

from extractors.document_info import describe, lint
from oncoguide.paths import EXAMPLES
from oncoguide.pipeline import analyze, text_document


@pytest.mark.parametrize(
    ("header", "kind", "date"),
    [
        (
            "SURGICAL PATHOLOGY REPORT\nAccession: S1 Reported: 02/18/2026",
            "pathology report",
            dt.date(2026, 2, 18),
        ),
        (
            "COMPREHENSIVE GENOMIC PROFILING REPORT\nReport date: 2026-03-02",
            "genomic test report",
            dt.date(2026, 3, 2),
        ),
        (
            "MEDICAL ONCOLOGY CONSULTATION\nDate of service: 10 November 2026",
            "oncology note",
            dt.date(2026, 11, 10),
        ),
        ("Progress note. Visit date: March 3, 2025.", "oncology note", dt.date(2025, 3, 3)),
        ("A letter with no title. Reported: 13/45/2026", None, None),
    ],
)
def test_kind_and_date_from_the_header(header: str, kind: str | None, date: dt.date | None) -> None:
    ref = describe(text_document(header + "\n\nFINAL DIAGNOSIS: adenocarcinoma.", "d1", "letter.pdf"))
    assert (ref.kind, ref.date) == (kind, date)


def test_labels_read_as_a_patient_would_say_them() -> None:
    ref = describe(text_document("SURGICAL PATHOLOGY REPORT\nReported: 08/14/2026", "d1", "p.pdf"))
    assert ref.label() == "pathology report of 14 August 2026"
    assert describe(text_document("no title here", "d2", "scan.pdf")).label() == "record scan.pdf"


def test_guidance_cites_the_example_records_by_kind_and_date() -> None:
    analysis = analyze(sorted((EXAMPLES / "breast").glob("*.pdf")))
    texts = [s.text for section in analysis.guidance.sections for s in section.statements]
    assert any("says your pathology report of 14 August 2026, page" in text for text in texts)
    assert not any("01-pathology.pdf" in text for text in texts)


def test_document_data_lints_clean() -> None:
    assert lint() == []
