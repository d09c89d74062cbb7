"""The facade the dialogs and the host call: every money rule of DESIGN.md section 2 and 3.

Every change runs in one write transaction that first locks the tenant's account row, so changes
to one account are serialised on SQLite and PostgreSQL alike, across processes and replicas.
The alerts a change causes are written to the outbox in that same transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import (
    ColumnElement,
    Row,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import replies, rules
from credits.clock import Clock, SystemClock, add_months, start_of_day, start_of_month
from credits.config import CreditsConfig
from credits.db import Database
from credits.errors import (
    IdempotencyConflict,
    NotFoundError,
    PaymentDeclined,
    PaymentUnavailable,
    RequestCancelled,
    StaleError,
    ValidationError,
)
from credits.models import (
    AUTO,
    CANCELLED_REQUEST,
    EXPIRY,
    USAGE,
    AccountView,
    Actor,
    Admin,
    Alert,
    AlertKind,
    CheckReport,
    Entry,
    EntryKind,
    ExpiringFunds,
    FundingResult,
    HistoryPage,
    PaymentView,
    RechargeOutcome,
    RechargeSettings,
    Subscription,
    UsageOutcome,
    UsageStatus,
    VoidOutcome,
)
from credits.money import AmountError, AmountLimits, Currency, Money, currency, parse_strict
from credits.payments import ChargeRequest, ChargeResult, PaymentGateway, gateway_from_config
from credits.schema import (
    accounts,
    admins,
    alerts,
    deployment_secrets,
    ledger_entries,
    lots,
    operations,
    payments,
    processed_activities,
    subscriptions,
    usage_records,
)
from credits.usage import (
    BALANCE_FLOOR_MINOR,
    UsageRecord,
    ledger_key,
    parse_record,
    sent_id,
)

AmountInput = Money | Decimal | int | str
log = structlog.get_logger(__name__)
BURN_WINDOW = timedelta(days=7)
MAX_THRESHOLDS = 3
RECHARGE_SETTINGS = (
    "recharge_enabled",
    "recharge_amount_minor",
    "recharge_trigger_minor",
    "recharge_paused",
)
CHUNK = 500


def _hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


class CreditsService:
    """One per process; safe for concurrent use by many turns and workers."""

    def __init__(
        self,
        db: Database,
        config: CreditsConfig,
        gateway: PaymentGateway | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.gateway = gateway if gateway is not None else gateway_from_config(config)
        self.clock = clock or SystemClock()
        self.default_currency = currency(config.default_currency)
        self._currencies: dict[str, Currency] = {}

    @classmethod
    async def open(
        cls,
        config: CreditsConfig,
        gateway: PaymentGateway | None = None,
        clock: Clock | None = None,
        **engine_args: Any,
    ) -> CreditsService:
        """Connect to the configured database and bring its schema up to date."""
        db = Database(config.database_url, schema=config.database_schema, **engine_args)
        await db.migrate()
        return cls(db, config, gateway, clock)

    async def close(self) -> None:
        await self.db.dispose()

    @property
    def _upsert_insert(self) -> Any:
        """The dialect's INSERT, which has ON CONFLICT DO NOTHING."""
        return pg_insert if self.db.dialect == "postgresql" else sqlite_insert

    # ------------------------------------------------------------------ amounts

    def limits(self) -> AmountLimits:
        return AmountLimits(self.config.purchase_min, self.config.purchase_max)

    def _money(self, value: AmountInput, cur: Currency, limits: AmountLimits | None) -> Money:
        if isinstance(value, Money):
            if value.currency != cur:
                raise AmountError(f"This account is in {cur.code}; enter an amount in {cur.code}.")
            return limits.check(value) if limits else value
        return parse_strict(value, cur, limits)

    def _trigger(self, value: AmountInput, cur: Currency) -> Money:
        if isinstance(value, Money):
            money = self._money(value, cur, None)
        elif _is_zero(value):
            money = Money.zero(cur)
        else:
            money = parse_strict(value, cur, None)
        if money.minor < 0:
            raise AmountError("The trigger cannot be negative.")
        if money.amount > self.config.purchase_max * 10:
            raise AmountError(
                f"The trigger can be at most {Money(self.config.purchase_max * 10, cur)}."
            )
        return money

    # ------------------------------------------------------------------ accounts

    async def _lock_account(self, conn: AsyncConnection, tenant_id: str) -> Row[Any]:
        """The tenant's account row, created on first use, locked until the transaction ends."""
        tenant_id = _tenant(tenant_id)
        query = select(accounts).where(accounts.c.tenant_id == tenant_id).with_for_update()
        row = (await conn.execute(query)).one_or_none()
        if row is not None:
            return row
        values = {
            "tenant_id": tenant_id,
            "currency": self.default_currency.code,
            "alert_thresholds": [],
            "alert_armed": {},
            "created_at": self.clock.now(),
        }
        insert = self._upsert_insert
        await conn.execute(
            insert(accounts).values(**values).on_conflict_do_nothing(index_elements=["tenant_id"])
        )
        return (await conn.execute(query)).one()

    async def _account_row(self, tenant_id: str) -> Row[Any]:
        async with self.db.read() as conn:
            query = select(accounts).where(accounts.c.tenant_id == _tenant(tenant_id))
            row = (await conn.execute(query)).one_or_none()
        if row is not None:
            return row
        async with self.db.write() as conn:
            return await self._lock_account(conn, tenant_id)

    async def currency_of(self, tenant_id: str) -> Currency:
        """The account's currency: fixed when the account is made, so remembered in-process."""
        cached = self._currencies.get(tenant_id)
        if cached is None:
            cached = currency((await self._account_row(tenant_id)).currency)
            if len(self._currencies) > 10_000:
                self._currencies.clear()
            self._currencies[tenant_id] = cached
        return cached

    async def account(self, tenant_id: str) -> AccountView:
        """Balance, settings, last recharge, burn rate, runway and expiring funds."""
        async with self.db.read() as conn:
            query = select(accounts).where(accounts.c.tenant_id == _tenant(tenant_id))
            row = (await conn.execute(query)).one_or_none()
            if row is not None:
                return await self._view(conn, row)
        row = await self._account_row(tenant_id)
        async with self.db.read() as conn:
            return await self._view(conn, row)

    async def _view(self, conn: AsyncConnection, row: Row[Any]) -> AccountView:
        cur = currency(row.currency)
        now = self.clock.now()
        last = (
            await conn.execute(
                select(payments)
                .where(payments.c.account_id == row.id, payments.c.kind == "auto_recharge")
                .order_by(payments.c.id.desc())
                .limit(1)
            )
        ).one_or_none()
        burn = await self._burn_per_day(conn, row.id, now)
        expiring = (
            await conn.execute(
                select(func.sum(lots.c.remaining_minor), func.min(lots.c.expires_at)).where(
                    lots.c.account_id == row.id,
                    lots.c.remaining_minor > 0,
                    lots.c.expires_at <= now + timedelta(days=self.config.expiry_warning_days),
                )
            )
        ).one()
        thresholds = tuple(Money.from_minor(t, cur) for t in row.alert_thresholds)
        effective = rules.effective_thresholds(
            row.alert_thresholds, row.recharge_enabled, row.recharge_trigger_minor
        )
        return AccountView(
            tenant_id=row.tenant_id,
            currency=cur,
            balance=Money.from_minor(row.balance_minor, cur),
            version=row.settings_version,
            recharge=self._recharge_settings(row, cur),
            last_recharge=_payment_view(last, cur) if last is not None else None,
            recharge_in_progress=last is not None and last.status in ("pending", "charging"),
            daily_burn=Money.from_minor(int(burn.to_integral_value()), cur),
            runway_days=rules.runway_days(row.balance_minor, burn),
            expiring=(
                ExpiringFunds(Money.from_minor(int(expiring[0]), cur), expiring[1])
                if expiring[0]
                else None
            ),
            thresholds=thresholds,
            effective_thresholds=tuple(Money.from_minor(t, cur) for t in effective),
            last_seq=row.last_seq,
        )

    def _recharge_settings(self, row: Row[Any], cur: Currency) -> RechargeSettings:
        def money(minor: int | None) -> Money | None:
            return None if minor is None else Money.from_minor(minor, cur)

        return RechargeSettings(
            enabled=row.recharge_enabled,
            amount=money(row.recharge_amount_minor),
            trigger=money(row.recharge_trigger_minor),
            paused=row.recharge_paused,
            consecutive_declines=row.consecutive_declines,
            daily_limit=row.daily_recharge_limit or self.config.daily_recharge_limit,
            monthly_cap=money(row.monthly_recharge_cap_minor),
        )

    async def _burn_per_day(self, conn: AsyncConnection, account_id: int, now: datetime) -> Decimal:
        spent = (
            await conn.execute(
                select(func.coalesce(func.sum(ledger_entries.c.amount_minor), 0)).where(
                    ledger_entries.c.account_id == account_id,
                    ledger_entries.c.kind == EntryKind.USAGE.value,
                    ledger_entries.c.occurred_at > now - BURN_WINDOW,
                    ledger_entries.c.occurred_at <= now,
                )
            )
        ).scalar_one()
        return Decimal(-int(spent)) / BURN_WINDOW.days

    # ------------------------------------------------------------------ ledger primitives

    async def _append(
        self,
        conn: AsyncConnection,
        account: dict[str, Any],
        kind: EntryKind,
        amount_minor: int,
        actor: Actor,
        reason: str,
        key: str,
        request_hash: str,
        occurred_at: datetime | None = None,
    ) -> dict[str, Any]:
        """Append one entry; `account` (a dict copy of the locked row) is advanced in place."""
        now = self.clock.now()
        entry = {
            "account_id": account["id"],
            "seq": account["last_seq"] + 1,
            "kind": kind.value,
            "amount_minor": amount_minor,
            "balance_after_minor": account["balance_minor"] + amount_minor,
            "actor_id": actor.id,
            "actor_name": actor.name[:200],
            "reason": reason[:500],
            "idempotency_key": key,
            "request_hash": request_hash,
            "occurred_at": occurred_at or now,
            "created_at": now,
        }
        await conn.execute(ledger_entries.insert().values(**entry))
        account["last_seq"] = entry["seq"]
        account["balance_minor"] = entry["balance_after_minor"]
        return entry

    async def _fund(
        self,
        conn: AsyncConnection,
        account: dict[str, Any],
        kind: EntryKind,
        amount_minor: int,
        actor: Actor,
        reason: str,
        key: str,
        request_hash: str,
    ) -> dict[str, Any]:
        """A credit that buys a lot; it first pays off any usage no lot covered (debt)."""
        entry = await self._append(
            conn, account, kind, amount_minor, actor, reason, key, request_hash
        )
        paid = min(account["debt_minor"], amount_minor)
        if paid:
            account["debt_minor"] -= paid
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account["id"])
                .values(debt_minor=account["debt_minor"])
            )
        now = entry["created_at"]
        await conn.execute(
            lots.insert().values(
                account_id=account["id"],
                entry_seq=entry["seq"],
                original_minor=amount_minor,
                remaining_minor=amount_minor - paid,
                purchased_at=now,
                expires_at=add_months(now, self.config.lot_lifetime_months),
            )
        )
        return entry

    async def _entry_by_key(
        self, conn: AsyncConnection, account_id: int, key: str
    ) -> Row[Any] | None:
        query = select(ledger_entries).where(
            ledger_entries.c.account_id == account_id, ledger_entries.c.idempotency_key == key
        )
        return (await conn.execute(query)).one_or_none()

    # ------------------------------------------------------------------ rules after a change

    async def _after_change(
        self,
        conn: AsyncConnection,
        account: dict[str, Any],
        cause: str,
        usage_changed: bool = False,
        ledger_changed: bool = True,
    ) -> list[str]:
        """Evaluate alert rules and auto-recharge on the account after a change; same transaction.
        Balance alerts follow ledger changes only (a settings change alone alerts nothing).
        Returns the kinds of alerts written."""
        fired: list[rules.Fired] = []
        armed = dict(account["alert_armed"])
        if ledger_changed:
            thresholds = rules.effective_thresholds(
                account["alert_thresholds"],
                account["recharge_enabled"],
                account["recharge_trigger_minor"],
            )
            fired, armed = rules.balance_rules(account["balance_minor"], thresholds, armed)
        if usage_changed:
            more, armed = await self._unusual_spend(conn, account, armed)
            fired += more
        written: list[str] = []
        for alert in fired:
            payload = dict(alert.payload, cause=cause, seq=account["last_seq"])
            key = f"{account['id']}:{alert.rule}:{account['last_seq']}"
            if await self._alert(conn, account, alert.kind, key, payload):
                written.append(alert.kind.value)
        changes: dict[str, Any] = {}
        if armed != account["alert_armed"]:
            changes["alert_armed"] = armed
        written += await self._maybe_recharge(conn, account, changes)
        if changes:
            account.update(changes)
            await conn.execute(
                update(accounts).where(accounts.c.id == account["id"]).values(**changes)
            )
        return written

    async def _maybe_recharge(
        self, conn: AsyncConnection, account: dict[str, Any], changes: dict[str, Any]
    ) -> list[str]:
        """One auto-recharge job per crossing below the trigger, within the caps."""
        trigger, amount = account["recharge_trigger_minor"], account["recharge_amount_minor"]
        if not account["recharge_enabled"] or trigger is None or amount is None:
            return []
        if account["balance_minor"] >= trigger:
            if not account["recharge_armed"]:
                changes["recharge_armed"] = True
            return []
        if account["recharge_paused"] or not account["recharge_armed"]:
            return []
        changes["recharge_armed"] = False
        open_job = (
            await conn.execute(
                select(payments.c.id).where(
                    payments.c.account_id == account["id"],
                    payments.c.kind == "auto_recharge",
                    payments.c.status.in_(("pending", "charging")),
                )
            )
        ).first()
        if open_job is not None:
            return []
        now = self.clock.now()
        cur = currency(account["currency"])
        refusal = await self._cap_refusal(conn, account, amount, now, cur)
        if refusal is not None:
            key = f"{account['id']}:capped:{account['last_seq']}"
            payload = {"amount_minor": amount, "reason": refusal, "capped": True}
            written = await self._alert(conn, account, AlertKind.RECHARGE_FAILED, key, payload)
            return [AlertKind.RECHARGE_FAILED.value] if written else []
        await conn.execute(
            payments.insert().values(
                account_id=account["id"],
                kind="auto_recharge",
                amount_minor=amount,
                status="pending",
                idempotency_key=f"auto-recharge:{account['id']}:{uuid.uuid4().hex}",
                request_hash=_hash("auto_recharge", amount),
                actor_id=AUTO.id,
                actor_name=AUTO.name,
                cause_seq=account["last_seq"],
                created_at=now,
                updated_at=now,
            )
        )
        return []

    async def _cap_refusal(
        self,
        conn: AsyncConnection,
        account: dict[str, Any],
        amount: int,
        now: datetime,
        cur: Currency,
    ) -> str | None:
        mine = and_(
            payments.c.account_id == account["id"],
            payments.c.kind == "auto_recharge",
            payments.c.status.in_(("pending", "charging", "succeeded")),
        )
        today = (
            await conn.execute(
                select(func.count()).where(mine, payments.c.created_at >= start_of_day(now))
            )
        ).scalar_one()
        limit = account["daily_recharge_limit"] or self.config.daily_recharge_limit
        if today >= limit:
            return f"the daily limit of {limit} recharges was reached"
        cap = account["monthly_recharge_cap_minor"]
        if cap is not None:
            month = (
                await conn.execute(
                    select(func.coalesce(func.sum(payments.c.amount_minor), 0)).where(
                        mine, payments.c.created_at >= start_of_month(now)
                    )
                )
            ).scalar_one()
            if int(month) + amount > cap:
                return f"the monthly cap of {Money.from_minor(cap, cur)} would be exceeded"
        return None

    async def _unusual_spend(
        self, conn: AsyncConnection, account: dict[str, Any], armed: dict[str, bool]
    ) -> tuple[list[rules.Fired], dict[str, bool]]:
        now = self.clock.now()
        hour = timedelta(hours=1)

        recent = ledger_entries.c.occurred_at > now - hour
        last_hour, before = (
            await conn.execute(
                select(
                    func.coalesce(func.sum(case((recent, ledger_entries.c.amount_minor))), 0),
                    func.coalesce(func.sum(case((~recent, ledger_entries.c.amount_minor))), 0),
                ).where(
                    ledger_entries.c.account_id == account["id"],
                    ledger_entries.c.kind == EntryKind.USAGE.value,
                    ledger_entries.c.occurred_at > now - BURN_WINDOW - hour,
                    ledger_entries.c.occurred_at <= now,
                )
            )
        ).one()
        last_hour = -int(last_hour)
        usual = Decimal(-int(before)) / (BURN_WINDOW // hour)
        cur = currency(account["currency"])
        minimum = Money(self.config.unusual_spend_minimum, cur).minor
        return rules.unusual_spend_rule(
            last_hour, usual, self.config.unusual_spend_factor, minimum, armed
        )

    async def _alert(
        self,
        conn: AsyncConnection,
        account: dict[str, Any],
        kind: AlertKind,
        dedupe_key: str,
        payload: dict[str, Any],
    ) -> bool:
        """Write an alert to the outbox once (a repeated dedupe key is ignored)."""
        full = {
            "tenant_id": account["tenant_id"],
            "currency": account["currency"],
            "balance_minor": account["balance_minor"],
            **payload,
        }
        insert = self._upsert_insert
        result = await conn.execute(
            insert(alerts)
            .values(
                account_id=account["id"],
                tenant_id=account["tenant_id"],
                kind=kind.value,
                dedupe_key=f"{kind.value}:{dedupe_key}",
                payload=full,
                status="pending",
                created_at=self.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        return bool(result.rowcount)

    # ------------------------------------------------------------------ funding

    async def add_funds(
        self,
        tenant_id: str,
        amount: AmountInput,
        actor: Actor,
        idempotency_key: str,
        *,
        reason: str = "Purchase",
        expected_version: int | None = None,
    ) -> FundingResult:
        """Charge the gateway and credit the account, once per idempotency key.

        The payment is recorded before the gateway is called, so a crash between the charge
        and the credit is finished later by `process_payments` with the same key. A key voided
        by `void_request` raises RequestCancelled and charges nothing."""
        key = _key(idempotency_key)
        async with self.db.write() as conn:
            row = await self._lock_account(conn, tenant_id)
            cur = currency(row.currency)
            money = self._money(amount, cur, self.limits())
            request_hash = _hash("purchase", money.minor, cur.code, actor.id)
            payment_key = f"purchase:{row.id}:{key}"
            existing = (
                await conn.execute(
                    select(payments).where(payments.c.idempotency_key == payment_key)
                )
            ).one_or_none()
            if existing is not None:
                if existing.request_hash != request_hash:
                    raise IdempotencyConflict(
                        "This request was already made with different details."
                    )
                if existing.status == "succeeded":
                    return await self._funding_result(conn, row, existing, replayed=True)
                if existing.status == "declined":
                    raise PaymentDeclined(existing.reason or "declined")
                payment_id = existing.id
            else:
                voided = await conn.execute(
                    select(operations.c.id).where(
                        operations.c.account_id == row.id,
                        operations.c.idempotency_key == key,
                        operations.c.action == CANCELLED_REQUEST,
                    )
                )
                if voided.first() is not None:
                    raise RequestCancelled()
                if expected_version is not None and expected_version != row.settings_version:
                    raise StaleError("This card is out of date; open the balance again.")
                now = self.clock.now()
                payment_id = (
                    await conn.execute(
                        payments.insert()
                        .values(
                            account_id=row.id,
                            kind="purchase",
                            amount_minor=money.minor,
                            status="charging",
                            idempotency_key=payment_key,
                            request_hash=request_hash,
                            actor_id=actor.id,
                            actor_name=actor.name[:200],
                            reason=reason[:500],
                            attempts=1,
                            lease_until=now + self.config.recharge_lease,
                            created_at=now,
                            updated_at=now,
                        )
                        .returning(payments.c.id)
                    )
                ).scalar_one()
        request = ChargeRequest(row.tenant_id, row.id, money, payment_key, reason)
        result = await self._charge(request)
        if result is None:
            raise PaymentUnavailable(
                "The payment service did not answer. Nothing was added yet; the "
                "payment will be checked again automatically, and it is safe to retry."
            )
        outcome = await self._settle(payment_id, result)
        if not result.approved:
            raise PaymentDeclined(result.reason or "declined")
        async with self.db.read() as conn:
            row = (await conn.execute(select(accounts).where(accounts.c.id == row.id))).one()
            payment = (
                await conn.execute(select(payments).where(payments.c.id == payment_id))
            ).one()
            return await self._funding_result(conn, row, payment, replayed=outcome == "replayed")

    async def _funding_result(
        self, conn: AsyncConnection, row: Row[Any], payment: Row[Any], replayed: bool
    ) -> FundingResult:
        cur = currency(row.currency)
        entry = await self._entry_by_key(conn, row.id, payment.idempotency_key)
        assert entry is not None, "a succeeded payment always has its entry"
        return FundingResult(
            entry=_entry(entry, cur),
            balance=Money.from_minor(row.balance_minor, cur),
            replayed=replayed,
            payment=_payment_view(payment, cur),
        )

    async def _charge(self, request: ChargeRequest) -> ChargeResult | None:
        """The gateway's answer, or None when it gave none: it timed out or failed (a network
        error, say). Either way the payment is retried later with the same key."""
        try:
            return await asyncio.wait_for(
                self.gateway.charge(request), self.config.gateway_timeout_seconds
            )
        except TimeoutError:
            log.warning("payment gateway timed out", key=request.idempotency_key)
            return None
        except Exception:
            log.exception("payment gateway failed", key=request.idempotency_key)
            return None

    async def _settle(self, payment_id: int, result: ChargeResult) -> str:
        """Record the gateway's answer for a payment; credits at most once."""
        async with self.db.write() as conn:
            account_id = (
                await conn.execute(select(payments.c.account_id).where(payments.c.id == payment_id))
            ).scalar_one()
            row = (
                await conn.execute(
                    select(accounts).where(accounts.c.id == account_id).with_for_update()
                )
            ).one()
            payment = (
                await conn.execute(select(payments).where(payments.c.id == payment_id))
            ).one()
            if payment.status in ("succeeded", "declined", "cancelled"):
                return "replayed"
            account = dict(row._mapping)
            now = self.clock.now()
            is_auto = payment.kind == "auto_recharge"
            if result.approved:
                kind = EntryKind.AUTO_RECHARGE if is_auto else EntryKind.FUNDING
                reason = "Auto-recharge" if is_auto else (payment.reason or "Purchase")
                actor = Actor(payment.actor_id, payment.actor_name)
                entry = await self._fund(
                    conn,
                    account,
                    kind,
                    payment.amount_minor,
                    actor,
                    reason,
                    payment.idempotency_key,
                    payment.request_hash,
                )
                await conn.execute(
                    update(payments)
                    .where(payments.c.id == payment_id)
                    .values(
                        status="succeeded",
                        reference=result.reference,
                        entry_seq=entry["seq"],
                        lease_until=None,
                        updated_at=now,
                    )
                )
                if is_auto:
                    await conn.execute(
                        update(accounts)
                        .where(accounts.c.id == account["id"])
                        .values(consecutive_declines=0, recharge_armed=True)
                    )
                    account.update(consecutive_declines=0, recharge_armed=True)
                    await self._alert(
                        conn,
                        account,
                        AlertKind.RECHARGE_SUCCEEDED,
                        f"{payment.idempotency_key}",
                        {"amount_minor": payment.amount_minor, "payment_id": payment_id},
                    )
                await self._after_change(conn, account, cause=kind.value)
                return "succeeded"
            reason = (result.reason or "declined")[:500]
            await conn.execute(
                update(payments)
                .where(payments.c.id == payment_id)
                .values(status="declined", reason=reason, lease_until=None, updated_at=now)
            )
            if is_auto:
                declines = account["consecutive_declines"] + 1
                paused = declines >= self.config.declines_before_pause
                await conn.execute(
                    update(accounts)
                    .where(accounts.c.id == account["id"])
                    .values(
                        consecutive_declines=declines,
                        recharge_paused=paused or account["recharge_paused"],
                        # the next debit below the trigger tries again, until paused
                        recharge_armed=True,
                    )
                )
                account.update(consecutive_declines=declines)
                payload = {
                    "amount_minor": payment.amount_minor,
                    "reason": reason,
                    "payment_id": payment_id,
                    "consecutive_declines": declines,
                }
                await self._alert(
                    conn, account, AlertKind.RECHARGE_FAILED, payment.idempotency_key, payload
                )
                if paused and not account["recharge_paused"]:
                    await self._alert(
                        conn,
                        account,
                        AlertKind.RECHARGE_PAUSED,
                        payment.idempotency_key,
                        payload,
                    )
            return "declined"

    async def adjust(
        self,
        tenant_id: str,
        amount: Decimal | int | str,
        actor: Actor,
        reason: str,
        idempotency_key: str,
    ) -> Entry:
        """A manual correction (either sign), recorded with its reason; no payment is made."""
        key = f"adjustment:{_key(idempotency_key)}"
        if not reason.strip():
            raise ValidationError("An adjustment needs a reason.")
        async with self.db.write() as conn:
            row = await self._lock_account(conn, tenant_id)
            cur = currency(row.currency)
            text = str(amount).strip()
            negative = text.startswith("-")
            money = parse_strict(text.lstrip("-"), cur, None)
            minor = -money.minor if negative else money.minor
            request_hash = _hash("adjustment", minor, actor.id, reason)
            existing = await self._entry_by_key(conn, row.id, key)
            if existing is not None:
                if existing.request_hash != request_hash:
                    raise IdempotencyConflict(
                        "This request was already made with different details."
                    )
                return _entry(existing, cur)
            account = dict(row._mapping)
            if minor > 0:
                entry = await self._fund(
                    conn, account, EntryKind.ADJUSTMENT, minor, actor, reason, key, request_hash
                )
            else:
                entry = await self._append(
                    conn, account, EntryKind.ADJUSTMENT, minor, actor, reason, key, request_hash
                )
                await self._consume(conn, account, -minor)
            await self._after_change(conn, account, cause="adjustment")
            return _entry_from_dict(entry, cur)

    async def _consume(self, conn: AsyncConnection, account: dict[str, Any], minor: int) -> None:
        """Take `minor` from the oldest unexpired lots; what no lot covers becomes debt."""
        order, remaining = await self._open_lots(conn, account["id"])
        taken = _take(remaining, order, minor)
        uncovered = taken.pop(-1, 0)
        await self._write_lots(conn, remaining, taken)
        if uncovered:
            account["debt_minor"] += uncovered
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == account["id"])
                .values(debt_minor=account["debt_minor"])
            )

    async def _open_lots(
        self, conn: AsyncConnection, account_id: int
    ) -> tuple[list[int], dict[int, int]]:
        """Unexpired lots with funds left, oldest expiry first: their order and what is left."""
        rows = (
            await conn.execute(
                select(lots.c.id, lots.c.remaining_minor)
                .where(
                    lots.c.account_id == account_id,
                    lots.c.remaining_minor > 0,
                    lots.c.expires_at > self.clock.now(),
                )
                .order_by(lots.c.expires_at, lots.c.id)
            )
        ).all()
        return [lot.id for lot in rows], {lot.id: lot.remaining_minor for lot in rows}

    async def _write_lots(
        self, conn: AsyncConnection, remaining: dict[int, int], changed: Iterable[int]
    ) -> None:
        if changed:
            await conn.execute(
                update(lots)
                .where(lots.c.id == bindparam("lot_id"))
                .values(remaining_minor=bindparam("new_remaining")),
                [{"lot_id": k, "new_remaining": remaining[k]} for k in changed],
            )

    # ------------------------------------------------------------------ settings

    async def set_auto_recharge(
        self,
        tenant_id: str,
        actor: Actor,
        *,
        enabled: bool | None = None,
        amount: AmountInput | None = None,
        trigger: AmountInput | None = None,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> AccountView:
        """Change any of {enabled, amount, trigger}. Turning it on clears a pause. If the
        balance is already below the trigger, the recharge starts at once. A key voided by
        `void_request` raises RequestCancelled and changes nothing."""
        async with self.db.write() as conn:
            row = await self._lock_account(conn, tenant_id)
            cur = currency(row.currency)
            changes: dict[str, Any] = {}
            if amount is not None:
                changes["recharge_amount_minor"] = self._money(amount, cur, self.limits()).minor
            if trigger is not None:
                changes["recharge_trigger_minor"] = self._trigger(trigger, cur).minor
            if enabled is not None:
                changes["recharge_enabled"] = enabled
            final_amount = changes.get("recharge_amount_minor", row.recharge_amount_minor)
            final_trigger = changes.get("recharge_trigger_minor", row.recharge_trigger_minor)
            if changes.get("recharge_enabled", row.recharge_enabled) and (
                final_amount is None or final_trigger is None
            ):
                raise ValidationError(
                    "Set both a recharge amount and a trigger before turning auto-recharge on."
                )
            if enabled:
                changes.update(recharge_paused=False, consecutive_declines=0, recharge_armed=True)
            details = {k: v for k, v in changes.items() if k.startswith("recharge_")}
            replay = await self._operation(
                conn, row, "auto_recharge", actor, details, idempotency_key, expected_version
            )
            if not replay:
                await self._apply_settings(conn, row, changes, "settings")
            return await self._view(conn, await self._reload(conn, row.id))

    async def set_recharge_caps(
        self,
        tenant_id: str,
        actor: Actor,
        *,
        daily_limit: int | None = None,
        monthly_cap: AmountInput | None = None,
        clear_monthly_cap: bool = False,
        expected_version: int | None = None,
    ) -> AccountView:
        async with self.db.write() as conn:
            row = await self._lock_account(conn, tenant_id)
            cur = currency(row.currency)
            changes: dict[str, Any] = {}
            if daily_limit is not None:
                if isinstance(daily_limit, bool) or not 1 <= daily_limit <= 100:
                    raise ValidationError("The daily recharge limit must be from 1 to 100.")
                changes["daily_recharge_limit"] = daily_limit
            if clear_monthly_cap:
                changes["monthly_recharge_cap_minor"] = None
            elif monthly_cap is not None:
                changes["monthly_recharge_cap_minor"] = self._money(monthly_cap, cur, None).minor
            await self._operation(
                conn, row, "recharge_caps", actor, changes, None, expected_version
            )
            await self._apply_settings(conn, row, changes, "settings")
            return await self._view(conn, await self._reload(conn, row.id))

    async def set_alert_thresholds(
        self,
        tenant_id: str,
        actor: Actor,
        thresholds: Sequence[AmountInput],
        *,
        expected_version: int | None = None,
    ) -> AccountView:
        """Up to three low-balance thresholds; an empty list restores the default."""
        if len(thresholds) > MAX_THRESHOLDS:
            raise ValidationError(f"Set at most {MAX_THRESHOLDS} low-balance thresholds.")
        async with self.db.write() as conn:
            row = await self._lock_account(conn, tenant_id)
            cur = currency(row.currency)
            values = sorted({self._trigger(t, cur).minor for t in thresholds}, reverse=True)
            if any(v <= 0 for v in values):
                raise ValidationError("Low-balance thresholds must be more than zero.")
            changes = {"alert_thresholds": values}
            await self._operation(
                conn, row, "alert_thresholds", actor, changes, None, expected_version
            )
            await self._apply_settings(conn, row, changes, "settings")
            return await self._view(conn, await self._reload(conn, row.id))

    async def was_applied(self, tenant_id: str, idempotency_key: str) -> bool:
        """Whether a settings change with this key was saved already (a second click)."""
        row = await self._account_row(tenant_id)
        async with self.db.read() as conn:
            found = await conn.execute(
                select(operations.c.id).where(
                    operations.c.account_id == row.id,
                    operations.c.idempotency_key == _key(idempotency_key),
                    operations.c.action != CANCELLED_REQUEST,
                )
            )
            return found.first() is not None

    async def void_request(self, tenant_id: str, idempotency_key: str, actor: Actor) -> VoidOutcome:
        """Cancel a confirm card's request (its key) before it is confirmed: a later
        `add_funds` or `set_auto_recharge` with the key raises RequestCancelled, on every
        replica. Under the account lock, as they are: a Confirm racing this either ran first
        (ALREADY_DONE: the purchase or the settings change stands) or finds the void."""
        key = _key(idempotency_key)
        async with self.db.write() as conn:
            row = await self._lock_account(conn, tenant_id)
            paid = await conn.execute(
                select(payments.c.id).where(
                    payments.c.idempotency_key == f"purchase:{row.id}:{key}"
                )
            )
            if paid.first() is not None:
                return VoidOutcome.ALREADY_DONE
            action = (
                await conn.execute(
                    select(operations.c.action).where(
                        operations.c.account_id == row.id, operations.c.idempotency_key == key
                    )
                )
            ).scalar_one_or_none()
            if action == CANCELLED_REQUEST:
                return VoidOutcome.ALREADY_CANCELLED
            if action is not None:
                return VoidOutcome.ALREADY_DONE
            await conn.execute(
                operations.insert().values(
                    account_id=row.id,
                    action=CANCELLED_REQUEST,
                    actor_id=actor.id,
                    actor_name=actor.name[:200],
                    details={},
                    idempotency_key=key,
                    request_hash=_hash(CANCELLED_REQUEST, key),
                    created_at=self.clock.now(),
                )
            )
            return VoidOutcome.CANCELLED

    async def _operation(
        self,
        conn: AsyncConnection,
        row: Row[Any],
        action: str,
        actor: Actor,
        details: dict[str, Any],
        idempotency_key: str | None,
        expected_version: int | None,
    ) -> bool:
        """Audit a settings change; True when this key was already applied (a replay)."""
        request_hash = _hash(action, details, actor.id)
        if idempotency_key is not None:
            key = _key(idempotency_key)
            existing = (
                await conn.execute(
                    select(operations).where(
                        operations.c.account_id == row.id, operations.c.idempotency_key == key
                    )
                )
            ).one_or_none()
            if existing is not None:
                if existing.action == CANCELLED_REQUEST:
                    raise RequestCancelled()
                if existing.request_hash != request_hash:
                    raise IdempotencyConflict(
                        "This request was already made with different details."
                    )
                return True
        else:
            key = None
        if expected_version is not None and expected_version != row.settings_version:
            raise StaleError("These settings changed since this card was shown; open them again.")
        await conn.execute(
            operations.insert().values(
                account_id=row.id,
                action=action,
                actor_id=actor.id,
                actor_name=actor.name[:200],
                details=details,
                idempotency_key=key,
                request_hash=request_hash,
                created_at=self.clock.now(),
            )
        )
        return False

    async def _apply_settings(
        self, conn: AsyncConnection, row: Row[Any], changes: dict[str, Any], cause: str
    ) -> None:
        """Save settings. A change to auto-recharge itself withdraws a queued (not yet charging)
        recharge and starts over with the new settings; other settings leave recharges alone."""
        changes = dict(changes, settings_version=row.settings_version + 1)
        recharge_changed = any(
            key in changes and changes[key] != getattr(row, key) for key in RECHARGE_SETTINGS
        )
        if recharge_changed:
            withdrawn = await conn.execute(
                update(payments)
                .where(
                    payments.c.account_id == row.id,
                    payments.c.kind == "auto_recharge",
                    payments.c.status == "pending",
                )
                .values(
                    status="cancelled",
                    reason="auto-recharge settings changed",
                    updated_at=self.clock.now(),
                )
            )
            if withdrawn.rowcount:
                changes["recharge_armed"] = True
        await conn.execute(update(accounts).where(accounts.c.id == row.id).values(**changes))
        if recharge_changed:
            account = dict(row._mapping)
            account.update(changes)
            await self._after_change(conn, account, cause=cause, ledger_changed=False)

    async def _reload(self, conn: AsyncConnection, account_id: int) -> Row[Any]:
        return (await conn.execute(select(accounts).where(accounts.c.id == account_id))).one()

    # ------------------------------------------------------------------ history

    async def history(
        self, tenant_id: str, *, limit: int = 10, before_seq: int | None = None
    ) -> HistoryPage:
        """Newest first; `next_before` pages to older entries."""
        if not 1 <= limit <= 200:
            raise ValidationError("Ask for 1 to 200 entries at a time.")
        row = await self._account_row(tenant_id)
        cur = currency(row.currency)
        query = select(ledger_entries).where(ledger_entries.c.account_id == row.id)
        if before_seq is not None:
            query = query.where(ledger_entries.c.seq < before_seq)
        query = query.order_by(ledger_entries.c.seq.desc()).limit(limit + 1)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        entries = tuple(_entry(r, cur) for r in rows[:limit])
        more = len(rows) > limit
        return HistoryPage(entries, entries[-1].seq if more and entries else None)

    # ------------------------------------------------------------------ usage

    async def ingest_usage(
        self, records: Sequence[Any], *, default_tenant: str | None = None
    ) -> list[UsageOutcome]:
        """Apply a batch of call records in one transaction. Each record gets an outcome:
        applied, duplicate (same id, same charge), conflict (same id, other charge) or
        rejected (with the reason: a field `parse_record` refuses, another currency, or a charge
        that would take the balance below BALANCE_FLOOR_MINOR). Bad records never stop good
        ones: whatever a record holds, it is judged alone and nothing it holds reaches the store
        unchecked."""
        outcomes: list[UsageOutcome | None] = [None] * len(records)
        by_tenant: dict[str, list[tuple[int, UsageRecord]]] = defaultdict(list)
        for index, raw in enumerate(records):
            try:
                record = parse_record(raw, default_tenant)
            except ValidationError as error:
                outcomes[index] = UsageOutcome(
                    index, sent_id(raw), None, UsageStatus.REJECTED, str(error)
                )
                continue
            by_tenant[record.tenant_id].append((index, record))
        if by_tenant:
            async with self.db.write() as conn:
                for tenant_id in sorted(by_tenant):  # one lock order: no deadlocks
                    for outcome in await self._ingest_tenant(conn, tenant_id, by_tenant[tenant_id]):
                        outcomes[outcome.index] = outcome
        return [o for o in outcomes if o is not None]

    async def _ingest_tenant(
        self, conn: AsyncConnection, tenant_id: str, batch: list[tuple[int, UsageRecord]]
    ) -> list[UsageOutcome]:
        row = await self._lock_account(conn, tenant_id)
        account = dict(row._mapping)
        cur = currency(row.currency)
        now = self.clock.now()
        known = await self._known_usage(conn, row.id, [record.id for _, record in batch])
        lot_order, remaining = await self._open_lots(conn, row.id)
        changed: dict[int, int] = {}
        outcomes: list[UsageOutcome] = []
        usage_rows: list[dict[str, Any]] = []
        entry_rows: list[dict[str, Any]] = []
        balance, seq, debt = account["balance_minor"], account["last_seq"], account["debt_minor"]
        for index, record in batch:
            refused = _usage_refusal(record, cur, known, balance)
            if refused is not None:
                outcomes.append(UsageOutcome(index, record.id, tenant_id, *refused))
                continue
            charge = record.charge.minor
            known[record.id] = charge
            entry_seq = None
            if charge:
                seq += 1
                balance -= charge
                entry_seq = seq
                entry_rows.append(_usage_entry(row.id, seq, balance, record, now))
                taken = _take(remaining, lot_order, charge)
                debt += taken.pop(-1, 0)
                changed.update(taken)
            usage_rows.append(_usage_row(row.id, record, entry_seq, now))
            outcomes.append(UsageOutcome(index, record.id, tenant_id, UsageStatus.APPLIED))
        for start in range(0, len(entry_rows), CHUNK):
            await self._insert_many(conn, ledger_entries, entry_rows[start : start + CHUNK])
        for start in range(0, len(usage_rows), CHUNK):
            await self._insert_many(conn, usage_records, usage_rows[start : start + CHUNK])
        if changed:
            await self._write_lots(conn, remaining, changed)
        if debt != account["debt_minor"]:
            await conn.execute(
                update(accounts).where(accounts.c.id == row.id).values(debt_minor=debt)
            )
        if entry_rows:
            account.update(balance_minor=balance, last_seq=seq, debt_minor=debt)
            await self._after_change(conn, account, cause="usage", usage_changed=True)
        return outcomes

    async def _known_usage(
        self, conn: AsyncConnection, account_id: int, record_ids: list[str]
    ) -> dict[str, int]:
        """The charges already recorded for these record ids (by id)."""
        known: dict[str, int] = {}
        ids = list(dict.fromkeys(record_ids))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            query = select(usage_records.c.record_id, usage_records.c.charge_minor).where(
                usage_records.c.account_id == account_id
            )
            if self.db.dialect == "postgresql":  # a join, so each id is an index lookup
                wanted = (
                    func.unnest(bindparam("ids", chunk, ARRAY(String())))
                    .table_valued("id")
                    .render_derived()
                )
                query = query.join(wanted, usage_records.c.record_id == wanted.c.id)
            else:
                query = query.where(usage_records.c.record_id.in_(chunk))
            found = await conn.execute(query)
            known.update({r.record_id: r.charge_minor for r in found})
        return known

    async def _insert_many(
        self, conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]
    ) -> None:
        """Insert rows in one statement. On PostgreSQL the rows travel as arrays through
        unnest(), so the ledger's statement trigger checks and applies the batch once."""
        if not rows:
            return
        if self.db.dialect != "postgresql":
            await conn.execute(table.insert(), rows)
            return
        names = list(rows[0])
        columns = [
            func.unnest(bindparam(f"a_{name}", [r[name] for r in rows], ARRAY(table.c[name].type)))
            for name in names
        ]
        await conn.execute(table.insert().from_select(names, select(*columns)))

    # ------------------------------------------------------------------ payments runner

    async def claim_payments(self, worker_id: str, limit: int = 10) -> list[PaymentView]:
        """Claim pending auto-recharges and payments whose worker vanished (lease expired)."""
        now = self.clock.now()
        due = or_(
            payments.c.status == "pending",
            and_(
                payments.c.status == "charging",
                payments.c.lease_until <= now,
                payments.c.created_at > now - self.config.stuck_after,  # stuck: reported
            ),
        )
        async with self.db.write() as conn:
            ids = await self._claim(
                conn, payments, due, "charging", self.config.recharge_lease, worker_id, limit
            )
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
        return [_payment_view(r, currency(r.currency)) for r in rows]

    async def _claim(
        self,
        conn: AsyncConnection,
        table: Table,
        due: ColumnElement[bool],
        status: str,
        lease: timedelta,
        worker_id: str,
        limit: int,
    ) -> list[int]:
        """Take up to `limit` due rows for this worker, oldest first. Rows another worker is
        claiming right now are skipped (SKIP LOCKED on PostgreSQL; SQLite has one writer)."""
        query = (
            select(table.c.id)
            .where(due)
            .order_by(table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await conn.execute(query)).scalars())
        if ids:
            now = self.clock.now()
            values: dict[str, Any] = {
                "status": status,
                "claimed_by": worker_id,
                "lease_until": now + lease,
                "attempts": table.c.attempts + 1,
            }
            if "updated_at" in table.c:
                values["updated_at"] = now
            await conn.execute(update(table).where(table.c.id.in_(ids)).values(**values))
        return ids

    async def process_payment(self, payment: PaymentView) -> RechargeOutcome:
        """Charge a claimed payment with its own key and settle it. A gateway that does not
        answer in time leaves the payment to be retried later with the same key."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(payments.c.account_id, accounts.c.tenant_id)
                    .join(accounts, accounts.c.id == payments.c.account_id)
                    .where(payments.c.id == payment.id)
                )
            ).one()
        description = "Auto-recharge" if payment.kind == "auto_recharge" else "Purchase"
        request = ChargeRequest(
            row.tenant_id, row.account_id, payment.amount, payment.idempotency_key, description
        )
        result = await self._charge(request)
        if result is None:
            async with self.db.write() as conn:
                await conn.execute(
                    update(payments)
                    .where(payments.c.id == payment.id, payments.c.status == "charging")
                    .values(
                        lease_until=self.clock.now(),
                        reason="the payment gateway gave no answer; retried with the same key",
                        updated_at=self.clock.now(),
                    )
                )
            return RechargeOutcome(
                payment.id, row.tenant_id, payment.kind, "retry", payment.amount, "no answer"
            )
        await self._settle(payment.id, result)
        status = "succeeded" if result.approved else "declined"
        return RechargeOutcome(
            payment.id, row.tenant_id, payment.kind, status, payment.amount, result.reason
        )

    async def process_payments(self, worker_id: str, limit: int = 10) -> list[RechargeOutcome]:
        """Claim and process what is due; what the host's recharge runner calls in a loop."""
        claimed = await self.claim_payments(worker_id, limit)
        return [await self.process_payment(p) for p in claimed]

    async def report_stuck_payments(self) -> list[PaymentView]:
        """Payments unsettled for longer than `stuck_payment_seconds`: no longer retried by the
        runner (the gateway may be charging still); each is reported once as a failed-recharge
        alert so an admin checks with the payment provider."""
        now = self.clock.now()
        async with self.db.write() as conn:
            rows = (
                await conn.execute(
                    select(
                        payments,
                        accounts.c.tenant_id,
                        accounts.c.currency,
                        accounts.c.balance_minor,
                    )
                    .join(accounts, accounts.c.id == payments.c.account_id)
                    .where(
                        payments.c.status.in_(("pending", "charging")),
                        payments.c.created_at <= now - self.config.stuck_after,
                    )
                )
            ).all()
            stuck = []
            for row in rows:
                account = {
                    "id": row.account_id,
                    "tenant_id": row.tenant_id,
                    "currency": row.currency,
                    "balance_minor": row.balance_minor,
                }
                minutes = int((now - row.created_at).total_seconds() // 60)
                payload = {
                    "amount_minor": row.amount_minor,
                    "payment_id": row.id,
                    "reason": f"the payment has not settled for {minutes} minutes; "
                    "check with the payment provider before retrying",
                    "stuck": True,
                }
                await self._alert(
                    conn, account, AlertKind.RECHARGE_FAILED, f"stuck:{row.id}", payload
                )
                stuck.append(_payment_view(row, currency(row.currency)))
        return stuck

    async def payments(self, tenant_id: str, limit: int = 20) -> list[PaymentView]:
        row = await self._account_row(tenant_id)
        cur = currency(row.currency)
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(payments)
                    .where(payments.c.account_id == row.id)
                    .order_by(payments.c.id.desc())
                    .limit(limit)
                )
            ).all()
        return [_payment_view(r, cur) for r in rows]

    # ------------------------------------------------------------------ periodic checks

    async def run_checks(self) -> CheckReport:
        """Expire lots, warn of funds about to expire, watch runway and unusual spend."""
        async with self.db.read() as conn:
            ids = list((await conn.execute(select(accounts.c.tenant_id))).scalars())
        expired, fired = 0, []
        for tenant_id in ids:
            count, kinds = await self._check_account(tenant_id)
            expired += count
            fired += kinds
        return CheckReport(expired_lots=expired, alerts=tuple(fired))

    async def _check_account(self, tenant_id: str) -> tuple[int, list[str]]:
        now = self.clock.now()
        written: list[str] = []
        async with self.db.write() as conn:
            row = await self._lock_account(conn, tenant_id)
            account = dict(row._mapping)
            stale = (
                await conn.execute(
                    select(lots.c.id, lots.c.remaining_minor, lots.c.expires_at)
                    .where(
                        lots.c.account_id == row.id,
                        lots.c.remaining_minor > 0,
                        lots.c.expires_at <= now,
                    )
                    .order_by(lots.c.expires_at, lots.c.id)
                )
            ).all()
            for lot in stale:
                await self._append(
                    conn,
                    account,
                    EntryKind.EXPIRY,
                    -lot.remaining_minor,
                    EXPIRY,
                    f"Funds bought {lot.expires_at:%Y-%m-%d} minus 12 months expired",
                    f"expiry:{lot.id}",
                    _hash("expiry", lot.id, lot.remaining_minor),
                    occurred_at=lot.expires_at,
                )
                await conn.execute(
                    update(lots).where(lots.c.id == lot.id).values(remaining_minor=0)
                )
            if stale:
                written += await self._after_change(conn, account, cause="expiry")
            soon = (
                await conn.execute(
                    select(lots.c.id, lots.c.remaining_minor, lots.c.expires_at)
                    .where(
                        lots.c.account_id == row.id,
                        lots.c.remaining_minor > 0,
                        lots.c.expiry_warned.is_(False),
                        lots.c.expires_at <= now + timedelta(days=self.config.expiry_warning_days),
                    )
                    .order_by(lots.c.expires_at)
                )
            ).all()
            if soon:
                payload = {
                    "amount_minor": sum(lot.remaining_minor for lot in soon),
                    "expires_at": soon[0].expires_at.isoformat(),
                }
                key = f"{row.id}:" + ",".join(str(lot.id) for lot in soon)
                if await self._alert(conn, account, AlertKind.FUNDS_EXPIRING, key, payload):
                    written.append(AlertKind.FUNDS_EXPIRING.value)
                await conn.execute(
                    update(lots)
                    .where(lots.c.id.in_([lot.id for lot in soon]))
                    .values(expiry_warned=True)
                )
            burn = await self._burn_per_day(conn, row.id, now)
            days = rules.runway_days(account["balance_minor"], burn)
            recharging = account["recharge_enabled"] and not account["recharge_paused"]
            fired, armed = rules.runway_rule(
                None if recharging else days, self.config.runway_alert_days, account["alert_armed"]
            )
            more, armed = await self._unusual_spend(conn, account, armed)
            hour = now.strftime("%Y%m%d%H")
            for alert in fired + more:
                payload = dict(alert.payload, daily_burn_minor=str(burn.to_integral_value()))
                if await self._alert(
                    conn, account, alert.kind, f"{row.id}:{alert.rule}:{hour}", payload
                ):
                    written.append(alert.kind.value)
            if armed != account["alert_armed"]:
                await conn.execute(
                    update(accounts).where(accounts.c.id == row.id).values(alert_armed=armed)
                )
        return len(stale), written

    # ------------------------------------------------------------------ alert outbox

    async def list_alerts(
        self, tenant_id: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[Alert]:
        query = select(alerts).order_by(alerts.c.id).limit(limit)
        if tenant_id is not None:
            query = query.where(alerts.c.tenant_id == tenant_id)
        if status is not None:
            query = query.where(alerts.c.status == status)
        async with self.db.read() as conn:
            return [_alert(r) for r in (await conn.execute(query)).all()]

    async def claim_alerts(self, worker_id: str, limit: int = 50) -> list[Alert]:
        """Claim alerts due for delivery (pending, or claimed by a worker whose lease ran out)."""
        now = self.clock.now()
        due = or_(
            and_(
                alerts.c.status == "pending",
                or_(alerts.c.not_before.is_(None), alerts.c.not_before <= now),
            ),
            and_(alerts.c.status == "claimed", alerts.c.lease_until <= now),
        )
        async with self.db.write() as conn:
            ids = await self._claim(
                conn, alerts, due, "claimed", self.config.alert_lease, worker_id, limit
            )
            if not ids:
                return []
            rows = (
                await conn.execute(select(alerts).where(alerts.c.id.in_(ids)).order_by(alerts.c.id))
            ).all()
        return [_alert(r) for r in rows]

    async def ack_alert(self, alert_id: int, worker_id: str) -> bool:
        """Mark delivered. False if this worker no longer holds the claim."""
        return await self._finish_alert(
            alert_id, worker_id, status="delivered", delivered_at=self.clock.now()
        )

    async def retry_alert(
        self, alert_id: int, worker_id: str, error: str, not_before: datetime
    ) -> bool:
        return await self._finish_alert(
            alert_id, worker_id, status="pending", last_error=error[:2000], not_before=not_before
        )

    async def fail_alert(self, alert_id: int, worker_id: str, error: str) -> bool:
        return await self._finish_alert(
            alert_id, worker_id, status="failed", last_error=error[:2000]
        )

    async def _finish_alert(self, alert_id: int, worker_id: str, **values: Any) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(
                update(alerts)
                .where(
                    alerts.c.id == alert_id,
                    alerts.c.status == "claimed",
                    alerts.c.claimed_by == worker_id,
                )
                .values(claimed_by=None, lease_until=None, **values)
            )
            return bool(result.rowcount)

    # ------------------------------------------------------------------ admins

    async def is_admin(self, tenant_id: str, aad_object_id: str | None) -> bool:
        if not aad_object_id:
            return False
        if aad_object_id in self.config.admins:
            return True
        async with self.db.read() as conn:
            found = await conn.execute(
                select(admins.c.aad_object_id).where(
                    admins.c.tenant_id == tenant_id, admins.c.aad_object_id == aad_object_id
                )
            )
            return found.first() is not None

    async def list_admins(self, tenant_id: str) -> list[Admin]:
        listed = [Admin(a, a, "config") for a in self.config.admins]
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(admins).where(admins.c.tenant_id == tenant_id).order_by(admins.c.name)
                )
            ).all()
        return listed + [
            Admin(r.aad_object_id, r.name, "granted", r.granted_by, r.granted_at) for r in rows
        ]

    async def grant_admin(self, tenant_id: str, aad_object_id: str, name: str, by: Actor) -> bool:
        """True if granted now, False if already an admin."""
        if not aad_object_id.strip():
            raise ValidationError("Name the person by their Microsoft Entra object id.")
        if await self.is_admin(tenant_id, aad_object_id):
            return False
        insert = self._upsert_insert
        async with self.db.write() as conn:
            result = await conn.execute(
                insert(admins)
                .values(
                    tenant_id=_tenant(tenant_id),
                    aad_object_id=aad_object_id,
                    name=name[:200] or aad_object_id,
                    granted_by=by.id,
                    granted_at=self.clock.now(),
                )
                .on_conflict_do_nothing()
            )
            return bool(result.rowcount)

    async def revoke_admin(self, tenant_id: str, aad_object_id: str) -> bool:
        if aad_object_id in self.config.admins:
            raise ValidationError(
                "This admin is set in the bot's configuration (CREDITS_ADMINS); remove them there."
            )
        async with self.db.write() as conn:
            result = await conn.execute(
                delete(admins).where(
                    admins.c.tenant_id == tenant_id, admins.c.aad_object_id == aad_object_id
                )
            )
            if not result.rowcount:
                raise NotFoundError("That person is not an admin here.")
            return True

    # ------------------------------------------------------------------ subscriptions

    async def subscribe(
        self, tenant_id: str, conversation_id: str, reference: dict[str, Any], actor: Actor
    ) -> bool:
        """Store a channel's conversation reference for alerts; True if new, False if updated."""
        tenant_id = _tenant(tenant_id)
        json.dumps(reference)  # must be plain JSON
        async with self.db.write() as conn:
            found = await conn.execute(
                update(subscriptions)
                .where(
                    subscriptions.c.tenant_id == tenant_id,
                    subscriptions.c.conversation_id == conversation_id,
                )
                .values(reference=reference)
            )
            if found.rowcount:
                return False
            await conn.execute(
                subscriptions.insert().values(
                    tenant_id=tenant_id,
                    conversation_id=conversation_id,
                    reference=reference,
                    created_by=actor.id,
                    created_at=self.clock.now(),
                )
            )
            return True

    async def unsubscribe(self, tenant_id: str, conversation_id: str) -> bool:
        async with self.db.write() as conn:
            result = await conn.execute(
                delete(subscriptions).where(
                    subscriptions.c.tenant_id == tenant_id,
                    subscriptions.c.conversation_id == conversation_id,
                )
            )
            return bool(result.rowcount)

    async def list_subscriptions(self, tenant_id: str) -> list[Subscription]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(subscriptions)
                    .where(subscriptions.c.tenant_id == tenant_id)
                    .order_by(subscriptions.c.id)
                )
            ).all()
        return [
            Subscription(r.tenant_id, r.conversation_id, r.reference, r.created_by, r.created_at)
            for r in rows
        ]

    # ------------------------------------------------------------------ kept replies

    async def keep_reply(self, reply: replies.NewReply) -> replies.KeptReply:
        return await replies.keep(self.db, self.clock.now(), reply)

    async def claim_replies(self, worker_id: str, limit: int = 20) -> list[replies.KeptReply]:
        return await replies.claim(
            self.db, self.clock.now(), worker_id, limit, self.config.alert_lease
        )

    async def ack_reply(self, reply_id: int, worker_id: str) -> bool:
        return await replies.ack(self.db, self.clock.now(), reply_id, worker_id)

    async def retry_reply(
        self, reply_id: int, worker_id: str, error: str, not_before: datetime
    ) -> bool:
        return await replies.retry(self.db, reply_id, worker_id, error, not_before)

    async def fail_reply(self, reply_id: int, worker_id: str, error: str) -> bool:
        return await replies.fail(self.db, reply_id, worker_id, error)

    async def list_replies(
        self, tenant_id: str | None = None, status: replies.ReplyStatus | None = None
    ) -> list[replies.KeptReply]:
        return await replies.listing(self.db, tenant_id, status, 100)

    # ------------------------------------------------------------------ host support

    async def first_delivery(self, key: str) -> bool:
        """True the first time `key` is seen: Teams redelivers an activity after 15 s, possibly
        to another replica, and it must have one effect.

        The whole key is kept, as its SHA-256: keys of any length stay apart (a conversation id
        can be 450 characters), and none of its characters reaches the store."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        insert = self._upsert_insert
        async with self.db.write() as conn:
            result = await conn.execute(
                insert(processed_activities)
                .values(key=digest, created_at=self.clock.now())
                .on_conflict_do_nothing(index_elements=["key"])
            )
            return bool(result.rowcount)

    async def deployment_secret(self, name: str) -> str:
        """A random secret made once per database and shared by every replica."""
        insert = self._upsert_insert
        async with self.db.write() as conn:
            await conn.execute(
                insert(deployment_secrets)
                .values(name=name, value=secrets.token_hex(32), created_at=self.clock.now())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            found = await conn.execute(
                select(deployment_secrets.c.value).where(deployment_secrets.c.name == name)
            )
            return str(found.scalar_one())

    # ------------------------------------------------------------------ audit

    async def verify(self, tenant_id: str) -> dict[str, int]:
        """Recompute the balance three ways; they must agree (used by tests and `doctor`)."""
        row = await self._account_row(tenant_id)
        async with self.db.read() as conn:
            entries = (
                await conn.execute(
                    select(func.coalesce(func.sum(ledger_entries.c.amount_minor), 0)).where(
                        ledger_entries.c.account_id == row.id
                    )
                )
            ).scalar_one()
            open_lots = (
                await conn.execute(
                    select(func.coalesce(func.sum(lots.c.remaining_minor), 0)).where(
                        lots.c.account_id == row.id
                    )
                )
            ).scalar_one()
            fresh = (await conn.execute(select(accounts).where(accounts.c.id == row.id))).one()
        return {
            "stored": fresh.balance_minor,
            "entries": int(entries),
            "lots_minus_debt": int(open_lots) - fresh.debt_minor,
        }

    # ------------------------------------------------------------------ alert deliveries

    async def delivered_to(self, alert_id: int) -> set[str]:
        """The conversations an alert was already posted to (dedupe per alert and conversation)."""
        from credits.schema import alert_deliveries

        async with self.db.read() as conn:
            found = await conn.execute(
                select(alert_deliveries.c.conversation_id).where(
                    alert_deliveries.c.alert_id == alert_id
                )
            )
            return set(found.scalars())

    async def record_delivery(
        self, alert_id: int, conversation_id: str, activity_id: str | None
    ) -> bool:
        """Note that an alert reached a conversation; False if it was noted already."""
        from credits.schema import alert_deliveries

        insert = self._upsert_insert
        async with self.db.write() as conn:
            result = await conn.execute(
                insert(alert_deliveries)
                .values(
                    alert_id=alert_id,
                    conversation_id=conversation_id,
                    activity_id=(activity_id or None) and activity_id[:200],
                    delivered_at=self.clock.now(),
                )
                .on_conflict_do_nothing(index_elements=["alert_id", "conversation_id"])
            )
            return bool(result.rowcount)


# ---------------------------------------------------------------------- helpers


def _tenant(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not tenant_id.strip() or len(tenant_id) > 100:
        raise ValidationError("A tenant id is required.")
    return tenant_id.strip()


def _is_zero(value: AmountInput) -> bool:
    """Zero is not a purchase amount, but it is a valid trigger ("recharge when below 0")."""
    if isinstance(value, str):
        return re.fullmatch(r"\s*0+(\.0+)?\s*", value) is not None
    return not isinstance(value, bool) and value == 0


def _key(key: str) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > 150:
        raise ValidationError("An idempotency key of 1 to 150 characters is required.")
    return key.strip()


def _take(remaining: dict[int, int], order: Iterable[int], amount: int) -> dict[int, int]:
    """Consume `amount` from lots in order, mutating `remaining`; returns the lots touched
    (lot id -> taken) and, under key -1, what no lot could cover."""
    taken: dict[int, int] = {}
    for lot_id in order:
        if amount == 0:
            break
        available = remaining[lot_id]
        if available <= 0:
            continue
        part = min(available, amount)
        remaining[lot_id] = available - part
        taken[lot_id] = part
        amount -= part
    if amount:
        taken[-1] = amount
    return taken


def _usage_refusal(
    record: UsageRecord, cur: Currency, known: dict[str, int], balance: int
) -> tuple[UsageStatus, str | None] | None:
    """Why a valid record is not applied to this account (rejected, duplicate or conflict) and
    the reason, or None to apply it."""
    if record.charge.currency != cur:
        sent = record.charge.currency.code
        return UsageStatus.REJECTED, f"the account is in {cur.code}, not {sent}"
    charge = record.charge.minor
    if record.id in known:
        if known[record.id] == charge:
            return UsageStatus.DUPLICATE, None
        known_charge = Money.from_minor(known[record.id], cur)
        return UsageStatus.CONFLICT, f"already recorded with charge {known_charge}"
    if balance - charge < BALANCE_FLOOR_MINOR:
        floor = Money.from_minor(BALANCE_FLOOR_MINOR, cur).format()
        return (
            UsageStatus.REJECTED,
            f"'charge' of {record.charge.format()} would take the balance below {floor}, "
            "the lowest the ledger keeps",
        )
    return None


def _usage_entry(
    account_id: int, seq: int, balance: int, record: UsageRecord, now: datetime
) -> dict[str, Any]:
    charge = record.charge.minor
    return {
        "account_id": account_id,
        "seq": seq,
        "kind": EntryKind.USAGE.value,
        "amount_minor": -charge,
        "balance_after_minor": balance,
        "actor_id": USAGE.id,
        "actor_name": record.user_principal_name or USAGE.name,
        "reason": _usage_reason(record),
        "idempotency_key": ledger_key(record.id),
        "request_hash": _hash("usage", charge, record.charge.currency.code),
        "occurred_at": min(record.start, now),
        "created_at": now,
    }


def _usage_row(
    account_id: int, record: UsageRecord, entry_seq: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "record_id": record.id,
        "charge_minor": record.charge.minor,
        "currency": record.charge.currency.code,
        "start_at": record.start,
        "duration_seconds": record.duration_seconds,
        "license_capability": record.license_capability,
        "call_type": record.call_type,
        "user_principal_name": record.user_principal_name,
        "destination_context": record.destination_context,
        "entry_seq": entry_seq,
        "received_at": now,
    }


def _usage_reason(record: UsageRecord) -> str:
    """At most 412 characters (the column holds 500): the fields' limits are checked at the edge."""
    kind = record.call_type or record.license_capability or "call"
    minutes = (record.duration_seconds + 59) // 60
    where = f" to {record.destination_context}" if record.destination_context else ""
    return f"{kind}, {minutes} min{where} ({record.id})"


