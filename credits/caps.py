"""The auto-recharge caps: recharges a day, a monthly recharge amount cap and the largest single
recharge.

- What they allow: a change to the caps checked before it is saved (`plan`), and a recharge
  amount checked against its trigger and the largest single recharge (`check_recharge`).
- What is left of them now (`status`): counted exactly as the recharge rule counts, open and
  succeeded auto-recharges since 00:00 UTC today and since the 1st of the month (UTC), read in
  one query (`used`); and whether a cap stops auto-recharge now, which, and until when.

All pure but `used`, one read on the caller's connection. A change is saved, audited and applied
once per confirm card by `account_settings.set_recharge_caps`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, ScalarSelect, and_, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import inputs
from credits.clock import add_months, start_of_day, start_of_month
from credits.config import CreditsConfig
from credits.errors import ValidationError
from credits.i18n import N_, t
from credits.inputs import AmountInput
from credits.models import (
    CapsChange,
    CapStatus,
    CapStop,
    PaymentKind,
    PaymentStatus,
    RechargeSettings,
)
from credits.money import AmountError, AmountLimits, Currency, Money
from credits.schema import is_state, one_of, payments
from credits.store import Account

DAILY_MIN, DAILY_MAX = 1, 100
MONTHLY_PURCHASES = 100  # the monthly cap is at most this many of the largest purchase
COUNTED = (PaymentStatus.PENDING.value, PaymentStatus.CHARGING.value, PaymentStatus.SUCCEEDED.value)
"""The auto-recharges a cap counts: open ones and those that succeeded."""

Details = dict[str, int | bool | list[int] | None]
"""A caps change as the audit trail records it (JSON)."""

DAILY_RANGE = N_(  # DAILY_MIN, DAILY_MAX
    "The daily recharge limit must be a whole number from 1 to 100. Nothing was changed."
)
NO_DAILY_REMOVAL = N_(
    "The daily recharge limit can't be removed: set it from 1 to 100, e.g. \"at most 5 recharges "
    'a day". Nothing was changed.'
)
NO_OTHER_PERIOD = N_(
    "Auto-recharge caps are per day (1 to 100 recharges) and per month (an amount); there is no "
    'weekly or yearly cap. Say e.g. "at most 3 recharges a day" or "a monthly cap of $500". '
    "Nothing was changed."
)
MONTHLY_RANGE = N_("The monthly cap must be from {low} to {high}. Nothing was changed.")
MAX_RANGE = N_(
    "The largest single recharge must be from {low} to {high}, as a recharge is a purchase. "
    "Nothing was changed."
)
NOTHING_SAID = N_(
    'Say which cap to change, e.g. "at most 3 recharges a day", "a monthly cap of $500" or '
    '"limit each recharge to $150". Nothing was changed.'
)
BOTH_WAYS = N_("Either set the {cap} or remove it, not both. Nothing was changed.")
MAX_BELOW_AMOUNT = N_(
    "The largest single recharge cannot be {max}: the recharge amount is {amount}, so no "
    "recharge could be made. Set it to at least {amount}, or lower the recharge amount first. "
    "Nothing was changed."
)
MONTHLY_BELOW_AMOUNT = N_(
    "The monthly cap cannot be {cap}: the recharge amount is {amount}, so no recharge could be "
    "made. Set a cap of at least {amount}, or lower the recharge amount first. "
    "Nothing was changed."
)
ABOVE_MONTHLY = N_(
    "A recharge of {amount} is more than the monthly cap of {cap}, so no recharge could be "
    'made. Choose an amount of at most {cap}, or raise that cap first, e.g. "a monthly cap of '
    '{amount}". Nothing was changed.'
)
MAX_ABOVE_MONTHLY = N_(
    "The largest single recharge ({max}) cannot be more than the monthly cap ({cap}): a "
    "recharge that large would go over the monthly cap. Lower the largest single recharge or "
    "raise the monthly cap. Nothing was changed."
)
ABOVE_MAX = N_(
    "A recharge of {amount} is more than the largest single recharge of {max}. Choose an "
    'amount of at most {max}, or raise that cap first, e.g. "limit each recharge to {amount}". '
    "Nothing was changed."
)
NOT_ABOVE_TRIGGER = N_(
    "A recharge of {amount} cannot lift the balance above the trigger of {trigger}: from an "
    "empty balance it leaves {amount}, not above {trigger}, so another recharge would follow "
    "at once or with the very next call. The recharge amount must be more than the trigger: "
    "raise the amount or lower the trigger. Nothing was changed."
)
MONTHLY_CAP_NAME = N_("monthly cap")
MAX_RECHARGE_NAME = N_("largest single recharge")


# ---------------------------------------------------------------------- what is used now


@dataclass(frozen=True, slots=True)
class Used:
    """Auto-recharges counted by the caps: how many today, how much this month (minor units)."""

    today: int
    month_minor: int


async def used(
    conn: AsyncConnection, account_id: int, now: datetime, exclude: int | None = None
) -> Used:
    """Open and succeeded auto-recharges made since 00:00 UTC today (how many) and since the 1st
    of the month (how much), in one query; ``exclude``: a payment not counted (a queued one,
    checked against the others)."""
    columns = used_columns(account_id, start_of_day(now), start_of_month(now), exclude)
    row = (await conn.execute(select(*columns))).one()
    return Used(today=int(row[0]), month_minor=int(row[1]))


def used_columns(
    account_id: int | ColumnElement[int],
    day: datetime | ColumnElement[datetime],
    month_start: datetime | ColumnElement[datetime],
    exclude: int | None = None,
) -> tuple[ScalarSelect[int], ScalarSelect[int]]:
    """`used`'s two sums (since `day`, 00:00 UTC, and since `month_start`, the 1st) as scalar
    subqueries, to be read in one statement with others."""
    counted = and_(
        payments.c.account_id == account_id,
        is_state(payments.c.kind, PaymentKind.AUTO_RECHARGE.value),
        one_of(payments.c.status, COUNTED),
        payments.c.created_at >= month_start,
        payments.c.id != exclude if exclude is not None else true(),
    )
    today = func.coalesce(func.sum(case((payments.c.created_at >= day, 1), else_=0)), 0)
    month = func.coalesce(func.sum(payments.c.amount_minor), 0)
    return (
        select(today).where(counted).scalar_subquery(),
        select(month).where(counted).scalar_subquery(),
    )


def status(settings: RechargeSettings, used: Used, now: datetime, cur: Currency) -> CapStatus:
    """The caps and what is left of them; whether one stops auto-recharge now (only when it is
    on, not paused), and until when. Of several, the one that stops it longest is named."""
    stopped, resumes = _stop(settings, used, now)
    return CapStatus(
        daily_limit=settings.daily_limit,
        used_today=used.today,
        monthly_cap=settings.monthly_cap,
        recharged_this_month=Money.from_minor(used.month_minor, cur),
        max_recharge=settings.max_recharge,
        stopped=stopped,
        resumes_at=resumes,
    )


def _stop(
    settings: RechargeSettings, used: Used, now: datetime
) -> tuple[CapStop | None, datetime | None]:
    amount = settings.amount
    if not settings.active or amount is None:
        return None, None
    if settings.max_recharge is not None and amount > settings.max_recharge:
        return CapStop.MAX_RECHARGE, None  # until the amount or the cap changes
    cap = settings.monthly_cap
    if cap is not None and used.month_minor + amount.minor > cap.minor:
        return CapStop.MONTHLY_CAP, add_months(start_of_month(now), 1)
    if used.today >= settings.daily_limit:
        return CapStop.DAILY_LIMIT, start_of_day(now) + timedelta(days=1)
    return None, None


# ---------------------------------------------------------------------- changes


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked change: the caps' values to store, and the change as the audit records it."""

    daily_limit: int | None  # None: unchanged
    monthly_cap_minor: int | None
    max_recharge_minor: int | None
    details: Details


