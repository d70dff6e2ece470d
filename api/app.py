"""The FastAPI app: `uvicorn --factory api.app:create_app` (settings from ONCOGUIDE_* variables)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from api import cases, health, metrics, problems
from api.deps import Services
from oncoguide.storage.files import FileStore
from oncoguide.storage.settings import Settings
from workers.enqueue import Enqueuer
from workers.factory import make_celery
from workers.logs import configure_logging, log

logger = logging.getLogger("oncoguide.api")
DESCRIPTION = """Upload a person's cancer records and get back plain-language, cited guidance about
their case. **Informational, not medical advice.** Errors are RFC 9457 problem details."""


def create_app(settings: Settings | None = None, *, configure_logs: bool = True) -> FastAPI:
    settings = settings or Settings.from_env()
    if configure_logs:
        configure_logging()
    app = FastAPI(title="OncoGuide", version="0.1.0", description=DESCRIPTION)
    app.state.services = Services(
        settings=settings, store=FileStore.from_settings(settings), enqueuer=Enqueuer(make_celery(settings))
    )
    problems.install(app)
    app.include_router(health.router)
    app.include_router(cases.router)
    metrics.install(app, settings)
    app.middleware("http")(_access_log)
    return app


async def _access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """One line per request: method, route template, status, duration; no query string or body."""
    started = time.monotonic()
    response = await call_next(request)
    route = request.scope.get("route")
    log(
        logger,
        "http.request",
        method=request.method,
        route=getattr(route, "path", "unmatched"),
        status=response.status_code,
        ms=round((time.monotonic() - started) * 1000, 1),
    )
    return response
