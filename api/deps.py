"""What the routes share: the settings, the file store, the enqueuer and a database transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from oncoguide.storage.db import session_scope
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


def transaction(request: Request) -> Iterator[Session]:
    with session_scope(services(request).settings.database) as session:
        yield session