def _entry(row: Row[Any], cur: Currency) -> Entry:
    return _entry_from_dict(dict(row._mapping), cur)


def _entry_from_dict(row: dict[str, Any], cur: Currency) -> Entry:
    return Entry(
        seq=row["seq"],
        kind=EntryKind(row["kind"]),
        amount=Money.from_minor(row["amount_minor"], cur),
        balance_after=Money.from_minor(row["balance_after_minor"], cur),
        actor=Actor(row["actor_id"], row["actor_name"]),
        reason=row["reason"],
        idempotency_key=row["idempotency_key"],
        occurred_at=row["occurred_at"],
        created_at=row["created_at"],
    )


def _payment_view(row: Row[Any], cur: Currency) -> PaymentView:
    return PaymentView(
        id=row.id,
        kind=row.kind,
        status=row.status,
        amount=Money.from_minor(row.amount_minor, cur),
        idempotency_key=row.idempotency_key,
        reason=row.reason,
        reference=row.reference,
        attempts=row.attempts,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _alert(row: Row[Any]) -> Alert:
    return Alert(
        id=row.id,
        tenant_id=row.tenant_id,
        kind=AlertKind(row.kind),
        dedupe_key=row.dedupe_key,
        payload=row.payload,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        last_error=row.last_error,
    )
