"""Fixtures for the service tests: a throwaway PostgreSQL database and Redis namespace on the machine's
real servers, real Celery worker processes, and an in-process API client. Everything started is stopped
and dropped afterwards, also when a test fails."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from oncoguide.storage.db import dispose_engines
from oncoguide.storage.migrate import upgrade
from oncoguide.storage.settings import PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]
CELERY = ROOT / ".venv" / "bin" / "celery"
POSTGRES = os.environ.get("ONCOGUIDE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("ONCOGUIDE_TEST_REDIS", "redis://127.0.0.1:6379/11")  # not DB 0: leave it to others
FINISHED = ("ready_for_review", "failed")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def require_servers() -> None:
    for url, port, name in ((POSTGRES, 5432, "PostgreSQL"), (REDIS, 6379, "Redis")):
        if not _reachable(url, port):
            pytest.skip(f"{name} is not reachable at {url}; start it (see ../shared/STACK-NOTES.md)")


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the test module, migrated with Alembic, dropped at the end."""
    require_servers()
    name = f"oncoguide_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{POSTGRES}/{name}"
    try:
        upgrade(Settings(database_url=url))
        yield url
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_settings(database_url: str, storage_dir: Path, **overrides: Any) -> Settings:
    """Settings on the real servers with a namespace of their own (queues and Redis keys)."""
    values: dict[str, Any] = {
        "storage_dir": storage_dir,
        "database_url": database_url,
        "broker_url": REDIS,
        "encryption_key": Fernet.generate_key().decode(),
        "namespace": f"test-{uuid.uuid4().hex[:8]}-",
        "visibility_timeout": 5,
        "document_time_limit": 60,
        "case_time_limit": 30,
    }
    return Settings.model_validate(values | overrides)


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = make_settings(database_url, tmp_path_factory.mktemp("storage"))
    try:
        yield settings
    finally:
        drop_namespace(settings)


def drop_namespace(settings: Settings) -> None:
    client = redis.Redis.from_url(REDIS)
    try:
        keys = list(client.scan_iter(match=f"{settings.namespace}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def environment(settings: Settings) -> dict[str, str]:
    """The settings as the ONCOGUIDE_* variables a worker process reads."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(PREFIX)}
    for name, value in settings.model_dump(exclude_none=True).items():
        secret = getattr(settings, name)
        plain = secret.get_secret_value() if hasattr(secret, "get_secret_value") else value
        env[PREFIX + name.upper()] = str(plain)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


class Worker:
    """A real `celery worker` process (prefork, one child) in its own process group."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.name = f"w{uuid.uuid4().hex[:8]}"
        self.log = log_dir / f"{self.name}.log"
        queues = ",".join(settings.queue(name) for name in ("patient", "bulk"))
        command = [str(CELERY), "-A", "workers.app", "worker", "-Q", queues, "-c", "1", "--pool", "prefork"]
        command += ["-n", f"{self.name}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment(settings), stdout=sink, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_until(
            lambda: "ready." in self.log.read_text(errors="replace") or self.process.poll() is not None, 60
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"the worker exited at start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the whole group: the main process and its pool child die mid-task, no cleanup."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[Settings], Worker]]:
    started: list[Worker] = []

    def start(settings: Settings) -> Worker:
        worker = Worker(settings, tmp_path)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private `redis-server` without persistence, so that killing it loses every queued message; the
    machine's shared Redis is never restarted. `start()` again comes back empty on the same port."""

    def __init__(self, log_dir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed; the Redis restart test needs its own server")
        self.binary = binary
        self.port = free_port()
        self.log = log_dir / f"redis-{self.port}.log"
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--logfile", str(self.log)]
        self.process = subprocess.Popen(command, start_new_session=True)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        try:
            wait_until(lambda: _answers(client), timeout=10)
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    try:
        yield server
    finally:
        server.kill()


def client_for(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, configure_logs=False))


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


def wait_for_case(client: TestClient, case_id: str, timeout: float = 60) -> dict[str, Any]:
    """Wait for the case to be ready for review or failed (held status requests); fail at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        case = client.get(f"/cases/{case_id}", params={"wait": 1}).json()
        if case["status"] in FINISHED:
            return case
        if time.monotonic() > deadline:
            pytest.fail(f"case still {case['status']} after {timeout} s: {case['progress']}")


def upload(
    client: TestClient, case_id: str, name: str, data: bytes, content_type: str = "application/pdf"
) -> Any:
    return client.post(f"/cases/{case_id}/documents", files={"file": (name, data, content_type)})


def replace(settings: Settings, **changes: Any) -> Settings:
    """A validated copy (model_copy would skip validation, e.g. of secrets)."""
    return Settings.model_validate(settings.model_dump() | changes)
