"""The audit trail read back: `operations` rows as typed `SettingsChange`s, and the history of a
scope (money entries, settings changes, or both merged newest first) a page at a time
(credits/audit_models.py says how the cursor pages the merged list)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import ledger
from credits.audit import SETTINGS_CHANGES, ConversationKind, SettingsAction
from credits.audit_models import (
    ActivityPage,
    Conversation,
    FieldChange,
    HistoryCursor,
    Person,
    SettingField,
    SettingsChange,
    SettingValue,
    cursor_after,
    merge,
)
from credits.errors import NotFoundError, ValidationError
from credits.i18n import t
from credits.models import Actor, Entry, HistoryScope
from credits.money import Currency, Money
from credits.schema import accounts, ledger_entries, operations
from credits.store import Account, Deps, tenant_key

MAX_PAGE = 200
LOOK_BACK = 200
"""How many older settings changes are read to tell what a page's changes replaced."""

_KEYS = {
    "recharge_enabled": SettingField.RECHARGE_ENABLED,
    "recharge_amount_minor": SettingField.RECHARGE_AMOUNT,
    "recharge_trigger_minor": SettingField.RECHARGE_TRIGGER,
    "daily_recharge_limit": SettingField.DAILY_LIMIT,
    "monthly_recharge_cap_minor": SettingField.MONTHLY_CAP,
    "max_recharge_minor": SettingField.MAX_RECHARGE,
    "alert_thresholds": SettingField.ALERT_THRESHOLDS,
}
"""The details' keys of the settings a change may set, in the order they are said."""
_CAPS_MAY_CLEAR = frozenset({SettingField.MONTHLY_CAP, SettingField.MAX_RECHARGE})
_MAY_BE_UNSET = _CAPS_MAY_CLEAR | {SettingField.RECHARGE_AMOUNT, SettingField.RECHARGE_TRIGGER}
"""What a setting may have been before: also no recharge amount or trigger yet."""
_SETTINGS = (
    SettingsAction.AUTO_RECHARGE.value,
    SettingsAction.RECHARGE_CAPS.value,
    SettingsAction.ALERT_THRESHOLDS.value,
)


async def activity(
    deps: Deps,
    tenant_id: str,
    scope: HistoryScope,
    limit: int,
    cursor: HistoryCursor | None,
    *,
    known_only: bool = False,
) -> ActivityPage:
    """One page of the history of ``scope``, newest first, from ``cursor`` (None: the newest).
    ``known_only``: a tenant with no account is refused (NotFoundError) and none is made for
    it (the command line: a mistyped tenant)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(t("Ask for 1 to 200 entries at a time."))
    start = cursor or HistoryCursor()
    if any(b is not None and b < 1 for b in (start.before_seq, start.before_change)):
        raise ValidationError(
            t("An older page starts from a number of 1 or more, as the page before it gave it.")
        )
    account = await (_existing(deps, tenant_id) if known_only else deps.store.account(tenant_id))
    cur = account.currency
    entries: list[Entry] = []
    changes: list[SettingsChange] = []
    async with deps.db.read() as conn:
        if scope is not HistoryScope.SETTINGS:
            entries = await _entries(conn, account.id, cur, limit + 1, start.before_seq)
        if scope is not HistoryScope.MONEY:
            rows = await _operations(conn, account.id, limit + 1, start.before_change)
            changes = await _with_before(conn, account.id, cur, [change_of(r, cur) for r in rows])
    merged = merge(entries, changes)
    shown, rest = merged[:limit], merged[limit:]
    return ActivityPage(scope, tuple(shown), cursor_after(shown, rest, start), start)


async def _existing(deps: Deps, tenant_id: str) -> Account:
    """The tenant's account, never made here; NotFoundError when nothing was recorded for it."""
    key = tenant_key(tenant_id)
    async with deps.db.read() as conn:
        query = select(accounts).where(accounts.c.tenant_id == key)
        row = (await conn.execute(query)).one_or_none()
    if row is None:
        raise NotFoundError(
            t(
                "No account for tenant '{tenant}': nothing was ever recorded for it, so it has "
                "no history. Check the tenant id.",
                tenant=key,
            )
        )
    return Account.from_row(row)


async def _entries(
    conn: AsyncConnection, account_id: int, cur: Currency, limit: int, before: int | None
) -> list[Entry]:
    query = select(ledger_entries).where(ledger_entries.c.account_id == account_id)
    if before is not None:
        query = query.where(ledger_entries.c.seq < before)
    query = query.order_by(ledger_entries.c.seq.desc()).limit(limit)
    return [ledger.entry_view(r, cur) for r in (await conn.execute(query)).all()]


