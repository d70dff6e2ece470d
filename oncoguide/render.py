"""Renderers of an Analysis: a terminal summary, Markdown, a self-contained HTML page and a PDF.

Every format opens and closes with the knowledge base's disclaimer. Record text (quotes, values read
from documents) is escaped in HTML by Jinja2's autoescape; the Markdown escapes the characters that
would turn a quote into markup; the PDF draws text only (fpdf2's core fonts, no markup parsed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, partial

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from jinja2 import Environment, PackageLoader, select_autoescape

from oncoguide.domain import (
    Analysis,
    Basis,
    Evidence,
    FieldStatus,
    Finding,
    PatientProfile,
    ProfileField,
    Statement,
)

_NOT_FOUND = "not found in the records"


def _field(field: ProfileField) -> str:
    if field.status == FieldStatus.CONFLICT:
        values = sorted({f.value for f in [*field.supporting, *field.conflicting]})
        return "records disagree (" + ", ".join(values) + ")"
    if field.status == FieldStatus.UNKNOWN or not field.value:
        return _NOT_FOUND
    return field.display or field.value


def _tnm(field: ProfileField) -> str | None:
    if field.status != FieldStatus.KNOWN or not field.value:
        return None
    prefix = field.chosen.prefix if field.chosen and field.chosen.prefix else ""
    return prefix + field.value


def stage_line(analysis: Analysis) -> str:
    """The stage with its T, N, M and basis: "IVB (T2a N2 M1c; stated in the records)"."""
    profile = analysis.profile
    stage = _field(profile.stage_group)
    tnm = " ".join(filter(None, (_tnm(profile.t), _tnm(profile.n), _tnm(profile.m))))
    chosen = profile.stage_group.chosen
    basis = None
    if profile.stage_group.status == FieldStatus.KNOWN and chosen:
        basis = "stated in the records" if chosen.basis == Basis.STATED else "worked out from T, N and M"
        if chosen.basis_note:
            basis += f": {chosen.basis_note}"
    details = "; ".join(filter(None, (tnm, basis)))
    return f"{stage} ({details})" if details else stage


def biomarker_text(finding: Finding) -> str:
    b = finding.biomarker
    if b is None:
        return finding.display
    parts = [b.marker, b.alteration, b.score and f"score {b.score}"]
    if b.value is not None:
        parts.append(f"{b.value:g}{' ' + b.unit if b.unit else ''}")
    return " ".join(filter(None, parts)) + f": {b.result.value.replace('_', ' ')}"


@dataclass(frozen=True)
class BiomarkerRow:
    """One biomarker as the tables show it: marker, result, value (change, score, number), where found."""

    marker: str
    result: str
    value: str
    where: str


def biomarker_rows(profile: PatientProfile) -> list[BiomarkerRow]:
    rows = []
    for finding in profile.biomarkers:
        b = finding.biomarker
        if b is None:
            continue
        number = f"{b.value:g}{' ' + b.unit if b.unit else ''}" if b.value is not None else None
        value = ", ".join(filter(None, (b.alteration, b.score and f"score {b.score}", number)))
        rows.append(
            BiomarkerRow(
                marker=b.marker,
                result=b.result.value.replace("_", " "),
                value=value or "-",
                where=_where(profile, finding.evidence) or "-",
            )
        )
    return rows


def treatment_text(finding: Finding) -> str:
    t = finding.treatment
    if t is None:
        return finding.display
    kind = t.drug_class.value if t.drug_class else t.modality.value
    return f"{t.agent} ({kind}): {t.status.value}" + (f", line {t.line}" if t.line else "")


def _where(profile: PatientProfile, evidence: list[Evidence]) -> str:
    """Each document and page once: "pathology.pdf p.1; ngs.pdf p.2"."""
    places = dict.fromkeys(f"{profile.document_label(e.document_id)}, page {e.page}" for e in evidence)
    return "; ".join(places)


def render_summary(analysis: Analysis) -> str:
    """A short plain-text summary for the terminal."""
    profile, guidance = analysis.profile, analysis.guidance
    lines = [
        guidance.disclaimer,
        "",
        f"Cancer type: {_field(profile.cancer_type)}",
        f"Stage: {stage_line(analysis)}",
        "Biomarkers: " + ("; ".join(map(biomarker_text, profile.biomarkers)) or _NOT_FOUND),
        "Treatments: " + ("; ".join(map(treatment_text, profile.treatments)) or _NOT_FOUND),
        "",
        "Guidance statements:",
        *(f"  {section.title}: {len(section.statements)}" for section in guidance.sections),
        "",
        guidance.disclaimer,
    ]
    return "\n".join(lines)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_statement(profile: PatientProfile, statement: Statement) -> list[str]:
    cites = ", ".join(f"[{_md(s.title)}]({s.url})" if s.url else _md(s.title) for s in statement.sources)
    lines = [f"- {_md(statement.text)}", f"  - Sources: {cites}"]
    if statement.evidence:
        lines.append(f"  - Found in: {_md(_where(profile, statement.evidence))}")
    return lines


def _md_biomarkers(profile: PatientProfile) -> list[str]:
    """The biomarkers as a Markdown table (a caption line above it, as Markdown has no caption)."""
    rows = biomarker_rows(profile)
    if not rows:
        return [f"Biomarkers: {_NOT_FOUND}"]
    lines = [
        "**Biomarkers found in your records**",
        "",
        "| Marker | Result | Value | Where found |",
        "|---|---|---|---|",
    ]
    lines += [f"| {_md(r.marker)} | {_md(r.result)} | {_md(r.value)} | {_md(r.where)} |" for r in rows]
    return lines


def render_markdown(analysis: Analysis) -> str:
    profile, guidance = analysis.profile, analysis.guidance
    lines = [
        "# Your cancer records, explained",
        "",
        f"> **{_md(guidance.disclaimer)}**",
        "",
        "## What we found in your records",
        "",
        f"- Cancer type: {_md(_field(profile.cancer_type))}",
        f"- Stage: {_md(stage_line(analysis))}",
        *(f"- Treatment: {_md(treatment_text(f))}" for f in profile.treatments),
        "",
        *_md_biomarkers(profile),
    ]
    for section in guidance.sections:
        if section.statements:
            lines += ["", f"## {_md(section.title)}", ""]
            for statement in section.statements:
                lines += _md_statement(profile, statement)
    lines += [
        "",
        "---",
        "",
        f"> **{_md(guidance.disclaimer)}**",
        "",
        f"Knowledge base {guidance.kb_version}.",
        "",
    ]
    return "\n".join(lines)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("oncoguide", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(analysis: Analysis) -> str:
    """A self-contained, printable HTML5 page; all record text is escaped by autoescape."""
    return (
        _environment()
        .get_template("guidance.html.j2")
        .render(
            guidance=analysis.guidance,
            cancer_type=_field(analysis.profile.cancer_type),
            stage=stage_line(analysis),
            biomarkers=biomarker_rows(analysis.profile),
            treatments=[treatment_text(f) for f in analysis.profile.treatments],
            where=partial(_where, analysis.profile),
            generated_at=analysis.generated_at.strftime("%Y-%m-%d"),
        )
    )


# --- PDF ---------------------------------------------------------------------------------------

# The PDF core fonts cover Latin-1 only: typographic marks become their plain forms, anything else "?".
# A core font keeps the PDF free of font files, the same on every machine.
_PDF_PLAIN = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "−": "-", "…": "...",
     "≥": ">=", "≤": "<=", "•": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " "}
)  # fmt: skip
_PDF_TITLE = "Your cancer records, explained"


def _pdf_text(text: str) -> str:
    return " ".join(text.translate(_PDF_PLAIN).split()).encode("latin-1", "replace").decode("latin-1")


class _GuidancePdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(90)
        self.cell(0, 5, f"{_PDF_TITLE} - page {self.page_no()} of {{nb}} - not medical advice", align="C")


def _pdf_block(pdf: FPDF, text: str, *, size: float = 11, style: str = "", height: float = 5.5, **kw) -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.multi_cell(0, height, _pdf_text(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT, **kw)


def _pdf_disclaimer(pdf: FPDF, disclaimer: str) -> None:
    """The disclaimer in a box, never split across two pages."""
    pdf.set_font("Helvetica", style="B", size=11)
    needed = pdf.multi_cell(0, 5.5, _pdf_text(disclaimer), padding=2.5, dry_run=True, output="HEIGHT")
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_draw_color(138, 75, 0)
    pdf.set_fill_color(255, 246, 229)
    pdf.set_line_width(0.6)
    _pdf_block(pdf, disclaimer, style="B", border=1, fill=True, padding=2.5)
    pdf.ln(4)


def render_pdf(analysis: Analysis) -> bytes:
    """A printable A4 PDF of the guidance: disclaimer first and last, every section, every citation."""
    profile, guidance = analysis.profile, analysis.guidance
    pdf = _GuidancePdf(format="A4")
    pdf.set_title(_PDF_TITLE)
    pdf.set_author("OncoGuide")
    pdf.set_subject("Informational guide to a person's cancer records. Not medical advice.")
    pdf.set_lang("en")
    pdf.set_creation_date(analysis.generated_at)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    _pdf_block(pdf, _PDF_TITLE, size=20, style="B", height=10)
    pdf.ln(2)
    _pdf_disclaimer(pdf, guidance.disclaimer)

    _pdf_block(pdf, "What we found in your records", size=15, style="B", height=8)
    facts = [
        ("Cancer type", _field(profile.cancer_type)),
        ("Stage", stage_line(analysis)),
        ("Treatments", "; ".join(map(treatment_text, profile.treatments)) or _NOT_FOUND),
    ]
    for label, value in facts:
        _pdf_block(pdf, f"{label}: {value}")
    rows = biomarker_rows(profile)
    _pdf_block(pdf, "Biomarkers:" if rows else f"Biomarkers: {_NOT_FOUND}")
    for row in rows:
        _pdf_block(
            pdf, f"- {row.marker}: {row.result}; value: {row.value}; found in: {row.where}", size=10, height=5
        )
    for section in guidance.sections:
        if not section.statements:
            continue
        pdf.ln(3)
        _pdf_block(pdf, section.title, size=15, style="B", height=8)
        for statement in section.statements:
            pdf.ln(1)
            _pdf_block(pdf, f"- {statement.text}")
            pdf.set_text_color(74)
            _pdf_block(pdf, "Sources:", size=9, height=4.5)
            for source in statement.sources:
                _pdf_block(pdf, f"{source.title} ({source.publisher})", size=9, height=4.5)
                if source.url:  # a long address wraps inside the word; the link stays whole
                    _pdf_block(pdf, source.url, size=8, height=4, link=source.url)
            if statement.evidence:
                _pdf_block(pdf, f"Found in: {_where(profile, statement.evidence)}", size=9, height=4.5)
            pdf.set_text_color(0)
    pdf.ln(5)
    _pdf_disclaimer(pdf, guidance.disclaimer)
    _pdf_block(
        pdf,
        f"Made on {analysis.generated_at:%Y-%m-%d} with knowledge base {guidance.kb_version}. Cancer types "
        "coded with OncoTree (CC BY 4.0). Health information from the National Cancer Institute and the "
        "U.S. Food and Drug Administration.",
        size=9,
        height=4.5,
    )
    return bytes(pdf.output())
