"""What the facade hands out: immutable views, never live rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from credits import shown
from credits.alert_payloads import AlertKind as AlertKind
from credits.alert_payloads import AlertPayload
from credits.alert_payloads import AlertStatus as AlertStatus
from credits.money import Currency, Money


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: an AAD object id and display name, or a system actor."""

    id: str
    name: str


# system actors: stored in English, their names shown translated by `shown.actor_name`
AUTO = Actor("auto", shown.AUTO_RECHARGE)
USAGE = Actor("usage", shown.USAGE_ACTOR)
EXPIRY = Actor("expiry", shown.EXPIRY_ACTOR)


class EntryKind(StrEnum):
    FUNDING = "funding"
    AUTO_RECHARGE = "auto_recharge"
    USAGE = "usage"
    EXPIRY = "expiry"
    ADJUSTMENT = "adjustment"


class VoidOutcome(StrEnum):
    """What Cancel on a confirm card did to the card's request."""

    CANCELLED = "cancelled"  # voided now: a later Confirm of it changes nothing
    ALREADY_CANCELLED = "already_cancelled"
    ALREADY_DONE = "already_done"  # carried out (or under way) already: Cancel cannot undo it


CANCELLED_REQUEST = "cancelled"
"""``operations.action`` of the marker that voids a request (its key) before it is confirmed."""


class PaymentKind(StrEnum):
    """What a payment is for (the `payments.kind` column)."""

    PURCHASE = "purchase"  # an admin's "add funds"
    AUTO_RECHARGE = "auto_recharge"  # a job made when the balance crossed the trigger


class PaymentStatus(StrEnum):
    """Where a payment is (the `payments.status` column)."""

    PENDING = "pending"  # an auto-recharge job waiting for the runner
    CHARGING = "charging"  # the gateway is (or may be) charging it
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    CANCELLED = "cancelled"  # a queued auto-recharge withdrawn by a settings change

    @property
    def open(self) -> bool:
        return self in (PaymentStatus.PENDING, PaymentStatus.CHARGING)


