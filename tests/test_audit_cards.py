"""The history card with settings changes (pure): valid Adaptive Card 1.5 and small whatever the
rows, every kind of change said in words in English and Vietnamese, the scope buttons, and a
page longer than the card draws paging on from its last drawn row."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cards import history_card
from cards._elements import nodes
from cards.audit import describe
from cards.text import render_text
from cards.validate import MAX_CARD_BYTES, card_size, validate_card
from credits.audit import ConversationKind, SettingsAction
from credits.audit_models import (
    ActivityPage,
    Conversation,
    FieldChange,
    HistoryCursor,
    Person,
    SettingField,
    SettingsChange,
)
from credits.i18n import Lang, speaking
from credits.models import (
    AccountView,
    Actor,
    Entry,
    EntryKind,
    HistoryScope,
    RechargeSettings,
)
from credits.money import Money, currency

USD = currency("USD")
WHEN = datetime(2026, 11, 24, 14, 5, tzinfo=UTC)
ADA = Actor("aad-ada", "Ada Admin")


def m(value: str) -> Money:
    return Money(Decimal(value), USD)


def view(last_seq: int = 5) -> AccountView:
    recharge = RechargeSettings(False, None, None, False, 0, 5, None)
    return AccountView(
        tenant_id="t",
        currency=USD,
        balance=m("42.50"),
        version=1,
        recharge=recharge,
        last_recharge=None,
        recharge_in_progress=False,
        daily_burn=m("0"),
        runway_days=None,
        expiring=None,
        thresholds=(),
        effective_thresholds=(),
        last_seq=last_seq,
    )


def change(id_: int, action: SettingsAction, **kw: Any) -> SettingsChange:
    return SettingsChange(id_, WHEN, action, kw.pop("actor", ADA), **kw)


EVERY_KIND = [
    change(
        9,
        SettingsAction.AUTO_RECHARGE,
        fields=(
            FieldChange(SettingField.RECHARGE_ENABLED, True),
            FieldChange(SettingField.RECHARGE_AMOUNT, m("100")),
            FieldChange(SettingField.RECHARGE_TRIGGER, m("20")),
        ),
    ),
    change(
        8,
        SettingsAction.RECHARGE_CAPS,
        fields=(
            FieldChange(SettingField.DAILY_LIMIT, 3, 5, known_before=True),
            FieldChange(SettingField.MAX_RECHARGE, m("150")),
        ),
    ),
    change(
        7,
        SettingsAction.ALERT_THRESHOLDS,
        fields=(FieldChange(SettingField.ALERT_THRESHOLDS, (m("50"), m("20"))),),
    ),
    change(6, SettingsAction.ADMIN_GRANTED, person=Person("aad-bob", "Bob Builder")),
    change(5, SettingsAction.ADMIN_REVOKED, person=Person("aad-bob", "Bob Builder")),
    change(4, SettingsAction.ADMIN_CLAIMED, person=Person("aad-ada", "Ada Admin")),
    change(
        3,
        SettingsAction.ALERTS_SUBSCRIBED,
        conversation=Conversation("c", "General", ConversationKind.CHANNEL, automatic=True),
    ),
    change(
        2,
        SettingsAction.ALERTS_UNSUBSCRIBED,
        conversation=Conversation("c", None, ConversationKind.PERSONAL, automatic=False),
    ),
    change(
        1,
        SettingsAction.ALERTS_UNSUBSCRIBED,
        actor=Actor("delivery", "Alert delivery"),
        conversation=Conversation("c", None, ConversationKind.GROUP_CHAT, automatic=True),
    ),
]
ENGLISH = [
    "Ada Admin set auto-recharge to $100.00 when below $20.00",
    "Ada Admin set the auto-recharge caps: at most 3 recharges a day (was 5); "
    "a largest single recharge of $150.00",
    "Ada Admin set low-balance alerts below $50.00, $20.00",
    "Ada Admin made Bob Builder an admin",
    "Ada Admin removed Bob Builder as admin",
    "Ada Admin became the first admin with a claim code",
    "Ada Admin added the bot to the channel “General”, so alerts are posted there",
    "Ada Admin stopped alerts in a 1:1 chat with the bot",
    "Alerts stopped in a group chat: the bot was removed or the conversation is gone",
]
ENGLISH_WORDS = {"the", "set", "made", "admin", "alerts", "below", "when", "removed", "stopped"}


def check(card: dict[str, Any]) -> dict[str, Any]:
    assert validate_card(card) == []
    assert card_size(card) < MAX_CARD_BYTES
    return card


def actions(card: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (str(n["title"]), dict(n["data"]))
        for n in nodes(card)
        if str(n.get("type", "")).startswith("Action.")
    ]


def test_every_kind_of_change_in_words() -> None:
    assert [describe(c) for c in EVERY_KIND] == ENGLISH
    with speaking(Lang.VI):
        vietnamese = [describe(c) for c in EVERY_KIND]
    assert vietnamese[0] == "Ada Admin đã đặt tự động nạp 100,00\xa0US$ khi số dư dưới 20,00\xa0US$"
    assert vietnamese[3] == "Ada Admin đã thêm Bob Builder làm người quản trị thanh toán"
    for said in vietnamese:
        words = {
            w.lower() for w in said.replace("Ada Admin", "").replace("Bob Builder", "").split()
        }
        assert not words & ENGLISH_WORDS, said


@pytest.mark.parametrize("scope", list(HistoryScope))
def test_the_card_of_each_scope(scope: HistoryScope) -> None:
    entry = Entry(20, EntryKind.FUNDING, m("50"), m("42.50"), ADA, "Purchase", "k", WHEN, WHEN)
    rows = tuple(EVERY_KIND) if scope is HistoryScope.SETTINGS else (entry, *EVERY_KIND)
    if scope is HistoryScope.MONEY:
        rows = (entry,)
    page = ActivityPage(scope, rows, HistoryCursor(20, 1), HistoryCursor(21, 10))
    card = check(history_card(page, view(last_seq=25)))
    shown = render_text(card).render()
    buttons = dict(actions(card))
    assert buttons["Newest"] == {"verb": "history", "scope": scope.value}
    older = {
        HistoryScope.ALL: {"before": 20, "before_change": 1},
        HistoryScope.MONEY: {"before": 20},
        HistoryScope.SETTINGS: {"before_change": 1},
    }[scope]
    assert buttons["Older"] == {"verb": "history", "scope": scope.value, **older}
    others = {"All activity", "Transactions only", "Settings changes only"}
    assert len(others & set(buttons)) == 2
    if scope is not HistoryScope.MONEY:
        for sentence in ENGLISH:
            assert sentence in shown
    with speaking(Lang.VI):
        vi = check(history_card(page, view(last_seq=25)))
    assert "Cũ hơn" in dict(actions(vi))


def test_a_long_page_is_drawn_short_and_pages_on_from_its_last_row() -> None:
    rows = tuple(
        change(
            500 - i,
            SettingsAction.ALERT_THRESHOLDS,
            actor=Actor("x", "N" * 200),
            fields=(
                FieldChange(SettingField.ALERT_THRESHOLDS, (m("1000000"), m("999999"), m("1"))),
            ),
        )
        for i in range(200)
    )
    page = ActivityPage(HistoryScope.SETTINGS, rows, HistoryCursor(1, 300))
    card = check(history_card(page, view()))
    drawn = sum(1 for n in nodes(card) if n.get("text") == "Settings change")
    assert 0 < drawn < 200
    older = dict(actions(card))["Older"]
    assert older == {"verb": "history", "scope": "settings", "before_change": 500 - drawn + 1}
