"""The ledger and its lots: appending entries to a locked account, funding a lot, consuming the
oldest unexpired lots first (what no lot covers becomes debt), and expiring lots.

Every function here runs inside `store.locked` and keeps the `LockedAccount` in step with the
database: the ledger's triggers move the stored balance and seq, the helper writes back the debt.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import shown
from credits.clock import add_months
from credits.inputs import request_hash
from credits.models import EXPIRY, Actor, Entry, EntryKind
from credits.money import Currency, Money
from credits.schema import ledger_entries, lots
from credits.store import Deps, LockedAccount

BURN_WINDOW = timedelta(days=7)


async def append(
    deps: Deps,
    account: LockedAccount,
    kind: EntryKind,
    amount_minor: int,
    actor: Actor,
    reason: str,
    key: str,
    hashed: str,
    occurred_at: datetime | None = None,
) -> Entry:
    """Append one entry; the account's balance and seq advance with it."""
    now = deps.clock.now()
    entry = Entry(
        seq=account.last_seq + 1,
        kind=kind,
        amount=Money.from_minor(amount_minor, account.currency),
        balance_after=Money.from_minor(account.balance_minor + amount_minor, account.currency),
        actor=Actor(actor.id, actor.name[:200]),
        reason=reason[:500],
        idempotency_key=key,
        occurred_at=occurred_at or now,
        created_at=now,
    )
    await account.conn.execute(
        ledger_entries.insert().values(
            account_id=account.id,
            seq=entry.seq,
            kind=kind.value,
            amount_minor=amount_minor,
            balance_after_minor=entry.balance_after.minor,
            actor_id=entry.actor.id,
            actor_name=entry.actor.name,
            reason=entry.reason,
            idempotency_key=key,
            request_hash=hashed,
            occurred_at=entry.occurred_at,
            created_at=now,
        )
    )
    account.last_seq = entry.seq
    account.balance_minor = entry.balance_after.minor
    return entry


async def fund(
    deps: Deps,
    account: LockedAccount,
    kind: EntryKind,
    amount_minor: int,
    actor: Actor,
    reason: str,
    key: str,
    hashed: str,
) -> Entry:
    """A credit that buys a lot; it first pays off any usage no lot covered (debt)."""
    entry = await append(deps, account, kind, amount_minor, actor, reason, key, hashed)
    paid = min(account.debt_minor, amount_minor)
    account.debt_minor -= paid
    await account.conn.execute(
        lots.insert().values(
            account_id=account.id,
            entry_seq=entry.seq,
            original_minor=amount_minor,
            remaining_minor=amount_minor - paid,
            purchased_at=entry.created_at,
            expires_at=add_months(entry.created_at, deps.config.lot_lifetime_months),
        )
    )
    return entry


async def consume(deps: Deps, account: LockedAccount, minor: int) -> None:
    """Take `minor` from the oldest unexpired lots; what no lot covers becomes debt."""
    order, remaining = await open_lots(deps, account.conn, account.id)
    taken = take(remaining, order, minor)
    account.debt_minor += taken.pop(-1, 0)
    await write_lots(account.conn, remaining, taken)


async def open_lots(
    deps: Deps, conn: AsyncConnection, account_id: int
) -> tuple[list[int], dict[int, int]]:
    """Unexpired lots with funds left, oldest expiry first: their order and what is left."""
    rows = (
        await conn.execute(
            select(lots.c.id, lots.c.remaining_minor)
            .where(
                lots.c.account_id == account_id,
                lots.c.remaining_minor > 0,
                lots.c.expires_at > deps.clock.now(),
            )
            .order_by(lots.c.expires_at, lots.c.id)
        )
    ).all()
    return [lot.id for lot in rows], {lot.id: lot.remaining_minor for lot in rows}


