"""What the admins see of usage, read from the stored call records (`usage_records`):

- spend by user and by destination over a period (this UTC calendar month, the last 7 days):
  totals, the top few, and the rest folded into one line (`breakdown`, `summary`);
- the top callers and destinations of the last hour, for the unusual-spend alert (`last_hour`);
- one row per call of a period, for the finance CSV (`calls`).

A call belongs to a period by its start time (UTC). Minutes are counted per call, rounded up to a
whole minute, as the ledger's usage entries say them. Read-only: nothing here changes the store.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import shown
from credits.alert_payloads import TOP_SHARES, SpendShare
from credits.clock import add_months, start_of_month
from credits.errors import NotFoundError, ValidationError
from credits.i18n import t
from credits.money import Currency, Money, currency
from credits.schema import accounts, usage_records
from credits.store import Account, Deps, tenant_key

TOP = 5  # callers and destinations named per period; the rest are folded into one line
TOP_MAX = 50
WEEK_DAYS = 7
HOUR = timedelta(hours=1)
PAGE = 1000  # call rows read per query by `calls`
MONTH_HINT = "a month as YYYY-MM, e.g. 2026-11, from 2000-01 to 2100-12"

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_c = usage_records.c
_BLANK: ColumnElement[str] = literal_column(
    "''"
)  # inline, not a bound parameter: PostgreSQL must see one GROUP BY


class Grouping(StrEnum):
    USER = "user"
    DESTINATION = "destination"


@dataclass(frozen=True, slots=True)
class Period:
    """Calls that started at or after `start` and before `end` (None: no end yet), UTC.
    `days` is set for a rolling window ("the last 7 days"); a calendar month has None."""

    start: datetime
    end: datetime | None
    days: int | None = None

    @classmethod
    def month_of(cls, when: datetime) -> Period:
        """The UTC calendar month `when` falls in."""
        first = start_of_month(when.astimezone(UTC))
        return cls(first, add_months(first, 1))

    @classmethod
    def last_days(cls, now: datetime, days: int) -> Period:
        """The `days` days up to `now` (and calls dated a little ahead of it)."""
        return cls(now - timedelta(days=days), None, days)

    def holds(self) -> ColumnElement[bool]:
        after = _c.start_at >= self.start
        return after if self.end is None else and_(after, _c.start_at < self.end)


def parse_month(text: str) -> Period:
    """A month as the command line takes it ("2026-11"); ValidationError saying what is allowed."""
    found = _MONTH.match(text or "")
    if found is None:
        raise ValidationError(f"'{text[:20]}' is not a month; give {MONTH_HINT}.")
    year, month = int(found.group(1)), int(found.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError(f"'{text.strip()}' is not a month; give {MONTH_HINT}.")
    return Period.month_of(datetime(year, month, 1, tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class UsageLine:
    """One caller or destination in a period."""

    name: str | None  # a display name (else the UPN); a destination; None when the calls say none
    detail: str | None  # the UPN under a display name; "International"/"Domestic" under a country
    calls: int
    minutes: int
    spend: Money


@dataclass(frozen=True, slots=True)
class Others:
    """The callers or destinations after the top ones, folded into one line."""

    count: int  # how many callers (destinations) are folded
    calls: int
    minutes: int
    spend: Money


@dataclass(frozen=True, slots=True)
class UsageBreakdown:
    """A period's calls: totals, the top callers and destinations (most spend first), the rest."""

    period: Period
    calls: int
    minutes: int
    spend: Money
    users: tuple[UsageLine, ...]
    destinations: tuple[UsageLine, ...]
    other_users: Others | None
    other_destinations: Others | None

    @property
    def empty(self) -> bool:
        return self.calls == 0


@dataclass(frozen=True, slots=True)
class UsageSummary:
    """What "usage" shows: this month and the last 7 days."""

    tenant_id: str
    currency: Currency
    as_of: datetime
    month: UsageBreakdown
    week: UsageBreakdown


