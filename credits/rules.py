"""Alert rules as pure functions: given the state before and after a change, which alerts fire.

Each rule fires once per crossing: it is disarmed when it fires and re-armed only when the watched
value rises back to or above its threshold. The armed flags live with the account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from credits.alert_payloads import (
    AlertKind,
    AlertPayload,
    Depleted,
    LowBalance,
    RunwayLow,
    UnusualSpend,
)


@dataclass(frozen=True, slots=True)
class Fired:
    rule: str  # the armed-flag name, e.g. "low:2000"
    payload: AlertPayload  # the rule's own fields; the outbox adds the account's

    @property
    def kind(self) -> AlertKind:
        return self.payload.kind


def effective_thresholds(
    thresholds: Iterable[int], recharge_enabled: bool, trigger: int | None
) -> list[int]:
    """The admin's thresholds; by default the trigger when auto-recharge is off."""
    chosen = sorted(set(thresholds), reverse=True)
    if not chosen and not recharge_enabled and trigger is not None and trigger > 0:
        chosen = [trigger]
    return chosen


def balance_rules(
    balance: int, thresholds: Iterable[int], armed: Mapping[str, bool]
) -> tuple[list[Fired], dict[str, bool]]:
    """Low-balance thresholds and depletion, evaluated on the balance after a change."""
    fired: list[Fired] = []
    # a threshold no longer watched forgets its state: set again later, it starts armed
    new_armed = {rule: on for rule, on in armed.items() if not rule.startswith("low:")}
    for threshold in thresholds:
        rule = f"low:{threshold}"
        new_armed[rule] = armed.get(rule, True)
    for threshold in thresholds:
        rule = f"low:{threshold}"
        if balance < threshold:
            if new_armed.get(rule, True):
                fired.append(Fired(rule, LowBalance(threshold_minor=threshold)))
            new_armed[rule] = False
        else:
            new_armed[rule] = True
    if balance <= 0:
        if new_armed.get("depleted", True):
            fired.append(Fired("depleted", Depleted()))
        new_armed["depleted"] = False
    else:
        new_armed["depleted"] = True
    return fired, new_armed


def runway_days(balance: int, burn_per_day: Decimal) -> Decimal | None:
    if burn_per_day <= 0:
        return None
    if balance <= 0:
        return Decimal(0)
    return (Decimal(balance) / burn_per_day).quantize(Decimal("0.1"))


def runway_rule(
    days: Decimal | None, limit_days: int, armed: Mapping[str, bool]
) -> tuple[list[Fired], dict[str, bool]]:
    new_armed = dict(armed)
    if days is not None and Decimal(0) < days < limit_days:
        if new_armed.get("runway", True):
            new_armed["runway"] = False
            return [Fired("runway", RunwayLow(runway_days=days))], new_armed
        return [], new_armed
    new_armed["runway"] = True
    return [], new_armed


def unusual_spend_rule(
    last_hour: int,
    usual_hour: Decimal,
    factor: Decimal,
    minimum: int,
    armed: Mapping[str, bool],
) -> tuple[list[Fired], dict[str, bool]]:
    """Spend in the last hour far above the usual hour (and above a floor): likely toll fraud."""
    new_armed = dict(armed)
    unusual = last_hour >= minimum and Decimal(last_hour) > usual_hour * factor
    if unusual:
        if new_armed.get("unusual", True):
            new_armed["unusual"] = False
            payload = UnusualSpend(last_hour_minor=last_hour, usual_hour_minor=usual_hour)
            return [Fired("unusual", payload)], new_armed
        return [], new_armed
    new_armed["unusual"] = True
    return [], new_armed
