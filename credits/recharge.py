"""Auto-recharge and payment settlement.

- After every change to an account (`after_change`): the alert rules, then at most one
  auto-recharge job per crossing below the trigger, within the caps (credits/caps.py; a refusal
  is a failed-recharge alert, once per cap, value and period, and the recharge stays owed:
  `resume_held` starts it when the caps allow, from the periodic checks or a caps change, and
  `after_caps_change` withdraws a queued one a lowered cap refuses).
- The runner: `claim` takes due jobs (and payments whose worker vanished) under a lease,
  `process` charges each with its own key and settles it.
- `charge` asks the gateway (a timeout or error is "no answer": retried later, same key), and
  `settle` records its answer for any payment, a purchase or a recharge, crediting at most once
  (a credit takes the account's next receipt number); a declined recharge counts towards the
  pause.
- Payments unsettled for too long are reported once each, not retried blindly.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy import Row, and_, or_, select, update

from credits import alerting, caps, ledger, outbox, shown
from credits.alert_payloads import AlertKind, RechargeFailed, RechargePaused, RechargeSucceeded
from credits.inputs import request_hash
from credits.models import (
    AUTO,
    Actor,
    CapStop,
    EntryKind,
    PaymentKind,
    PaymentStatus,
    PaymentView,
    RechargeOutcome,
    RechargeSettings,
    RechargeStatus,
)
from credits.money import Currency, Money, currency
from credits.payments import ChargeRequest, ChargeResult
from credits.schema import accounts, is_state, one_of, payments
from credits.store import Deps, LockedAccount

log = structlog.get_logger(__name__)
OPEN = (PaymentStatus.PENDING.value, PaymentStatus.CHARGING.value)
DONE = (PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED, PaymentStatus.CANCELLED)


class Settled(StrEnum):
    """What `settle` did with a gateway's answer."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    REPLAYED = "replayed"  # settled before: nothing changed


# ---------------------------------------------------------------------- after a change


async def after_change(
    deps: Deps,
    account: LockedAccount,
    cause: str,
    usage_changed: bool = False,
    ledger_changed: bool = True,
) -> list[AlertKind]:
    """Alert rules and auto-recharge on the account after a change; same transaction.
    Returns the kinds of alerts written."""
    written = await alerting.balance_alerts(
        deps, account, cause, usage_changed=usage_changed, ledger_changed=ledger_changed
    )
    return written + await _maybe_recharge(deps, account)


async def _maybe_recharge(deps: Deps, account: LockedAccount) -> list[AlertKind]:
    """One auto-recharge job per crossing below the trigger, within the caps."""
    trigger, amount = account.recharge_trigger_minor, account.recharge_amount_minor
    if not account.recharge_enabled or trigger is None or amount is None:
        return []
    if account.balance_minor >= trigger:
        account.recharge_armed = True
        return []
    if account.recharge_paused or not account.recharge_armed:
        return []
    account.recharge_armed = False
    open_job = (
        await account.conn.execute(
            select(payments.c.id).where(
                payments.c.account_id == account.id,
                is_state(payments.c.kind, PaymentKind.AUTO_RECHARGE.value),
                one_of(payments.c.status, OPEN),
            )
        )
    ).first()
    if open_job is not None:
        return []
    now = deps.clock.now()
    settings = caps.settings_of(account, deps.config)
    refusal = _cap_refusal(account, settings, await caps.used(account.conn, account.id, now), now)
    if refusal is not None:
        reason, period = refusal
        account.recharge_armed = True  # still owed: the first change the caps allow recharges
        key = f"{account.id}:capped:{period}"  # one alert for each cap, value and period
        payload = RechargeFailed(amount_minor=amount, reason=reason, capped=True)
        written = await outbox.write(deps, account, payload, key)
        return [AlertKind.RECHARGE_FAILED] if written else []
    await account.conn.execute(
        payments.insert().values(
            account_id=account.id,
            kind=PaymentKind.AUTO_RECHARGE.value,
            amount_minor=amount,
            status=PaymentStatus.PENDING.value,
            idempotency_key=f"auto-recharge:{account.id}:{uuid.uuid4().hex}",
            request_hash=request_hash("auto_recharge", amount),
            actor_id=AUTO.id,
            actor_name=AUTO.name,
            cause_seq=account.last_seq,
            created_at=now,
            updated_at=now,
        )
    )
    return []


