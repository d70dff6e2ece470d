"""Task metrics shared by every worker process: recorded in Redis, exported by the API at /metrics.

Why Redis and not prometheus_client's multiprocess mode: the workers are prefork children in other
containers than the API (`docker compose up --scale worker=N`). Multiprocess mode shares mmap files in
one directory of one host, so the API could not read them, and per-worker scrape targets would take
their counters with them when a container is replaced. Every process already reaches Redis, the broker:
HINCRBY is atomic across processes and hosts and needs no lock. If Redis loses its data the counters
start again from zero, which Prometheus' rate() reads as an ordinary counter reset.

With the embedded filesystem broker (one machine, no Redis) nothing is recorded; /metrics then
exports the case and document counts only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis

from oncoguide.storage.settings import Settings
from workers.factory import CASE_TASK, DOCUMENT_TASK, QUEUES, SWEEP_TASK
from workers.logs import log

logger = logging.getLogger("oncoguide.metrics")
TASKS = (DOCUMENT_TASK, CASE_TASK, SWEEP_TASK)
BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
# kombu keeps messages sent with a priority in sub-lists named queue + separator + priority.
_PRIORITY_SUFFIXES = ("", *(f"\x06\x16{priority}" for priority in (3, 6, 9)))
_TIMEOUT = 1.0  # seconds; a Redis outage must not hold a task or a scrape up


@dataclass(frozen=True)
class Durations:
    buckets: list[tuple[float, int]]  # (upper bound, tasks that took at most that long): cumulative
    count: int
    total: float


class TaskMetrics:
    def __init__(self, settings: Settings, client: redis.Redis) -> None:
        self.settings = settings
        self.client = client

    @classmethod
    def of(cls, settings: Settings) -> TaskMetrics | None:
        url = settings.broker_url
        if url is None or not url.startswith(("redis://", "rediss://", "unix://")):
            return None
        client = redis.Redis.from_url(url, socket_timeout=_TIMEOUT, socket_connect_timeout=_TIMEOUT)
        return cls(settings, client)

    def _key(self, name: str) -> str:
        return f"{self.settings.namespace}oncoguide:metrics:{name}"

    # --- the workers' side: never raises, a lost sample must not fail a task -----------------

    def observe(self, task: str, seconds: float) -> None:
        key = self._key(f"duration:{task}")
        pipe = self.client.pipeline(transaction=False)
        for bound in BUCKETS:
            if seconds <= bound:
                pipe.hincrby(key, str(bound), 1)
        pipe.hincrby(key, "count", 1)
        pipe.hincrbyfloat(key, "sum", seconds)
        self._run(pipe)

    def failure(self, task: str, reason: str) -> None:
        """reason: `retry` or `error` for a task that raised, or the failure code a task recorded."""
        pipe = self.client.pipeline(transaction=False)
        pipe.hincrby(self._key("failures"), f"{task}|{reason}", 1)
        self._run(pipe)

    def _run(self, pipe: redis.client.Pipeline) -> None:
        try:
            pipe.execute()
        except redis.RedisError as error:
            log(logger, "metrics.dropped", logging.WARNING, error_type=type(error).__name__)

    # --- the API's side: raises redis.RedisError for the caller to report ----------------------

    def durations(self) -> dict[str, Durations]:
        pipe = self.client.pipeline(transaction=False)
        for task in TASKS:
            pipe.hgetall(self._key(f"duration:{task}"))
        result = {}
        for task, raw in zip(TASKS, pipe.execute(), strict=True):
            fields = {key.decode(): value for key, value in raw.items()}
            buckets = [(bound, int(fields.get(str(bound), 0))) for bound in BUCKETS]
            result[task] = Durations(buckets, int(fields.get("count", 0)), float(fields.get("sum", 0)))
        return result

    def failures(self) -> dict[tuple[str, str], int]:
        raw = self.client.hgetall(self._key("failures"))
        pairs = ((key.decode().split("|", 1), int(value)) for key, value in raw.items())
        return {(task, reason): count for (task, reason), count in pairs}

    def queue_depths(self) -> dict[str, int]:
        """Messages waiting in each queue (not those a worker holds unacknowledged)."""
        pipe = self.client.pipeline(transaction=False)
        for name in QUEUES:
            # The broker's global_keyprefix comes before the (already namespaced) queue name.
            key = self.settings.namespace + self.settings.queue(name)
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(key + suffix)
        lengths = pipe.execute()
        step = len(_PRIORITY_SUFFIXES)
        return {name: sum(lengths[i * step : (i + 1) * step]) for i, name in enumerate(QUEUES)}
