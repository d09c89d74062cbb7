"""The database: engine set-up for SQLite (embedded default) and PostgreSQL (scale-out),
write transactions that serialise correctly on both, and migrations (Alembic)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from credits.config import CreditsConfig
from credits.sqlite_inline import READ_BUSY_TIMEOUT_MS, Busy, InlineConnection, inline_creator

SQLITE_BUSY_TIMEOUT_MS = 30_000
# quick write transactions between two checkpoints of the write-ahead log (SQLite's own
# automatic checkpoint is every 1,000 pages; a turn's write is a page or two)
CHECKPOINT_EVERY_WRITES = 500
T = TypeVar("T")
# the newest migration (credits/migrations/versions/); tests/test_migrations.py checks that it
# is Alembic's head, so a new migration cannot be forgotten here
HEAD_REVISION = "0004"
POSTGRES_POOL_SIZE = 20  # per process (CREDITS_DATABASE_POOL_SIZE); PostgreSQL allows 100
POSTGRES_POOL_OVERFLOW = 10


def normalise_url(url: str) -> str:
    """Accept the plain scheme names users write and pick the async drivers."""
    parsed = make_url(url)
    driver = parsed.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif driver in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """One engine per process. `write()` is the only way to change data.

    SQLite: WAL mode, a busy timeout, and every write transaction starts with BEGIN IMMEDIATE
    (a deferred transaction that reads and then writes fails with "database is locked" under
    concurrency); writers in one process also queue on a lock rather than spinning on the file.
    PostgreSQL: READ COMMITTED, and the code locks the account row (SELECT ... FOR UPDATE) before
    any change to it; background work is claimed with FOR UPDATE SKIP LOCKED.

    `quick=True` is for the short transactions of a turn (a few small statements, no gateway or
    network call inside): on SQLite they run on the event loop's thread, without aiosqlite's
    hop per call (credits/sqlite_inline.py), and a quick write that would have to wait for
    another process's write lock runs on the threaded engine instead; on PostgreSQL it changes
    nothing. Anything that may read many rows (statements, reports, ingest, verify) stays
    threaded.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        echo: bool = False,
        pool_size: int = POSTGRES_POOL_SIZE,
        **engine_args: Any,
    ) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {self.dialect!r}: use sqlite or postgresql")
        if schema is not None:
            if self.dialect != "postgresql":
                raise ValueError("a database schema can only be chosen on PostgreSQL")
            connect_args = engine_args.setdefault("connect_args", {})
            connect_args.setdefault("server_settings", {})["search_path"] = schema
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database in ("", ":memory:") or database.startswith("file::memory"):
                raise ValueError("use a SQLite file, not an in-memory database")
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if self.dialect == "postgresql":
            # enough connections for the turns of a busy replica: a connection above the pool's
            # size is closed when it is given back, and making one costs milliseconds
            engine_args.setdefault("pool_size", pool_size)
            engine_args.setdefault("max_overflow", POSTGRES_POOL_OVERFLOW)
        self.engine: AsyncEngine = create_async_engine(self.url, echo=echo, **engine_args)
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._quick: AsyncEngine | None = None
        self._quick_writes = 0
        self._checkpoint: asyncio.Task[None] | None = None
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self.engine, quick=False)
            self._quick = create_async_engine(
                self.url, async_creator=inline_creator(str(Path(database).expanduser())), echo=echo
            )
            _install_sqlite_hooks(self._quick, quick=True)

    @classmethod
    def of(cls, config: CreditsConfig, **engine_args: Any) -> Database:
        """The configured database (its URL, schema and pool size)."""
        return cls(
            config.database_url,
            schema=config.database_schema,
            pool_size=config.database_pool_size,
            **engine_args,
        )

    @asynccontextmanager
    async def write(self, *, quick: bool = False) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on success, rolled back on any exception."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock:
            if quick and self._quick is not None:
                async with self._quick.connect() as raw:
                    conn = await raw.execution_options(credits_write=True)
                    try:
                        transaction = await conn.begin()
                    except Busy:  # another process writes: wait for it in a thread
                        pass
                    else:
                        try:
                            yield conn
                        except BaseException:
                            await transaction.rollback()
                            raise
                        await transaction.commit()
                        self._wrote_quickly()
                        return
            async with self.engine.connect() as raw:
                conn = await raw.execution_options(credits_write=True)
                async with conn.begin():
                    yield conn

    @asynccontextmanager
    async def read(self, *, quick: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot on both backends)."""
        engine = self._quick if quick and self._quick is not None else self.engine
        async with engine.connect() as conn, conn.begin():
            yield conn

    async def run_read(self, fn: Callable[[Connection], T]) -> T:
        """`fn(conn)` in a quick read transaction, the whole of it in one step: `fn` is plain
        (synchronous) code on SQLAlchemy's `Connection`, which on PostgreSQL still talks to
        asyncpg without blocking (SQLAlchemy's greenlet bridge). `read()` makes a step of each
        connect, begin, statement and commit; this is the turn's hot path."""
        engine = (self._quick or self.engine).sync_engine

        def transaction() -> T:
            with engine.connect() as conn, conn.begin():
                return fn(conn)

        return await greenlet_spawn(transaction)

    async def run_write(self, fn: Callable[[Connection], T]) -> T:
        """`fn(conn)` in a quick write transaction, in one step (see `run_read`): committed
        on success, rolled back on any exception."""
        if self._write_lock is None:
            done: T = await greenlet_spawn(_in_transaction, self.engine.sync_engine, fn)
            return done
        async with self._write_lock:
            if self._quick is not None:
                try:
                    result: T = await greenlet_spawn(_in_transaction, self._quick.sync_engine, fn)
                except Busy:  # another process writes: wait for it in a thread
                    pass
                else:
                    self._wrote_quickly()
                    return result
            written: T = await greenlet_spawn(_in_transaction, self.engine.sync_engine, fn)
            return written

    async def run_each(self, fn: Callable[[Connection], T], *, writes: bool) -> T:
        """`fn(conn)` whose statements need no transaction around them, each being whole on
        its own (one INSERT ... ON CONFLICT, one SELECT that reads a consistent snapshot). On
        PostgreSQL each is sent in autocommit: one round trip, where BEGIN and COMMIT around
        it make three. On SQLite a quick transaction (`run_write`, or `run_read`): changing a
        pooled SQLite connection to autocommit and back would hand transaction control back to
        the sqlite3 module, which the quick and threaded engines take from it."""
        if self.dialect != "postgresql":
            return await (self.run_write(fn) if writes else self.run_read(fn))
        engine = self.engine.sync_engine

        def each() -> T:
            with engine.connect() as conn:
                return fn(conn.execution_options(isolation_level="AUTOCOMMIT"))

        done: T = await greenlet_spawn(each)
        return done

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine of this database (tests listen to their statements)."""
        return (self.engine,) if self._quick is None else (self.engine, self._quick)

    def _wrote_quickly(self) -> None:
        """Checkpoint the write-ahead log now and then, in a thread (quick connections never
        do: a checkpoint writes and syncs the database file)."""
        self._quick_writes += 1
        if self._quick_writes < CHECKPOINT_EVERY_WRITES:
            return
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        self._quick_writes = 0
        self._checkpoint = asyncio.get_running_loop().create_task(self._checkpoint_now())

    async def _checkpoint_now(self) -> None:
        """With this process's writers held back: a checkpoint that writes meanwhile never
        catches up, and only a log checkpointed to its end is started again from its start
        by the next writer (else it grows for ever)."""
        assert self._write_lock is not None
        async with self._write_lock, self.engine.connect() as conn:
            # outside any transaction (a statement through SQLAlchemy would begin one first,
            # and a checkpoint inside a transaction cannot finish)
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def migrate(self) -> None:
        """Bring the schema to the newest version, in place, keeping all data."""
        async with self.write() as conn:
            if self.dialect == "postgresql":
                # replicas starting together on a new database would each CREATE the same
                # tables and all but one fail: take turns (SQLite's BEGIN IMMEDIATE does this)
                await conn.exec_driver_sql(
                    "SELECT pg_advisory_xact_lock("
                    "hashtext('credits-bot migrate ' || current_schema()))"
                )
            if await conn.run_sync(_stored_revision) == HEAD_REVISION:
                return  # up to date: Alembic (4 MB of modules) is not even imported
            await conn.run_sync(_upgrade)

    async def current_revision(self) -> str | None:
        async with self.read() as conn:
            return await conn.run_sync(_current_revision)

    async def dispose(self) -> None:
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        if self._quick is not None:
            await self._quick.dispose()
        await self.engine.dispose()


def _install_sqlite_hooks(engine: AsyncEngine, *, quick: bool) -> None:
    sync_engine = engine.sync_engine
    busy_ms = READ_BUSY_TIMEOUT_MS if quick else SQLITE_BUSY_TIMEOUT_MS

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # take transaction control away from the sqlite3 module; we emit BEGIN ourselves
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        if quick:  # checkpoints are the threaded engine's (Database._wrote_quickly)
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("credits_write", False)
        if quick:  # never waits on the event loop: Busy means "use the threaded engine"
            driver = conn.connection.driver_connection
            assert isinstance(driver, InlineConnection)
            driver.begin_now(write=immediate, read_busy_ms=busy_ms)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _in_transaction(engine: Engine, fn: Callable[[Connection], T]) -> T:
    with engine.connect() as conn:
        conn = conn.execution_options(credits_write=True)
        with conn.begin():  # on a quick connection: Busy when another process writes
            return fn(conn)


def alembic_config(connection: Connection | None = None) -> Any:
    """Alembic's configuration for our migrations (an `alembic.config.Config`)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "credits:migrations")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


def _stored_revision(connection: Connection) -> str | None:
    """The revision the database says it is at, read without Alembic (None: not made yet)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return found[0] if len(found) == 1 else None


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()
