"""Migration 0004 numbers the receipts of the payments that succeeded before it, on SQLite and
PostgreSQL: per account in the order they were credited (their ledger entries), not the order
the payments were made, so a database upgraded late has the numbers it would have had; the
receipts then read back with their ledger entries; thousands of payments are numbered in one
statement (it used to count every earlier payment for each one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import command
from records import call
from sqlalchemy import select

from credits.clock import ManualClock
from credits.db import Database, alembic_config
from credits.models import Actor, PaymentKind
from credits.schema import UTCDateTime, accounts, payments
from credits.service import CreditsService

if TYPE_CHECKING:
    from conftest import Backend, ServiceFactory

T, OTHER = "tenant-a", "tenant-b"
ADA = Actor("aad-ada", "Ada Admin")
NOW = datetime(2026, 11, 1, tzinfo=UTC)


async def numbers(db: Database) -> list[tuple[str, int, Any]]:
    """(tenant, payment id, receipt number) of every payment, in payment id order."""
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(accounts.c.tenant_id, payments.c.id, payments.c.receipt_no)
                .join(accounts, accounts.c.id == payments.c.account_id)
                .order_by(payments.c.id)
            )
        ).all()
    return [(row.tenant_id, row.id, row.receipt_no) for row in rows]


async def last_numbers(db: Database) -> dict[str, int]:
    async with db.read() as conn:
        found = await conn.execute(select(accounts.c.tenant_id, accounts.c.last_receipt_no))
        return {row[0]: row[1] for row in found.all()}


def _down_to_0003(connection: Any) -> None:
    command.downgrade(alembic_config(connection), "0003")


async def test_a_late_upgrade_numbers_receipts_in_the_order_they_were_credited(
    make_service: ServiceFactory, clock: ManualClock, backend: Backend
) -> None:
    """An auto-recharge's payment is made before a purchase but credited after it: the live
    numbers follow the crediting, and so do the ones the migration gives a 0003 database."""
    clock.set(NOW)
    service = await make_service()
    await service.add_funds(T, "100", ADA, "first")  # payment 1, receipt 1
    await service.set_auto_recharge(T, ADA, enabled=True, amount="60", trigger="50")
    await service.ingest_usage([call("c1", "70", tenantId=T, startDateTime="2026-11-01T00:00:00Z")])
    await service.add_funds(T, "10", ADA, "second")  # the recharge's payment is waiting
    await service.process_payments("w")  # now the recharge is credited
    await service.add_funds(OTHER, "10", ADA, "theirs")
    live = await numbers(service.db)
    kinds = [(await service.receipt(T, n)).kind for n in (1, 2, 3)]
    assert kinds == [PaymentKind.PURCHASE, PaymentKind.PURCHASE, PaymentKind.AUTO_RECHARGE]
    assert [n for tenant, _, n in live if tenant == T] == [1, 3, 2]  # payment id order
    await service.close()

    db = Database(backend.url, schema=backend.schema)
    try:
        async with db.write() as conn:
            await conn.run_sync(_down_to_0003)
        await db.migrate()
        assert await numbers(db) == live
        assert await last_numbers(db) == {T: 3, OTHER: 1}
    finally:
        await db.dispose()
    upgraded = CreditsService(Database(backend.url, schema=backend.schema), backend.config())
    try:
        first = await upgraded.receipt(T, 1)
        recharge = await upgraded.receipt(T, 3)
        assert (first.amount.minor, first.balance_after.minor) == (10000, 10000)
        assert recharge.kind is PaymentKind.AUTO_RECHARGE and recharge.balance_after.minor == 10000
        assert [r.number for r in (await upgraded.statement(T, 2026, 11)).receipts] == [1, 2, 3]
        result = await upgraded.add_funds(T, "10", ADA, "after-upgrade")
        assert result.payment is not None and result.payment.receipt_no == 4
    finally:
        await upgraded.close()


OLD_ACCOUNTS = sa.table(
    "accounts",
    sa.column("id", sa.Integer),
    sa.column("tenant_id", sa.String),
    sa.column("currency", sa.String),
    sa.column("alert_thresholds", sa.JSON),
    sa.column("alert_armed", sa.JSON),
    sa.column("created_at", UTCDateTime),
)
OLD_PAYMENTS = sa.table(
    "payments",
    *(sa.column(name, sa.String) for name in ("kind", "status", "idempotency_key")),
    *(sa.column(name, sa.String) for name in ("request_hash", "actor_id", "actor_name")),
    sa.column("account_id", sa.Integer),
    sa.column("amount_minor", sa.BigInteger),
    sa.column("attempts", sa.Integer),
    sa.column("entry_seq", sa.BigInteger),
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)
MANY = 5000


def _payment(account_id: int, n: int, status: str, entry_seq: int | None) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "kind": "purchase",
        "amount_minor": 100,
        "status": status,
        "idempotency_key": f"k{account_id}-{n}",
        "request_hash": "h",
        "actor_id": "aad-ada",
        "actor_name": "Ada",
        "attempts": 1,
        "entry_seq": entry_seq,
        "created_at": NOW,
        "updated_at": NOW,
    }


async def test_thousands_of_payments_are_numbered_in_one_go(backend: Backend) -> None:
    """5,000 succeeded payments of one account, credited in the reverse of the order they were
    made, every tenth one declined; and a few of another account."""
    db = Database(backend.url, schema=backend.schema)
    try:
        async with db.write() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0003"))
            for tenant in (T, OTHER):
                await conn.execute(
                    OLD_ACCOUNTS.insert().values(
                        tenant_id=tenant,
                        currency="USD",
                        alert_thresholds=[],
                        alert_armed={},
                        created_at=NOW,
                    )
                )
            found = await conn.execute(sa.select(OLD_ACCOUNTS.c.tenant_id, OLD_ACCOUNTS.c.id))
            ids = {row[0]: row[1] for row in found.all()}
            rows = [
                _payment(ids[T], n, "declined", None)
                if n % 10 == 9
                else _payment(ids[T], n, "succeeded", MANY - n)
                for n in range(MANY)
            ]
            rows += [_payment(ids[OTHER], n, "succeeded", n + 1) for n in range(3)]
            await conn.execute(OLD_PAYMENTS.insert(), rows)
        await db.migrate()
        found_numbers = await numbers(db)
        mine = [n for tenant, _, n in found_numbers if tenant == T]
        succeeded = MANY - MANY // 10
        # made last, credited first: numbered from the end
        assert [n for n in mine if n is not None] == list(range(succeeded, 0, -1))
        assert [n is None for n in mine] == [n % 10 == 9 for n in range(MANY)]
        assert [n for tenant, _, n in found_numbers if tenant == OTHER] == [1, 2, 3]
        assert await last_numbers(db) == {T: succeeded, OTHER: 3}
    finally:
        await db.dispose()
