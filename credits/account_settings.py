"""Account settings: auto-recharge, recharge caps and low-balance thresholds; each change audited
in `operations` (which is also the idempotency record of confirms that move no money), and
confirm cards' requests voided before they are confirmed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from credits import caps, inputs, recharge, shown, views
from credits.audit import SettingsAction
from credits.errors import IdempotencyConflict, RequestCancelled, StaleError, ValidationError
from credits.i18n import t, tn
from credits.inputs import CONFLICT, AmountInput, clean_key, request_hash
from credits.models import (
    CANCELLED_REQUEST,
    AccountView,
    Actor,
    CapsChange,
    PaymentKind,
    PaymentStatus,
    VoidOutcome,
)
from credits.money import Money
from credits.schema import is_state, operations, payments
from credits.store import Deps, LockedAccount

MAX_THRESHOLDS = 3
Details = dict[str, int | bool | list[int] | None]
"""A settings change as the audit trail records it (JSON)."""


async def set_auto_recharge(
    deps: Deps,
    tenant_id: str,
    actor: Actor,
    *,
    enabled: bool | None,
    amount: AmountInput | None,
    trigger: AmountInput | None,
    expected_version: int | None,
    idempotency_key: str | None,
) -> AccountView:
    """Change any of {enabled, amount, trigger}. Turning it on clears a pause. If the balance
    is already below the trigger, the recharge starts at once."""
    async with deps.store.locked(tenant_id) as account:
        cur = account.currency
        limits = inputs.purchase_limits(deps.config)
        new_amount = None if amount is None else inputs.money(amount, cur, limits).minor
        new_trigger = None if trigger is None else inputs.trigger(deps.config, trigger, cur).minor
        final_amount = account.recharge_amount_minor if new_amount is None else new_amount
        final_trigger = account.recharge_trigger_minor if new_trigger is None else new_trigger
        final_enabled = account.recharge_enabled if enabled is None else enabled
        if final_enabled and (final_amount is None or final_trigger is None):
            raise ValidationError(
                t("Set both a recharge amount and a trigger before turning auto-recharge on.")
            )
        caps.check_settings(
            caps.settings_of(account, deps.config),
            enabled=final_enabled,
            amount=None if new_amount is None else Money.from_minor(new_amount, cur),
            trigger=None if new_trigger is None else Money.from_minor(new_trigger, cur),
        )
        details: Details = {}
        if new_amount is not None:
            details["recharge_amount_minor"] = new_amount
        if new_trigger is not None:
            details["recharge_trigger_minor"] = new_trigger
        if enabled is not None:
            details["recharge_enabled"] = enabled
        if enabled:
            details.update(recharge_paused=False, recharge_armed=True)
        was: Details = {
            "recharge_enabled": account.recharge_enabled,
            "recharge_amount_minor": account.recharge_amount_minor,
            "recharge_trigger_minor": account.recharge_trigger_minor,
        }
        replay = await _audit(
            deps, account, "auto_recharge", actor, details, idempotency_key, expected_version, was
        )
        if not replay:
            before = _recharge_settings(account)
            account.recharge_amount_minor = final_amount
            account.recharge_trigger_minor = final_trigger
            account.recharge_enabled = final_enabled
            if enabled:
                account.recharge_paused = False
                account.consecutive_declines = 0
                account.recharge_armed = True
            await _apply(deps, account, before)
        return await views.view(deps, account.conn, account)


async def set_recharge_caps(
    deps: Deps,
    tenant_id: str,
    actor: Actor,
    change: CapsChange,
    *,
    expected_version: int | None,
    idempotency_key: str | None,
) -> AccountView:
    """Change the auto-recharge caps (credits/caps.py says what is allowed), once per key (a
    confirm card's request: a second Confirm is a replay, a voided key raises RequestCancelled).
    A queued recharge the new caps refuse is withdrawn before it is charged; an owed one they
    allow starts at once (a declined one waits for the next debit, as before)."""
    async with deps.store.locked(tenant_id) as account:
        now = caps.settings_of(account, deps.config)
        plan = caps.plan(deps.config, now, change, account.currency)
        action = SettingsAction.RECHARGE_CAPS.value
        was: Details = {
            "daily_recharge_limit": now.daily_limit,
            "monthly_recharge_cap_minor": account.monthly_recharge_cap_minor,
            "max_recharge_minor": account.max_recharge_minor,
        }
        replay = await _audit(
            deps, account, action, actor, plan.details, idempotency_key, expected_version, was
        )
        if not replay:
            if plan.daily_limit is not None:
                account.daily_recharge_limit = plan.daily_limit
            account.monthly_recharge_cap_minor = plan.monthly_cap_minor
            account.max_recharge_minor = plan.max_recharge_minor
            account.settings_version += 1
            await recharge.after_caps_change(deps, account)
        return await views.view(deps, account.conn, account)


async def set_alert_thresholds(
    deps: Deps,
    tenant_id: str,
    actor: Actor,
    thresholds: Sequence[AmountInput],
    *,
    expected_version: int | None,
) -> AccountView:
    """Up to three low-balance thresholds; an empty list restores the default."""
    if len(thresholds) > MAX_THRESHOLDS:
        raise ValidationError(
            tn(
                "Set at most {n} low-balance threshold.",
                "Set at most {n} low-balance thresholds.",
                MAX_THRESHOLDS,
            )
        )
    async with deps.store.locked(tenant_id) as account:
        cur = account.currency
        values = sorted(
            {inputs.trigger(deps.config, t, cur).minor for t in thresholds}, reverse=True
        )
        if any(v <= 0 for v in values):
            raise ValidationError(t("Low-balance thresholds must be more than zero."))
        details: Details = {"alert_thresholds": values}
        was: Details = {"alert_thresholds": list(account.alert_thresholds)}
        await _audit(deps, account, "alert_thresholds", actor, details, None, expected_version, was)
        before = _recharge_settings(account)
        account.alert_thresholds = values
        await _apply(deps, account, before)
        return await views.view(deps, account.conn, account)


def _recharge_settings(account: LockedAccount) -> tuple[bool, int | None, int | None, bool]:
    return (
        account.recharge_enabled,
        account.recharge_amount_minor,
        account.recharge_trigger_minor,
        account.recharge_paused,
    )


async def _apply(
    deps: Deps, account: LockedAccount, before: tuple[bool, int | None, int | None, bool]
) -> None:
    """Save settings (a new version). A change to auto-recharge itself withdraws a queued (not
    yet charging) recharge and starts over with the new settings; other settings leave
    recharges alone."""
    account.settings_version += 1
    if _recharge_settings(account) == before:
        return
    withdrawn = await account.conn.execute(
        update(payments)
        .where(
            payments.c.account_id == account.id,
            is_state(payments.c.kind, PaymentKind.AUTO_RECHARGE.value),
            is_state(payments.c.status, PaymentStatus.PENDING.value),
        )
        .values(
            status=PaymentStatus.CANCELLED.value,
            reason=shown.SETTINGS_CHANGED,
            updated_at=deps.clock.now(),
        )
    )
    if withdrawn.rowcount:
        account.recharge_armed = True
    await recharge.after_change(deps, account, cause="settings", ledger_changed=False)


async def _audit(
    deps: Deps,
    account: LockedAccount,
    action: str,
    actor: Actor,
    details: Details,
    idempotency_key: str | None,
    expected_version: int | None,
    before: Details | None = None,
) -> bool:
    """Audit a settings change; True when this key was already applied (a replay). The row
    keeps what the settings were (``before``, read under the lock: the history says "was"),
    which the request's hash leaves out, so a second Confirm is still the same request."""
    hashed = request_hash(action, details, actor.id)
    key = None
    if idempotency_key is not None:
        key = clean_key(idempotency_key)
        existing = (
            await account.conn.execute(
                select(operations).where(
                    operations.c.account_id == account.id, operations.c.idempotency_key == key
                )
            )
        ).one_or_none()
        if existing is not None:
            if existing.action == CANCELLED_REQUEST:
                raise RequestCancelled()
            if existing.request_hash != hashed:
                raise IdempotencyConflict(t(CONFLICT))
            return True
    if expected_version is not None and expected_version != account.settings_version:
        raise StaleError(t("These settings changed since this card was shown; open them again."))
    await account.conn.execute(
        operations.insert().values(
            account_id=account.id,
            action=action,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            details=details if before is None else {**details, "before": before},
            idempotency_key=key,
            request_hash=hashed,
            created_at=deps.clock.now(),
        )
    )
    return False


async def was_applied(deps: Deps, tenant_id: str, idempotency_key: str) -> bool:
    """Whether a settings change with this key was saved already (a second click)."""
    account = await deps.store.account(tenant_id)
    async with deps.db.read() as conn:
        found = await conn.execute(
            select(operations.c.id).where(
                operations.c.account_id == account.id,
                operations.c.idempotency_key == clean_key(idempotency_key),
                operations.c.action != CANCELLED_REQUEST,
            )
        )
        return found.first() is not None


async def void_request(
    deps: Deps, tenant_id: str, idempotency_key: str, actor: Actor
) -> VoidOutcome:
    """Cancel a confirm card's request (its key) before it is confirmed, under the account
    lock: a Confirm racing this either ran first (ALREADY_DONE) or finds the void."""
    key = clean_key(idempotency_key)
    async with deps.store.locked(tenant_id) as account:
        paid = await account.conn.execute(
            select(payments.c.id).where(
                payments.c.idempotency_key == f"purchase:{account.id}:{key}"
            )
        )
        if paid.first() is not None:
            return VoidOutcome.ALREADY_DONE
        action = (
            await account.conn.execute(
                select(operations.c.action).where(
                    operations.c.account_id == account.id, operations.c.idempotency_key == key
                )
            )
        ).scalar_one_or_none()
        if action == CANCELLED_REQUEST:
            return VoidOutcome.ALREADY_CANCELLED
        if action is not None:
            return VoidOutcome.ALREADY_DONE
        await account.conn.execute(
            operations.insert().values(
                account_id=account.id,
                action=CANCELLED_REQUEST,
                actor_id=actor.id,
                actor_name=actor.name[:200],
                details={},
                idempotency_key=key,
                request_hash=request_hash(CANCELLED_REQUEST, key),
                created_at=deps.clock.now(),
            )
        )
        return VoidOutcome.CANCELLED
