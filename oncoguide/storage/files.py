"""Original files, encrypted at rest with Fernet, written in chunks as they stream in.

A stored file is a header and a sequence of Fernet tokens, each prefixed with its length. Each token's
plaintext starts with the chunk's index and a last-chunk flag, so reordered, dropped or truncated
chunks are detected, not silently read as a shorter document.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken

from oncoguide.storage.settings import Settings

MAGIC = b"OGF1"
CHUNK_BYTES = 1 << 20
_LENGTH = struct.Struct(">I")
_CHUNK_HEADER = struct.Struct(">Q?")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
_STORAGE_KEY = re.compile(r"[0-9a-f]{32}")


class DamagedFile(Exception):
    """A stored file failed authentication or is incomplete: it was altered or the key is wrong."""


@dataclass(frozen=True)
class StoredFile:
    storage_key: str
    size: int
    sha256: str


def safe_filename(name: str | None) -> str:
    """The last path component of a client's file name, reduced to harmless characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .")[:200]
    return cleaned or "upload"


def load_key(settings: Settings) -> bytes:
    """The configured key, or (embedded mode) the one generated into the storage dir on first use."""
    if settings.encryption_key is not None:
        return settings.encryption_key.get_secret_value().encode()
    path = settings.storage_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        # link() fails if another process created the key first; then both use that one.
        with suppress(FileExistsError):
            os.link(tmp, path)
        Path(tmp).unlink()
    return path.read_bytes().strip()


class EncryptedWriter:
    """Encrypts bytes as they arrive; `finish()` makes the file durable and visible under its key."""

    def __init__(self, root: Path, fernet: Fernet) -> None:
        self.storage_key = uuid.uuid4().hex
        self._fernet = fernet
        self._final = root / f"{self.storage_key}.enc"
        self._partial = root / f"{self.storage_key}.part"
        self._handle = self._partial.open("wb")
        self._handle.write(MAGIC)
        self._buffer = bytearray()
        self._index = 0
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        self.size += len(data)
        self._buffer += data
        while len(self._buffer) >= CHUNK_BYTES:
            self._emit(bytes(self._buffer[:CHUNK_BYTES]), last=False)
            del self._buffer[:CHUNK_BYTES]

    def finish(self) -> StoredFile:
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._partial.rename(self._final)
        return StoredFile(self.storage_key, self.size, self._hash.hexdigest())

    def discard(self) -> None:
        self._handle.close()
        self._partial.unlink(missing_ok=True)

    def _emit(self, data: bytes, *, last: bool) -> None:
        token = self._fernet.encrypt(_CHUNK_HEADER.pack(self._index, last) + data)
        self._handle.write(_LENGTH.pack(len(token)) + token)
        self._index += 1


class FileStore:
    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> FileStore:
        return cls(settings.files_dir, load_key(settings))

    def writer(self) -> EncryptedWriter:
        return EncryptedWriter(self.root, self._fernet)

    def path(self, storage_key: str) -> Path:
        if not _STORAGE_KEY.fullmatch(storage_key):
            raise ValueError("not a storage key")
        return self.root / f"{storage_key}.enc"

    def chunks(self, storage_key: str) -> Iterator[bytes]:
        """The plaintext, chunk by chunk; raises DamagedFile if anything does not authenticate."""
        with self.path(storage_key).open("rb") as handle:
            if handle.read(len(MAGIC)) != MAGIC:
                raise DamagedFile("not an OncoGuide stored file")
            index = 0
            while prefix := handle.read(_LENGTH.size):
                token = handle.read(_LENGTH.unpack(prefix)[0])
                try:
                    plain = self._fernet.decrypt(token)
                except InvalidToken as error:
                    raise DamagedFile("a chunk does not authenticate") from error
                number, last = _CHUNK_HEADER.unpack_from(plain)
                if number != index:
                    raise DamagedFile("chunks out of order")
                yield plain[_CHUNK_HEADER.size :]
                if last:
                    return
                index += 1
        raise DamagedFile("the file is truncated")

    def open_plain(self, storage_key: str) -> BinaryIO:
        """A seekable plaintext view that decrypts only the chunks read: for a look inside (a PDF's
        page count) without writing plaintext to disk or holding the whole file in memory."""
        return io.BufferedReader(_PlainReader(self.path(storage_key).open("rb"), self._fernet))

    @contextmanager
    def decrypted_copy(self, storage_key: str, filename: str) -> Iterator[Path]:
        """A private temporary plaintext copy under the original name, removed when the block ends."""
        with tempfile.TemporaryDirectory(prefix="oncoguide-") as directory:
            path = Path(directory) / safe_filename(filename)
            with path.open("wb") as handle:
                for chunk in self.chunks(storage_key):
                    handle.write(chunk)
            yield path

    def delete(self, storage_key: str) -> None:
        self.path(storage_key).unlink(missing_ok=True)

    def partial_uploads(self, before: float) -> list[Path]:
        """`.part` files last written before `before` (epoch seconds): uploads cut off by a crash."""
        return [path for path in self.root.glob("*.part") if path.stat().st_mtime < before]

    def stored_keys(self, before: float) -> list[str]:
        """Keys of the stored files last written before `before`, to be checked against the database."""
        return [
            path.stem
            for path in self.root.glob("*.enc")
            if _STORAGE_KEY.fullmatch(path.stem) and path.stat().st_mtime < before
        ]


class _PlainReader(io.RawIOBase):
    _CACHED_CHUNKS = 4  # a PDF reader jumps between the trailer, the xref and the objects

    def __init__(self, handle: BinaryIO, fernet: Fernet) -> None:
        super().__init__()
        self._handle = handle
        self._fernet = fernet
        self._cache: dict[int, bytes] = {}
        self._position = 0
        self._tokens: list[tuple[int, int]] = []  # (offset, length) of each chunk's token
        try:
            if handle.read(len(MAGIC)) != MAGIC:
                raise DamagedFile("not an OncoGuide stored file")
            while prefix := handle.read(_LENGTH.size):
                if len(prefix) < _LENGTH.size:
                    raise DamagedFile("the file is truncated")
                self._tokens.append((handle.tell(), _LENGTH.unpack(prefix)[0]))
                handle.seek(self._tokens[-1][1], io.SEEK_CUR)
            if not self._tokens:
                raise DamagedFile("the file is truncated")
            # Reading the last chunk checks its last-chunk flag and gives the plaintext's length.
            self._size = (len(self._tokens) - 1) * CHUNK_BYTES + len(self._chunk(len(self._tokens) - 1))
        except DamagedFile:
            handle.close()
            raise

    def _chunk(self, index: int) -> bytes:
        if index in self._cache:
            return self._cache[index]
        offset, length = self._tokens[index]
        self._handle.seek(offset)
        try:
            plain = self._fernet.decrypt(self._handle.read(length))
        except InvalidToken as error:
            raise DamagedFile("a chunk does not authenticate") from error
        number, last = _CHUNK_HEADER.unpack_from(plain)
        data = plain[_CHUNK_HEADER.size :]
        final = index == len(self._tokens) - 1
        if number != index or last != final or (not final and len(data) != CHUNK_BYTES):
            raise DamagedFile("chunks out of order or cut short")
        if len(self._cache) >= self._CACHED_CHUNKS:
            self._cache.pop(next(iter(self._cache)))
        self._cache[index] = data
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self._size:
            return 0
        index, within = divmod(self._position, CHUNK_BYTES)
        data = self._chunk(index)[within : within + len(buffer)]
        memoryview(buffer)[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._handle.close()
        super().close()
