"""Usage pulled from Microsoft Graph, end to end below the chat: the real puller
(bot/graph_pull.py), the real Graph client and MSAL over TLS, against a local server speaking
Graph's and the token endpoint's wire format (tests/fake_graph.py), into the real store (SQLite
and PostgreSQL); and `credits-bot usage pull`."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Backend, ServiceFactory
from fake_graph import FakeGraph

from bot import graph_pull
from bot.cli import main
from bot.graph_auth import GraphTokens
from bot.graph_client import GraphClient
from bot.graph_pull import PageDone, UsagePuller
from bot.usage_pull import parse_since
from credits.alert_payloads import AlertKind
from credits.clock import ManualClock
from credits.graph_problems import SourceProblem
from credits.models import Actor
from credits.money import Money, currency
from credits.service import CreditsService

T = "72f988bf-0000-4000-8000-00000000cccc"
ADA = Actor("00000000-0000-0000-0000-0000000000ad", "Ada")
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
USD = currency("USD")


def usd(text: str) -> Money:
    return Money(Decimal(text), USD)


@pytest.fixture
async def graph(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGraph]:
    monkeypatch.delenv("MSAL_FORCE_REGION", raising=False)
    async with FakeGraph() as fake:
        fake.consent(T)
        yield fake


class Sleeps:
    """The waits the client asked for, without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def open_puller(
    service: CreditsService, graph: FakeGraph, sleeps: Sleeps | None = None
) -> UsagePuller:
    access = graph.access()
    tokens = GraphTokens(access)
    client = GraphClient(access, tokens, sleep=sleeps or Sleeps())
    return UsagePuller(service, client, tokens=tokens)


def open_real_puller(service: CreditsService) -> UsagePuller:
    """The puller as `serve` makes it (its waits renew the lease and end at a stop)."""
    puller = graph_pull.open_puller(service)
    assert puller is not None
    return puller


@pytest.fixture
async def pulled(
    service: CreditsService, graph: FakeGraph, clock: ManualClock
) -> AsyncIterator[UsagePuller]:
    clock.set(NOW)
    puller = await open_puller(service, graph)
    yield puller
    await puller.close()


async def pull_now(puller: UsagePuller, me: str = "w1") -> list[SourceProblem | None]:
    return [result.problem for _, result in await puller.run_once(me)]


async def test_a_connected_tenant_s_calls_debit_the_balance(
    service: CreditsService, graph: FakeGraph, pulled: UsagePuller
) -> None:
    await service.add_funds(T, "50", ADA, "card-1")
    graph.add_call(T, startDateTime=NOW - timedelta(hours=2), charge="1.25")
    graph.add_call(T, startDateTime=NOW - timedelta(hours=5), charge="3.50")
    graph.add_call(T, startDateTime=NOW - timedelta(hours=1), licenseCapability="MCOPSTN1")
    graph.add_call(T, startDateTime=NOW - timedelta(hours=1), charge="0")
    graph.add_call(T, startDateTime=NOW - timedelta(days=10), charge="9.99")  # before the window
    assert await pulled.run_once("w1") == []  # nothing connected: nothing pulled
    await service.connect_usage(T, ADA)
    assert await pull_now(pulled) == [None]
    assert (await service.account(T)).balance == usd("45.25")
    source = await service.usage_source(T)
    assert source is not None and source.last_problem is None
    assert (source.last.read, source.last.applied, source.last.skipped) == (4, 2, 2)
    assert source.cursor_at == NOW and source.last_ok_at == NOW
    assert source.next_run_at == NOW + timedelta(seconds=service.config.graph_interval_seconds)
    assert await pull_now(pulled) == []  # not due again yet


async def test_pages_are_followed_and_every_row_applied_once(
    service: CreditsService, graph: FakeGraph, pulled: UsagePuller, clock: ManualClock
) -> None:
    graph.set_page_size(2)
    for n in range(5):
        graph.add_call(T, startDateTime=NOW - timedelta(minutes=10 + n), charge="1.00")
    await service.connect_usage(T, ADA)
    seen: list[PageDone] = []
    [source] = await service.claim_usage_sources("w1", timedelta(minutes=5))
    result = await pulled.pull(source, "w1", progress=seen.append)
    assert result.problem is None and result.counts.applied == 5
    assert len(graph.requests("getPstnCalls")) == 3 and [p.counts.read for p in seen] == [2, 4, 5]
    assert (await service.account(T)).balance == usd("-5.00")


async def test_the_trailing_window_picks_up_late_calls_and_costs_nothing_twice(
    service: CreditsService, graph: FakeGraph, pulled: UsagePuller, clock: ManualClock
) -> None:
    graph.add_call(T, startDateTime=NOW - timedelta(hours=1), charge="2.00")
    await service.connect_usage(T, ADA)
    await pull_now(pulled)
    clock.advance(timedelta(minutes=15))
    # a call of two hours ago that Graph only shows now (PSTN records arrive late)
    graph.add_call(T, startDateTime=NOW - timedelta(hours=2), charge="4.00")
    assert await pull_now(pulled) == [None]
    source = await service.usage_source(T)
    assert source is not None and (source.last.applied, source.last.duplicates) == (1, 1)
    assert (await service.account(T)).balance == usd("-6.00")