def _cap_refusal(
    account: LockedAccount, settings: RechargeSettings, used: caps.Used, now: datetime
) -> tuple[str, str] | None:
    """Why the caps refuse a recharge of ``settings.amount`` now (the stored reason) and the
    refusal's period: its cap, the cap's value and when it ends (a raised cap is a new period,
    alerted again); None when they allow one. Counted as the balance card counts them."""
    status = caps.status(settings, used, now, account.currency)
    if status.stopped is CapStop.DAILY_LIMIT:
        reason = shown.daily_limit(status.daily_limit)
        value = str(status.daily_limit)
    elif status.stopped is CapStop.MONTHLY_CAP and status.monthly_cap is not None:
        reason = shown.stored(shown.MONTHLY_CAP, cap=status.monthly_cap)
        value = str(status.monthly_cap.minor)
    elif status.stopped is CapStop.MAX_RECHARGE and status.max_recharge and settings.amount:
        reason = shown.stored(shown.MAX_RECHARGE, amount=settings.amount, cap=status.max_recharge)
        value = f"{status.max_recharge.minor}:{settings.amount.minor}"
    else:
        return None
    until = status.resumes_at.isoformat() if status.resumes_at else f"v{account.settings_version}"
    return reason, f"{status.stopped.value}:{value}:{until}"


async def resume_held(deps: Deps, account: LockedAccount) -> list[AlertKind]:
    """Start a recharge the caps held back once they allow it, with no debit needed (the
    periodic checks, after 00:00 UTC or the 1st; a caps change). Only an owed recharge no
    decline waits on: on, not paused, armed, below the trigger, no declines since the last
    success (a declined one waits for the next debit, as before). Reads nothing otherwise."""
    trigger = account.recharge_trigger_minor
    owed = (
        account.recharge_enabled
        and account.recharge_amount_minor is not None
        and trigger is not None
        and not account.recharge_paused
        and account.recharge_armed
        and account.consecutive_declines == 0
        and account.balance_minor < trigger
    )
    return await _maybe_recharge(deps, account) if owed else []


async def after_caps_change(deps: Deps, account: LockedAccount) -> list[AlertKind]:
    """After the caps changed: a queued (not yet charging) auto-recharge the new caps refuse is
    withdrawn (never charged; still owed, alerted once as capped), and an owed recharge they now
    allow starts."""
    queued = (
        await account.conn.execute(
            select(payments.c.id, payments.c.amount_minor).where(
                payments.c.account_id == account.id,
                is_state(payments.c.kind, PaymentKind.AUTO_RECHARGE.value),
                is_state(payments.c.status, PaymentStatus.PENDING.value),
            )
        )
    ).first()
    if queued is not None:
        now = deps.clock.now()
        settings = replace(
            caps.settings_of(account, deps.config),
            amount=Money.from_minor(queued.amount_minor, account.currency),
        )
        others = await caps.used(account.conn, account.id, now, exclude=queued.id)
        refusal = _cap_refusal(account, settings, others, now)
        if refusal is None:
            return []
        withdrawn = await account.conn.execute(
            update(payments)
            .where(payments.c.id == queued.id, payments.c.status == PaymentStatus.PENDING.value)
            .values(status=PaymentStatus.CANCELLED.value, reason=refusal[0], updated_at=now)
        )
        if not withdrawn.rowcount:  # a runner is charging it now: too late to withdraw
            return []
        account.recharge_armed = True
    return await resume_held(deps, account)


# ---------------------------------------------------------------------- charge and settle


async def charge(deps: Deps, request: ChargeRequest) -> ChargeResult | None:
    """The gateway's answer, or None when it gave none: it timed out or failed (a network
    error, say). Either way the payment is retried later with the same key."""
    try:
        return await asyncio.wait_for(
            deps.gateway.charge(request), deps.config.gateway_timeout_seconds
        )
    except TimeoutError:
        log.warning("payment gateway timed out", key=request.idempotency_key)
        return None
    except Exception:
        log.exception("payment gateway failed", key=request.idempotency_key)
        return None


