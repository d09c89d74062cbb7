"""Shared fixtures: the store on a real SQLite file and on a real PostgreSQL.

PostgreSQL tests use CREDITS_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test),
each in a schema of its own. Without a reachable server they skip and say how to enable them;
with CREDITS_TEST_REQUIRE_POSTGRES=1 (as CI sets) an unreachable server is an error instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from credits.clock import ManualClock
from credits.config import CreditsConfig
from credits.payments import PaymentGateway, SandboxGateway
from credits.service import CreditsService

PG_URL = os.environ.get("CREDITS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("CREDITS_TEST_REQUIRE_POSTGRES") == "1"
HOW_TO = (
    "PostgreSQL is not reachable at {url} ({error}); these tests need it. Start a server and set "
    "CREDITS_TEST_POSTGRES_URL=postgresql://USER@HOST:PORT/DB (see docs/testing.md)."
)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_execute_async(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(PG_URL), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_execute(sql: str) -> None:
    """Run SQL from synchronous fixtures. A thread of its own keeps asyncio.run away from the
    event loop pytest-asyncio has set for the test."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _pg_execute_async(sql)).result()


_pg_status: str | None = None


def postgres_unavailable() -> str | None:
    """None when PostgreSQL answers; otherwise the reason (checked once per run)."""
    global _pg_status
    if _pg_status is None:
        try:
            _pg_execute("SELECT 1")
            _pg_status = ""
        except Exception as error:  # any failure to connect means "not available"
            _pg_status = HOW_TO.format(url=PG_URL, error=type(error).__name__)
    return _pg_status or None


@dataclass(frozen=True)
class Backend:
    """Where a test's database lives; `config()` builds settings pointing at it."""

    name: str
    url: str
    schema: str | None

    def config(self, **overrides: Any) -> CreditsConfig:
        values: dict[str, Any] = {"database_url": self.url, "database_schema": self.schema}
        values.update(overrides)
        return CreditsConfig(_env_file=None, **values)  # type: ignore[call-arg]

    def env(self) -> dict[str, str]:
        env = {"CREDITS_DATABASE_URL": self.url}
        if self.schema:
            env["CREDITS_DATABASE_SCHEMA"] = self.schema
        return env


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'credits.db'}", None)
        return
    reason = postgres_unavailable()
    if reason:
        if REQUIRE_PG:
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    _pg_execute(f"CREATE SCHEMA {schema}")
    try:
        yield Backend("postgres", PG_URL, schema)
    finally:
        _pg_execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(autouse=True)
def _backend_first(request: pytest.FixtureRequest) -> None:
    """A test's database is set up before anything that uses it (an app, its workers) and so torn
    down after them: dropping a PostgreSQL schema while a worker of the test's app still holds a
    lock in it would wait forever (the drop blocks the event loop the worker needs to finish)."""
    if "backend" in request.fixturenames:
        request.getfixturevalue("backend")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def gateway() -> SandboxGateway:
    return SandboxGateway()


ServiceFactory = Callable[..., Awaitable[CreditsService]]


@pytest.fixture
async def make_service(
    backend: Backend, clock: ManualClock, gateway: SandboxGateway
) -> AsyncIterator[ServiceFactory]:
    """Open services on the test's database (several share it, as replicas would)."""
    opened: list[CreditsService] = []

    async def factory(gateway_: PaymentGateway | None = None, **overrides: Any) -> CreditsService:
        service = await CreditsService.open(backend.config(**overrides), gateway_ or gateway, clock)
        opened.append(service)
        return service

    yield factory
    for service in opened:
        await service.close()


@pytest.fixture
async def service(make_service: ServiceFactory) -> CreditsService:
    return await make_service()


@pytest.fixture
async def connector(aiohttp_server: Any) -> Any:
    """A stub Bot Connector on a local port: put its `url` in an activity's serviceUrl."""
    from stub_connector import StubConnector

    return await StubConnector.serve(aiohttp_server)
