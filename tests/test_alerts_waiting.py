"""Alerts that cannot be lost (issue 11): an alert no conversation can receive waits in the outbox
(not acknowledged, its rounds no delivery attempts) until "send alerts here" posts the waiting
ones in one card, or until it expires after CREDITS_ALERT_EXPIRE_HOURS (failed with
`expired_at`, counted in /metrics, logged at warning). With no subscribed conversation, alerts
go to the 1:1 chats of the tenant's admins, recorded from their turns, and never to anyone
else's. The balance card and "alerts" say which of these holds and how many alerts wait.

The whole app in local mode on the test's database (SQLite file or PostgreSQL schema), turns
posted over HTTP, a stub Bot Connector, and the alert dispatcher on the app's service with a
fake monotonic time; the service's clock is a ManualClock the tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from card_helpers import texts
from conftest import Backend
from delivery_helpers import (
    FakeTime,
    cards_in,
    dispatcher,
    fake_time,
    local_adapter,
    put_alerts,
)
from helpers import (
    ALEX,
    PERSONAL,
    TEAM,
    TENANT,
    Client,
    ClientFactory,
    channel_message,
    last_card,
    local_settings,
    personal_message,
    post,
    scrape,
    value,
)
from sqlalchemy import select
from stub_connector import StubConnector

from bot.adapter import CreditsAdapter
from bot.app import create_app
from bot.appkeys import SERVICE
from bot.delivery import delivery_key
from cards.account import alert_reach_text
from credits.clock import ManualClock
from credits.models import Actor, AlertKind, AlertReach
from credits.schema import personal_chats
from credits.service import CreditsService

__all__ = ["fake_time"]  # the fixture, used here by name

ADMIN_ID = str(ALEX["aadObjectId"])
BOB = {"id": "29:1user-bob", "name": "Bob Viewer", "aadObjectId": "bob-aad"}
BOB_CHAT = "a:1personal-chat-bob"
BURST = [AlertKind.LOW_BALANCE, AlertKind.DEPLETED, AlertKind.RECHARGE_FAILED]
WAIT = timedelta(minutes=1)  # the dispatcher's wait_delay


@pytest.fixture
async def adapter() -> AsyncIterator[CreditsAdapter]:
    """The adapter the dispatcher posts through; closed however the test ends."""
    made = local_adapter()
    yield made
    await made.close()


async def app_client(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    backend: Backend,
    clock: ManualClock,
    **config: Any,
) -> Client:
    """The bot in local mode on the test's database, its service on `clock`; Alex is the one
    configured billing admin (so his 1:1 chat is kept), unless `admins` says otherwise."""
    config.setdefault("admins", (ADMIN_ID,))
    settings = local_settings(tmp_path, credits=backend.config(**config))
    return await aiohttp_client(create_app(settings, clock=clock))


def bob_message(service_url: str, text: str) -> dict[str, Any]:
    """Bob, not a billing admin, in his own 1:1 chat with the bot."""
    activity = personal_message(service_url, text, **{"from": BOB})
    activity["conversation"] = {**activity["conversation"], "id": BOB_CHAT}
    return activity


async def kept_chats(service: CreditsService) -> dict[str, tuple[str, Any]]:
    """The personal_chats rows: person -> (conversation, updated_at)."""
    async with service.db.read() as conn:
        rows = (await conn.execute(select(personal_chats))).all()
    return {r.aad_object_id: (r.conversation_id, r.updated_at) for r in rows}


async def reply_to(client: Client, connector: StubConnector, activity: dict[str, Any]) -> str:
    """Post a turn; the text of the bot's last message (a card's text for a card)."""
    await post(client, activity)
    body = connector.sent[-1]
    if body.get("attachments"):
        return texts(body["attachments"][0]["content"])
    return str(body.get("text") or "")


# --------------------------------------------------------------------------- waiting


async def test_alerts_wait_until_send_alerts_here_posts_them_in_one_card(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    backend: Backend,
    clock: ManualClock,
    connector: StubConnector,
    adapter: CreditsAdapter,
    fake_time: FakeTime,
) -> None:
    client = await app_client(aiohttp_client, tmp_path, backend, clock)
    service = client.app[SERVICE]
    await put_alerts(service, BURST, tenant=TENANT)
    sender = dispatcher(service, adapter, fake_time)

    for _ in range(12):  # many rounds, none of them an attempt
        report = await sender.run_once("w1")
        assert (report.claimed, report.waiting, report.acked, report.posted) == (3, 3, 0, 0)
        again = await sender.run_once("w1")  # not claimed again at once: it waits a while
        assert again.claimed == 0
        clock.advance(WAIT)
    alerts = await service.list_alerts(TENANT)
    assert [(a.status, a.attempts) for a in alerts] == [("pending", 0)] * 3
    assert connector.calls == []

    said = await reply_to(client, connector, channel_message(connector.url, "send alerts here"))
    assert "Alerts will be posted here" in said
    assert "The 3 alerts that were waiting will be posted here shortly." in said

    report = await sender.run_once("w1")  # due at once: the clock has not moved
    assert (report.claimed, report.posted, report.acked, report.attempts) == (3, 1, 3, 1)
    [card] = cards_in(connector, TEAM)
    assert card["body"][0]["id"] == delivery_key([a.id for a in alerts], TEAM)
    assert [a.status for a in await service.list_alerts(TENANT)] == ["delivered"] * 3
    assert [await service.delivered_to(a.id) for a in alerts] == [{TEAM}] * 3


async def test_an_alert_nobody_can_receive_expires_after_the_configured_time(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    backend: Backend,
    clock: ManualClock,
    connector: StubConnector,
    adapter: CreditsAdapter,
    fake_time: FakeTime,
) -> None:
    client = await app_client(aiohttp_client, tmp_path, backend, clock, alert_expire_hours=2)
    service = client.app[SERVICE]
    await put_alerts(service, [AlertKind.DEPLETED], tenant=TENANT)
    [alert] = await service.list_alerts(TENANT)
    sender = dispatcher(service, adapter, fake_time)

    assert (await sender.run_once("w1")).waiting == 1
    clock.advance(timedelta(hours=2) - timedelta(seconds=1))  # due: it waits up to its expiry
    assert (await sender.run_once("w1")).waiting == 1
    assert (await sender.run_once("w1")).claimed == 0
    clock.advance(timedelta(seconds=1))
    with structlog.testing.capture_logs() as logs:
        report = await sender.run_once("w1")

    assert (report.claimed, report.expired, report.waiting, report.failed) == (1, 1, 0, 0)
    [expired] = await service.list_alerts(TENANT)
    assert expired.status == "failed" and expired.expired_at == clock.now()
    assert expired.attempts == 0 and "2 hours" in (expired.last_error or "")
    [logged] = [e for e in logs if e["event"] == "alert expired: no conversation could receive it"]
    assert logged["log_level"] == "warning" and logged["alert_id"] == alert.id
    samples = await scrape(client)
    assert value(samples, "credits_alerts_expired_total") == 1
    assert value(samples, "credits_alert_outbox_backlog") == 0
    # given up for good: a conversation that subscribes later does not get it
    await post(client, channel_message(connector.url, "send alerts here"))
    assert (await sender.run_once("w1")).claimed == 0
    assert cards_in(connector, TEAM) == []


# --------------------------------------------------------------------------- admins' 1:1 chats


async def test_with_no_channel_alerts_go_to_admins_personal_chats_only(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    backend: Backend,
    clock: ManualClock,
    connector: StubConnector,
    adapter: CreditsAdapter,
    fake_time: FakeTime,
) -> None:
    client = await app_client(aiohttp_client, tmp_path, backend, clock)
    service = client.app[SERVICE]
    admin = Actor(ADMIN_ID, "Alex Wilber")
    # Alex (an admin) and Bob (not one) each talk to the bot in their 1:1 chat
    await post(client, personal_message(connector.url, "balance"))
    assert "Only billing admins" in await reply_to(
        client, connector, bob_message(connector.url, "balance")
    )
    chats = await kept_chats(service)
    assert list(chats) == [ADMIN_ID] and chats[ADMIN_ID][0] == PERSONAL
    # nothing is written again while nothing changed
    clock.advance(timedelta(hours=1))
    await post(client, personal_message(connector.url, "history"))
    assert await kept_chats(service) == chats
    [kept] = await service.admin_chats(TENANT)
    assert not await service.remember_personal_chat(
        TENANT, ADMIN_ID, PERSONAL, kept.reference, kept.name
    )
    # Bob is made an admin and talks to the bot (kept), then is an admin no more
    await service.grant_admin(TENANT, "bob-aad", "Bob Viewer", admin)
    await post(client, bob_message(connector.url, "balance"))
    assert set(await kept_chats(service)) == {ADMIN_ID, "bob-aad"}
    await service.revoke_admin(TENANT, "bob-aad", admin)
    connector.clear()

    await put_alerts(service, BURST, tenant=TENANT)
    report = await dispatcher(service, adapter, fake_time).run_once("w1")

    assert (report.claimed, report.posted, report.acked) == (3, 1, 3)
    [card] = cards_in(connector, PERSONAL)
    assert card["body"][0]["id"].startswith("credits-alert-")
    assert cards_in(connector, BOB_CHAT) == []  # no longer an admin: never used
    assert [c.conversation_id for c in connector.calls] == [PERSONAL]


async def test_a_personal_chat_that_is_gone_is_forgotten_until_the_admin_installs_again(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    backend: Backend,
    clock: ManualClock,
    connector: StubConnector,
    adapter: CreditsAdapter,
    fake_time: FakeTime,
) -> None:
    client = await app_client(aiohttp_client, tmp_path, backend, clock)
    service = client.app[SERVICE]
    await post(client, personal_message(connector.url, "balance"))
    await put_alerts(service, [AlertKind.DEPLETED], tenant=TENANT)
    sender = dispatcher(service, adapter, fake_time)
    connector.fail_next(403)  # the bot was removed from Alex's chat

    report = await sender.run_once("w1")

    assert report.forgotten == [(TENANT, PERSONAL)] and report.acked == 0
    assert await kept_chats(service) == {}
    [alert] = await service.list_alerts(TENANT)
    assert (alert.status, alert.attempts) == ("pending", 0)  # waits for another conversation
    assert (await sender.run_once("w1")).waiting == 1  # nowhere to go now

    # Alex installs the bot again: his chat is kept again, and the alert is due at once
    install = personal_message(connector.url)
    del install["text"]
    install.update(type="installationUpdate", action="add")
    await post(client, install)
    assert list(await kept_chats(service)) == [ADMIN_ID]
    connector.clear()
    report = await sender.run_once("w1")
    assert (report.claimed, report.posted, report.acked) == (1, 1, 1)
    assert len(cards_in(connector, PERSONAL)) == 1


async def test_local_mode_without_admins_keeps_no_personal_chat(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    backend: Backend,
    clock: ManualClock,
    connector: StubConnector,
) -> None:
    """Everyone may act in local mode without CREDITS_ADMINS, but nobody is an admin of the
    store: no 1:1 chat is kept, and the card says where alerts could go."""
    client = await app_client(aiohttp_client, tmp_path, backend, clock, admins=())
    said = await reply_to(client, connector, personal_message(connector.url, "balance"))
    assert "No conversation receives alerts" in said
    assert await kept_chats(client.app[SERVICE]) == {}


# --------------------------------------------------------------------------- what admins see


async def test_the_balance_card_and_alerts_say_where_alerts_go_and_how_many_wait(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    backend: Backend,
    clock: ManualClock,
    connector: StubConnector,
    adapter: CreditsAdapter,
    fake_time: FakeTime,
) -> None:
    client = await app_client(aiohttp_client, tmp_path, backend, clock)
    service = client.app[SERVICE]
    await put_alerts(service, [AlertKind.LOW_BALANCE, AlertKind.DEPLETED], tenant=TENANT)

    # no conversation: Alex asks in the team channel (his 1:1 chat is not known yet)
    nowhere = "No conversation receives alerts, so 2 alerts are waiting."
    card = await reply_to(client, connector, channel_message(connector.url, "balance"))
    assert nowhere in card and "longer than 3 days is dropped" in card
    said = await reply_to(client, connector, channel_message(connector.url, "alerts"))
    assert said.startswith(nowhere) and "send alerts here" in said

    # the 1:1 fallback: once Alex talked to the bot in his 1:1 chat
    fallback = (
        "they go to the 1:1 chat an admin has with the bot instead. "
        "2 alerts have not been delivered yet."
    )
    card = await reply_to(client, connector, personal_message(connector.url, "balance"))
    assert fallback in card
    said = await reply_to(client, connector, personal_message(connector.url, "alerts"))
    assert fallback in said

    # a channel: subscribed, then the alerts delivered there
    said = await reply_to(client, connector, channel_message(connector.url, "send alerts here"))
    assert "The 2 alerts that were waiting will be posted here shortly." in said
    card = await reply_to(client, connector, channel_message(connector.url, "balance"))
    assert "Posted in 1 conversation, 2 not delivered yet" in card
    said = await reply_to(client, connector, channel_message(connector.url, "alerts"))
    assert said.startswith("Alerts go here. 2 alerts have not been delivered yet.")
    assert (await dispatcher(service, adapter, fake_time).run_once("w1")).acked == 2
    assert len(cards_in(connector, TEAM)) == 1
    await post(client, channel_message(connector.url, "balance"))
    balance, _ = last_card(connector)
    assert "Posted in 1 conversation" in texts(balance)
    assert "not delivered" not in texts(balance) and "No conversation" not in texts(balance)
    said = await reply_to(client, connector, channel_message(connector.url, "alerts"))
    assert said.startswith("Alerts go here. Low-balance alerts below")


def test_waiting_count_in_words() -> None:
    """One alert is "is waiting", and an odd expiry is said in hours."""
    one = AlertReach(conversations=0, personal_chats=0, waiting=1, expiry=timedelta(hours=36))
    assert alert_reach_text(one).startswith("No conversation receives alerts, so 1 alert is")
    assert "longer than 36 hours" in alert_reach_text(one)
    none = AlertReach(conversations=0, personal_chats=2, waiting=0, expiry=timedelta(hours=72))
    assert "1:1 chats 2 admins have with the bot instead." in alert_reach_text(none)
