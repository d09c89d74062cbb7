"""Numbered receipts and monthly statements in the domain, on SQLite and PostgreSQL: each purchase
and auto-recharge that succeeds takes the account's next receipt number (interleaved, replayed,
declined, concurrent on two replicas: 1..N with no gap and no repeat); a month's statement has
the opening balance, each kind's count and sum (purchase, auto-recharge, usage, expiry,
adjustment) and the closing balance, which is always the opening plus the month's entries and,
for the month under way, the balance `verify()` computes; months are UTC; a month not begun or
before the account is refused; another tenant's receipts are never shown. The migration numbers
the payments of a 0003 database."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from alembic import command
from records import call
from sqlalchemy import select

from credits.alert_payloads import RechargeSucceeded
from credits.clock import ManualClock
from credits.db import Database, alembic_config
from credits.errors import NotFoundError, ValidationError
from credits.models import Actor, AlertKind, EntryKind, PaymentKind
from credits.payments import SandboxGateway
from credits.schema import UTCDateTime, accounts, payments
from credits.service import CreditsService
from credits.statement import month_asked
from credits.statement_models import StatementMonth

if TYPE_CHECKING:
    from conftest import Backend, ServiceFactory

T, OTHER = "tenant-a", "tenant-b"
ADA = Actor("aad-ada", "Nguyễn Văn An")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def usage(record_id: str, charge: str, now: datetime, tenant: str = T) -> dict[str, Any]:
    return call(record_id, charge, tenantId=tenant, startDateTime=f"{now:%Y-%m-%dT%H:%M:%SZ}")


async def receipt_numbers(service: CreditsService, tenant: str = T) -> list[tuple[str, Any]]:
    """(kind, receipt number) of the tenant's payments, in payment order."""
    async with service.db.read() as conn:
        rows = (
            await conn.execute(
                select(payments.c.kind, payments.c.receipt_no)
                .join(accounts, accounts.c.id == payments.c.account_id)
                .where(accounts.c.tenant_id == tenant)
                .order_by(payments.c.id)
            )
        ).all()
    return [(row.kind, row.receipt_no) for row in rows]


async def consistent(service: CreditsService, tenant: str = T) -> int:
    totals = await service.verify(tenant)
    assert totals["stored"] == totals["entries"] == totals["lots_minus_debt"], totals
    return totals["stored"]


# ---------------------------------------------------------------------- receipt numbers


async def test_purchases_and_recharges_take_the_next_number_in_turn(
    service: CreditsService, clock: ManualClock, gateway: SandboxGateway
) -> None:
    first = await service.add_funds(T, "50", ADA, "buy-1")
    assert first.payment is not None and first.payment.receipt_no == 1
    await service.set_auto_recharge(T, ADA, enabled=True, amount="40", trigger="20")
    await service.ingest_usage([usage("c1", "35", clock.now())])  # 15 left: below 20
    [recharged] = await service.process_payments("w")
    assert recharged.status.value == "succeeded"
    second = await service.add_funds(T, "25", ADA, "buy-2")
    assert second.payment is not None and second.payment.receipt_no == 3
    gateway.decline_tenants = frozenset({T})
    with pytest.raises(Exception, match="declined"):
        await service.add_funds(T, "30", ADA, "buy-declined")
    gateway.decline_tenants = frozenset()
    await service.ingest_usage([usage("c2", "70", clock.now())])  # 10 left
    await service.process_payments("w")
    again = await service.add_funds(T, "25", ADA, "buy-2")  # a replay keeps its number
    assert again.replayed and again.payment is not None and again.payment.receipt_no == 3

    assert await receipt_numbers(service) == [
        ("purchase", 1),
        ("auto_recharge", 2),
        ("purchase", 3),
        ("purchase", None),  # declined: no receipt
        ("auto_recharge", 4),
    ]
    assert (await service.receipt_range(T)).last == 4
    alerts = await service.list_alerts(T)
    numbers = [
        a.payload.receipt_no
        for a in alerts
        if a.kind is AlertKind.RECHARGE_SUCCEEDED and isinstance(a.payload, RechargeSucceeded)
    ]
    assert sorted(n for n in numbers if n is not None) == [2, 4]
    receipt = await service.receipt(T, 2)
    assert receipt.kind is PaymentKind.AUTO_RECHARGE and receipt.amount.amount == Decimal("40")
    assert receipt.balance_after.amount == Decimal("55") and receipt.reference
    await consistent(service)


