"""Alert delivery end to end: a real service on SQLite, a real CreditsAdapter in local mode and a
stub Bot Connector on a local port. Time is fake: `sleep` moves a fake monotonic clock. The
connector, the adapter and the fake time are fixtures: the adapter is closed however a test ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from delivery_helpers import (
    ADA,
    FakeTime,
    ScriptedConnector,
    T,
    card_key,
    cards_in,
    dispatcher,
    fake_time,
    local_adapter,
    put_alerts,
    scripted,
    subscribe,
)
from records import call

from bot.adapter import CreditsAdapter
from bot.delivery import CONVERSATION_WINDOWS, delivery_key
from bot.workers import Workers, alert_delivery
from credits.clock import ManualClock
from credits.models import AlertKind
from credits.service import CreditsService

__all__ = ["fake_time"]  # the fixture, used here by name


def text_of(card: dict[str, Any]) -> str:
    return "\n".join(str(b.get("text", "")) for b in card["body"])


@pytest.fixture
async def stub(aiohttp_server: Any, fake_time: FakeTime) -> ScriptedConnector:
    """The scripted connector on a local port, noting the fake time of each accepted post."""
    return await scripted(aiohttp_server, fake_time)


@pytest.fixture
async def adapter() -> AsyncIterator[CreditsAdapter]:
    """The adapter alert delivery posts through; closed after the test, passed or failed."""
    made = local_adapter()
    yield made
    await made.close()


# --------------------------------------------------------------------------- (a)


async def test_usage_below_threshold_posts_the_alert_once(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
) -> None:
    await subscribe(service, stub, "19:ops")
    await service.add_funds(T, "30", ADA, "buy-1")
    await service.set_alert_thresholds(T, ADA, ["20"])
    await service.ingest_usage([call("c1", Decimal("15.00"), tenantId=T)])
    [pending] = await service.list_alerts(T, status="pending")
    assert pending.kind is AlertKind.LOW_BALANCE

    report = await dispatcher(service, adapter, fake_time).run_once("w1")

    assert (report.claimed, report.posted, report.acked) == (1, 1, 1)
    [card] = cards_in(stub, "19:ops")
    assert "running low" in text_of(card)
    assert card["body"][0]["id"] == delivery_key([pending.id], "19:ops")
    assert [a.status for a in await service.list_alerts(T)] == ["delivered"]
    assert await service.delivered_to(pending.id) == {"19:ops"}

    again = await dispatcher(service, adapter, fake_time).run_once("w1")
    assert (again.claimed, again.posted) == (0, 0)
    assert len(cards_in(stub, "19:ops")) == 1


async def test_a_tenant_without_subscriptions_keeps_its_alert_waiting(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
) -> None:
    """Not acknowledged undelivered (issue 11): it waits, and the round is no attempt
    (tests/test_alerts_waiting.py follows it to a subscription and to its expiry)."""
    await service.add_funds(T, "30", ADA, "buy-1")
    await put_alerts(service, [AlertKind.DEPLETED])
    report = await dispatcher(service, adapter, fake_time).run_once("w1")
    assert (report.acked, report.posted, report.waiting, stub.calls) == (0, 0, 1, [])
    [alert] = await service.list_alerts(T)
    assert (alert.status, alert.attempts) == ("pending", 0)


# --------------------------------------------------------------------------- (b)


async def test_429_then_502_after_accepting_then_403_elsewhere(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
) -> None:
    await subscribe(service, stub, "19:ops", "19:gone")
    await service.add_funds(T, "30", ADA, "buy-1")
    await put_alerts(service, [AlertKind.LOW_BALANCE])
    [alert] = await service.list_alerts(T)
    stub.script(
        "19:ops",
        ("fail", 429, {"Retry-After": "1"}),
        ("accept_then_fail", 502, {}),
    )
    stub.script("19:gone", ("fail", 403, {}))

    report = await dispatcher(service, adapter, fake_time).run_once("w1")

    # three attempts: 429, 502 (though it arrived), then success; msrest added none of its own
    assert [c.status for c in stub.attempts("19:ops")] == [429, 201, 201]
    assert len(report.delays) == 2
    assert report.delays[0] >= 1.0  # Retry-After honoured
    assert 0 < report.delays[1] <= 2.0  # exponential, jittered
    # the retry after the lost answer posted the same card again with the same key: a channel
    # that deduplicates on it shows it once (the Bot Connector itself cannot tell us)
    keys = [card_key(c.body) for c in stub.attempts("19:ops") if not c.failed]
    assert keys == [delivery_key([alert.id], "19:ops")] * 2
    assert stub.shown["19:ops"] == [delivery_key([alert.id], "19:ops")]
    # 403: that subscription ended, the other conversation still got the alert
    assert [c.status for c in stub.attempts("19:gone")] == [403]
    assert report.unsubscribed == [(T, "19:gone")]
    assert [s.conversation_id for s in await service.list_subscriptions(T)] == ["19:ops"]
    # no alert lost
    assert [a.status for a in await service.list_alerts(T)] == ["delivered"]
    assert await service.delivered_to(alert.id) == {"19:ops"}


async def test_a_conversation_that_got_it_is_not_posted_again_when_another_retries(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
    clock: ManualClock,
) -> None:
    await subscribe(service, stub, "19:ok", "19:busy")
    await service.add_funds(T, "30", ADA, "buy-1")
    await put_alerts(service, [AlertKind.DEPLETED])
    stub.script("19:busy", *[("fail", 429, {"Retry-After": "2"})] * 5)

    first = await dispatcher(service, adapter, fake_time).run_once("w1")
    assert (first.posted, first.acked, first.retried) == (1, 0, 1)
    assert len(stub.attempts("19:busy")) == 5
    assert all(d >= 2.0 for d in first.delays)
    [pending] = await service.list_alerts(T)
    assert pending.status == "pending" and "429" in (pending.last_error or "")
    assert (
        await dispatcher(service, adapter, fake_time).run_once("w1") == type(first)()
    )  # not yet due

    clock.advance(timedelta(hours=1))
    second = await dispatcher(service, adapter, fake_time).run_once("w2")
    assert (second.claimed, second.posted, second.skipped, second.acked) == (1, 1, 1, 1)
    assert len(cards_in(stub, "19:ok")) == 1  # not posted twice
    assert len(cards_in(stub, "19:busy")) == 1
    assert [a.status for a in await service.list_alerts(T)] == ["delivered"]


async def test_an_alert_that_never_gets_through_is_failed_after_its_attempts(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
    clock: ManualClock,
) -> None:
    await subscribe(service, stub, "19:down")
    await service.add_funds(T, "30", ADA, "buy-1")
    await put_alerts(service, [AlertKind.DEPLETED])
    stub.script("19:down", *[("fail", 504, {})] * 100)
    sender = dispatcher(service, adapter, fake_time, max_send_attempts=2, max_alert_attempts=3)
    for _ in range(3):
        await sender.run_once("w1")
        clock.advance(timedelta(hours=2))
    [alert] = await service.list_alerts(T)
    assert alert.status == "failed" and alert.attempts == 3
    assert len(stub.attempts("19:down")) == 6
    assert await sender.run_once("w1") == type(await sender.run_once("w1"))()


# --------------------------------------------------------------------------- (c)


async def test_a_burst_for_one_conversation_is_one_coalesced_card(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
) -> None:
    await subscribe(service, stub, "19:ops")
    await service.add_funds(T, "30", ADA, "buy-1")
    kinds = [
        AlertKind.LOW_BALANCE,
        AlertKind.RECHARGE_FAILED,
        AlertKind.RECHARGE_FAILED,
        AlertKind.RECHARGE_PAUSED,
        AlertKind.DEPLETED,
    ]
    await put_alerts(service, kinds)
    report = await dispatcher(service, adapter, fake_time).run_once("w1")
    assert (report.claimed, report.posted, report.acked) == (5, 1, 5)
    [card] = cards_in(stub, "19:ops")
    assert "5 alerts" in text_of(card)
    lines = [b["text"] for b in card["body"] if str(b.get("text", "")).startswith("- ")]
    assert "used up" in lines[0] and "paused" in lines[1]
    ids = [a.id for a in await service.list_alerts(T)]
    assert card["body"][0]["id"] == delivery_key(ids, "19:ops")
    for alert_id in ids:
        assert await service.delivered_to(alert_id) == {"19:ops"}


# --------------------------------------------------------------------------- (d)


def assert_within(times: list[float], windows: tuple[tuple[float, int], ...]) -> None:
    for seconds, limit in windows:
        for i, start in enumerate(times):
            inside = [t for t in times[i:] if t < start + seconds]
            assert len(inside) <= limit, (seconds, limit, start, len(inside))


async def test_posts_to_one_conversation_keep_to_its_rate_limits(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
) -> None:
    await subscribe(service, stub, "19:ops")
    await service.add_funds(T, "30", ADA, "buy-1")
    await put_alerts(service, [AlertKind.LOW_BALANCE] * 70)
    sender = dispatcher(service, adapter, fake_time, coalesce=False, batch_size=100)
    start = fake_time.now

    report = await sender.run_once("w1")

    assert (report.posted, report.acked) == (70, 70)
    times = [t for conv, t in sender.admitted if conv == "19:ops"]
    assert len(times) == 70
    assert_within(times, CONVERSATION_WINDOWS)
    assert times[6] == start and times[7] > start  # 7 at once, then it waits
    # 60 in the first 30 s, the rest only after the window lets them
    assert times[60] >= times[0] + 30
    assert len({card_key(c.body) for c in stub.calls}) == 70


async def test_many_conversations_of_one_tenant_keep_to_the_tenant_limit(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
) -> None:
    convs = [f"19:c{i}" for i in range(60)]
    await subscribe(service, stub, *convs)
    await service.add_funds(T, "30", ADA, "buy-1")
    await put_alerts(service, [AlertKind.DEPLETED])
    sender = dispatcher(service, adapter, fake_time, concurrency=100)
    report = await sender.run_once("w1")
    assert (report.posted, report.acked) == (60, 1)
    times = sorted(t for _, t in sender.admitted)
    assert_within(times, ((1.0, 50),))
    assert times[-1] > times[0]


def test_the_default_windows_are_teams_limits() -> None:
    windows = dict(CONVERSATION_WINDOWS)
    assert windows[1.0] == 7 and windows[30.0] == 60


async def test_the_alerts_job_delivers_until_the_workers_stop(
    service: CreditsService,
    fake_time: FakeTime,
    stub: ScriptedConnector,
    adapter: CreditsAdapter,
) -> None:
    """The path production takes: the "alerts" job run by `Workers` (bot/workers.py)."""
    await subscribe(service, stub, "19:ops")
    await service.add_funds(T, "30", ADA, "buy-1")
    await put_alerts(service, [AlertKind.DEPLETED])
    workers = Workers([alert_delivery(dispatcher(service, adapter, fake_time), "w1", 0.01)])
    workers.start()
    try:
        for _ in range(200):
            if [a.status for a in await service.list_alerts(T)] == ["delivered"]:
                break
            await asyncio.sleep(0.01)
    finally:
        await asyncio.wait_for(workers.stop(), 5)
    assert not workers.running and workers.rounds["alerts"] >= 1
    assert len(cards_in(stub, "19:ops")) == 1
