"""What the audit trail hands out: a settings change as a typed view (`SettingsChange`), and the
history as one list of money entries and settings changes (`ActivityPage`) with its cursor.

The history of a scope (`HistoryScope`) is the merge, newest first, of two lists each read in
its own order: the ledger by `seq`, the settings changes by their `operations` id. Where the
merge stands after a page is fully told by one bound per list, the `HistoryCursor`: the next
page is the merge of the entries below `before_seq` and the changes below `before_change`. So
pages never skip or repeat a row, however many rows share a timestamp (the merge breaks ties
the same way every time), and rows written after the first page wait for "Newest"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from credits.audit import ConversationKind, SettingsAction
from credits.models import Actor, Entry, HistoryPage, HistoryScope
from credits.money import Money


class SettingField(StrEnum):
    """A setting a change may set (the key its audit row's details keep it under, less
    ``_minor``)."""

    RECHARGE_ENABLED = "recharge_enabled"
    RECHARGE_AMOUNT = "recharge_amount"
    RECHARGE_TRIGGER = "recharge_trigger"
    DAILY_LIMIT = "daily_recharge_limit"  # recharges a day
    MONTHLY_CAP = "monthly_recharge_cap"  # None: no monthly cap
    MAX_RECHARGE = "max_recharge"  # None: no largest single recharge
    ALERT_THRESHOLDS = "alert_thresholds"  # (): the default


SettingValue = bool | int | Money | tuple[Money, ...] | None
"""A setting's value: on/off, a count, an amount (None: no such cap), or amounts."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One setting a change set: its new value, and the one it replaced when that is known
    (`known_before`): kept in the change's row since rows keep it; for an older row, told by
    an earlier change of the trail (unknown when it was the default, or older than the trail
    looked)."""

    field: SettingField
    after: SettingValue
    before: SettingValue = None
    known_before: bool = False


@dataclass(frozen=True, slots=True)
class Person:
    """Someone made or unmade an admin: their Microsoft Entra object id and name."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation subscribed to alerts or unsubscribed: its name when Teams gave one."""

    id: str
    name: str | None
    kind: ConversationKind
    automatic: bool  # by the bot itself: at install, or after a 403/404 from the conversation


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """One settings change of the audit trail: when, who (a system actor's name translated as
    shown), what (`action`), and what it set (`fields`, or the `person`, or the
    `conversation`)."""

    id: int  # the `operations` row
    at: datetime
    action: SettingsAction
    actor: Actor
    fields: tuple[FieldChange, ...] = ()
    person: Person | None = None
    conversation: Conversation | None = None

    def field(self, which: SettingField) -> FieldChange | None:
        return next((f for f in self.fields if f.field is which), None)


HistoryRow = Entry | SettingsChange


@dataclass(frozen=True, slots=True)
class HistoryCursor:
    """Where an older page starts: money entries below `before_seq`, settings changes below
    `before_change` (None: no bound, the newest)."""

    before_seq: int | None = None
    before_change: int | None = None


def newer(row: HistoryRow, other: HistoryRow) -> bool:
    """Whether ``row`` comes before ``other`` in the merged history (newest first); a money
    entry and a settings change of the same instant: the entry first."""
    at, other_at = _when(row), _when(other)
    if at != other_at:
        return at > other_at
    return isinstance(row, Entry) and isinstance(other, SettingsChange)


def _when(row: HistoryRow) -> datetime:
    return row.created_at if isinstance(row, Entry) else row.at


def merge(entries: Sequence[Entry], changes: Sequence[SettingsChange]) -> list[HistoryRow]:
    """The two lists (each newest first in its own order) as one, newest first."""
    rows: list[HistoryRow] = []
    i = j = 0
    while i < len(entries) and j < len(changes):
        if newer(changes[j], entries[i]):
            rows.append(changes[j])
            j += 1
        else:
            rows.append(entries[i])
            i += 1
    return rows + list(entries[i:]) + list(changes[j:])


def cursor_after(
    shown: Sequence[HistoryRow], rest: Sequence[HistoryRow], start: HistoryCursor
) -> HistoryCursor | None:
    """The cursor of the page after ``shown`` (a merge's first rows from ``start``), given the
    rows read beyond it (``rest``: none means there are no more). A list none of whose rows is
    shown keeps its bound: its newest row read, or the bound it had, or nothing at all (1), so
    rows written later never turn up on an older page."""
    if not rest:
        return None

    def bound(kind: type, start_bound: int | None) -> int:
        mine = [_id(r) for r in shown if isinstance(r, kind)]
        if mine:
            return min(mine)
        waiting = [_id(r) for r in rest if isinstance(r, kind)]
        if waiting:
            return max(waiting) + 1
        return start_bound if start_bound is not None else 1

    return HistoryCursor(bound(Entry, start.before_seq), bound(SettingsChange, start.before_change))


def _id(row: HistoryRow) -> int:
    return row.seq if isinstance(row, Entry) else row.id


@dataclass(frozen=True, slots=True)
class ActivityPage:
    """A page of the history of one scope, newest first. `scope` None: a page of the ledger
    alone made from a `HistoryPage` (its card is the ledger's card as it always was)."""

    scope: HistoryScope | None
    rows: tuple[HistoryRow, ...]
    next_cursor: HistoryCursor | None  # the next (older) page; None: this is the oldest
    cursor: HistoryCursor = HistoryCursor()  # where this page started

    @classmethod
    def of_ledger(cls, page: HistoryPage) -> ActivityPage:
        older = None if page.next_before is None else HistoryCursor(page.next_before)
        return cls(None, page.entries, older)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(r for r in self.rows if isinstance(r, Entry))

    @property
    def changes(self) -> tuple[SettingsChange, ...]:
        return tuple(r for r in self.rows if isinstance(r, SettingsChange))

    def head(self, n: int) -> ActivityPage:
        """The first ``n`` rows, with the cursor that pages on from the last of them."""
        if len(self.rows) <= n:
            return self
        shown, rest = self.rows[:n], self.rows[n:]
        after = cursor_after(shown, rest, self._bounds_for_rest())
        return ActivityPage(self.scope, shown, after, self.cursor)

    def _bounds_for_rest(self) -> HistoryCursor:
        """The bounds a list with no row on this page had: the next page's (it had none
        shown, so its bound did not move), else where this page started."""
        return self.next_cursor if self.next_cursor is not None else self.cursor
