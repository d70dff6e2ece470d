"""The worker's Celery app (`celery -A workers.app worker -Q patient,bulk`), configured from the
ONCOGUIDE_* environment (see oncoguide/storage/settings.py)."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import Task, states
from celery.signals import setup_logging, task_postrun, task_prerun, worker_process_init

from extractors.findings import extract_document
from oncoguide.pipeline import assemble, text_document
from oncoguide.storage.db import dispose_engines, engine_for
from oncoguide.storage.settings import Settings
from workers.factory import make_celery
from workers.logs import configure_logging, log
from workers.metrics import TaskMetrics

app = make_celery(Settings.from_env(), include=["workers.tasks"])
metrics = TaskMetrics.of(app.settings)
_started: dict[str, float] = {}  # task id -> monotonic start, in the pool process running it
logger = logging.getLogger("oncoguide.worker")
# Made-up text touching every extractor and the knowledge base; no patient's record.
_WARM_UP_TEXT = (
    "FINAL DIAGNOSIS: Invasive ductal carcinoma of the left breast, grade 2, 2.1 cm. pT2 pN1a (2/14 lymph "
    "nodes positive). ER positive (95%), PR negative, HER2 negative (IHC 1+). No lymphovascular invasion. "
    "EGFR exon 19 deletion not detected. Plan: tamoxifen; family history of ovarian cancer."
)


@setup_logging.connect
def _json_logs(**_: Any) -> None:
    configure_logging()


@worker_process_init.connect
def _prepare_process(**_: Any) -> None:
    dispose_engines()
    engine_for(app.settings.database)  # imports the database driver now, not in the first task
    _warm_up()


def _warm_up() -> None:
    """Load the NLP pipeline, compile the lexicons and read the knowledge base (~2 s) when the pool
    process starts, so that its first task, a patient's case, does not pay for it."""
    started = time.monotonic()
    document = text_document(_WARM_UP_TEXT, "warm-up")
    assemble([document], extract_document(document))
    log(logger, "worker.warm", pid=os.getpid(), seconds=round(time.monotonic() - started, 3))


@task_prerun.connect
def _start_clock(task_id: str, **_: Any) -> None:
    _started[task_id] = time.monotonic()


@task_postrun.connect
def _record_task(task_id: str, task: Task, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    if metrics is None or started is None:
        return
    metrics.observe(task.name, time.monotonic() - started)
    if state == states.RETRY:
        metrics.failure(task.name, "retry")
    elif state == states.FAILURE:
        metrics.failure(task.name, "error")
