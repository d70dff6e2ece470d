"""The Celery tasks: thin wrappers around `oncoguide.pipeline` that load inputs, call it, save outputs
and report progress. Every write is a compare-and-set in `oncoguide.storage.state`, so a redelivered
task finds its work done and changes nothing."""

from __future__ import annotations

import logging
import threading
import time

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import InterfaceError, OperationalError

from extractors.ingest import IngestError
from oncoguide.domain import Document, Finding
from oncoguide.pipeline import MixedPatients, PageProgress, assemble, read_and_extract
from oncoguide.storage import state
from oncoguide.storage.db import session_scope
from oncoguide.storage.files import DamagedFile, FileStore
from oncoguide.storage.models import Document as DocumentRow
from workers.app import app, metrics
from workers.enqueue import Enqueuer
from workers.factory import CASE_TASK, DOCUMENT_TASK, SWEEP_TASK, ServiceCelery
from workers.logs import log
from workers.sweeper import sweep

logger = logging.getLogger("oncoguide.tasks")
settings = app.settings
TRANSIENT = (OperationalError, InterfaceError, RedisConnectionError, BrokerError, ConnectionError)
_RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 1,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}
PROGRESS_EVERY = 0.5  # seconds between progress writes while a document's pages are read


@app.task(
    bind=True,
    name=DOCUMENT_TASK,
    soft_time_limit=max(1, int(settings.document_time_limit * 0.9)),
    time_limit=settings.document_time_limit,
    **_RETRY,
)
def read_document(task: Task, document_id: str) -> None:
    started = time.monotonic()
    url = settings.database
    with session_scope(url) as session:
        claim = state.claim_document(session, document_id, settings.max_attempts)
    read = None
    if claim is not None:
        log(logger, "document.started", document_id=document_id, attempt=claim.attempt)
        read = _read(url, claim)
    # Also on a redelivery of a finished document: its worker may have died before this step.
    case_id = claim.case_id if claim else _case_of(url, document_id)
    if case_id is not None:
        _finish_case(task.app, case_id, read, started, redelivered=claim is None)


def _read(url: str, claim: state.Claim) -> state.ReadDocument | None:
    """Read the document and store it; returns it if this task stored it."""
    started = time.monotonic()
    store = FileStore.from_settings(settings)
    try:
        with store.decrypted_copy(claim.storage_key, claim.filename) as path:
            document, findings = read_and_extract(
                path,
                limits=settings.limits,
                ocr=settings.ocr,
                on_page=_progress_writer(url, claim.document_id),
            )
    except IngestError as error:
        _fail(url, claim, error.code, str(error))
    except (DamagedFile, FileNotFoundError) as error:
        detail = "the stored copy of the file is missing or damaged; upload the file again"
        _fail(url, claim, "storage_error", detail, error)
    except SoftTimeLimitExceeded:
        detail = (
            f"reading took longer than {settings.document_time_limit} s; split the file and upload the parts"
        )
        _fail(url, claim, "time_limit", detail)
    except TRANSIENT:
        raise
    except Exception as error:  # a bug in a reader must fail this document, not loop through redeliveries
        _fail(
            url, claim, "internal_error", "the document could not be read because of an internal error", error
        )
    else:
        with session_scope(url) as session:
            stored = state.complete_document(session, claim, document, findings)
        counts = {"pages": len(document.pages), "findings": len(findings)}
        seconds = round(time.monotonic() - started, 3)
        log(logger, "document.done", document_id=claim.document_id, stored=stored, seconds=seconds, **counts)
        if stored:
            return state.ReadDocument(claim.document_id, document, findings)
    return None


def _fail(url: str, claim: state.Claim, code: str, detail: str, error: Exception | None = None) -> None:
    with session_scope(url) as session:
        failed = state.fail_document(session, claim.document_id, code, detail)
    if failed and metrics is not None:
        metrics.failure(DOCUMENT_TASK, code)
    error_type = type(error).__name__ if error else None
    log(
        logger,
        "document.failed",
        logging.WARNING,
        document_id=claim.document_id,
        code=code,
        error_type=error_type,
    )


