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
from cards.audit import SCOPE_TITLES, empty_text, history_buttons, settings_row
from cards.caps import balance_rows
from credits import shown as stored_text
from credits.audit_models import ActivityPage
from credits.i18n import N_, fmt_number, t, tn
from credits.models import (
    AccountView,
    AlertReach,
    Entry,
    EntryKind,
    HistoryPage,
    HistoryScope,
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
    "waiting_text",
    "welcome_card",
]

MAX_HISTORY_ROWS = 25
"""At most this many entries are drawn on one history card (keeps it well under 28 KB)."""

KIND_LABELS: dict[EntryKind, str] = {
    EntryKind.FUNDING: N_("Purchase"),
    EntryKind.AUTO_RECHARGE: N_("Auto-recharge"),
    EntryKind.USAGE: N_("Usage"),
    EntryKind.EXPIRY: N_("Expired"),
    EntryKind.ADJUSTMENT: N_("Adjustment"),
}
"""The English label of each kind of entry (shown translated: ``t(KIND_LABELS[kind])``)."""

_PAYMENT_STATUS: dict[PaymentStatus, str] = {
    PaymentStatus.PENDING: N_("{amount} in progress, {when}"),
    PaymentStatus.CHARGING: N_("{amount} in progress, {when}"),
    PaymentStatus.SUCCEEDED: N_("{amount} added, {when}"),
    PaymentStatus.DECLINED: N_("{amount} declined, {when}"),
    PaymentStatus.CANCELLED: N_("{amount} cancelled, {when}"),
}


def _manage_buttons() -> list[Element]:
    return [
        act.execute(t("Add funds"), act.ADD_FUNDS),
        act.execute(t("Auto-recharge settings"), act.RECHARGE_FORM),
    ]


# --------------------------------------------------------------------------- welcome, help


def welcome_card(can_manage: bool) -> Card:
    says = [t('"balance" to see the balance and auto-recharge status')]
    if can_manage:
        says += [
            t('"add $50 credits" to add funds'),
            t('"set auto-recharge to $100 when below $20" to keep it topped up'),
        ]
    says += [t('"history" for recent activity'), t('"help" for everything else')]
    body: list[Element] = [
        heading(t("Communications Credits")),
        text(
            t(
                "I keep your Teams Communications Credits topped up, so Audio Conferencing "
                "dial-out, calling and toll-free numbers keep working, and I tell you before the "
                "balance runs low."
            )
        ),
        text(t("You can say:"), weight="Bolder"),
        *[text(f"- {line}", spacing="None") for line in says],
    ]
    if not can_manage:
        body.append(
            text(t("Only billing admins can add funds or change auto-recharge."), subtle=True)
        )
    buttons = [act.execute(t("Show balance"), act.BALANCE)]
    if can_manage:
        buttons += _manage_buttons()
    buttons.append(act.execute(t("Help"), act.HELP))
    return card(body, buttons)


HELP_ROWS = (
    (N_('"balance"'), N_("Balance, auto-recharge status and how long it will last")),
    (N_('"add $50 credits"'), N_("Add funds; you confirm before anything is charged")),
    (N_('"set auto-recharge to $100 when below $20"'), N_("Turn on or change auto-recharge")),
    (N_('"turn off auto-recharge"'), N_("Stop automatic top-ups")),
    (N_('"recharge settings"'), N_("Open the auto-recharge form")),
    (
        N_('"recharge limits / at most 3 recharges a day"'),
        N_("Caps on auto-recharge: recharges a day, an amount a month, the largest recharge"),
    ),
    (N_('"admins / make @Ada an admin"'), N_("Who the billing admins are; add or remove one")),
    (N_('"history"'), N_("Recent purchases, recharges, usage and settings changes")),
    (
        N_('"history settings / transactions"'),
        N_("Who changed which setting and when, or the money alone"),
    ),
    (
        N_('"statement for November / receipt 42"'),
        N_("A month's statement: balances, purchases, recharges, usage; a receipt again"),
    ),
    (
        N_('"usage / top callers"'),
        N_("Spend by caller and destination, this month and the last 7 days"),
    ),
    (
        N_('"connect usage / usage status"'),
        N_("Read calls from Microsoft 365 as they happen, and how it goes"),
    ),
    (N_('"send alerts here / stop alerts here"'), N_("Balance alerts in this chat or channel")),
    (N_('"cancel"'), N_("Stop what we are doing; nothing is changed")),
)
"""The help card's rows: what to say (quoted; in each language, phrasings its intent parser
reads, several separated by " / ") and what it does."""


def help_card() -> Card:
    body: list[Element] = [
        heading(t("What you can say")),
        fact_set((t(say), t(meaning)) for say, meaning in HELP_ROWS),
        text(
            t(
                "Every change asks you to confirm on a card first. "
                "Only billing admins can add funds or change settings."
            ),
            subtle=True,
        ),
    ]
    return card(body, [act.execute(t("Show balance"), act.BALANCE), *_manage_buttons()])


