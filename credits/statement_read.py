"""A month's statement from the store: the balances at its edges, each kind's count and sum, the
receipts (one read, a consistent snapshot), computed by credits/statement.py; and the month's
entries one page at a time, for the finance CSV and PDF.

Both refuse a month that has not begun or came before the account (credits/statement.py), and a
tenant with no account, before anything is read or written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import ledger, statement
from credits.models import EntryKind
from credits.schema import ledger_entries, payments
from credits.statement_models import Statement, StatementLine, StatementMonth
from credits.statement_receipts import existing, receipts_between
from credits.store import Account, Deps

PAGE = 500

_e = ledger_entries.c


async def _balance_before(conn: AsyncConnection, account_id: int, moment: datetime) -> int:
    """The balance after the last entry recorded before `moment` (0 before the first)."""
    query = (
        select(_e.balance_after_minor)
        .where(_e.account_id == account_id, _e.created_at < moment)
        .order_by(_e.seq.desc())
        .limit(1)
    )
    found = (await conn.execute(query)).scalar_one_or_none()
    return int(found) if found is not None else 0


async def _kinds(
    conn: AsyncConnection, account_id: int, month: StatementMonth
) -> list[tuple[EntryKind, int, int]]:
    query = (
        select(_e.kind, func.count(), func.coalesce(func.sum(_e.amount_minor), 0))
        .where(_e.account_id == account_id, _e.created_at >= month.start, _e.created_at < month.end)
        .group_by(_e.kind)
    )
    rows = (await conn.execute(query)).all()
    return [(EntryKind(kind), int(count), int(total)) for kind, count, total in rows]


async def _checked(
    deps: Deps, conn: AsyncConnection, tenant_id: str, month: StatementMonth
) -> tuple[Account, StatementMonth, StatementMonth]:
    account = await existing(conn, tenant_id)
    first = StatementMonth.of(account.created_at)
    current = StatementMonth.of(deps.clock.now())
    statement.check_month(month, first, current)
    return account, first, current


async def month_statement(deps: Deps, tenant_id: str, month: StatementMonth) -> Statement:
    """The statement of `month` for the tenant (ValidationError for a month it cannot have)."""
    now = deps.clock.now()
    async with deps.db.read() as conn:
        account, first, current = await _checked(deps, conn, tenant_id, month)
        opening = await _balance_before(conn, account.id, month.start)
        closing = await _balance_before(conn, account.id, month.end)
        kinds = await _kinds(conn, account.id, month)
        receipts = await receipts_between(conn, account, month.start, month.end)
    return statement.build(
        tenant_id=account.tenant_id,
        currency=account.currency,
        month=month,
        opening_minor=opening,
        closing_minor=closing,
        kinds=kinds,
        receipts=receipts,
        first=first,
        current_=current,
        as_of=now,
    )


def _page(account_id: int, month: StatementMonth, after: int, size: int) -> Any:
    return (
        select(ledger_entries, payments.c.receipt_no, payments.c.reference)
        .outerjoin(
            payments,
            and_(payments.c.account_id == _e.account_id, payments.c.entry_seq == _e.seq),
        )
        .where(
            _e.account_id == account_id,
            _e.created_at >= month.start,
            _e.created_at < month.end,
            _e.seq > after,
        )
        .order_by(_e.seq)
        .limit(size)
    )


async def month_lines(
    deps: Deps, tenant_id: str, month: StatementMonth, page: int = PAGE
) -> AsyncIterator[StatementLine]:
    """The month's entries, oldest first, each with its receipt number and gateway reference
    where it has them; read `page` at a time, each page in a read of its own. The month is
    checked (and refused) before the first row."""
    async with deps.db.read() as conn:
        account, _, _ = await _checked(deps, conn, tenant_id, month)
    after = 0
    while True:
        async with deps.db.read() as conn:
            rows = (await conn.execute(_page(account.id, month, after, page))).all()
        for row in rows:
            entry = ledger.entry_view(row, account.currency)
            yield StatementLine(entry, row.receipt_no, row.reference)
        if len(rows) < page:
            return
        after = rows[-1].seq
