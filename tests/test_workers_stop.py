"""The alert dispatcher's stop path, as production runs it: the "alerts" job under `Workers`
(bot/workers.py, bot/app.py), which hands every round the workers' stop event.

A stop while an alert is mid-delivery (posts in flight to a slow connector, or a post waiting for
a rate window) ends the round by itself, well within the stop's grace: the posts in flight finish
and are recorded, nothing new starts, and the alert goes back to the outbox at once ("released").
After a restart (a new process: a new dispatcher and worker id) it is posted where it is still
owed, so every conversation gets it exactly once in all: not lost, not twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import delivery_helpers as alerts
import pytest
from aiohttp import web

import bot.workers
from bot.adapter import CreditsAdapter
from bot.delivery import AlertDispatcher
from bot.workers import Workers, alert_delivery
from credits.clock import ManualClock
from credits.models import AlertKind
from credits.service import CreditsService

GRACE = 2.5  # the workers' stop grace in these tests (production: 30 s)
SLOW = 1.0  # seconds the slow connector takes to answer a post (and take it)
AT_ONCE = 4  # conversations posted to at once (production: 16; fewer than the HTTP threads here)


class SlowConnector(alerts.ScriptedConnector):
    """Takes every post, but only after `delay` real seconds (a slow channel). `arrived` is set
    when the first post reaches it."""

    delay = SLOW

    def __init__(self) -> None:
        super().__init__()
        self.arrived = asyncio.Event()

    async def _activity(self, request: web.Request) -> web.Response:
        self.arrived.set()
        await asyncio.sleep(self.delay)
        return await super()._activity(request)


@pytest.fixture
async def slow(aiohttp_server: Any) -> SlowConnector:
    stub = await SlowConnector.serve(aiohttp_server)
    assert isinstance(stub, SlowConnector)
    return stub


@pytest.fixture
async def adapter() -> AsyncIterator[CreditsAdapter]:
    made = alerts.local_adapter()
    yield made
    await made.close()


@pytest.fixture(autouse=True)
def short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.workers, "STOP_GRACE_SECONDS", GRACE)


def production(service: CreditsService, adapter: CreditsAdapter, **options: Any) -> Workers:
    """The alerts job as bot/app.py makes it (same dispatcher options), alone in its Workers."""
    dispatcher = AlertDispatcher(
        service, adapter, "", max_inline_wait=5.0, max_delay=5.0, **options
    )
    return Workers([alert_delivery(dispatcher, f"w-{id(dispatcher)}", 0.01)])


async def stopped(workers: Workers) -> float:
    """Stop the workers; the seconds the stop took."""
    started = time.monotonic()
    await workers.stop()
    return time.monotonic() - started


async def delivered_after_restart(
    service: CreditsService, adapter: CreditsAdapter, clock: ManualClock
) -> None:
    """A new process takes over (after the lease of any claim left behind has run out) and runs
    until the outbox is empty."""
    clock.advance(timedelta(seconds=service.config.alert_lease_seconds + 1))
    workers = production(service, adapter)
    workers.start()
    try:
        for _ in range(500):
            if [a.status for a in await service.list_alerts(alerts.T)] == ["delivered"]:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("not delivered after the restart")
    finally:
        await workers.stop()


async def test_a_stop_with_posts_in_flight_releases_the_alert_and_it_is_posted_once_in_all(
    service: CreditsService, slow: SlowConnector, adapter: CreditsAdapter, clock: ManualClock
) -> None:
    # three times as many subscribed conversations as the dispatcher posts to at once: the stop
    # comes while the first posts are in flight, before the others have started
    convs = [f"19:c{i:02}" for i in range(3 * AT_ONCE)]
    await alerts.subscribe(service, slow, *convs)
    await service.add_funds(alerts.T, "30", alerts.ADA, "buy-1")
    await alerts.put_alerts(service, [AlertKind.DEPLETED])
    [alert] = await service.list_alerts(alerts.T)

    workers = production(service, adapter, concurrency=AT_ONCE)
    workers.start()
    await asyncio.wait_for(slow.arrived.wait(), 10)
    took = await stopped(workers)
    landed = {conv for conv in convs if alerts.cards_in(slow, conv)}
    [after_stop] = await service.list_alerts(alerts.T)
    recorded = await service.delivered_to(alert.id)

    slow.delay = 0.0
    await delivered_after_restart(service, adapter, clock)
    await asyncio.sleep(SLOW)  # a post cut short by a cancel would land by now

    # posted exactly once in all, in every conversation: nothing lost, nothing twice
    assert {conv: len(alerts.cards_in(slow, conv)) for conv in convs} == dict.fromkeys(convs, 1)
    # the stop: the posts in flight finished and were recorded; the rest went back at once
    assert 0 < len(landed) < len(convs)
    assert recorded == landed
    assert (after_stop.status, after_stop.last_error) == ("pending", "released")
    assert took < GRACE  # the round ended by itself, nothing was cancelled mid-post


async def test_a_stop_while_a_post_waits_for_a_rate_window_releases_it_at_once(
    service: CreditsService, adapter: CreditsAdapter, clock: ManualClock, aiohttp_server: Any
) -> None:
    stub = await alerts.ScriptedConnector.serve(aiohttp_server)
    await alerts.subscribe(service, stub, "19:first", "19:second")
    await service.add_funds(alerts.T, "30", alerts.ADA, "buy-1")
    await alerts.put_alerts(service, [AlertKind.DEPLETED])
    [alert] = await service.list_alerts(alerts.T)

    # one post an hour per tenant: the second conversation's post waits for the window
    workers = production(service, adapter, tenant_windows=((3600.0, 1),))
    workers.start()
    for _ in range(500):
        if len(stub.calls) == 1:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the second post is waiting for the window now
    took = await stopped(workers)
    [after_stop] = await service.list_alerts(alerts.T)
    recorded = await service.delivered_to(alert.id)

    await delivered_after_restart(service, adapter, clock)  # a new process: new windows
    await asyncio.sleep(0.2)  # nothing more lands

    assert [len(alerts.cards_in(stub, c)) for c in ("19:first", "19:second")] == [1, 1]
    assert len(recorded) == 1
    assert (after_stop.status, after_stop.last_error) == ("pending", "released")
    assert took < 1.0  # not the hour, nor the stop's grace: the wait was cut short


async def test_a_stop_during_a_backoff_releases_the_post_at_once(
    service: CreditsService, adapter: CreditsAdapter, clock: ManualClock, aiohttp_server: Any
) -> None:
    stub = await alerts.ScriptedConnector.serve(aiohttp_server)
    await alerts.subscribe(service, stub, "19:busy")
    await service.add_funds(alerts.T, "30", alerts.ADA, "buy-1")
    await alerts.put_alerts(service, [AlertKind.DEPLETED])
    stub.script("19:busy", ("fail", 429, {"Retry-After": "4"}))  # then it takes posts

    workers = production(service, adapter)
    workers.start()
    for _ in range(500):
        if len(stub.calls) == 1:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the post is waiting out the Retry-After now
    took = await stopped(workers)
    [after_stop] = await service.list_alerts(alerts.T)

    await delivered_after_restart(service, adapter, clock)
    await asyncio.sleep(0.2)  # nothing more lands

    assert [c.status for c in stub.attempts("19:busy")] == [429, 201]  # posted once, after
    assert (after_stop.status, after_stop.last_error) == ("pending", "released")
    assert took < 1.0  # not the 4 s of the Retry-After: the wait was cut short
