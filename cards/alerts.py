"""Alert cards: what the dispatcher posts to a subscribed channel when an alert fires.

Pure functions from :class:`credits.models.Alert` to Adaptive Card 1.5 dicts. An alert's payload
is one of the dataclasses of ``credits/alert_payloads.py`` (read from the outbox's JSON by
``read_payload``): every one has the tenant, the currency and the balance when the alert was
written; the kind-specific fields are:

- low balance (``LowBalance``): the threshold
- recharge succeeded: the amount
- recharge failed / paused: the amount, the reason, the declines in a row (or ``capped``/``stuck``)
- funds expiring: the amount and the first expiry
- runway low: the days left and the daily burn
- unusual spend: the last hour's spend and the usual hour's, the top callers and destinations
  of that hour, and whether auto-recharge was on (then a button pauses it: it opens the same
  confirmation as "turn off auto-recharge")

A missing or malformed field never breaks a card (the reader makes it None): the sentence leaves
that detail out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import cards.actions as act
from cards._elements import Card, Color, Element, card, fmt_date, heading, text
from cards._elements import facts as fact_set
from credits.alert_payloads import (
    AlertPayload,
    Depleted,
    FundsExpiring,
    LowBalance,
    RechargeFailed,
    RechargePaused,
    RechargeSucceeded,
    RunwayLow,
    SpendShare,
    UnusualSpend,
)
from credits.models import Alert, AlertKind
from credits.money import Currency, Money, currency

__all__ = ["SEVERITY", "alert_card", "alert_summary", "coalesced_card"]

SEVERITY: dict[AlertKind, int] = {
    AlertKind.DEPLETED: 0,
    AlertKind.UNUSUAL_SPEND: 1,
    AlertKind.RECHARGE_PAUSED: 2,
    AlertKind.RECHARGE_FAILED: 3,
    AlertKind.LOW_BALANCE: 4,
    AlertKind.RUNWAY_LOW: 5,
    AlertKind.FUNDS_EXPIRING: 6,
    AlertKind.RECHARGE_SUCCEEDED: 7,
}
"""Most serious first (lower is more serious)."""

_COLORS: dict[AlertKind, Color] = {
    AlertKind.DEPLETED: "attention",
    AlertKind.UNUSUAL_SPEND: "attention",
    AlertKind.RECHARGE_PAUSED: "attention",
    AlertKind.RECHARGE_FAILED: "attention",
    AlertKind.LOW_BALANCE: "warning",
    AlertKind.RUNWAY_LOW: "warning",
    AlertKind.FUNDS_EXPIRING: "warning",
    AlertKind.RECHARGE_SUCCEEDED: "good",
}


def _add_funds() -> Element:
    return act.execute("Add funds", act.ADD_FUNDS)


def _settings() -> Element:
    return act.execute("Auto-recharge settings", act.RECHARGE_FORM)


def _turn_back_on() -> Element:
    return act.execute("Turn auto-recharge back on", act.RECHARGE_FORM, "positive")


def _show_balance() -> Element:
    return act.execute("Show balance", act.BALANCE)


def _history() -> Element:
    return act.execute("Show history", act.HISTORY)


def _pause_recharge() -> Element:
    """Opens the confirmation for turning auto-recharge off (as the auto-recharge form does
    when submitted switched off); nothing changes until that is confirmed."""
    return act.execute(
        "Pause auto-recharge",
        act.RECHARGE_REVIEW,
        "destructive",
        associated_inputs="none",
        recharge_enabled="false",
        recharge_amount="",
        recharge_trigger="",
    )


# --------------------------------------------------------------------------- formatting


@dataclass(frozen=True, slots=True)
class _Format:
    """The payload's values as the cards show them; None when there is nothing to show."""

    cur: Currency

    @classmethod
    def of(cls, payload: AlertPayload) -> _Format:
        try:
            return cls(currency(payload.currency or "USD"))
        except (KeyError, ValueError):
            return cls(currency("USD"))

    def money(self, minor: int | Decimal | None) -> str | None:
        """Minor units (an int, or a decimal rounded to one) formatted."""
        if minor is None:
            return None
        try:
            whole = int(Decimal(minor).to_integral_value(rounding=ROUND_HALF_UP))
            return Money.from_minor(whole, self.cur).format()
        except (InvalidOperation, ValueError, TypeError, ArithmeticError):
            return None

    def balance(self, payload: AlertPayload) -> str:
        return self.money(payload.balance_minor) or "unknown"

    @staticmethod
    def days(value: Decimal | None) -> str | None:
        if value is None:
            return None
        try:
            days = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        except (InvalidOperation, ValueError, TypeError, ArithmeticError):
            return None
        return f"{days.normalize():f}" if days == days.to_integral_value() else f"{days:f}"

    @staticmethod
    def date(value: datetime | None) -> str | None:
        return None if value is None else fmt_date(value)

    @staticmethod
    def text(value: str | None) -> str | None:
        return value.strip() if value is not None and value.strip() else None


