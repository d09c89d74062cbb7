"""Concurrency on real databases: many concurrent changes to one account, in one process, over
two services (replicas) on one database, and from two OS processes racing on the same SQLite
file or PostgreSQL schema (docs/design.md sections 2 and 11)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from proc_worker import ADA, Child, child_env
from records import call
from sqlalchemy import select

from credits.clock import ManualClock
from credits.models import AlertKind, EntryKind
from credits.payments import SandboxGateway
from credits.schema import accounts, ledger_entries, payments
from credits.service import CreditsService

if TYPE_CHECKING:
    from conftest import Backend, ServiceFactory

T = "tenant-a"


async def assert_consistent(service: CreditsService, tenant: str = T) -> int:
    totals = await service.verify(tenant)
    assert totals["stored"] == totals["entries"] == totals["lots_minus_debt"], totals
    return totals["stored"]


async def ledger(service: CreditsService, tenant: str = T) -> list[Any]:
    async with service.db.read() as conn:
        return list(
            (
                await conn.execute(
                    select(ledger_entries)
                    .join(accounts, accounts.c.id == ledger_entries.c.account_id)
                    .where(accounts.c.tenant_id == tenant)
                    .order_by(ledger_entries.c.seq)
                )
            ).all()
        )


async def payment_rows(service: CreditsService) -> list[Any]:
    async with service.db.read() as conn:
        return list((await conn.execute(select(payments).order_by(payments.c.id))).all())


def journal_rows(journal: Path) -> list[dict[str, Any]]:
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text().splitlines()]


# ---------------------------------------------------------------------- in one process


async def _debits_and_credits(services: list[CreditsService], pairs: int) -> int:
    """`pairs` purchases and `pairs` call records at once, spread over `services`; the expected
    balance in minor units. Every amount differs, so a lost or doubled update shows."""
    funds = [Decimal(10 + n) + Decimal(n) / 100 for n in range(pairs)]  # 10.00, 11.01, ...
    charges = [Decimal(n + 1) + Decimal(n + 3) / 100 for n in range(pairs)]  # 1.03, ...
    jobs = []
    for n in range(pairs):
        jobs.append(services[n % len(services)].add_funds(T, funds[n], ADA, f"buy-{n}"))
        jobs.append(
            services[(n + 1) % len(services)].ingest_usage([call(f"c-{n}", charges[n], tenantId=T)])
        )
    results = await asyncio.gather(*jobs)
    funded = results[0::2]
    assert not any(r.replayed for r in funded)
    assert all(o.status.value == "applied" for outcomes in results[1::2] for o in outcomes)
    return int((sum(funds) - sum(charges)) * 100)


async def _assert_exact_ledger(service: CreditsService, expected: int, entries: int) -> None:
    rows = await ledger(service)
    assert [r.seq for r in rows] == list(range(1, entries + 1))  # no gaps, no duplicates
    running = 0
    for row in rows:  # every entry's balance_after follows the one before it
        running += row.amount_minor
        assert row.balance_after_minor == running
    assert running == expected
    assert (await service.account(T)).balance.minor == expected
    assert await assert_consistent(service) == expected
    assert [r.kind for r in rows].count(EntryKind.FUNDING.value) == entries // 2


async def test_concurrent_debits_and_credits_on_one_service(
    make_service: ServiceFactory,
) -> None:
    service = await make_service()
    expected = await _debits_and_credits([service], 25)
    await _assert_exact_ledger(service, expected, 50)


async def test_concurrent_debits_and_credits_on_two_replicas(make_service: ServiceFactory) -> None:
    first, second = await make_service(), await make_service()
    assert first.db is not second.db  # two engines, as two replicas would have
    expected = await _debits_and_credits([first, second], 25)
    await _assert_exact_ledger(first, expected, 50)
    await _assert_exact_ledger(second, expected, 50)


# ---------------------------------------------------------------------- two OS processes


@pytest.fixture
async def parent(backend: Backend, tmp_path: Path) -> AsyncIterator[CreditsService]:
    """The parent's own service on the test's database, with a clock at the real time (the
    workers use the system clock) and the same sandbox journal as the workers."""
    journal = tmp_path / "gateway.jsonl"
    service = await CreditsService.open(
        backend.config(sandbox_journal=journal),
        SandboxGateway(journal=journal),
        ManualClock(datetime.now(UTC)),
    )
    try:
        yield service
    finally:
        await service.close()


async def _race(children: list[Child]) -> None:
    """Start together: wait until every worker is ready, then release them all at once."""
    for child in children:
        await child.expect("ready")
    await asyncio.gather(*(child.go() for child in children))
    for child in children:
        assert await child.finish() == 0, (child.lines, child.stderr)


@pytest.mark.slow
async def test_two_processes_debiting_one_account_recharge_it_exactly_once(
    backend: Backend, parent: CreditsService, tmp_path: Path
) -> None:
    await parent.adjust(T, "60", ADA, "opening balance", "open")
    await parent.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="50")
    journal = tmp_path / "gateway.jsonl"
    env = child_env(backend.env(), sandbox_journal=journal)
    children: list[Child] = []
    try:
        for name in ("p1", "p2"):
            children.append(
                await Child.start("usage", T, name, "20", env=env, cwd=tmp_path, name=name)
            )
        await _race(children)
    finally:
        for child in children:
            await child.close()
    assert [c.said("done")[0].split()[1] for c in children] == ["20", "20"]
    # between them the two workers called the gateway exactly once
    calls = [int(c.said("gateway-calls")[0].split()[1]) for c in children]
    assert sum(calls) == 1, calls
    [payment] = [p for p in await payment_rows(parent) if p.kind == "auto_recharge"]
    assert payment.status == "succeeded" and payment.amount_minor == 10000
    assert payment.attempts == 1
    assert [r["key"] for r in journal_rows(journal)] == [payment.idempotency_key]
    assert payment.reference == journal_rows(journal)[0]["reference"]
    rows = await ledger(parent)
    assert [r.kind for r in rows].count(EntryKind.USAGE.value) == 40
    [recharge] = [r for r in rows if r.kind == EntryKind.AUTO_RECHARGE.value]
    assert recharge.idempotency_key == payment.idempotency_key
    assert recharge.seq == payment.entry_seq
    assert [r.seq for r in rows] == list(range(1, 43))
    # the recharge was made by the debit that first left the balance below the trigger
    crossing = next(r for r in rows if r.balance_after_minor < 5000)
    assert payment.cause_seq == crossing.seq
    assert await assert_consistent(parent) == 6000 - 4000 + 10000
    view = await parent.account(T)
    assert view.balance.minor == 12000 and not view.recharge_in_progress
    kinds = [a.kind for a in await parent.list_alerts(T)]
    assert kinds.count(AlertKind.RECHARGE_SUCCEEDED) == 1
    assert await parent.process_payments("parent") == []


@pytest.mark.slow
async def test_double_click_reaching_two_processes_adds_funds_once(
    backend: Backend, parent: CreditsService, tmp_path: Path
) -> None:
    await parent.adjust(T, "5", ADA, "opening balance", "open")  # the account exists
    journal = tmp_path / "gateway.jsonl"
    env = child_env(backend.env(), sandbox_journal=journal)
    children: list[Child] = []
    try:
        for name in ("p1", "p2"):
            children.append(
                await Child.start(
                    "add-funds", T, "25.50", "click-1", env=env, cwd=tmp_path, name=name
                )
            )
        await _race(children)
    finally:
        for child in children:
            await child.close()
    funded = [c.said("funded")[0].split() for c in children]
    # both answer with the same entry and balance; one did it, the other saw it done
    assert {(seq, balance) for _, seq, _, balance in funded} == {("2", "3050")}, funded
    assert sorted(replayed for _, _, replayed, _ in funded) == ["False", "True"], funded
    [payment] = await payment_rows(parent)
    assert payment.kind == "purchase" and payment.status == "succeeded"
    assert payment.entry_seq == 2
    # one charge at the gateway for that key (a repeated call is answered from its memory)
    keys = [r["key"] for r in journal_rows(journal)]
    assert keys == [payment.idempotency_key], keys
    rows = await ledger(parent)
    assert [(r.seq, r.kind, r.amount_minor) for r in rows] == [
        (1, EntryKind.ADJUSTMENT.value, 500),
        (2, EntryKind.FUNDING.value, 2550),
    ]
    assert await assert_consistent(parent) == 3050
    replay = await parent.add_funds(T, "25.50", ADA, "click-1")
    assert replay.replayed and replay.entry.seq == 2
    assert parent.gateway.calls == []  # type: ignore[attr-defined]