async def _operations(
    conn: AsyncConnection,
    account_id: int,
    limit: int,
    before: int | None,
    actions: Sequence[str] = SETTINGS_CHANGES,
) -> list[Row[Any]]:
    """The account's settings changes (never a `cancelled` marker), newest first."""
    query = select(operations).where(
        operations.c.account_id == account_id, operations.c.action.in_(actions)
    )
    if before is not None:
        query = query.where(operations.c.id < before)
    query = query.order_by(operations.c.id.desc()).limit(limit)
    return list((await conn.execute(query)).all())


# --------------------------------------------------------------------------- one change


def change_of(row: Row[Any], cur: Currency) -> SettingsChange:
    """An `operations` row as a typed change; what its details do not hold is left out."""
    action = SettingsAction(row.action)
    details: Mapping[str, Any] = row.details if isinstance(row.details, Mapping) else {}
    return SettingsChange(
        id=row.id,
        at=row.created_at,
        action=action,
        actor=Actor(row.actor_id, row.actor_name),
        fields=_fields(details, cur),
        person=_person(details) if action.value.startswith("admin_") else None,
        conversation=_conversation(details) if action.value.startswith("alerts_") else None,
    )


def _fields(details: Mapping[str, Any], cur: Currency) -> tuple[FieldChange, ...]:
    """The settings a change set, each with what it was when the row says so (its ``before``,
    written with the change since this was added; older rows: guessed by `_with_before`)."""
    stored = details.get("before")
    before: Mapping[str, Any] = stored if isinstance(stored, Mapping) else {}
    fields = []
    for key, field in _KEYS.items():
        ok, value = _value(field, details, key, cur, _CAPS_MAY_CLEAR)
        if not ok:
            continue
        known, was = _value(field, before, key, cur, _MAY_BE_UNSET)
        fields.append(FieldChange(field, value, was, known_before=known))
    return tuple(fields)


def _value(
    field: SettingField,
    details: Mapping[str, Any],
    key: str,
    cur: Currency,
    may_be_none: frozenset[SettingField],
) -> tuple[bool, SettingValue]:
    """(True, the value) when ``details`` holds ``key`` as this field's type (None only for the
    fields ``may_be_none``); else (False, _)."""
    if key not in details:
        return False, None
    value = details[key]
    if field is SettingField.RECHARGE_ENABLED:
        return isinstance(value, bool), value
    if field is SettingField.ALERT_THRESHOLDS:
        if isinstance(value, list) and all(_minor(v) for v in value):
            return True, tuple(Money.from_minor(v, cur) for v in value)
        return False, None
    if field is SettingField.DAILY_LIMIT:
        return _minor(value), value
    if value is None:
        return field in may_be_none, None
    return (True, Money.from_minor(value, cur)) if _minor(value) else (False, None)


def _minor(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def _text(details: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = details.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _person(details: Mapping[str, Any]) -> Person | None:
    person_id = _text(details, "aad_object_id", "person_id", "admin_id")
    name = _text(details, "name", "person_name", "admin_name")
    if person_id is None and name is None:
        return None
    return Person(person_id or "", name or person_id or "")


def _conversation(details: Mapping[str, Any]) -> Conversation:
    kind = _text(details, "kind")
    known = {k.value for k in ConversationKind}
    return Conversation(
        id=_text(details, "conversation_id") or "",
        name=_text(details, "name"),
        kind=ConversationKind(kind) if kind in known else ConversationKind.OTHER,
        automatic=details.get("automatic") is True,
    )


# --------------------------------------------------------------------------- what it replaced


async def _with_before(
    conn: AsyncConnection, account_id: int, cur: Currency, changes: list[SettingsChange]
) -> list[SettingsChange]:
    """The page's changes with what each field had before: as the row says (written with the
    change), else, for a row written before rows said so, told by the latest earlier change
    that set it (among the page and the `LOOK_BACK` changes older than it)."""
    if all(f.known_before for c in changes for f in c.fields):
        return changes
    oldest = min(c.id for c in changes)
    older = await _operations(conn, account_id, LOOK_BACK, oldest, _SETTINGS)
    trail = sorted([*changes, *(change_of(r, cur) for r in older)], key=lambda c: -c.id)
    return [_before(change, trail) for change in changes]


def _before(change: SettingsChange, trail: Sequence[SettingsChange]) -> SettingsChange:
    if not change.fields:
        return change
    earlier = [c for c in trail if c.id < change.id]
    fields = []
    for now in change.fields:
        was = next((f for c in earlier if (f := c.field(now.field)) is not None), None)
        if was is not None and not now.known_before:
            now = FieldChange(now.field, now.after, was.after, known_before=True)
        fields.append(now)
    return SettingsChange(
        change.id,
        change.at,
        change.action,
        change.actor,
        tuple(fields),
        change.person,
        change.conversation,
    )