async def test_concurrent_purchases_on_two_replicas_are_numbered_1_to_n(
    make_service: ServiceFactory,
) -> None:
    """Two services on one database (replicas) buy at once: every receipt number from 1 to N is
    given exactly once, in the order the purchases were credited."""
    one, two = await make_service(), await make_service()
    n = 24
    results = await asyncio.gather(
        *((one if i % 2 else two).add_funds(T, Decimal(10 + i), ADA, f"buy-{i}") for i in range(n))
    )
    numbers = sorted(r.payment.receipt_no for r in results if r.payment is not None)
    assert numbers == list(range(1, n + 1))
    by_entry = sorted(results, key=lambda r: r.entry.seq)
    assert [r.payment.receipt_no for r in by_entry if r.payment] == list(range(1, n + 1))
    assert (await one.receipt_range(T)).last == n
    await consistent(one)


async def test_each_tenant_numbers_its_own_receipts(service: CreditsService) -> None:
    for n in range(3):
        await service.add_funds(OTHER, "10", ADA, f"other-{n}")
    await service.add_funds(T, "20", ADA, "mine-1")
    mine = await service.receipt(T, 1)
    assert (mine.tenant_id, mine.amount.amount) == (T, Decimal("20"))
    with pytest.raises(NotFoundError) as refused:
        await service.receipt(T, 3)  # tenant-b's third receipt is tenant-b's
    assert str(refused.value) == "There is no receipt 3 here. Receipts here run from 1 to 1."
    assert (await service.receipt(OTHER, 3)).tenant_id == OTHER


async def test_a_receipt_that_does_not_exist_says_what_there_is(service: CreditsService) -> None:
    await service.account(T)
    with pytest.raises(NotFoundError, match="there are no receipts here yet"):
        await service.receipt(T, 1)
    await service.add_funds(T, "20", ADA, "k")
    for number in (0, -1, 2, 10**30):
        with pytest.raises(NotFoundError, match="run from 1 to 1"):
            await service.receipt(T, number)
    with pytest.raises(NotFoundError, match="No account for tenant 'nobody'"):
        await service.receipt("nobody", 1)


# ---------------------------------------------------------------------- statements


async def _a_year_of_entries(service: CreditsService, clock: ManualClock) -> None:
    """Every kind of entry, with some right at the month boundaries (UTC)."""
    clock.set(at(2025, 10, 10, 9))
    await service.add_funds(T, "100", ADA, "oct-2025")  # receipt 1; its lot expires 2026-10-10
    clock.set(at(2026, 10, 20, 12))
    await service.add_funds(T, "50", ADA, "oct-2026")  # receipt 2
    clock.set(datetime(2026, 11, 1, 6, 59, 59, tzinfo=timezone(timedelta(hours=7))))
    await service.adjust(T, "5", ADA, "credit note", "adj-1")  # 23:59:59 UTC on 31 Oct
    clock.set(at(2026, 11, 1))  # the first moment of November
    await service.add_funds(T, "30", ADA, "nov-1")  # receipt 3
    clock.set(at(2026, 11, 5))
    await service.run_checks()  # the October 2025 lot expired: its $100 leaves
    await service.set_auto_recharge(T, ADA, enabled=True, amount="40", trigger="20")
    clock.set(at(2026, 11, 6))
    await service.ingest_usage([usage("nov-call", "70", clock.now())])  # 15 left
    await service.process_payments("w")  # receipt 4: +40
    clock.set(at(2026, 11, 30, 23, 59, 59))
    await service.adjust(T, "-3", ADA, "correction", "adj-2")
    clock.set(at(2026, 12, 1))
    await service.ingest_usage([usage("dec-call", "1", clock.now())])


