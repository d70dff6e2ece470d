"""A multipart upload streamed straight into the encrypted file store: never held whole in memory,
never written to disk in plain text, its type sniffed from its first bytes, its size capped as it
arrives, and a PDF's pages counted before it is accepted."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pypdfium2 as pdfium
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.problems import Problem
from extractors.ingest import EmptyFile, FileTooLarge, Limits, NotAPdf, TooManyPages, UnsupportedFileType
from extractors.ingest.sniff import HEAD_BYTES, PDF, SUPPORTED, describe, sniff_media_type
from oncoguide.storage.files import EncryptedWriter, FileStore, StoredFile, safe_filename

FIELD = b"file"
_MB = 2**20
_MULTIPART_OVERHEAD = 64 * 1024  # part headers and boundaries around the file's bytes
_PDFIUM = threading.Lock()  # pdfium is not thread-safe; a page count takes milliseconds


@dataclass(frozen=True)
class Upload:
    stored: StoredFile
    filename: str
    media_type: str


class _FilePart:
    """Receives the `file` part: sniffs its head, encrypts its bytes, enforces the size limit."""

    def __init__(self, store: FileStore, max_bytes: int) -> None:
        self._store = store
        self._max_bytes = max_bytes
        self._headers: dict[bytes, bytes] = {}
        self._name: list[bytes] = []
        self._value: list[bytes] = []
        self._in_file = False
        self.filename: str | None = None
        self.writer: EncryptedWriter | None = None
        self.media_type: str | None = None
        self._head = bytearray()

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._headers.clear,
            "on_header_field": lambda data, start, end: self._name.append(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.append(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _header_end(self) -> None:
        self._headers[b"".join(self._name).lower()] = b"".join(self._value).strip()
        self._name.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        self._in_file = options.get(b"name") == FIELD
        if not self._in_file:
            return
        if self.writer is not None:
            raise Problem(
                400, "one_file_per_request", "One file per request", "send one file per upload request"
            )
        self.filename = safe_filename(options.get(b"filename", b"").decode("utf-8", "replace"))
        self.writer = self._store.writer()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file or self.writer is None:
            return
        chunk = data[start:end]
        if self.writer.size + len(chunk) > self._max_bytes:
            raise _too_large(self.filename or "upload", self._max_bytes)
        if self.media_type is None:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
            if len(self._head) >= HEAD_BYTES:
                self._check_type()
        self.writer.write(chunk)

    def _part_end(self) -> None:
        if self._in_file and self.media_type is None and self._head:
            self._check_type()
        self._in_file = False

    def _check_type(self) -> None:
        name = self.filename or "upload"
        media_type = sniff_media_type(bytes(self._head))
        if name.lower().endswith(".pdf") and media_type != PDF:
            raise _unsupported(NotAPdf(name, looks_like=describe(media_type)))
        if media_type not in SUPPORTED:
            raise _unsupported(UnsupportedFileType(name, looks_like=describe(media_type)))
        self.media_type = media_type


def _unsupported(error: NotAPdf | UnsupportedFileType) -> Problem:
    return Problem(415, error.code, "Unsupported file type", str(error))


def _too_large(name: str, max_bytes: int) -> Problem:
    detail = (
        f"{name}: the file is larger than the limit of {max_bytes / _MB:.0f} MB; split it into smaller files"
    )
    return Problem(413, FileTooLarge.code, "File too large", detail)


async def receive_upload(request: Request, store: FileStore, limits: Limits) -> Upload:
    """Stream the request's `file` part into the store; raise a Problem saying exactly what is wrong."""
    content_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        detail = "send the file as multipart/form-data in a field named 'file'"
        raise Problem(415, "not_multipart", "Multipart upload expected", detail)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes + _MULTIPART_OVERHEAD:
        raise _too_large("upload", limits.max_bytes)
    part = _FilePart(store, limits.max_bytes)
    try:
        await _parse(request, boundary, part)
        if part.writer is None:
            detail = "the request has no part named 'file'; send the file in that field"
            raise Problem(422, "missing_file", "No file", detail)
        name = part.filename or "upload"
        if part.writer.size == 0:
            raise Problem(422, EmptyFile.code, "Empty file", str(EmptyFile(name)))
        if part.media_type is None:
            raise _malformed()
        stored = part.writer.finish()
    except BaseException:
        if part.writer is not None:
            part.writer.discard()
        raise
    if part.media_type == PDF:
        pages = await run_in_threadpool(_pdf_pages, store, stored.storage_key)
        if pages is not None and pages > limits.max_pages:
            store.delete(stored.storage_key)
            error = TooManyPages(name, pages=pages, limit=limits.max_pages)
            raise Problem(422, error.code, "Too many pages", str(error), pages=pages, limit=limits.max_pages)
    return Upload(stored, name, part.media_type)


def _pdf_pages(store: FileStore, storage_key: str) -> int | None:
    """The page count, read through the decrypting view (pdfium reads the trailer and the page tree,
    not the pages). None if pdfium cannot open it (a password, damage): the worker then says why."""
    with _PDFIUM, store.open_plain(storage_key) as stream:
        try:
            pdf = pdfium.PdfDocument(stream)
        except pdfium.PdfiumError:
            return None
        try:
            return len(pdf)
        finally:
            pdf.close()


async def _parse(request: Request, boundary: bytes, part: _FilePart) -> None:
    parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError as error:
        raise _malformed() from error


def _malformed() -> Problem:
    return Problem(
        400, "malformed_multipart", "Malformed upload", "the multipart body is malformed or cut short"
    )
