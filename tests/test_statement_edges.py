"""Where a month's statement begins and ends, on SQLite and PostgreSQL: the months split the
ledger exactly, by the order entries were recorded, even when two replicas' clocks disagree at
midnight; a read sees one state of the ledger, whatever is committed while it runs (PostgreSQL
reads each query in a snapshot of its own); the finance lines are the statement's own entries,
read after it, whatever was recorded since."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from records import call

from credits import statement_read
from credits.clock import ManualClock
from credits.models import Actor, EntryKind
from credits.service import CreditsService
from credits.statement_models import Statement

if TYPE_CHECKING:
    from conftest import ServiceFactory

T = "tenant-a"
ADA = Actor("aad-ada", "Ada Admin")


def at(*parts: int, ms: int = 0) -> datetime:
    return datetime(*parts, tzinfo=UTC) + timedelta(milliseconds=ms)  # type: ignore[misc]


async def lines_of(service: CreditsService, statement: Statement) -> list[Any]:
    return [line async for line in service.statement_lines(statement)]


async def test_months_split_the_ledger_exactly_when_clocks_disagree(
    service: CreditsService, clock: ManualClock
) -> None:
    """Entry 2 is stamped 00:00:00.5 on 1 December by one replica, entry 3 (recorded after it)
    23:59:59.8 on 30 November by another: November ends after entry 3, so entry 2 is November's
    too, and each month's opening plus its entries is its closing, which the next one opens."""
    clock.set(at(2026, 11, 10))
    await service.add_funds(T, "100", ADA, "buy")  # seq 1
    clock.set(at(2026, 12, 1, 0, 0, 0, ms=500))
    await service.adjust(T, "10", ADA, "credit note", "adj-late-clock")  # seq 2
    clock.set(at(2026, 11, 30, 23, 59, 59, ms=800))
    await service.adjust(T, "1", ADA, "credit note", "adj-early-clock")  # seq 3
    clock.set(at(2026, 12, 2))
    await service.adjust(T, "-4", ADA, "correction", "adj-december")  # seq 4
    clock.set(at(2026, 12, 5))

    november = await service.statement(T, 2026, 11)
    december = await service.statement(T, 2026, 12)
    assert november.balanced and december.balanced
    assert (november.opening.amount, november.closing.amount) == (0, Decimal("111"))
    assert november.of(EntryKind.ADJUSTMENT).count == 2
    assert december.opening == november.closing
    assert (december.entries, december.closing.amount) == (1, Decimal("107"))
    for month in (november, december):
        lines = await lines_of(service, month)
        assert len(lines) == month.entries
        assert sum(line.entry.amount.minor for line in lines) == month.net.minor
    assert [line.entry.seq for line in await lines_of(service, november)] == [1, 2, 3]
    assert [line.entry.seq for line in await lines_of(service, december)] == [4]


async def test_the_months_follow_on_whatever_order_the_clocks_gave(
    service: CreditsService, clock: ManualClock
) -> None:
    """Entries stamped back and forth across two month ends: every month balances and each
    opens with the closing balance of the one before; every entry is in exactly one month."""
    stamps = [
        at(2026, 9, 30, 23, 59, 59),
        at(2026, 10, 1, 0, 0, 1),
        at(2026, 9, 30, 23, 59, 58),  # an early clock
        at(2026, 10, 15),
        at(2026, 11, 1, 0, 0, 0, ms=200),
        at(2026, 10, 31, 23, 59, 59, ms=900),  # an early clock
        at(2026, 10, 31, 23, 59, 59, ms=950),
        at(2026, 11, 1, 0, 0, 2),
    ]
    clock.set(at(2026, 9, 1))
    await service.add_funds(T, "500", ADA, "first")
    for n, stamp in enumerate(stamps):
        clock.set(stamp)
        await service.adjust(T, str(-(n + 1)), ADA, "correction", f"adj-{n}")
    clock.set(at(2026, 11, 20))
    months = [await service.statement(T, 2026, m) for m in (9, 10, 11)]
    for earlier, later in itertools.pairwise(months):
        assert earlier.closing == later.opening
    assert all(month.balanced for month in months)
    assert sum(month.entries for month in months) == 1 + len(stamps)
    seqs = [line.entry.seq for month in months for line in await lines_of(service, month)]
    assert seqs == list(range(1, 2 + len(stamps)))
    assert months[-1].closing.minor == (await service.verify(T))["stored"]


async def test_a_commit_while_the_statement_is_read_does_not_unbalance_it(
    make_service: ServiceFactory, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another replica records a call half-way through the read (between the balances and the
    totals): the statement is the ledger as it was when the read began, and it balances.
    (On PostgreSQL each query of a read sees what was committed before it.)"""
    clock.set(at(2026, 11, 10))
    one, two = await make_service(), await make_service()
    await one.add_funds(T, "100", ADA, "buy")
    await one.ingest_usage([call("c1", "3", tenantId=T, startDateTime="2026-11-10T01:00:00Z")])
    clock.set(at(2026, 11, 12))
    original: Callable[..., Awaitable[Any]] = statement_read._kinds
    committed = []

    async def kinds_after_a_commit(*args: Any) -> Any:
        if not committed:
            start = "2026-11-12T00:00:00Z"
            committed.extend(
                await two.ingest_usage([call("c2", "7", tenantId=T, startDateTime=start)])
            )
        return await original(*args)

    monkeypatch.setattr(statement_read, "_kinds", kinds_after_a_commit)
    statement = await one.statement(T, 2026, 11)
    assert committed and committed[0].status.value == "applied"
    assert statement.balanced, (statement.opening, statement.net, statement.closing)
    assert statement.of(EntryKind.USAGE).count == 1
    assert statement.closing.amount == Decimal("97")
    monkeypatch.undo()
    later = await one.statement(T, 2026, 11)
    assert later.balanced and later.closing.amount == Decimal("90")


async def test_the_lines_are_the_statements_own_whatever_was_recorded_since(
    service: CreditsService, clock: ManualClock
) -> None:
    """The CSV and PDF read the statement first and its lines after, each page in a read of its
    own: the lines are the statement's entries, not calls recorded in between."""
    clock.set(at(2026, 11, 10))
    await service.add_funds(T, "100", ADA, "buy")
    statement = await service.statement(T, 2026, 11)
    await service.ingest_usage([call("c1", "3", tenantId=T, startDateTime="2026-11-10T01:00:00Z")])
    lines = await lines_of(service, statement)
    assert [line.entry.kind for line in lines] == [EntryKind.FUNDING]
    assert lines[-1].entry.balance_after == statement.closing


async def test_the_lines_come_a_page_at_a_time_within_the_month(
    service: CreditsService, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statement_read, "PAGE", 2)
    clock.set(at(2026, 10, 30))
    await service.add_funds(T, "100", ADA, "october")
    clock.set(at(2026, 11, 2))
    for n in range(5):
        when = f"2026-11-02T0{n}:00:00Z"
        await service.ingest_usage([call(f"c{n}", "1", tenantId=T, startDateTime=when)])
    clock.set(at(2026, 12, 1))
    await service.adjust(T, "2", ADA, "credit note", "december")
    november = await service.statement(T, 2026, 11)
    seqs = [line.entry.seq for line in await lines_of(service, november)]
    assert seqs == [2, 3, 4, 5, 6]