async def test_a_month_with_every_kind_of_entry(
    service: CreditsService, clock: ManualClock
) -> None:
    await _a_year_of_entries(service, clock)
    november = await service.statement(T, 2026, 11)
    assert november.complete and november.balanced
    assert november.opening.amount == Decimal("155")  # 100 + 50 + the 5 of 31 October
    figures = {total.kind: (total.count, total.total.amount) for total in november.totals}
    assert figures == {
        EntryKind.FUNDING: (1, Decimal("30")),
        EntryKind.AUTO_RECHARGE: (1, Decimal("40")),
        EntryKind.USAGE: (1, Decimal("-70")),
        EntryKind.EXPIRY: (1, Decimal("-100")),
        EntryKind.ADJUSTMENT: (1, Decimal("-3")),
    }
    assert november.closing.amount == Decimal("52") == november.opening.amount + Decimal("-103")
    assert [(r.number, r.kind) for r in november.receipts] == [
        (3, PaymentKind.PURCHASE),
        (4, PaymentKind.AUTO_RECHARGE),
    ]
    lines = [line async for line in service.statement_lines(november)]
    assert [line.entry.kind for line in lines] == [
        EntryKind.FUNDING,
        EntryKind.EXPIRY,
        EntryKind.USAGE,
        EntryKind.AUTO_RECHARGE,
        EntryKind.ADJUSTMENT,
    ]
    assert [line.receipt_no for line in lines] == [3, None, None, 4, None]
    assert sum(line.entry.amount.minor for line in lines) == november.net.minor
    assert lines[-1].entry.balance_after == november.closing


async def test_months_follow_on_and_the_month_under_way_ends_at_the_balance(
    service: CreditsService, clock: ManualClock
) -> None:
    await _a_year_of_entries(service, clock)
    months = [(2025, 10), (2025, 11), (2026, 9), (2026, 10), (2026, 11), (2026, 12)]
    statements = [await service.statement(T, y, m) for y, m in months]
    for earlier, later in itertools.pairwise(statements):
        assert earlier.closing == later.opening
        assert earlier.balanced
    first, empty, october = statements[0], statements[1], statements[3]
    assert (first.opening.minor, first.closing.amount) == (0, Decimal("100"))
    assert not first.has_previous and first.has_next
    assert empty.entries == 0 and empty.opening == empty.closing and not empty.receipts
    assert october.of(EntryKind.ADJUSTMENT).total.amount == Decimal("5")  # 23:59:59 UTC
    assert [r.number for r in october.receipts] == [2]
    december = statements[-1]
    assert not december.complete and not december.has_next
    assert december.closing.minor == await consistent(service)  # the balance now


async def test_a_month_not_begun_or_before_the_account_is_refused(
    service: CreditsService, clock: ManualClock
) -> None:
    clock.set(at(2026, 3, 15))
    await service.add_funds(T, "20", ADA, "k")
    clock.set(at(2026, 11, 20))
    with pytest.raises(ValidationError) as future:
        await service.statement(T, 2026, 12)
    assert str(future.value) == (
        "December 2026 has not begun yet, so it has no statement. "
        "Statements run from March 2026 to November 2026."
    )
    with pytest.raises(ValidationError) as before:
        await service.statement(T, 2026, 2)
    assert str(before.value) == (
        "There is no statement for February 2026: the account was opened in March 2026. "
        "Statements run from March 2026 to November 2026."
    )
    with pytest.raises(NotFoundError):
        await service.statement("nobody", 2026, 11)


