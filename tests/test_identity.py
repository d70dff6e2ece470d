"""Records of two different patients are never merged into one profile."""

from __future__ import annotations

from extractors.identity import distinct_patients, identity_of
from oncoguide.pipeline import text_document


def _doc(name: str, header: str):
    return text_document(f"{header}\nSURGICAL PATHOLOGY REPORT\nFinal diagnosis: ...", name, filename=name)


def test_identifiers_are_read_from_the_header() -> None:
    identity = identity_of(_doc("a", "Patient: DOE, JANE   MRN: 00-4471-92   DOB: 03/14/1961"))
    assert identity.mrn == "00447192"
    assert identity.dob == "03141961"


def test_same_patient_documents_stay_together_even_with_missing_identifiers() -> None:
    docs = [
        _doc("a", "MRN: 4471092 DOB: 03/14/1961"),
        _doc("b", "Medical Record Number 4471092"),
        _doc("c", ""),
    ]
    assert distinct_patients(docs) == [docs]


def test_different_record_numbers_split_the_case() -> None:
    first, second = _doc("a", "MRN: 4471092"), _doc("b", "MRN: 5550123")
    groups = distinct_patients([first, second])
    assert [[d.id for d in group] for group in groups] == [["a"], ["b"]]


def test_different_birth_dates_split_the_case() -> None:
    groups = distinct_patients([_doc("a", "DOB: 03/14/1961"), _doc("b", "Date of Birth: 1959-07-02")])
    assert len(groups) == 2
