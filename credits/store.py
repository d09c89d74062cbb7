"""The transaction helper: every change to an account runs as

    async with deps.store.locked(tenant_id) as account:
        ...

which opens ONE write transaction, locks the tenant's account row (SELECT ... FOR UPDATE; on
SQLite the write transaction itself serialises), creating it on first use, and yields it as a
typed, mutable `LockedAccount`. On a normal exit the fields that changed are written back in one
UPDATE; on an exception the transaction rolls back and nothing is written.

The balance and the last seq are never written back: the ledger's triggers move them when an
entry is inserted (credits/triggers.py), and `ledger.append` keeps the object in step.

Also here: the read-side account row (no lock, created on first use), the dialect's upsert
INSERT, leasing due rows to a worker, and `Deps`, what every domain module shares.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self

from sqlalchemy import ColumnElement, Row, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from credits.clock import Clock
from credits.config import CreditsConfig
from credits.db import Database
from credits.errors import ValidationError
from credits.i18n import t
from credits.money import Currency, currency
from credits.payments import PaymentGateway
from credits.prepared import Found
from credits.schema import accounts

SAVED = (
    "debt_minor",
    "settings_version",
    "recharge_enabled",
    "recharge_amount_minor",
    "recharge_trigger_minor",
    "recharge_paused",
    "recharge_armed",
    "consecutive_declines",
    "daily_recharge_limit",
    "monthly_recharge_cap_minor",
    "max_recharge_minor",
    "last_receipt_no",
    "alert_thresholds",
    "alert_armed",
)
"""The fields written back. Not the others: fixed when the account is made (id, tenant,
currency, created_at), or moved only by the ledger's triggers (balance, last seq)."""


@dataclass(slots=True, kw_only=True)
class Account:
    """The `accounts` row, typed."""

    id: int
    tenant_id: str
    currency: Currency
    balance_minor: int
    last_seq: int
    debt_minor: int  # usage no lot covered (balance = open lots - debt)
    settings_version: int
    recharge_enabled: bool
    recharge_amount_minor: int | None
    recharge_trigger_minor: int | None
    recharge_paused: bool
    recharge_armed: bool
    consecutive_declines: int
    daily_recharge_limit: int | None
    monthly_recharge_cap_minor: int | None
    max_recharge_minor: int | None
    last_receipt_no: int
    alert_thresholds: list[int]
    alert_armed: dict[str, bool]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any] | Found, **extra: Any) -> Self:
        """The row typed (`extra`: a subclass's own fields)."""
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            currency=currency(row.currency),
            balance_minor=row.balance_minor,
            last_seq=row.last_seq,
            debt_minor=row.debt_minor,
            settings_version=row.settings_version,
            recharge_enabled=row.recharge_enabled,
            recharge_amount_minor=row.recharge_amount_minor,
            recharge_trigger_minor=row.recharge_trigger_minor,
            recharge_paused=row.recharge_paused,
            recharge_armed=row.recharge_armed,
            consecutive_declines=row.consecutive_declines,
            daily_recharge_limit=row.daily_recharge_limit,
            monthly_recharge_cap_minor=row.monthly_recharge_cap_minor,
            max_recharge_minor=row.max_recharge_minor,
            last_receipt_no=row.last_receipt_no,
            alert_thresholds=list(row.alert_thresholds),
            alert_armed=dict(row.alert_armed),
            created_at=row.created_at,
            **extra,
        )


@dataclass(slots=True, kw_only=True)
class LockedAccount(Account):
    """The account row locked by this write transaction, with its connection."""

    conn: AsyncConnection
    saved: dict[str, object] = field(default_factory=dict)  # the saved fields as stored

    @classmethod
    def locked(cls, conn: AsyncConnection, row: Row[Any]) -> LockedAccount:
        account = cls.from_row(row, conn=conn)
        account.saved = {name: _copy(getattr(account, name)) for name in SAVED}
        return account

    def changes(self) -> dict[str, object]:
        """The saved fields that differ from the database, with their new values."""
        return {
            name: _copy(getattr(self, name))
            for name, stored in self.saved.items()
            if getattr(self, name) != stored
        }


def _copy(value: object) -> object:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


HELD = "credits.held_accounts"


@asynccontextmanager
async def _held_once(account: LockedAccount) -> AsyncIterator[None]:
    """Refuse to hold one account twice in one transaction: the outer block's write-back would
    put its older snapshot over the inner block's changes."""
    held: set[int] = account.conn.info.setdefault(HELD, set())
    if account.id in held:
        raise RuntimeError(f"account {account.id} is already held in this transaction")
    held.add(account.id)
    try:
        yield
    finally:
        held.discard(account.id)


