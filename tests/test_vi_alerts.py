"""Alerts in the language of the conversation they go to: the locale kept with the subscription
(the turn that said "send alerts here", the install event of the automatic subscription) or with
an admin's 1:1 chat; English for a reference kept before locales were. One alert and a coalesced
burst alike. A real service, a real CreditsAdapter in local mode, stub Bot Connectors, fake time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from card_helpers import texts
from conftest import Backend
from delivery_helpers import (
    ADA,
    FakeTime,
    T,
    cards_in,
    dispatcher,
    fake_time,
    local_adapter,
    put_alerts,
    reference,
)
from helpers import (
    ALEX,
    BOT_ACCOUNT,
    PERSONAL,
    TEAM,
    TENANT,
    ClientFactory,
    channel_message,
    local_settings,
    personal_message,
    post,
)
from stub_connector import StubConnector

from bot.adapter import CreditsAdapter
from bot.app import create_app
from bot.appkeys import SERVICE
from cards.alerts import coalesced_card
from credits.i18n import Lang, speaking
from credits.models import Alert, AlertKind
from credits.service import CreditsService

__all__ = ["fake_time"]  # the fixture, used here by name

BURST = [AlertKind.LOW_BALANCE, AlertKind.DEPLETED, AlertKind.RECHARGE_FAILED]
ADMIN_ID = str(ALEX["aadObjectId"])


@pytest.fixture
async def adapter() -> AsyncIterator[CreditsAdapter]:
    made = local_adapter()
    yield made
    await made.close()


def rendered(alerts: list[Alert], lang: Lang) -> str:
    """The text of the card these alerts make in ``lang``."""
    with speaking(lang):
        return texts(coalesced_card(alerts))


def in_locale(stub: StubConnector, conv: str, locale: str | None) -> dict[str, Any]:
    kept = reference(stub, conv)
    if locale is not None:
        kept["locale"] = locale
    return kept


async def subscribed(service: CreditsService, stub: StubConnector) -> None:
    """Three channels: one subscribed in Vietnamese, one in English, one before locales."""
    await service.subscribe(T, "19:vi", in_locale(stub, "19:vi", "vi-VN"), ADA)
    await service.subscribe(T, "19:en", in_locale(stub, "19:en", "en-US"), ADA)
    await service.subscribe(T, "19:old", in_locale(stub, "19:old", None), ADA)


@pytest.mark.parametrize("kinds", [[AlertKind.LOW_BALANCE], BURST], ids=["one alert", "a burst"])
async def test_each_conversation_gets_the_alert_in_its_own_language(
    service: CreditsService,
    connector: StubConnector,
    adapter: CreditsAdapter,
    fake_time: FakeTime,
    kinds: list[AlertKind],
) -> None:
    await subscribed(service, connector)
    await put_alerts(service, kinds)
    alerts = await service.list_alerts(T, status="pending")
    vietnamese, english = rendered(alerts, Lang.VI), rendered(alerts, Lang.EN)

    report = await dispatcher(service, adapter, fake_time).run_once("w1")

    assert (report.claimed, report.posted, report.acked) == (len(kinds), 3, len(kinds))
    [vi] = cards_in(connector, "19:vi")
    [en] = cards_in(connector, "19:en")
    [old] = cards_in(connector, "19:old")
    assert texts(vi) == vietnamese
    assert texts(en) == texts(old) == english
    assert vietnamese != english, "the alert cards have no Vietnamese yet"
    assert "số dư" in vietnamese.lower(), vietnamese
    assert "balance" in english.lower()


async def test_send_alerts_here_keeps_the_turns_locale(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    """An English phrasing from a Vietnamese client: the locale, not the words, decides."""
    client = await aiohttp_client(create_app(local_settings(tmp_path)))
    said = channel_message(connector.url, "send alerts here")
    said.update(
        locale="vi-VN", entities=[*said["entities"], {"type": "clientInfo", "locale": "vi"}]
    )
    await post(client, said)
    [sub] = await client.app[SERVICE].list_subscriptions(TENANT)
    assert sub.reference["locale"] == "vi-VN"
    english = channel_message(connector.url, "send alerts here")
    english["conversation"] = {**english["conversation"], "id": "19:other@thread.tacv2"}
    english["channelData"] = {**english["channelData"], "team": {"id": "19:other@thread.tacv2"}}
    await post(client, english)
    locales = {
        s.conversation_id: s.reference["locale"]
        for s in await client.app[SERVICE].list_subscriptions(TENANT)
    }
    assert locales == {TEAM: "vi-VN", "19:other@thread.tacv2": "en-US"}


@pytest.mark.parametrize(
    ("root", "info", "kept"),
    [
        ("vi-VN", None, "vi-VN"),
        ("vi", None, "vi-VN"),
        (None, "vi-vn", "vi-VN"),
        ("en-US", "vi-VN", "en-US"),
        (None, None, "en-US"),
    ],
)
async def test_the_install_subscription_keeps_the_install_events_locale(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    connector: StubConnector,
    root: str | None,
    info: str | None,
    kept: str,
) -> None:
    client = await aiohttp_client(create_app(local_settings(tmp_path)))
    install = channel_message(connector.url, "")
    del install["text"]
    install.pop("locale")
    if root is not None:
        install["locale"] = root
    if info is not None:
        install["entities"] = [{"type": "clientInfo", "locale": info}]
    install.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT])
    install["conversation"] = {**install["conversation"], "id": TEAM}
    await post(client, install)
    [sub] = await client.app[SERVICE].list_subscriptions(TENANT)
    assert sub.reference["locale"] == kept


async def test_the_one_to_one_fallback_uses_the_admins_chat_locale(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    backend: Backend,
    connector: StubConnector,
    adapter: CreditsAdapter,
    fake_time: FakeTime,
) -> None:
    settings = local_settings(tmp_path, credits=backend.config(admins=(ADMIN_ID,)))
    client = await aiohttp_client(create_app(settings))
    service = client.app[SERVICE]
    await post(client, personal_message(connector.url, "balance"))
    [chat] = await service.admin_chats(TENANT)
    assert chat.reference["locale"] == "en-US"
    # the admin switches Teams to Vietnamese: the chat is kept again, with its new locale
    await post(client, personal_message(connector.url, "balance", locale="vi-VN"))
    [chat] = await service.admin_chats(TENANT)
    assert chat.reference["locale"] == "vi-VN"
    connector.clear()

    await put_alerts(service, BURST, tenant=TENANT)
    alerts = await service.list_alerts(TENANT, status="pending")
    report = await dispatcher(service, adapter, fake_time).run_once("w1")

    assert (report.claimed, report.posted, report.acked) == (3, 1, 3)
    [card] = cards_in(connector, PERSONAL)
    assert texts(card) == rendered(alerts, Lang.VI)
    assert texts(card) != rendered(alerts, Lang.EN), "the alert cards have no Vietnamese yet"
