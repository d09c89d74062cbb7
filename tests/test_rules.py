"""The alert rules and the call-record parser are pure: tested without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from records import OMIT, call

from credits.errors import ValidationError
from credits.models import AlertKind
from credits.rules import (
    balance_rules,
    effective_thresholds,
    runway_days,
    runway_rule,
    unusual_spend_rule,
)
from credits.usage import parse_record


def test_thresholds_default_to_the_trigger_only_when_recharge_is_off() -> None:
    assert effective_thresholds([], recharge_enabled=False, trigger=2000) == [2000]
    assert effective_thresholds([], recharge_enabled=True, trigger=2000) == []
    assert effective_thresholds([500, 2000, 500], recharge_enabled=False, trigger=1) == [2000, 500]
    assert effective_thresholds([], recharge_enabled=False, trigger=0) == []


def test_balance_rules_fire_once_per_crossing_and_rearm_above() -> None:
    armed: dict[str, bool] = {}
    fired_kinds: list[tuple[AlertKind, str]] = []
    for balance in [3000, 1500, 1000, 2500, 1999, -5, -10, 1]:
        fired, armed = balance_rules(balance, [2000], armed)
        fired_kinds += [(f.kind, f.rule) for f in fired]
    assert fired_kinds == [
        (AlertKind.LOW_BALANCE, "low:2000"),  # 1500
        (AlertKind.LOW_BALANCE, "low:2000"),  # 1999 after 2500 re-armed it
        (AlertKind.DEPLETED, "depleted"),  # -5 (not again at -10)
    ]


def test_runway() -> None:
    assert runway_days(10_000, Decimal(0)) is None
    assert runway_days(-5, Decimal(100)) == Decimal(0)
    assert runway_days(10_000, Decimal(3000)) == Decimal("3.3")
    fired, armed = runway_rule(Decimal("3.3"), 7, {})
    assert [f.kind for f in fired] == [AlertKind.RUNWAY_LOW]
    assert runway_rule(Decimal("2"), 7, armed)[0] == []
    _, armed = runway_rule(Decimal("8"), 7, armed)
    assert [f.kind for f in runway_rule(Decimal("6"), 7, armed)[0]] == [AlertKind.RUNWAY_LOW]


def test_unusual_spend_needs_both_the_factor_and_the_floor() -> None:
    factor, floor = Decimal(5), 5000
    assert unusual_spend_rule(4999, Decimal(0), factor, floor, {})[0] == []  # under the floor
    assert unusual_spend_rule(6000, Decimal(2000), factor, floor, {})[0] == []  # 3x usual
    fired, armed = unusual_spend_rule(20000, Decimal(2000), factor, floor, {})
    assert [f.kind for f in fired] == [AlertKind.UNUSUAL_SPEND]
    assert unusual_spend_rule(30000, Decimal(2000), factor, floor, armed)[0] == []


record = partial(
    call, tenantId="t", startDateTime="2026-01-31T09:00:00Z", duration=61, currency="usd"
)


def test_a_graph_pstn_record_parses() -> None:
    parsed = parse_record(record(charge=Decimal("1.25")))
    assert parsed.charge.minor == 125 and parsed.charge.currency.code == "USD"
    assert parsed.start == datetime(2026, 1, 31, 9, tzinfo=UTC)
    assert parsed.duration_seconds == 61
    assert parse_record(record(tenantId=OMIT), default_tenant="d").tenant_id == "d"


@pytest.mark.parametrize(
    ("changes", "hint"),
    [
        ({"id": OMIT}, "'id'"),
        ({"id": ""}, "'id'"),
        ({"id": "x" * 201}, "'id'"),
        ({"tenantId": OMIT}, "tenantId"),
        ({"currency": OMIT}, "currency"),
        ({"currency": "XXX1"}, "currency"),
        ({"charge": 1.25}, "exact decimal"),
        ({"charge": OMIT}, "charge"),
        ({"charge": True}, "charge"),
        ({"charge": "-1"}, "negative"),
        ({"charge": "NaN"}, "finite"),
        ({"charge": "Infinity"}, "finite"),
        ({"charge": "abc"}, "finite"),
        ({"charge": "0.001"}, "decimal"),
        ({"startDateTime": OMIT}, "startDateTime"),
        ({"startDateTime": "yesterday"}, "ISO 8601"),
        ({"startDateTime": "2026-01-31T09:00:00"}, "time zone"),
        ({"duration": -1}, "duration"),
        ({"duration": 1.5}, "duration"),
        ({"callType": 5}, "callType"),
    ],
)
def test_bad_records_say_what_is_wrong(changes: dict[str, Any], hint: str) -> None:
    with pytest.raises(ValidationError, match=hint):
        parse_record(record(**changes))


def test_a_record_must_be_an_object() -> None:
    with pytest.raises(ValidationError, match="object"):
        parse_record(["c1"])
