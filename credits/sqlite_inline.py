"""SQLite on the event loop's own thread, for the short transactions of a turn.

aiosqlite runs every call (BEGIN, each statement, each fetch, COMMIT, the pool's reset) in a
worker thread and wakes the event loop for each answer: a one-row SELECT costs about 0.5 ms of
CPU, six times what the same SELECT costs when called directly, and a balance turn made about
forty such hops. A turn's statements take microseconds on a local file, far less than the hops,
so `Database` keeps a second engine whose connections run SQLite in place (`InlineConnection`)
for the turn's short reads and writes (`Database.read(quick=True)`, `write(quick=True)`).

What must never happen on the event loop is a *wait*: for another process's write lock, or a
checkpoint copying the log into the database file. So these connections never wait: a busy
timeout of zero when a write transaction starts (`Database` then falls back to the threaded
engine, which waits in its thread as before), a short one for reads (a reader in WAL mode waits
for no writer; it can only meet the brief recovery of the log), and no automatic checkpoint:
`Database` checkpoints from its threaded engine every so many quick writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite

READ_BUSY_TIMEOUT_MS = 200


class Busy(Exception):
    """A quick write transaction could not begin: another process holds the write lock."""


class _RunNow:
    """Stands in for aiosqlite's queue to its thread: what is put runs at once. (SQLAlchemy's
    aiosqlite adapter puts its isolation-level change on that queue itself.)"""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to the waiter, as aiosqlite does
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run in place: no thread, no hop."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection itself (credits/prepared.py runs its statements on it)."""
        return self._conn

    def begin_now(self, *, write: bool, read_busy_ms: int) -> None:
        """BEGIN, in place (a statement through SQLAlchemy costs more than the BEGIN itself).
        A write begins IMMEDIATE without waiting: `Busy` when another process writes."""
        conn = self._conn
        if not write:
            conn.execute("BEGIN")
            return
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            raise Busy() from error
        finally:
            conn.execute(f"PRAGMA busy_timeout = {read_busy_ms}")

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def inline_creator(path: str) -> Callable[[], Any]:
    """`create_async_engine(async_creator=...)` for connections to the SQLite file at `path`."""

    async def connect() -> InlineConnection:
        def connector() -> sqlite3.Connection:
            # the engine's "connect" hook sets the pragmas (credits/db.py)
            return sqlite3.connect(path, check_same_thread=False)

        return await InlineConnection(connector)

    return connect
