"""GET /metrics for Prometheus: cases and documents by status (from the database), queue depths and
the workers' task durations and failures (from Redis, see workers/metrics.py). Collected at scrape
time, so every API process answers with the same figures. Counts only, no ids or record text."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import redis
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from oncoguide.storage.db import session_scope
from oncoguide.storage.models import Case, Document
from oncoguide.storage.settings import Settings
from workers.logs import log
from workers.metrics import TaskMetrics

logger = logging.getLogger("oncoguide.api")
router = APIRouter(tags=["health"])


class ServiceCollector(Collector):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tasks = TaskMetrics.of(settings)

    def collect(self) -> Iterator[Metric]:
        yield from self._database()
        if self.tasks is not None:
            yield from self._redis(self.tasks)

    def _database(self) -> Iterator[Metric]:
        cases = GaugeMetricFamily(
            "oncoguide_cases",
            "Cases by stage (open: awaiting documents, queued or being read)",
            labels=["stage"],
        )
        documents = GaugeMetricFamily("oncoguide_documents", "Documents by status", labels=["status"])
        with session_scope(self.settings.database) as session:
            for stage, count in session.execute(select(Case.stage, func.count()).group_by(Case.stage)):
                cases.add_metric([stage], count)
            for status, count in session.execute(
                select(Document.status, func.count()).group_by(Document.status)
            ):
                documents.add_metric([status], count)
        yield cases
        yield documents

    def _redis(self, tasks: TaskMetrics) -> Iterator[Metric]:
        up = GaugeMetricFamily("oncoguide_metrics_store_up", "1 if the workers' metrics in Redis were read")
        try:
            depths, durations, failures = tasks.queue_depths(), tasks.durations(), tasks.failures()
        except redis.RedisError as error:
            log(logger, "metrics.unavailable", logging.WARNING, error_type=type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        queued = GaugeMetricFamily("oncoguide_queue_depth", "Tasks waiting in each queue", labels=["queue"])
        for queue, depth in depths.items():
            queued.add_metric([queue], depth)
        yield queued
        seconds = HistogramMetricFamily(
            "oncoguide_task_duration_seconds", "Run time of the workers' tasks", labels=["task"]
        )
        for task, observed in durations.items():
            buckets = [(str(bound), count) for bound, count in observed.buckets]
            seconds.add_metric([task], [*buckets, ("+Inf", observed.count)], sum_value=observed.total)
        yield seconds
        failed = CounterMetricFamily(
            "oncoguide_task_failures",
            "Tasks that raised (reason retry or error) or failed a document or case (reason: its code)",
            labels=["task", "reason"],
        )
        for (task, reason), count in failures.items():
            failed.add_metric([task, reason], count)
        yield failed


def install(app: FastAPI, settings: Settings) -> None:
    # A registry per app, not the global one: each app (and test) collects for its own settings.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector(settings))
    app.state.metrics_registry = registry
    app.include_router(router)


@router.get("/metrics", summary="Prometheus metrics (text exposition format)")
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)
