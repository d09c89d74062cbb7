"""Usage ingest: a batch of call records applied in one write transaction.

The records are parsed first (a bad one is rejected alone), then grouped by tenant; tenants are
locked in sorted order (one lock order: no deadlocks). For each tenant `plan` decides, as a pure
function of the account, the charges already recorded and the open lots, what every record
does; `_write` then stores the plan: the ledger entries and usage rows in batched INSERTs, the
lots taken, and the alert rules and auto-recharge on the new balance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import ledger, recharge, shown
from credits.errors import ValidationError
from credits.inputs import request_hash
from credits.models import USAGE, EntryKind, UsageOutcome, UsageStatus
from credits.money import Currency, Money
from credits.schema import ledger_entries, usage_records
from credits.store import Account, Deps, LockedAccount
from credits.usage import BALANCE_FLOOR_MINOR, UsageRecord, ledger_key, parse_record, sent_id

CHUNK = 500
Batch = list[tuple[int, UsageRecord]]  # (position in the request, record)


async def ingest_usage(
    deps: Deps, records: Sequence[Any], default_tenant: str | None
) -> list[UsageOutcome]:
    """Apply a batch of call records in one transaction; one outcome per record."""
    outcomes: list[UsageOutcome | None] = [None] * len(records)
    by_tenant: dict[str, Batch] = defaultdict(list)
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
        async with deps.db.write() as conn:
            for tenant_id in sorted(by_tenant):  # one lock order: no deadlocks
                for outcome in await ingest_tenant(deps, conn, tenant_id, by_tenant[tenant_id]):
                    outcomes[outcome.index] = outcome
    return [o for o in outcomes if o is not None]


async def ingest_tenant(
    deps: Deps, conn: AsyncConnection, tenant_id: str, batch: Batch
) -> list[UsageOutcome]:
    """One tenant's part of the batch, in the batch's transaction."""
    async with deps.store.holding(conn, tenant_id) as account:
        known = await _known_usage(deps, conn, account.id, [record.id for _, record in batch])
        order, remaining = await ledger.open_lots(deps, conn, account.id)
        planned = plan(account, tenant_id, known, OpenLots(order, remaining), batch)
        await _write(deps, account, planned)
        return planned.outcomes


# ---------------------------------------------------------------------- the plan (pure)


@dataclass(frozen=True, slots=True)
class OpenLots:
    order: list[int]  # oldest expiry first
    remaining: dict[int, int]  # lot id -> minor units left


@dataclass(frozen=True, slots=True)
class Applied:
    record: UsageRecord
    entry_seq: int | None  # None for a zero charge: recorded, no ledger entry
    balance_after: int


@dataclass(slots=True)
class UsagePlan:
    balance_minor: int
    last_seq: int
    debt_minor: int
    outcomes: list[UsageOutcome] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    lots: dict[int, int] = field(default_factory=dict)  # lot id -> new remaining, changed only


def plan(
    account: Account, tenant_id: str, known: dict[str, int], lots: OpenLots, batch: Batch
) -> UsagePlan:
    """What each record does to the account, in order; the inputs are not changed."""
    known = dict(known)
    remaining = dict(lots.remaining)
    result = UsagePlan(account.balance_minor, account.last_seq, account.debt_minor)
    for index, record in batch:
        refused = _refusal(record, account.currency, known, result.balance_minor)
        if refused is not None:
            result.outcomes.append(UsageOutcome(index, record.id, tenant_id, *refused))
            continue
        charge = record.charge.minor
        known[record.id] = charge
        entry_seq = None
        if charge:
            result.last_seq += 1
            result.balance_minor -= charge
            entry_seq = result.last_seq
            taken = ledger.take(remaining, lots.order, charge)
            result.debt_minor += taken.pop(-1, 0)
            result.lots.update({lot_id: remaining[lot_id] for lot_id in taken})
        result.applied.append(Applied(record, entry_seq, result.balance_minor))
        result.outcomes.append(UsageOutcome(index, record.id, tenant_id, UsageStatus.APPLIED))
    return result


def _refusal(
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


# ---------------------------------------------------------------------- writing the plan


async def _write(deps: Deps, account: LockedAccount, planned: UsagePlan) -> None:
    now = deps.clock.now()
    entry_rows = [
        _entry_row(account.id, a, now) for a in planned.applied if a.entry_seq is not None
    ]
    usage_rows = [_usage_row(account.id, a, now) for a in planned.applied]
    for start in range(0, len(entry_rows), CHUNK):
        await _insert_many(deps, account.conn, ledger_entries, entry_rows[start : start + CHUNK])
    for start in range(0, len(usage_rows), CHUNK):
        await _insert_many(deps, account.conn, usage_records, usage_rows[start : start + CHUNK])
    await ledger.write_lots(account.conn, planned.lots, planned.lots)
    account.debt_minor = planned.debt_minor
    if entry_rows:
        account.balance_minor, account.last_seq = planned.balance_minor, planned.last_seq
        await recharge.after_change(deps, account, cause="usage", usage_changed=True)


async def _known_usage(
    deps: Deps, conn: AsyncConnection, account_id: int, record_ids: list[str]
) -> dict[str, int]:
    """The charges already recorded for these record ids (by id)."""
    known: dict[str, int] = {}
    ids = list(dict.fromkeys(record_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        query = select(usage_records.c.record_id, usage_records.c.charge_minor).where(
            usage_records.c.account_id == account_id
        )
        if deps.db.dialect == "postgresql":  # a join, so each id is an index lookup
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
    deps: Deps, conn: AsyncConnection, table: Table, rows: list[dict[str, object]]
) -> None:
    """Insert rows in one statement. On PostgreSQL the rows travel as arrays through
    unnest(), so the ledger's statement trigger checks and applies the batch once."""
    if not rows:
        return
    if deps.db.dialect != "postgresql":
        await conn.execute(table.insert(), rows)
        return
    names = list(rows[0])
    columns = [
        func.unnest(bindparam(f"a_{name}", [r[name] for r in rows], ARRAY(table.c[name].type)))
        for name in names
    ]
    await conn.execute(table.insert().from_select(names, select(*columns)))


def _entry_row(account_id: int, applied: Applied, now: datetime) -> dict[str, object]:
    record = applied.record
    charge = record.charge.minor
    return {
        "account_id": account_id,
        "seq": applied.entry_seq,
        "kind": EntryKind.USAGE.value,
        "amount_minor": -charge,
        "balance_after_minor": applied.balance_after,
        "actor_id": USAGE.id,
        "actor_name": record.user_principal_name or USAGE.name,
        "reason": _reason(record),
        "idempotency_key": ledger_key(record.id),
        "request_hash": request_hash("usage", charge, record.charge.currency.code),
        "occurred_at": min(record.start, now),
        "created_at": now,
    }


def _usage_row(account_id: int, applied: Applied, now: datetime) -> dict[str, object]:
    record = applied.record
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
        "user_display_name": record.user_display_name,
        "destination_name": record.destination_name,
        "entry_seq": applied.entry_seq,
        "received_at": now,
    }


def _reason(record: UsageRecord) -> str:
    """At most 412 characters (the column holds 500): the fields' limits are checked at the edge."""
    kind = record.call_type or record.license_capability or shown.CALL
    minutes = (record.duration_seconds + 59) // 60
    where = record.destination_context
    if where:
        return shown.stored(shown.CALL_TO, kind=kind, minutes=minutes, where=where, id=record.id)
    return shown.stored(shown.CALL_NOWHERE, kind=kind, minutes=minutes, id=record.id)
