"""Who a document is about, as far as its header says: to refuse mixing two patients in one case.

Only the medical record number and the date of birth are compared: names are spelled too many ways
(initials, order, OCR errors) to tell people apart safely, and a mismatch must be certain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from oncoguide.domain import Document

_DATA = Path(__file__).with_name("data") / "identity.yaml"
_HEADER_CHARS = 3_000  # identifiers stand in the header of the first page


class IdentityLabels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    medical_record_number: list[str]
    date_of_birth: list[str]


@dataclass(frozen=True)
class Identity:
    mrn: str | None
    dob: str | None


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    labels = IdentityLabels.model_validate(yaml.safe_load(_DATA.read_text(encoding="utf-8")))

    def after(words: list[str], value: str) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in words)
        return re.compile(rf"\b(?:{alternatives})\.?\s*(?:#|:)?\s*{value}", re.IGNORECASE)

    return (
        after(labels.medical_record_number, r"([A-Z0-9][A-Z0-9-]{3,19})\b"),
        after(labels.date_of_birth, r"(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2})"),
    )


def identity_of(document: Document) -> Identity:
    header = document.pages[0].text[:_HEADER_CHARS] if document.pages else ""
    mrn, dob = _patterns()
    mrn_match, dob_match = mrn.search(header), dob.search(header)
    return Identity(
        mrn=mrn_match.group(1).upper().replace("-", "") if mrn_match else None,
        dob=re.sub(r"\D", "", dob_match.group(1)) if dob_match else None,
    )


def distinct_patients(documents: list[Document]) -> list[list[Document]]:
    """Documents grouped by patient where their identifiers disagree; one group when they don't."""
    groups: list[tuple[Identity, list[Document]]] = []
    for document in documents:
        identity = identity_of(document)
        for known, members in groups:
            if _same_person(known, identity):
                members.append(document)
                break
        else:
            groups.append((identity, [document]))
    return [members for _, members in groups] if len(groups) > 1 else [list(documents)]


def _same_person(a: Identity, b: Identity) -> bool:
    """Different only when a shared identifier differs; missing identifiers never split a case."""
    if a.mrn and b.mrn and a.mrn != b.mrn:
        return False
    return not (a.dob and b.dob and a.dob != b.dob)


def lint() -> list[str]:
    try:
        _patterns()
    except (ValueError, yaml.YAMLError) as error:
        return [f"{_DATA.name}: {error}"]
    return []