# --------------------------------------------------------------------------- balance


def recharge_summary(recharge: RechargeSettings) -> str:
    """``"On: add $100.00 when below $20.00"``, ``"Off"`` or ``"Paused after 3 declines"``."""
    if recharge.paused:
        declines = recharge.consecutive_declines
        if not declines:
            return t("Paused")
        return tn("Paused after {n} decline", "Paused after {n} declines", declines)
    if recharge.enabled and recharge.amount is not None and recharge.trigger is not None:
        return t(
            "On: add {amount} when below {trigger}",
            amount=recharge.amount.format(),
            trigger=recharge.trigger.format(),
        )
    return t("Off")


def _last_recharge(payment: PaymentView) -> str:
    amount, when = payment.amount.format(), fmt_datetime(payment.created_at)
    message = _PAYMENT_STATUS.get(payment.status)
    if message is None:  # a status no card expects: shown as it is stored
        said = f"{amount} {payment.status}, {when}"
    else:
        said = t(message, amount=amount, when=when)
    if payment.status == PaymentStatus.DECLINED and payment.reason:
        said += f" ({stored_text.reason(payment.reason, payment.amount.currency)})"
    return said


def runway_text(days: Decimal, daily_burn: Money) -> str:
    """``"about 12 days at $5.00/day"``."""
    rate = daily_burn.format()
    if days < 1:
        return t("less than a day at {rate}/day", rate=rate)
    whole = int(days.to_integral_value(rounding=ROUND_HALF_UP))
    return tn("about {n} day at {rate}/day", "about {n} days at {rate}/day", whole, rate=rate)


