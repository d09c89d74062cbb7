"""What the facade shows: the account view (balance, settings, last recharge, burn rate, runway,
expiring funds), the history, the payments, and the three-way balance check."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import caps, directory, ledger, rules
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
from credits.recharge import payment_view
from credits.schema import accounts, ledger_entries, lots, payments
from credits.store import Account, Deps, tenant_key


async def account_view(deps: Deps, tenant_id: str) -> AccountView:
    async with deps.db.read() as conn:
        query = select(accounts).where(accounts.c.tenant_id == tenant_key(tenant_id))
        row = (await conn.execute(query)).one_or_none()
        if row is not None:
            return await view(deps, conn, Account.from_row(row))
    account = await deps.store.account(tenant_id)
    async with deps.db.read() as conn:
        return await view(deps, conn, account)


async def view(deps: Deps, conn: AsyncConnection, account: Account) -> AccountView:
    """The account as `account` has it, with what it takes from the payments and the ledger."""
    cur = account.currency
    now = deps.clock.now()
    last = (
        await conn.execute(
            select(payments)
            .where(
                payments.c.account_id == account.id,
                payments.c.kind == PaymentKind.AUTO_RECHARGE.value,
            )
            .order_by(payments.c.id.desc())
            .limit(1)
        )
    ).one_or_none()
    last_recharge = payment_view(last, cur) if last is not None else None
    burn = await ledger.burn_per_day(conn, account.id, now)
    expiring = (
        await conn.execute(
            select(func.sum(lots.c.remaining_minor), func.min(lots.c.expires_at)).where(
                lots.c.account_id == account.id,
                lots.c.remaining_minor > 0,
                lots.c.expires_at <= now + timedelta(days=deps.config.expiry_warning_days),
            )
        )
    ).one()
    effective = rules.effective_thresholds(
        account.alert_thresholds, account.recharge_enabled, account.recharge_trigger_minor
    )
    settings = recharge_settings(deps, account)
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
            ExpiringFunds(Money.from_minor(int(expiring[0]), cur), expiring[1])
            if expiring[0]
            else None
        ),
        thresholds=tuple(Money.from_minor(t, cur) for t in account.alert_thresholds),
        effective_thresholds=tuple(Money.from_minor(t, cur) for t in effective),
        last_seq=account.last_seq,
        alerts=await directory.alert_reach(deps, conn, account.tenant_id),
        caps=caps.status(settings, await caps.used(conn, account.id, now), now, cur),
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