async def test_a_revised_charge_is_a_conflict_reported_not_applied(
    service: CreditsService, graph: FakeGraph, pulled: UsagePuller, clock: ManualClock
) -> None:
    row = graph.add_call(T, startDateTime=NOW - timedelta(hours=1), charge="2.00")
    await service.connect_usage(T, ADA)
    await pull_now(pulled)
    graph.revise(T, row["id"], "2.40")
    clock.advance(timedelta(minutes=15))
    assert await pull_now(pulled) == [None]
    source = await service.usage_source(T)
    assert source is not None and source.last.conflicts == 1
    assert (await service.account(T)).balance == usd("-2.00")


async def test_throttling_is_waited_out_and_an_expired_token_renewed_once(
    service: CreditsService, graph: FakeGraph, clock: ManualClock
) -> None:
    clock.set(NOW)
    sleeps = Sleeps()
    puller = await open_puller(service, graph, sleeps)
    try:
        graph.add_call(T, startDateTime=NOW - timedelta(hours=1), charge="1.00")
        await service.connect_usage(T, ADA)
        graph.throttle(2, status=429, retry_after=7)
        assert await pull_now(puller) == [None]
        assert sleeps.waits == [7, 7]
        graph.expire_tokens()
        clock.advance(timedelta(hours=1))
        graph.add_call(T, startDateTime=NOW + timedelta(minutes=30), charge="1.00")
        tokens_before = len(graph.requests("/token"))
        assert await pull_now(puller) == [None]
        assert len(graph.requests("/token")) == tokens_before + 1
        assert (await service.account(T)).balance == usd("-2.00")
    finally:
        await puller.close()


async def test_a_stop_ends_a_wait_at_once_and_hands_the_source_back_as_it_was(
    make_service: ServiceFactory, graph: FakeGraph, clock: ManualClock
) -> None:
    clock.set(NOW)
    service = await make_service(**graph.settings())
    puller = open_real_puller(service)
    try:
        await service.connect_usage(T, ADA)
        graph.throttle(1, status=429, retry_after=20)
        stop = asyncio.Event()
        stop.set()  # the workers are stopping while Graph asks to wait 20 s
        [source] = await service.claim_usage_sources("w1", timedelta(minutes=5))
        result = await puller.pull(source, "w1", stop=stop)
        assert result.problem is None and result.counts.read == 0
        stored = await service.usage_source(T)
        assert stored is not None and not stored.running and stored.last_run_at is None
        assert stored.next_run_at == NOW  # due again at once, for the next process
    finally:
        await puller.close()


async def test_graph_asking_for_a_long_wait_is_tried_again_later_not_waited_in_the_round(
    service: CreditsService, graph: FakeGraph, pulled: UsagePuller, clock: ManualClock
) -> None:
    await service.connect_usage(T, ADA)
    graph.throttle(1, status=503, retry_after=600)
    assert await pull_now(pulled) == [SourceProblem.UNAVAILABLE]
    source = await service.usage_source(T)
    assert source is not None and source.next_run_at == NOW + timedelta(seconds=600)


@pytest.mark.parametrize(
    ("arrange", "problem"),
    [
        ("withdraw", SourceProblem.PERMISSION_REMOVED),
        ("never", SourceProblem.CONSENT_MISSING),
    ],
)
async def test_a_missing_permission_is_told_in_plain_words_and_retried_slowly(
    service: CreditsService,
    graph: FakeGraph,
    pulled: UsagePuller,
    clock: ManualClock,
    arrange: str,
    problem: SourceProblem,
) -> None:
    tenant = T if arrange == "withdraw" else "72f988bf-0000-4000-8000-00000000dddd"
    if arrange == "withdraw":
        graph.withdraw(T)
    graph.add_call(tenant, startDateTime=NOW - timedelta(hours=1), charge="1.00")
    await service.connect_usage(tenant, ADA)
    assert await pull_now(pulled) == [problem]
    source = await service.usage_source(tenant)
    assert source is not None and source.last_problem is problem and source.cursor_at is None
    assert source.next_run_at is not None and source.next_run_at >= NOW + timedelta(hours=1)
    assert (await service.account(tenant)).balance == usd("0.00")
    graph.consent(tenant)  # the admin grants it again; "connect usage" makes it due at once
    await service.connect_usage(tenant, ADA)
    assert await pull_now(pulled) == [None]
    assert (await service.account(tenant)).balance == usd("-1.00")


