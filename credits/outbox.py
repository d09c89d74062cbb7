"""The alert outbox: alerts are written in the transaction of the change that caused them (once
per dedupe key), then claimed by the delivery worker under a lease, acknowledged, retried later
or failed; `alert_deliveries` remembers which conversations an alert reached already.

An alert no conversation can receive (no subscription, no admin's 1:1 chat) is not acknowledged:
it goes back to the outbox *waiting* (`wait`: pending, marked with WAITING, its claim not
counted as a delivery attempt) until a conversation can take it (`wake`, called when one
subscribes or an admin's 1:1 chat is recorded, makes it due at once), or until it is given up
(`expire`: failed, with `expired_at`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from credits.alert_payloads import AlertKind, AlertPayload, AlertStatus, read_payload
from credits.models import Alert
from credits.schema import alert_deliveries, alerts, one_of, subscriptions
from credits.store import Deps, LockedAccount

WAITING = "waiting for a conversation that receives alerts"
"""`last_error` of an alert sent back to wait: no conversation of its tenant could receive it."""


async def write(deps: Deps, account: LockedAccount, payload: AlertPayload, key: str) -> bool:
    """Write an alert about this account, with its tenant, currency and balance now."""
    stamped = payload.stamped(account.tenant_id, account.currency.code, account.balance_minor)
    return await put(deps, account.conn, account.id, stamped, key)


async def put(
    deps: Deps, conn: AsyncConnection, account_id: int, payload: AlertPayload, key: str
) -> bool:
    """Write an alert to the outbox once (a repeated dedupe key is ignored); True if written."""
    insert = deps.store.upsert_insert
    result = await conn.execute(
        insert(alerts)
        .values(
            account_id=account_id,
            tenant_id=payload.tenant_id,
            kind=payload.kind.value,
            dedupe_key=f"{payload.kind.value}:{key}",
            payload=payload.to_json(),
            status=AlertStatus.PENDING.value,
            created_at=deps.clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return bool(result.rowcount)


async def listing(deps: Deps, tenant_id: str | None, status: str | None, limit: int) -> list[Alert]:
    query = select(alerts).order_by(alerts.c.id).limit(limit)
    if tenant_id is not None:
        query = query.where(alerts.c.tenant_id == tenant_id)
    if status is not None:
        query = query.where(alerts.c.status == status)
    async with deps.db.read() as conn:
        return [alert_view(r) for r in (await conn.execute(query)).all()]


async def backlog(deps: Deps) -> int:
    """How many alerts wait for delivery (status pending)."""
    query = (
        select(func.count()).select_from(alerts).where(alerts.c.status == AlertStatus.PENDING.value)
    )
    async with deps.db.read() as conn:
        return int((await conn.execute(query)).scalar_one())


async def claim(deps: Deps, worker_id: str, limit: int) -> list[Alert]:
    """Claim alerts due for delivery (pending, or claimed by a worker whose lease ran out)."""
    now = deps.clock.now()
    due = or_(
        and_(
            alerts.c.status == AlertStatus.PENDING.value,
            or_(alerts.c.not_before.is_(None), alerts.c.not_before <= now),
        ),
        and_(alerts.c.status == AlertStatus.CLAIMED.value, alerts.c.lease_until <= now),
    )
    async with deps.db.write() as conn:
        ids = await deps.store.claim(
            conn, alerts, due, AlertStatus.CLAIMED.value, deps.config.alert_lease, worker_id, limit
        )
        if not ids:
            return []
        rows = (
            await conn.execute(select(alerts).where(alerts.c.id.in_(ids)).order_by(alerts.c.id))
        ).all()
    return [alert_view(r) for r in rows]


async def ack(deps: Deps, alert_id: int, worker_id: str) -> bool:
    """Mark delivered. False if this worker no longer holds the claim."""
    now = deps.clock.now()
    return await _finish(
        deps, alert_id, worker_id, status=AlertStatus.DELIVERED.value, delivered_at=now
    )


async def retry(
    deps: Deps, alert_id: int, worker_id: str, error: str, not_before: datetime
) -> bool:
    return await _finish(
        deps,
        alert_id,
        worker_id,
        status=AlertStatus.PENDING.value,
        last_error=error[:2000],
        not_before=not_before,
    )


async def fail(deps: Deps, alert_id: int, worker_id: str, error: str) -> bool:
    return await _finish(
        deps, alert_id, worker_id, status=AlertStatus.FAILED.value, last_error=error[:2000]
    )


# a waiting round is no delivery attempt: it gives back what its claim counted
_UNCOUNTED = case((alerts.c.attempts > 0, alerts.c.attempts - 1), else_=0)


async def wait(deps: Deps, alert_id: int, worker_id: str, not_before: datetime) -> bool:
    """Back to the outbox, waiting for a conversation: the claim is not counted as a delivery
    attempt. Due at once instead if a conversation of the tenant subscribed meanwhile."""
    now = deps.clock.now()
    subscribed = exists().where(subscriptions.c.tenant_id == alerts.c.tenant_id)
    return await _finish(
        deps,
        alert_id,
        worker_id,
        status=AlertStatus.PENDING.value,
        attempts=_UNCOUNTED,
        last_error=WAITING,
        not_before=case((subscribed, now), else_=not_before),
    )


async def expire(deps: Deps, alert_id: int, worker_id: str, error: str) -> bool:
    """Given up after waiting too long: no conversation could receive it (failed, with
    `expired_at`; the round that found it so is no delivery attempt either)."""
    now = deps.clock.now()
    return await _finish(
        deps,
        alert_id,
        worker_id,
        status=AlertStatus.FAILED.value,
        attempts=_UNCOUNTED,
        last_error=error[:2000],
        expired_at=now,
    )


async def wake(deps: Deps, conn: AsyncConnection, tenant_id: str) -> int:
    """Make the tenant's waiting alerts due at once (a conversation can receive them now)."""
    result = await conn.execute(
        update(alerts)
        .where(
            alerts.c.tenant_id == tenant_id,
            alerts.c.status == AlertStatus.PENDING.value,
            alerts.c.last_error == WAITING,
        )
        .values(not_before=deps.clock.now())
    )
    return int(result.rowcount)


