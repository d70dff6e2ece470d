"""The text layer of PDF pages with pypdfium2, and tables with pdfplumber where ruling lines suggest one.

pypdfium2 reads ~1,300 pages/s; pdfplumber ~13, so it opens only the pages that have enough vector
paths (ruled tables are drawn with lines or rectangles, and pdfplumber's default table finder needs
them anyway).
"""

from __future__ import annotations

import ctypes
import io
import re
from dataclasses import dataclass

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from oncoguide.domain import Box, Word, constructor

from .errors import CorruptPdf, EncryptedPdf

# A page with fewer visible characters than this has no usable text layer (a scan, perhaps with a
# page number stamped on it).
MIN_TEXT_CHARS = 20
# Ruled tables draw at least a few lines or cell rectangles; a header rule or two does not count.
MIN_TABLE_PATHS = 4
_MAX_OBJECTS_SCANNED = 5_000
_WORD = re.compile(r"\S+")
# pdfium marks generated hyphens and unknown glyphs with control characters; keep offsets 1:1.
_CLEAN = str.maketrans({"\x02": "-", "\ufffe": "-", "\x00": " ", "\xa0": " ", "\r": "\n"})
# A page's ~400 words and boxes hold a text, an offset and pdfium's floats, so are built unvalidated.
# Validated, they were ingest's largest cost: 2.1 us a word and 5 objects for the cyclic GC to track,
# whose collections took as long again; built, 1.3 us and 3 objects.
_new_word, _new_box = constructor(Word), constructor(Box)


@dataclass(frozen=True, slots=True)
class PageLayer:
    text: str
    words: list[Word]
    visible: bool  # the page draws something (image, vector paths, form): worth OCR if it has no text
    ruled: bool  # enough vector paths for a ruled table

    @property
    def needs_ocr(self) -> bool:
        return self.visible and len(self.text) - self.text.count(" ") - self.text.count("\n") < MIN_TEXT_CHARS


def open_pdf(data: bytes, filename: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedPdf(filename) from None
        raise CorruptPdf(filename, reason=_pdfium_reason(error)) from None


def _pdfium_reason(error: pdfium.PdfiumError) -> str:
    match = re.search(r"PDFium: ([^)]*)", str(error))
    return (match.group(1) if match else str(error)).strip().rstrip(".").lower()


def read_layer(page: pdfium.PdfPage) -> PageLayer:
    """The page's text (reading order as drawn, \\n line breaks) with a box for every word."""
    visible, ruled = _drawing(page)
    textpage = page.get_textpage()
    try:
        raw = textpage.get_text_range()
        identity = len(raw) == textpage.count_chars()
        # Windows line breaks are the only change of length: map text offsets back to pdfium's.
        crlf = [match.start() - k for k, match in enumerate(re.finditer("\r\n", raw))]
        text = raw.replace("\r\n", "\n").translate(_CLEAN)
        left, _, _, top = page.get_bbox()
        rect = pdfium_c.FS_RECTF()
        # Hot loop (two calls a word): bound once, the page handle unwrapped from its ctypes wrapper.
        rect_ref, loose_box, handle = ctypes.byref(rect), pdfium_c.FPDFText_GetLooseCharBox, textpage.raw
        to_char = pdfium_c.FPDFText_GetCharIndexFromTextIndex

        def char_box(text_index: int) -> tuple[float, float, float, float]:
            index = text_index + shift
            loose_box(handle, index if identity else to_char(handle, index), rect_ref)
            return rect.left, rect.top, rect.right, rect.bottom

        words: list[Word] = []
        shift = 0  # \r\n pairs before the word: words hold no line break, so one count serves both ends
        for match in _WORD.finditer(text):
            start, end = match.span()
            while shift < len(crlf) and crlf[shift] <= start:
                shift += 1
            x0, y0, x1, y1 = char_box(start)
            if end - start > 1:
                lx0, ly0, lx1, ly1 = char_box(end - 1)
                # min() and max() spelled out: as calls they were a tenth of the loop's time.
                x0, x1 = (lx0 if lx0 < x0 else x0), (lx1 if lx1 > x1 else x1)
                y0, y1 = (ly0 if ly0 > y0 else y0), (ly1 if ly1 < y1 else y1)
            box = _new_box({"x0": x0 - left, "top": top - y0, "x1": x1 - left, "bottom": top - y1})
            words.append(_new_word({"text": match.group(), "start": start, "box": box}))
    finally:
        textpage.close()
    return PageLayer(text=text if words else "", words=words, visible=visible, ruled=ruled)


def _drawing(page: pdfium.PdfPage) -> tuple[bool, bool]:
    """Whether the page draws anything but text, and whether it has enough paths for a ruled table."""
    count = min(pdfium_c.FPDFPage_CountObjects(page), _MAX_OBJECTS_SCANNED)
    paths = 0
    visible = False
    for index in range(count):
        kind = pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page, index))
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths += 1
        visible = visible or kind != pdfium_c.FPDF_PAGEOBJ_TEXT
    return visible, paths >= MIN_TABLE_PATHS


def render(page: pdfium.PdfPage, dpi: int):
    """The page as a grayscale PIL image at `dpi` (grayscale: a third of the memory, same OCR)."""
    return page.render(scale=dpi / 72, grayscale=True).to_pil()


def read_tables(data: bytes, numbers: list[int]) -> dict[int, list[list[list[str | None]]] | Exception]:
    """Tables of the given 1-based pages with pdfplumber; a page whose tables fail gets its exception."""
    found: dict[int, list[list[list[str | None]]] | Exception] = {}
    if not numbers:
        return found
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number in numbers:
            try:
                found[number] = pdf.pages[number - 1].extract_tables()
            except Exception as error:  # pdfminer raises many types on damaged content
                found[number] = error
    return found