# --------------------------------------------------------------------------- one alert


@dataclass(frozen=True, slots=True)
class _Parts:
    title: str
    lines: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]
    buttons: tuple[Element, ...]
    summary: str  # one line for a coalesced card


def _parts(alert: Alert) -> _Parts:
    payload = alert.payload
    f = _Format.of(payload)
    match payload:
        case LowBalance():
            return _low_balance(payload, f)
        case Depleted():
            return _depleted(payload, f)
        case RechargeSucceeded():
            return _recharge_succeeded(payload, f)
        case RechargePaused():
            return _recharge_paused(payload, f)
        case RechargeFailed():
            return _recharge_failed(payload, f)
        case FundsExpiring():
            return _funds_expiring(payload, f)
        case RunwayLow():
            return _runway_low(payload, f)
        case UnusualSpend():
            return _unusual_spend(payload, f)
    raise TypeError(f"no card for a {type(payload).__name__} payload")


def _low_balance(p: LowBalance, f: _Format) -> _Parts:
    threshold = f.money(p.threshold_minor)
    below = f" below {threshold}" if threshold else ""
    return _Parts(
        "Communications Credits are running low",
        (f"The balance fell{below}. Add funds so calls keep working.",),
        (("Balance", f.balance(p)),) + ((("Alert threshold", threshold),) if threshold else ()),
        (_add_funds(), _settings(), _show_balance()),
        f"Balance fell{below}",
    )


def _depleted(p: Depleted, f: _Format) -> _Parts:
    return _Parts(
        "Communications Credits are used up",
        (
            "Calls that need credits stop now: toll-free numbers first, then Audio "
            "Conferencing dial-out and pay-as-you-go calling.",
            "Add funds to restore them.",
        ),
        (("Balance", f.balance(p)),),
        (_add_funds(), _settings()),
        "Credits are used up: calls that need credits stop (toll-free first)",
    )


def _recharge_succeeded(p: RechargeSucceeded, f: _Format) -> _Parts:
    amount = f.money(p.amount_minor)
    added = f"{amount} was added" if amount else "Funds were added"
    return _Parts(
        "Auto-recharge added funds",
        (f"{added} to Communications Credits.",),
        ((("Added", amount),) if amount else ()) + (("New balance", f.balance(p)),),
        (_show_balance(),),
        f"Auto-recharge: {added.lower() if not amount else added}",
    )


def _recharge_paused(p: RechargePaused, f: _Format) -> _Parts:
    amount = f.money(p.amount_minor)
    reason = f.text(p.reason) or "the payment was declined"
    of = f" of {amount}" if amount else ""
    declines = p.consecutive_declines
    after = f" after {declines} declined payments" if declines else ""
    return _Parts(
        "Auto-recharge is paused",
        (
            f"Auto-recharge stopped trying{after}. The last recharge{of} failed: {reason}.",
            "Fix the payment method, then turn auto-recharge back on.",
        ),
        (("Balance", f.balance(p)),)
        + ((("Declined in a row", str(declines)),) if declines else ()),
        (_turn_back_on(), _add_funds()),
        f"Auto-recharge paused{after}",
    )


def _recharge_failed(p: RechargeFailed, f: _Format) -> _Parts:
    amount = f.money(p.amount_minor)
    reason = f.text(p.reason) or "the payment was declined"
    of = f" of {amount}" if amount else ""
    return _Parts(
        "Auto-recharge failed",
        (
            f"The auto-recharge{of} did not go through: {reason}.",
            "Check the auto-recharge settings or add funds now.",
        ),
        (("Balance", f.balance(p)), ("Reason", reason)),
        (_settings(), _add_funds()),
        f"Auto-recharge{of} failed: {reason}",
    )


def _funds_expiring(p: FundsExpiring, f: _Format) -> _Parts:
    amount = f.money(p.amount_minor) or "Some funds"
    when = f.date(p.expires_at)
    on = f" on {when}" if when else " soon"
    return _Parts(
        "Funds will expire soon",
        (f"{amount} of Communications Credits expire{on} if not used.",),
        (("Expiring", amount),)
        + ((("First expiry", when),) if when else ())
        + (("Balance", f.balance(p)),),
        (_show_balance(),),
        f"{amount} expire{on}",
    )


def _runway_low(p: RunwayLow, f: _Format) -> _Parts:
    days = f.days(p.runway_days)
    burn = f.money(p.daily_burn_minor)
    lasts = f"about {days} days" if days else "only a few days"
    per_day = f" at {burn} a day" if burn else ""
    return _Parts(
        "Credits will run out soon",
        (f"At the current spend{per_day}, the balance lasts {lasts}.",),
        (("Balance", f.balance(p)),)
        + ((("Lasts", f"about {days} days"),) if days else ())
        + ((("Daily spend", burn),) if burn else ()),
        (_add_funds(), _settings()),
        f"Balance lasts {lasts}",
    )