def undelivered_count(tenant_id: str | ColumnElement[str]) -> Select[int]:
    """How many of the tenant's alerts are not delivered yet (pending, or being delivered)."""
    return (
        select(func.count())
        .select_from(alerts)
        .where(
            alerts.c.tenant_id == tenant_id,
            one_of(alerts.c.status, (AlertStatus.PENDING.value, AlertStatus.CLAIMED.value)),
        )
    )


async def undelivered(conn: AsyncConnection, tenant_id: str) -> int:
    """How many of the tenant's alerts are not delivered yet (pending, or being delivered)."""
    return int((await conn.execute(undelivered_count(tenant_id))).scalar_one())


async def _finish(deps: Deps, alert_id: int, worker_id: str, **values: object) -> bool:
    async with deps.db.write() as conn:
        result = await conn.execute(
            update(alerts)
            .where(
                alerts.c.id == alert_id,
                alerts.c.status == AlertStatus.CLAIMED.value,
                alerts.c.claimed_by == worker_id,
            )
            .values(claimed_by=None, lease_until=None, **values)
        )
        return bool(result.rowcount)


async def delivered_to(deps: Deps, alert_id: int) -> set[str]:
    """The conversations an alert was already posted to (dedupe per alert and conversation)."""
    async with deps.db.read() as conn:
        found = await conn.execute(
            select(alert_deliveries.c.conversation_id).where(
                alert_deliveries.c.alert_id == alert_id
            )
        )
        return set(found.scalars())


async def record_delivery(
    deps: Deps, alert_id: int, conversation_id: str, activity_id: str | None
) -> bool:
    """Note that an alert reached a conversation; False if it was noted already."""
    insert = deps.store.upsert_insert
    async with deps.db.write() as conn:
        result = await conn.execute(
            insert(alert_deliveries)
            .values(
                alert_id=alert_id,
                conversation_id=conversation_id,
                activity_id=(activity_id or None) and activity_id[:200],
                delivered_at=deps.clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["alert_id", "conversation_id"])
        )
        return bool(result.rowcount)


def alert_view(row: Row[Any]) -> Alert:
    kind = AlertKind(row.kind)
    return Alert(
        id=row.id,
        tenant_id=row.tenant_id,
        kind=kind,
        dedupe_key=row.dedupe_key,
        payload=read_payload(kind, row.payload),
        status=AlertStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        last_error=row.last_error,
        expired_at=row.expired_at,
    )
