"""Sections of a page: where each header's text starts and, just as important, where it stops.

Headers come from data (`data/sections.yaml`). A compiled regex finds them instead of medspaCy's
Sectionizer: the Sectionizer needs a Doc of the whole page (~2.6 ms to tokenize a 3,500-character page
with scispaCy's tokenizer, over half the assertion budget) and matches header words in lower case
anywhere. TCGA's OCR'd reports run headers inline ("... Same. FINAL DIAGNOSIS: PART 1: ..."), so a
header counts at the start of a line or after the end of a sentence, followed by a colon or alone on
its line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from extractors.nlp.rules import section_rules

OTHER = "other"
_START = r"(?:^[ \t]*|(?<=[.;!?])[ \t]+)"
# An ALL-CAPS label of any kind ("SOCIAL HX:", "TUMOR SIZE:", "ADDENDUM #3:"): ends a bounded section.
_ANY_LABEL = re.compile(_START + r"(?P<title>[A-Z][A-Z0-9 /&()'#-]{1,40}?)[ \t]*:", re.MULTILINE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Section:
    title: str
    category: str
    start: int  # offset of the header's first character
    end: int  # offset just after the section's last character
    results: bool = True  # false: text describing a test (method, limitations, background)


@dataclass(frozen=True)
class _Kind:
    category: str
    bounded: bool
    max_chars: int | None
    results: bool


@cache
def _headers() -> tuple[re.Pattern[str], dict[str, _Kind]]:
    kinds: dict[str, _Kind] = {}
    for section in section_rules().sections:
        kind = _Kind(section.category, section.bounded, section.max_chars, section.results)
        for header in section.headers:
            kinds[_key(header)] = kind
    # Longest first so "FINAL DIAGNOSIS" wins over "DIAGNOSIS" at the same place.
    alternatives = "|".join(
        re.escape(header).replace(r"\ ", r"\s+") for header in sorted(kinds, key=len, reverse=True)
    )
    # Any case before a colon or alone on its line; ALL CAPS also before a period, because OCR turned
    # the line break after "HISTORY" or "MACROSCOPIC" into one.
    pattern = re.compile(
        _START + rf"(?:(?P<title>(?i:{alternatives}))(?![A-Za-z0-9])[ \t]*(?::|[ \t]*$)"
        rf"|(?P<caps>{alternatives})\.(?=\s))",
        re.MULTILINE,
    )
    return pattern, kinds


def _key(header: str) -> str:
    return " ".join(header.upper().split())


def sections(text: str) -> list[Section]:
    """The page's sections in order; text before the first header belongs to none."""
    return list(_page_sections(text))


# The biomarker and treatment extractors and the assertion step each ask for the sections of the same
# page in turn: the header regex runs over a page once, not three times.
@lru_cache(maxsize=8)
def _page_sections(text: str) -> tuple[Section, ...]:
    pattern, kinds = _headers()
    found = [
        (m.start(group), m.end(), m.group(group), kinds[_key(m.group(group))])
        for m in pattern.finditer(text)
        for group in ("title" if m.group("title") else "caps",)
    ]
    result: list[Section] = []
    for i, (start, body, title, kind) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        if kind.max_chars is not None:
            end = min(end, body + kind.max_chars)
        if kind.bounded:
            end, label = _bound(text, body, end)
            result.append(Section(title, kind.category, start, end, kind.results))
            if label is not None:
                next_start = found[i + 1][0] if i + 1 < len(found) else len(text)
                result.append(Section(label.group("title"), OTHER, label.start("title"), next_start))
            continue
        result.append(Section(title, kind.category, start, end, kind.results))
    return tuple(result)


def _bound(text: str, body: int, end: int) -> tuple[int, re.Match[str] | None]:
    """End of a bounded section: a blank line after its first words or an unlisted label, if sooner."""
    content = len(text[body:end]) - len(text[body:end].lstrip())
    blank = _BLANK_LINE.search(text, body + content, end)
    if blank is not None:
        end = blank.start()
    label = _ANY_LABEL.search(text, body, end)
    return (label.start("title"), label) if label is not None else (end, None)


def section_at(found: list[Section], offset: int) -> Section | None:
    """The section holding `offset`, given `sections(text)` (sorted, non-overlapping)."""
    index = bisect.bisect_right([s.start for s in found], offset) - 1
    if index >= 0 and found[index].start <= offset < found[index].end:
        return found[index]
    return None
