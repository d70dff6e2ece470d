"""Re-enqueue work that was accepted but has been idle too long: a lost message, a crash between a
commit and a send, a worker killed mid-task. The tasks are idempotent, so a duplicate does no harm.
Also remove files a crash left behind: interrupted uploads and files of deleted documents."""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import suppress
from dataclasses import dataclass

from oncoguide.storage import state
from oncoguide.storage.db import session_scope
from oncoguide.storage.files import FileStore
from oncoguide.storage.models import utcnow
from oncoguide.storage.settings import Settings
from workers.enqueue import Enqueuer
from workers.logs import log

logger = logging.getLogger("oncoguide.sweeper")
_KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class SweepReport:
    documents: int
    cases: int
    files: int


def sweep(enqueuer: Enqueuer, now: dt.datetime | None = None) -> SweepReport:
    settings = enqueuer.settings
    url = settings.database
    idle_since = (now or utcnow()) - dt.timedelta(seconds=settings.stale_after)
    with session_scope(url) as session:
        work = state.stale_work(session, idle_since)
    for document_id, queue in work.documents:
        if enqueuer.document(document_id, queue):
            with session_scope(url) as session:
                state.touch_document(session, document_id)
    cases = 0
    for case_id in work.open_cases:
        with session_scope(url) as session:
            started = state.start_matching_if_complete(session, case_id)
        if started is not None:
            cases += enqueuer.case(case_id, *started)
    for case_id, run, queue in work.matching_cases:
        if enqueuer.case(case_id, run, queue):
            cases += 1
            with session_scope(url) as session:
                state.touch_case(session, case_id)
    files = remove_leftover_files(settings, idle_since)
    report = SweepReport(documents=len(work.documents), cases=cases, files=files)
    if report.documents or report.cases or report.files:
        log(logger, "sweeper.swept", documents=report.documents, cases=report.cases, files=report.files)
    return report


def remove_leftover_files(settings: Settings, idle_since: dt.datetime) -> int:
    """Remove `.part` files of uploads cut off by a crash, and stored files no document names (a crash
    between deleting a case's rows and its files). Only files idle since `idle_since`: a younger file
    may belong to an upload whose document is being committed right now."""
    store = FileStore.from_settings(settings)
    before = idle_since.timestamp()
    leftovers = store.partial_uploads(before)
    keys = store.stored_keys(before)
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        batch = keys[start : start + _KEYS_PER_QUERY]
        with session_scope(settings.database) as session:
            known = state.known_storage_keys(session, batch)
        leftovers += [store.path(key) for key in batch if key not in known]
    for path in leftovers:
        with suppress(FileNotFoundError):  # another sweeper was first
            path.unlink()
    return len(leftovers)
