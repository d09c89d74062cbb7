"""The facade the dialogs and the host call: every money rule of docs/design.md, one method each.

Each method delegates to the module that holds the rule (see docs/design.md, "The domain"):

- credits/store.py: the transaction helper (`store.locked(tenant_id)`), shared by all below
- credits/funding.py: add funds, adjustments
- credits/recharge.py: auto-recharge, the payments runner, settling a gateway's answer
- credits/ingest.py: usage ingest; credits/sources.py: the tenants whose usage Graph gives
- credits/usage_report.py: spend by user and by destination, the finance CSV's rows
- credits/ledger.py: entries and lots; credits/alerting.py: alert rules after a change
- credits/account_settings.py: auto-recharge settings, caps, thresholds, voided requests
- credits/checks.py: expiry, expiring funds, runway, unusual spend
- credits/outbox.py: the alert outbox and its deliveries
- credits/admins.py, credits/admins_claim.py: admins, granted and revoked; the claim code
- credits/directory.py: subscriptions; credits/views.py: what is shown

Every change runs in one write transaction that first locks the tenant's account row, so changes
to one account are serialised on SQLite and PostgreSQL alike, across processes and replicas.
The alerts a change causes are written to the outbox in that same transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

from credits import (
    account_settings,
    admins,
    admins_claim,
    audit_read,
    caps,
    directory,
    funding,
    ingest,
    shown,
    statement_read,
    statement_receipts,
    usage_report,
    views,
)
from credits.account_settings import MAX_THRESHOLDS as MAX_THRESHOLDS
from credits.admins_claim import ClaimCode
from credits.audit_models import ActivityPage, HistoryCursor
from credits.clock import Clock, SystemClock
from credits.config import CreditsConfig
from credits.db import Database
from credits.inputs import AmountInput as AmountInput
from credits.inputs import purchase_limits
from credits.models import (
    AccountView,
    Actor,
    Admin,
    AlertReach,
    CapsChange,
    Entry,
    FundingResult,
    HistoryPage,
    HistoryScope,
    PaymentView,
    PersonalChat,
    Subscription,
    UsageOutcome,
    VoidOutcome,
)
from credits.money import AmountLimits, Currency, currency
from credits.payments import PaymentGateway, gateway_from_config
from credits.service_workers import WorkerMethods
from credits.statement_models import (
    Receipt,
    ReceiptRange,
    Statement,
    StatementLine,
    StatementMonth,
)
from credits.store import Deps, Store
from credits.usage_report import CallRow, Period, UsageBreakdown, UsageSummary

# accounts whose currency is remembered, the most recently used (about 100 bytes each): a
# tenant's turns come close together, and a bound keeps the process small however many tenants
CURRENCIES_REMEMBERED = 1024


class CreditsService(WorkerMethods):
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
        store = Store(db, self.clock, self.default_currency)
        self.deps = Deps(store, config, self.clock, self.gateway)  # what the modules share
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
        db = Database.of(config, **engine_args)
        await db.migrate()
        return cls(db, config, gateway, clock)

    async def close(self) -> None:
        await self.db.dispose()

    async def ping(self) -> None:
        """A `SELECT 1` on the database; raises when it cannot be reached."""
        await self.deps.store.ping()

    def limits(self) -> AmountLimits:
        return purchase_limits(self.config)

    # ------------------------------------------------------------------ accounts

    async def currency_of(self, tenant_id: str) -> Currency:
        """The account's currency: fixed when the account is made, so remembered in-process."""
        cached = self._currencies.pop(tenant_id, None)  # put back last: the most recent
        if cached is None:
            cached = (await self.deps.store.account(tenant_id)).currency
            while len(self._currencies) >= CURRENCIES_REMEMBERED:  # forget the least recent
                del self._currencies[next(iter(self._currencies))]
        self._currencies[tenant_id] = cached
        return cached

    async def account(self, tenant_id: str) -> AccountView:
        """Balance, settings, last recharge, burn rate, runway and expiring funds."""
        return await views.account_view(self.deps, tenant_id)

    async def history(
        self, tenant_id: str, *, limit: int = 10, before_seq: int | None = None
    ) -> HistoryPage:
        """Newest first; `next_before` pages to older entries."""
        return await views.history(self.deps, tenant_id, limit, before_seq)

    async def payments(self, tenant_id: str, limit: int = 20) -> list[PaymentView]:
        return await views.payment_list(self.deps, tenant_id, limit)

    async def verify(self, tenant_id: str) -> dict[str, int]:
        """Recompute the balance three ways (stored, sum of entries, open lots minus debt);
        they must agree. The tests check it after every scenario."""
        return await views.verify(self.deps, tenant_id)

    # ------------------------------------------------------------------ funding

    async def add_funds(
        self,
        tenant_id: str,
        amount: AmountInput,
        actor: Actor,
        idempotency_key: str,
        *,
        reason: str = shown.PURCHASE,
        expected_version: int | None = None,
    ) -> FundingResult:
        """Charge the gateway and credit the account, once per idempotency key.

        The payment is recorded before the gateway is called, so a crash between the charge
        and the credit is finished later by `process_payments` with the same key. A key voided
        by `void_request` raises RequestCancelled and charges nothing."""
        return await funding.add_funds(
            self.deps,
            tenant_id,
            amount,
            actor,
            idempotency_key,
            reason=reason,
            expected_version=expected_version,
        )

    async def adjust(
        self,
        tenant_id: str,
        amount: Decimal | int | str,
        actor: Actor,
        reason: str,
        idempotency_key: str,
    ) -> Entry:
        """A manual correction (either sign), recorded with its reason; no payment is made."""
        return await funding.adjust(self.deps, tenant_id, amount, actor, reason, idempotency_key)

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
        return await account_settings.set_auto_recharge(
            self.deps,
            tenant_id,
            actor,
            enabled=enabled,
            amount=amount,
            trigger=trigger,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    async def set_recharge_caps(
        self,
        tenant_id: str,
        actor: Actor,
        change: CapsChange | None = None,
        *,
        daily_limit: int | None = None,
        monthly_cap: AmountInput | None = None,
        clear_monthly_cap: bool = False,
        max_recharge: AmountInput | None = None,
        clear_max_recharge: bool = False,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> AccountView:
        """Change the auto-recharge caps: ``change``, or the same told field by field (amounts
        as text, Decimal or Money). Once per key, as `set_auto_recharge`; refused (saying what
        is allowed) outside credits/caps.py's bounds or below the recharge amount."""
        if change is None:
            change = caps.change_from(
                await self.currency_of(tenant_id),
                self.limits(),
                daily_limit=daily_limit,
                monthly_cap=monthly_cap,
                clear_monthly_cap=clear_monthly_cap,
                max_recharge=max_recharge,
                clear_max_recharge=clear_max_recharge,
            )
        return await account_settings.set_recharge_caps(
            self.deps,
            tenant_id,
            actor,
            change,
            expected_version=expected_version,
            idempotency_key=idempotency_key,
        )

    async def set_alert_thresholds(
        self,
        tenant_id: str,
        actor: Actor,
        thresholds: Sequence[AmountInput],
        *,
        expected_version: int | None = None,
    ) -> AccountView:
        """Up to three low-balance thresholds; an empty list restores the default."""
        return await account_settings.set_alert_thresholds(
            self.deps, tenant_id, actor, thresholds, expected_version=expected_version
        )

    async def was_applied(self, tenant_id: str, idempotency_key: str) -> bool:
        """Whether a settings change with this key was saved already (a second click)."""
        return await account_settings.was_applied(self.deps, tenant_id, idempotency_key)

    async def void_request(self, tenant_id: str, idempotency_key: str, actor: Actor) -> VoidOutcome:
        """Cancel a confirm card's request (its key) before it is confirmed: a later
        `add_funds` or `set_auto_recharge` with the key raises RequestCancelled, on every
        replica. Under the account lock, as they are: a Confirm racing this either ran first
        (ALREADY_DONE: the purchase or the settings change stands) or finds the void."""
        return await account_settings.void_request(self.deps, tenant_id, idempotency_key, actor)

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
        return await ingest.ingest_usage(self.deps, records, default_tenant)

    # ------------------------------------------------------------------ usage report

    async def usage_summary(self, tenant_id: str, *, top: int = usage_report.TOP) -> UsageSummary:
        """This UTC month's and the last 7 days' calls: totals, spend by user and by destination
        (the top `top`, the rest folded). Made from the stored call records."""
        return await usage_report.summary(self.deps, tenant_id, top)

    async def usage_breakdown(
        self, tenant_id: str, period: Period, *, top: int = usage_report.TOP
    ) -> UsageBreakdown:
        """One period's calls of a tenant with an account (else NotFoundError)."""
        return await usage_report.breakdown(self.deps, tenant_id, period, top)

    def usage_calls(self, tenant_id: str, period: Period) -> AsyncIterator[CallRow]:
        """Every call of the period, oldest first, read a page at a time (the finance CSV).
        NotFoundError, before any row, for a tenant with no account."""
        return usage_report.calls(self.deps, tenant_id, period)

    # ---- audit: the settings changes, and the history of money and settings together

    async def activity(
        self,
        tenant_id: str,
        *,
        scope: HistoryScope = HistoryScope.ALL,
        limit: int = 10,
        cursor: HistoryCursor | None = None,
        known_only: bool = False,
    ) -> ActivityPage:
        """The history of ``scope``, newest first: money entries and settings changes merged
        (ALL), the ledger alone as `history` gives it (MONEY), or the settings changes alone
        (SETTINGS, the audit trail: auto-recharge, caps, thresholds, admins, alert
        subscriptions, each with who and when). `next_cursor` pages to older rows.
        ``known_only``: NotFoundError for a tenant with no account, and none is made."""
        return await audit_read.activity(
            self.deps, tenant_id, scope, limit, cursor, known_only=known_only
        )

    # ---- admins: who they are, granted and revoked (audited, confirmable), the claim code

    async def is_admin(self, tenant_id: str, aad_object_id: str | None) -> bool:
        return await admins.is_admin(self.deps, tenant_id, aad_object_id)

    async def has_admin(self, tenant_id: str) -> bool:
        """Whether the tenant has any billing admin (configured or granted): one that has none
        is told how to claim it."""
        return await admins.tenant_has_admin(self.deps, tenant_id)

    async def list_admins(self, tenant_id: str) -> list[Admin]:
        """The configuration's admins, then the granted ones, with who granted each and when."""
        return await admins.list_admins(self.deps, tenant_id)

    async def grant_admin(
        self,
        tenant_id: str,
        aad_object_id: str,
        name: str,
        by: Actor,
        *,
        idempotency_key: str | None = None,
    ) -> bool:
        """True if granted now (or a replay of this request), False if already an admin.
        Audited; a confirm card's request applies once, and not after its Cancel."""
        return await admins.grant(
            self.deps, tenant_id, aad_object_id, name, by, idempotency_key=idempotency_key
        )

    async def revoke_admin(
        self, tenant_id: str, aad_object_id: str, by: Actor, *, idempotency_key: str | None = None
    ) -> bool:
        """Remove a granted admin; refused for an admin of the configuration, someone who is not
        an admin, and the tenant's last admin. Audited and confirmable like `grant_admin`."""
        return await admins.revoke(
            self.deps, tenant_id, aad_object_id, by, idempotency_key=idempotency_key
        )

    async def new_claim_code(self, tenant_id: str, by: Actor = admins_claim.OPERATOR) -> ClaimCode:
        """A one-time code (valid 24 hours) with which the first admin of a tenant that has
        none claims the bot in chat; refused when the tenant has an admin. Audited as printed
        by ``by`` (the command line's `cli:<user>`); only the code's hash is kept."""
        return await admins_claim.new_code(self.deps, tenant_id, by)

    async def claim_admin(self, tenant_id: str, code: str, claimant: Actor) -> None:
        """Make the sender of ``code`` the tenant's first admin; ClaimRefused says why not."""
        await admins_claim.claim(self.deps, tenant_id, code, claimant)

    # ---- statements and numbered receipts

    async def statement(self, tenant_id: str, year: int, month: int) -> Statement:
        """The statement of a UTC calendar month: the opening balance, each kind of entry's
        count and sum, the closing balance (always the opening plus the month's entries) and the
        month's receipts. A month not begun yet, or before the account was opened, is refused
        (ValidationError, saying which months have one); NotFoundError for an unknown tenant."""
        return await statement_read.month_statement(
            self.deps, tenant_id, StatementMonth(year, month)
        )

    def statement_lines(self, statement: Statement) -> AsyncIterator[StatementLine]:
        """The ledger entries a statement counts, oldest first, with their receipt numbers and
        gateway references; read a page at a time (the finance CSV and PDF): the statement's
        own entries, whatever has been recorded since it was made."""
        return statement_read.month_lines(self.deps, statement)

    async def receipt(self, tenant_id: str, number: int) -> Receipt:
        """The tenant's receipt `number` (a purchase or auto-recharge that succeeded, numbered
        1, 2, 3... per account); NotFoundError saying the numbers there are otherwise."""
        return await statement_receipts.receipt(self.deps, tenant_id, number)

    async def receipt_range(self, tenant_id: str) -> ReceiptRange:
        """The tenant's receipts run from 1 to `last`."""
        return await statement_receipts.receipt_range(self.deps, tenant_id)

    # ------------------------------------------------------------------ admins, subscriptions

    async def subscribe(
        self,
        tenant_id: str,
        conversation_id: str,
        reference: dict[str, Any],
        actor: Actor,
        *,
        automatic: bool = False,
    ) -> bool:
        """Store a channel's conversation reference for alerts; True if new, False if updated.
        A new one is audited (`automatic`: the bot's own subscription at install)."""
        return await directory.subscribe(
            self.deps, tenant_id, conversation_id, reference, actor, automatic=automatic
        )

    async def unsubscribe(self, tenant_id: str, conversation_id: str, actor: Actor) -> bool:
        """End a subscription, audited: by `actor`, who said "stop alerts here", or
        `audit.DELIVERY` (the bot was removed from the conversation, or it is gone)."""
        return await directory.unsubscribe(self.deps, tenant_id, conversation_id, actor)

    async def list_subscriptions(self, tenant_id: str) -> list[Subscription]:
        return await directory.list_subscriptions(self.deps, tenant_id)

    async def remember_personal_chat(
        self,
        tenant_id: str,
        aad_object_id: str,
        conversation_id: str,
        reference: dict[str, Any],
        name: str,
    ) -> bool:
        """Keep an admin's 1:1 chat for alerts when no conversation is subscribed; True if
        written (new or changed), False if it was kept as it is already."""
        return await directory.remember_personal_chat(
            self.deps, tenant_id, aad_object_id, conversation_id, reference, name
        )

    async def forget_personal_chat(
        self, tenant_id: str, aad_object_id: str, conversation_id: str
    ) -> bool:
        return await directory.forget_personal_chat(
            self.deps, tenant_id, aad_object_id, conversation_id
        )

    async def admin_chats(self, tenant_id: str) -> list[PersonalChat]:
        """The 1:1 chats of the tenant's admins (those who are admins now)."""
        return await directory.admin_chats(self.deps, tenant_id)

    async def alert_reach(self, tenant_id: str) -> AlertReach:
        """Where the tenant's alerts go now, and how many are not delivered yet."""
        return await directory.reach(self.deps, tenant_id)
