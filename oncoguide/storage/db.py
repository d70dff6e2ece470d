"""Engines and sessions, one engine per database URL and process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

_sessions: dict[str, sessionmaker[Session]] = {}


class EncodedJson(str):
    """JSON text already encoded (by pydantic's `model_dump_json`, several times faster than dumping to
    dicts and then encoding them), written to a JSON column as it is."""


def _dumps(value: object) -> str:
    return value if isinstance(value, EncodedJson) else json.dumps(value)


def engine_for(url: str) -> Engine:
    return _sessionmaker(url).kw["bind"]


def _sessionmaker(url: str) -> sessionmaker[Session]:
    if url not in _sessions:
        _sessions[url] = sessionmaker(_create_engine(url), expire_on_commit=False)
    return _sessions[url]


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=_dumps
        )
        # The API and the worker are separate processes writing one file: WAL lets readers go on.
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # As many pooled connections as the API's threads use at once under load: a connection opened past the
    # pool is closed on return, and opening one costs PostgreSQL a process.
    return create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=10, json_serializer=_dumps)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def dispose_engines() -> None:
    """Drop pooled connections inherited from a parent process (they belong to its sockets)."""
    for maker in _sessions.values():
        maker.kw["bind"].dispose(close=False)


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back if it raises."""
    with _sessionmaker(url).begin() as session:
        yield session


def ping(url: str) -> None:
    with engine_for(url).connect() as connection:
        connection.execute(text("SELECT 1"))
