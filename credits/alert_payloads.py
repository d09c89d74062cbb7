"""Alert kinds, outbox states, and the payload every alert kind carries.

The outbox (`credits/outbox.py`) stores a payload as JSON (`to_json`); the cards
(`cards/alerts.py`) render what `read_payload` makes of the stored JSON. Every payload carries
the tenant, the account's currency and the balance when the alert was written; alerts caused by a
ledger change also carry the cause (an entry kind, "settings" or "usage") and the entry seq.

`read_payload` is tolerant: a stored row with a missing or malformed field still reads, with
that field None (or False), so a card can leave the detail out instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import ClassVar, Self

JsonValue = str | int | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
TOP_SHARES = 3  # the unusual-spend alert names at most this many callers and destinations


class AlertKind(StrEnum):
    LOW_BALANCE = "low_balance"
    DEPLETED = "depleted"
    RECHARGE_SUCCEEDED = "recharge_succeeded"
    RECHARGE_FAILED = "recharge_failed"
    RECHARGE_PAUSED = "recharge_paused"
    FUNDS_EXPIRING = "funds_expiring"
    RUNWAY_LOW = "runway_low"
    UNUSUAL_SPEND = "unusual_spend"


class AlertStatus(StrEnum):
    """An outbox row's delivery state (the `alerts.status` column)."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertPayload:
    """The fields every alert carries; a kind's own fields are in its subclass."""

    kind: ClassVar[AlertKind]
    tenant_id: str = ""
    currency: str = ""  # the ISO code, as stored
    balance_minor: int | None = None  # the balance when the alert was written
    cause: str | None = None  # what changed the ledger: an entry kind, "settings" or "usage"
    seq: int | None = None  # the last entry's seq after that change

    def stamped(self, tenant_id: str, currency: str, balance_minor: int) -> Self:
        """This payload with the account's fields, as the outbox writes it."""
        return replace(self, tenant_id=tenant_id, currency=currency, balance_minor=balance_minor)

    def caused(self, cause: str, seq: int) -> Self:
        return replace(self, cause=cause, seq=seq)

    def to_json(self) -> dict[str, JsonValue]:
        """The stored JSON: the same keys the outbox has always written (readers look fields up
        by name; only a stuck recharge's `reason` now comes before its `payment_id`)."""
        data: dict[str, JsonValue] = {
            "tenant_id": self.tenant_id,
            "currency": self.currency,
            "balance_minor": self.balance_minor,
        }
        data.update(self._fields())
        if self.cause is not None:
            data["cause"] = self.cause
        if self.seq is not None:
            data["seq"] = self.seq
        return data

    def _fields(self) -> dict[str, JsonValue]:
        return {}


@dataclass(frozen=True, slots=True, kw_only=True)
class LowBalance(AlertPayload):
    kind: ClassVar[AlertKind] = AlertKind.LOW_BALANCE
    threshold_minor: int | None = None

    def _fields(self) -> dict[str, JsonValue]:
        return {"threshold_minor": self.threshold_minor}


@dataclass(frozen=True, slots=True, kw_only=True)
class Depleted(AlertPayload):
    kind: ClassVar[AlertKind] = AlertKind.DEPLETED


