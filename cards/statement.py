"""The statement card (a month's opening balance, purchases, auto-recharges, usage, expiries,
adjustments, closing balance and receipts) and a numbered receipt's card, in the language of the
moment; money by `Money.format()`, dates by Babel.

Buttons: the month before and after (verb ``statement`` with its ``month``), the month's latest
receipts (verb ``receipt`` with its ``number``); on a receipt, the receipts either side of it and
its month's statement.
"""

from __future__ import annotations

from datetime import timedelta

import cards.actions as act
from cards._elements import Card, Element, action_set, card, fmt_signed, heading, text
from cards._elements import facts as fact_set
from credits import shown
from credits.i18n import N_, fmt_date, fmt_datetime, t, tn
from credits.models import EntryKind, PaymentKind
from credits.statement import month_label
from credits.statement_models import KindTotal, Receipt, ReceiptRange, Statement, StatementMonth

__all__ = ["receipt_shown_card", "statement_card"]

MAX_RECEIPT_ROWS = 15
"""At most this many receipts are listed on a statement card (the latest); the rest are counted."""
MAX_RECEIPT_BUTTONS = 5

KIND_TITLES: dict[EntryKind, str] = {
    EntryKind.FUNDING: N_("Purchases"),
    EntryKind.AUTO_RECHARGE: N_("Auto-recharges"),
    EntryKind.USAGE: N_("Usage"),
    EntryKind.EXPIRY: N_("Expired"),
    EntryKind.ADJUSTMENT: N_("Adjustments"),
}
RECEIPT_KINDS: dict[PaymentKind, str] = {
    PaymentKind.PURCHASE: N_("Purchase"),
    # a message of its own: the kind label is the glossary's "Tự động nạp" (as the statement's
    # row), while "Auto-recharge" elsewhere names the feature, "Tự động nạp tiền"
    PaymentKind.AUTO_RECHARGE: N_("Automatic recharge"),
}


def _receipt_title(number: int) -> str:
    """ "Receipt 42": the number as it is (no grouping: it is an identifier)."""
    return t("Receipt {number}", number=str(number))


def _count(total: KindTotal) -> str:
    n = total.count
    if total.kind is EntryKind.FUNDING:
        return tn("{n} purchase", "{n} purchases", n)
    if total.kind is EntryKind.AUTO_RECHARGE:
        return tn("{n} recharge", "{n} recharges", n)
    if total.kind is EntryKind.USAGE:
        return tn("{n} call", "{n} calls", n)
    return tn("{n} entry", "{n} entries", n)


def _figures(statement: Statement) -> list[tuple[str, str]]:
    month = statement.month
    rows = [
        (
            t("Opening balance, {date}", date=fmt_date(month.start)),
            statement.opening.format(),
        )
    ]
    for total in statement.totals:
        value = t("{amount} ({count})", amount=fmt_signed(total.total), count=_count(total))
        rows.append((t(KIND_TITLES[total.kind]), value))
    if statement.complete:
        last_day = month.end - timedelta(days=1)
        closing = t("Closing balance, {date}", date=fmt_date(last_day))
    else:
        closing = t("Balance now")
    rows.append((closing, statement.closing.format()))
    return rows


def _receipt_rows(statement: Statement) -> list[Element]:
    receipts = statement.receipts
    if not receipts:
        return [
            text(
                t("No purchases or auto-recharges this month, so no receipts."),
                subtle=True,
                size="Small",
            )
        ]
    shown_now = receipts[-MAX_RECEIPT_ROWS:]
    rows = [
        (
            t("No. {number}", number=str(r.number)),
            t(
                "{date} · {kind} · {amount}",
                date=fmt_date(r.at),
                kind=t(RECEIPT_KINDS[r.kind]),
                amount=r.amount.format(),
            ),
        )
        for r in shown_now
    ]
    body: list[Element] = [
        text(
            tn("{n} receipt", "{n} receipts", len(receipts)),
            weight="Bolder",
        ),
        fact_set(rows),
    ]
    if len(receipts) > len(shown_now):
        earlier = len(receipts) - len(shown_now)
        body.append(
            text(
                tn(
                    '{n} earlier receipt is not listed: say "receipt {first}" to see it.',
                    '{n} earlier receipts are not listed: say "receipt {first}" to see one.',
                    earlier,
                    first=str(receipts[0].number),
                ),
                subtle=True,
                size="Small",
            )
        )
    buttons = [
        act.execute(_receipt_title(r.number), act.RECEIPT, number=r.number)
        for r in receipts[-MAX_RECEIPT_BUTTONS:]
    ]
    body.append(action_set(buttons))
    return body


def _month_button(month: StatementMonth, earlier: bool) -> Element:
    label = month_label(month)
    title = f"← {label}" if earlier else f"{label} →"
    return act.execute(title, act.STATEMENT, month=month.key)


def statement_card(statement: Statement) -> Card:
    """A month's statement: its figures, its receipts, and buttons to the months either side."""
    month = statement.month
    if statement.complete:
        span = t("Times are UTC.")
    else:
        span = t(
            "This month so far, up to {now}.",
            now=fmt_datetime(statement.as_of),
        )
    body: list[Element] = [
        heading(t("Statement for {month}", month=month_label(month, title=False))),
        text(span, subtle=True, spacing="None"),
        fact_set(_figures(statement)),
        *_receipt_rows(statement),
    ]
    buttons: list[Element] = []
    if statement.has_previous:
        buttons.append(_month_button(month.shifted(-1), earlier=True))
    if statement.has_next:
        buttons.append(_month_button(month.shifted(1), earlier=False))
    buttons.append(act.execute(t("Show balance"), act.BALANCE))
    return card(body, buttons)


def receipt_shown_card(receipt: Receipt, numbers: ReceiptRange) -> Card:
    """A numbered receipt again: when, what, how much, who, the gateway's reference and the
    balance after; buttons to the receipts either side and to its month's statement."""
    who = shown.actor_name(receipt.actor.id, receipt.actor.name)
    rows = [
        (t("Date and time"), fmt_datetime(receipt.at)),
        (t("Kind"), t(RECEIPT_KINDS[receipt.kind])),
        (t("Amount"), receipt.amount.format()),
        (t("By"), who),
        (t("Payment reference"), receipt.reference or t("None given")),
        (t("Balance after"), receipt.balance_after.format()),
    ]
    body: list[Element] = [
        heading(_receipt_title(receipt.number), color="good"),
        fact_set(rows),
    ]
    buttons: list[Element] = []
    n = receipt.number
    if numbers.holds(n - 1):
        buttons.append(act.execute(f"← {_receipt_title(n - 1)}", act.RECEIPT, number=n - 1))
    if numbers.holds(n + 1):
        buttons.append(act.execute(f"{_receipt_title(n + 1)} →", act.RECEIPT, number=n + 1))
    month = StatementMonth.of(receipt.at)
    buttons.append(
        act.execute(
            t("Statement for {month}", month=month_label(month, title=False)),
            act.STATEMENT,
            month=month.key,
        )
    )
    buttons.append(act.execute(t("Show balance"), act.BALANCE))
    return card(body, buttons)
