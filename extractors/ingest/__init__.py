"""Files to `Document`: PDF text layers (pypdfium2), ruled tables (pdfplumber), OCR (Tesseract), text."""

from __future__ import annotations

from .errors import (
    CorruptImage,
    CorruptPdf,
    EmptyFile,
    EncryptedPdf,
    FileTooLarge,
    IngestError,
    NotAPdf,
    NoTextFound,
    TooManyPages,
    UnsupportedFileType,
    UnsupportedLanguage,
)
from .language import lint
from .reader import Limits, read_document
from .sniff import sniff_media_type

__all__ = [
    "CorruptImage",
    "CorruptPdf",
    "EmptyFile",
    "EncryptedPdf",
    "FileTooLarge",
    "IngestError",
    "Limits",
    "NoTextFound",
    "NotAPdf",
    "TooManyPages",
    "UnsupportedFileType",
    "UnsupportedLanguage",
    "lint",
    "read_document",
    "sniff_media_type",
]