def change_from(
    cur: Currency,
    limits: AmountLimits,
    *,
    daily_limit: int | None = None,
    monthly_cap: AmountInput | None = None,
    clear_monthly_cap: bool = False,
    max_recharge: AmountInput | None = None,
    clear_max_recharge: bool = False,
) -> CapsChange:
    """A `CapsChange` from amounts as callers send them (text, Decimal, Money); an amount that
    cannot be read is refused saying why and what that cap may be (AmountError)."""

    def amount(
        value: AmountInput | None, allowed: Callable[[AmountLimits, Currency], str]
    ) -> Money | None:
        if value is None:
            return None
        try:
            return inputs.money(value, cur, None)
        except AmountError as error:
            raise AmountError(f"{error} {allowed(limits, cur)}") from None

    return CapsChange(
        daily_limit=daily_limit,
        monthly_cap=amount(monthly_cap, monthly_range),
        clear_monthly_cap=clear_monthly_cap,
        max_recharge=amount(max_recharge, max_range),
        clear_max_recharge=clear_max_recharge,
    )


def plan(config: CreditsConfig, now: RechargeSettings, change: CapsChange, cur: Currency) -> Plan:
    """Check ``change`` against what is allowed and the settings ``now``; AmountError or
    ValidationError (a sentence saying what is allowed) when it cannot be saved."""
    details: Details = {}
    if change.daily_limit is not None:
        details["daily_recharge_limit"] = _daily(change.daily_limit)
    monthly = _money_or_none(now.monthly_cap)
    if _changes(change.monthly_cap, change.clear_monthly_cap, MONTHLY_CAP_NAME):
        monthly = None if change.monthly_cap is None else _monthly(config, change.monthly_cap, cur)
        _at_least_amount(change.monthly_cap, now.amount, MONTHLY_BELOW_AMOUNT, "cap")
        details["monthly_recharge_cap_minor"] = monthly
    largest = _money_or_none(now.max_recharge)
    if _changes(change.max_recharge, change.clear_max_recharge, MAX_RECHARGE_NAME):
        largest = (
            None if change.max_recharge is None else _largest(config, change.max_recharge, cur)
        )
        _at_least_amount(change.max_recharge, now.amount, MAX_BELOW_AMOUNT, "max")
        details["max_recharge_minor"] = largest
    if not details:
        raise ValidationError(t(NOTHING_SAID))
    if monthly is not None and largest is not None and largest > monthly:
        raise ValidationError(
            t(
                MAX_ABOVE_MONTHLY,
                max=Money.from_minor(largest, cur).format(),
                cap=Money.from_minor(monthly, cur).format(),
            )
        )
    return Plan(change.daily_limit, monthly, largest, details)


