"""Test documents built at test time (no binary fixtures in the repository): PDFs with fpdf2, page
images with PIL and matplotlib's bundled DejaVu Sans font."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
A4_POINTS = (595.28, 841.89)


def text_pdf(path: Path, pages: list[list[str]], *, encrypt: bool = False) -> Path:
    """A PDF with one text line per entry, 11 pt Helvetica, 6 mm line height."""
    pdf = FPDF()
    if encrypt:
        pdf.set_encryption(owner_password="owner-secret", user_password="user-secret")
    pdf.set_font("Helvetica", size=11)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def table_pdf(path: Path, heading: str, rows: list[tuple[str, ...]]) -> Path:
    """One page: a line of text, then a table with ruled cell borders."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    with pdf.table() as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.output(str(path))
    return path


def page_image(lines: list[str], *, size: tuple[int, int] = (1700, 900), font_px: int = 42) -> Image.Image:
    """Black text on white, like a 300-dpi scan of the top of a page (42 px ~ 10 pt)."""
    image = Image.new("L", size, color=255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), font_px)
    for index, line in enumerate(lines):
        draw.text((120, 120 + index * int(font_px * 1.6)), line, fill=0, font=font)
    return image


def image_pdf(path: Path, pages: list[Image.Image | list[str]], dpi: int = 300) -> Path:
    """A PDF whose pages are images (scans) or text lines, in the order given."""
    pdf = FPDF(unit="pt", format=A4_POINTS)
    pdf.set_font("Helvetica", size=11)
    for page in pages:
        pdf.add_page()
        if isinstance(page, Image.Image):
            pdf.image(page, x=0, y=0, w=page.width * 72 / dpi, h=page.height * 72 / dpi)
        else:
            for line in page:
                pdf.cell(0, 16, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def damage_pages(path: Path, *numbers: int) -> Path:
    """Overwrite the objects of the given pages (1-based) with an integer, keeping every byte offset.

    fpdf2 writes page objects in page order, each as `N 0 obj\\n<<\\n/Contents ...`; the page tree
    still points at them, so the reader sees pages that are not pages.
    """
    data = bytearray(path.read_bytes())
    pages = list(re.finditer(rb"(\d+) 0 obj\n(<<\n/Contents .*?>>)\nendobj", data, re.DOTALL))
    for number in numbers:
        start, end = pages[number - 1].span(2)
        data[start:end] = b"42".ljust(end - start)
    path.write_bytes(bytes(data))
    return path