@dataclass(frozen=True, slots=True)
class CallRow:
    """One stored call record, as the finance CSV has it."""

    record_id: str
    start: datetime
    user_principal_name: str | None
    user_display_name: str | None
    destination_name: str | None
    destination_context: str | None
    call_type: str | None
    license_capability: str | None
    duration_seconds: int
    charge: Money

    @property
    def minutes(self) -> int:
        return (self.duration_seconds + 59) // 60


# ---------------------------------------------------------------------- the queries


async def summary(deps: Deps, tenant_id: str, top: int = TOP) -> UsageSummary:
    """This month's and the last 7 days' calls of the tenant (its account made on first use)."""
    account = await deps.store.account(tenant_id)
    now = deps.clock.now()
    async with deps.db.read() as conn:
        month = await _breakdown(conn, account, Period.month_of(now), top)
        week = await _breakdown(conn, account, Period.last_days(now, WEEK_DAYS), top)
    return UsageSummary(account.tenant_id, account.currency, now, month, week)


async def breakdown(deps: Deps, tenant_id: str, period: Period, top: int = TOP) -> UsageBreakdown:
    """One period's calls of a tenant that has an account; NotFoundError if it has none."""
    async with deps.db.read() as conn:
        account = await _existing(conn, tenant_id)
        return await _breakdown(conn, account, period, top)


async def calls(
    deps: Deps, tenant_id: str, period: Period, page: int = PAGE
) -> AsyncIterator[CallRow]:
    """Every call of the period, oldest first (by start, then as stored), read `page` at a time,
    each page in a read of its own. NotFoundError (before any row) for a tenant with no account."""
    async with deps.db.read() as conn:
        account = await _existing(conn, tenant_id)
    after: tuple[datetime, int] | None = None
    while True:
        query = (
            select(usage_records)
            .where(_c.account_id == account.id, period.holds())
            .order_by(_c.start_at, _c.id)
            .limit(page)
        )
        if after is not None:
            query = query.where(
                or_(_c.start_at > after[0], and_(_c.start_at == after[0], _c.id > after[1]))
            )
        async with deps.db.read() as conn:
            rows = (await conn.execute(query)).all()
        for row in rows:
            yield _call_row(row)
        if len(rows) < page:
            return
        after = (rows[-1].start_at, rows[-1].id)


async def last_hour(
    conn: AsyncConnection, account_id: int, now: datetime
) -> tuple[tuple[SpendShare, ...], tuple[SpendShare, ...]]:
    """The callers and the destinations that spent most in the last hour (up to TOP_SHARES each),
    in the transaction of the change that raised the unusual-spend alert. The hour is the one
    the alert measures: calls that started after `now` - 1 h (later ones count as now)."""
    where = and_(_c.account_id == account_id, _c.start_at > now - HOUR, _c.charge_minor > 0)
    shares: list[tuple[SpendShare, ...]] = []
    for grouping in Grouping:
        rows = await _groups(conn, grouping, where, TOP_SHARES)
        shares.append(tuple(_share(grouping, row) for row in rows))
    return shares[0], shares[1]


# ---------------------------------------------------------------------- parts


async def _existing(conn: AsyncConnection, tenant_id: str) -> Account:
    key = tenant_key(tenant_id)
    row = (await conn.execute(select(accounts).where(accounts.c.tenant_id == key))).one_or_none()
    if row is None:
        raise NotFoundError(
            t(
                "No account for tenant '{tenant}': nothing was ever recorded for it. "
                "Check the tenant id (the directory id of the organisation).",
                tenant=key,
            )
        )
    return Account.from_row(row)


def _keys(grouping: Grouping) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
    """The group key, the name shown and the detail shown, for callers or destinations."""
    if grouping is Grouping.USER:
        key = func.coalesce(_c.user_principal_name, _BLANK)
        return key, func.max(_c.user_display_name), func.max(_c.user_principal_name)
    key = func.coalesce(_c.destination_name, _c.destination_context, _BLANK)
    return key, func.max(_c.destination_name), func.max(_c.destination_context)


_MINUTES = (_c.duration_seconds + 59) // 60


