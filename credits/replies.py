"""Replies the Bot Connector would not take during a turn, kept to be posted later.

The host keeps a reply here when the connector still refuses it once the turn's retry budget is
spent (bot/replies.py); a worker then claims it, posts it and acks it, sends it back for a later
round, or gives it up. The activity and the conversation reference to post it with are stored
as JSON, as botbuilder serialises them; this module does not read them.

Order: a worker is only handed the oldest open (pending or claimed) reply of each conversation,
never a later one while an earlier one is open, so a conversation's replies are posted in the
order they were kept, whichever replica posts them. Claims are leases, taken once across
replicas: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite
(:meth:`Database.write`); a worker that vanishes loses its claims when the lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, and_, exists, or_, select, update

from credits.db import Database
from credits.errors import ValidationError
from credits.schema import kept_replies
from credits.text import CONVERSATION_ID_MAX, TENANT_ID_MAX, checked

ERROR_MAX = 2000


class ReplyStatus(StrEnum):
    PENDING = "pending"  # waiting for a worker (not before ``not_before``)
    CLAIMED = "claimed"  # a worker holds it until ``lease_until``
    DELIVERED = "delivered"  # the connector took it
    FAILED = "failed"  # given up on


OPEN = (ReplyStatus.PENDING.value, ReplyStatus.CLAIMED.value)


@dataclass(frozen=True, slots=True)
class NewReply:
    """A reply to keep: for this tenant and conversation, the activity to post and the
    conversation reference to post it with; why it was not posted, and how long the connector
    asked to wait (Retry-After, seconds) if it did."""

    tenant_id: str
    conversation_id: str
    activity: dict[str, Any]
    reference: dict[str, Any]
    error: str
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class KeptReply:
    id: int
    tenant_id: str
    conversation_id: str
    activity: dict[str, Any]
    reference: dict[str, Any]
    status: ReplyStatus
    attempts: int  # rounds in which a worker tried to post it
    created_at: datetime
    not_before: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


def _kept(row: Row[Any]) -> KeptReply:
    return KeptReply(
        id=row.id,
        tenant_id=row.tenant_id,
        conversation_id=row.conversation_id,
        activity=row.activity,
        reference=row.reference,
        status=ReplyStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        not_before=row.not_before,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
    )


async def keep(db: Database, now: datetime, reply: NewReply) -> KeptReply:
    """Store a reply to be posted later (pending; due at once, or after its Retry-After)."""
    tenant_id = checked(reply.tenant_id, "tenant id", TENANT_ID_MAX)
    conversation_id = checked(reply.conversation_id, "conversation id", CONVERSATION_ID_MAX)
    if not isinstance(reply.activity, dict) or not isinstance(reply.reference, dict):
        raise ValidationError("a kept reply needs its activity and reference as JSON objects")
    wait = reply.retry_after
    not_before = now + timedelta(seconds=wait) if wait is not None and wait > 0 else None
    async with db.write() as conn:
        result = await conn.execute(
            kept_replies.insert()
            .values(
                tenant_id=tenant_id,
                conversation_id=conversation_id,
                activity=reply.activity,
                reference=reply.reference,
                status=ReplyStatus.PENDING.value,
                not_before=not_before,
                last_error=reply.error[:ERROR_MAX],
                created_at=now,
            )
            .returning(*kept_replies.c)
        )
        return _kept(result.one())


async def claim(
    db: Database, now: datetime, worker_id: str, limit: int, lease: timedelta
) -> list[KeptReply]:
    """Claim up to ``limit`` due replies, at most one per conversation: the oldest open one,
    when it is due (pending and past ``not_before``, or claimed by a worker whose lease ran
    out). Each claim counts as an attempt."""
    earlier = kept_replies.alias("earlier")
    first_open = ~exists(
        select(earlier.c.id).where(
            earlier.c.tenant_id == kept_replies.c.tenant_id,
            earlier.c.conversation_id == kept_replies.c.conversation_id,
            earlier.c.status.in_(OPEN),
            earlier.c.id < kept_replies.c.id,
        )
    )
    due = or_(
        and_(
            kept_replies.c.status == ReplyStatus.PENDING.value,
            or_(kept_replies.c.not_before.is_(None), kept_replies.c.not_before <= now),
        ),
        and_(kept_replies.c.status == ReplyStatus.CLAIMED.value, kept_replies.c.lease_until <= now),
    )
    query = select(kept_replies.c.id).where(due, first_open).order_by(kept_replies.c.id)
    async with db.read() as conn:  # most rounds find nothing: no write transaction for that
        if (await conn.execute(query.limit(1))).first() is None:
            return []
    query = query.limit(limit).with_for_update(skip_locked=True)
    async with db.write() as conn:
        ids = list((await conn.execute(query)).scalars())
        if not ids:
            return []
        rows = await conn.execute(
            update(kept_replies)
            .where(kept_replies.c.id.in_(ids))
            .values(
                status=ReplyStatus.CLAIMED.value,
                claimed_by=worker_id,
                lease_until=now + lease,
                attempts=kept_replies.c.attempts + 1,
            )
            .returning(*kept_replies.c)
        )
        return sorted((_kept(r) for r in rows.all()), key=lambda reply: reply.id)


async def _finish(db: Database, reply_id: int, worker_id: str, **values: Any) -> bool:
    async with db.write() as conn:
        result = await conn.execute(
            update(kept_replies)
            .where(
                kept_replies.c.id == reply_id,
                kept_replies.c.status == ReplyStatus.CLAIMED.value,
                kept_replies.c.claimed_by == worker_id,
            )
            .values(claimed_by=None, lease_until=None, **values)
        )
        return bool(result.rowcount)


async def ack(db: Database, now: datetime, reply_id: int, worker_id: str) -> bool:
    """Posted. False if this worker no longer holds the claim."""
    return await _finish(
        db, reply_id, worker_id, status=ReplyStatus.DELIVERED.value, delivered_at=now
    )


async def retry(
    db: Database, reply_id: int, worker_id: str, error: str, not_before: datetime
) -> bool:
    """Not posted this round: pending again, due at ``not_before``."""
    return await _finish(
        db,
        reply_id,
        worker_id,
        status=ReplyStatus.PENDING.value,
        last_error=error[:ERROR_MAX],
        not_before=not_before,
    )


async def fail(db: Database, reply_id: int, worker_id: str, error: str) -> bool:
    """Given up on: never claimed again (the next reply of its conversation moves up)."""
    return await _finish(
        db, reply_id, worker_id, status=ReplyStatus.FAILED.value, last_error=error[:ERROR_MAX]
    )


async def listing(
    db: Database, tenant_id: str | None, status: ReplyStatus | None, limit: int
) -> list[KeptReply]:
    """Kept replies, oldest first (optionally of one tenant, in one state)."""
    query = select(kept_replies).order_by(kept_replies.c.id).limit(limit)
    if tenant_id is not None:
        query = query.where(kept_replies.c.tenant_id == tenant_id)
    if status is not None:
        query = query.where(kept_replies.c.status == status.value)
    async with db.read() as conn:
        return [_kept(r) for r in (await conn.execute(query)).all()]
