"""Sending work to the queues. A failed send is logged and left to the sweeper: the work is already
committed to the database, so it is delayed, never lost."""

from __future__ import annotations

import logging

from celery import Celery
from kombu.exceptions import OperationalError

from workers.factory import CASE_TASK, DOCUMENT_TASK, ServiceCelery
from workers.logs import log

logger = logging.getLogger("oncoguide.enqueue")
# Redis priorities, lower first: a worker takes any waiting case task (a short assembly that finishes a
# case) before more document tasks, or cases would all wait for the whole document backlog. Patient and
# bulk queues still alternate at each priority.
CASE_PRIORITY, DOCUMENT_PRIORITY = 0, 6


class Enqueuer:
    def __init__(self, app: ServiceCelery) -> None:
        self.app: Celery = app
        self.settings = app.settings

    def document(self, document_id: str, queue: str) -> bool:
        return self._send(DOCUMENT_TASK, [document_id], queue, DOCUMENT_PRIORITY, document_id=document_id)

    def case(self, case_id: str, run: int, queue: str) -> bool:
        return self._send(CASE_TASK, [case_id, run], queue, CASE_PRIORITY, case_id=case_id, run=run)

    def _send(self, task: str, args: list[object], queue: str, priority: int, **ids: object) -> bool:
        try:
            self.app.send_task(task, args=args, queue=self.settings.queue(queue), priority=priority)
        except (OperationalError, OSError) as error:
            log(
                logger, "enqueue.deferred", logging.WARNING, task=task, error_type=type(error).__name__, **ids
            )
            return False
        return True