def _span(hours: float) -> str:
    """``"3 days"``, ``"36 hours"``."""
    if hours >= 48 and hours % 24 == 0:
        return tn("{n} day", "{n} days", int(hours // 24))
    if hours == int(hours):
        return tn("{n} hour", "{n} hours", int(hours))
    return t("{n} hours", n=fmt_number(Decimal(f"{hours:g}")))


SAY_ALERTS_HERE = N_('Say "send alerts here" in a channel to post them there.')


def waiting_text(waiting: int) -> str:
    """``"2 alerts have not been delivered yet."``"""
    return tn(
        "{n} alert has not been delivered yet.", "{n} alerts have not been delivered yet.", waiting
    )


def alert_reach_text(reach: AlertReach) -> str:
    """Where alerts go now and how many wait, in plain words (the balance card and "alerts")."""
    waiting = f" {waiting_text(reach.waiting)}" if reach.waiting else ""
    if reach.conversations:
        return (
            tn(
                "Alerts are posted in {n} conversation.",
                "Alerts are posted in {n} conversations.",
                reach.conversations,
            )
            + waiting
        )
    if reach.personal_fallback:
        where = tn(
            "No channel or chat is subscribed to alerts, so they go to the 1:1 chat an admin "
            "has with the bot instead.",
            "No channel or chat is subscribed to alerts, so they go to the 1:1 chats {n} "
            "admins have with the bot instead.",
            reach.personal_chats,
        )
        return f"{where}{waiting} {t(SAY_ALERTS_HERE)}"
    if reach.waiting:
        where = tn(
            "No conversation receives alerts, so {n} alert is waiting.",
            "No conversation receives alerts, so {n} alerts are waiting.",
            reach.waiting,
        )
    else:
        where = t("No conversation receives alerts.")
    dropped = t(
        'Say "send alerts here" where they should be posted; an alert that waits longer than '
        "{span} is dropped.",
        span=_span(reach.expiry.total_seconds() / 3600),
    )
    return f"{where} {dropped}"


def _alerts_block(reach: AlertReach) -> tuple[tuple[str, str] | None, Element | None]:
    """A fact row when conversations receive alerts; a coloured line when none does."""
    if reach.conversations:
        if reach.waiting:
            shown = tn(
                "Posted in {n} conversation, {waiting} not delivered yet",
                "Posted in {n} conversations, {waiting} not delivered yet",
                reach.conversations,
                waiting=fmt_number(reach.waiting),
            )
        else:
            shown = tn(
                "Posted in {n} conversation", "Posted in {n} conversations", reach.conversations
            )
        return (t("Alerts"), shown), None
    color: Literal["warning", "attention"] = "warning" if reach.personal_fallback else "attention"
    return None, text(alert_reach_text(reach), color=color)


def _below_threshold(view: AccountView) -> bool:
    same = [x for x in view.effective_thresholds if x.currency == view.balance.currency]
    return any(view.balance < threshold for threshold in same)


def _balance_facts(view: AccountView, alerts: tuple[str, str] | None) -> list[tuple[str, str]]:
    rows = balance_rows(view, (t("Auto-recharge"), recharge_summary(view.recharge)))
    if view.last_recharge is not None:
        rows.append((t("Last recharge"), _last_recharge(view.last_recharge)))
    if view.runway_days is not None:
        rows.append((t("Runway"), runway_text(view.runway_days, view.daily_burn)))
    if view.expiring is not None:
        rows.append(
            (
                t("Expiring"),
                t(
                    "{amount} from {date}",
                    amount=view.expiring.amount.format(),
                    date=fmt_date(view.expiring.first_expiry),
                ),
            )
        )
    if alerts is not None:
        rows.append(alerts)
    return rows


def _balance_notes(view: AccountView, color: str) -> list[Element]:
    """The coloured lines under the balance: used up or below a threshold, recharging."""
    notes: list[Element] = []
    if view.depleted:
        notes.append(
            text(
                t(
                    "The balance is used up: calls that need credits stop, toll-free numbers "
                    "first. Add funds to restore them."
                ),
                color="attention",
            )
        )
    elif color == "warning":
        notes.append(text(t("The balance is below your alert threshold."), color="warning"))
    if view.recharge_in_progress:
        notes.append(
            text(
                t("A recharge is in progress; the balance updates when the payment completes."),
                color="accent",
            )
        )
    return notes


def balance_card(view: AccountView, can_manage: bool) -> Card:
    if view.depleted:
        color: Literal["default", "attention", "warning"] = "attention"
    elif _below_threshold(view):
        color = "warning"
    else:
        color = "default"
    body: list[Element] = [
        heading(t("Communications Credits")),
        text(t("Balance"), subtle=True, spacing="Small"),
        text(
            view.balance.format(), size="ExtraLarge", weight="Bolder", color=color, spacing="None"
        ),
        *_balance_notes(view, color),
    ]
    alert_row, alert_line = _alerts_block(view.alerts) if view.alerts else (None, None)
    body.append(fact_set(_balance_facts(view, alert_row)))
    if alert_line is not None:
        body.append(alert_line)
    if view.recharge.paused:
        body.append(
            text(
                t(
                    "Auto-recharge stopped after repeated declined payments. Check the payment "
                    "method, then turn it back on in Auto-recharge settings."
                ),
                color="attention",
            )
        )
    buttons = _manage_buttons() if can_manage else []
    buttons.append(act.execute(t("History"), act.HISTORY))
    return card(body, buttons)


# --------------------------------------------------------------------------- history


def _kind_label(entry: Entry) -> str:
    label = KIND_LABELS.get(entry.kind)
    return t(label) if label else str(entry.kind).replace("_", " ").capitalize()


def _history_row(entry: Entry) -> Element:
    label = _kind_label(entry)
    name = stored_text.actor_name(entry.actor.id, entry.actor.name)
    who = name if name != label else ""  # "Usage · Usage" says nothing
    reason = stored_text.reason(entry.reason.strip(), entry.amount.currency) or ""
    detail = " · ".join(part for part in (reason, who) if part)
    what = [text(label, weight="Bolder", size="Small")]
    if detail:
        what.append(text(detail, subtle=True, size="Small", spacing="None"))
    return column_set(
        [
            column([text(fmt_datetime(entry.created_at), size="Small")], width=2),  # as settings
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
        [
            cell(t("When"), 2),
            cell(t("What"), 4),
            cell(t("Amount"), 2, "Right"),
            cell(t("Balance"), 2, "Right"),
        ]
    )


def history_card(page: HistoryPage | ActivityPage, view: AccountView) -> Card:
    """A page of the history: money entries and settings changes (cards/audit.py) of its scope,
    with buttons to page and to switch scope; a `HistoryPage` (the ledger alone) as always."""
    if isinstance(page, HistoryPage):
        page = ActivityPage.of_ledger(page)
    page = page.head(MAX_HISTORY_ROWS)  # older rows than the last drawn: on the next page
    title = N_("Activity") if page.scope is None else SCOPE_TITLES[page.scope]
    balance = t("Balance now: {balance}", balance=view.balance.format())
    body: list[Element] = [heading(t(title)), text(balance, subtle=True, spacing="None")]
    if not page.rows:
        body.append(text(empty_text(page.scope)))
    else:
        if page.scope is not HistoryScope.SETTINGS:
            body.append(_history_header())
        body.extend(_history_row(r) if isinstance(r, Entry) else settings_row(r) for r in page.rows)
        body.append(text(t("Newest first. Times are UTC."), subtle=True, size="Small"))
    buttons = history_buttons(page, view.last_seq)
    buttons.append(act.execute(t("Show balance"), act.BALANCE))
    return card(body, buttons)


# --------------------------------------------------------------------------- outcomes


def access_denied_card(message: str) -> Card:
    return card([heading(t("Not available")), text(message)])


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
