"""Renderers: disclaimer at both ends, escaped record text, an accessible page, a useful summary."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pypdfium2 as pdfium
import pytest
from test_knowledge import breast, lung, marker, unknown

from knowledge.engine import build_guidance
from oncoguide.domain import Analysis, PatientProfile
from oncoguide.render import render_html, render_markdown, render_pdf, render_summary

SCRIPT = "<script>alert('x')</script>"


def analysis_of(profile: PatientProfile) -> Analysis:
    return Analysis(
        generated_at=dt.datetime(2025, 11, 24, 12, 0, tzinfo=dt.UTC),
        documents=[],
        findings=[],
        profile=profile,
        guidance=build_guidance(profile),
    )


def lung_with_script_quote() -> Analysis:
    profile = lung()
    hostile = marker("KRAS", "positive", alteration="p.G12C")
    hostile.evidence[0].quote = f"KRAS G12C {SCRIPT} detected"
    profile.biomarkers = [hostile, *profile.biomarkers[1:]]
    return analysis_of(profile)


class _Structure(HTMLParser):
    """Collects tags and checks that every opened element is closed in order."""

    VOID = frozenset({"meta", "br", "link", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.errors: list[str] = []
        self.html_attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "html":
            self.html_attrs = dict(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


@pytest.mark.parametrize("make", [lung, breast, unknown])
def test_markdown_has_the_disclaimer_at_top_and_end(make) -> None:
    text = render_markdown(analysis_of(make()))
    assert text.lower().count("not medical advice") >= 2
    lines = [line for line in text.splitlines() if line.strip()]
    assert "not medical advice" in " ".join(lines[:3]).lower()
    assert "not medical advice" in " ".join(lines[-3:]).lower()
    assert "## Treatment approaches described for cancers like yours" in text or make is unknown


def test_markdown_escapes_markup_in_record_text() -> None:
    text = render_markdown(lung_with_script_quote())
    assert SCRIPT not in text
    assert r"\<script\>" in text


def test_html_is_well_formed_accessible_and_escapes_record_text() -> None:
    page = render_html(lung_with_script_quote())
    assert page.startswith("<!DOCTYPE html>")
    parser = _Structure()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    assert parser.html_attrs.get("lang") == "en"
    assert "script" not in parser.tags
    assert "&lt;script&gt;" in page
    assert {"h1", "h2", "main", "header", "footer", "style"} <= set(parser.tags)
    assert "@media print" in page
    assert page.lower().count("not medical advice") >= 2
    assert "<link" not in page and 'src="' not in page  # self-contained: no external files


def test_summary_names_type_stage_biomarkers_treatments_and_counts() -> None:
    text = render_summary(analysis_of(lung()))
    assert "Cancer type: LUAD" in text
    assert "Stage: IVB (pT2a pN2 pM1c; stated in the records)" in text
    assert "KRAS p.G12C: positive" in text
    assert "PD-L1 60 TPS: positive" in text
    assert "pembrolizumab (immunotherapy): received" in text
    assert "Treatment approaches described for cancers like yours: 4" in text
    assert text.lower().count("not medical advice") >= 1


def test_summary_says_plainly_what_was_not_found() -> None:
    text = render_summary(analysis_of(unknown()))
    assert "Cancer type: not found in the records" in text
    assert "Stage: not found in the records" in text
    assert "Biomarkers: not found in the records" in text


def pdf_text(data: bytes) -> str:
    """The PDF's text as a reader extracts it, with lines joined: what a screen reader would see."""
    document = pdfium.PdfDocument(data)
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    return " ".join(" ".join(pages).split())


@pytest.mark.parametrize("make", [lung, breast, unknown])
def test_pdf_parses_and_has_disclaimer_twice_sections_and_citations(make) -> None:
    analysis = analysis_of(make())
    data = render_pdf(analysis)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    disclaimer = " ".join(analysis.guidance.disclaimer.split())
    assert text.count(disclaimer) == 2
    assert text.index(disclaimer) < text.index("What we found in your records")
    assert text.rindex(disclaimer) > text.index(analysis.guidance.sections[-1].title)
    for section in analysis.guidance.sections:
        assert (section.title in text) is bool(section.statements), section.title
    cited = {s.url for section in analysis.guidance.sections for st in section.statements for s in st.sources}
    unwrapped = text.replace(" ", "")  # a long address wraps onto the next line
    assert cited and all(url in unwrapped for url in cited)


def test_pdf_shows_the_statements_and_where_they_were_found() -> None:
    analysis = analysis_of(lung())
    text = pdf_text(render_pdf(analysis))
    kras = next(s for s in analysis.guidance.sections[2].statements if s.rule_id == "biomarkers.kras")
    # Typographic quotes become plain ones in the PDF's core font.
    assert kras.text.replace("“", '"').replace("”", '"') in text
    assert "Found in: record doc-1, page 2" in text
    assert "Stage: IVB (pT2a pN2 pM1c; stated in the records)" in text


def test_pdf_keeps_hostile_or_unusual_record_text_as_plain_text() -> None:
    analysis = lung_with_script_quote()
    analysis.profile.biomarkers[0].evidence[0].quote = "KRAS G12C ≥ 5% — “detected” 検出"
    analysis = analysis_of(analysis.profile)
    text = pdf_text(render_pdf(analysis))
    assert 'KRAS G12C >= 5% - "detected" ??' in text


def test_analyze_output_writer_writes_the_pdf_as_bytes(tmp_path) -> None:
    from oncoguide.cli import OutputFormat, _write_outputs

    written = _write_outputs(
        analysis_of(lung()), tmp_path, [OutputFormat.PDF, OutputFormat.MD], render_markdown, render_html
    )
    assert [path.name for path in written] == ["guidance.pdf", "guidance.md"]
    assert "Your biomarkers" in pdf_text(written[0].read_bytes())
