"""Cards: pure builders from views to Adaptive Card 1.5 dicts, their validation and text form."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from card_helpers import nodes

import cards
from cards import (
    access_denied_card,
    add_funds_form,
    balance_card,
    confirm_funds_card,
    confirm_recharge_card,
    help_card,
    history_card,
    outcome_card,
    receipt_card,
    recharge_form,
    render_text,
    validate_card,
    welcome_card,
)
from cards import actions as act
from cards.validate import MAX_CARD_BYTES, card_size
from credits.models import (
    AUTO,
    USAGE,
    AccountView,
    Actor,
    Entry,
    EntryKind,
    ExpiringFunds,
    FundingResult,
    HistoryPage,
    PaymentView,
    RechargeSettings,
)
from credits.money import AmountLimits, Currency, Money, currency

USD = currency("USD")
JPY = currency("JPY")
BHD = currency("BHD")
NOW = datetime(2026, 11, 24, 14, 5, 33, tzinfo=UTC)
ANA = Actor("aad-ana", "Ana Admin")
LIMITS = AmountLimits()


def m(value: str, cur: Currency = USD) -> Money:
    return Money(Decimal(value), cur)


def recharge(
    cur: Currency = USD,
    *,
    enabled: bool = True,
    amount: str | None = "100",
    trigger: str | None = "20",
    paused: bool = False,
    declines: int = 0,
    cap: str | None = None,
) -> RechargeSettings:
    return RechargeSettings(
        enabled=enabled,
        amount=m(amount, cur) if amount is not None else None,
        trigger=m(trigger, cur) if trigger is not None else None,
        paused=paused,
        consecutive_declines=declines,
        daily_limit=5,
        monthly_cap=m(cap, cur) if cap is not None else None,
    )


def payment(
    cur: Currency = USD, status: str = "succeeded", reason: str | None = None
) -> PaymentView:
    return PaymentView(
        id=7,
        kind="auto_recharge",
        status=status,
        amount=m("100", cur),
        idempotency_key="pay-7",
        reason=reason,
        reference="sandbox-123",
        attempts=1,
        created_at=NOW - timedelta(days=2),
        updated_at=NOW - timedelta(days=2),
    )


def view(
    cur: Currency = USD,
    balance: str = "1000.50",
    *,
    settings: RechargeSettings | None = None,
    last: PaymentView | None = None,
    in_progress: bool = False,
    burn: str = "5",
    runway: Decimal | None = None,
    expiring: ExpiringFunds | None = None,
    thresholds: tuple[str, ...] = ("20",),
    last_seq: int = 40,
    version: int = 3,
) -> AccountView:
    return AccountView(
        tenant_id="tenant-1",
        currency=cur,
        balance=m(balance, cur),
        version=version,
        recharge=settings if settings is not None else recharge(cur),
        last_recharge=last,
        recharge_in_progress=in_progress,
        daily_burn=m(burn, cur),
        runway_days=runway,
        expiring=expiring,
        thresholds=tuple(m(t, cur) for t in thresholds),
        effective_thresholds=tuple(m(t, cur) for t in thresholds),
        last_seq=last_seq,
    )


def entry(
    seq: int,
    kind: EntryKind,
    amount: str,
    after: str,
    actor: Actor = ANA,
    reason: str = "",
    cur: Currency = USD,
) -> Entry:
    at = NOW - timedelta(minutes=seq)
    return Entry(
        seq=seq,
        kind=kind,
        amount=m(amount, cur),
        balance_after=m(after, cur),
        actor=actor,
        reason=reason,
        idempotency_key=f"key-{seq}",
        occurred_at=at,
        created_at=at,
    )


# --------------------------------------------------------------------------- helpers


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in nodes(card) if str(n.get("type", "")).startswith("Action.")]


def texts(card: dict[str, Any]) -> str:
    found = [n["text"] for n in nodes(card) if n.get("type") == "TextBlock"]
    found += [
        f"{f['title']}: {f['value']}"
        for n in nodes(card)
        if n.get("type") == "FactSet"
        for f in n["facts"]
    ]
    return "\n".join(found)


def facts(card: dict[str, Any]) -> dict[str, str]:
    return {
        f["title"]: f["value"]
        for n in nodes(card)
        if n.get("type") == "FactSet"
        for f in n["facts"]
    }


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    matches = [b for b in buttons(card) if b["title"] == title]
    assert len(matches) == 1, [b["title"] for b in buttons(card)]
    return matches[0]


def titles(card: dict[str, Any]) -> list[str]:
    return [b["title"] for b in buttons(card)]


def check(card: dict[str, Any]) -> dict[str, Any]:
    """Every card: valid 1.5, small, and every button follows the action convention."""
    assert validate_card(card) == []
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card_size(card) < MAX_CARD_BYTES
    assert len(json.dumps(card).encode()) < 28 * 1024
    for action in buttons(card):
        assert action["type"] == "Action.Execute"
        assert action["verb"] in act.VERBS
        assert action["data"]["verb"] == action["verb"]
        assert action.get("style", "default") in ("default", "positive", "destructive")
    rendered = render_text(card).render()
    assert rendered.strip()
    return card


# --------------------------------------------------------------------------- actions


def test_execute_builds_the_convention() -> None:
    action = act.execute("Confirm", act.ADD_FUNDS_CONFIRM, "positive", amount="50.00", request="k")
    assert action == {
        "type": "Action.Execute",
        "title": "Confirm",
        "verb": "add_funds_confirm",
        "data": {"verb": "add_funds_confirm", "amount": "50.00", "request": "k"},
        "style": "positive",
    }
    assert act.execute("Help", act.HELP) == {
        "type": "Action.Execute",
        "title": "Help",
        "verb": "help",
        "data": {"verb": "help"},
    }
    clash: dict[str, Any] = {"verb": "other"}
    with pytest.raises(TypeError):
        act.execute("x", act.HELP, **clash)


def test_verb_values() -> None:
    assert (act.BALANCE, act.ADD_FUNDS, act.ADD_FUNDS_REVIEW, act.ADD_FUNDS_CONFIRM) == (
        "balance",
        "add_funds",
        "add_funds_review",
        "add_funds_confirm",
    )
    assert (act.RECHARGE_FORM, act.RECHARGE_REVIEW, act.RECHARGE_CONFIRM) == (
        "recharge_form",
        "recharge_review",
        "recharge_confirm",
    )
    assert (act.HISTORY, act.CANCEL, act.HELP) == ("history", "cancel", "help")


# --------------------------------------------------------------------------- welcome, help


def test_welcome_for_admins_and_others() -> None:
    admin = check(welcome_card(True))
    assert "I keep your Teams Communications Credits topped up" in texts(admin)
    assert titles(admin) == ["Show balance", "Add funds", "Auto-recharge settings", "Help"]
    other = check(welcome_card(False))
    assert titles(other) == ["Show balance", "Help"]
    assert "add $50 credits" not in texts(other)
    assert "Only billing admins" in texts(other)


def test_help_lists_what_can_be_said() -> None:
    card = check(help_card())
    shown = texts(card)
    for phrase in (
        "balance",
        "add $50 credits",
        "set auto-recharge to $100 when below $20",
        "turn off auto-recharge",
        "recharge settings",
        "history",
        "cancel",
    ):
        assert f'"{phrase}"' in shown
    assert [b["verb"] for b in buttons(card)] == [act.BALANCE, act.ADD_FUNDS, act.RECHARGE_FORM]


# --------------------------------------------------------------------------- balance


def test_balance_full() -> None:
    v = view(
        last=payment(),
        runway=Decimal("12.4"),
        expiring=ExpiringFunds(m("30"), NOW + timedelta(days=9)),
        in_progress=True,
        settings=recharge(cap="500"),
    )
    card = check(balance_card(v, True))
    assert "$1,000.50" in texts(card)
    big = next(n for n in nodes(card) if n.get("size") == "ExtraLarge")
    assert big["text"] == "$1,000.50" and "color" not in big
    f = facts(card)
    assert f["Auto-recharge"] == "On: add $100.00 when below $20.00"
    assert f["Monthly cap"] == "$500.00"
    assert f["Last recharge"] == "$100.00 added, 22 Nov 2026 14:05 UTC"
    assert f["Runway"] == "about 12 days at $5.00/day"
    assert f["Expiring"] == "$30.00 from 3 Dec 2026"
    assert "A recharge is in progress" in texts(card)
    assert titles(card) == ["Add funds", "Auto-recharge settings", "History"]
    assert [b["data"] for b in buttons(card)] == [
        {"verb": "add_funds"},
        {"verb": "recharge_form"},
        {"verb": "history"},
    ]


def test_balance_for_a_reader_has_only_history() -> None:
    card = check(balance_card(view(), False))
    assert titles(card) == ["History"]


def test_balance_depleted_is_attention() -> None:
    v = view(balance="-3.25", settings=recharge(enabled=False, amount=None, trigger=None))
    card = check(balance_card(v, True))
    big = next(n for n in nodes(card) if n.get("size") == "ExtraLarge")
    assert big["text"] == "-$3.25" and big["color"] == "Attention"
    assert facts(card)["Auto-recharge"] == "Off"
    assert "Runway" not in facts(card) and "Expiring" not in facts(card)
    assert "used up" in texts(card)
    zero = check(balance_card(view(balance="0"), True))
    assert next(n for n in nodes(zero) if n.get("size") == "ExtraLarge")["color"] == "Attention"


def test_balance_below_threshold_is_warning() -> None:
    card = check(balance_card(view(balance="12", thresholds=("20", "50")), True))
    assert next(n for n in nodes(card) if n.get("size") == "ExtraLarge")["color"] == "Warning"


def test_balance_paused_and_declined() -> None:
    v = view(
        settings=recharge(paused=True, declines=3),
        last=payment(status="declined", reason="card expired"),
    )
    card = check(balance_card(v, True))
    f = facts(card)
    assert f["Auto-recharge"] == "Paused after 3 declines"
    assert f["Last recharge"] == "$100.00 declined, 22 Nov 2026 14:05 UTC (card expired)"
    assert "turn it back on" in texts(card)


def test_balance_in_jpy_and_bhd() -> None:
    jpy = view(
        JPY,
        "150000",
        settings=recharge(JPY, amount="5000", trigger="1000"),
        thresholds=("1000",),
        burn="250",
        runway=Decimal("0.4"),
    )
    card = check(balance_card(jpy, True))
    assert "¥150,000" in texts(card)
    assert facts(card)["Auto-recharge"] == "On: add ¥5,000 when below ¥1,000"
    assert facts(card)["Runway"] == "less than a day at ¥250/day"
    bhd = view(
        BHD,
        "12.345",
        settings=recharge(BHD, amount="10.5", trigger="2.25"),
        thresholds=("2.25",),
        runway=Decimal("1"),
        burn="1.005",
    )
    card = check(balance_card(bhd, True))
    assert "BHD 12.345" in texts(card)
    assert facts(card)["Auto-recharge"] == "On: add BHD 10.500 when below BHD 2.250"
    assert facts(card)["Runway"] == "about 1 day at BHD 1.005/day"


# --------------------------------------------------------------------------- add funds


def test_add_funds_form() -> None:
    quick = [m("25"), m("50"), m("100"), m("250")]
    card = check(add_funds_form(USD, LIMITS, quick))
    inputs = [n for n in nodes(card) if n.get("type") == "Input.Text"]
    assert len(inputs) == 1
    field = inputs[0]
    assert field["id"] == "amount"
    assert field["label"] == "Amount (from $10.00 to $10,000.00)"
    assert field["placeholder"] == "e.g. 50"
    assert field["errorMessage"] == "Enter an amount from $10.00 to $10,000.00."
    assert "value" not in field
    assert titles(card) == ["$25.00", "$50.00", "$100.00", "$250.00", "Review", "Cancel"]
    assert button(card, "$50.00")["data"] == {"verb": "add_funds_review", "amount": "50.00"}
    assert button(card, "$50.00")["associatedInputs"] == "none"
    review = button(card, "Review")
    assert review["data"] == {"verb": "add_funds_review"} and review["style"] == "positive"
    assert button(card, "Cancel")["data"] == {"verb": "cancel"}
    assert button(card, "Cancel")["associatedInputs"] == "none"
    assert not [n for n in nodes(card) if n.get("color") == "Attention"]


def test_add_funds_form_with_error_and_value() -> None:
    error = "That amount is over the maximum. Enter an amount from $10.00 to $10,000.00."
    card = check(add_funds_form(USD, LIMITS, [m("50")], error=error, value="20,000"))
    body_types = [n["type"] for n in card["body"]]
    flagged = next(n for n in card["body"] if n.get("color") == "Attention")
    assert flagged["text"] == error
    assert card["body"].index(flagged) < body_types.index("Input.Text")
    assert next(n for n in nodes(card) if n.get("id") == "amount")["value"] == "20,000"


def test_add_funds_form_other_currencies_and_limits() -> None:
    jpy = check(
        add_funds_form(
            JPY,
            AmountLimits(Decimal(1000), Decimal(100000)),
            [m("500", JPY), m("5000", JPY), m("50", USD)],
        )
    )
    assert titles(jpy) == ["¥5,000", "Review", "Cancel"]  # outside limits / wrong currency dropped
    assert button(jpy, "¥5,000")["data"]["amount"] == "5000"
    field = next(n for n in nodes(jpy) if n.get("id") == "amount")
    assert field["label"] == "Amount (from ¥1,000 to ¥100,000)"
    assert field["placeholder"] == "e.g. 1,000"
    bhd = check(add_funds_form(BHD, LIMITS, [m("25", BHD)]))
    assert button(bhd, "BHD 25.000")["data"]["amount"] == "25.000"
    assert next(n for n in nodes(bhd) if n.get("id") == "amount")["label"] == (
        "Amount (from BHD 10.000 to BHD 10,000.000)"
    )


def test_confirm_funds() -> None:
    card = check(confirm_funds_card(view(balance="12.5"), m("50"), "key-1"))
    assert "Add $50.00 to your Communications Credits?" in texts(card)
    assert facts(card) == {
        "Current balance": "$12.50",
        "Amount": "$50.00",
        "Balance after": "$62.50",
        "Paid with": "the payment method on file",
    }
    assert card["actions"] == [
        {
            "type": "Action.Execute",
            "title": "Confirm",
            "verb": "add_funds_confirm",
            "data": {"verb": "add_funds_confirm", "amount": "50.00", "request": "key-1"},
            "style": "positive",
        },
        {
            "type": "Action.Execute",
            "title": "Cancel",
            "verb": "cancel",
            "data": {"verb": "cancel", "request": "key-1"},
            "associatedInputs": "none",
        },
    ]


def test_confirm_funds_bhd_and_depleted() -> None:
    card = check(confirm_funds_card(view(BHD, "-1.5"), m("10.005", BHD), "k"))
    assert facts(card)["Balance after"] == "BHD 8.505"
    assert button(card, "Confirm")["data"]["amount"] == "10.005"


def test_receipt() -> None:
    e = entry(41, EntryKind.FUNDING, "50", "1050.50", reason="purchase")
    result = FundingResult(entry=e, balance=m("1050.50"), replayed=False, payment=payment())
    card = check(receipt_card(result, view(balance="1050.50", last_seq=41)))
    assert "Added $50.00" in texts(card)
    f = facts(card)
    assert f["New balance"] == "$1,050.50"
    assert f["Added by"] == "Ana Admin"
    assert f["When"] == "24 Nov 2026 13:24 UTC"
    assert "nothing was charged twice" not in texts(card)
    assert titles(card) == ["Show balance", "History"]
    replayed = check(receipt_card(replace(result, replayed=True), view()))
    assert "This was already added earlier; nothing was charged twice." in texts(replayed)


def test_receipt_converts_to_utc() -> None:
    at = datetime(2026, 11, 24, 15, 5, tzinfo=timezone(timedelta(hours=1)))
    e = replace(entry(1, EntryKind.FUNDING, "5000", "5000", cur=JPY), created_at=at)
    card = check(receipt_card(FundingResult(e, m("5000", JPY), False), view(JPY, "5000")))
    assert facts(card)["When"] == "24 Nov 2026 14:05 UTC"
    assert "Added ¥5,000" in texts(card)


# --------------------------------------------------------------------------- auto-recharge


def inputs_of(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in nodes(card) if str(n.get("type", "")).startswith("Input.")}


def test_recharge_form_prefilled() -> None:
    card = check(recharge_form(view()))
    fields = inputs_of(card)
    assert list(fields) == ["recharge_enabled", "recharge_amount", "recharge_trigger"]
    toggle = fields["recharge_enabled"]
    assert toggle["type"] == "Input.Toggle"
    assert (toggle["value"], toggle["valueOn"], toggle["valueOff"]) == ("true", "true", "false")
    assert fields["recharge_amount"]["type"] == "Input.Text"
    assert fields["recharge_amount"]["value"] == "100.00"
    assert fields["recharge_amount"]["label"] == "Recharge amount (from $10.00 to $10,000.00)"
    assert fields["recharge_trigger"]["value"] == "20.00"
    assert titles(card) == ["Review", "Cancel"]
    assert button(card, "Review")["data"] == {"verb": "recharge_review"}
    assert "paused" not in texts(card)


def test_recharge_form_off_paused_error() -> None:
    off = check(recharge_form(view(settings=recharge(enabled=False, amount=None, trigger=None))))
    fields = inputs_of(off)
    assert fields["recharge_enabled"]["value"] == "false"
    assert "value" not in fields["recharge_amount"] and "value" not in fields["recharge_trigger"]
    paused = check(
        recharge_form(view(JPY, "500", settings=recharge(JPY, paused=True, declines=3)), "Bad")
    )
    assert "paused after 3 declined payments" in texts(paused)
    assert inputs_of(paused)["recharge_enabled"]["value"] == "false"
    assert inputs_of(paused)["recharge_amount"]["value"] == "100"
    assert any(n.get("color") == "Attention" and n["text"] == "Bad" for n in nodes(paused))


def test_confirm_recharge_turn_on_starts_now() -> None:
    v = view(balance="5", settings=recharge(enabled=False, amount=None, trigger=None), version=9)
    card = check(confirm_recharge_card(v, True, m("100"), m("20"), "k-2"))
    shown = texts(card)
    assert "Turn on auto-recharge: add $100.00 whenever the balance falls below $20.00." in shown
    assert facts(card)["Now"] == "Off"
    assert facts(card)["After"] == "Add $100.00 whenever the balance falls below $20.00"
    assert "a recharge will start right away" in shown
    assert button(card, "Confirm")["data"] == {
        "verb": "recharge_confirm",
        "enabled": "true",
        "amount": "100.00",
        "trigger": "20.00",
        "version": 9,
        "request": "k-2",
    }
    assert button(card, "Confirm")["style"] == "positive"
    assert button(card, "Cancel")["data"] == {"verb": "cancel", "request": "k-2"}


def test_confirm_recharge_change_and_off() -> None:
    card = check(confirm_recharge_card(view(BHD, "50"), True, m("25", BHD), m("5", BHD), "k"))
    assert "Change auto-recharge: add BHD 25.000 whenever the balance falls below BHD 5.000." in (
        texts(card)
    )
    assert "right away" not in texts(card)
    off = check(confirm_recharge_card(view(), False, None, None, "k3"))
    assert "Turn off auto-recharge." in texts(off)
    assert facts(off)["Now"] == "On: add $100.00 when below $20.00"
    assert facts(off)["After"] == "Off"
    assert button(off, "Confirm")["data"] == {
        "verb": "recharge_confirm",
        "enabled": "false",
        "amount": "",
        "trigger": "",
        "version": 3,
        "request": "k3",
    }


def test_confirm_recharge_paused_turn_back_on() -> None:
    v = view(JPY, "100", settings=recharge(JPY, paused=True, declines=3))
    card = check(confirm_recharge_card(v, True, None, None, "k"))
    assert "Turn on auto-recharge: add ¥100 whenever the balance falls below ¥20." in texts(card)
    assert "clears the pause" in texts(card)
    assert button(card, "Confirm")["data"]["amount"] == ""


# --------------------------------------------------------------------------- history


def full_page(next_before: int | None = 31) -> HistoryPage:
    return HistoryPage(
        entries=(
            entry(40, EntryKind.USAGE, "-3.20", "1000.50", USAGE, "call to +44 20"),
            entry(39, EntryKind.AUTO_RECHARGE, "100", "1003.70", AUTO, "balance below $20.00"),
            entry(38, EntryKind.FUNDING, "1000", "903.70", ANA, "purchase"),
            entry(37, EntryKind.EXPIRY, "-4", "-96.30", Actor("expiry", "Expiry"), "lot expired"),
            entry(36, EntryKind.ADJUSTMENT, "-2", "-92.30", ANA, "correction"),
        ),
        next_before=next_before,
    )


def test_history_full_with_older() -> None:
    card = check(history_card(full_page(), view()))
    shown = texts(card)
    for label in ("Usage", "Auto-recharge", "Purchase", "Expired", "Adjustment"):
        assert label in shown
    for value in ("-$3.20", "+$100.00", "+$1,000.00", "-$96.30", "$1,003.70", "24 Nov 2026"):
        assert value in shown
    assert "correction · Ana Admin" in shown
    assert "balance below $20.00\n" in shown  # the system actor's name repeats the kind: left out
    assert button(card, "Older")["data"] == {"verb": "history", "before": 31}
    assert "Newest" not in titles(card)
    assert "No activity yet." not in shown


def test_history_older_page_offers_newest() -> None:
    card = check(history_card(full_page(None), view(last_seq=60)))
    assert "Older" not in titles(card)
    assert button(card, "Newest")["data"] == {"verb": "history"}


def test_history_empty() -> None:
    card = check(history_card(HistoryPage((), None), view(balance="0")))
    assert "No activity yet." in texts(card)
    assert titles(card) == ["Show balance"]


def test_history_long_page_stays_small() -> None:
    long_reason = "x" * 300
    rows = tuple(
        entry(500 - i, EntryKind.USAGE, "-1234.567", "-9999999.999", USAGE, long_reason, BHD)
        for i in range(200)
    )
    card = check(history_card(HistoryPage(rows, 300), view(BHD, last_seq=500)))
    drawn = cards.account.MAX_HISTORY_ROWS
    assert button(card, "Older")["data"]["before"] == 500 - drawn + 1
    assert card_size(card) < MAX_CARD_BYTES


# --------------------------------------------------------------------------- outcomes


def test_access_denied_and_outcome() -> None:
    denied = check(access_denied_card("Only billing admins can add funds."))
    assert buttons(denied) == []
    assert "Only billing admins can add funds." in texts(denied)
    done = check(
        outcome_card(
            "Cancelled",
            "Cancelled — nothing was changed.",
            style="good",
            actions=[act.execute("Show balance", act.BALANCE)],
        )
    )
    assert titles(done) == ["Show balance"]
    assert done["body"][0]["color"] == "Good"
    stale = check(outcome_card("This card is out of date", "", style="warning"))
    assert stale["actions"] == [] and len(stale["body"]) == 1


# --------------------------------------------------------------------------- text rendering


def test_text_rendering_of_confirm() -> None:
    card = confirm_funds_card(view(balance="12.5"), m("50"), "key-1")
    text = render_text(card)
    out = text.render()
    assert "Add $50.00 to your Communications Credits?" in out
    assert "Current balance: $12.50" in out
    assert "Amount:          $50.00" in out  # facts aligned
    assert out.splitlines()[-1] == "[1] Confirm  [2] Cancel"
    assert text.buttons[0].data == {
        "verb": "add_funds_confirm",
        "amount": "50.00",
        "request": "key-1",
    }
    assert text.buttons[1].sends_inputs is False


def test_text_rendering_of_forms() -> None:
    form = render_text(add_funds_form(USD, LIMITS, [m("50")], value="50"))
    out = form.render()
    assert "[amount] Amount (from $10.00 to $10,000.00): 50" in out
    assert "[1] $50.00  [2] Review  [3] Cancel" in out
    assert [(i.id, i.kind, i.value) for i in form.inputs] == [("amount", "text", "50")]
    assert form.buttons[0].sends_inputs is False and form.buttons[1].sends_inputs is True
    rf = render_text(recharge_form(view()))
    assert [(i.id, i.kind, i.value) for i in rf.inputs] == [
        ("recharge_enabled", "toggle", "true"),
        ("recharge_amount", "text", "100.00"),
        ("recharge_trigger", "text", "20.00"),
    ]
    assert "[recharge_enabled] Turn on auto-recharge: true" in rf.render()


def test_text_rendering_of_history_and_tables() -> None:
    out = render_text(history_card(full_page(), view())).render()
    assert "When | What | Amount | Balance" in out
    assert "24 Nov 2026 13:25 UTC | Usage · call to +44 20 | -$3.20 | $1,000.50" in out
    table = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [
            {
                "type": "Table",
                "columns": [{"width": 1}, {"width": 1}],
                "rows": [
                    {
                        "type": "TableRow",
                        "cells": [
                            {"type": "TableCell", "items": [{"type": "TextBlock", "text": "a"}]},
                            {
                                "type": "TableCell",
                                "items": [
                                    {
                                        "type": "RichTextBlock",
                                        "inlines": [{"type": "TextRun", "text": "b"}, "c"],
                                    }
                                ],
                            },
                        ],
                    }
                ],
            },
            {"type": "Container", "items": [{"type": "TextBlock", "text": "inside"}]},
            {
                "type": "ActionSet",
                "actions": [{"type": "Action.Submit", "title": "Go", "data": {"verb": "help"}}],
            },
        ],
        "actions": [],
    }
    assert validate_card(table) == []
    rendered = render_text(table)
    assert rendered.lines == ["a | bc", "inside"]
    assert rendered.render().endswith("[1] Go")


# --------------------------------------------------------------------------- the validator


def base(*body: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": list(body),
        "actions": actions or [],
    }


def test_validator_finds_problems() -> None:
    field = {"type": "Input.Text", "id": "amount"}
    assert any("duplicate id 'amount'" in p for p in validate_card(base(field, dict(field))))
    assert any("unknown element type 'Blink'" in p for p in validate_card(base({"type": "Blink"})))
    assert any("text is required" in p for p in validate_card(base({"type": "TextBlock"})))
    assert any("version" in p for p in validate_card({**base(), "version": "1.6"}))
    assert any("$schema" in p for p in validate_card({**base(), "$schema": "x"}))
    assert any("title" in p for p in validate_card(base({"type": "Input.Toggle", "id": "t"})))
    assert any("id" in p for p in validate_card(base({"type": "Input.Text"})))
    bad_fact = {"type": "FactSet", "facts": [{"title": "a", "value": 1}]}
    assert any("value must be a string" in p for p in validate_card(base(bad_fact)))
    bad_enum = {"type": "TextBlock", "text": "x", "color": "Purple", "size": "Huge"}
    assert len(validate_card(base(bad_enum))) == 2
    bad_style = {"type": "Action.Execute", "title": "x", "style": "loud"}
    assert any("style" in p for p in validate_card(base(actions=[bad_style])))
    untitled = {"type": "Action.Execute", "verb": "help", "data": {"verb": "help"}}
    assert any("title" in p for p in validate_card(base(actions=[untitled])))
    no_url = {"type": "Action.OpenUrl", "title": "Open"}
    assert any("url" in p for p in validate_card(base(actions=[no_url])))
    unserialisable = {"type": "Action.Execute", "title": "x", "data": {"d": {1, 2}}}
    assert any("JSON" in p for p in validate_card(base(actions=[unserialisable])))
    nested = {"type": "Container", "items": [{"type": "Column", "items": []}]}
    assert any("unknown element type 'Column'" in p for p in validate_card(base(nested)))
    # the Adaptive Cards JS SDK claims "key" in action data: such a button does nothing there
    keyed = {"type": "Action.Execute", "title": "x", "verb": "v", "data": {"verb": "v", "key": 1}}
    assert any("'key'" in p for p in validate_card(base(actions=[keyed])))
    keyed_submit = {"type": "Action.Submit", "title": "x", "data": {"key": "k"}}
    assert any("'key'" in p for p in validate_card(base(actions=[keyed_submit])))
    huge = base(*[{"type": "TextBlock", "text": "y" * 1000} for _ in range(30)])
    assert any("bytes" in p for p in validate_card(huge))
    assert validate_card(base({"type": "TextBlock", "text": "fine"})) == []


def test_cards_import_only_the_domain() -> None:
    import ast
    from pathlib import Path

    forbidden = ("botbuilder", "botframework", "aiohttp", "bot", "dialogs")
    for path in Path(cards.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"