async def settle(deps: Deps, payment_id: int, result: ChargeResult) -> Settled:
    """Record the gateway's answer for a payment; credits at most once."""
    async with deps.db.write() as conn:
        account_id = (
            await conn.execute(select(payments.c.account_id).where(payments.c.id == payment_id))
        ).scalar_one()
        async with deps.store.holding_id(conn, account_id) as account:
            payment = (
                await conn.execute(select(payments).where(payments.c.id == payment_id))
            ).one()
            if PaymentStatus(payment.status) in DONE:
                return Settled.REPLAYED
            if result.approved:
                await _credit(deps, account, payment, result)
                return Settled.SUCCEEDED
            await _decline(deps, account, payment, result)
            return Settled.DECLINED


async def _credit(
    deps: Deps, account: LockedAccount, payment: Row[Any], result: ChargeResult
) -> None:
    is_auto = payment.kind == PaymentKind.AUTO_RECHARGE
    kind = EntryKind.AUTO_RECHARGE if is_auto else EntryKind.FUNDING
    reason = shown.AUTO_RECHARGE if is_auto else (payment.reason or shown.PURCHASE)
    actor = Actor(payment.actor_id, payment.actor_name)
    entry = await ledger.fund(
        deps,
        account,
        kind,
        payment.amount_minor,
        actor,
        reason,
        payment.idempotency_key,
        payment.request_hash,
    )
    # the account's next receipt number, under its lock: replicas never give one twice or skip one
    account.last_receipt_no += 1
    await account.conn.execute(
        update(payments)
        .where(payments.c.id == payment.id)
        .values(
            status=PaymentStatus.SUCCEEDED.value,
            reference=result.reference,
            entry_seq=entry.seq,
            receipt_no=account.last_receipt_no,
            lease_until=None,
            updated_at=deps.clock.now(),
        )
    )
    if is_auto:
        account.consecutive_declines = 0
        account.recharge_armed = True
        added = RechargeSucceeded(
            amount_minor=payment.amount_minor,
            payment_id=payment.id,
            receipt_no=account.last_receipt_no,
        )
        await outbox.write(deps, account, added, payment.idempotency_key)
    await after_change(deps, account, cause=kind.value)


async def _decline(
    deps: Deps, account: LockedAccount, payment: Row[Any], result: ChargeResult
) -> None:
    """A declined purchase is only recorded; a declined recharge counts towards the pause."""
    reason = (result.reason or shown.DECLINED)[:500]
    await account.conn.execute(
        update(payments)
        .where(payments.c.id == payment.id)
        .values(
            status=PaymentStatus.DECLINED.value,
            reason=reason,
            lease_until=None,
            updated_at=deps.clock.now(),
        )
    )
    if payment.kind != PaymentKind.AUTO_RECHARGE:
        return
    declines = account.consecutive_declines + 1
    was_paused = account.recharge_paused
    pauses = declines >= deps.config.declines_before_pause
    account.consecutive_declines = declines
    account.recharge_paused = pauses or was_paused
    account.recharge_armed = True  # the next debit below the trigger tries again, until paused
    failed = RechargeFailed(
        amount_minor=payment.amount_minor,
        reason=reason,
        payment_id=payment.id,
        consecutive_declines=declines,
    )
    await outbox.write(deps, account, failed, payment.idempotency_key)
    if pauses and not was_paused:
        paused = RechargePaused(
            amount_minor=payment.amount_minor,
            reason=reason,
            payment_id=payment.id,
            consecutive_declines=declines,
        )
        await outbox.write(deps, account, paused, payment.idempotency_key)


# ---------------------------------------------------------------------- the runner


