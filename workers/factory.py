"""The Celery app, configured from the service settings: queues, acknowledgement and redelivery."""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from oncoguide.storage.settings import Settings

DOCUMENT_TASK = "oncoguide.read_document"
CASE_TASK = "oncoguide.assemble_case"
SWEEP_TASK = "oncoguide.sweep"
# A patient's case and a partner's bulk upload wait in separate queues; a worker polls them in turn,
# so a long bulk backlog cannot hold back a patient's documents.
PATIENT, BULK = "patient", "bulk"
QUEUES = (PATIENT, BULK)


class ServiceCelery(Celery):
    settings: Settings


def make_celery(settings: Settings, include: list[str] | None = None) -> ServiceCelery:
    app = ServiceCelery("oncoguide", include=include or [], set_as_current=False)
    app.settings = settings
    app.conf.update(
        broker_url=settings.broker_url or "filesystem://localhost/",
        broker_transport_options=_transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # Acknowledge after the task ran, and give a task back if its worker process died: with the
        # tasks' compare-and-set writes, running one twice is harmless, losing one is not.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=[_queue(settings.queue(name)) for name in QUEUES],
        task_default_queue=settings.queue(PATIENT),
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
        worker_hijack_root_logger=False,
        beat_schedule={
            "sweep": {
                "task": SWEEP_TASK,
                "schedule": float(settings.sweep_interval),
                "options": {"queue": settings.queue(PATIENT), "expires": float(settings.sweep_interval)},
            }
        },
    )
    return app


def _queue(name: str) -> Queue:
    # Each queue its own exchange and key: a shared default exchange would route bulk work to patient.
    return Queue(name, Exchange(name, type="direct"), routing_key=name)


def _transport_options(settings: Settings) -> dict[str, Any]:
    if settings.broker_url is None:
        folder = settings.embedded_broker_dir
        for name in ("queue", "processed", "control"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "polling_interval": 0.2,
        }
    options: dict[str, Any] = {
        "visibility_timeout": settings.visibility_timeout,
        # Look for tasks whose worker vanished at least four times per visibility timeout.
        "unacked_restore_interval": max(1, min(10, settings.visibility_timeout // 4)),
        "unacked_restore_throttle": 1,
    }
    if settings.namespace:
        options["global_keyprefix"] = settings.namespace
    return options
