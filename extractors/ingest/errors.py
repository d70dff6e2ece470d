"""Why a file cannot be read: one exception per cause, each with a stable code and a one-line message.

The message names the file, says what is wrong and what to do, so the CLI and the API can show it as is.
"""

from __future__ import annotations

from typing import Any, ClassVar


class IngestError(Exception):
    code: ClassVar[str] = "ingest_error"
    template: ClassVar[str] = "cannot be read ({reason})"

    def __init__(self, filename: str, **details: Any) -> None:
        self.filename = filename
        self.details = details
        super().__init__(f"{filename}: {self.template.format(**details)}")


class EmptyFile(IngestError):
    code = "empty_file"
    template = "the file is empty (0 bytes); upload the complete file"


class FileTooLarge(IngestError):
    code = "file_too_large"
    template = (
        "the file is too large ({size_mb:.1f} MB, limit {limit_mb:.0f} MB); split it into smaller files"
    )


class TooManyPages(IngestError):
    code = "too_many_pages"
    template = "too many pages ({pages}, limit {limit}); split the document into smaller files"


class NotAPdf(IngestError):
    code = "not_a_pdf"
    template = "not a PDF (the file starts like {looks_like}); upload the original PDF or fix the file name"


class EncryptedPdf(IngestError):
    code = "encrypted_pdf"
    template = "the PDF is password-protected; save an unprotected copy and upload that"


class CorruptPdf(IngestError):
    code = "corrupt_pdf"
    template = "the PDF is damaged or truncated ({reason}); download or export it again"


class CorruptImage(IngestError):
    code = "corrupt_image"
    template = "the image is damaged or truncated ({reason}); take or export it again"


class UnsupportedFileType(IngestError):
    code = "unsupported_file_type"
    template = (
        "unsupported file type ({looks_like}); "
        "upload a PDF, a plain-text file or a page image (PNG, JPEG, TIFF)"
    )


class NoTextFound(IngestError):
    code = "no_text"
    template = (
        "no readable text on any page, even after OCR; check it is the right file or upload a clearer scan"
    )


class UnsupportedLanguage(IngestError):
    code = "unsupported_language"
    template = (
        "the text seems to be in {language}; OncoGuide reads English records only: provide an English version"
    )
