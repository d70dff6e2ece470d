"""The worker's Celery app (`celery -A workers.app worker -Q patient,bulk`), configured from the
ONCOGUIDE_* environment (see oncoguide/storage/settings.py)."""

from __future__ import annotations

import time
from typing import Any

from celery import Task, states
from celery.signals import setup_logging, task_postrun, task_prerun, worker_process_init

from oncoguide.storage.db import dispose_engines
from oncoguide.storage.settings import Settings
from workers.factory import make_celery
from workers.logs import configure_logging
from workers.metrics import TaskMetrics

app = make_celery(Settings.from_env(), include=["workers.tasks"])
metrics = TaskMetrics.of(app.settings)
_started: dict[str, float] = {}  # task id -> monotonic start, in the pool process running it


@setup_logging.connect
def _json_logs(**_: Any) -> None:
    configure_logging()


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    dispose_engines()


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
