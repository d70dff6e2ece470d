"""What a file is, from its first bytes: a file name can lie, its content cannot."""

from __future__ import annotations

import codecs

PDF, TEXT, PNG, JPEG, TIFF = "application/pdf", "text/plain", "image/png", "image/jpeg", "image/tiff"
IMAGES = frozenset({PNG, JPEG, TIFF})
SUPPORTED = frozenset({PDF, TEXT, *IMAGES})
HEAD_BYTES = 4096

# Unsupported kinds worth naming, so that the error message can say what the file is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"\x1f\x8b", "application/gzip"),
    (b"GIF8", "image/gif"),
    (b"{\\rtf", "application/rtf"),
)
_MARKUP = ((b"<!doctype html", "text/html"), (b"<html", "text/html"), (b"<?xml", "application/xml"))
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Control bytes that plain text does contain: tab, line feed, vertical tab, form feed, carriage return, SUB.
_TEXT_CONTROLS = frozenset(b"\t\n\x0b\x0c\r\x1a")
_MAX_CONTROL_SHARE = 0.01

DESCRIPTIONS = {
    TEXT: "plain text",
    PNG: "a PNG image",
    JPEG: "a JPEG image",
    TIFF: "a TIFF image",
    "application/zip": "a ZIP archive, e.g. a Word .docx",
    "application/x-ole-storage": "an old Microsoft Office file, e.g. a .doc",
    "application/x-msdownload": "a Windows program",
    "application/x-executable": "a program",
    "application/gzip": "a gzip archive",
    "image/gif": "a GIF image",
    "application/rtf": "an RTF document",
    "text/html": "a web page (HTML)",
    "application/xml": "an XML file",
}


def describe(media_type: str | None) -> str:
    return DESCRIPTIONS.get(media_type or "", "unknown binary data")


def sniff_media_type(head: bytes) -> str | None:
    """The media type of a file from its first bytes (HEAD_BYTES are plenty); None if unrecognised."""
    # The PDF header may follow some junk bytes; readers accept it within the first kilobyte.
    if b"%PDF-" in head[:1024]:
        return PDF
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head.startswith(_UTF16_BOMS):
        return TEXT
    start = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:64].lower()
    for magic, media_type in _MARKUP:
        if start.startswith(magic):
            return media_type
    return TEXT if _looks_like_text(head) else None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 0x20 and byte not in _TEXT_CONTROLS)
    return controls <= _MAX_CONTROL_SHARE * len(head)
