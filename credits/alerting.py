"""Alert rules applied to a locked account after a change: the balance thresholds, depletion and
unusual spend (credits/rules.py decides, this writes what fired to the outbox and keeps the
armed flags on the account). An unusual-spend alert also names the hour's top callers and
destinations (credits/usage_report.py) and whether auto-recharge is on."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select

from credits import outbox, rules, usage_report
from credits.alert_payloads import UnusualSpend
from credits.ledger import BURN_WINDOW
from credits.models import AlertKind, EntryKind
from credits.money import Money
from credits.schema import ledger_entries
from credits.store import Deps, LockedAccount

HOUR = timedelta(hours=1)


async def balance_alerts(
    deps: Deps,
    account: LockedAccount,
    cause: str,
    *,
    usage_changed: bool,
    ledger_changed: bool,
) -> list[AlertKind]:
    """Evaluate the rules on the account as it is now; the kinds of alerts written.
    Balance alerts follow ledger changes only (a settings change alone alerts nothing)."""
    fired: list[rules.Fired] = []
    armed = dict(account.alert_armed)
    if ledger_changed:
        thresholds = rules.effective_thresholds(
            account.alert_thresholds, account.recharge_enabled, account.recharge_trigger_minor
        )
        fired, armed = rules.balance_rules(account.balance_minor, thresholds, armed)
    if usage_changed:
        more, armed = await unusual_spend(deps, account, armed)
        fired += more
    written: list[AlertKind] = []
    for alert in fired:
        payload = alert.payload.caused(cause, account.last_seq)
        key = f"{account.id}:{alert.rule}:{account.last_seq}"
        if await outbox.write(deps, account, payload, key):
            written.append(alert.kind)
    account.alert_armed = armed
    return written


async def unusual_spend(
    deps: Deps, account: LockedAccount, armed: dict[str, bool]
) -> tuple[list[rules.Fired], dict[str, bool]]:
    """Spend in the last hour against the usual hour of the week before it."""
    now = deps.clock.now()
    recent = ledger_entries.c.occurred_at > now - HOUR
    last_hour, before = (
        await account.conn.execute(
            select(
                func.coalesce(func.sum(case((recent, ledger_entries.c.amount_minor))), 0),
                func.coalesce(func.sum(case((~recent, ledger_entries.c.amount_minor))), 0),
            ).where(
                ledger_entries.c.account_id == account.id,
                ledger_entries.c.kind == EntryKind.USAGE.value,
                ledger_entries.c.occurred_at > now - BURN_WINDOW - HOUR,
                ledger_entries.c.occurred_at <= now,
            )
        )
    ).one()
    usual = Decimal(-int(before)) / (BURN_WINDOW // HOUR)
    minimum = Money(deps.config.unusual_spend_minimum, account.currency).minor
    fired, armed = rules.unusual_spend_rule(
        -int(last_hour), usual, deps.config.unusual_spend_factor, minimum, armed
    )
    return [await _with_context(account, now, alert) for alert in fired], armed


async def _with_context(account: LockedAccount, now: datetime, alert: rules.Fired) -> rules.Fired:
    """An unusual-spend alert names who and where the hour's spend went, and says whether
    auto-recharge is on (the card then offers to pause it)."""
    if not isinstance(alert.payload, UnusualSpend):
        return alert
    callers, destinations = await usage_report.last_hour(account.conn, account.id, now)
    recharge_on = account.recharge_enabled and not account.recharge_paused
    return replace(alert, payload=alert.payload.with_context(callers, destinations, recharge_on))
