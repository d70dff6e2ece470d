"""Tesseract OCR of page images, pages in parallel, words with boxes in PDF points.

Tesseract's own threading gains little and fights with a second page on 2 cores (3-4 s per page
against ~1.5 s with OMP_THREAD_LIMIT=1), so each tesseract process gets one thread and pages run
side by side in a small pool. Images are made in the calling thread (pdfium is not thread-safe) and
only a few are held at a time (a 300-dpi page is ~8 MB even in grayscale).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

import pytesseract
from PIL import Image

from oncoguide.domain import Box, Word

OCR_DPI = 300
MAX_WORKERS = 2
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-eng"
_LANGUAGE = "eng"
_WORD_LEVEL = 5
# Photos often carry no resolution or a meaningless 72 dpi: assume a 300-dpi scan then.
_PLAUSIBLE_DPI = (100.0, 1200.0)

Key = TypeVar("Key")
TesseractNotFound = pytesseract.TesseractNotFoundError


@dataclass(frozen=True, slots=True)
class OcrText:
    text: str
    words: list[Word]


def tesseract_available() -> bool:
    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None


def image_dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    value = float(dpi[0]) if isinstance(dpi, tuple) and dpi else 0.0
    low, high = _PLAUSIBLE_DPI
    return value if low <= value <= high else float(OCR_DPI)


def ocr_image(image: Image.Image, dpi: float) -> OcrText:
    """Words of one page image; lines end with \\n and blocks are separated by a blank line."""
    if image.mode not in ("L", "RGB"):
        image = image.convert("L")
    data = pytesseract.image_to_data(image, lang=_LANGUAGE, output_type=pytesseract.Output.DICT)
    scale = 72.0 / dpi
    parts: list[str] = []
    words: list[Word] = []
    offset = 0
    previous: tuple[int, int, int] | None = None
    for index, level in enumerate(data["level"]):
        token = data["text"][index].strip()
        if level != _WORD_LEVEL or not token:
            continue
        line = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        if previous is not None:
            separator = " " if line == previous else "\n" if line[0] == previous[0] else "\n\n"
            parts.append(separator)
            offset += len(separator)
        previous = line
        left, top = data["left"][index], data["top"][index]
        box = Box(
            x0=left * scale,
            top=top * scale,
            x1=(left + data["width"][index]) * scale,
            bottom=(top + data["height"][index]) * scale,
        )
        words.append(Word(text=token, start=offset, box=box))
        parts.append(token)
        offset += len(token)
    return OcrText(text="".join(parts), words=words)


def ocr_pages(
    jobs: Iterable[tuple[Key, Callable[[], tuple[Image.Image, float]]]],
) -> Iterator[tuple[Key, OcrText | Exception]]:
    """OCR each job's image (made on demand by its callable) in a pool; results as they complete.

    A page whose OCR fails yields its exception; a missing tesseract binary stops everything.
    """
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # inherited by the tesseract subprocesses
    with ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="ocr") as pool:
        pending: dict[Future[OcrText], Key] = {}
        for key, make_image in jobs:
            while len(pending) >= 2 * MAX_WORKERS:
                yield from _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)
            image, dpi = make_image()
            pending[pool.submit(ocr_image, image, dpi)] = key
        while pending:
            yield from _collect(pending, wait(pending, return_when=FIRST_COMPLETED).done)


def _collect(
    pending: dict[Future[OcrText], Key], done: set[Future[OcrText]]
) -> Iterator[tuple[Key, OcrText | Exception]]:
    for future in done:
        key = pending.pop(future)
        error = future.exception()
        if isinstance(error, TesseractNotFound):
            raise error
        yield key, error if isinstance(error, Exception) else future.result()
