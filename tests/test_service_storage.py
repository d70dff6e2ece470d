"""Settings, the encrypted file store, the migrations and the idempotent state transitions."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pypdfium2
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from fixtures_pdf import text_pdf
from service_fixtures import database_url, settings  # noqa: F401  (fixtures)
from sqlalchemy import text

from oncoguide.domain import Document as DomainDocument
from oncoguide.domain import Page, PageSource
from oncoguide.storage import state
from oncoguide.storage.db import engine_for, session_scope
from oncoguide.storage.files import CHUNK_BYTES, DamagedFile, FileStore, StoredFile, load_key, safe_filename
from oncoguide.storage.models import Base, CaseEvent, CaseStage, DocumentStatus
from oncoguide.storage.settings import Settings
from workers.sweeper import remove_leftover_files

RECORD = b"%PDF-1.7 Pathology: adenocarcinoma of the lung, KRAS G12C. " * 50_000  # ~3 MB, 3+ chunks


def test_settings_read_oncoguide_variables_and_default_to_embedded(tmp_path: Path) -> None:
    embedded = Settings.from_env({"ONCOGUIDE_STORAGE_DIR": str(tmp_path), "OTHER_MAX_PAGES": "1"})
    assert embedded.database == f"sqlite:///{tmp_path / 'oncoguide.db'}"
    assert embedded.broker_url is None and embedded.max_pages == 500
    configured = Settings.from_env(
        {"ONCOGUIDE_BROKER_URL": "redis://r:6379/0", "ONCOGUIDE_MAX_PAGES": "20", "ONCOGUIDE_OCR": "false"}
    )
    assert configured.broker_url == "redis://r:6379/0"
    assert configured.limits.max_pages == 20 and configured.ocr is False
    keys = Settings.from_env({"ONCOGUIDE_API_KEYS": "k1:alice, k2:bob"})
    assert keys.owners_by_key() == {"k1": "alice", "k2": "bob"}
    assert "k1" not in repr(keys)  # secrets stay out of logs and tracebacks
    with pytest.raises(ValueError, match="max_pages"):
        Settings.from_env({"ONCOGUIDE_MAX_PAGES": "0"})


def test_files_are_encrypted_at_rest_and_read_back_exactly(tmp_path: Path) -> None:
    store = FileStore(tmp_path, Fernet.generate_key())
    writer = store.writer()
    for start in range(0, len(RECORD), 65536):  # as an upload arrives: in pieces
        writer.write(RECORD[start : start + 65536])
    stored = writer.finish()
    on_disk = store.path(stored.storage_key).read_bytes()
    assert b"adenocarcinoma of the lung" not in on_disk  # base64 has no spaces: a leak would show
    assert stored.size == len(RECORD) and len(RECORD) > 2 * CHUNK_BYTES
    assert b"".join(store.chunks(stored.storage_key)) == RECORD
    with store.decrypted_copy(stored.storage_key, "../../etc/01 path.pdf") as copy:
        assert copy.name == "01 path.pdf" and copy.read_bytes() == RECORD
        directory = copy.parent
    assert not directory.exists()
    assert list(tmp_path.iterdir()) == [store.path(stored.storage_key)]


@pytest.mark.parametrize("damage", ["truncate", "flip", "wrong_key"])
def test_altered_or_truncated_files_are_refused(tmp_path: Path, damage: str) -> None:
    store = FileStore(tmp_path, Fernet.generate_key())
    writer = store.writer()
    writer.write(RECORD)
    stored = writer.finish()
    path = store.path(stored.storage_key)
    data = bytearray(path.read_bytes())
    if damage == "truncate":  # drop the last chunk: without the last-chunk flag this would read short
        path.write_bytes(data[: data.rfind(b"gAAAAA") - 4])
    elif damage == "flip":
        data[len(data) // 2] ^= 1
        path.write_bytes(data)
    else:
        store = FileStore(tmp_path, Fernet.generate_key())
    with pytest.raises(DamagedFile):
        b"".join(store.chunks(stored.storage_key))


def test_embedded_key_is_generated_once_and_reused(tmp_path: Path) -> None:
    embedded = Settings(storage_dir=tmp_path)
    first = load_key(embedded)
    assert load_key(embedded) == first
    Fernet(first)  # a valid key
    assert sorted(path.name for path in tmp_path.iterdir()) == ["secret.key"]


def test_client_file_names_are_reduced_to_a_safe_last_component() -> None:
    assert safe_filename("C:\\Users\\x\\report.pdf") == "report.pdf"
    assert safe_filename("../../.bashrc") == "bashrc"
    assert safe_filename("") == "upload"


def test_migrations_create_exactly_the_models(settings: Settings) -> None:  # noqa: F811
    with engine_for(settings.database).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_large_json_columns_are_plain_json_compressed_with_lz4(settings: Settings) -> None:  # noqa: F811
    """Written once and read whole as text (migration 0003): JSONB's parsing and printing cost without use."""
    with engine_for(settings.database).connect() as connection:
        columns = connection.execute(
            text(
                "SELECT c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod), "
                "a.attcompression = 'l' FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE c.relname IN ('documents', 'cases') "
                "AND a.attname IN ('content', 'findings', 'analysis')"
            )
        ).all()
        lz4 = connection.scalar(
            text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        )
    assert sorted(columns) == [
        ("cases.analysis", "json", lz4),
        ("documents.content", "json", lz4),
        ("documents.findings", "json", lz4),
    ]


def _domain_document() -> DomainDocument:
    page = Page(number=1, text="Adenocarcinoma.", source=PageSource.PLAIN_TEXT)
    return DomainDocument(id="d1", filename="a.txt", media_type="text/plain", sha256="0" * 64, pages=[page])


