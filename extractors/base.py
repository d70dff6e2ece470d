"""What every field extractor receives and the one way to cite a span of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from oncoguide.domain import Box, Evidence, Page, Word


@dataclass(frozen=True, slots=True)
class PageText:
    """One page of one document, as the field extractors see it."""

    document_id: str
    number: int
    text: str
    tables: list[list[list[str | None]]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)

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
            box=_box_around(self.words, start, end),
        )


def _box_around(words: list[Word], start: int, end: int) -> Box | None:
    inside = [w.box for w in words if w.start < end and w.start + len(w.text) > start]
    if not inside:
        return None
    return Box(
        x0=min(b.x0 for b in inside),
        top=min(b.top for b in inside),
        x1=max(b.x1 for b in inside),
        bottom=max(b.bottom for b in inside),
    )
