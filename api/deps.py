"""What the routes share: the settings, the file store and the enqueuer.

Routes open their transaction inside their own body (`session_scope`), never as a yield-dependency: a
dependency's teardown waits for a free threadpool thread, and under load every thread can be waiting
for a pooled connection that only such a teardown would give back (a deadlock until the pool times out).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from oncoguide.storage.files import FileStore
from oncoguide.storage.settings import Settings
from workers.enqueue import Enqueuer


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: FileStore
    enqueuer: Enqueuer


def services(request: Request) -> Services:
    return request.app.state.services
