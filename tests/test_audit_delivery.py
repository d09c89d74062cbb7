"""The end of a subscription by alert delivery is audited: a post answered 403 (the bot was
removed) or 404 (the conversation is gone) ends it, and the history says so, by the delivery
(never by a person), in English and Vietnamese. Through bot/delivery.py, against the stub Bot
Connector, on SQLite and PostgreSQL."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest
from delivery_helpers import (
    ADA,
    FakeTime,
    ScriptedConnector,
    T,
    dispatcher,
    fake_time,
    local_adapter,
    put_alerts,
    scripted,
    subscribe,
)

from bot.adapter import CreditsAdapter
from cards.audit import describe
from credits.audit import DELIVERY, SettingsAction
from credits.i18n import Lang, speaking
from credits.models import AlertKind, HistoryScope
from credits.service import CreditsService

__all__ = ["fake_time"]  # the fixture, used here by name


@pytest.fixture
async def stub(aiohttp_server: Any, fake_time: FakeTime) -> ScriptedConnector:
    return await scripted(aiohttp_server, fake_time)


@pytest.fixture
async def adapter() -> AsyncIterator[CreditsAdapter]:
    made = local_adapter()
    yield made
    await made.close()


async def test_a_403_and_a_404_end_subscriptions_audited_by_the_delivery(
    service: CreditsService, fake_time: FakeTime, stub: ScriptedConnector, adapter: CreditsAdapter
) -> None:
    await subscribe(service, stub, "19:ops", "19:removed", "19:gone")
    await put_alerts(service, [AlertKind.LOW_BALANCE])
    stub.script("19:removed", ("fail", 403, {}))
    stub.script("19:gone", ("fail", 404, {}))

    report = await dispatcher(service, adapter, fake_time).run_once("w1")

    assert sorted(report.unsubscribed) == [(T, "19:gone"), (T, "19:removed")]
    page = await service.activity(T, scope=HistoryScope.SETTINGS)
    ended = [c for c in page.changes if c.action is SettingsAction.ALERTS_UNSUBSCRIBED]
    assert sorted(c.conversation.id for c in ended if c.conversation) == ["19:gone", "19:removed"]
    for change in ended:
        assert change.actor == DELIVERY
        assert change.conversation is not None and change.conversation.automatic
        assert describe(change) == (
            "Alerts stopped in a channel: the bot was removed or the conversation is gone"
        )
        with speaking(Lang.VI):
            assert describe(change).startswith("Đã dừng gửi cảnh báo vào một kênh")
    started = [c for c in page.changes if c.action is SettingsAction.ALERTS_SUBSCRIBED]
    assert len(started) == 3 and all(c.actor == ADA for c in started)


def test_who_ends_a_subscription_is_always_said() -> None:
    """No default: a caller that forgets the actor does not pass as the delivery."""
    actor = inspect.signature(CreditsService.unsubscribe).parameters["actor"]
    assert actor.default is inspect.Parameter.empty
