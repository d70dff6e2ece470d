"""Wake-ups for requests waiting on a case (`GET /cases/{id}?wait=S`).

Every change of a case's status sends a PostgreSQL NOTIFY with the case's id from the transaction that
makes it (`state.announce`), so the notice goes out when, and only when, the change commits. The API
process listens on one connection of its own, in a thread, while some request waits; a woken request
reads the status once. Before, each waiting request queried the database four times a second: with 50
clients waiting, most of the API's work and a good part of PostgreSQL's.

A notice is missed while the listener (re)connects, and SQLite has no NOTIFY: waiters then look every
WAIT_CHECK seconds, and every FALLBACK seconds in any case.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
from sqlalchemy import make_url

from oncoguide.storage.state import CHANGES_CHANNEL
from workers.logs import log

logger = logging.getLogger("oncoguide.api")
WAIT_CHECK = 0.25  # seconds between a waiter's looks at the case while no notices come
FALLBACK = 5.0  # seconds between a waiter's looks while the listener runs: a safety net only
LINGER = 10.0  # seconds the listener stays connected after its last waiter left
_POLL = 1.0  # seconds the listener waits for notices before it checks whether to stop
_RECONNECT = 1.0


class Waiter:
    """One waiting request: woken from the listener's thread, awaited on the request's event loop."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def wake(self) -> None:
        with suppress(RuntimeError):  # the request's loop has closed: nobody waits any more
            self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self, timeout: float) -> None:
        """Until woken or `timeout` seconds have passed."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()


class CaseChanges:
    """The notices of one database, for the waiting requests of this process."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._postgres = url.startswith("postgresql")
        self._lock = threading.Lock()
        self._waiters: dict[str, set[Waiter]] = {}
        self._thread: threading.Thread | None = None
        self._last_left = 0.0
        self.listening = False

    def interval(self) -> float:
        """Seconds a waiter may go without looking at its case."""
        return FALLBACK if self.listening else WAIT_CHECK

    @contextmanager
    def watch(self, case_id: str) -> Iterator[Waiter]:
        waiter = Waiter()
        with self._lock:
            self._waiters.setdefault(case_id, set()).add(waiter)
            if self._postgres and self._thread is None:
                self._thread = threading.Thread(target=self._listen, name="case-changes", daemon=True)
                self._thread.start()
        try:
            yield waiter
        finally:
            with self._lock:
                waiters = self._waiters[case_id]
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[case_id]
                self._last_left = time.monotonic()

    def _listen(self) -> None:
        try:
            while True:
                try:
                    self._receive()
                    return  # nobody waits any more
                except psycopg.Error as error:
                    log(logger, "changes.disconnected", logging.WARNING, error_type=type(error).__name__)
                    if self._done():
                        return
                    time.sleep(_RECONNECT)
        finally:
            with self._lock:
                if self._thread is threading.current_thread():  # ended by a bug: the next waiter
                    self._thread = None  # starts another listener

    def _receive(self) -> None:
        url = make_url(self._url)
        _, params = url.get_dialect()().create_connect_args(url)  # the engine's own connection settings
        connection = psycopg.connect(autocommit=True, **({"connect_timeout": 5} | params))
        try:
            connection.execute(f"LISTEN {CHANGES_CHANNEL}")
            self.listening = True
            self._wake(None)  # changes made before LISTEN took effect were announced to nobody
            while not self._done():
                for notice in connection.notifies(timeout=_POLL):
                    self._wake(notice.payload)
        finally:
            self.listening = False
            connection.close()

    def _done(self) -> bool:
        """Stop once nobody has waited for LINGER seconds; the next waiter starts a new listener."""
        with self._lock:
            if self._waiters or time.monotonic() - self._last_left < LINGER:
                return False
            self._thread = None
            return True

    def _wake(self, case_id: str | None) -> None:
        """Wake the case's waiters, or with None every waiter."""
        with self._lock:
            if case_id is None:
                waiters = [waiter for group in self._waiters.values() for waiter in group]
            else:
                waiters = list(self._waiters.get(case_id, ()))
        for waiter in waiters:
            waiter.wake()
