"""Original files, encrypted at rest with Fernet, written in chunks as they stream in.

A stored file is a header and a sequence of Fernet tokens, each prefixed with its length. Each token's
plaintext starts with the chunk's index and a last-chunk flag, so reordered, dropped or truncated
chunks are detected, not silently read as a shorter document.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from oncoguide.storage.settings import Settings

MAGIC = b"OGF1"
CHUNK_BYTES = 1 << 20
_LENGTH = struct.Struct(">I")
_CHUNK_HEADER = struct.Struct(">Q?")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


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
        if not re.fullmatch(r"[0-9a-f]{32}", storage_key):
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
