"""Alert cards: one per kind, and one coalesced card for a burst."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from card_helpers import button, texts

from cards import actions as act
from cards import alert_card, coalesced_card, validate_card
from credits.alert_payloads import read_payload
from credits.models import Alert, AlertKind, AlertStatus

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def alert(
    kind: AlertKind, n: int = 1, currency: str = "USD", payload_json: object = None, **payload: Any
) -> Alert:
    """An alert as the outbox reads it back: `payload` fields over the common ones, or
    `payload_json` as the stored JSON itself."""
    full = {"tenant_id": "t1", "currency": currency, "balance_minor": 1500, **payload}
    return Alert(
        id=n,
        tenant_id="t1",
        kind=kind,
        dedupe_key=f"{kind}:{n}",
        payload=read_payload(kind, full if payload_json is None else payload_json),
        status=AlertStatus.CLAIMED,
        attempts=1,
        created_at=NOW + timedelta(seconds=n),
    )


def verbs(card: dict[str, Any]) -> list[str]:
    return [a["verb"] for a in card["actions"]]


EXAMPLES: dict[AlertKind, dict[str, Any]] = {
    AlertKind.LOW_BALANCE: {"threshold_minor": 2000, "cause": "usage", "seq": 3},
    AlertKind.DEPLETED: {"balance_minor": -250, "cause": "usage", "seq": 4},
    AlertKind.RECHARGE_SUCCEEDED: {"amount_minor": 10000, "balance_minor": 11500, "payment_id": 1},
    AlertKind.RECHARGE_FAILED: {
        "amount_minor": 10000,
        "reason": "card expired",
        "payment_id": 2,
        "consecutive_declines": 1,
    },
    AlertKind.RECHARGE_PAUSED: {
        "amount_minor": 10000,
        "reason": "insufficient funds",
        "payment_id": 3,
        "consecutive_declines": 3,
    },
    AlertKind.FUNDS_EXPIRING: {"amount_minor": 4250, "expires_at": "2026-03-20T10:00:00+00:00"},
    AlertKind.RUNWAY_LOW: {"runway_days": "3.5", "daily_burn_minor": "430"},
    AlertKind.UNUSUAL_SPEND: {"last_hour_minor": 9000, "usual_hour_minor": "120.5"},
}


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_kind_has_a_valid_card(kind: AlertKind) -> None:
    card = alert_card(alert(kind, **EXAMPLES[kind]))
    assert validate_card(card) == []
    assert card["version"] == "1.5"
    assert card["actions"], "every alert card offers something to do"
    assert all(a["type"] == "Action.Execute" for a in card["actions"])


def test_low_balance_says_threshold_and_balance() -> None:
    card = alert_card(alert(AlertKind.LOW_BALANCE, **EXAMPLES[AlertKind.LOW_BALANCE]))
    shown = texts(card)
    assert "running low" in shown
    assert "$20.00" in shown and "$15.00" in shown
    assert verbs(card) == [act.ADD_FUNDS, act.RECHARGE_FORM, act.BALANCE]


def test_depleted_says_what_stops() -> None:
    card = alert_card(alert(AlertKind.DEPLETED, **EXAMPLES[AlertKind.DEPLETED]))
    shown = texts(card)
    assert "used up" in shown
    assert "toll-free numbers first" in shown and "Calls that need credits stop" in shown
    assert "-$2.50" in shown
    assert act.ADD_FUNDS in verbs(card)


def test_recharge_succeeded_says_amount_and_new_balance() -> None:
    card = alert_card(alert(AlertKind.RECHARGE_SUCCEEDED, **EXAMPLES[AlertKind.RECHARGE_SUCCEEDED]))
    shown = texts(card)
    assert "$100.00 was added" in shown and "New balance" in shown and "$115.00" in shown
    assert verbs(card) == [act.BALANCE]


def test_recharge_failed_says_reason_with_buttons_to_fix() -> None:
    card = alert_card(alert(AlertKind.RECHARGE_FAILED, **EXAMPLES[AlertKind.RECHARGE_FAILED]))
    shown = texts(card)
    assert "card expired" in shown and "$100.00" in shown
    assert verbs(card) == [act.RECHARGE_FORM, act.ADD_FUNDS]
    assert button(card, act.RECHARGE_FORM) == {"verb": act.RECHARGE_FORM}


def test_paused_offers_to_turn_auto_recharge_back_on() -> None:
    card = alert_card(alert(AlertKind.RECHARGE_PAUSED, **EXAMPLES[AlertKind.RECHARGE_PAUSED]))
    shown = texts(card)
    assert "paused" in shown and "after 3 declined payments" in shown
    assert "insufficient funds" in shown
    assert card["actions"][0]["title"] == "Turn auto-recharge back on"
    assert card["actions"][0]["verb"] == act.RECHARGE_FORM


def test_funds_expiring_says_amount_and_date() -> None:
    card = alert_card(alert(AlertKind.FUNDS_EXPIRING, **EXAMPLES[AlertKind.FUNDS_EXPIRING]))
    shown = texts(card)
    assert "$42.50" in shown and "20 Mar 2026" in shown


def test_runway_low_says_days_and_daily_burn() -> None:
    card = alert_card(alert(AlertKind.RUNWAY_LOW, **EXAMPLES[AlertKind.RUNWAY_LOW]))
    shown = texts(card)
    assert "about 3.5 days" in shown and "$4.30 a day" in shown


def test_unusual_spend_says_last_hour_against_usual_and_fraud() -> None:
    card = alert_card(alert(AlertKind.UNUSUAL_SPEND, **EXAMPLES[AlertKind.UNUSUAL_SPEND]))
    shown = texts(card)
    assert "$90.00" in shown and "$1.21" in shown
    assert "toll fraud" in shown
    assert act.HISTORY in verbs(card)


def test_money_uses_the_payload_currency() -> None:
    card = alert_card(
        alert(AlertKind.LOW_BALANCE, currency="JPY", balance_minor=1500, threshold_minor=2000)
    )
    shown = texts(card)
    assert "¥1,500" in shown and "¥2,000" in shown


def test_missing_fields_leave_the_detail_out() -> None:
    for kind in AlertKind:
        card = alert_card(alert(kind))
        assert validate_card(card) == [], kind
        assert "None" not in texts(card)


def test_coalesced_card_shows_latest_balance_and_most_serious_first() -> None:
    burst = [
        alert(AlertKind.LOW_BALANCE, 1, threshold_minor=5000, balance_minor=4000),
        alert(AlertKind.LOW_BALANCE, 2, threshold_minor=2000, balance_minor=1000),
        alert(AlertKind.UNUSUAL_SPEND, 3, last_hour_minor=9000, usual_hour_minor="100"),
        alert(AlertKind.DEPLETED, 4, balance_minor=-300),
        alert(AlertKind.RECHARGE_PAUSED, 5, balance_minor=-500, consecutive_declines=3),
    ]
    card = coalesced_card(burst)
    assert validate_card(card) == []
    shown = texts(card)
    assert "5 alerts" in shown
    assert "-$5.00" in shown  # the latest balance
    lines = [b["text"] for b in card["body"] if str(b.get("text", "")).startswith("- ")]
    assert len(lines) == 5
    assert "used up" in lines[0]
    assert "Unusual spend" in lines[1]
    assert "paused" in lines[2]
    assert "$20.00" in lines[3] and "$50.00" in lines[4]  # the newer crossing first
    assert verbs(card)[0] == act.RECHARGE_FORM
    assert card["actions"][0]["title"] == "Turn auto-recharge back on"
    assert {act.ADD_FUNDS, act.BALANCE, act.HISTORY} <= set(verbs(card))


def test_coalesced_card_of_good_news_only_offers_the_balance() -> None:
    card = coalesced_card(
        [
            alert(AlertKind.RECHARGE_SUCCEEDED, 1, amount_minor=5000),
            alert(AlertKind.FUNDS_EXPIRING, 2, amount_minor=100),
        ]
    )
    assert validate_card(card) == []
    assert verbs(card) == [act.BALANCE]


def test_coalesced_card_of_one_alert_is_its_own_card() -> None:
    one = alert(AlertKind.DEPLETED)
    assert coalesced_card([one]) == alert_card(one)
    with pytest.raises(ValueError):
        coalesced_card([])


MALFORMED: dict[str, Any] = {
    "currency": "not a currency",
    "balance_minor": "lots",
    "threshold_minor": True,
    "amount_minor": [100],
    "reason": 7,
    "payment_id": "one",
    "consecutive_declines": "3",
    "expires_at": "soon",
    "runway_days": "NaN",
    "daily_burn_minor": {},
    "last_hour_minor": "Infinity",
    "usual_hour_minor": None,
    "cause": 1,
    "seq": "2",
}


def test_malformed_fields_leave_the_detail_out() -> None:
    for kind in AlertKind:
        card = alert_card(alert(kind, **MALFORMED))
        assert validate_card(card) == [], kind
        shown = texts(card)
        assert "None" not in shown and "unknown" in shown, kind  # the balance is unknown
    for stored in ({}, [], "payload", 3):
        assert validate_card(alert_card(alert(AlertKind.DEPLETED, payload_json=stored))) == []


@pytest.mark.parametrize("kind", list(AlertKind))
def test_a_payload_reads_back_to_the_same_json(kind: AlertKind) -> None:
    """Rows written before the payloads were typed read and write back byte for byte."""
    stored = {"tenant_id": "t1", "currency": "USD", "balance_minor": 1500, **EXAMPLES[kind]}
    assert json.dumps(read_payload(kind, stored).to_json()) == json.dumps(stored)
