"""What every field extractor receives and the one way to cite a span of it."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from oncoguide.domain import Box, Evidence, Page, Word


@dataclass(frozen=True, slots=True)
class ShortForm:
    """What a short form defined by the document stands for on one page, and from where on it."""

    long_form: str
    after: int = 0  # page offset: on the defining page, only the uses after the definition count


@dataclass(frozen=True, slots=True)
class ShortFormUse:
    """A use of a defined short form on the page: its own characters and the long form it stands for."""

    start: int
    end: int
    long_form: str


@dataclass(frozen=True, slots=True)
class PageText:
    """One page of one document, as the field extractors see it."""

    document_id: str
    number: int
    text: str
    tables: list[list[list[str | None]]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    # Abbreviations the document defines for lexicon terms ("endometrial carcinoma (EC)"), by short
    # form: set by `extractors.nlp.abbreviations.with_abbreviations`.
    abbreviations: Mapping[str, ShortForm] = field(default_factory=dict)
    # The words in order of offset with their offsets apart, so that a span's words are found by bisection.
    _word_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if any(a.start > b.start for a, b in zip(self.words, self.words[1:], strict=False)):
            object.__setattr__(self, "words", sorted(self.words, key=lambda word: word.start))
        object.__setattr__(self, "_word_starts", tuple(word.start for word in self.words))

    @classmethod
    def of(cls, document_id: str, page: Page) -> PageText:
        return cls(document_id, page.number, page.text, page.tables, page.words)

    def evidence(self, start: int, end: int) -> Evidence:
        """Evidence for text[start:end], with the box around its words where they are known."""
        return Evidence(
            document_id=self.document_id,
            page=self.number,
            start=start,
            end=end,
            quote=self.text[start:end],
            box=self._box_around(start, end),
        )

    def _box_around(self, start: int, end: int) -> Box | None:
        # Words start in order and do not overlap: only the one starting at or before `start` and those
        # starting before `end` can touch the span.
        first = max(bisect_right(self._word_starts, start) - 1, 0)
        last = bisect_left(self._word_starts, end)
        inside = [w.box for w in self.words[first:last] if w.start + len(w.text) > start]
        if not inside:
            return None
        return Box(
            x0=min(b.x0 for b in inside),
            top=min(b.top for b in inside),
            x1=max(b.x1 for b in inside),
            bottom=max(b.bottom for b in inside),
        )

    def short_form_uses(self) -> list[ShortFormUse]:
        """Where the page uses a short form the document defined, each with the long form it stands for."""
        if not self.abbreviations:
            return []
        return [
            ShortFormUse(m.start(), m.end(), defined.long_form)
            for m in _short_form_pattern(tuple(self.abbreviations)).finditer(self.text)
            if m.start() >= (defined := self.abbreviations[m.group()]).after
        ]


@lru_cache(maxsize=256)  # one per document's set of short forms, reused by its pages and extractors
def _short_form_pattern(short_forms: tuple[str, ...]) -> re.Pattern[str]:
    # As written (case-sensitive) and as a whole word: "CA" is not "Ca", "CA-125" or "CAT".
    alternatives = "|".join(re.escape(s) for s in sorted(short_forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?!\w|-\w)")
