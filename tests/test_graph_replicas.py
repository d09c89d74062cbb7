"""Issue 11's "done": with a local Graph playing a tenant's calls, two `credits-bot serve` replicas
on one PostgreSQL, with nothing posted to them, see the balance fall, fire exactly one
auto-recharge per crossing and post the alerts; a replica restarted on the way loses and doubles
nothing. Real processes, the real MSAL over TLS (tests/fake_graph.py), a stub Bot Connector."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import Backend, ServiceFactory
from fake_graph import FakeGraph
from helpers import TENANT, personal_message
from stub_connector import StubConnector

from credits.alert_payloads import AlertKind
from credits.models import Actor
from credits.service import CreditsService

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
ADA = Actor("00000000-0000-0000-0000-0000000000ad", "Ada")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Replica:
    """One `credits-bot serve` process on the test's database."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.env = env
        self.log = log
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port),
                env=self.env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True,
            )  # fmt: skip
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()[-3000:]}")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 40)
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()


async def until(check: Callable[[], Any], what: str, seconds: float = 60) -> None:
    for _ in range(int(seconds / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


@pytest.fixture
async def graph(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGraph]:
    monkeypatch.delenv("MSAL_FORCE_REGION", raising=False)
    async with FakeGraph(page_size=4) as fake:
        fake.consent(TENANT)
        yield fake


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_replicas_with_graph_recharge_once_per_crossing_and_survive_a_restart(
    backend: Backend,
    make_service: ServiceFactory,
    graph: FakeGraph,
    connector: StubConnector,
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITS_", "Microsoft"))}
    env.update(backend.env())
    env.update(graph.env())
    env.update(
        CREDITS_GRAPH_INTERVAL_SECONDS="0.3",
        CREDITS_RECHARGE_INTERVAL_SECONDS="0.2",
        CREDITS_ALERT_INTERVAL_SECONDS="0.2",
    )
    a, b = Replica("a", env, tmp_path / "a.log"), Replica("b", env, tmp_path / "b.log")
    service: CreditsService = await make_service()
    await service.add_funds(TENANT, "50", ADA, "card-1")
    await service.set_auto_recharge(TENANT, ADA, enabled=True, amount="100", trigger="20")
    await service.connect_usage(TENANT, ADA)
    now = datetime.now(UTC)

    def calls(count: int, charge: str, minutes_ago: int) -> None:
        for n in range(count):
            start = now - timedelta(minutes=minutes_ago, seconds=n)
            graph.add_call(TENANT, startDateTime=start, charge=charge)

    async def balance_is(minor: int) -> bool:
        return (await service.account(TENANT)).balance.minor == minor

    try:
        await asyncio.gather(a.start(), b.start())
        async with aiohttp.ClientSession() as session:
            response = await session.post(
                f"http://127.0.0.1:{a.port}/api/messages",
                json=personal_message(connector.url, "send alerts here"),
            )
            assert response.status in (200, 201)
        calls(4, "10.00", 50)  # $50 - $40 = $10: the first crossing, one recharge of $100
        await until(lambda: balance_is(11000), "the first recharge")
        await b.stop()  # a restart on the way: graceful, what it held is released
        calls(10, "9.50", 40)  # $110 - $95 = $15: the second crossing
        await b.start()
        await until(lambda: balance_is(11500), "the second recharge")
        calls(3, "5.00", 30)  # $115 - $15 = $100: no crossing
        await until(lambda: balance_is(10000), "the last calls")
        await asyncio.sleep(1.5)  # more rounds of both replicas: nothing more may happen

        async def alerts_delivered() -> bool:
            alerts = await service.list_alerts(TENANT)
            done = [x for x in alerts if x.kind is AlertKind.RECHARGE_SUCCEEDED]
            return len(done) == 2 and all(x.status.value == "delivered" for x in done)

        await until(alerts_delivered, "both recharge alerts delivered")
    finally:
        await asyncio.gather(a.stop(), b.stop())
    assert (await service.account(TENANT)).balance.minor == 10000
    payments = await service.payments(TENANT)
    assert sorted((p.kind, p.status) for p in payments) == [
        ("auto_recharge", "succeeded"),
        ("auto_recharge", "succeeded"),
        ("purchase", "succeeded"),
    ]
    history = await service.history(TENANT, limit=100)
    assert sum(1 for e in history.entries if e.kind.value == "usage") == 17  # each call once
    assert len(set((await service.verify(TENANT)).values())) == 1
    posted = [c for c in connector.cards() if "100.00" in str(c)]
    assert len(posted) >= 1  # the recharge alerts reached the conversation
    for log in (a.log, b.log):
        assert "Traceback" not in log.read_text(errors="replace")
