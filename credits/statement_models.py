"""What the statements and the numbered receipts hand out: immutable views.

- `StatementMonth`: a UTC calendar month, from 00:00 UTC on its 1st to 00:00 UTC on the next.
- `Receipt`: a purchase or an auto-recharge that succeeded, by its number (1, 2, 3... per
  account, given when the payment is credited; credits/recharge.py).
- `Statement`: a month's figures: the opening balance, a total and a count for each kind of
  entry, the closing balance, and the month's receipts.
- `StatementLine`: one ledger entry of the month, with its receipt number where it has one.

A month's entries are the ledger entries *recorded* in it, as a bank statement counts postings:
a call made on 31 October and recorded on 1 November is in November's statement. The months
split the ledger by its order of recording (`seq`), never by each entry's own time: a month ends
with the last entry recorded before its end (the highest `seq` whose `created_at` is earlier), and
the next begins after it. Each replica stamps `created_at` from its own clock, so near midnight an
entry stamped 23:59:59.8 may be recorded after one stamped 00:00:00.5; the later-stamped entry then
belongs to the earlier month with it, and still every entry is in exactly one month, the balance
after each is the ledger's own running balance, and the opening balance plus the month's entries
is always the closing balance, which the next month opens with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from credits.clock import add_months
from credits.models import Actor, Entry, EntryKind, PaymentKind
from credits.money import Currency, Money

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the months a statement may be asked for

KINDS = (
    EntryKind.FUNDING,
    EntryKind.AUTO_RECHARGE,
    EntryKind.USAGE,
    EntryKind.EXPIRY,
    EntryKind.ADJUSTMENT,
)
"""The kinds of entry a statement totals, in the order it shows them."""


@dataclass(frozen=True, slots=True, order=True)
class StatementMonth:
    """A UTC calendar month."""

    year: int
    month: int  # 1-12

    @classmethod
    def of(cls, when: datetime) -> StatementMonth:
        """The month `when` falls in (UTC)."""
        at = when.astimezone(UTC)
        return cls(at.year, at.month)

    @classmethod
    def parse(cls, text: str) -> StatementMonth | None:
        """ "2026-11" as a month; None for anything else (a year outside 2000-2100 too)."""
        head, dash, tail = text.strip().partition("-")
        if not (dash and len(head) == 4 and head.isdigit() and tail.isdigit()):
            return None
        if len(tail) not in (1, 2):
            return None
        year, month = int(head), int(tail)
        if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
            return None
        return cls(year, month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The start of the next month (not in this one)."""
        return add_months(self.start, 1)

    @property
    def key(self) -> str:
        """ "2026-11": as buttons carry it and the command line takes it."""
        return f"{self.year:04d}-{self.month:02d}"

    def shifted(self, months: int) -> StatementMonth:
        """The month `months` later (earlier when negative)."""
        return StatementMonth.of(add_months(self.start, months))

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True, slots=True)
class Receipt:
    """A purchase or auto-recharge that succeeded, by its number."""

    number: int
    tenant_id: str
    kind: PaymentKind
    amount: Money
    at: datetime  # when it was credited (its ledger entry was recorded), UTC
    actor: Actor  # who bought it; the auto-recharge actor for a recharge
    reference: str | None  # the payment gateway's reference
    balance_after: Money
    entry_seq: int
    payment_id: int


@dataclass(frozen=True, slots=True)
class ReceiptRange:
    """The receipt numbers an account has: 1 to `last` (none when `last` is 0)."""

    last: int

    @property
    def empty(self) -> bool:
        return self.last <= 0

    def holds(self, number: int) -> bool:
        return 1 <= number <= self.last


@dataclass(frozen=True, slots=True)
class KindTotal:
    """A kind of entry in a month: how many and their sum (signed: usage is negative)."""

    kind: EntryKind
    count: int
    total: Money


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One ledger entry of the month, and its receipt number and gateway reference when it is a
    purchase or auto-recharge."""

    entry: Entry
    receipt_no: int | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """A month's statement. `complete` is False for the month under way: its figures run up
    to `as_of` and its closing balance is the balance then."""

    tenant_id: str
    currency: Currency
    month: StatementMonth
    opening: Money  # the balance after entry `after_seq`, the last recorded before the month
    closing: Money  # the balance after entry `last_seq` (the opening when the month has none)
    totals: tuple[KindTotal, ...]  # one per kind, in KINDS order
    receipts: tuple[Receipt, ...]  # the month's, oldest first
    first_month: StatementMonth  # the month the account was opened
    current_month: StatementMonth  # the month under way when the statement was made
    as_of: datetime
    after_seq: int = 0  # the month's entries are those with after_seq < seq <= last_seq
    last_seq: int = 0

    @property
    def complete(self) -> bool:
        return self.month < self.current_month

    @property
    def has_previous(self) -> bool:
        return self.month > self.first_month

    @property
    def has_next(self) -> bool:
        return self.month < self.current_month

    @property
    def entries(self) -> int:
        return sum(total.count for total in self.totals)

    @property
    def net(self) -> Money:
        """The sum of the month's entries."""
        return Money.from_minor(sum(total.total.minor for total in self.totals), self.currency)

    @property
    def balanced(self) -> bool:
        """Opening plus the month's entries is the closing balance (always, by the ledger)."""
        return self.opening.minor + self.net.minor == self.closing.minor

    def of(self, kind: EntryKind) -> KindTotal:
        return next(total for total in self.totals if total.kind is kind)
