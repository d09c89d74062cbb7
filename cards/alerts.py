"""Alert cards: what the dispatcher posts to a subscribed channel when an alert fires.

Pure functions from :class:`credits.models.Alert` (kind + payload written by the service's outbox)
to Adaptive Card 1.5 dicts. Every payload carries ``tenant_id``, ``currency`` and
``balance_minor`` (the balance when the alert was written); the kind-specific fields are:

- low balance: ``threshold_minor``
- recharge succeeded: ``amount_minor``
- recharge failed / paused: ``amount_minor``, ``reason``, ``consecutive_declines`` (or ``capped``)
- funds expiring: ``amount_minor``, ``expires_at`` (ISO 8601)
- runway low: ``runway_days`` (decimal string), ``daily_burn_minor`` (integral decimal string)
- unusual spend: ``last_hour_minor``, ``usual_hour_minor`` (decimal string)

A missing or malformed field never breaks a card: the sentence leaves that detail out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from cards import actions as act
from cards._elements import Card, Color, Element, card, fmt_date, heading, text
from cards._elements import facts as fact_set
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


# --------------------------------------------------------------------------- payload reading


@dataclass(frozen=True, slots=True)
class _Payload:
    data: dict[str, Any]
    cur: Currency

    def money(self, name: str) -> str | None:
        """A minor-unit field (int, or an integral decimal string) formatted, or None."""
        value = self.data.get(name)
        if isinstance(value, bool) or value is None:
            return None
        try:
            minor = int(Decimal(str(value)).to_integral_value(rounding=ROUND_HALF_UP))
            return Money.from_minor(minor, self.cur).format()
        except (InvalidOperation, ValueError, TypeError, ArithmeticError):
            return None

    def balance(self) -> str:
        return self.money("balance_minor") or "unknown"

    def string(self, name: str) -> str | None:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def days(self, name: str) -> str | None:
        value = self.data.get(name)
        try:
            days = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        except (InvalidOperation, ValueError, TypeError, ArithmeticError):
            return None
        return f"{days.normalize():f}" if days == days.to_integral_value() else f"{days:f}"

    def date(self, name: str) -> str | None:
        value = self.data.get(name)
        if not isinstance(value, str):
            return None
        try:
            return fmt_date(datetime.fromisoformat(value))
        except ValueError:
            return None


def _payload(alert: Alert) -> _Payload:
    code = alert.payload.get("currency")
    try:
        cur = currency(code if isinstance(code, str) else "USD")
    except (KeyError, ValueError):
        cur = currency("USD")
    return _Payload(dict(alert.payload), cur)


# --------------------------------------------------------------------------- one alert


@dataclass(frozen=True, slots=True)
class _Parts:
    title: str
    lines: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]
    buttons: tuple[Element, ...]
    summary: str  # one line for a coalesced card


def _parts(alert: Alert) -> _Parts:
    p = _payload(alert)
    balance = p.balance()
    kind = alert.kind
    if kind is AlertKind.LOW_BALANCE:
        threshold = p.money("threshold_minor")
        below = f" below {threshold}" if threshold else ""
        return _Parts(
            "Communications Credits are running low",
            (f"The balance fell{below}. Add funds so calls keep working.",),
            (("Balance", balance),) + ((("Alert threshold", threshold),) if threshold else ()),
            (_add_funds(), _settings(), _show_balance()),
            f"Balance fell{below}",
        )
    if kind is AlertKind.DEPLETED:
        return _Parts(
            "Communications Credits are used up",
            (
                "Calls that need credits stop now: toll-free numbers first, then Audio "
                "Conferencing dial-out and pay-as-you-go calling.",
                "Add funds to restore them.",
            ),
            (("Balance", balance),),
            (_add_funds(), _settings()),
            "Credits are used up: calls that need credits stop (toll-free first)",
        )
    if kind is AlertKind.RECHARGE_SUCCEEDED:
        amount = p.money("amount_minor")
        added = f"{amount} was added" if amount else "Funds were added"
        return _Parts(
            "Auto-recharge added funds",
            (f"{added} to Communications Credits.",),
            ((("Added", amount),) if amount else ()) + (("New balance", balance),),
            (_show_balance(),),
            f"Auto-recharge: {added.lower() if not amount else added}",
        )
    if kind in (AlertKind.RECHARGE_FAILED, AlertKind.RECHARGE_PAUSED):
        amount = p.money("amount_minor")
        reason = p.string("reason") or "the payment was declined"
        of = f" of {amount}" if amount else ""
        declines = p.integer("consecutive_declines")
        if kind is AlertKind.RECHARGE_PAUSED:
            after = f" after {declines} declined payments" if declines else ""
            return _Parts(
                "Auto-recharge is paused",
                (
                    f"Auto-recharge stopped trying{after}. The last recharge{of} failed: {reason}.",
                    "Fix the payment method, then turn auto-recharge back on.",
                ),
                (("Balance", balance),)
                + ((("Declined in a row", str(declines)),) if declines else ()),
                (_turn_back_on(), _add_funds()),
                f"Auto-recharge paused{after}",
            )
        return _Parts(
            "Auto-recharge failed",
            (
                f"The auto-recharge{of} did not go through: {reason}.",
                "Check the auto-recharge settings or add funds now.",
            ),
            (("Balance", balance), ("Reason", reason)),
            (_settings(), _add_funds()),
            f"Auto-recharge{of} failed: {reason}",
        )
    if kind is AlertKind.FUNDS_EXPIRING:
        amount = p.money("amount_minor") or "Some funds"
        when = p.date("expires_at")
        on = f" on {when}" if when else " soon"
        return _Parts(
            "Funds will expire soon",
            (f"{amount} of Communications Credits expire{on} if not used.",),
            (("Expiring", amount),)
            + ((("First expiry", when),) if when else ())
            + (("Balance", balance),),
            (_show_balance(),),
            f"{amount} expire{on}",
        )
    if kind is AlertKind.RUNWAY_LOW:
        days = p.days("runway_days")
        burn = p.money("daily_burn_minor")
        lasts = f"about {days} days" if days else "only a few days"
        per_day = f" at {burn} a day" if burn else ""
        return _Parts(
            "Credits will run out soon",
            (f"At the current spend{per_day}, the balance lasts {lasts}.",),
            (("Balance", balance),)
            + ((("Lasts", f"about {days} days"),) if days else ())
            + ((("Daily spend", burn),) if burn else ()),
            (_add_funds(), _settings()),
            f"Balance lasts {lasts}",
        )
    # AlertKind.UNUSUAL_SPEND
    last = p.money("last_hour_minor") or "Much more than usual"
    usual = p.money("usual_hour_minor")
    than = f" against a usual hour of {usual}" if usual else ""
    return _Parts(
        "Unusual spend: possible toll fraud",
        (
            f"{last} was spent in the last hour{than}.",
            "This can be toll fraud. Check recent calls, and block numbers you do not recognise.",
        ),
        (("Last hour", last),)
        + ((("Usual hour", usual),) if usual else ())
        + (("Balance", balance),),
        (_history(), _show_balance()),
        f"Unusual spend: {last} in the last hour (possible toll fraud)",
    )


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
        fact_set((("Balance now", _payload(latest).balance()),)),
        text("What happened, most serious first:", weight="Bolder"),
        *[text(f"- {alert_summary(a)}", spacing="None") for a in ordered],
    ]
    if AlertKind.UNUSUAL_SPEND in kinds:
        body.append(text("Unusual spend can be toll fraud: check recent calls.", color="attention"))
    buttons: list[Element] = []
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
