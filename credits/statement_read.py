"""A month's statement from the store: the balances at its edges, each kind's count and sum, the
receipts, computed by credits/statement.py; and the month's entries one page at a time, for the
finance CSV and PDF.

The month is a range of the ledger's sequence numbers, fixed once at the start of the read:
- `top`: the account's last entry when the read began (`accounts.last_seq`, committed with the
  entry it counts). Every query is capped at it, so an entry committed while the read runs is
  never half in it: on PostgreSQL each query of a read sees what was committed before that query
  (READ COMMITTED), so without the cap the closing balance and the totals could disagree.
- the month: the entries after the last one recorded before the month began, up to the last one
  recorded before it ended (credits/statement_models.py says why by order and not by time).
The opening and closing balances are those entries' running balances, and the totals, receipts
and lines are the entries in between, so the figures always add up. The lines are read after the
statement, a page at a time, within its range: the same entries, whatever has been recorded since.

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
from credits.statement_receipts import existing, receipts_in
from credits.store import Account, Deps

PAGE = 500

_e = ledger_entries.c


async def _edge(conn: AsyncConnection, account_id: int, moment: datetime, top: int) -> int:
    """The sequence number of the last entry (up to `top`) recorded before `moment`; 0 when
    there is none."""
    query = (
        select(_e.seq)
        .where(_e.account_id == account_id, _e.created_at < moment, _e.seq <= top)
        .order_by(_e.seq.desc())
        .limit(1)
    )
    found = (await conn.execute(query)).scalar_one_or_none()
    return int(found) if found is not None else 0


async def _balance_after(conn: AsyncConnection, account_id: int, seq: int) -> int:
    """The running balance after entry `seq` (0 before the first)."""
    if seq <= 0:
        return 0
    query = select(_e.balance_after_minor).where(_e.account_id == account_id, _e.seq == seq)
    return int((await conn.execute(query)).scalar_one())


async def _kinds(
    conn: AsyncConnection, account_id: int, after: int, last: int
) -> list[tuple[EntryKind, int, int]]:
    """(kind, count, sum) of the entries after `after` up to `last`."""
    query = (
        select(_e.kind, func.count(), func.coalesce(func.sum(_e.amount_minor), 0))
        .where(_e.account_id == account_id, _e.seq > after, _e.seq <= last)
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
        top = account.last_seq  # read first: every query below is capped at it
        after = await _edge(conn, account.id, month.start, top)
        last = await _edge(conn, account.id, month.end, top)
        opening = await _balance_after(conn, account.id, after)
        closing = await _balance_after(conn, account.id, last)
        kinds = await _kinds(conn, account.id, after, last)
        receipts = await receipts_in(conn, account, after, last)
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
        seqs=(after, last),
    )


def _page(account_id: int, after: int, last: int, size: int) -> Any:
    return (
        select(ledger_entries, payments.c.receipt_no, payments.c.reference)
        .outerjoin(
            payments,
            and_(payments.c.account_id == _e.account_id, payments.c.entry_seq == _e.seq),
        )
        .where(_e.account_id == account_id, _e.seq > after, _e.seq <= last)
        .order_by(_e.seq)
        .limit(size)
    )


async def month_lines(deps: Deps, made: Statement) -> AsyncIterator[StatementLine]:
    """The entries of the statement `made`, oldest first, each with its receipt number and
    gateway reference where it has them: exactly those its figures count (ledger entries are
    never changed), read `PAGE` at a time, each page in a read of its own."""
    async with deps.db.read() as conn:
        account = await existing(conn, made.tenant_id)
    after, size = made.after_seq, PAGE
    while after < made.last_seq:
        async with deps.db.read() as conn:
            rows = (await conn.execute(_page(account.id, after, made.last_seq, size))).all()
        for row in rows:
            entry = ledger.entry_view(row, account.currency)
            yield StatementLine(entry, row.receipt_no, row.reference)
        if len(rows) < size:
            return
        after = rows[-1].seq
