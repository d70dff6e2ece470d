"""Re-enqueue work that was accepted but has been idle too long: a lost message, a crash between a
commit and a send, a worker killed mid-task. The tasks are idempotent, so a duplicate does no harm."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from oncoguide.storage import state
from oncoguide.storage.db import session_scope
from oncoguide.storage.models import utcnow
from workers.enqueue import Enqueuer
from workers.logs import log

logger = logging.getLogger("oncoguide.sweeper")


@dataclass(frozen=True)
class SweepReport:
    documents: int
    cases: int


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
    report = SweepReport(documents=len(work.documents), cases=cases)
    if report.documents or report.cases:
        log(logger, "sweeper.requeued", documents=report.documents, cases=report.cases)
    return report