def _money_or_none(money: Money | None) -> int | None:
    return None if money is None else money.minor


def _changes(value: Money | None, clear: bool, name: str) -> bool:
    if value is not None and clear:
        raise ValidationError(t(BOTH_WAYS, cap=t(name)))
    return value is not None or clear


def _daily(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not DAILY_MIN <= value <= DAILY_MAX:
        raise ValidationError(t(DAILY_RANGE))
    return value


def _within(money: Money, cur: Currency, low: Decimal, high: Decimal, message: str) -> int:
    checked = inputs.money(money, cur, None)
    if not low <= checked.amount <= high:
        raise ValidationError(
            t(message, low=Money(low, cur).format(), high=Money(high, cur).format())
        )
    return checked.minor


def _monthly(config: CreditsConfig, money: Money, cur: Currency) -> int:
    high = config.purchase_max * MONTHLY_PURCHASES
    return _within(money, cur, config.purchase_min, high, MONTHLY_RANGE)


def _largest(config: CreditsConfig, money: Money, cur: Currency) -> int:
    return _within(money, cur, config.purchase_min, config.purchase_max, MAX_RANGE)


def monthly_range(limits: AmountLimits, cur: Currency) -> str:
    """The refusal saying what a monthly cap may be (for an amount that cannot be read)."""
    high = limits.maximum * MONTHLY_PURCHASES
    return t(MONTHLY_RANGE, low=Money(limits.minimum, cur).format(), high=Money(high, cur).format())


def max_range(limits: AmountLimits, cur: Currency) -> str:
    """The refusal saying what the largest single recharge may be."""
    low, high = Money(limits.minimum, cur).format(), Money(limits.maximum, cur).format()
    return t(MAX_RANGE, low=low, high=high)


def _at_least_amount(cap: Money | None, amount: Money | None, message: str, name: str) -> None:
    """A cap below the recharge amount would stop every recharge: refused, saying both."""
    if cap is not None and amount is not None and cap < amount:
        raise ValidationError(t(message, **{name: cap.format()}, amount=amount.format()))


# ---------------------------------------------------------------------- a recharge amount


def check_recharge(
    amount: Money | None,
    trigger: Money | None,
    largest: Money | None,
    monthly: Money | None = None,
) -> None:
    """A recharge amount must be at most the largest single recharge and the monthly cap (else
    no recharge could ever be made), and more than its trigger (else from an empty balance a
    recharge leaves it at or below the trigger, and the next debit recharges again). None: not
    checked (not set, or not being turned on)."""
    if amount is not None and largest is not None and amount > largest:
        raise ValidationError(t(ABOVE_MAX, amount=amount.format(), max=largest.format()))
    if amount is not None and monthly is not None and amount > monthly:
        raise ValidationError(t(ABOVE_MONTHLY, amount=amount.format(), cap=monthly.format()))
    if amount is not None and trigger is not None and amount <= trigger:
        raise ValidationError(
            t(NOT_ABOVE_TRIGGER, amount=amount.format(), trigger=trigger.format())
        )


def check_settings(
    settings: RechargeSettings,
    *,
    enabled: bool,
    amount: Money | None,
    trigger: Money | None,
) -> None:
    """Auto-recharge as it would be after a change (``enabled``; ``amount`` and ``trigger``
    None where unchanged) against the guard of `check_recharge`: the amount and the trigger are
    checked together when it is to be on; a new amount is checked against the caps even when it
    is off."""
    final_amount = amount if amount is not None else settings.amount
    final_trigger = trigger if trigger is not None else settings.trigger
    largest, monthly = settings.max_recharge, settings.monthly_cap
    if enabled:
        check_recharge(final_amount, final_trigger, largest, monthly)
    else:
        check_recharge(amount, None, largest, monthly)


def settings_of(account: Account, config: CreditsConfig) -> RechargeSettings:
    """The account's auto-recharge settings and caps, typed (the daily limit: the account's, else
    the deployment's)."""

    def money(minor: int | None) -> Money | None:
        return None if minor is None else Money.from_minor(minor, account.currency)

    return RechargeSettings(
        enabled=account.recharge_enabled,
        amount=money(account.recharge_amount_minor),
        trigger=money(account.recharge_trigger_minor),
        paused=account.recharge_paused,
        consecutive_declines=account.consecutive_declines,
        daily_limit=account.daily_recharge_limit or config.daily_recharge_limit,
        monthly_cap=money(account.monthly_recharge_cap_minor),
        max_recharge=money(account.max_recharge_minor),
    )
