"""Replies the Bot Connector refuses during a turn (issue 9, point 7), through whole HTTP turns.

A reply answered 429/412/500/502/503/504 (or a connection error) is retried within the turn's
budget, honouring Retry-After; one that still does not get through is kept in the database and
posted later by the "replies" worker, in order, once. 403/404 are neither retried nor kept.
Time in the turn and in the worker is fake (`retrier.sleep` moves a fake monotonic clock), the
service's clock is a ManualClock the tests move; nothing here waits on wall-clock timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import delivery_helpers as alerts
import pytest
import structlog
from aiohttp import web
from card_helpers import button, texts
from conftest import Backend
from delivery_helpers import FakeTime, FlakyConnector, fake_time, flaky, start
from helpers import (
    PERSONAL,
    TENANT,
    ClientFactory,
    last_card,
    personal_message,
    post,
    scrape,
    submit,
    value,
)
from stub_connector import StubConnector

from bot.adapter import CreditsAdapter
from bot.appkeys import SERVICE
from cards import actions as verbs
from credits.clock import ManualClock
from credits.errors import ValidationError
from credits.models import AlertKind
from credits.replies import NewReply
from credits.service import CreditsService

__all__ = ["fake_time", "flaky"]  # the fixtures, used here by name


def with_workers(**overrides: Any) -> dict[str, Any]:
    return {"workers": True, "alert_interval_seconds": 0.02, **overrides}


async def eventually(condition: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.02)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


def receipts(stub: StubConnector) -> list[Any]:
    """Successful calls that carry the $50 receipt card."""
    return [
        c
        for c in stub.calls
        if not c.failed
        and any(
            "Added $50.00" in texts(a.get("content") or {})
            for a in (c.body or {}).get("attachments") or []
        )
    ]


# --------------------------------------------------------------------------- (a) retried in turn


async def test_a_reply_answered_429_is_retried_after_retry_after_and_posted_once(
    aiohttp_client: ClientFactory, tmp_path: Path, flaky: FlakyConnector, fake_time: FakeTime
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    flaky.fail_next(429, headers={"Retry-After": "2"})

    response = await client.post("/api/messages", json=personal_message(flaky.url, "help"))

    assert response.status == 201
    assert [c.status for c in flaky.to(PERSONAL)] == [429, 201]
    assert flaky.calls[0].body == flaky.calls[1].body  # the same reply, posted once
    assert len(fake_time.sleeps) == 1 and fake_time.sleeps[0] >= 2.0  # Retry-After honoured
    assert await client.app[SERVICE].list_replies() == []  # nothing kept
    samples = await scrape(client)
    assert value(samples, "credits_replies_total", result="retried") == 1
    assert value(samples, "credits_replies_total", result="kept") == 0


@pytest.mark.parametrize("status", [412, 500, 502, 503, 504])
async def test_each_transient_status_is_retried_in_the_turn(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    flaky: FlakyConnector,
    fake_time: FakeTime,
    status: int,
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    flaky.fail_next(status, times=2)
    response = await client.post("/api/messages", json=personal_message(flaky.url, "help"))
    assert response.status == 201
    assert [c.status for c in flaky.to(PERSONAL)] == [status, status, 201]
    assert len(fake_time.sleeps) == 2 and sum(fake_time.sleeps) <= 3.0  # within the budget


async def test_a_retry_after_longer_than_the_budget_is_not_waited_for_in_the_turn(
    aiohttp_client: ClientFactory, tmp_path: Path, flaky: FlakyConnector, fake_time: FakeTime
) -> None:
    clock = ManualClock()
    client = await start(aiohttp_client, tmp_path, fake_time, clock=clock, **with_workers())
    service = client.app[SERVICE]
    flaky.fail_next(429, headers={"Retry-After": "120"})

    response = await client.post("/api/messages", json=personal_message(flaky.url, "help"))

    assert response.status == 201
    assert fake_time.sleeps == []  # no waiting in the turn
    [kept] = await service.list_replies()
    assert kept.status == "pending" and kept.not_before == clock.now() + timedelta(seconds=120)
    await asyncio.sleep(0.2)  # worker rounds: not due yet
    assert [c.status for c in flaky.to(PERSONAL)] == [429]
    clock.advance(timedelta(seconds=121))

    async def posted() -> bool:
        return [r.status for r in await service.list_replies()] == ["delivered"]

    await eventually(posted)
    assert [c.status for c in flaky.to(PERSONAL)] == [429, 201]
    assert flaky.calls[0].body["attachments"] == flaky.calls[1].body["attachments"]
    assert flaky.calls[1].activity_id == flaky.calls[0].activity_id  # a reply to the same message


# --------------------------------------------------------------------------- (b) kept, then posted


async def test_a_receipt_the_connector_will_not_take_is_kept_and_posted_later_once(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    flaky: FlakyConnector,
    fake_time: FakeTime,
    backend: Backend,
) -> None:
    clock = ManualClock()
    client = await start(
        aiohttp_client, tmp_path, fake_time, clock=clock, backend=backend, **with_workers()
    )
    service = client.app[SERVICE]
    await post(client, personal_message(flaky.url, "add $50 credits"))
    confirm, _ = last_card(flaky)
    flaky.down = (503, {})

    # the admin confirms (Action.Submit on a card the client did not say it replied to): the
    # receipt is a new message, which the connector refuses on every attempt of the turn
    with structlog.testing.capture_logs() as logs:
        response = await client.post(
            "/api/messages",
            json=submit(flaky.url, button(confirm, verbs.ADD_FUNDS_CONFIRM), None),
        )
    assert response.status == 201  # the turn answers normally
    assert (await service.account(TENANT)).balance.minor == 5000
    retries = [e["delay"] for e in logs if e["event"] == "reply failed; retrying"]
    assert len(retries) >= 1 and sum(retries) <= 3.0  # retried within the turn's budget
    assert receipts(flaky) == []
    kept = [e for e in logs if e["event"] == "reply kept for later"]
    assert len(kept) == 1 and kept[0]["conversation_id"] == PERSONAL

    async def waiting() -> bool:
        return [r.status for r in await service.list_replies(TENANT)] == ["pending"]

    await eventually(waiting)  # (the worker may have tried it meanwhile, in vain)
    [reply] = await service.list_replies(TENANT)
    assert reply.conversation_id == PERSONAL
    assert "Added $50.00" in texts(reply.activity["attachments"][0]["content"])

    flaky.down = None  # the connector accepts again
    clock.advance(timedelta(hours=2))

    async def delivered() -> bool:
        return [r.status for r in await service.list_replies(TENANT)] == ["delivered"]

    await eventually(delivered)
    await asyncio.sleep(0.2)  # a few more worker rounds: nothing more may arrive
    [receipt] = receipts(flaky)
    assert receipt.conversation_id == PERSONAL and receipt.method == "POST"
    assert (await service.account(TENANT)).balance.minor == 5000  # applied once
    samples = await scrape(client)
    assert value(samples, "credits_replies_total", result="kept") == 1
    assert value(samples, "credits_replies_total", result="delivered") == 1
    assert value(samples, "credits_replies_total", result="failed") == 0


async def test_kept_replies_of_one_conversation_are_posted_in_order(
    aiohttp_client: ClientFactory, tmp_path: Path, flaky: FlakyConnector, fake_time: FakeTime
) -> None:
    clock = ManualClock()
    client = await start(aiohttp_client, tmp_path, fake_time, clock=clock, **with_workers())
    service = client.app[SERVICE]
    flaky.down = (502, {})
    for text in ("balance", "help", "history"):
        await post(client, personal_message(flaky.url, text))
    assert len(await service.list_replies()) == 3
    kept = [r.activity for r in await service.list_replies()]
    flaky.down = None
    clock.advance(timedelta(hours=2))

    async def all_delivered() -> bool:
        return {r.status for r in await service.list_replies()} == {"delivered"}

    await eventually(all_delivered)
    posted = [c.body for c in flaky.calls if not c.failed]
    assert [p.get("attachments") for p in posted] == [k.get("attachments") for k in kept]
    assert [p.get("text") for p in posted] == [k.get("text") for k in kept]


async def test_a_kept_reply_the_connector_never_takes_is_given_up_with_an_error(
    aiohttp_client: ClientFactory, tmp_path: Path, flaky: FlakyConnector, fake_time: FakeTime
) -> None:
    clock = ManualClock()
    client = await start(aiohttp_client, tmp_path, fake_time, clock=clock, **with_workers())
    service = client.app[SERVICE]
    flaky.down = (500, {})
    await post(client, personal_message(flaky.url, "help"))
    with structlog.testing.capture_logs() as logs:
        for _ in range(20):
            clock.advance(timedelta(hours=2))
            await asyncio.sleep(0.1)
            if [r.status for r in await service.list_replies()] == ["failed"]:
                break
    [reply] = await service.list_replies()
    assert reply.status == "failed" and "500" in (reply.last_error or "")
    given_up = [e for e in logs if e["event"] == "reply given up"]
    assert len(given_up) == 1 and given_up[0]["log_level"] == "error"
    attempts = len(flaky.calls)
    clock.advance(timedelta(days=1))
    await asyncio.sleep(0.2)
    assert len(flaky.calls) == attempts  # no more tries
    samples = await scrape(client)
    assert value(samples, "credits_replies_total", result="failed") == 1


# --------------------------------------------------------------------------- (c) 403 / 404


@pytest.mark.parametrize("status", [403, 404])
async def test_gone_is_neither_retried_nor_kept(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    flaky: FlakyConnector,
    fake_time: FakeTime,
    status: int,
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    flaky.fail_next(status)
    with structlog.testing.capture_logs() as logs:
        response = await client.post("/api/messages", json=personal_message(flaky.url, "help"))
    assert response.status == 201
    assert [c.status for c in flaky.calls] == [status]  # one attempt, no apology either
    assert fake_time.sleeps == []
    assert await client.app[SERVICE].list_replies() == []
    gone = [e for e in logs if e["event"] == "reply not delivered: the conversation is gone"]
    assert len(gone) == 1 and gone[0]["log_level"] == "warning" and gone[0]["status"] == status
    samples = await scrape(client)
    assert value(samples, "credits_replies_total", result="gone") == 1
    assert value(samples, "credits_replies_total", result="kept") == 0


# --------------------------------------------------------------------------- (d) card updates


async def test_a_card_update_that_cannot_be_made_is_kept_as_a_new_post(
    aiohttp_client: ClientFactory, tmp_path: Path, flaky: FlakyConnector, fake_time: FakeTime
) -> None:
    clock = ManualClock()
    client = await start(aiohttp_client, tmp_path, fake_time, clock=clock, **with_workers())
    service = client.app[SERVICE]
    await post(client, personal_message(flaky.url, "add $50 credits"))
    confirm, confirm_id = last_card(flaky)
    assert confirm_id
    flaky.down = (504, {})

    response = await client.post(
        "/api/messages",
        json=submit(flaky.url, button(confirm, verbs.ADD_FUNDS_CONFIRM), confirm_id),
    )

    assert response.status == 201
    updates = [c for c in flaky.calls if c.kind == "update"]
    assert all(c.status == 504 for c in updates)
    assert len(updates) == len(fake_time.sleeps) + 1 >= 2  # retried in the turn, by us only
    assert (await service.account(TENANT)).balance.minor == 5000
    [reply] = await service.list_replies()
    assert "id" not in reply.activity  # a new post, not the update of the confirm card
    flaky.down = None

    async def delivered() -> bool:
        # time moves on while we wait: a round that tried while the connector was still down
        # set a later not_before, which must come too
        clock.advance(timedelta(hours=2))
        return [r.status for r in await service.list_replies()] == ["delivered"]

    await eventually(delivered)
    [receipt] = receipts(flaky)
    assert receipt.kind in ("send", "reply") and receipt.activity_id != confirm_id


async def test_a_card_update_answered_503_once_is_retried_in_place(
    aiohttp_client: ClientFactory, tmp_path: Path, flaky: FlakyConnector, fake_time: FakeTime
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    await post(client, personal_message(flaky.url, "add $50 credits"))
    confirm, confirm_id = last_card(flaky)
    flaky.fail_next(503)
    await post(client, submit(flaky.url, button(confirm, verbs.ADD_FUNDS_CONFIRM), confirm_id))
    updates = [c for c in flaky.calls if c.kind == "update"]
    assert [c.status for c in updates] == [503, 200]
    assert updates[-1].activity_id == confirm_id
    # retried here, with backoff, not inside msrest's requests sender (urllib3 retries a PUT
    # answered 5xx, or any call that cannot connect, by itself, sleeping in its thread)
    assert len(fake_time.sleeps) == 1
    assert await client.app[SERVICE].list_replies() == []


# --------------------------------------------------------------------------- the store


async def test_kept_replies_are_claimed_once_and_in_order_per_conversation(
    make_service: Callable[..., Awaitable[CreditsService]], clock: ManualClock
) -> None:
    """Two replicas claim at once: each reply goes to one of them, and a conversation's next
    reply is only handed out once the one before it is done."""
    one, two = await make_service(), await make_service()

    def reply(conversation: str, text: str) -> NewReply:
        activity = {"type": "message", "text": text}
        reference = {"conversation": {"id": conversation}, "serviceUrl": "https://x"}
        return NewReply("t", conversation, activity, reference, "HTTP 503")

    for conversation, text in [("a", "a1"), ("a", "a2"), ("b", "b1"), ("a", "a3")]:
        await one.keep_reply(reply(conversation, text))
    first, second = await asyncio.gather(one.claim_replies("w1"), two.claim_replies("w2"))
    claimed = [r.activity["text"] for r in first + second]
    assert sorted(claimed) == ["a1", "b1"]  # the head of each conversation, once
    assert await one.claim_replies("w1") == []  # a2 waits for a1
    a1 = next(r for r in first + second if r.activity["text"] == "a1")
    b1 = next(r for r in first + second if r.activity["text"] == "b1")
    holder = "w1" if a1 in first else "w2"
    assert not await one.ack_reply(a1.id, "someone-else")  # only the holder acks
    assert await one.ack_reply(a1.id, holder)
    assert await two.ack_reply(b1.id, "w1" if b1 in first else "w2")
    [a2] = await two.claim_replies("w2")
    assert a2.activity["text"] == "a2" and a2.attempts == 1
    later = clock.now() + timedelta(minutes=1)
    assert await two.retry_reply(a2.id, "w2", "HTTP 429", later)
    assert await one.claim_replies("w1") == []  # a2 not due yet, a3 behind it
    clock.advance(timedelta(minutes=2))
    [again] = await one.claim_replies("w1")
    assert again.id == a2.id and again.attempts == 2 and again.last_error == "HTTP 429"
    assert await one.fail_reply(a2.id, "w1", "gave up")
    [a3] = await one.claim_replies("w1")
    assert a3.activity["text"] == "a3"


async def test_a_reply_with_an_unusable_conversation_id_is_refused(
    service: CreditsService,
) -> None:
    with pytest.raises(ValidationError, match="conversation"):
        await service.keep_reply(NewReply("t", "x" * 501, {"type": "message"}, {}, "HTTP 503"))
    assert await service.list_replies() == []


# --------------------------------------------------------------------------- alerts share it


@pytest.fixture
async def alert_adapter() -> AsyncIterator[CreditsAdapter]:
    """The adapter of alert delivery (test_delivery.py); closed however the test ends."""
    adapter = alerts.local_adapter()
    yield adapter
    await adapter.close()


async def test_alert_delivery_retries_503_and_ends_a_subscription_on_404(
    service: CreditsService, aiohttp_server: Any, alert_adapter: CreditsAdapter
) -> None:
    """Alert delivery uses the same retries (bot/sending.py): 500 and 503 are retried like 502,
    and 404 (the conversation is gone) ends that subscription like 403."""
    time = alerts.FakeTime()
    stub = await alerts.scripted(aiohttp_server, time)
    await alerts.subscribe(service, stub, "19:ops", "19:deleted")
    await service.add_funds(alerts.T, "30", alerts.ADA, "buy-1")
    await alerts.put_alerts(service, [AlertKind.DEPLETED])
    stub.script("19:ops", ("fail", 503, {"Retry-After": "1"}), ("fail", 500, {}))
    stub.script("19:deleted", ("fail", 404, {}))

    report = await alerts.dispatcher(service, alert_adapter, time).run_once("w1")

    assert [c.status for c in stub.attempts("19:ops")] == [503, 500, 201]
    assert report.delays[0] >= 1.0
    assert [c.status for c in stub.attempts("19:deleted")] == [404]
    assert report.unsubscribed == [(alerts.T, "19:deleted")]
    assert [a.status for a in await service.list_alerts(alerts.T)] == ["delivered"]


class SlowConnector(FlakyConnector):
    """Answers the calls after the first `fast` ones only after `delay` real seconds (a slow
    channel that does take the post)."""

    fast = 1
    delay = 1.5

    async def _activity(self, request: web.Request) -> web.Response:
        if len(self.calls) >= self.fast:
            await asyncio.sleep(self.delay)
        return await super()._activity(request)


async def test_a_slow_connector_that_takes_the_post_gets_it_once(
    aiohttp_client: ClientFactory, tmp_path: Path, aiohttp_server: Any, fake_time: FakeTime
) -> None:
    """A retry's attempt is not cut short by what is left of the turn's budget: given up on,
    it would still post, and the reply would then be kept and posted again (issue 9 review)."""
    slow = await SlowConnector.serve(aiohttp_server)
    client = await start(aiohttp_client, tmp_path, fake_time)
    slow.fail_next(429, headers={"Retry-After": "2"})

    response = await client.post("/api/messages", json=personal_message(slow.url, "help"))

    assert response.status == 201
    await asyncio.sleep(SlowConnector.delay)  # a post given up on would land by now
    assert [c.status for c in slow.calls] == [429, 201]
    assert await client.app[SERVICE].list_replies() == []  # nothing kept to post again
