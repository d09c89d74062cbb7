"""The turn's quick transactions on SQLite (credits/sqlite_inline.py): SQLite run on the event
loop, which must never wait there: another process's write lock sends a quick write to the
threaded engine, and the write-ahead log is checkpointed from a thread."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, select, text

from credits import db as db_module
from credits.db import Database
from credits.schema import processed_activities


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/quick.db")
    await database.migrate()
    yield database
    await database.dispose()


INSERT = text("INSERT INTO processed_activities (key, created_at) VALUES (:k, '2026-01-01')")


def _inserting(key: str) -> Callable[[Connection], object]:
    return lambda conn: conn.execute(INSERT, {"k": key})


async def _ticking(stop: asyncio.Event, ticks: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        ticks.append(loop.time())
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("how", ["run_write", "write"])
async def test_a_quick_write_waits_for_another_process_without_blocking_the_loop(
    db: Database, tmp_path: Path, how: str
) -> None:
    other = sqlite3.connect(tmp_path / "quick.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    other.execute("INSERT INTO processed_activities (key, created_at) VALUES ('a', '2026-01-01')")

    def insert(conn: Connection) -> None:
        conn.execute(INSERT, {"k": "b"})

    async def write() -> None:
        if how == "run_write":
            await db.run_write(insert)
        else:
            async with db.write(quick=True) as conn:
                await conn.execute(INSERT, {"k": "b"})

    stop, ticks = asyncio.Event(), list[float]()
    ticker = asyncio.create_task(_ticking(stop, ticks))
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.5)
    assert not writing.done()  # it waits for the lock...
    assert len(ticks) >= 25  # ...and the loop runs on meanwhile
    other.execute("COMMIT")
    await asyncio.wait_for(writing, 10)
    stop.set()
    await ticker
    other.close()
    keys = await db.run_read(
        lambda conn: conn.execute(select(processed_activities.c.key)).scalars().all()
    )
    assert sorted(keys) == ["a", "b"]


async def test_quick_and_threaded_transactions_see_each_other(db: Database) -> None:
    await db.run_write(lambda conn: conn.execute(INSERT, {"k": "q"}))
    async with db.read() as conn:  # threaded
        assert (await conn.execute(select(processed_activities.c.key))).scalars().all() == ["q"]
    async with db.write() as conn:
        await conn.execute(INSERT, {"k": "t"})
    async with db.read(quick=True) as conn:
        found = (await conn.execute(select(processed_activities.c.key))).scalars().all()
    assert sorted(found) == ["q", "t"]


async def test_a_failed_quick_write_leaves_nothing(db: Database) -> None:
    def half(conn: Connection) -> None:
        conn.execute(INSERT, {"k": "x"})
        raise RuntimeError("after the insert")

    with pytest.raises(RuntimeError):
        await db.run_write(half)
    with pytest.raises(RuntimeError):
        async with db.write(quick=True) as conn:
            await conn.execute(INSERT, {"k": "y"})
            raise RuntimeError("after the insert")
    keys = await db.run_read(
        lambda conn: conn.execute(select(processed_activities.c.key)).scalars().all()
    )
    assert keys == []


async def test_the_log_is_checkpointed_from_a_thread(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quick connections never checkpoint (it writes and syncs the database file on the loop):
    every so many quick writes the threaded engine does, so the log does not grow for ever."""
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY_WRITES", 50)
    wal = tmp_path / "quick.db-wal"
    for n in range(1500):
        await db.run_write(_inserting(f"k{n}"))
        await asyncio.sleep(0)  # the checkpoint task runs between turns
    await asyncio.sleep(0.2)
    # 1,500 commits of a page or more each: about 6 MB of log without a checkpoint
    assert wal.stat().st_size < 1_500_000, wal.stat().st_size


async def test_the_postgres_pool_size_comes_from_the_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CREDITS_DATABASE_POOL_SIZE (default 20) sizes each process's PostgreSQL pool; nothing
    connects until a statement runs, so this needs no server."""
    from pydantic import ValidationError

    from credits.config import CreditsConfig

    url = "postgresql://postgres@127.0.0.1:5432/test"
    default = Database.of(CreditsConfig(_env_file=None, database_url=url))  # type: ignore[call-arg]
    monkeypatch.setenv("CREDITS_DATABASE_POOL_SIZE", "7")
    chosen = Database.of(CreditsConfig(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        assert (default.engine.pool.size(), chosen.engine.pool.size()) == (20, 7)  # type: ignore[attr-defined]
    finally:
        await default.dispose()
        await chosen.dispose()
    monkeypatch.setenv("CREDITS_DATABASE_POOL_SIZE", "0")
    with pytest.raises(ValidationError):
        CreditsConfig(_env_file=None)  # type: ignore[call-arg]