def tenant_key(tenant_id: str) -> str:
    """A tenant id as the store keeps it."""
    if not isinstance(tenant_id, str) or not tenant_id.strip() or len(tenant_id) > 100:
        raise ValidationError(t("A tenant id is required."))
    return tenant_id.strip()


class Store:
    """The database, with the account-locking transaction helper."""

    def __init__(self, db: Database, clock: Clock, default_currency: Currency) -> None:
        self.db = db
        self.clock = clock
        self.default_currency = default_currency

    @property
    def upsert_insert(self) -> Any:
        """The dialect's INSERT, which has ON CONFLICT DO NOTHING."""
        return pg_insert if self.db.dialect == "postgresql" else sqlite_insert

    @asynccontextmanager
    async def locked(self, tenant_id: str) -> AsyncIterator[LockedAccount]:
        """One write transaction holding the tenant's account (made on first use) locked."""
        async with self.db.write() as conn, self.holding(conn, tenant_id) as account:
            yield account

    @asynccontextmanager
    async def holding_id(
        self, conn: AsyncConnection, account_id: int
    ) -> AsyncIterator[LockedAccount]:
        """As `holding`, for an account known by its id (it exists)."""
        query = select(accounts).where(accounts.c.id == account_id).with_for_update()
        account = LockedAccount.locked(conn, (await conn.execute(query)).one())
        async with _held_once(account):
            yield account
            await self.save(account)

    @asynccontextmanager
    async def holding(self, conn: AsyncConnection, tenant_id: str) -> AsyncIterator[LockedAccount]:
        """Lock one more tenant in a write transaction already open (several tenants: lock
        them in sorted order). Its changes are written back when the block ends normally."""
        account = LockedAccount.locked(conn, await self._lock_row(conn, tenant_id))
        async with _held_once(account):
            yield account
            await self.save(account)

    async def save(self, account: LockedAccount) -> None:
        """Write the changed fields back in one UPDATE (none when nothing changed)."""
        changes = account.changes()
        if changes:
            await account.conn.execute(
                update(accounts).where(accounts.c.id == account.id).values(**changes)
            )
            account.saved.update({name: _copy(v) for name, v in changes.items()})

    async def _lock_row(self, conn: AsyncConnection, tenant_id: str) -> Row[Any]:
        """The tenant's account row, created on first use, locked until the transaction ends."""
        tenant_id = tenant_key(tenant_id)
        query = select(accounts).where(accounts.c.tenant_id == tenant_id).with_for_update()
        row = (await conn.execute(query)).one_or_none()
        if row is not None:
            return row
        values = {
            "tenant_id": tenant_id,
            "currency": self.default_currency.code,
            "alert_thresholds": [],
            "alert_armed": {},
            "created_at": self.clock.now(),
        }
        insert = self.upsert_insert
        await conn.execute(
            insert(accounts).values(**values).on_conflict_do_nothing(index_elements=["tenant_id"])
        )
        return (await conn.execute(query)).one()

    async def account(self, tenant_id: str) -> Account:
        """The tenant's account as it is now, without a lock; made on first use."""
        query = select(accounts).where(accounts.c.tenant_id == tenant_key(tenant_id))
        row = await self.db.run_read(lambda conn: conn.execute(query).one_or_none())
        if row is not None:
            return Account.from_row(row)
        async with self.db.write(quick=True) as conn:
            return Account.from_row(await self._lock_row(conn, tenant_id))

    async def claim(
        self,
        conn: AsyncConnection,
        table: Table,
        due: ColumnElement[bool],
        status: str,
        lease: timedelta,
        worker_id: str,
        limit: int,
    ) -> list[int]:
        """Take up to `limit` due rows for this worker, oldest first. Rows another worker is
        claiming right now are skipped (SKIP LOCKED on PostgreSQL; SQLite has one writer)."""
        query = (
            select(table.c.id)
            .where(due)
            .order_by(table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await conn.execute(query)).scalars())
        if ids:
            now = self.clock.now()
            values: dict[str, Any] = {
                "status": status,
                "claimed_by": worker_id,
                "lease_until": now + lease,
                "attempts": table.c.attempts + 1,
            }
            if "updated_at" in table.c:
                values["updated_at"] = now
            await conn.execute(update(table).where(table.c.id.in_(ids)).values(**values))
        return ids

    async def ping(self) -> None:
        async with self.db.read() as conn:
            await conn.execute(select(1))


@dataclass(frozen=True, slots=True)
class Deps:
    """What the domain modules share: the store, the settings, the clock and the gateway."""

    store: Store
    config: CreditsConfig
    clock: Clock
    gateway: PaymentGateway

    @property
    def db(self) -> Database:
        return self.store.db
