"""What kind of record a document is and its date, so guidance can name it to the reader.

Pure: a Document in, a DocumentRef out. The kind comes from the first title phrase near the top of the
first page (data/documents.yaml); the date from the first labeled date there ("Reported: 02/18/2026",
"Date of service: 11/10/2026"). Either may be unknown; the file name always stands in.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from oncoguide.domain import Document, DocumentRef

_DATA = Path(__file__).with_name("data") / "documents.yaml"
_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}  # fmt: skip
_DATE = (
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"  # US numeric dates, as US records write them
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
    r"|(?P<td>\d{1,2})\s+(?P<tm>[A-Za-z]{3,9})\.?\s+(?P<ty>\d{4})"
    r"|(?P<um>[A-Za-z]{3,9})\.?\s+(?P<ud>\d{1,2}),?\s+(?P<uy>\d{4})"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DocumentKind(_Model):
    label: str
    phrases: list[str] = Field(min_length=1)


class DocumentData(_Model):
    version: int
    header_chars: int = Field(gt=0)
    kinds: list[DocumentKind] = Field(min_length=1)
    date_labels: list[str] = Field(min_length=1)


@cache
def _data() -> tuple[DocumentData, list[tuple[str, re.Pattern[str]]], re.Pattern[str]]:
    data = DocumentData.model_validate(yaml.safe_load(_DATA.read_text(encoding="utf-8")))
    kinds = [
        (kind.label, re.compile(r"\b(?:" + "|".join(map(re.escape, kind.phrases)) + r")\b", re.IGNORECASE))
        for kind in data.kinds
    ]
    labels = "|".join(sorted(map(re.escape, data.date_labels), key=len, reverse=True))
    dated = re.compile(rf"\b(?:{labels})\s*[:\-]?\s*(?:{_DATE})", re.IGNORECASE)
    return data, kinds, dated


def describe(document: Document) -> DocumentRef:
    data, kinds, dated = _data()
    header = document.pages[0].text[: data.header_chars] if document.pages else ""
    found = [(match.start(), label) for label, pattern in kinds if (match := pattern.search(header))]
    date_match = dated.search(header)
    return DocumentRef(
        id=document.id,
        filename=document.filename,
        kind=min(found)[1] if found else None,
        date=_date(date_match) if date_match else None,
    )


def _date(match: re.Match[str]) -> dt.date | None:
    g = match.groupdict()
    try:
        if g["y"]:
            return dt.date(int(g["y"]), int(g["m"]), int(g["d"]))
        if g["iy"]:
            return dt.date(int(g["iy"]), int(g["im"]), int(g["id"]))
        if g["ty"]:
            month = _MONTHS.get(g["tm"].lower())
            return dt.date(int(g["ty"]), month, int(g["td"])) if month else None
        month = _MONTHS.get(g["um"].lower())
        return dt.date(int(g["uy"]), month, int(g["ud"])) if month else None
    except ValueError:  # "13/45/2026": not a date
        return None


def lint() -> list[str]:
    try:
        data, _, _ = _data()
    except (OSError, ValueError, yaml.YAMLError, re.error) as error:
        return [f"documents.yaml: {error}"]
    phrases = [p.lower() for kind in data.kinds for p in kind.phrases]
    return [f"documents.yaml: {p!r} is listed twice" for p in sorted(set(phrases)) if phrases.count(p) > 1]