@dataclass(frozen=True, slots=True, kw_only=True)
class RechargeSucceeded(AlertPayload):
    kind: ClassVar[AlertKind] = AlertKind.RECHARGE_SUCCEEDED
    amount_minor: int | None = None
    payment_id: int | None = None
    receipt_no: int | None = None  # the recharge's receipt number (None in alerts written before)

    def _fields(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {
            "amount_minor": self.amount_minor,
            "payment_id": self.payment_id,
        }
        if self.receipt_no is not None:
            data["receipt_no"] = self.receipt_no
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class RechargeFailed(AlertPayload):
    """A declined recharge, one refused by the caps (`capped`), or a payment that has not
    settled for too long (`stuck`)."""

    kind: ClassVar[AlertKind] = AlertKind.RECHARGE_FAILED
    amount_minor: int | None = None
    reason: str | None = None
    payment_id: int | None = None
    consecutive_declines: int | None = None
    capped: bool = False
    stuck: bool = False

    def _fields(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {"amount_minor": self.amount_minor, "reason": self.reason}
        if self.payment_id is not None:
            data["payment_id"] = self.payment_id
        if self.consecutive_declines is not None:
            data["consecutive_declines"] = self.consecutive_declines
        if self.capped:
            data["capped"] = True
        if self.stuck:
            data["stuck"] = True
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class RechargePaused(RechargeFailed):
    """The decline that paused auto-recharge: the failed recharge's fields."""

    kind: ClassVar[AlertKind] = AlertKind.RECHARGE_PAUSED


@dataclass(frozen=True, slots=True, kw_only=True)
class FundsExpiring(AlertPayload):
    kind: ClassVar[AlertKind] = AlertKind.FUNDS_EXPIRING
    amount_minor: int | None = None
    expires_at: datetime | None = None  # the first expiry

    def _fields(self) -> dict[str, JsonValue]:
        when = self.expires_at.isoformat() if self.expires_at is not None else None
        return {"amount_minor": self.amount_minor, "expires_at": when}


@dataclass(frozen=True, slots=True, kw_only=True)
class RunwayLow(AlertPayload):
    kind: ClassVar[AlertKind] = AlertKind.RUNWAY_LOW
    runway_days: Decimal | None = None
    daily_burn_minor: Decimal | None = None  # integral; set by the periodic checks

    def with_daily_burn(self, minor: Decimal) -> Self:
        return replace(self, daily_burn_minor=minor)

    def _fields(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {"runway_days": _text(self.runway_days)}
        if self.daily_burn_minor is not None:
            data["daily_burn_minor"] = str(self.daily_burn_minor)
        return data


@dataclass(frozen=True, slots=True)
class SpendShare:
    """One caller's or destination's spend in the last hour, as the unusual-spend alert names it."""

    name: str  # a display name or user principal name; a country or "International"
    spend_minor: int
    calls: int | None = None

    def to_json(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {"name": self.name, "spend_minor": self.spend_minor}
        if self.calls is not None:
            data["calls"] = self.calls
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class UnusualSpend(AlertPayload):
    kind: ClassVar[AlertKind] = AlertKind.UNUSUAL_SPEND
    last_hour_minor: int | None = None
    usual_hour_minor: Decimal | None = None
    daily_burn_minor: Decimal | None = None  # integral; set by the periodic checks
    # who and where the last hour's spend went (most first), and whether auto-recharge was on
    # when the alert was written (None: not known, an alert written before these fields)
    top_callers: tuple[SpendShare, ...] = ()
    top_destinations: tuple[SpendShare, ...] = ()
    recharge_on: bool | None = None

    def with_daily_burn(self, minor: Decimal) -> Self:
        return replace(self, daily_burn_minor=minor)

    def with_context(
        self,
        callers: Sequence[SpendShare],
        destinations: Sequence[SpendShare],
        recharge_on: bool,
    ) -> Self:
        return replace(
            self,
            top_callers=tuple(callers[:TOP_SHARES]),
            top_destinations=tuple(destinations[:TOP_SHARES]),
            recharge_on=recharge_on,
        )

    def _fields(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {
            "last_hour_minor": self.last_hour_minor,
            "usual_hour_minor": _text(self.usual_hour_minor),
        }
        if self.daily_burn_minor is not None:
            data["daily_burn_minor"] = str(self.daily_burn_minor)
        if self.top_callers:
            data["top_callers"] = [share.to_json() for share in self.top_callers]
        if self.top_destinations:
            data["top_destinations"] = [share.to_json() for share in self.top_destinations]
        if self.recharge_on is not None:
            data["recharge_on"] = self.recharge_on
        return data


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------------- reading stored JSON


class _Stored:
    """Typed, forgiving access to a stored payload's fields."""

    def __init__(self, data: object) -> None:
        self.data: Mapping[str, object] = data if isinstance(data, Mapping) else {}

    def decimal(self, name: str) -> Decimal | None:
        value = self.data.get(name)
        if value is None or isinstance(value, bool):
            return None
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError, TypeError, ArithmeticError):
            return None
        return number if number.is_finite() else None

    def minor(self, name: str) -> int | None:
        """A minor-unit amount: an int, or a decimal (string) rounded to one."""
        number = self.decimal(name)
        try:
            return None if number is None else int(number.to_integral_value(ROUND_HALF_UP))
        except (InvalidOperation, ValueError, ArithmeticError):
            return None

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def string(self, name: str) -> str | None:
        value = self.data.get(name)
        return value if isinstance(value, str) else None

    def flag(self, name: str) -> bool:
        return self.data.get(name) is True

    def optional_flag(self, name: str) -> bool | None:
        value = self.data.get(name)
        return value if isinstance(value, bool) else None

    def shares(self, name: str) -> tuple[SpendShare, ...]:
        """A list of {name, spend_minor, calls}: entries without a usable name or spend are
        left out, and at most TOP_SHARES are kept."""
        value = self.data.get(name)
        found: list[SpendShare] = []
        for item in value if isinstance(value, list) else []:
            entry = _Stored(item)
            label = (entry.string("name") or "").strip()
            spend = entry.minor("spend_minor")
            if label and spend is not None:
                found.append(SpendShare(label[:200], spend, entry.integer("calls")))
        return tuple(found[:TOP_SHARES])

    def moment(self, name: str) -> datetime | None:
        value = self.data.get(name)
        if not isinstance(value, str):
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None


def _recharge_failed(s: _Stored, cls: type[RechargeFailed]) -> RechargeFailed:
    return cls(
        amount_minor=s.minor("amount_minor"),
        reason=s.string("reason"),
        payment_id=s.integer("payment_id"),
        consecutive_declines=s.integer("consecutive_declines"),
        capped=s.flag("capped"),
        stuck=s.flag("stuck"),
    )


_READERS: dict[AlertKind, Callable[[_Stored], AlertPayload]] = {
    AlertKind.LOW_BALANCE: lambda s: LowBalance(threshold_minor=s.minor("threshold_minor")),
    AlertKind.DEPLETED: lambda s: Depleted(),
    AlertKind.RECHARGE_SUCCEEDED: lambda s: RechargeSucceeded(
        amount_minor=s.minor("amount_minor"),
        payment_id=s.integer("payment_id"),
        receipt_no=s.integer("receipt_no"),
    ),
    AlertKind.RECHARGE_FAILED: lambda s: _recharge_failed(s, RechargeFailed),
    AlertKind.RECHARGE_PAUSED: lambda s: _recharge_failed(s, RechargePaused),
    AlertKind.FUNDS_EXPIRING: lambda s: FundsExpiring(
        amount_minor=s.minor("amount_minor"), expires_at=s.moment("expires_at")
    ),
    AlertKind.RUNWAY_LOW: lambda s: RunwayLow(
        runway_days=s.decimal("runway_days"), daily_burn_minor=s.decimal("daily_burn_minor")
    ),
    AlertKind.UNUSUAL_SPEND: lambda s: UnusualSpend(
        last_hour_minor=s.minor("last_hour_minor"),
        usual_hour_minor=s.decimal("usual_hour_minor"),
        daily_burn_minor=s.decimal("daily_burn_minor"),
        top_callers=s.shares("top_callers"),
        top_destinations=s.shares("top_destinations"),
        recharge_on=s.optional_flag("recharge_on"),
    ),
}


def read_payload(kind: AlertKind, data: object) -> AlertPayload:
    """The typed payload of a stored alert; never raises on what the JSON holds."""
    stored = _Stored(data)
    payload = _READERS[kind](stored)
    return replace(
        payload,
        tenant_id=stored.string("tenant_id") or "",
        currency=stored.string("currency") or "",
        balance_minor=stored.minor("balance_minor"),
        cause=stored.string("cause"),
        seq=stored.integer("seq"),
    )
