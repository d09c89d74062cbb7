"""Cards that show things: welcome, help, balance, history, access denied, outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import cards.actions as act
from cards._elements import (
    Card,
    Element,
    card,
    column,
    column_set,
    fmt_date,
    fmt_datetime,
    fmt_signed,
    heading,
    text,
)
from cards._elements import facts as fact_set
from credits.models import (
    AccountView,
    AlertReach,
    Entry,
    EntryKind,
    HistoryPage,
    PaymentStatus,
    PaymentView,
    RechargeSettings,
)
from credits.money import Money

__all__ = [
    "KIND_LABELS",
    "MAX_HISTORY_ROWS",
    "access_denied_card",
    "alert_reach_text",
    "balance_card",
    "help_card",
    "history_card",
    "outcome_card",
    "recharge_summary",
    "runway_text",
    "welcome_card",
]

MAX_HISTORY_ROWS = 25
"""At most this many entries are drawn on one history card (keeps it well under 28 KB)."""

KIND_LABELS: dict[EntryKind, str] = {
    EntryKind.FUNDING: "Purchase",
    EntryKind.AUTO_RECHARGE: "Auto-recharge",
    EntryKind.USAGE: "Usage",
    EntryKind.EXPIRY: "Expired",
    EntryKind.ADJUSTMENT: "Adjustment",
}

_PAYMENT_STATUS: dict[PaymentStatus, str] = {
    PaymentStatus.PENDING: "in progress",
    PaymentStatus.CHARGING: "in progress",
    PaymentStatus.SUCCEEDED: "added",
    PaymentStatus.DECLINED: "declined",
}


def _manage_buttons() -> list[Element]:
    return [
        act.execute("Add funds", act.ADD_FUNDS),
        act.execute("Auto-recharge settings", act.RECHARGE_FORM),
    ]


# --------------------------------------------------------------------------- welcome, help


def welcome_card(can_manage: bool) -> Card:
    says = ['"balance" to see the balance and auto-recharge status']
    if can_manage:
        says += [
            '"add $50 credits" to add funds',
            '"set auto-recharge to $100 when below $20" to keep it topped up',
        ]
    says += ['"history" for recent activity', '"help" for everything else']
    body: list[Element] = [
        heading("Communications Credits"),
        text(
            "I keep your Teams Communications Credits topped up, so Audio Conferencing "
            "dial-out, calling and toll-free numbers keep working, and I tell you before the "
            "balance runs low."
        ),
        text("You can say:", weight="Bolder"),
        *[text(f"- {line}", spacing="None") for line in says],
    ]
    if not can_manage:
        body.append(text("Only billing admins can add funds or change auto-recharge.", subtle=True))
    buttons = [act.execute("Show balance", act.BALANCE)]
    if can_manage:
        buttons += _manage_buttons()
    buttons.append(act.execute("Help", act.HELP))
    return card(body, buttons)


_HELP = (
    ("balance", "Balance, auto-recharge status and how long it will last"),
    ("add $50 credits", "Add funds; you confirm before anything is charged"),
    ("set auto-recharge to $100 when below $20", "Turn on or change auto-recharge"),
    ("turn off auto-recharge", "Stop automatic top-ups"),
    ("recharge settings", "Open the auto-recharge form"),
    ("history", "Recent purchases, recharges and usage"),
    ("usage / top callers", "Spend by caller and destination, this month and the last 7 days"),
    (
        "connect usage / usage status",
        "Read calls from Microsoft 365 as they happen, and how it goes",
    ),
    ("send alerts here / stop alerts here", "Balance alerts in this chat or channel"),
    ("cancel", "Stop what we are doing; nothing is changed"),
)


def help_card() -> Card:
    body: list[Element] = [
        heading("What you can say"),
        fact_set((f'"{say}"', meaning) for say, meaning in _HELP),
        text(
            "Every change asks you to confirm on a card first. "
            "Only billing admins can add funds or change settings.",
            subtle=True,
        ),
    ]
    return card(body, [act.execute("Show balance", act.BALANCE), *_manage_buttons()])


# --------------------------------------------------------------------------- balance


def recharge_summary(recharge: RechargeSettings) -> str:
    """``"On: add $100.00 when below $20.00"``, ``"Off"`` or ``"Paused after 3 declines"``."""
    if recharge.paused:
        declines = recharge.consecutive_declines
        noun = "decline" if declines == 1 else "declines"
        return f"Paused after {declines} {noun}" if declines else "Paused"
    if recharge.enabled and recharge.amount is not None and recharge.trigger is not None:
        return f"On: add {recharge.amount.format()} when below {recharge.trigger.format()}"
    return "Off"


def _last_recharge(payment: PaymentView) -> str:
    status = _PAYMENT_STATUS.get(payment.status, str(payment.status))
    shown = f"{payment.amount.format()} {status}, {fmt_datetime(payment.created_at)}"
    if payment.status == PaymentStatus.DECLINED and payment.reason:
        shown += f" ({payment.reason})"
    return shown


def runway_text(days: Decimal, daily_burn: Money) -> str:
    """``"about 12 days at $5.00/day"``."""
    whole = int(days.to_integral_value(rounding=ROUND_HALF_UP))
    plural = "" if whole == 1 else "s"
    span = "less than a day" if days < 1 else f"about {whole:,} day{plural}"
    return f"{span} at {daily_burn.format()}/day"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _span(hours: float) -> str:
    """``"3 days"``, ``"36 hours"``."""
    if hours >= 48 and hours % 24 == 0:
        return _count(int(hours // 24), "day")
    return f"{hours:g} hour" if hours == 1 else f"{hours:g} hours"


def alert_reach_text(reach: AlertReach) -> str:
    """Where alerts go now and how many wait, in plain words (the balance card and "alerts")."""
    waiting = reach.waiting
    if reach.conversations:
        where = f"Alerts are posted in {_count(reach.conversations, 'conversation')}"
        return f"{where}; {waiting:,} not delivered yet." if waiting else f"{where}."
    if reach.personal_fallback:
        admins = _count(reach.personal_chats, "admin")
        text_ = (
            "No channel or chat is subscribed to alerts, so they go to the 1:1 chats of "
            f"{admins} with the bot instead"
        )
        text_ += f"; {waiting:,} not delivered yet." if waiting else "."
        return text_ + ' Say "send alerts here" in a channel to post them there.'
    hours = reach.expiry.total_seconds() / 3600
    text_ = "No conversation receives alerts"
    text_ += (
        f", so {_count(waiting, 'alert')} {'is' if waiting == 1 else 'are'} waiting."
        if waiting
        else "."
    )
    return (
        text_ + ' Say "send alerts here" where they should be posted; an alert that waits '
        f"longer than {_span(hours)} is dropped."
    )


def _alerts_block(reach: AlertReach) -> tuple[tuple[str, str] | None, Element | None]:
    """A fact row when conversations receive alerts; a coloured line when none does."""
    if reach.conversations:
        shown = f"Posted in {_count(reach.conversations, 'conversation')}"
        if reach.waiting:
            shown += f", {reach.waiting:,} not delivered yet"
        return ("Alerts", shown), None
    color: Literal["warning", "attention"] = "warning" if reach.personal_fallback else "attention"
    return None, text(alert_reach_text(reach), color=color)


def _below_threshold(view: AccountView) -> bool:
    same = [t for t in view.effective_thresholds if t.currency == view.balance.currency]
    return any(view.balance < threshold for threshold in same)


def _balance_facts(view: AccountView, alerts: tuple[str, str] | None) -> list[tuple[str, str]]:
    rows = [("Auto-recharge", recharge_summary(view.recharge))]
    if view.recharge.monthly_cap is not None:
        rows.append(("Monthly cap", view.recharge.monthly_cap.format()))
    if view.last_recharge is not None:
        rows.append(("Last recharge", _last_recharge(view.last_recharge)))
    if view.runway_days is not None:
        rows.append(("Runway", runway_text(view.runway_days, view.daily_burn)))
    if view.expiring is not None:
        rows.append(
            (
                "Expiring",
                f"{view.expiring.amount.format()} from {fmt_date(view.expiring.first_expiry)}",
            )
        )
    if alerts is not None:
        rows.append(alerts)
    return rows


def balance_card(view: AccountView, can_manage: bool) -> Card:
    if view.depleted:
        color: Literal["default", "attention", "warning"] = "attention"
    elif _below_threshold(view):
        color = "warning"
    else:
        color = "default"
    body: list[Element] = [
        heading("Communications Credits"),
        text("Balance", subtle=True, spacing="Small"),
        text(
            view.balance.format(), size="ExtraLarge", weight="Bolder", color=color, spacing="None"
        ),
    ]
    if view.depleted:
        body.append(
            text(
                "The balance is used up: calls that need credits stop, toll-free numbers first. "
                "Add funds to restore them.",
                color="attention",
            )
        )
    elif color == "warning":
        body.append(text("The balance is below your alert threshold.", color="warning"))
    if view.recharge_in_progress:
        body.append(
            text(
                "A recharge is in progress; the balance updates when the payment completes.",
                color="accent",
            )
        )
    alert_row, alert_line = _alerts_block(view.alerts) if view.alerts else (None, None)
    body.append(fact_set(_balance_facts(view, alert_row)))
    if alert_line is not None:
        body.append(alert_line)
    if view.recharge.paused:
        body.append(
            text(
                "Auto-recharge stopped after repeated declined payments. Check the payment "
                "method, then turn it back on in Auto-recharge settings.",
                color="attention",
            )
        )
    buttons = _manage_buttons() if can_manage else []
    buttons.append(act.execute("History", act.HISTORY))
    return card(body, buttons)


# --------------------------------------------------------------------------- history


def _kind_label(entry: Entry) -> str:
    return KIND_LABELS.get(entry.kind, str(entry.kind).replace("_", " ").capitalize())


def _history_row(entry: Entry) -> Element:
    label = _kind_label(entry)
    who = entry.actor.name if entry.actor.name != label else ""  # "Usage · Usage" says nothing
    detail = " · ".join(part for part in (entry.reason.strip(), who) if part)
    what = [text(label, weight="Bolder", size="Small")]
    if detail:
        what.append(text(detail, subtle=True, size="Small", spacing="None"))
    return column_set(
        [
            column([text(fmt_date(entry.created_at), size="Small")], width=2),
            column(what, width=4),
            column(
                [
                    text(
                        fmt_signed(entry.amount),
                        size="Small",
                        align="Right",
                        color="good" if entry.amount.is_positive else "default",
                    )
                ],
                width=2,
            ),
            column(
                [text(entry.balance_after.format(), size="Small", align="Right", subtle=True)],
                width=2,
            ),
        ],
        separator=True,
    )


def _history_header() -> Element:
    def cell(label: str, width: int, align: str | None = None) -> Element:
        return column([text(label, size="Small", weight="Bolder", align=align)], width=width)

    return column_set(
        [cell("When", 2), cell("What", 4), cell("Amount", 2, "Right"), cell("Balance", 2, "Right")]
    )


def history_card(page: HistoryPage, view: AccountView) -> Card:
    body: list[Element] = [
        heading("Activity"),
        text(f"Balance now: {view.balance.format()}", subtle=True, spacing="None"),
    ]
    shown = page.entries[:MAX_HISTORY_ROWS]
    next_before = page.next_before
    if len(page.entries) > len(shown):
        next_before = shown[-1].seq  # older entries than the last row drawn
    if not shown:
        body.append(text("No activity yet."))
    else:
        body.append(_history_header())
        body.extend(_history_row(entry) for entry in shown)
        body.append(text("Newest first. Times are UTC.", subtle=True, size="Small"))
    buttons: list[Element] = []
    if next_before is not None:
        buttons.append(act.execute("Older", act.HISTORY, before=next_before))
    if shown and shown[0].seq < view.last_seq:
        buttons.append(act.execute("Newest", act.HISTORY))
    buttons.append(act.execute("Show balance", act.BALANCE))
    return card(body, buttons)


# --------------------------------------------------------------------------- outcomes


def access_denied_card(message: str) -> Card:
    return card([heading("Not available"), text(message)])


def outcome_card(
    title: str,
    message: str,
    *,
    style: Literal["good", "attention", "warning", "default"] = "default",
    actions: Sequence[Element] = (),
) -> Card:
    body: list[Element] = [heading(title, color=style)]
    if message:
        body.append(text(message))
    return card(body, [dict(action) for action in actions])
