"""A month's statement, computed from what the store gave (pure: no database, no clock).

- `month_asked`: the month an admin means ("November": the latest November not in the future;
  "last month"; "2026-11"; nothing: this month), from the service's clock.
- `check_month`: a month a statement can be made for, or a refusal saying which months can.
  A month that has not begun, or one before the account was opened, is **refused** rather than
  shown empty: there is no balance to show for it (a future month's is not known yet, and an
  account that did not exist had none), and $0.00 would read as a real figure on a document for
  finance. The refusal names the months there are statements for.
- `build`: the statement from the opening and closing balances, each kind's count and sum, and
  the month's receipts.

Months are UTC calendar months; the entries of a month are those recorded in it, split by the
ledger's order of recording (credits/statement_models.py says why and how).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from babel.dates import format_skeleton

from credits.errors import ValidationError
from credits.i18n import current, t
from credits.models import EntryKind
from credits.money import Currency, Money
from credits.statement_models import (
    KINDS,
    KindTotal,
    Receipt,
    Statement,
    StatementMonth,
)


def month_label(month: StatementMonth, *, title: bool = True) -> str:
    """ "November 2026"; in Vietnamese "Tháng 11 năm 2026" as a label (`title`), "tháng 11 năm
    2026" in a sentence."""
    shown = str(format_skeleton("yMMMM", month.start, locale=current().babel))
    return shown[:1].upper() + shown[1:] if title else shown


def month_asked(
    now: datetime, month: int | None, year: int | None, months_ago: int = 0
) -> StatementMonth:
    """The month meant: `months_ago` months before this one ("last month" is 1); else `month` of
    `year`; a month without a year is the latest such month not in the future; no month is this
    month. The month is not checked here (`check_month` does)."""
    this = StatementMonth.of(now)
    if months_ago:
        return this.shifted(-months_ago)
    if month is None:
        return this
    if not 1 <= month <= 12:
        raise ValidationError(
            t("There is no month {month}; say a month from 1 to 12.", month=str(month))
        )
    if year is None:
        return StatementMonth(this.year if month <= this.month else this.year - 1, month)
    return StatementMonth(year, month)


def months_there_are(first: StatementMonth, current_: StatementMonth) -> str:
    """The sentence saying which months have a statement."""
    if first >= current_:
        return t(
            "So far there is a statement for {month} only.",
            month=month_label(current_, title=False),
        )
    return t(
        "Statements run from {first} to {last}.",
        first=month_label(first, title=False),
        last=month_label(current_, title=False),
    )


def check_month(month: StatementMonth, first: StatementMonth, current_: StatementMonth) -> None:
    """Refuse a month not begun yet, or one before the account was opened (`first`)."""
    if month > current_:
        raise ValidationError(
            t(
                "{month} has not begun yet, so it has no statement. {there_are}",
                month=month_label(month, title=False),
                there_are=months_there_are(first, current_),
            )
        )
    if month < first:
        raise ValidationError(
            t(
                "There is no statement for {month}: the account was opened in {first}. {there_are}",
                month=month_label(month, title=False),
                first=month_label(first, title=False),
                there_are=months_there_are(first, current_),
            )
        )


def build(
    *,
    tenant_id: str,
    currency: Currency,
    month: StatementMonth,
    opening_minor: int,
    closing_minor: int,
    kinds: Iterable[tuple[EntryKind, int, int]],
    receipts: Sequence[Receipt],
    first: StatementMonth,
    current_: StatementMonth,
    as_of: datetime,
    seqs: tuple[int, int] = (0, 0),
) -> Statement:
    """The statement of `month`: `kinds` holds (kind, count, sum of minor units) for the kinds
    the month has; the others count zero. `seqs`: the month's entries are those after the first
    and up to the second."""
    found = {kind: (count, total) for kind, count, total in kinds}
    totals = []
    for kind in KINDS:
        count, total = found.get(kind, (0, 0))
        totals.append(KindTotal(kind, count, Money.from_minor(total, currency)))
    return Statement(
        tenant_id=tenant_id,
        currency=currency,
        month=month,
        opening=Money.from_minor(opening_minor, currency),
        closing=Money.from_minor(closing_minor, currency),
        totals=tuple(totals),
        receipts=tuple(receipts),
        first_month=first,
        current_month=current_,
        as_of=as_of,
        after_seq=seqs[0],
        last_seq=seqs[1],
    )