async def _groups(
    conn: AsyncConnection, grouping: Grouping, where: ColumnElement[bool], top: int
) -> list[Row[Any]]:
    key, name, detail = _keys(grouping)
    spend = func.sum(_c.charge_minor)
    count = func.count()
    query = (
        select(
            key.label("key"),
            name.label("name"),
            detail.label("detail"),
            count.label("calls"),
            func.sum(_MINUTES).label("minutes"),
            spend.label("spend"),
        )
        .where(where)
        .group_by(key)
        .order_by(spend.desc(), count.desc(), key)
        .limit(top)
    )
    return list((await conn.execute(query)).all())


async def _breakdown(
    conn: AsyncConnection, account: Account, period: Period, top: int
) -> UsageBreakdown:
    top = max(1, min(top, TOP_MAX))
    cur = account.currency
    where = and_(_c.account_id == account.id, _c.currency == cur.code, period.holds())
    user_key, destination_key = _keys(Grouping.USER)[0], _keys(Grouping.DESTINATION)[0]
    totals = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(_MINUTES), 0),
                func.coalesce(func.sum(_c.charge_minor), 0),
                func.count(user_key.distinct()),
                func.count(destination_key.distinct()),
            ).where(where)
        )
    ).one()
    calls_, minutes, spend, n_users, n_destinations = (int(v) for v in totals)
    users = [_line(Grouping.USER, r, cur) for r in await _groups(conn, Grouping.USER, where, top)]
    destinations = [
        _line(Grouping.DESTINATION, r, cur)
        for r in await _groups(conn, Grouping.DESTINATION, where, top)
    ]
    return UsageBreakdown(
        period=period,
        calls=calls_,
        minutes=minutes,
        spend=Money.from_minor(spend, cur),
        users=tuple(users),
        destinations=tuple(destinations),
        other_users=_others(n_users, users, calls_, minutes, spend, cur),
        other_destinations=_others(n_destinations, destinations, calls_, minutes, spend, cur),
    )


def _others(
    groups: int, shown: list[UsageLine], calls_: int, minutes: int, spend: int, cur: Currency
) -> Others | None:
    if groups <= len(shown):
        return None
    return Others(
        count=groups - len(shown),
        calls=calls_ - sum(line.calls for line in shown),
        minutes=minutes - sum(line.minutes for line in shown),
        spend=Money.from_minor(spend - sum(line.spend.minor for line in shown), cur),
    )


def _names(grouping: Grouping, row: Row[Any]) -> tuple[str | None, str | None]:
    """The name to show and the detail under it."""
    name, detail = row.name, row.detail
    if grouping is Grouping.USER:
        return (name, detail) if name else (detail, None)
    if name:
        return name, detail
    return detail, None  # only a context ("International"): that is the name


def _line(grouping: Grouping, row: Row[Any], cur: Currency) -> UsageLine:
    name, detail = _names(grouping, row)
    return UsageLine(
        name=name,
        detail=detail if detail != name else None,
        calls=int(row.calls),
        minutes=int(row.minutes or 0),
        spend=Money.from_minor(int(row.spend or 0), cur),
    )


def _share(grouping: Grouping, row: Row[Any]) -> SpendShare:
    name, _ = _names(grouping, row)
    # stored in the alert's payload: English, translated where shown (`shown.share_name`)
    unknown = shown.UNKNOWN_CALLER if grouping is Grouping.USER else shown.UNKNOWN_DESTINATION
    return SpendShare(name or unknown, int(row.spend or 0), int(row.calls))


def _call_row(row: Row[Any]) -> CallRow:
    return CallRow(
        record_id=row.record_id,
        start=row.start_at,
        user_principal_name=row.user_principal_name,
        user_display_name=row.user_display_name,
        destination_name=row.destination_name,
        destination_context=row.destination_context,
        call_type=row.call_type,
        license_capability=row.license_capability,
        duration_seconds=int(row.duration_seconds),
        charge=Money.from_minor(int(row.charge_minor), currency(row.currency)),
    )
