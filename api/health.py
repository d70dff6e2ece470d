"""Liveness (the process answers) and readiness (the database and the broker answer)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import Services, services
from oncoguide.storage.db import ping
from workers.logs import log

logger = logging.getLogger("oncoguide.api")
router = APIRouter(tags=["health"])
BROKER_TIMEOUT = 2.0


@router.get("/healthz", summary="The API process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database and the broker are reachable",
    responses={503: {"description": "a dependency is down", "content": {"application/problem+json": {}}}},
)
async def readyz(svc: Annotated[Services, Depends(services)]) -> JSONResponse:
    checks = {
        "database": await run_in_threadpool(_check, lambda: ping(svc.settings.database)),
        "broker": await run_in_threadpool(_check, lambda: _ping_broker(svc)),
    }
    if all(result == "ok" for result in checks.values()):
        return JSONResponse({"status": "ok", "checks": checks})
    down = ", ".join(name for name, result in checks.items() if result != "ok")
    log(logger, "readyz.down", logging.WARNING, **checks)
    body = {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": f"{down} unreachable",
    }
    return JSONResponse({**body, "checks": checks}, status_code=503, media_type="application/problem+json")


def _check(probe: Callable[[], object]) -> str:
    try:
        probe()
    except Exception as error:  # any failure means not ready; the type is enough to act on
        return f"error: {type(error).__name__}"
    return "ok"


def _ping_broker(svc: Services) -> None:
    with svc.enqueuer.app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
