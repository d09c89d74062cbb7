"""Crashes (SIGKILL) at the worst moments, on a real SQLite file and a real PostgreSQL schema:
in the middle of a big usage transaction, and between a payment's charge and its credit.
Afterwards the store must be whole, and finishing the work must neither lose nor double money."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from proc_worker import ADA, Child, child_env, record
from sqlalchemy import func, select, text

from credits.clock import ManualClock
from credits.models import EntryKind, UsageStatus
from credits.payments import SandboxGateway
from credits.schema import ledger_entries, payments, usage_records
from credits.service import CreditsService

if TYPE_CHECKING:
    from conftest import Backend

pytestmark = pytest.mark.slow

T = "tenant-a"
LEASE = 60  # seconds; the workers' recharge lease
# one ingest_usage call (one transaction) writing its ledger entries in chunks of 500 (about
# 1.5 s on SQLite, 1 s on PostgreSQL when the machine is idle); the worker is killed as it starts
# the middle chunk, so half of its ledger entries and all its usage rows are still to come
BIG_BATCH = {"sqlite": 20_000, "postgres": 16_000}


@pytest.fixture
def clock() -> ManualClock:
    """The parent's clock starts at the real time (the workers run on the system clock)."""
    return ManualClock(datetime.now(UTC))


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """The sandbox gateway's journal, shared by the parent and the workers."""
    return tmp_path / "gateway.jsonl"


@pytest.fixture
async def parent(
    backend: Backend, clock: ManualClock, journal: Path
) -> AsyncIterator[CreditsService]:
    service = await CreditsService.open(
        backend.config(sandbox_journal=journal, recharge_lease_seconds=LEASE),
        SandboxGateway(journal=journal),
        clock,
    )
    try:
        yield service
    finally:
        await service.close()


async def assert_consistent(service: CreditsService, tenant: str = T) -> int:
    totals = await service.verify(tenant)
    assert totals["stored"] == totals["entries"] == totals["lots_minus_debt"], totals
    return totals["stored"]


async def count(service: CreditsService, table: Any) -> int:
    async with service.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def ledger(service: CreditsService) -> list[Any]:
    async with service.db.read() as conn:
        query = select(ledger_entries).order_by(ledger_entries.c.account_id, ledger_entries.c.seq)
        return list((await conn.execute(query)).all())


async def payment_rows(service: CreditsService) -> list[Any]:
    async with service.db.read() as conn:
        return list((await conn.execute(select(payments).order_by(payments.c.id))).all())


def journal_rows(journal: Path) -> list[dict[str, Any]]:
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text().splitlines()]


async def run_until(child: Child, line: str) -> str:
    """Let the worker run until it says `line`, then SIGKILL it at once."""
    try:
        said = await child.expect(line)
    finally:
        await child.close()  # SIGKILL, reap, drain
    return said


# ---------------------------------------------------------------------- a big usage batch


async def test_killed_in_the_middle_of_a_batch_applies_none_or_all_of_it(
    backend: Backend, parent: CreditsService, tmp_path: Path
) -> None:
    await parent.adjust(T, "100", ADA, "opening balance", "open")
    size = BIG_BATCH[backend.name]
    child = await Child.start(
        "big-batch", T, "big", str(size), env=child_env(backend.env()), cwd=tmp_path
    )
    await child.expect("start", within=60)
    await run_until(child, f"inserting {size // 500 // 2}")

    # it was killed inside the transaction: after it wrote ledger entries, before its commit
    assert not child.said("done") and not child.said("committing"), child.lines[-3:]
    assert child.process.returncode == -9, (child.lines[-3:], child.stderr)
    applied = await count(parent, usage_records)
    assert applied in (0, size)  # all or nothing, never a part...
    assert applied == 0  # ...and as the commit never began, nothing
    assert [(e.seq, e.amount_minor) for e in await ledger(parent)] == [(1, 10000)]
    assert await assert_consistent(parent) == 10000
    if backend.name == "sqlite":
        async with parent.db.read() as conn:
            assert (await conn.execute(text("PRAGMA integrity_check"))).scalar_one() == "ok"

    # the sender retries the whole batch: applied exactly once
    batch = [record(f"big-{n}", Decimal("0.01"), tenantId=T) for n in range(size)]
    outcomes = await parent.ingest_usage(batch)
    assert {o.status for o in outcomes} == {UsageStatus.APPLIED} and len(outcomes) == size
    again = await parent.ingest_usage(batch)
    assert {o.status for o in again} == {UsageStatus.DUPLICATE}
    assert await count(parent, usage_records) == size
    entries = await ledger(parent)
    assert [e.seq for e in entries] == list(range(1, size + 2))
    assert await assert_consistent(parent) == 10000 - size
    assert (await parent.account(T)).balance.amount == Decimal(10000 - size) / 100


# ---------------------------------------------------------------------- charged, never credited