class RechargeStatus(StrEnum):
    """What the runner did with one claimed payment."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    RETRY = "retry"  # the gateway gave no answer: charged again later with the same key


class HistoryScope(StrEnum):
    """What a history shows: money entries and settings changes, or one of the two."""

    ALL = "all"
    MONEY = "money"
    SETTINGS = "settings"


@dataclass(frozen=True, slots=True)
class CapsChange:
    """A change to the auto-recharge caps; a field left None is not changed."""

    daily_limit: int | None = None  # recharges a day
    monthly_cap: Money | None = None  # the most recharged in a calendar month (UTC)
    clear_monthly_cap: bool = False
    max_recharge: Money | None = None  # the largest single recharge
    clear_max_recharge: bool = False


class CapStop(StrEnum):
    """Which cap stops auto-recharge now (`CapStatus.stopped`)."""

    DAILY_LIMIT = "daily_limit"  # the recharges of today reached the daily limit
    MONTHLY_CAP = "monthly_cap"  # the next recharge would take this month over the cap
    MAX_RECHARGE = "max_recharge"  # the recharge amount is above the largest single recharge


@dataclass(frozen=True, slots=True)
class CapStatus:
    """The auto-recharge caps and what is left of them now, counted as the recharge rule
    counts (credits/caps.py): open and succeeded auto-recharges since 00:00 UTC today and since
    the 1st of the month."""

    daily_limit: int
    used_today: int
    monthly_cap: Money | None
    recharged_this_month: Money
    max_recharge: Money | None
    stopped: CapStop | None = None  # None: no cap stops auto-recharge now
    resumes_at: datetime | None = None  # when the stop ends; None: when the settings change

    @property
    def left_today(self) -> int:
        return max(0, self.daily_limit - self.used_today)

    @property
    def left_this_month(self) -> Money | None:
        """What may still be recharged this month; None without a monthly cap."""
        if self.monthly_cap is None:
            return None
        left = self.monthly_cap.minor - self.recharged_this_month.minor
        return Money.from_minor(max(0, left), self.monthly_cap.currency)


@dataclass(frozen=True, slots=True)
class RechargeSettings:
    enabled: bool
    amount: Money | None
    trigger: Money | None
    paused: bool
    consecutive_declines: int
    daily_limit: int
    monthly_cap: Money | None
    max_recharge: Money | None = None  # the largest single recharge; None: no such cap

    @property
    def active(self) -> bool:
        return self.enabled and not self.paused and self.amount is not None


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: int
    kind: PaymentKind
    status: PaymentStatus
    amount: Money
    idempotency_key: str
    reason: str | None
    reference: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    receipt_no: int | None = None  # numbered per account when it succeeds (credits/recharge.py)


@dataclass(frozen=True, slots=True)
class ExpiringFunds:
    amount: Money
    first_expiry: datetime


@dataclass(frozen=True, slots=True)
class AccountView:
    tenant_id: str
    currency: Currency
    balance: Money
    version: int  # moves on every settings change: a card showing an older one is out of date
    recharge: RechargeSettings
    last_recharge: PaymentView | None
    recharge_in_progress: bool
    daily_burn: Money  # average over the last 7 days
    runway_days: Decimal | None  # None when there is no spend to measure
    expiring: ExpiringFunds | None  # funds that expire within the warning window
    thresholds: tuple[Money, ...]  # as the admins set them
    effective_thresholds: tuple[Money, ...]  # what the low-balance alert watches
    last_seq: int
    alerts: AlertReach | None = None  # where alerts go; None when not looked up
    caps: CapStatus | None = None  # the caps and what is left of them; None when not looked up

    @property
    def depleted(self) -> bool:
        return self.balance.minor <= 0


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    kind: EntryKind
    amount: Money
    balance_after: Money
    actor: Actor
    reason: str
    idempotency_key: str
    occurred_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: tuple[Entry, ...]
    next_before: int | None  # pass as `before_seq` for the next (older) page


@dataclass(frozen=True, slots=True)
class FundingResult:
    entry: Entry
    balance: Money
    replayed: bool  # True when the idempotency key had already been applied
    payment: PaymentView | None = None


class UsageStatus(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class UsageOutcome:
    index: int  # position in the batch
    record_id: str | None
    tenant_id: str | None
    status: UsageStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class RechargeOutcome:
    payment_id: int
    tenant_id: str
    kind: PaymentKind
    status: RechargeStatus
    amount: Money
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    tenant_id: str
    kind: AlertKind
    dedupe_key: str
    payload: AlertPayload
    status: AlertStatus
    attempts: int
    created_at: datetime
    last_error: str | None = None
    expired_at: datetime | None = None  # given up: no conversation could receive it in time


@dataclass(frozen=True, slots=True)
class Subscription:
    tenant_id: str
    conversation_id: str
    reference: dict[str, Any]
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PersonalChat:
    """A 1:1 chat the bot has with one of a tenant's admins: where alerts go when no conversation
    of the tenant is subscribed."""

    tenant_id: str
    aad_object_id: str
    conversation_id: str
    reference: dict[str, Any]
    name: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AlertReach:
    """Where a tenant's alerts go now, and how many wait for delivery."""

    conversations: int  # conversations subscribed ("send alerts here", or the first team)
    personal_chats: int  # admins' 1:1 chats the bot can reach: used when no conversation is
    waiting: int  # alerts not delivered yet
    expiry: timedelta  # an alert no conversation can receive is given up after this long

    @property
    def personal_fallback(self) -> bool:
        """No conversation is subscribed, and admins' 1:1 chats get the alerts instead."""
        return not self.conversations and self.personal_chats > 0

    @property
    def nowhere(self) -> bool:
        """No conversation can receive alerts: they wait (and expire after `expiry`)."""
        return not self.conversations and not self.personal_chats


class AdminSource(StrEnum):
    """How someone is a billing admin of a tenant."""

    CONFIG = "config"  # listed in CREDITS_ADMINS (every tenant's; removed only there)
    GRANTED = "granted"  # made one by an admin, in chat or on the command line
    CLAIMED = "claimed"  # the tenant's first admin, by a claim code


@dataclass(frozen=True, slots=True)
class Admin:
    aad_object_id: str
    name: str
    source: AdminSource
    granted_by: str | None = None
    granted_at: datetime | None = None
    granted_by_name: str | None = None  # who granted it, as the audit trail says


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What one run of the periodic checks did."""

    expired_lots: int = 0
    alerts: tuple[AlertKind, ...] = field(default_factory=tuple)
