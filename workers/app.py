"""The worker's Celery app (`celery -A workers.app worker -Q patient,bulk`), configured from the
ONCOGUIDE_* environment (see oncoguide/storage/settings.py)."""

from __future__ import annotations

from typing import Any

from celery.signals import setup_logging, worker_process_init

from oncoguide.storage.db import dispose_engines
from oncoguide.storage.settings import Settings
from workers.factory import make_celery
from workers.logs import configure_logging

app = make_celery(Settings.from_env(), include=["workers.tasks"])


@setup_logging.connect
def _json_logs(**_: Any) -> None:
    configure_logging()


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    dispose_engines()
