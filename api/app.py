"""The FastAPI app: `uvicorn --factory api.app:create_app` (settings from ONCOGUIDE_* variables)."""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import cases, health, metrics, problems
from api.changes import CaseChanges
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
        settings=settings,
        store=FileStore.from_settings(settings),
        enqueuer=Enqueuer(make_celery(settings)),
        changes=CaseChanges(settings.database),
    )
    problems.install(app)
    app.include_router(health.router)
    app.include_router(cases.router)
    metrics.install(app, settings)
    app.add_middleware(_AccessLog)
    return app


class _AccessLog:
    """One line per request: method, route template, status, duration; no query string or body. Plain
    ASGI: Starlette's BaseHTTPMiddleware runs every request through an extra task and streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, send_and_note)
        log(
            logger,
            "http.request",
            method=scope["method"],
            route=getattr(scope.get("route"), "path", "unmatched"),
            status=status,
            ms=round((time.monotonic() - started) * 1000, 1),
        )
