"""Usage sources: the tenants whose PSTN calls are pulled from Microsoft Graph.

One row per connected tenant (`usage_sources`): who connected it and when, the cursor (the end of
the last time window read in full), when the next pull is due, the worker that holds it now (a
claim under a lease, so one replica pulls a tenant at a time) and what the last pull did. The pull
itself (bot/graph_pull.py) reads Graph and applies the records through the same ingest as
`POST /api/usage`; this module only keeps the rows, and plans the windows as a pure function.

Windows: each pull re-reads a trailing window before the cursor (Graph's call records arrive hours
to days late; a record read twice is a duplicate, which costs nothing) and splits what it reads
into windows Graph accepts (at most 90 days each). The cursor moves only when a window was read
in full, so a pull that stops half-way (a crash, a restart, an error) starts that window again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, and_, case, or_, select, update

from credits.graph_problems import SourceProblem
from credits.models import Actor
from credits.schema import usage_sources
from credits.store import Deps, tenant_key

# Graph refuses a range of more than 90 days; a day less leaves room for its own rounding
MAX_WINDOW = timedelta(days=89)


class SourceState(StrEnum):
    IDLE = "idle"
    CLAIMED = "claimed"


@dataclass(frozen=True, slots=True)
class PullCounts:
    """What a pull did with the rows it read."""

    read: int = 0  # rows Graph returned
    applied: int = 0  # debited (or recorded at no charge)
    duplicates: int = 0  # read before (the trailing window, a retry): nothing changed
    conflicts: int = 0  # read before with another charge: reported, not applied
    rejected: int = 0  # a field the ingest refuses
    skipped: int = 0  # not drawn from Communications Credits (another licence, or free)

    def __add__(self, other: PullCounts) -> PullCounts:
        return PullCounts(
            *(getattr(self, f) + getattr(other, f) for f in PullCounts.__dataclass_fields__)
        )


@dataclass(frozen=True, slots=True)
class UsageSource:
    """A connected tenant, as stored."""

    tenant_id: str
    connected_by: str
    connected_at: datetime
    cursor_at: datetime | None
    next_run_at: datetime | None
    running: bool
    last_run_at: datetime | None
    last_ok_at: datetime | None
    last: PullCounts
    last_problem: SourceProblem | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class PullResult:
    """The end of one pull: what it did, and the problem that stopped it, if one did."""

    counts: PullCounts
    problem: SourceProblem | None = None
    error: str | None = None
    retry_after: float | None = None  # Graph's hint, in seconds, when it asked us to wait


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


def windows(
    source: UsageSource, now: datetime, trailing: timedelta, since: datetime | None = None
) -> list[Window]:
    """The windows one pull reads, oldest first: from `since` (the command line's --since), else
    from the cursor (or the connection, the first time) less the trailing window, to `now`."""
    start = (source.cursor_at or source.connected_at) - trailing
    if since is not None:  # further back, never later: what was not read yet is never skipped
        start = min(start, since)
    start = min(start, now)
    found: list[Window] = []
    while True:
        end = min(start + MAX_WINDOW, now)
        found.append(Window(start, end))
        if end >= now:
            return found
        start = end


# ---------------------------------------------------------------------- the rows


async def connect(deps: Deps, tenant_id: str, actor: Actor) -> bool:
    """Start pulling this tenant's usage (due at once); True if new, False if it already was."""
    now = deps.clock.now()
    tenant_id = tenant_key(tenant_id)
    insert = deps.store.upsert_insert
    async with deps.db.write() as conn:
        result = await conn.execute(
            insert(usage_sources)
            .values(
                tenant_id=tenant_id,
                status=SourceState.IDLE.value,
                connected_by=actor.id[:100],
                connected_at=now,
                next_run_at=now,
            )
            .on_conflict_do_nothing(index_elements=["tenant_id"])
        )
        if result.rowcount:
            return True
        # already connected: pull again at once (to check consent); asked while a pull is under
        # way, it is remembered, and the next one is due as soon as that pull ends
        await conn.execute(
            update(usage_sources)
            .where(usage_sources.c.tenant_id == tenant_id)
            .values(next_run_at=now, requested_at=now)
        )
        return False


async def get(deps: Deps, tenant_id: str) -> UsageSource | None:
    async with deps.db.read() as conn:
        row = (
            await conn.execute(select(usage_sources).where(usage_sources.c.tenant_id == tenant_id))
        ).first()
    return None if row is None else _view(row, deps.clock.now())


async def claim_due(deps: Deps, worker_id: str, lease: timedelta, limit: int) -> list[UsageSource]:
    """Claim up to `limit` sources whose pull is due (or whose holder's lease ran out)."""
    return await _claim(deps, worker_id, lease, limit, None)


async def claim(deps: Deps, tenant_id: str, worker_id: str, lease: timedelta) -> UsageSource | None:
    """Claim one source now, due or not (the command line, "check now"); None while another
    worker holds it."""
    found = await _claim(deps, worker_id, lease, 1, tenant_id)
    return found[0] if found else None


async def _claim(
    deps: Deps, worker_id: str, lease: timedelta, limit: int, tenant_id: str | None
) -> list[UsageSource]:
    now = deps.clock.now()
    c = usage_sources.c
    free = or_(c.status == SourceState.IDLE.value, c.lease_until <= now)
    if tenant_id is None:
        wanted = and_(free, or_(c.next_run_at.is_(None), c.next_run_at <= now))
    else:
        wanted = and_(free, c.tenant_id == tenant_id)
    query = (
        select(c.tenant_id)
        .where(wanted)
        .order_by(c.next_run_at, c.tenant_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with deps.db.write() as conn:
        tenants = list((await conn.execute(query)).scalars())
        if not tenants:
            return []
        await conn.execute(
            update(usage_sources)
            .where(c.tenant_id.in_(tenants))
            .values(
                status=SourceState.CLAIMED.value,
                claimed_by=worker_id,
                lease_until=now + lease,
                requested_at=None,
            )
        )
        rows = (await conn.execute(select(usage_sources).where(c.tenant_id.in_(tenants)))).all()
    return [_view(row, now) for row in rows]


async def advance(
    deps: Deps, tenant_id: str, worker_id: str, cursor_at: datetime, lease: timedelta
) -> bool:
    """A window was read in full: move the cursor to its end and renew the lease. False if
    this worker no longer holds the source (its lease ran out and another took it)."""
    return await _held_update(
        deps,
        tenant_id,
        worker_id,
        cursor_at=cursor_at,
        lease_until=deps.clock.now() + lease,
    )


async def renew(deps: Deps, tenant_id: str, worker_id: str, lease: timedelta) -> bool:
    return await _held_update(deps, tenant_id, worker_id, lease_until=deps.clock.now() + lease)


async def finish(
    deps: Deps, tenant_id: str, worker_id: str, result: PullResult, next_run_at: datetime
) -> bool:
    """Release the source with what the pull did; False if this worker no longer held it."""
    now = deps.clock.now()
    counts = result.counts
    c = usage_sources.c
    values: dict[str, Any] = {
        "status": SourceState.IDLE.value,
        "claimed_by": None,
        "lease_until": None,
        # a pull asked for during this one ("Check now") is due at once
        "next_run_at": case((c.requested_at.is_not(None), now), else_=next_run_at),
        "requested_at": None,
        "last_run_at": now,
        "last_read": counts.read,
        "last_applied": counts.applied,
        "last_duplicates": counts.duplicates,
        "last_conflicts": counts.conflicts,
        "last_rejected": counts.rejected,
        "last_skipped": counts.skipped,
        "last_problem": None if result.problem is None else result.problem.value,
        "last_error": None if result.error is None else result.error[:2000],
    }
    if result.problem is None:
        values["last_ok_at"] = now
    return await _held_update(deps, tenant_id, worker_id, **values)


async def hand_back(deps: Deps, tenant_id: str, worker_id: str) -> bool:
    """Release a source without an outcome (the workers are stopping): due again at once, what
    the last finished pull said kept as it was."""
    return await _held_update(
        deps,
        tenant_id,
        worker_id,
        status=SourceState.IDLE.value,
        claimed_by=None,
        lease_until=None,
        next_run_at=deps.clock.now(),
    )


async def _held_update(deps: Deps, tenant_id: str, worker_id: str, **values: object) -> bool:
    c = usage_sources.c
    async with deps.db.write() as conn:
        result = await conn.execute(
            update(usage_sources)
            .where(
                c.tenant_id == tenant_id,
                c.status == SourceState.CLAIMED.value,
                c.claimed_by == worker_id,
            )
            .values(**values)
        )
        return bool(result.rowcount)


def _view(row: Row[Any], now: datetime) -> UsageSource:
    running = row.status == SourceState.CLAIMED.value and (
        row.lease_until is not None and row.lease_until > now
    )
    return UsageSource(
        tenant_id=row.tenant_id,
        connected_by=row.connected_by,
        connected_at=row.connected_at,
        cursor_at=row.cursor_at,
        next_run_at=row.next_run_at,
        running=running,
        last_run_at=row.last_run_at,
        last_ok_at=row.last_ok_at,
        last=PullCounts(
            row.last_read,
            row.last_applied,
            row.last_duplicates,
            row.last_conflicts,
            row.last_rejected,
            row.last_skipped,
        ),
        last_problem=_problem(row.last_problem),
        last_error=row.last_error,
    )


def _problem(value: str | None) -> SourceProblem | None:
    if value is None:
        return None
    try:
        return SourceProblem(value)
    except ValueError:  # written by a newer version: shown as unexpected, not a crash
        return SourceProblem.UNEXPECTED
