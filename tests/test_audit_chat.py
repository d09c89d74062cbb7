"""The history and the audit trail in chat, in English and Vietnamese: "history" shows money and
settings changes together, "history settings" / "audit" / "nhật ký thay đổi" the settings
changes alone, "transactions" / "lịch sử giao dịch" the money alone; each settings row in words
with who and when; the card pages and switches scope; a non-admin is refused every phrasing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import DialogTestClient
from card_helpers import button, texts
from dialog_helpers import ADMIN, TENANT, VIEWER, card_of, client, press
from helpers import (
    BOT_ACCOUNT,
    TEAM,
    ClientFactory,
    channel_message,
    last_card,
    local_settings,
    post,
)
from helpers import TENANT as HTTP_TENANT
from stub_connector import StubConnector

from bot.app import create_app
from bot.appkeys import SERVICE
from cards import actions as verbs
from cards._elements import nodes
from credits.models import Actor, HistoryScope
from credits.service import CreditsService
from dialogs.audit_intents import scope_of

VI = "vi-VN"
NBSP = "\u00a0"
BOB = Actor("aad-bob", "Bob Builder")

SETTINGS_EN = [
    "history settings",
    "settings history",
    "audit",
    "audit log",
    "who changed the settings",
    "Who changed the settings?",
    "show me the audit trail",
    "who turned off auto-recharge",
]
MONEY_EN = ["history money", "transactions", "show me recent transactions", "transaction history"]
ALL_EN = ["history", "show history", "activity", "history all"]
SETTINGS_VI = [
    "lịch sử cài đặt",
    "lich su cai dat",
    "nhật ký thay đổi",
    "nhat ky thay doi",
    "xem lịch sử thay đổi",
    "ai đã thay đổi cài đặt",
    "ai da thay doi cai dat",
]
MONEY_VI = ["lịch sử giao dịch", "lich su giao dich", "giao dịch gần đây", "xem giao dich"]
ALL_VI = ["lịch sử", "xem lịch sử", "lich su"]
TITLES = {
    HistoryScope.ALL: ("All activity", "Tất cả hoạt động"),
    HistoryScope.MONEY: ("Transactions", "Giao dịch"),
    HistoryScope.SETTINGS: ("Settings changes", "Lịch sử thay đổi cài đặt"),
}


def said(text: str, locale: str = "en-US") -> Activity:
    return Activity(type=ActivityTypes.message, text=text, locale=locale)


def title(card: dict[str, Any]) -> str:
    return str(card["body"][0]["text"])


def titles(card: dict[str, Any]) -> list[str]:
    return [str(n["title"]) for n in nodes(card) if str(n.get("type", "")).startswith("Action.")]


def by_title(card: dict[str, Any], name: str) -> dict[str, Any]:
    for node in nodes(card):
        if str(node.get("type", "")).startswith("Action.") and node.get("title") == name:
            return dict(node["data"])
    raise AssertionError(f"no {name!r} button: {titles(card)}")


async def some_of_everything(service: CreditsService) -> None:
    await service.adjust(TENANT, "42.50", ADMIN.actor, "opening deposit", "open")
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="100", trigger="20")
    await service.grant_admin(TENANT, BOB.id, BOB.name, ADMIN.actor)


async def card_for(service: CreditsService, text: str, locale: str = "en-US") -> dict[str, Any]:
    return card_of(await client(service).send_activity(said(text, locale)))


# --------------------------------------------------------------------------- the phrasings


@pytest.mark.parametrize(
    ("text", "scope"),
    [(t, HistoryScope.SETTINGS) for t in SETTINGS_EN + SETTINGS_VI]
    + [(t, HistoryScope.MONEY) for t in MONEY_EN + MONEY_VI]
    + [(t, HistoryScope.ALL) for t in ALL_EN + ALL_VI],
)
async def test_each_phrasing_shows_its_scope(
    service: CreditsService, text: str, scope: HistoryScope
) -> None:
    await some_of_everything(service)
    for locale, expected in zip(("en-US", VI), TITLES[scope], strict=True):
        card = await card_for(service, text, locale)
        shown = texts(card).replace(NBSP, " ")
        assert title(card) == expected, (text, locale)
        money = "opening deposit" in shown
        admin = "Bob Builder" in shown
        assert money is (scope is not HistoryScope.SETTINGS), (text, shown)
        assert admin is (scope is not HistoryScope.MONEY), (text, shown)


def test_export_history_and_refunds_are_not_a_scope() -> None:
    for text in ("export history", "history for November", "refund my last transaction"):
        assert scope_of(text) is None, text


async def test_history_says_who_changed_what_and_when(service: CreditsService) -> None:
    await some_of_everything(service)
    await service.subscribe(
        TENANT,
        "19:ops@thread",
        {"conversation": {"name": "Ops", "conversationType": "channel"}},
        ADMIN.actor,
    )
    card = await card_for(service, "history")
    shown = texts(card)
    for sentence in (
        "Ada Admin set auto-recharge to $100.00 when below $20.00",
        "Ada Admin made Bob Builder an admin",
        "Ada Admin turned on alerts in the channel “Ops”",
    ):
        assert sentence in shown
    settings_row = next(r for r in card["body"] if "made Bob Builder an admin" in str(r))
    money_row = next(r for r in card["body"] if "+$42.50" in str(r))
    for row in (settings_row, money_row):  # when: the date and the time (the ManualClock's)
        assert texts(row["columns"][0]) == "1 Jan 2026 00:00 UTC", row
    assert "Settings change" in shown and "+$42.50" in shown
    assert titles(card) == ["Transactions only", "Settings changes only", "Show balance"]
    vi = await card_for(service, "xem lịch sử", VI)
    vi_shown = texts(vi).replace(NBSP, " ")
    assert "Ada Admin đã đặt tự động nạp 100,00 US$ khi số dư dưới 20,00 US$" in vi_shown
    assert "Ada Admin đã thêm Bob Builder làm người quản trị thanh toán" in vi_shown
    assert "Ada Admin đã bật gửi cảnh báo vào kênh “Ops”" in vi_shown
    assert titles(vi) == ["Chỉ giao dịch", "Chỉ thay đổi cài đặt", "Xem số dư"]


async def test_the_card_pages_the_merged_history_and_switches_scope(
    service: CreditsService,
) -> None:
    for n in range(12):  # 24 rows, all at the same time: three pages of 10
        await service.adjust(TENANT, str(10 + n), ADMIN.actor, f"entry {n}", f"k{n}")
        await service.set_alert_thresholds(TENANT, ADMIN.actor, [str(30 + n)])
    talk = client(service)
    first = card_of(await talk.send_activity("history"))
    seen, page = texts(first), first
    for _ in range(2):
        older = by_title(page, "Older")
        assert older["scope"] == "all" and {"before", "before_change"} <= older.keys()
        page = card_of(await talk.send_activity(press(older)))
        assert "Newest" in titles(page)
        seen += texts(page)
    assert "Older" not in titles(page)
    for n in range(12):  # every row once, over the three pages
        assert seen.count(f"entry {n} ·") == 1
        assert seen.count(f"below ${30 + n}.00") == 1
    settings = card_of(await talk.send_activity(press(by_title(first, "Settings changes only"))))
    assert title(settings) == "Settings changes" and "entry" not in texts(settings)
    older_settings = by_title(settings, "Older")
    assert older_settings.keys() == {"verb", "scope", "before_change"}
    money = card_of(await talk.send_activity(press(by_title(settings, "Transactions only"))))
    assert title(money) == "Transactions" and "low-balance alerts" not in texts(money)
    assert by_title(money, "Older").keys() == {"verb", "scope", "before"}
    back = card_of(await talk.send_activity(press(by_title(money, "All activity"))))
    assert title(back) == "All activity"


async def test_an_older_button_from_before_scopes_pages_the_ledger(
    service: CreditsService,
) -> None:
    for n in range(12):
        await service.adjust(TENANT, str(10 + n), ADMIN.actor, f"entry {n}", f"k{n}")
    await service.set_alert_thresholds(TENANT, ADMIN.actor, ["30"])
    card = card_of(await client(service).send_activity(press({"verb": "history", "before": 3})))
    assert title(card) == "Transactions"
    assert "$11.00" in texts(card) and "$10.00" in texts(card) and "$12.00" not in texts(card)


async def test_a_settings_history_with_nothing_in_it(service: CreditsService) -> None:
    card = await card_for(service, "audit log")
    assert "No settings changes yet." in texts(card)
    vi = await card_for(service, "nhật ký thay đổi", VI)
    assert "Chưa có thay đổi cài đặt nào." in texts(vi)


async def test_the_history_of_everything_is_not_called_transactions_in_vietnamese(
    service: CreditsService,
) -> None:
    empty = await card_for(service, "xem lịch sử", VI)
    assert title(empty) == "Tất cả hoạt động"
    assert "Chưa có hoạt động hay thay đổi cài đặt nào." in texts(empty)
    assert "giao dịch" not in title(empty) + texts(empty).split("Chỉ giao dịch")[0]
    assert "No activity or settings changes yet." in texts(await card_for(service, "history"))
    money = await card_for(service, "lịch sử giao dịch", VI)
    assert title(money) == "Giao dịch" and "Chưa có giao dịch nào." in texts(money)


@pytest.mark.parametrize("data", [{"scope": "everything"}, {"before_change": 0}])
async def test_a_bad_history_button_says_what_is_allowed(
    service: CreditsService, data: dict[str, Any]
) -> None:
    card = card_of(await client(service).send_activity(press({"verb": "history", **data})))
    assert "allowed:" in texts(card) and "Nothing was changed." in texts(card)


# --------------------------------------------------------------------------- who may ask


@pytest.mark.parametrize("text", SETTINGS_EN + MONEY_EN + ALL_EN[:1])
async def test_a_non_admin_is_refused_every_phrasing(service: CreditsService, text: str) -> None:
    await some_of_everything(service)
    reply = await client(service, VIEWER).send_activity(said(text))
    assert "Only billing admins" in (reply.text or "") and not reply.attachments


@pytest.mark.parametrize("text", SETTINGS_VI + MONEY_VI[:1] + ALL_VI[:1])
async def test_a_non_admin_is_refused_in_vietnamese(service: CreditsService, text: str) -> None:
    await some_of_everything(service)
    reply = await client(service, VIEWER).send_activity(said(text, VI))
    assert "Chỉ người quản trị thanh toán" in (reply.text or "") and not reply.attachments


async def test_a_non_admin_pressing_a_history_button_is_refused(service: CreditsService) -> None:
    await some_of_everything(service)
    talk: DialogTestClient = client(service, VIEWER)
    card = card_of(await talk.send_activity(press({"verb": verbs.HISTORY, "scope": "settings"})))
    assert "Only billing admins" in texts(card) and "Bob Builder" not in texts(card)
    assert button(card_of(await client(service).send_activity("audit")), verbs.HISTORY)


# --------------------------------------------------------------------------- over HTTP


async def test_the_subscription_at_install_and_stop_alerts_here_are_audited(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    app = await aiohttp_client(create_app(local_settings(tmp_path)))
    install = channel_message(connector.url, "")
    del install["text"]
    install.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT])
    install["conversation"]["id"] = TEAM
    await post(app, install)
    await post(app, channel_message(connector.url, "stop alerts here"))
    await post(app, channel_message(connector.url, "audit"))
    card = last_card(connector)[0]
    shown = texts(card)
    assert title(card) == "Settings changes"
    assert "Alex Wilber stopped alerts in a channel" in shown
    assert "Alex Wilber added the bot to a channel, so alerts are posted there" in shown
    service = app.app[SERVICE]
    page = await service.activity(HTTP_TENANT, scope=HistoryScope.SETTINGS)
    assert [c.action.value for c in page.changes] == ["alerts_unsubscribed", "alerts_subscribed"]
    assert {c.conversation.id for c in page.changes if c.conversation} == {TEAM}
