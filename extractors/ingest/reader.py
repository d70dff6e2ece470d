"""One file in, one Document out: PDF (text layer, tables, OCR where needed), page images, plain text."""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageSequence, UnidentifiedImageError

from oncoguide.domain import Document, Page, PageSource

from . import ocr as engine
from .errors import (
    CorruptImage,
    CorruptPdf,
    EmptyFile,
    FileTooLarge,
    NotAPdf,
    NoTextFound,
    TooManyPages,
    UnsupportedFileType,
    UnsupportedLanguage,
)
from .language import foreign_language
from .pdf import open_pdf, read_layer, read_tables, render
from .sniff import HEAD_BYTES, IMAGES, PDF, TEXT, describe, sniff_media_type

PageProgress = Callable[[int, int], None]
_MB = 2**20
# How a warning says why pages need OCR, for one page and for several.
_NO_TEXT_LAYER = ("has no text layer", "have no text layer")
_AN_IMAGE = ("is an image", "are images")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * _MB
    max_pages: int = 500


def read_document(
    path: Path,
    *,
    document_id: str | None = None,
    limits: Limits = Limits(),
    ocr: bool = True,
    on_page: PageProgress | None = None,
) -> Document:
    """Read a PDF, a page image or a plain-text file; raise an IngestError saying what to do if it can't."""
    name = path.name
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile(name)
    if size > limits.max_bytes:
        raise FileTooLarge(name, size_mb=size / _MB, limit_mb=limits.max_bytes / _MB)
    with path.open("rb") as handle:
        media_type = sniff_media_type(handle.read(HEAD_BYTES))
    if path.suffix.lower() == ".pdf" and media_type != PDF:
        raise NotAPdf(name, looks_like=describe(media_type))
    if media_type not in (PDF, TEXT, *IMAGES):
        raise UnsupportedFileType(name, looks_like=describe(media_type))
    data = path.read_bytes()
    progress = on_page or _ignore
    if media_type == PDF:
        pages, warnings = _read_pdf(data, name, limits, ocr, progress)
    elif media_type == TEXT:
        pages, warnings = [Page(number=1, text=_decode(data), source=PageSource.PLAIN_TEXT)], []
        progress(1, 1)
    else:
        pages, warnings = _read_images(data, name, limits, ocr, progress)
    if not any(page.text.strip() for page in pages) and not any(
        page.source is PageSource.NEEDS_OCR for page in pages
    ):
        raise NoTextFound(name)
    sha256 = hashlib.sha256(data).hexdigest()
    document = Document(
        id=document_id or sha256[:16],
        filename=name,
        media_type=media_type,
        sha256=sha256,
        pages=pages,
        warnings=warnings,
    )
    if language := foreign_language(document.text):
        raise UnsupportedLanguage(name, language=language)
    return document


def _ignore(done: int, total: int) -> None:
    return None


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_pdf(
    data: bytes, name: str, limits: Limits, use_ocr: bool, progress: PageProgress
) -> tuple[list[Page], list[str]]:
    pdf = open_pdf(data, name)
    try:
        total = len(pdf)
        if total > limits.max_pages:
            raise TooManyPages(name, pages=total, limit=limits.max_pages)
        if total == 0:
            raise CorruptPdf(name, reason="it has no pages")
        pages: dict[int, Page] = {}
        unread: list[int] = []  # pages with no text layer, for OCR
        ruled: list[int] = []
        for number in range(1, total + 1):
            try:
                layer = read_layer(pdf[number - 1])
            except pdfium.PdfiumError as error:
                pages[number] = Page(number=number, source=PageSource.FAILED, error=f"damaged page: {error}")
            else:
                if layer.needs_ocr:
                    unread.append(number)
                    continue
                pages[number] = Page(
                    number=number, text=layer.text, source=PageSource.TEXT_LAYER, words=layer.words
                )
                if layer.ruled:
                    ruled.append(number)
            progress(len(pages), total)
        warnings = _add_tables(pages, read_tables(data, ruled))

        def page_image(number: int) -> Callable[[], tuple[Image.Image, float]]:
            return lambda: (render(pdf[number - 1], engine.OCR_DPI), float(engine.OCR_DPI))

        jobs = ((number, page_image(number)) for number in unread)
        warnings += _ocr_into(
            pages, jobs, unread, use_ocr, _NO_TEXT_LAYER, lambda: progress(len(pages), total)
        )
    finally:
        pdf.close()
    ordered = [pages[number] for number in sorted(pages)]
    failed = [page.number for page in ordered if page.source is PageSource.FAILED]
    if len(failed) == total:
        raise CorruptPdf(name, reason=f"no page could be read: {ordered[0].error}")
    if failed:
        warnings.append(f"{_pages_phrase(failed)} could not be read (damaged); the other pages were kept")
    return ordered, warnings