def test_transitions_happen_once_whatever_the_redeliveries(settings: Settings, tmp_path: Path) -> None:  # noqa: F811
    store = FileStore(tmp_path, Fernet.generate_key())
    writer = store.writer()
    writer.write(b"Adenocarcinoma.")
    stored = writer.finish()
    url = settings.database
    with session_scope(url) as session:
        case = state.create_case(session, "owner", "patient")
        document = state.add_document(session, case, stored, "a.txt", "text/plain")
        case_id, document_id = case.id, document.id
    with session_scope(url) as session:
        first = state.claim_document(session, document_id, max_attempts=3)
    with session_scope(url) as session:  # a redelivery while the first delivery still runs
        second = state.claim_document(session, document_id, max_attempts=3)
    assert first is not None and second is not None and second.attempt == 2
    with session_scope(url) as session:
        assert state.complete_document(session, first, _domain_document(), [])
    with session_scope(url) as session:
        assert not state.complete_document(session, second, _domain_document(), [])
        assert state.claim_document(session, document_id, max_attempts=3) is None
    with session_scope(url) as session:
        started = state.start_matching_if_complete(session, case_id)
    with session_scope(url) as session:
        assert state.start_matching_if_complete(session, case_id) is None
    assert started is not None
    run, _ = started
    with session_scope(url) as session:
        assert session.get(state.Case, case_id).stage == CaseStage.MATCHING
        assert session.get(state.Document, document_id).status == DocumentStatus.DONE
        kinds = [event.kind for event in session.query(CaseEvent).filter_by(case_id=case_id)]
    assert kinds.count("document.done") == 1 and kinds.count("case.matching") == 1
    with session_scope(url) as session:  # a task of an older run cannot finish a newer one
        assert state.case_inputs(session, case_id, run - 1) is None
        assert state.case_inputs(session, case_id, run) is not None


def test_sweeper_sees_only_work_idle_longer_than_the_timeout(settings: Settings, tmp_path: Path) -> None:  # noqa: F811
    store = FileStore(tmp_path, Fernet.generate_key())
    writer = store.writer()
    writer.write(b"Stage IIIA.")
    stored = writer.finish()
    with session_scope(settings.database) as session:
        case = state.create_case(session, "owner", "bulk")
        document = state.add_document(session, case, stored, "b.txt", "text/plain")
        document_id = document.id
    now = dt.datetime.now(dt.UTC)
    with session_scope(settings.database) as session:
        assert (document_id, "bulk") not in state.stale_work(session, now - dt.timedelta(minutes=5)).documents
        assert (document_id, "bulk") in state.stale_work(session, now + dt.timedelta(seconds=1)).documents


def test_the_plaintext_view_reads_any_span_and_counts_a_large_pdfs_pages(tmp_path: Path) -> None:
    store = FileStore(tmp_path, Fernet.generate_key())
    writer = store.writer()
    writer.write(RECORD)
    stored = writer.finish()
    with store.open_plain(stored.storage_key) as view:
        for start in (0, CHUNK_BYTES - 7, 2 * CHUNK_BYTES + 3, len(RECORD) - 5):  # across chunk borders
            view.seek(start)
            assert view.read(20) == RECORD[start : start + 20]
        assert view.seek(0, io.SEEK_END) == len(RECORD)
    pages = [[os.urandom(40).hex() for _ in range(50)] for _ in range(400)]  # incompressible text
    big = text_pdf(tmp_path / "big.pdf", pages)
    writer = store.writer()
    writer.write(big.read_bytes())
    pdf = writer.finish()
    assert pdf.size > CHUNK_BYTES  # pdfium's reads cross chunk borders
    with store.open_plain(pdf.storage_key) as view:
        assert len(pypdfium2.PdfDocument(view)) == len(pypdfium2.PdfDocument(big)) >= 400
    path = store.path(stored.storage_key)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DamagedFile):
        store.open_plain(stored.storage_key)


def test_the_sweeper_removes_interrupted_uploads_and_files_no_document_names(settings: Settings) -> None:  # noqa: F811
    store = FileStore.from_settings(settings)

    def stored(data: bytes) -> str:
        writer = store.writer()
        writer.write(data)
        return writer.finish().storage_key

    kept, orphan = stored(b"Stage IIIA."), stored(b"Stage IIB.")
    with session_scope(settings.database) as session:
        case = state.create_case(session, "owner", "patient")
        state.add_document(session, case, StoredFile(kept, 11, "1" * 64), "a.txt", "text/plain")
    partial = store.root / f"{'a' * 32}.part"  # a crash mid-upload: never finished, never discarded
    partial.write_bytes(b"OGF1 half an upload")
    young_orphan = stored(b"being committed right now")
    hour_ago = time.time() - 3600
    for path in (store.path(kept), store.path(orphan), partial):
        os.utime(path, (hour_ago, hour_ago))

    removed = remove_leftover_files(settings, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))

    assert removed == 2
    assert not store.path(orphan).exists() and not partial.exists()
    assert store.path(kept).exists() and store.path(young_orphan).exists()


def test_a_pool_process_warm_up_loads_what_a_first_task_would(tmp_path: Path) -> None:
    """The warm-up text must reach the lazily built parts too (the abbreviation detector, ~2 s, loads on the
    first bracket that may define one), or each pool process's first task pays for them. Run in a fresh
    interpreter: this one has loaded them."""
    probe = (
        "from extractors.nlp import abbreviations\n"
        "import workers.app\n"
        "workers.app._warm_up()\n"
        "print(abbreviations._detector.cache_info().currsize)\n"
    )
    env = os.environ | {"ONCOGUIDE_STORAGE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "1"
