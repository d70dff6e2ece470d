"""`make bench`, the service part: 50 concurrent cases of 10 text-PDF pages through the HTTP API
(uvicorn in a subprocess) to one Celery worker with 2 pool processes, on the machine's PostgreSQL and
Redis, beside the in-process pipeline on the same records in the same run.

Everything it starts is its own and is removed at the end, also on failure or timeout: a throwaway
database, a Redis key namespace in a database of its own, a temporary storage directory, the processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import redis
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from bench.pipeline_bench import build_corpus, page_count
from oncoguide.paths import REPO_ROOT
from oncoguide.pipeline import analyze
from oncoguide.storage.db import dispose_engines
from oncoguide.storage.migrate import upgrade
from oncoguide.storage.settings import PREFIX, Settings

CASES, POOL_PROCESSES = 50, 2
POSTGRES = os.environ.get("ONCOGUIDE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("ONCOGUIDE_BENCH_REDIS", "redis://127.0.0.1:6379/12")  # not DB 0: others use it
TIMEOUT = 300.0  # seconds for the whole load; the bench fails rather than hang
WAIT = 10  # a client's status request is held until the case is finished, at most this many seconds
BIN = Path(sys.executable).parent
_KB = 1024


def main() -> None:
    paths = build_corpus()
    records = [paths[number % len(paths)] for number in range(CASES)]
    pages = page_count(records)

    analyze(records[:1])  # load the NLP pipeline and the knowledge base outside the timing
    started = time.perf_counter()
    for path in records:  # each record one case, as through the service
        analyze([path])
    in_process = time.perf_counter() - started

    with _service() as (url, worker):
        memory = _MemorySampler(worker.pid)
        with memory:
            latencies, wall = asyncio.run(asyncio.wait_for(_load(url, records), TIMEOUT))

    rows = [
        ("whole pipeline in-process, same records", pages, in_process),
        (f"service: {CASES} concurrent cases, {POOL_PROCESSES} workers", pages, wall),
    ]
    reference = pages / in_process
    print(f"{'what':46} {'pages':>6} {'seconds':>8} {'pages/s':>9} {'vs in-process':>14}")
    for name, count, seconds in rows:
        rate = count / seconds
        print(f"{name:46} {count:6d} {seconds:8.2f} {rate:9.1f} {rate / reference:13.3f}x")
    p95 = statistics.quantiles(latencies, n=100)[94]
    print(
        f"upload-to-guidance latency: p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s "
        f"({len(latencies)} of {CASES} cases ready for review)"
    )
    pool = ", ".join(f"{rss / _KB:.0f} MB" for rss in memory.pool_peaks())
    print(
        f"peak worker memory (RSS): pool processes {pool}; the worker's processes together "
        f"{memory.peak_total / _KB:.0f} MB"
    )


async def _load(url: str, records: list[Path]) -> tuple[list[float], float]:
    limits = httpx.Limits(max_connections=CASES * 2)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        latencies = await asyncio.gather(*(_one_case(client, path) for path in records))
        return list(latencies), time.perf_counter() - started


async def _one_case(client: httpx.AsyncClient, path: Path) -> float:
    case_id = (await client.post("/cases")).raise_for_status().json()["id"]
    data = path.read_bytes()
    started = time.perf_counter()
    files = {"file": (path.name, data, "application/pdf")}
    (await client.post(f"/cases/{case_id}/documents", files=files)).raise_for_status()
    status_url = f"/cases/{case_id}?wait={WAIT}&until=finished"
    while (status := (await client.get(status_url)).json()["status"]) != "ready_for_review":
        if status == "failed":
            raise RuntimeError(f"bench: a case failed ({path.name})")
    (await client.get(f"/cases/{case_id}/guidance")).raise_for_status()
    return time.perf_counter() - started


@contextmanager
def _service() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The API and a worker on a throwaway database and Redis namespace; all removed afterwards."""
    tag = uuid.uuid4().hex[:10]
    database = f"oncoguide_bench_{tag}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="oncoguide-bench-") as folder:
        settings = Settings(
            storage_dir=Path(folder) / "storage",
            database_url=f"{POSTGRES}/{database}",
            broker_url=REDIS,
            encryption_key=Fernet.generate_key().decode(),
            namespace=f"bench-{tag}-",
            ocr=False,  # text PDFs: OCR is never needed
        )
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        try:
            upgrade(settings)
            env = _environment(settings)
            port = _free_port()
            api_log, worker_log = Path(folder) / "api.log", Path(folder) / "worker.log"
            api = [str(BIN / "uvicorn"), "--factory", "api.app:create_app", "--host", "127.0.0.1"]
            api += ["--port", str(port), "--no-access-log"]
            processes.append(_start(api, env, api_log))
            queues = ",".join(settings.queue(name) for name in ("patient", "bulk"))
            worker = [str(BIN / "celery"), "-A", "workers.app", "worker", "-Q", queues]
            worker += ["-c", str(POOL_PROCESSES), "--pool", "prefork", "--loglevel", "INFO"]
            worker += ["--without-gossip", "--without-mingle"]
            processes.append(_start(worker, env, worker_log))
            url = f"http://127.0.0.1:{port}"
            _wait(lambda: _ready(url), "the API to be ready", processes)
            # Measured warm, like the in-process row: each pool process has loaded the pipeline.
            warm = '"worker.warm"'
            _wait(
                lambda: worker_log.read_text(errors="replace").count(warm) >= POOL_PROCESSES,
                "warm",
                processes,
            )
            yield url, processes[1]
        finally:
            for process in processes:
                _stop(process)
            dispose_engines()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()
            _drop_namespace(settings.namespace)


def _environment(settings: Settings) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(PREFIX)}
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        env[PREFIX + name.upper()] = str(
            value.get_secret_value() if hasattr(value, "get_secret_value") else value
        )
    return env | {"OMP_THREAD_LIMIT": "1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


def _ready(url: str) -> bool:
    with suppress(httpx.HTTPError):
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    return False


def _wait(
    condition: Callable[[], bool], what: str, processes: list[subprocess.Popen[bytes]], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
            sys.exit(f"bench: timed out waiting for {what} (or a process exited)")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _drop_namespace(namespace: str) -> None:
    client = redis.Redis.from_url(REDIS)
    try:
        keys = list(client.scan_iter(match=f"{namespace}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


class _MemorySampler:
    """Peak RSS of the worker's main process and its pool children, read from /proc every 0.1 s."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peaks: dict[int, int] = {}  # pid -> peak RSS in kB
        self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def pool_peaks(self) -> list[int]:
        """The largest children: the pool processes (short-lived helpers such as `tesseract --version`
        are children too)."""
        children = [peak for pid, peak in self.peaks.items() if pid != self.root]
        return sorted(children, reverse=True)[:POOL_PROCESSES]

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            sizes = {pid: _rss_kb(pid) for pid in _tree(self.root)}
            for pid, size in sizes.items():
                self.peaks[pid] = max(self.peaks.get(pid, 0), size)
            self.peak_total = max(self.peak_total, sum(sizes.values()))


def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid, *(descendant for child in children for descendant in _tree(int(child)))]


def _rss_kb(pid: int) -> int:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    main()