def take(remaining: dict[int, int], order: Iterable[int], amount: int) -> dict[int, int]:
    """Consume `amount` from lots in order, mutating `remaining`; returns the lots touched
    (lot id -> taken) and, under key -1, what no lot could cover."""
    taken: dict[int, int] = {}
    for lot_id in order:
        if amount == 0:
            break
        available = remaining[lot_id]
        if available <= 0:
            continue
        part = min(available, amount)
        remaining[lot_id] = available - part
        taken[lot_id] = part
        amount -= part
    if amount:
        taken[-1] = amount
    return taken


async def write_lots(
    conn: AsyncConnection, remaining: dict[int, int], changed: Iterable[int]
) -> None:
    if changed:
        await conn.execute(
            update(lots)
            .where(lots.c.id == bindparam("lot_id"))
            .values(remaining_minor=bindparam("new_remaining")),
            [{"lot_id": k, "new_remaining": remaining[k]} for k in changed],
        )


async def expire_lots(deps: Deps, account: LockedAccount) -> int:
    """Write off what is left of lots past their expiry, one entry per lot; how many."""
    stale = (
        await account.conn.execute(
            select(lots.c.id, lots.c.remaining_minor, lots.c.purchased_at, lots.c.expires_at)
            .where(
                lots.c.account_id == account.id,
                lots.c.remaining_minor > 0,
                lots.c.expires_at <= deps.clock.now(),
            )
            .order_by(lots.c.expires_at, lots.c.id)
        )
    ).all()
    for lot in stale:
        await append(
            deps,
            account,
            EntryKind.EXPIRY,
            -lot.remaining_minor,
            EXPIRY,
            shown.stored(shown.EXPIRED, date=f"{lot.purchased_at:%Y-%m-%d}"),
            f"expiry:{lot.id}",
            request_hash("expiry", lot.id, lot.remaining_minor),
            occurred_at=lot.expires_at,
        )
        await account.conn.execute(
            update(lots).where(lots.c.id == lot.id).values(remaining_minor=0)
        )
    return len(stale)


async def entry_by_key(conn: AsyncConnection, account_id: int, key: str) -> Row[Any] | None:
    query = select(ledger_entries).where(
        ledger_entries.c.account_id == account_id, ledger_entries.c.idempotency_key == key
    )
    return (await conn.execute(query)).one_or_none()


def usage_in_window(
    account_id: int | ColumnElement[int],
    since: datetime | ColumnElement[datetime],
    until: datetime | ColumnElement[datetime],
) -> Select[int]:
    """The usage after `since` up to `until` (the last week: `burn_window`), summed (negative
    minor units): `burn_of` makes it a rate."""
    return select(func.coalesce(func.sum(ledger_entries.c.amount_minor), 0)).where(
        ledger_entries.c.account_id == account_id,
        ledger_entries.c.kind == EntryKind.USAGE.value,
        ledger_entries.c.occurred_at > since,
        ledger_entries.c.occurred_at <= until,
    )


def burn_window(now: datetime) -> tuple[datetime, datetime]:
    return now - BURN_WINDOW, now


def burn_of(spent: int) -> Decimal:
    """Usage per day, averaged over the last week, from `usage_in_window`'s sum."""
    return Decimal(-int(spent)) / BURN_WINDOW.days


async def burn_per_day(conn: AsyncConnection, account_id: int, now: datetime) -> Decimal:
    """Usage per day, averaged over the last week."""
    spent = (await conn.execute(usage_in_window(account_id, *burn_window(now)))).scalar_one()
    return burn_of(spent)


def entry_view(row: Row[Any], cur: Currency) -> Entry:
    return Entry(
        seq=row.seq,
        kind=EntryKind(row.kind),
        amount=Money.from_minor(row.amount_minor, cur),
        balance_after=Money.from_minor(row.balance_after_minor, cur),
        actor=Actor(row.actor_id, row.actor_name),
        reason=row.reason,
        idempotency_key=row.idempotency_key,
        occurred_at=row.occurred_at,
        created_at=row.created_at,
    )