def _shares(shares: tuple[SpendShare, ...], f: _Format) -> str | None:
    """``"Megan Bowen $50.00 (4 calls), Alex $20.00"``: who or where, with spend."""
    shown = []
    for share in shares:
        spend = f.money(share.spend_minor)
        calls = share.calls
        count = f" ({calls} call{'s' if calls != 1 else ''})" if calls else ""
        shown.append(f"{share.name} {spend}{count}" if spend else share.name)
    return ", ".join(shown) or None


def _unusual_spend(p: UnusualSpend, f: _Format) -> _Parts:
    last = f.money(p.last_hour_minor) or "Much more than usual"
    usual = f.money(p.usual_hour_minor)
    than = f" against a usual hour of {usual}" if usual else ""
    callers, destinations = _shares(p.top_callers, f), _shares(p.top_destinations, f)
    lines = [
        f"{last} was spent in the last hour{than}.",
        "This can be toll fraud. Check recent calls, and block numbers you do not recognise.",
    ]
    if p.recharge_on:
        lines.append("Auto-recharge is on: pause it to stop new funds being charged.")
    elif p.recharge_on is False:
        lines.append("Auto-recharge is off: no funds are added automatically.")
    top = p.top_callers[0] if p.top_callers else None
    most = f"; most by {top.name}" if top is not None else ""
    return _Parts(
        "Unusual spend: possible toll fraud",
        tuple(lines),
        (("Last hour", last),)
        + ((("Usual hour", usual),) if usual else ())
        + ((("Top callers", callers),) if callers else ())
        + ((("Top destinations", destinations),) if destinations else ())
        + (("Balance", f.balance(p)),),
        ((_pause_recharge(),) if p.recharge_on else ()) + (_history(), _show_balance()),
        f"Unusual spend: {last} in the last hour{most} (possible toll fraud)",
    )


def _pauses_recharge(alerts: Sequence[Alert]) -> bool:
    """Whether the newest unusual-spend alert of a burst found auto-recharge on."""
    unusual = [a for a in alerts if isinstance(a.payload, UnusualSpend)]
    if not unusual:
        return False
    newest = max(unusual, key=lambda a: (a.created_at, a.id)).payload
    return isinstance(newest, UnusualSpend) and newest.recharge_on is True


def alert_summary(alert: Alert) -> str:
    """One line saying what happened (the lines of a coalesced card)."""
    return _parts(alert).summary


def alert_card(alert: Alert) -> Card:
    """The card for one alert."""
    parts = _parts(alert)
    body: list[Element] = [
        heading(parts.title, color=_COLORS[alert.kind]),
        *[text(line) for line in parts.lines],
        fact_set(parts.facts),
    ]
    return card(body, parts.buttons)


def coalesced_card(alerts: Sequence[Alert]) -> Card:
    """One card for a burst of alerts to one conversation: the latest balance, then what
    happened, most serious first. One alert gives :func:`alert_card`."""
    if not alerts:
        raise ValueError("coalesced_card needs at least one alert")
    if len(alerts) == 1:
        return alert_card(alerts[0])
    latest = max(alerts, key=lambda a: (a.created_at, a.id))
    ordered = sorted(alerts, key=lambda a: (SEVERITY[a.kind], -a.id))
    worst = ordered[0].kind
    kinds = {a.kind for a in alerts}
    body: list[Element] = [
        heading(f"Communications Credits: {len(alerts)} alerts", color=_COLORS[worst]),
        fact_set((("Balance now", _Format.of(latest.payload).balance(latest.payload)),)),
        text("What happened, most serious first:", weight="Bolder"),
        *[text(f"- {alert_summary(a)}", spacing="None") for a in ordered],
    ]
    if AlertKind.UNUSUAL_SPEND in kinds:
        body.append(text("Unusual spend can be toll fraud: check recent calls.", color="attention"))
    buttons: list[Element] = []
    if _pauses_recharge(alerts):
        buttons.append(_pause_recharge())
    if AlertKind.RECHARGE_PAUSED in kinds:
        buttons.append(_turn_back_on())
    if kinds - {AlertKind.RECHARGE_SUCCEEDED, AlertKind.FUNDS_EXPIRING}:
        buttons.append(_add_funds())
    if (
        kinds
        & {
            AlertKind.RECHARGE_FAILED,
            AlertKind.LOW_BALANCE,
            AlertKind.DEPLETED,
            AlertKind.RUNWAY_LOW,
        }
        and AlertKind.RECHARGE_PAUSED not in kinds
    ):
        buttons.append(_settings())
    if AlertKind.UNUSUAL_SPEND in kinds:
        buttons.append(_history())
    buttons.append(_show_balance())
    return card(body, buttons)
