"""Renderers: disclaimer at both ends, escaped record text, an accessible page, a useful summary."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pypdfium2 as pdfium
import pytest
from test_knowledge import breast, lung, marker, unknown

from knowledge.engine import build_guidance
from oncoguide.domain import Analysis, DocumentRef, PatientProfile
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
    # about, metastatic, KRAS G12C, PD-L1 high, and the goals of control and comfort
    assert "Treatment approaches described for cancers like yours: 6" in text
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


# --- the biomarkers table ----------------------------------------------------------------------


class _Table(HTMLParser):
    """The biomarkers table: caption, header cells with their scope, and the rows' cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.caption = ""
        self.headers: list[tuple[str | None, str]] = []
        self.rows: list[list[str]] = []
        self._in: str | None = None
        self._scope: str | None = None
        self._text = ""
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "biomarkers") in attrs:
            self._inside = True
        if not self._inside:
            return
        if tag == "tr":
            self.rows.append([])
        if tag in ("caption", "th", "td"):
            self._in, self._scope, self._text = tag, dict(attrs).get("scope"), ""

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._inside = False
        if not self._inside or tag != self._in:
            return
        text = " ".join(self._text.split())
        if tag == "caption":
            self.caption = text
        else:
            self.headers += [(self._scope, text)] if tag == "th" else []
            self.rows[-1].append(text)
        self._in = None


def test_html_lists_biomarkers_in_an_accessible_table() -> None:
    page = render_html(analysis_of(lung()))
    table = _Table()
    table.feed(page)
    assert table.caption == "Biomarkers found in your records"
    assert table.rows[0] == ["Marker", "Result", "Value", "Where found"]
    assert all(scope == "col" for scope, _ in table.headers[:4])
    assert all(scope == "row" for scope, _ in table.headers[4:])
    body = table.rows[1:]
    assert len(body) == 3  # one row per biomarker of the profile
    assert ["EGFR", "negative", "-", "record doc-1, page 2"] in body
    assert ["KRAS", "positive", "p.G12C", "record doc-1, page 2"] in body
    assert ["PD-L1", "positive", "60 TPS", "record doc-1, page 2"] in body
    assert "Biomarkers</dt>" not in page  # the table replaces the long line
    assert "table.biomarkers thead { display: table-header-group; }" in page  # headers repeat on print


def test_html_biomarker_table_escapes_record_text_and_names_the_record() -> None:
    analysis = lung_with_script_quote()
    analysis.profile.biomarkers[0].biomarker.alteration = SCRIPT
    analysis.profile.documents = [
        DocumentRef(id="doc-1", filename="p.pdf", kind="pathology report", date=dt.date(2026, 2, 18))
    ]
    page = render_html(analysis)
    assert SCRIPT not in page and "&lt;script&gt;" in page
    table = _Table()
    table.feed(page)
    assert all(row[3] == "pathology report of 18 February 2026, page 2" for row in table.rows[1:])


def test_html_without_biomarkers_says_so_and_has_no_table() -> None:
    page = render_html(analysis_of(unknown()))
    assert '<table class="biomarkers">' not in page
    assert "<dt>Biomarkers</dt><dd>not found in the records</dd>" in page


def test_markdown_lists_biomarkers_in_a_table() -> None:
    text = render_markdown(analysis_of(breast()))
    lines = text.splitlines()
    head = lines.index("| Marker | Result | Value | Where found |")
    assert lines[head - 2] == "**Biomarkers found in your records**"
    assert lines[head + 1] == "|---|---|---|---|"
    rows = lines[head + 2 : head + 2 + len(breast().biomarkers)]
    assert "| ER | positive | 95 % | record doc-1, page 2 |" in rows
    assert "| HER2 | negative | score 1+ | record doc-1, page 2 |" in rows
    assert "| BRCA1 | pending | - | record doc-1, page 2 |" in rows
    assert all(row.count("|") == 5 for row in rows)
    found = text.split("## What we found in your records")[1].split("\n## ")[0]
    assert "- Biomarker:" not in found  # the table replaces one line per biomarker


def test_markdown_table_escapes_pipes_and_markup_in_record_text() -> None:
    analysis = lung_with_script_quote()
    analysis.profile.biomarkers[0].biomarker.alteration = "p.G12C | <b>x</b>"
    text = render_markdown(analysis)
    row = next(line for line in text.splitlines() if line.startswith("| KRAS"))
    assert row.count("|") - row.count("\\|") == 5
    assert "<b>" not in row


def test_markdown_without_biomarkers_says_so() -> None:
    assert "Biomarkers: not found in the records" in render_markdown(analysis_of(unknown()))


def test_pdf_lists_each_biomarker_with_where_it_was_found() -> None:
    text = pdf_text(render_pdf(analysis_of(lung())))
    assert "- KRAS: positive; value: p.G12C; found in: record doc-1, page 2" in text
