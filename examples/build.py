"""Render the fictional example records to PDF, the same bytes on every run.

Each patient folder holds `manifest.yaml` (who, which documents, their letterheads, tables and
scanned pages) and `sources/NN-name.txt` (the body text). Run from the repository root:
`python -m examples.build` (or `python examples/build.py [--out DIR] [PATIENT ...]`).

Body markup, one source line = one printed line (long lines wrap):
  `# HEADING`, `## Subheading`, `- bullet`, `Key: value` (key in bold), a blank line for space,
  `{{table:NAME}}` (a table of the manifest), `{{pagebreak}}`, and `{{scanned}} ... {{/scanned}}`:
  lines drawn into an image that fills a page of its own, like a faxed or scanned sheet, with no
  text layer (so that reading it needs OCR). In a scanned block, `A | B | C` lines form a table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import zlib
from functools import cache
from pathlib import Path
from typing import Literal

import matplotlib
import yaml
from fpdf import FPDF, FontFace
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pydantic import BaseModel, ConfigDict, Field, model_validator

EXAMPLES_DIR = Path(__file__).resolve().parent
FOOTER_NOTE = "FICTIONAL EXAMPLE RECORD - invented for software testing; not a real patient."
SCAN_DPI = 200
_LETTER_PT = (612.0, 792.0)
_MARGIN = 54.0
_LINE = 12.5
_KEY_VALUE = re.compile(r"^([A-Z][A-Za-z0-9 ,/()'.+-]{0,60}:)(\s.*)?$")
_DIRECTIVE = re.compile(r"^\{\{(table:[\w-]+|pagebreak|scanned|/scanned)\}\}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Table(_Model):
    columns: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None

    @model_validator(mode="after")
    def _rectangular(self) -> Table:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"row {row} has {len(row)} cells for {len(self.columns)} columns")
        if self.widths is not None and len(self.widths) != len(self.columns):
            raise ValueError("widths must give one width per column")
        return self


class Letterhead(_Model):
    name: str
    lines: list[str] = Field(default_factory=list)


class DocumentSpec(_Model):
    source: str = Field(pattern=r"^\d\d-[a-z0-9-]+\.txt$")
    kind: Literal["pathology", "genomic", "consult"]
    title: str
    date: dt.date
    letterhead: Letterhead
    header: dict[str, str] = Field(default_factory=dict, description="fields of the page-1 patient box")
    scanned_pages: list[int] = Field(default_factory=list, description="1-based pages drawn as images")
    tables: dict[str, Table] = Field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.source.removesuffix(".txt")


class Patient(_Model):
    name: str
    mrn: str
    dob: str = Field(pattern=r"^\d\d/\d\d/\d{4}$")
    sex: str


class Manifest(_Model):
    patient: Patient
    documents: list[DocumentSpec]


def load_manifest(folder: Path) -> Manifest:
    return Manifest.model_validate(yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8")))


def patient_folders(root: Path = EXAMPLES_DIR) -> list[Path]:
    return sorted(path.parent for path in root.glob("*/manifest.yaml"))


# --- scanned pages -----------------------------------------------------------------------------


@cache
def _scan_font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current]


def scanned_image(lines: list[str], seed: str) -> Image.Image:
    """A letter page at SCAN_DPI: the lines in DejaVu Sans, slightly rotated, speckled, bilevel."""
    width, height = (round(side / 72 * SCAN_DPI) for side in _LETTER_PT)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    body, bold, small = _scan_font(False, 30), _scan_font(True, 34), _scan_font(False, 24)
    left, right, y, step = 150, width - 150, 110, 44
    for line in lines:
        if line.startswith("% "):  # the fax machine's header line
            draw.text((left - 40, y), line[2:], font=small, fill=0)
            y += step
        elif line.startswith("#"):
            y += step // 3
            draw.text((left, y), line.lstrip("# "), font=bold, fill=0)
            y += step + 6
        elif " | " in line:
            cells = [cell.strip() for cell in line.split(" | ")]
            column = (right - left) / len(cells)
            for index, cell in enumerate(cells):
                draw.text((left + index * column, y), cell, font=body, fill=0)
            draw.line((left, y + step - 6, right, y + step - 6), fill=90, width=2)
            y += step + 4
        elif not line.strip():
            y += step // 2
        else:
            for part in _wrap(line, body, right - left):
                draw.text((left, y), part, font=body, fill=0)
                y += step
        if y > height - 150:
            raise ValueError("scanned block does not fit on one page")
    rng = random.Random(zlib.crc32(seed.encode()))
    image = image.rotate(rng.uniform(0.4, 0.8), resample=Image.Resampling.BICUBIC, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(0.5))
    pixels = image.load()
    for _ in range(width * height // 5000):  # dust and toner specks
        x, y = rng.randrange(width - 2), rng.randrange(height - 2)
        for dx, dy in ((0, 0), (1, 0), (0, 1))[: rng.randrange(1, 4)]:
            pixels[x + dx, y + dy] = 0
    return image.point(lambda value: 0 if value < 160 else 255).convert("1")


# --- text pages --------------------------------------------------------------------------------


class _RecordPDF(FPDF):
    def __init__(self, manifest: Manifest, spec: DocumentSpec) -> None:
        super().__init__(unit="pt", format="letter")
        self.manifest, self.spec = manifest, spec
        self.scan_next = False  # set just before add_page() for a page that is only an image
        self.scanned: list[int] = []
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=60)
        self.alias_nb_pages()

    def header(self) -> None:
        if self.scan_next:
            self.scanned.append(self.page_no())
            self.scan_next = False
            return
        head = self.spec.letterhead
        self.set_text_color(20, 45, 95)
        self.set_font("Helvetica", "B", 14 if self.page_no() == 1 else 10)
        self.cell(0, 17 if self.page_no() == 1 else 13, head.name, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(90, 90, 90)
        self.set_font("Helvetica", "", 8)
        if self.page_no() == 1:
            for line in head.lines:
                self.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
        else:
            patient = self.manifest.patient
            self.cell(0, 10, f"Patient: {patient.name}   MRN: {patient.mrn}   {self.spec.title} (continued)")
            self.ln(10)
        self.set_draw_color(20, 45, 95)
        self.set_line_width(1.2)
        self.line(_MARGIN, self.get_y() + 3, self.w - _MARGIN, self.get_y() + 3)
        self.set_text_color(0, 0, 0)
        self.ln(12)

    def footer(self) -> None:
        if self.page_no() in self.scanned:
            return
        self.set_y(-42)
        self.set_font("Helvetica", "I", 7.5)
        self.set_text_color(110, 110, 110)
        self.cell(0, 10, FOOTER_NOTE)
        self.set_x(_MARGIN)
        self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def _patient_box(pdf: _RecordPDF) -> None:
    spec, patient = pdf.spec, pdf.manifest.patient
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 18, spec.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    fields = [
        ("Patient", patient.name),
        ("MRN", patient.mrn),
        ("DOB", patient.dob),
        ("Sex", patient.sex),
        *spec.header.items(),
    ]
    pdf.set_font("Helvetica", "", 8.5)
    with pdf.table(
        col_widths=(1.3, 2.2, 1.3, 2.2),
        first_row_as_headings=False,
        borders_layout="NONE",
        cell_fill_color=245,
        cell_fill_mode="ALL",
        text_align="LEFT",
        line_height=11,
        padding=(2, 4),
    ) as table:
        for index in range(0, len(fields), 2):
            row = table.row()
            for key, value in fields[index : index + 2]:
                row.cell(f"{key}:", style=FontFace(emphasis="BOLD"))
                row.cell(value)
            if len(fields[index : index + 2]) == 1:
                row.cell("")
                row.cell("")
    pdf.ln(8)


def _table(pdf: _RecordPDF, table: Table) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 8.5)
    with pdf.table(
        col_widths=tuple(table.widths) if table.widths else None,
        headings_style=FontFace(emphasis="BOLD", fill_color=(225, 231, 242)),
        text_align="LEFT",
        line_height=11,
        padding=(2, 4),
    ) as rendered:
        for cells in [table.columns, *table.rows]:
            row = rendered.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(6)


def _text_line(pdf: _RecordPDF, line: str) -> None:
    width = pdf.w - 2 * _MARGIN
    if line.startswith("# "):
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 10)
        pdf.set_fill_color(232, 236, 244)
        pdf.cell(width, 14, line[2:], fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    elif line.startswith("## "):
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.multi_cell(width, _LINE, line[3:], new_x="LMARGIN", new_y="NEXT")
    elif line.startswith("- "):
        pdf.set_font("Helvetica", "", 9.5)
        pdf.set_x(_MARGIN + 8)
        pdf.cell(10, _LINE, "-")
        pdf.multi_cell(width - 18, _LINE, line[2:], new_x="LMARGIN", new_y="NEXT")
    elif not line.strip():
        pdf.ln(_LINE / 2)
    elif match := _KEY_VALUE.match(line):
        pdf.set_font("Helvetica", "B", 9.5)
        pdf.write(_LINE, match.group(1))
        pdf.set_font("Helvetica", "", 9.5)
        pdf.write(_LINE, match.group(2) or "")
        pdf.ln(_LINE)
    else:
        pdf.set_font("Helvetica", "", 9.5)
        pdf.multi_cell(width, _LINE, line, new_x="LMARGIN", new_y="NEXT")


def render(manifest: Manifest, spec: DocumentSpec, source_text: str) -> bytes:
    """One document's PDF; fixed dates and identifiers make the bytes depend on the input only."""
    pdf = _RecordPDF(manifest, spec)
    stamp = dt.datetime.combine(spec.date, dt.time(12, 0), tzinfo=dt.UTC)
    pdf.set_creation_date(stamp)
    pdf.set_title(f"{spec.title} (fictional example)")
    pdf.set_author(spec.letterhead.name)
    pdf.set_subject(FOOTER_NOTE)
    pdf.set_creator("OncoGuide examples/build.py")
    pdf.set_producer("fpdf2")
    pdf.set_lang("en-US")
    pdf.add_page()
    _patient_box(pdf)
    block: list[str] | None = None
    for line in source_text.splitlines():
        directive = _DIRECTIVE.match(line.strip())
        name = directive.group(1) if directive else None
        if block is not None:
            if name == "/scanned":
                pdf.scan_next = True
                pdf.add_page()
                image = scanned_image(block, f"{spec.source}:{pdf.page_no()}")
                pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)
                block = None
            else:
                block.append(line)
        elif name == "scanned":
            block = []
        elif name == "pagebreak":
            pdf.add_page()
        elif name and name.startswith("table:"):
            _table(pdf, spec.tables[name.removeprefix("table:")])
        else:
            _text_line(pdf, line)
    if block is not None:
        raise ValueError(f"{spec.source}: {{{{scanned}}}} block is not closed")
    if pdf.scanned != spec.scanned_pages:
        raise ValueError(
            f"{spec.source}: scanned pages are {pdf.scanned}, manifest says {spec.scanned_pages}"
        )
    return bytes(pdf.output())


def build(
    root: Path = EXAMPLES_DIR, out: Path | None = None, patients: list[str] | None = None
) -> list[Path]:
    """Render every document of every (or the named) patient; write only files whose bytes changed."""
    written: list[Path] = []
    for folder in patient_folders(root):
        if patients and folder.name not in patients:
            continue
        manifest = load_manifest(folder)
        target = (out / folder.name) if out else folder
        target.mkdir(parents=True, exist_ok=True)
        for spec in manifest.documents:
            text = (folder / "sources" / spec.source).read_text(encoding="utf-8")
            data = render(manifest, spec, text)
            path = target / f"{spec.stem}.pdf"
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patients", nargs="*", help="patient folders to build (default: all)")
    parser.add_argument("--out", type=Path, help="write here instead of beside the sources")
    args = parser.parse_args(argv)
    for path in build(EXAMPLES_DIR, args.out, args.patients or None):
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
