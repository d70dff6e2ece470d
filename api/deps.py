"""What the routes share: the settings, the file store, the enqueuer and the case-change listener.

Routes open their transaction inside their own body (`session_scope`), never as a yield-dependency: a
dependency's teardown waits for a free threadpool thread, and under load every thread can be waiting
for a pooled connection that only such a teardown would give back (a deadlock until the pool times out).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.changes import CaseChanges
from oncoguide.storage.files import FileStore
from oncoguide.storage.settings import Settings
from workers.enqueue import Enqueuer


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: FileStore
    enqueuer: Enqueuer
    changes: CaseChanges


async def services(request: Request) -> Services:
    # Dependencies are `async def` although they never wait: FastAPI runs a plain `def` dependency in its
    # threadpool, a thread hop per dependency and request for a dictionary lookup.
    return request.app.state.services
