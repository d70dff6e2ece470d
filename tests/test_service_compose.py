"""docker-compose.yml, checked by parsing it (no Docker engine runs here): the services, their health
checks and start order, the volumes, and a worker that `--scale worker=N` can multiply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_four_parts_are_there_with_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"api", "worker", "redis", "postgres"} <= services.keys()
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "readyz" in str(services["api"]["healthcheck"]["test"])


def test_services_start_after_what_they_need_is_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        for needed in ("postgres", "redis"):
            assert depends[needed]["condition"] == "service_healthy", (name, needed)
    assert services["worker"]["depends_on"]["api"]["condition"] == "service_healthy"  # migrations ran


def test_the_worker_scales(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    command = worker["command"]
    assert "workers.app" in command and "patient,bulk" in command


def test_state_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    services, volumes = compose["services"], compose["volumes"]
    mounts = {
        name: [mount.split(":")[0] for mount in service.get("volumes", [])]
        for name, service in services.items()
    }
    assert "postgres-data" in mounts["postgres"] and "redis-data" in mounts["redis"]
    assert mounts["api"] == mounts["worker"] == ["files"]  # the workers read what the API stored
    assert {"files", "postgres-data", "redis-data"} <= volumes.keys()


def test_the_service_is_configured_for_postgres_redis_and_a_real_key(compose: dict[str, Any]) -> None:
    environment = compose["services"]["worker"]["environment"]
    assert environment["ONCOGUIDE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert environment["ONCOGUIDE_BROKER_URL"].startswith("redis://redis:")
    assert ":?" in environment["ONCOGUIDE_ENCRYPTION_KEY"]  # compose refuses to start without a key
    assert compose["services"]["api"]["environment"] == environment


def test_the_image_runs_the_api_and_holds_the_migrations() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY migrations" in dockerfile and "constraints.txt" in dockerfile
    assert "USER oncoguide" in dockerfile and "api.app:create_app" in dockerfile