def test_a_month_named_without_a_year_is_the_latest_not_in_the_future() -> None:
    now = at(2026, 11, 20)
    assert month_asked(now, 11, None) == StatementMonth(2026, 11)
    assert month_asked(now, 10, None) == StatementMonth(2026, 10)
    assert month_asked(now, 12, None) == StatementMonth(2025, 12)
    assert month_asked(now, 12, 2026) == StatementMonth(2026, 12)  # refused later: not begun
    assert month_asked(now, None, None) == StatementMonth(2026, 11)
    assert month_asked(at(2026, 1, 3), None, None, months_ago=1) == StatementMonth(2025, 12)
    assert month_asked(
        datetime(2026, 12, 1, 6, tzinfo=timezone(timedelta(hours=7))), None, None
    ) == (
        StatementMonth(2026, 11)  # 23:00 UTC on 30 November
    )
    assert StatementMonth.parse("2026-11") == StatementMonth(2026, 11)
    assert [StatementMonth.parse(s) for s in ("2026-13", "1999-01", "2026/11", "", "11-2026")] == [
        None
    ] * 5


# ---------------------------------------------------------------------- the migration


def _to_0003(connection: Any) -> None:
    command.upgrade(alembic_config(connection), "0003")


# the two tables as revision 0003 has them (the columns these rows need)
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
    sa.column("created_at", UTCDateTime),
    sa.column("updated_at", UTCDateTime),
)
STORY = [  # payments in id order: whose and how they ended
    (T, "succeeded"),
    (OTHER, "succeeded"),
    (T, "declined"),
    (T, "succeeded"),
    (OTHER, "pending"),
    (T, "succeeded"),
    (OTHER, "succeeded"),
]


async def test_the_migration_numbers_the_payments_of_a_0003_database(backend: Backend) -> None:
    db = Database(backend.url, schema=backend.schema)
    now = at(2026, 11, 1)
    try:
        async with db.write() as conn:
            await conn.run_sync(_to_0003)
            for tenant in (T, OTHER):
                await conn.execute(
                    OLD_ACCOUNTS.insert().values(
                        tenant_id=tenant,
                        currency="USD",
                        alert_thresholds=[],
                        alert_armed={},
                        created_at=now,
                    )
                )
            found = await conn.execute(sa.select(OLD_ACCOUNTS.c.tenant_id, OLD_ACCOUNTS.c.id))
            ids = {row[0]: row[1] for row in found.all()}
            for n, (tenant, status) in enumerate(STORY):
                await conn.execute(
                    OLD_PAYMENTS.insert().values(
                        account_id=ids[tenant],
                        kind="purchase" if n % 3 else "auto_recharge",
                        amount_minor=1000,
                        status=status,
                        idempotency_key=f"k{n}",
                        request_hash="h",
                        actor_id="aad-ada",
                        actor_name="Ada",
                        attempts=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
        await db.migrate()
        async with db.read() as conn:
            rows = (
                await conn.execute(
                    select(accounts.c.tenant_id, payments.c.status, payments.c.receipt_no)
                    .join(accounts, accounts.c.id == payments.c.account_id)
                    .order_by(payments.c.id)
                )
            ).all()
            found = await conn.execute(select(accounts.c.tenant_id, accounts.c.last_receipt_no))
            last = {row[0]: row[1] for row in found.all()}
        assert [(r.tenant_id, r.receipt_no) for r in rows] == [
            (T, 1),
            (OTHER, 1),
            (T, None),
            (T, 2),
            (OTHER, None),
            (T, 3),
            (OTHER, 2),
        ]
        assert last == {T: 3, OTHER: 2}
    finally:
        await db.dispose()
    # the next purchase after the upgrade takes the next number
    service = CreditsService(Database(backend.url, schema=backend.schema), backend.config())
    try:
        result = await service.add_funds(T, "10", ADA, "after-upgrade")
        assert result.payment is not None and result.payment.receipt_no == 4
    finally:
        await service.close()