async def test_a_pull_stopped_half_way_resumes_and_doubles_nothing(
    make_service: ServiceFactory, graph: FakeGraph, clock: ManualClock
) -> None:
    clock.set(NOW)
    first = await make_service()
    graph.set_page_size(3)
    for n in range(10):
        graph.add_call(T, startDateTime=NOW - timedelta(days=100 - n * 10), charge="1.00")
    await first.connect_usage(T, ADA)
    stop = asyncio.Event()
    puller = await open_puller(first, graph)
    try:
        [source] = await first.claim_usage_sources("w1", timedelta(minutes=5))
        since = NOW - timedelta(days=120)  # two windows: Graph takes at most 90 days at once
        stopped = await puller.pull(
            source, "w1", since=since, stop=stop, progress=lambda page: stop.set()
        )
        assert stopped.problem is None and stopped.counts.read == 3
    finally:
        await puller.close()
    resumed = await open_puller(await make_service(), graph)  # "after a restart"
    try:
        source = await first.usage_source(T)
        assert source is not None and source.cursor_at is None and not source.running
        [source] = await first.claim_usage_sources("w2", timedelta(minutes=5))
        result = await resumed.pull(source, "w2", since=since)
        assert result.problem is None
        assert (result.counts.applied, result.counts.duplicates) == (7, 3)
    finally:
        await resumed.close()
    assert (await first.account(T)).balance == usd("-10.00")
    assert set((await first.verify(T)).values()) == {-1000}  # stored, entries, lots: agree


async def test_usage_from_graph_fires_one_auto_recharge_per_crossing(
    service: CreditsService, graph: FakeGraph, pulled: UsagePuller, clock: ManualClock
) -> None:
    await service.add_funds(T, "30", ADA, "card-1")
    await service.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="20")
    for n in range(4):
        graph.add_call(T, startDateTime=NOW - timedelta(minutes=40 - n), charge="5.00")
    await service.connect_usage(T, ADA)
    await pull_now(pulled)
    assert [o.status for o in await service.process_payments("w")] == ["succeeded"]
    assert await service.process_payments("w") == []
    assert (await service.account(T)).balance == usd("110.00")
    kinds = [a.kind for a in await service.list_alerts(T)]
    assert kinds.count(AlertKind.RECHARGE_SUCCEEDED) == 1


@pytest.mark.postgres
async def test_two_replicas_pull_each_tenant_once(
    make_service: ServiceFactory, graph: FakeGraph, clock: ManualClock, backend: object
) -> None:
    clock.set(NOW)
    tenants = [f"72f988bf-0000-4000-8000-0000000{n:05d}" for n in range(6)]
    a, b = await make_service(), await make_service()
    for tenant in tenants:
        graph.consent(tenant)
        for minute in range(3):
            graph.add_call(tenant, startDateTime=NOW - timedelta(minutes=minute + 1), charge="1")
        await a.connect_usage(tenant, ADA)
    first, second = await open_puller(a, graph), await open_puller(b, graph)
    try:
        done = await asyncio.gather(first.run_once("a", limit=2), second.run_once("b", limit=2))
        done += await asyncio.gather(first.run_once("a"), second.run_once("b"))
    finally:
        await first.close()
        await second.close()
    pulled_tenants = sorted(tenant for results in done for tenant, _ in results)
    assert pulled_tenants == tenants
    for tenant in tenants:
        assert (await a.account(tenant)).balance == usd("-3.00")


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "usage", "pull", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    ("since", "problem"),
    [
        ("tomorrow", "is not a date like 2026-11-01"),
        ("2026-12-08", "is in the future"),
        ("2026-12-01T09:00:00", "has no time zone"),
        ("2025-11-01", "over a year ago"),
    ],
)
def test_since_must_be_a_past_date_or_time_with_a_zone(since: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_since(since, NOW)


def test_since_reads_dates_as_utc_midnight_and_times_in_their_zone() -> None:
    assert parse_since("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T09:00:00+07:00", NOW) == datetime(2026, 11, 1, 2, tzinfo=UTC)


async def test_the_command_line_says_when_graph_is_not_set_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith(("CREDITS_", "Microsoft")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CREDITS_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    monkeypatch.chdir(tmp_path)  # no .env file
    # in a thread: the command runs its own event loop (asyncio.run), as it does in a shell
    assert await asyncio.to_thread(main, ["usage", "pull", "--tenant", T]) == 2
    err = capsys.readouterr().err
    assert "not pulled from Microsoft Graph" in err and "MicrosoftAppId" in err


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_command_line_pulls_once(
    backend: Backend, service: CreditsService, graph: FakeGraph
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITS_", "Microsoft"))}
    env.update(backend.env())
    env.update(graph.env())
    graph.set_page_size(2)
    now = datetime.now(UTC)
    for days in (20, 10, 1):
        graph.add_call(T, startDateTime=now - timedelta(days=days), charge="1.50")
    code, out, err = await run_cli(
        env, "--tenant", T, "--since", f"{now - timedelta(days=30):%Y-%m-%d}"
    )
    assert code == 0, err
    assert f"Connected {T}" in err
    assert f"{T}: 3 call rows read from Graph: 3 applied, 0 already applied" in out
    assert (await service.account(T)).balance == usd("-4.50")
    code, out, _ = await run_cli(
        env, "--tenant", T, "--since", f"{now - timedelta(days=30):%Y-%m-%d}"
    )
    assert code == 0 and "0 applied, 3 already applied" in out  # twice is safe
    graph.withdraw(T)
    code, out, _ = await run_cli(env, "--tenant", T)
    assert code == 1 and "Stopped:" in out and "CallRecords.Read.All" in out
    assert (await service.account(T)).balance == usd("-4.50")