async def claim(deps: Deps, worker_id: str, limit: int) -> list[PaymentView]:
    """Claim pending auto-recharges and payments whose worker vanished (lease expired)."""
    now = deps.clock.now()
    due = or_(
        payments.c.status == PaymentStatus.PENDING.value,
        and_(
            payments.c.status == PaymentStatus.CHARGING.value,
            payments.c.lease_until <= now,
            payments.c.created_at > now - deps.config.stuck_after,  # stuck: reported
        ),
    )
    lease = deps.config.recharge_lease
    async with deps.db.write() as conn:
        charging = PaymentStatus.CHARGING.value
        ids = await deps.store.claim(conn, payments, due, charging, lease, worker_id, limit)
        if not ids:
            return []
        rows = (
            await conn.execute(
                select(payments, accounts.c.currency)
                .join(accounts, accounts.c.id == payments.c.account_id)
                .where(payments.c.id.in_(ids))
                .order_by(payments.c.id)
            )
        ).all()
    return [payment_view(r, currency(r.currency)) for r in rows]


async def process(deps: Deps, payment: PaymentView) -> RechargeOutcome:
    """Charge a claimed payment with its own key and settle it. A gateway that does not
    answer in time leaves the payment to be retried later with the same key."""
    async with deps.db.read() as conn:
        row = (
            await conn.execute(
                select(payments.c.account_id, accounts.c.tenant_id)
                .join(accounts, accounts.c.id == payments.c.account_id)
                .where(payments.c.id == payment.id)
            )
        ).one()
    is_auto = payment.kind == PaymentKind.AUTO_RECHARGE
    description = shown.AUTO_RECHARGE if is_auto else shown.PURCHASE
    request = ChargeRequest(
        row.tenant_id, row.account_id, payment.amount, payment.idempotency_key, description
    )
    result = await charge(deps, request)
    if result is None:
        async with deps.db.write() as conn:
            await conn.execute(
                update(payments)
                .where(
                    payments.c.id == payment.id,
                    payments.c.status == PaymentStatus.CHARGING.value,
                )
                .values(
                    lease_until=deps.clock.now(),
                    reason=shown.NO_ANSWER,
                    updated_at=deps.clock.now(),
                )
            )
        return RechargeOutcome(
            payment.id,
            row.tenant_id,
            payment.kind,
            RechargeStatus.RETRY,
            payment.amount,
            "no answer",
        )
    await settle(deps, payment.id, result)
    status = RechargeStatus.SUCCEEDED if result.approved else RechargeStatus.DECLINED
    return RechargeOutcome(
        payment.id, row.tenant_id, payment.kind, status, payment.amount, result.reason
    )


async def report_stuck(deps: Deps) -> list[PaymentView]:
    """Payments unsettled for longer than `stuck_payment_seconds`: no longer retried by the
    runner (the gateway may be charging still); each is reported once as a failed-recharge
    alert so an admin checks with the payment provider."""
    now = deps.clock.now()
    async with deps.db.write() as conn:
        rows = (
            await conn.execute(
                select(
                    payments, accounts.c.tenant_id, accounts.c.currency, accounts.c.balance_minor
                )
                .join(accounts, accounts.c.id == payments.c.account_id)
                .where(
                    payments.c.status.in_(OPEN),
                    payments.c.created_at <= now - deps.config.stuck_after,
                )
            )
        ).all()
        for row in rows:
            minutes = int((now - row.created_at).total_seconds() // 60)
            payload = RechargeFailed(
                tenant_id=row.tenant_id,
                currency=row.currency,
                balance_minor=row.balance_minor,
                amount_minor=row.amount_minor,
                payment_id=row.id,
                reason=shown.stored(shown.STUCK, minutes=minutes),
                stuck=True,
            )
            await outbox.put(deps, conn, row.account_id, payload, f"stuck:{row.id}")
    return [payment_view(row, currency(row.currency)) for row in rows]


def payment_view(row: Any, cur: Currency) -> PaymentView:
    """A payments row (or anything with its columns' names as attributes) as a view."""
    return PaymentView(
        id=row.id,
        kind=PaymentKind(row.kind),
        status=PaymentStatus(row.status),
        amount=Money.from_minor(row.amount_minor, cur),
        idempotency_key=row.idempotency_key,
        reason=row.reason,
        reference=row.reference,
        attempts=row.attempts,
        created_at=row.created_at,
        updated_at=row.updated_at,
        receipt_no=row.receipt_no,
    )
