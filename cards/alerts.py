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
that detail out. Every word comes from the catalogue (alerts.po) in the language of the moment
(the subscribing conversation's); the money is the payload's own currency, formatted by Babel.
The sentences that vary with the payload are chosen in ``cards/alerts_text.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cards.actions as act
from cards._elements import Card, Color, Element, card, heading, text
from cards._elements import facts as fact_set
from cards.alerts_text import (
    Format,
    expire_line,
    expire_summary,
    runway_line,
    shares,
    spent_line,
    spent_summary,
)
from credits.alert_payloads import (
    Depleted,
    FundsExpiring,
    LowBalance,
    RechargeFailed,
    RechargePaused,
    RechargeSucceeded,
    RunwayLow,
    UnusualSpend,
)
from credits.i18n import fmt_number, t, tn
from credits.models import Alert, AlertKind

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
    return act.execute(t("Add funds"), act.ADD_FUNDS)


def _settings() -> Element:
    return act.execute(t("Auto-recharge settings"), act.RECHARGE_FORM)


def _turn_back_on() -> Element:
    return act.execute(t("Turn auto-recharge back on"), act.RECHARGE_FORM, "positive")


def _show_balance() -> Element:
    return act.execute(t("Show balance"), act.BALANCE)


def _receipt_fact(p: RechargeSucceeded) -> tuple[tuple[str, str], ...]:
    """The recharge's receipt number; none in an alert written before receipts were numbered."""
    if p.receipt_no is None or p.receipt_no < 1:
        return ()
    return ((t("Receipt"), t("No. {number}", number=str(p.receipt_no))),)


def _receipt_button(p: RechargeSucceeded) -> tuple[Element, ...]:
    if p.receipt_no is None or p.receipt_no < 1:
        return ()
    title = t("Receipt {number}", number=str(p.receipt_no))
    return (act.execute(title, act.RECEIPT, number=p.receipt_no),)


def _history() -> Element:
    return act.execute(t("Show history"), act.HISTORY)


def _pause_recharge() -> Element:
    """Opens the confirmation for turning auto-recharge off (as the auto-recharge form does
    when submitted switched off); nothing changes until that is confirmed."""
    return act.execute(
        t("Pause auto-recharge"),
        act.RECHARGE_REVIEW,
        "destructive",
        associated_inputs="none",
        recharge_enabled="false",
        recharge_amount="",
        recharge_trigger="",
    )


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
    f = Format.of(payload)
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


def _low_balance(p: LowBalance, f: Format) -> _Parts:
    threshold = f.money(p.threshold_minor)
    return _Parts(
        t("Communications Credits are running low"),
        (
            t(
                "The balance fell below {threshold}. Add funds so calls keep working.",
                threshold=threshold,
            )
            if threshold
            else t("The balance fell. Add funds so calls keep working."),
        ),
        ((t("Balance"), f.balance(p)),)
        + (((t("Alert threshold"), threshold),) if threshold else ()),
        (_add_funds(), _settings(), _show_balance()),
        t("Balance fell below {threshold}", threshold=threshold)
        if threshold
        else t("Balance fell"),
    )


def _depleted(p: Depleted, f: Format) -> _Parts:
    return _Parts(
        t("Communications Credits are used up"),
        (
            t(
                "Calls that need credits stop now: toll-free numbers first, then Audio "
                "Conferencing dial-out and pay-as-you-go calling."
            ),
            t("Add funds to restore them."),
        ),
        ((t("Balance"), f.balance(p)),),
        (_add_funds(), _settings()),
        t("Credits are used up: calls that need credits stop (toll-free first)"),
    )


def _recharge_succeeded(p: RechargeSucceeded, f: Format) -> _Parts:
    amount = f.money(p.amount_minor)
    return _Parts(
        t("Auto-recharge added funds"),
        (
            t("{amount} was added to Communications Credits.", amount=amount)
            if amount
            else t("Funds were added to Communications Credits."),
        ),
        (((t("Added"), amount),) if amount else ())
        + ((t("New balance"), f.balance(p)),)
        + _receipt_fact(p),
        (*_receipt_button(p), _show_balance()),
        t("Auto-recharge: {amount} was added", amount=amount)
        if amount
        else t("Auto-recharge: funds were added"),
    )


def _recharge_paused(p: RechargePaused, f: Format) -> _Parts:
    amount = f.money(p.amount_minor)
    reason = f.reason(p.reason)
    declines = p.consecutive_declines
    stopped = (
        tn(
            "Auto-recharge stopped trying after {n} declined payment.",
            "Auto-recharge stopped trying after {n} declined payments.",
            declines,
        )
        if declines
        else t("Auto-recharge stopped trying.")
    )
    last = (
        t("The last recharge of {amount} failed: {reason}.", amount=amount, reason=reason)
        if amount
        else t("The last recharge failed: {reason}.", reason=reason)
    )
    return _Parts(
        t("Auto-recharge is paused"),
        (
            f"{stopped} {last}",
            t("Fix the payment method, then turn auto-recharge back on."),
        ),
        ((t("Balance"), f.balance(p)),)
        + (((t("Declined in a row"), fmt_number(declines)),) if declines else ()),
        (_turn_back_on(), _add_funds()),
        tn(
            "Auto-recharge paused after {n} declined payment",
            "Auto-recharge paused after {n} declined payments",
            declines,
        )
        if declines
        else t("Auto-recharge paused"),
    )


def _recharge_failed(p: RechargeFailed, f: Format) -> _Parts:
    amount = f.money(p.amount_minor)
    reason = f.reason(p.reason)
    return _Parts(
        t("Auto-recharge failed"),
        (
            t(
                "The auto-recharge of {amount} did not go through: {reason}.",
                amount=amount,
                reason=reason,
            )
            if amount
            else t("The auto-recharge did not go through: {reason}.", reason=reason),
            t("Check the auto-recharge settings or add funds now."),
        ),
        ((t("Balance"), f.balance(p)), (t("Reason"), reason)),
        (_settings(), _add_funds()),
        t("Auto-recharge of {amount} failed: {reason}", amount=amount, reason=reason)
        if amount
        else t("Auto-recharge failed: {reason}", reason=reason),
    )


def _funds_expiring(p: FundsExpiring, f: Format) -> _Parts:
    amount = f.money(p.amount_minor)
    when = f.date(p.expires_at)
    return _Parts(
        t("Funds will expire soon"),
        (expire_line(amount, when),),
        ((t("Expiring"), amount or t("Some funds")),)
        + (((t("First expiry"), when),) if when else ())
        + ((t("Balance"), f.balance(p)),),
        (_show_balance(),),
        expire_summary(amount, when),
    )


def _runway_low(p: RunwayLow, f: Format) -> _Parts:
    days = f.days(p.runway_days)
    burn = f.money(p.daily_burn_minor)
    return _Parts(
        t("Credits will run out soon"),
        (runway_line(days, burn),),
        ((t("Balance"), f.balance(p)),)
        + (((t("Lasts"), t("about {days} days", days=days)),) if days else ())
        + (((t("Daily spend"), burn),) if burn else ()),
        (_add_funds(), _settings()),
        t("Balance lasts about {days} days", days=days)
        if days
        else t("Balance lasts only a few days"),
    )


def _unusual_spend(p: UnusualSpend, f: Format) -> _Parts:
    last = f.money(p.last_hour_minor)
    usual = f.money(p.usual_hour_minor)
    callers, destinations = shares(p.top_callers, f), shares(p.top_destinations, f)
    lines = [
        spent_line(last, usual),
        t("This can be toll fraud. Check recent calls, and block numbers you do not recognise."),
    ]
    if p.recharge_on:
        lines.append(t("Auto-recharge is on: pause it to stop new funds being charged."))
    elif p.recharge_on is False:
        lines.append(t("Auto-recharge is off: no funds are added automatically."))
    top = p.top_callers[0].name if p.top_callers else None
    return _Parts(
        t("Unusual spend: possible toll fraud"),
        tuple(lines),
        ((t("Last hour"), last or t("Much more than usual")),)
        + (((t("Usual hour"), usual),) if usual else ())
        + (((t("Top callers"), callers),) if callers else ())
        + (((t("Top destinations"), destinations),) if destinations else ())
        + ((t("Balance"), f.balance(p)),),
        ((_pause_recharge(),) if p.recharge_on else ()) + (_history(), _show_balance()),
        spent_summary(last, top),
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
        heading(
            tn(
                "Communications Credits: {n} alert",
                "Communications Credits: {n} alerts",
                len(alerts),
            ),
            color=_COLORS[worst],
        ),
        fact_set(((t("Balance now"), Format.of(latest.payload).balance(latest.payload)),)),
        text(t("What happened, most serious first:"), weight="Bolder"),
        *[text(f"- {alert_summary(a)}", spacing="None") for a in ordered],
    ]
    if AlertKind.UNUSUAL_SPEND in kinds:
        body.append(
            text(t("Unusual spend can be toll fraud: check recent calls."), color="attention")
        )
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
