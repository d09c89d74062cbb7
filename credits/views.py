"""What the facade shows: the account view (balance, settings, last recharge, burn rate, runway,
expiring funds), the history, the payments, and the three-way balance check."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import caps, directory, ledger, rules
from credits.clock import start_of_day, start_of_month
from credits.errors import ValidationError
from credits.i18n import t
from credits.models import (
    AccountView,
    ExpiringFunds,
    HistoryPage,
    PaymentKind,
    PaymentView,
    RechargeSettings,
)
from credits.money import Money
from credits.prepared import Prepared
from credits.recharge import payment_view
from credits.schema import UTCDateTime, accounts, is_state, ledger_entries, lots, payments
from credits.store import Account, Deps, tenant_key


async def account_view(deps: Deps, tenant_id: str) -> AccountView:
    """The account view in one statement (the turn's "balance"): a quick read."""
    now = deps.clock.now()
    query = _statement(deps, by_tenant=True)
    values = _values(deps, now, tenant=tenant_key(tenant_id))
    rows = await deps.db.run_each(lambda conn: query.run(conn, values).rows, writes=False)
    if not rows:
        await deps.store.account(tenant_id)  # made on first use
        rows = await deps.db.run_each(lambda conn: query.run(conn, values).rows, writes=False)
    [row] = rows
    return view_of(deps, Account.from_row(row), row, now)


async def view(deps: Deps, conn: AsyncConnection, account: Account) -> AccountView:
    """The account as `account` has it (changed, not yet written back), with what it takes
    from the payments and the ledger, read on `conn`."""
    now = deps.clock.now()
    query = _statement(deps, by_tenant=False).statement
    row = (await conn.execute(query, _values(deps, now, account=account.id))).one()
    return view_of(deps, account, row, now)


_LAST = payments.alias("last_recharge")
_LAST_COLUMNS = tuple(column.name for column in payments.c)
# the statement is the same for every turn: built once per set of configured admins (its only
# input), with the tenant and the moments as parameters
_STATEMENTS: dict[tuple[tuple[str, ...], bool], Prepared] = {}


def _statement(deps: Deps, *, by_tenant: bool) -> Prepared:
    key = (tuple(deps.config.admins), by_tenant)
    statement = _STATEMENTS.get(key)
    if statement is None:
        where = (
            accounts.c.tenant_id == bindparam("tenant")
            if by_tenant
            else accounts.c.id == bindparam("account")
        )
        statement = _STATEMENTS[key] = Prepared(view_query(deps).where(where))
    return statement


def _values(deps: Deps, now: datetime, **where: object) -> dict[str, object]:
    since, until = ledger.burn_window(now)
    return {
        "since": since,
        "until": until,
        "soon": now + timedelta(days=deps.config.expiry_warning_days),
        "day": start_of_day(now),
        "month_start": start_of_month(now),
        **where,
    }


def view_query(deps: Deps) -> Select[Any]:
    """The account row with everything its view takes from other tables, as one statement:
    the last auto-recharge (joined), the week's usage, funds expiring soon, what the caps have
    used, and where alerts go (parameters: `_values`). The rules stay in their modules
    (ledger, caps, directory)."""
    moment = UTCDateTime()
    last_id = (
        select(func.max(payments.c.id))
        .where(
            payments.c.account_id == accounts.c.id,
            is_state(payments.c.kind, PaymentKind.AUTO_RECHARGE.value),
        )
        .scalar_subquery()
    )
    soon = and_(
        lots.c.account_id == accounts.c.id,
        lots.c.remaining_minor > 0,
        lots.c.expires_at <= bindparam("soon", type_=moment),
    )
    today, month = caps.used_columns(
        accounts.c.id, bindparam("day", type_=moment), bindparam("month_start", type_=moment)
    )
    conversations, chats, waiting = directory.reach_counts(deps, accounts.c.tenant_id)
    return select(
        accounts,
        *(_LAST.c[name].label(f"lr_{name}") for name in _LAST_COLUMNS),
        ledger.usage_in_window(
            accounts.c.id, bindparam("since", type_=moment), bindparam("until", type_=moment)
        )
        .scalar_subquery()
        .label("v_spent"),
        select(func.sum(lots.c.remaining_minor)).where(soon).scalar_subquery().label("v_soon"),
        select(func.min(lots.c.expires_at)).where(soon).scalar_subquery().label("v_soon_at"),
        today.label("v_used_today"),
        month.label("v_used_month"),
        conversations.label("v_conversations"),
        chats.label("v_chats"),
        waiting.label("v_waiting"),
    ).select_from(accounts.outerjoin(_LAST, _LAST.c.id == last_id))


def view_of(deps: Deps, account: Account, row: Any, now: datetime) -> AccountView:
    """The view of `account` from `view_query`'s row (its account columns are not read here:
    `account` may hold changes not yet written)."""
    cur = account.currency
    found = row._mapping
    last_recharge = (
        payment_view(SimpleNamespace(**{n: found[f"lr_{n}"] for n in _LAST_COLUMNS}), cur)
        if found["lr_id"] is not None
        else None
    )
    burn = ledger.burn_of(found["v_spent"])
    effective = rules.effective_thresholds(
        account.alert_thresholds, account.recharge_enabled, account.recharge_trigger_minor
    )
    settings = recharge_settings(deps, account)
    used = caps.Used(today=int(found["v_used_today"]), month_minor=int(found["v_used_month"]))
    return AccountView(
        tenant_id=account.tenant_id,
        currency=cur,
        balance=Money.from_minor(account.balance_minor, cur),
        version=account.settings_version,
        recharge=settings,
        last_recharge=last_recharge,
        recharge_in_progress=last_recharge is not None and last_recharge.status.open,
        daily_burn=Money.from_minor(int(burn.to_integral_value()), cur),
        runway_days=rules.runway_days(account.balance_minor, burn),
        expiring=(
            ExpiringFunds(Money.from_minor(int(found["v_soon"]), cur), found["v_soon_at"])
            if found["v_soon"]
            else None
        ),
        thresholds=tuple(Money.from_minor(t, cur) for t in account.alert_thresholds),
        effective_thresholds=tuple(Money.from_minor(t, cur) for t in effective),
        last_seq=account.last_seq,
        alerts=directory.reach_of(
            deps, found["v_conversations"], found["v_chats"], found["v_waiting"]
        ),
        caps=caps.status(settings, used, now, cur),
    )


def recharge_settings(deps: Deps, account: Account) -> RechargeSettings:
    return caps.settings_of(account, deps.config)


async def history(deps: Deps, tenant_id: str, limit: int, before_seq: int | None) -> HistoryPage:
    """Newest first; `next_before` pages to older entries."""
    if not 1 <= limit <= 200:
        raise ValidationError(t("Ask for 1 to 200 entries at a time."))
    account = await deps.store.account(tenant_id)
    query = select(ledger_entries).where(ledger_entries.c.account_id == account.id)
    if before_seq is not None:
        query = query.where(ledger_entries.c.seq < before_seq)
    query = query.order_by(ledger_entries.c.seq.desc()).limit(limit + 1)
    async with deps.db.read() as conn:
        rows = (await conn.execute(query)).all()
    entries = tuple(ledger.entry_view(r, account.currency) for r in rows[:limit])
    more = len(rows) > limit
    return HistoryPage(entries, entries[-1].seq if more and entries else None)


async def payment_list(deps: Deps, tenant_id: str, limit: int) -> list[PaymentView]:
    account = await deps.store.account(tenant_id)
    async with deps.db.read() as conn:
        rows = (
            await conn.execute(
                select(payments)
                .where(payments.c.account_id == account.id)
                .order_by(payments.c.id.desc())
                .limit(limit)
            )
        ).all()
    return [payment_view(r, account.currency) for r in rows]


async def verify(deps: Deps, tenant_id: str) -> dict[str, int]:
    """Recompute the balance three ways; they must agree."""
    account = await deps.store.account(tenant_id)
    async with deps.db.read() as conn:
        entries = (
            await conn.execute(
                select(func.coalesce(func.sum(ledger_entries.c.amount_minor), 0)).where(
                    ledger_entries.c.account_id == account.id
                )
            )
        ).scalar_one()
        open_lots = (
            await conn.execute(
                select(func.coalesce(func.sum(lots.c.remaining_minor), 0)).where(
                    lots.c.account_id == account.id
                )
            )
        ).scalar_one()
        fresh = (await conn.execute(select(accounts).where(accounts.c.id == account.id))).one()
    return {
        "stored": fresh.balance_minor,
        "entries": int(entries),
        "lots_minus_debt": int(open_lots) - fresh.debt_minor,
    }