def _progress_writer(url: str, document_id: str) -> PageProgress:
    """A page-progress callback writing to the database at most every PROGRESS_EVERY seconds."""
    lock = threading.Lock()  # OCR reports pages from its threads
    last = [0.0]

    def on_page(done: int, total: int) -> None:
        with lock:
            now = time.monotonic()
            if done < total and now - last[0] < PROGRESS_EVERY:
                return
            last[0] = now
            with session_scope(url) as session:
                state.record_progress(session, document_id, done, total)

    return on_page


def _case_of(url: str, document_id: str) -> str | None:
    with session_scope(url) as session:
        row = session.get(DocumentRow, document_id)
        return row.case_id if row else None


def _finish_case(
    app: ServiceCelery, case_id: str, read: state.ReadDocument | None, started: float, *, redelivered: bool
) -> None:
    """Assemble the case if this task finished its last document. Here rather than in a case task: the
    document and its findings are in memory, and loading them back (mostly word boxes) would cost a
    fifth of reading them. A case task does it instead when this task has less time left than a case
    task has, and for a redelivered task that finds the case matching: its first worker may have died
    while assembling it."""
    with session_scope(settings.database) as session:
        ready = state.start_matching_if_complete(session, case_id)
        if ready is None and redelivered:
            ready = state.matching_run(session, case_id)
    if ready is None:
        return
    run, queue = ready
    left = settings.document_time_limit * 0.9 - (time.monotonic() - started)
    if redelivered or left < settings.case_time_limit:
        Enqueuer(app).case(case_id, run, queue)
    else:
        _assemble_run(settings.database, case_id, run, read)


@app.task(
    bind=True,
    name=CASE_TASK,
    soft_time_limit=max(1, int(settings.case_time_limit * 0.9)),
    time_limit=settings.case_time_limit,
    **_RETRY,
)
def assemble_case(task: Task, case_id: str, run: int) -> None:
    _assemble_run(settings.database, case_id, run, None)


def _assemble_run(url: str, case_id: str, run: int, read: state.ReadDocument | None) -> None:
    with session_scope(url) as session:
        inputs = state.case_inputs(session, case_id, run, read)
    if inputs is None:
        log(logger, "case.skipped", case_id=case_id, run=run)
        return
    documents, findings = inputs
    started = time.monotonic()
    if documents:
        outcome = _assemble(url, case_id, run, documents, findings)
    else:
        detail = "none of the case's documents could be read; each document says why"
        outcome = _fail_case(url, case_id, run, "no_readable_documents", detail)
    counts = {"documents": len(documents), "findings": len(findings)}
    seconds = round(time.monotonic() - started, 3)
    log(logger, "case.assembled", case_id=case_id, run=run, outcome=outcome, seconds=seconds, **counts)


def _assemble(url: str, case_id: str, run: int, documents: list[Document], findings: list[Finding]) -> str:
    try:
        analysis = assemble(documents, findings)
    except MixedPatients as error:
        return _fail_case(url, case_id, run, error.code, str(error))
    except SoftTimeLimitExceeded:
        return _fail_case(url, case_id, run, "time_limit", "matching took too long; run the case again later")
    except TRANSIENT:
        raise
    except Exception as error:  # a bug in matching must fail this run, not loop through redeliveries
        log(logger, "case.error", logging.ERROR, case_id=case_id, error_type=type(error).__name__)
        return _fail_case(
            url, case_id, run, "internal_error", "the case could not be matched (internal error)"
        )
    with session_scope(url) as session:
        return "ready_for_review" if state.finish_case(session, case_id, run, analysis) else "superseded"


def _fail_case(url: str, case_id: str, run: int, code: str, detail: str) -> str:
    with session_scope(url) as session:
        failed = state.fail_case(session, case_id, run, code, detail)
    if failed and metrics is not None:
        metrics.failure(CASE_TASK, code)
    return "failed" if failed else "superseded"


@app.task(bind=True, name=SWEEP_TASK, **_RETRY)
def sweep_task(task: Task) -> None:
    sweep(Enqueuer(task.app))