async def test_recharge_charged_then_killed_is_finished_once_with_the_same_key(
    backend: Backend,
    parent: CreditsService,
    clock: ManualClock,
    journal: Path,
    tmp_path: Path,
) -> None:
    await parent.adjust(T, "60", ADA, "opening balance", "open")
    await parent.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="50")
    await parent.ingest_usage([record("u1", Decimal("20.00"), tenantId=T)])  # 40: below the trigger
    [pending] = await payment_rows(parent)
    assert (pending.kind, pending.status) == ("auto_recharge", "pending")

    env = child_env(
        backend.env(),
        sandbox_journal=journal,
        recharge_lease_seconds=LEASE,
        gateway_timeout_seconds=300,
    )
    child = await Child.start("recharge-hang", env=env, cwd=tmp_path)
    said = await run_until(child, "charged")
    _, key, reference = said.split()
    assert key == pending.idempotency_key
    assert not child.said("done")

    # the gateway approved, the worker died before the credit: nothing credited yet
    [stuck] = await payment_rows(parent)
    assert (stuck.status, stuck.attempts) == ("charging", 1)
    assert stuck.claimed_by is not None and stuck.claimed_by.startswith("proc-")
    assert [
        (r["key"], r["amount_minor"], r["approved"], r["reference"]) for r in journal_rows(journal)
    ] == [(key, 10000, True, reference)]
    assert await assert_consistent(parent) == 4000
    assert await parent.process_payments("parent") == []  # the dead worker's lease still holds

    clock.advance(timedelta(seconds=LEASE * 10))  # the lease runs out
    outcomes = await parent.process_payments("parent")
    assert [(o.status, o.kind) for o in outcomes] == [("succeeded", "auto_recharge")]
    gateway = parent.gateway
    assert isinstance(gateway, SandboxGateway)
    assert [c.idempotency_key for c in gateway.calls] == [key]  # the retry used the same key
    assert [r["key"] for r in journal_rows(journal)] == [key]  # ...and charged nothing new
    [done] = await payment_rows(parent)
    assert (done.status, done.attempts, done.reference) == ("succeeded", 2, reference)
    recharges = [e for e in await ledger(parent) if e.kind == EntryKind.AUTO_RECHARGE.value]
    assert [(e.idempotency_key, e.amount_minor, e.seq) for e in recharges] == [
        (key, 10000, done.entry_seq)
    ]
    assert await assert_consistent(parent) == 14000
    assert await parent.process_payments("parent") == []
    view = await parent.account(T)
    assert view.balance.minor == 14000 and not view.recharge_in_progress


async def test_purchase_charged_then_killed_is_finished_once_and_replays(
    backend: Backend,
    parent: CreditsService,
    clock: ManualClock,
    journal: Path,
    tmp_path: Path,
) -> None:
    env = child_env(
        backend.env(),
        sandbox_journal=journal,
        recharge_lease_seconds=LEASE,
        gateway_timeout_seconds=300,
    )
    child = await Child.start("purchase-hang", T, "50", "buy-1", env=env, cwd=tmp_path)
    said = await run_until(child, "charged")
    _, key, reference = said.split()
    assert key.startswith("purchase:") and key.endswith(":buy-1")
    assert not child.said("done")

    [stuck] = await payment_rows(parent)
    assert (stuck.kind, stuck.status, stuck.idempotency_key) == ("purchase", "charging", key)
    assert [(r["key"], r["approved"], r["reference"]) for r in journal_rows(journal)] == [
        (key, True, reference)
    ]
    assert await ledger(parent) == []
    assert await assert_consistent(parent) == 0
    assert await parent.process_payments("parent") == []  # the dead worker's lease still holds

    clock.advance(timedelta(seconds=LEASE * 10))
    outcomes = await parent.process_payments("parent")
    assert [(o.status, o.kind) for o in outcomes] == [("succeeded", "purchase")]
    gateway = parent.gateway
    assert isinstance(gateway, SandboxGateway)
    assert [c.idempotency_key for c in gateway.calls] == [key]
    assert [r["key"] for r in journal_rows(journal)] == [key]
    [done] = await payment_rows(parent)
    assert (done.status, done.attempts, done.reference) == ("succeeded", 2, reference)
    [entry] = await ledger(parent)
    assert (entry.kind, entry.amount_minor, entry.idempotency_key, entry.seq) == (
        EntryKind.FUNDING.value,
        5000,
        key,
        done.entry_seq,
    )
    assert (entry.actor_id, entry.actor_name) == (ADA.id, ADA.name)
    assert await assert_consistent(parent) == 5000

    # the admin's card is clicked again with the original key: the same result, no new charge
    replay = await parent.add_funds(T, "50", ADA, "buy-1")
    assert replay.replayed
    assert (replay.entry.seq, replay.entry.idempotency_key) == (entry.seq, key)
    assert replay.balance.minor == 5000 and replay.payment is not None
    assert replay.payment.status == "succeeded"
    assert len(gateway.calls) == 1
    assert await assert_consistent(parent) == 5000
