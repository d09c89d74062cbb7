"""The periodic checks, account by account (each in its own locked transaction): expire lots past
their expiry, warn once of funds about to expire, watch runway and unusual spend, and start an
owed auto-recharge a cap held back once the cap allows it (no debit needed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import select, update

from credits import alerting, ledger, outbox, recharge, rules
from credits.alert_payloads import AlertKind, FundsExpiring, RunwayLow, UnusualSpend
from credits.models import CheckReport
from credits.schema import accounts, lots
from credits.store import Deps, LockedAccount

TENANTS_PAGE = 500  # accounts read at a time by a round of checks


async def run_checks(deps: Deps) -> CheckReport:
    """Expire lots, warn of funds about to expire, watch runway and unusual spend."""
    expired, fired = 0, []
    async for tenant_id in _tenants(deps):
        async with deps.store.locked(tenant_id) as account:
            count = await ledger.expire_lots(deps, account)
            if count:
                fired += await recharge.after_change(deps, account, cause="expiry")
            else:  # a recharge a cap held back, once the cap allows it (after 00:00 UTC, the 1st)
                fired += await recharge.resume_held(deps, account)
            fired += await _warn_expiring(deps, account)
            fired += await _watch_spend(deps, account)
        expired += count
    return CheckReport(expired_lots=expired, alerts=tuple(fired))


async def _tenants(deps: Deps) -> AsyncIterator[str]:
    """Every account's tenant, in order, read a page at a time: a list of all of them would
    hold memory in proportion to the tenants for the whole round."""
    after: str | None = None
    while True:
        query = select(accounts.c.tenant_id).order_by(accounts.c.tenant_id).limit(TENANTS_PAGE)
        if after is not None:
            query = query.where(accounts.c.tenant_id > after)
        async with deps.db.read() as conn:
            page = list((await conn.execute(query)).scalars())
        for tenant_id in page:
            yield tenant_id
        if len(page) < TENANTS_PAGE:
            return
        after = page[-1]


async def _warn_expiring(deps: Deps, account: LockedAccount) -> list[AlertKind]:
    """One warning for the lots entering the warning window; each lot is warned of once."""
    horizon = deps.clock.now() + timedelta(days=deps.config.expiry_warning_days)
    soon = (
        await account.conn.execute(
            select(lots.c.id, lots.c.remaining_minor, lots.c.expires_at)
            .where(
                lots.c.account_id == account.id,
                lots.c.remaining_minor > 0,
                lots.c.expiry_warned.is_(False),
                lots.c.expires_at <= horizon,
            )
            .order_by(lots.c.expires_at)
        )
    ).all()
    if not soon:
        return []
    payload = FundsExpiring(
        amount_minor=sum(lot.remaining_minor for lot in soon), expires_at=soon[0].expires_at
    )
    key = f"{account.id}:" + ",".join(str(lot.id) for lot in soon)
    written = await outbox.write(deps, account, payload, key)
    await account.conn.execute(
        update(lots).where(lots.c.id.in_([lot.id for lot in soon])).values(expiry_warned=True)
    )
    return [AlertKind.FUNDS_EXPIRING] if written else []


async def _watch_spend(deps: Deps, account: LockedAccount) -> list[AlertKind]:
    """Runway (unless auto-recharge is on) and unusual spend, at most once an hour each."""
    now = deps.clock.now()
    burn = await ledger.burn_per_day(account.conn, account.id, now)
    days = rules.runway_days(account.balance_minor, burn)
    recharging = account.recharge_enabled and not account.recharge_paused
    fired, armed = rules.runway_rule(
        None if recharging else days, deps.config.runway_alert_days, account.alert_armed
    )
    more, armed = await alerting.unusual_spend(deps, account, armed)
    hour = now.strftime("%Y%m%d%H")
    daily_burn = burn.to_integral_value()
    written: list[AlertKind] = []
    for alert in fired + more:
        payload = alert.payload
        if isinstance(payload, RunwayLow | UnusualSpend):
            payload = payload.with_daily_burn(daily_burn)
        if await outbox.write(deps, account, payload, f"{account.id}:{alert.rule}:{hour}"):
            written.append(alert.kind)
    account.alert_armed = armed
    return written
