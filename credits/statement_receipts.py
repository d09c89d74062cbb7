"""Numbered receipts, read back: one by its number, the range an account has, and a month's.

Each purchase and auto-recharge that succeeds takes its account's next number when it is
credited (credits/recharge.py, under the account's lock); the numbers are the tenant's own: 1, 2,
3... with no gap, so another tenant's receipt 42 is theirs and never shown here. A number that
does not exist is refused with the range that does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits.errors import NotFoundError
from credits.i18n import fmt_number, t
from credits.models import Actor, PaymentKind
from credits.money import Money
from credits.schema import accounts, ledger_entries, payments
from credits.statement_models import Receipt, ReceiptRange
from credits.store import Account, Deps, tenant_key

INT64_MAX = 2**63 - 1


async def existing(conn: AsyncConnection, tenant_id: str) -> Account:
    """The tenant's account; NotFoundError when nothing was ever recorded for it."""
    key = tenant_key(tenant_id)
    row = (await conn.execute(select(accounts).where(accounts.c.tenant_id == key))).one_or_none()
    if row is None:
        raise NotFoundError(
            t(
                "No account for tenant '{tenant}': nothing was ever recorded for it, so it has "
                "no statements or receipts. Check the tenant id.",
                tenant=key,
            )
        )
    return Account.from_row(row)


def _query(account_id: int) -> Select[Any]:
    entry = ledger_entries.c
    return (
        select(
            payments.c.id,
            payments.c.receipt_no,
            payments.c.kind,
            payments.c.amount_minor,
            payments.c.actor_id,
            payments.c.actor_name,
            payments.c.reference,
            payments.c.entry_seq,
            entry.created_at,
            entry.balance_after_minor,
        )
        .join(
            ledger_entries,
            and_(entry.account_id == payments.c.account_id, entry.seq == payments.c.entry_seq),
        )
        .where(payments.c.account_id == account_id, payments.c.receipt_no.is_not(None))
    )


def _receipt(row: Row[Any], account: Account) -> Receipt:
    cur = account.currency
    return Receipt(
        number=row.receipt_no,
        tenant_id=account.tenant_id,
        kind=PaymentKind(row.kind),
        amount=Money.from_minor(row.amount_minor, cur),
        at=row.created_at,
        actor=Actor(row.actor_id, row.actor_name),
        reference=row.reference,
        balance_after=Money.from_minor(row.balance_after_minor, cur),
        entry_seq=row.entry_seq,
        payment_id=row.id,
    )


def not_there(number: int, numbers: ReceiptRange) -> str:
    """The sentence for a receipt number the account does not have."""
    if numbers.empty:
        return t(
            "There is no receipt {number}: there are no receipts here yet. Each purchase and "
            "auto-recharge that succeeds gets the next number.",
            number=str(number),
        )
    return t(
        "There is no receipt {number} here. Receipts here run from 1 to {last}.",
        number=str(number),
        last=fmt_number(numbers.last),
    )


async def receipt(deps: Deps, tenant_id: str, number: int) -> Receipt:
    """The tenant's receipt `number`; NotFoundError saying the range there is otherwise."""
    async with deps.db.read() as conn:
        account = await existing(conn, tenant_id)
        row = None
        if 1 <= number <= INT64_MAX:
            query = _query(account.id).where(payments.c.receipt_no == number)
            row = (await conn.execute(query)).one_or_none()
    if row is None:
        raise NotFoundError(not_there(number, ReceiptRange(account.last_receipt_no)))
    return _receipt(row, account)


async def receipt_range(deps: Deps, tenant_id: str) -> ReceiptRange:
    """The numbers the tenant's receipts run to."""
    async with deps.db.read() as conn:
        return ReceiptRange((await existing(conn, tenant_id)).last_receipt_no)


async def receipts_in(
    conn: AsyncConnection, account: Account, after_seq: int, last_seq: int
) -> list[Receipt]:
    """The receipts of the entries after `after_seq` up to `last_seq` (a month's, as
    credits/statement_read.py bounds it), oldest first."""
    query = (
        _query(account.id)
        .where(payments.c.entry_seq > after_seq, payments.c.entry_seq <= last_seq)
        .order_by(payments.c.receipt_no)
    )
    return [_receipt(row, account) for row in (await conn.execute(query)).all()]