def _add_tables(pages: dict[int, Page], tables: dict[int, list | Exception]) -> list[str]:
    broken = []
    for number, found in tables.items():
        if isinstance(found, Exception):
            broken.append(number)
        else:
            pages[number] = pages[number].model_copy(update={"tables": found})
    return [f"tables on {_pages_phrase(broken)} could not be read; their text was kept"] if broken else []


def _read_images(
    data: bytes, name: str, limits: Limits, use_ocr: bool, progress: PageProgress
) -> tuple[list[Page], list[str]]:
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if frames > limits.max_pages:
            raise TooManyPages(name, pages=frames, limit=limits.max_pages)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise CorruptImage(name, reason=str(error).rstrip(".")) from None
    numbers = list(range(1, frames + 1))
    pages: dict[int, Page] = {}

    def jobs() -> Iterator[tuple[int, Callable[[], tuple[Image.Image, float]]]]:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            copy = frame.copy()
            yield number, lambda copy=copy: (copy, engine.image_dpi(copy))

    try:
        warnings = _ocr_into(pages, jobs(), numbers, use_ocr, _AN_IMAGE, lambda: progress(len(pages), frames))
    except OSError as error:  # a frame that fails to decode part-way
        raise CorruptImage(name, reason=str(error).rstrip(".")) from None
    return [pages[number] for number in numbers], warnings


def _ocr_into(
    pages: dict[int, Page],
    jobs: Iterator[tuple[int, Callable[[], tuple[Image.Image, float]]]],
    numbers: list[int],
    use_ocr: bool,
    why: tuple[str, str],
    progress: Callable[[], None],
) -> list[str]:
    """OCR the pages `numbers` into `pages`; without OCR they are marked NEEDS_OCR, with one warning."""
    if not numbers:
        return []
    if use_ocr and engine.tesseract_available():
        try:
            for number, result in engine.ocr_pages(jobs):
                if isinstance(result, Exception):
                    pages[number] = Page(
                        number=number, source=PageSource.FAILED, error=f"OCR failed: {result}"
                    )
                else:
                    pages[number] = Page(
                        number=number, text=result.text, source=PageSource.OCR, words=result.words
                    )
                progress()
            return []
        except engine.TesseractNotFound:
            pass  # found on the PATH but cannot run: same as not installed
    unread = [number for number in numbers if number not in pages]
    for number in unread:
        pages[number] = Page(number=number, source=PageSource.NEEDS_OCR)
        progress()
    what = f"{_pages_phrase(unread)} {why[len(unread) > 1]}"
    if not use_ocr:
        return [f"{what} and OCR is turned off: turn OCR on to read them"]
    return [f"{what} and Tesseract is not installed: {engine.INSTALL_HINT}"]


def _pages_phrase(numbers: list[int]) -> str:
    """'page 3', 'pages 2-4 and 7': runs of consecutive pages are shown as ranges."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = [str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"{'page' if len(numbers) == 1 else 'pages'} {listed}"
