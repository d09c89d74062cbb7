"""Adding funds (an admin's purchase) and manual adjustments.

A purchase is recorded as a payment (status charging) in the account's transaction before the
gateway is called; the gateway's answer is settled by `recharge.settle` in a transaction of its
own. A crash between the two is finished later by the payments runner with the same key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import ledger, recharge, shown
from credits.errors import (
    IdempotencyConflict,
    PaymentDeclined,
    PaymentUnavailable,
    RequestCancelled,
    StaleError,
    ValidationError,
)
from credits.i18n import t
from credits.inputs import (
    CONFLICT,
    AmountInput,
    clean_key,
    money,
    purchase_limits,
    request_hash,
)
from credits.models import (
    CANCELLED_REQUEST,
    Actor,
    Entry,
    EntryKind,
    FundingResult,
    PaymentKind,
    PaymentStatus,
)
from credits.money import Money, parse_strict
from credits.payments import ChargeRequest
from credits.schema import accounts, operations, payments
from credits.store import Account, Deps, LockedAccount


async def add_funds(
    deps: Deps,
    tenant_id: str,
    amount: AmountInput,
    actor: Actor,
    idempotency_key: str,
    *,
    reason: str,
    expected_version: int | None,
) -> FundingResult:
    """Charge the gateway and credit the account, once per idempotency key."""
    key = clean_key(idempotency_key)
    async with deps.store.locked(tenant_id) as account:
        chosen = money(amount, account.currency, purchase_limits(deps.config))
        hashed = request_hash("purchase", chosen.minor, account.currency.code, actor.id)
        payment_key = f"purchase:{account.id}:{key}"
        query = select(payments).where(payments.c.idempotency_key == payment_key)
        existing = (await account.conn.execute(query)).one_or_none()
        if existing is None:
            await _refuse_voided_or_stale(account, key, expected_version)
            payment_id = await _record_purchase(
                deps, account, chosen, actor, reason, payment_key, hashed
            )
        elif existing.request_hash != hashed:
            raise IdempotencyConflict(t(CONFLICT))
        elif existing.status == PaymentStatus.SUCCEEDED:
            return await _funding_result(account.conn, account, existing, replayed=True)
        elif existing.status == PaymentStatus.DECLINED:
            raise PaymentDeclined(existing.reason or shown.DECLINED)
        else:
            payment_id = existing.id
    request = ChargeRequest(account.tenant_id, account.id, chosen, payment_key, reason)
    result = await recharge.charge(deps, request)
    if result is None:
        raise PaymentUnavailable(
            t(
                "The payment service did not answer. Nothing was added yet; the "
                "payment will be checked again automatically, and it is safe to retry."
            )
        )
    settled = await recharge.settle(deps, payment_id, result)
    if not result.approved:
        raise PaymentDeclined(result.reason or shown.DECLINED)
    async with deps.db.read() as conn:
        row = (await conn.execute(select(accounts).where(accounts.c.id == account.id))).one()
        payment = (await conn.execute(select(payments).where(payments.c.id == payment_id))).one()
        replayed = settled is recharge.Settled.REPLAYED
        return await _funding_result(conn, Account.from_row(row), payment, replayed=replayed)


async def _refuse_voided_or_stale(
    account: LockedAccount, key: str, expected_version: int | None
) -> None:
    voided = await account.conn.execute(
        select(operations.c.id).where(
            operations.c.account_id == account.id,
            operations.c.idempotency_key == key,
            operations.c.action == CANCELLED_REQUEST,
        )
    )
    if voided.first() is not None:
        raise RequestCancelled()
    if expected_version is not None and expected_version != account.settings_version:
        raise StaleError(t("This card is out of date; open the balance again."))


async def _record_purchase(
    deps: Deps,
    account: LockedAccount,
    chosen: Money,
    actor: Actor,
    reason: str,
    payment_key: str,
    hashed: str,
) -> int:
    """The payment row, written (status charging) before the gateway is called."""
    now = deps.clock.now()
    inserted = await account.conn.execute(
        payments.insert()
        .values(
            account_id=account.id,
            kind=PaymentKind.PURCHASE.value,
            amount_minor=chosen.minor,
            status=PaymentStatus.CHARGING.value,
            idempotency_key=payment_key,
            request_hash=hashed,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            reason=reason[:500],
            attempts=1,
            lease_until=now + deps.config.recharge_lease,
            created_at=now,
            updated_at=now,
        )
        .returning(payments.c.id)
    )
    return int(inserted.scalar_one())


async def _funding_result(
    conn: AsyncConnection, account: Account, payment: Row[Any], replayed: bool
) -> FundingResult:
    entry = await ledger.entry_by_key(conn, account.id, payment.idempotency_key)
    assert entry is not None, "a succeeded payment always has its entry"
    return FundingResult(
        entry=ledger.entry_view(entry, account.currency),
        balance=Money.from_minor(account.balance_minor, account.currency),
        replayed=replayed,
        payment=recharge.payment_view(payment, account.currency),
    )


async def adjust(
    deps: Deps,
    tenant_id: str,
    amount: Decimal | int | str,
    actor: Actor,
    reason: str,
    idempotency_key: str,
) -> Entry:
    """A manual correction (either sign), recorded with its reason; no payment is made."""
    key = f"adjustment:{clean_key(idempotency_key)}"
    if not reason.strip():
        raise ValidationError(t("An adjustment needs a reason."))
    async with deps.store.locked(tenant_id) as account:
        text = str(amount).strip()
        negative = text.startswith("-")
        parsed = parse_strict(text.lstrip("-"), account.currency, None)
        minor = -parsed.minor if negative else parsed.minor
        hashed = request_hash("adjustment", minor, actor.id, reason)
        existing = await ledger.entry_by_key(account.conn, account.id, key)
        if existing is not None:
            if existing.request_hash != hashed:
                raise IdempotencyConflict(t(CONFLICT))
            return ledger.entry_view(existing, account.currency)
        kind = EntryKind.ADJUSTMENT
        if minor > 0:
            entry = await ledger.fund(deps, account, kind, minor, actor, reason, key, hashed)
        else:
            entry = await ledger.append(deps, account, kind, minor, actor, reason, key, hashed)
            await ledger.consume(deps, account, -minor)
        await recharge.after_change(deps, account, cause="adjustment")
        return entry
