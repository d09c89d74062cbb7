"""Property tests: random sequences of operations on one account, on SQLite and PostgreSQL.

Each Hypothesis example opens a database of its own (a new SQLite file, or a new PostgreSQL
schema) with fresh tenant ids, replays a generated list of operations (add funds, usage batches,
time passing with the periodic checks, settings changes, the recharge runner, and a second tenant
using the same idempotency keys and record ids) and after every operation checks:

1. the balance agrees three ways (`verify`: stored == sum of entries == open lots minus debt);
2. it equals an independent model of the account (fundings applied once, usage outcomes, lots
   consumed oldest first and expiring 12 months after purchase, recharges that succeeded);
3. a refused request changes nothing (balance, ledger, payments, alerts);
4. a crossing makes at most one recharge job, each caused by an entry below the trigger, and a
   payment is charged once and credited once;
5. a crossing makes at most one low-balance / depleted alert;
6. the ledger is append-only (entries seen before are unchanged later);
and that the other tenant never moves when this one does.

`pytest --hypothesis-show-statistics` shows how often the interesting cases came up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from records import call
from sqlalchemy import select

from credits.clock import ManualClock, add_months
from credits.errors import IdempotencyConflict, PaymentDeclined, ValidationError
from credits.models import Actor, AlertKind, EntryKind, UsageStatus
from credits.money import AmountError
from credits.payments import SandboxGateway
from credits.schema import accounts, alerts, ledger_entries, payments
from credits.service import CreditsService

ADA = Actor("aad-ada", "Ada Admin")

GOOD_AMOUNTS = {"10": 1000, "25.50": 2550, "100": 10000, "9999.99": 999999}
BAD_AMOUNTS = ["0", "-5", "1e3", "0.001", "10000.01", "abc"]
KEYS = ["k1", "k2", "k3"]
RECORD_IDS = ["c1", "c2", "c3", "c4", "c5"]
CHARGES = {"0.00": 0, "0.25": 25, "1.00": 100, "7.50": 750, "40.00": 4000}
RECHARGE_AMOUNTS = {"10": 1000, "50": 5000, "100": 10000}
TRIGGERS = {"0": 0, "20": 2000, "75": 7500}
THRESHOLDS = {"5": 500, "20": 2000, "50": 5000, "120": 12000}
MALFORMED = ("eur", "float", "negative", "no_start")
OLD_START = "2025-12-31T23:00:00Z"
OPEN = ("pending", "charging")


# ---------------------------------------------------------------------- operations

amounts = st.one_of(
    st.sampled_from(sorted(GOOD_AMOUNTS)).flatmap(
        lambda a: st.sampled_from([a, Decimal(a)])  # text from a card, or an exact Decimal
    ),
    st.sampled_from(BAD_AMOUNTS),
)
records = st.fixed_dictionaries(
    {
        "id": st.sampled_from(RECORD_IDS),
        "charge": st.sampled_from(sorted(CHARGES)),
        "shape": st.sampled_from(("ok",) * 6 + MALFORMED),
        "other_tenant": st.integers(0, 5).map(lambda n: n == 0),
        "recent": st.booleans(),  # started minutes ago (feeds the unusual-spend rule)
    }
)
add_funds = st.tuples(st.just("add_funds"), amounts, st.sampled_from(KEYS))
usage = st.tuples(st.just("usage"), st.lists(records, min_size=1, max_size=5))
process = st.tuples(st.just("process_payments"))
operations = st.one_of(
    add_funds,
    add_funds,
    usage,
    usage,
    usage,
    process,
    process,
    st.tuples(st.just("advance_hours"), st.integers(1, 48)),
    st.tuples(st.just("advance_months"), st.sampled_from([1, 2, 3, 6, 11, 12, 13])),
    st.tuples(
        st.just("auto_recharge"),
        st.sampled_from([None, True, False]),
        st.sampled_from([None, "5", *RECHARGE_AMOUNTS]),  # 5 is below the minimum
        st.sampled_from([None, "-1", *TRIGGERS]),  # a negative trigger is refused
    ),
    st.tuples(
        st.just("thresholds"),
        st.lists(st.sampled_from([*THRESHOLDS, "0"]), max_size=4),  # 0 and 4 values: refused
    ),
    st.tuples(
        st.just("other_add_funds"), st.sampled_from(sorted(GOOD_AMOUNTS)), st.sampled_from(KEYS)
    ),
)
# a likely start, so that recharges and alerts come up within a short run
recharge_on = st.tuples(
    st.just("auto_recharge"),
    st.just(True),
    st.sampled_from(sorted(RECHARGE_AMOUNTS)),
    st.sampled_from(sorted(TRIGGERS)),
)
thresholds_set = st.tuples(
    st.just("thresholds"), st.lists(st.sampled_from(sorted(THRESHOLDS)), min_size=1, max_size=3)
)
opening = st.tuples(st.just("add_funds"), st.sampled_from(["10", "25.50", "100"]), st.just("k0"))
setup = st.sampled_from(["none", "recharge", "thresholds", "both"]).flatmap(
    lambda profile: st.tuples(
        opening,
        recharge_on if profile in ("recharge", "both") else st.none(),
        thresholds_set if profile in ("thresholds", "both") else st.none(),
    ).map(lambda ops: [op for op in ops if op is not None])
)
scenarios = st.fixed_dictionaries(
    {
        "decline": st.sampled_from([False, False, True]),  # the main tenant's card declines
        "ops": st.tuples(setup, st.lists(operations, min_size=5, max_size=20)).map(
            lambda parts: parts[0] + parts[1]
        ),
    }
)


# ---------------------------------------------------------------------- the model


@dataclass
class Lot:
    expires_at: datetime
    remaining: int


@dataclass
class Model:
    """What the account should hold, computed independently of the service."""

    balance: int = 0
    debt: int = 0
    lots: list[Lot] = field(default_factory=list)  # bought in order, so oldest first
    fundings: dict[str, tuple[int, bool]] = field(default_factory=dict)  # key -> (minor, ok)
    usage: dict[str, int] = field(default_factory=dict)  # record id -> charge
    recharge_enabled: bool = False
    recharge_amount: int | None = None
    recharge_trigger: int | None = None

    def fund(self, minor: int, now: datetime) -> None:
        paid = min(self.debt, minor)
        self.debt -= paid
        self.lots.append(Lot(add_months(now, 12), minor - paid))
        self.balance += minor

    def spend(self, minor: int, now: datetime) -> None:
        self.balance -= minor
        for lot in self.lots:
            if lot.expires_at > now and lot.remaining > 0:
                part = min(lot.remaining, minor)
                lot.remaining -= part
                minor -= part
        self.debt += minor

    def expire(self, now: datetime) -> list[int]:
        """The expiry entries the periodic check must write (negative amounts)."""
        expired = []
        for lot in self.lots:
            if lot.expires_at <= now and lot.remaining > 0:
                expired.append(-lot.remaining)
                self.balance -= lot.remaining
                lot.remaining = 0
        return expired


@dataclass(frozen=True)
class Snapshot:
    balance: int
    debt: int
    entries: tuple[tuple[Any, ...], ...]  # (seq, kind, amount, balance_after, key, ...) by seq
    payments: tuple[tuple[Any, ...], ...]  # (id, kind, status, amount, cause_seq, key, entry_seq)
    alerts: tuple[tuple[Any, ...], ...]  # (id, kind, payload) by id

    def state(self) -> tuple[Any, ...]:
        return (self.balance, self.debt, self.entries, self.payments, self.alerts)


async def snapshot(service: CreditsService, tenant: str) -> Snapshot:
    async with service.db.read() as conn:
        account = (
            await conn.execute(select(accounts).where(accounts.c.tenant_id == tenant))
        ).one_or_none()
        if account is None:
            return Snapshot(0, 0, (), (), ())
        entries = await conn.execute(
            select(
                ledger_entries.c.seq,
                ledger_entries.c.kind,
                ledger_entries.c.amount_minor,
                ledger_entries.c.balance_after_minor,
                ledger_entries.c.idempotency_key,
                ledger_entries.c.actor_id,
                ledger_entries.c.occurred_at,
                ledger_entries.c.created_at,
            )
            .where(ledger_entries.c.account_id == account.id)
            .order_by(ledger_entries.c.seq)
        )
        paid = await conn.execute(
            select(
                payments.c.id,
                payments.c.kind,
                payments.c.status,
                payments.c.amount_minor,
                payments.c.cause_seq,
                payments.c.idempotency_key,
                payments.c.entry_seq,
            )
            .where(payments.c.account_id == account.id)
            .order_by(payments.c.id)
        )
        sent = await conn.execute(
            select(alerts.c.id, alerts.c.kind, alerts.c.payload)
            .where(alerts.c.account_id == account.id)
            .order_by(alerts.c.id)
        )
        return Snapshot(
            account.balance_minor,
            account.debt_minor,
            tuple(tuple(e) for e in entries),
            tuple(tuple(p) for p in paid),
            tuple(tuple(a) for a in sent),
        )


def make_record(spec: dict[str, Any], tenant: str, now: datetime) -> dict[str, Any]:
    """A `credits.usage` call record, well formed or broken in the way `spec` says."""
    start = (now - timedelta(minutes=10)).isoformat() if spec["recent"] else OLD_START
    record = call(spec["id"], Decimal(spec["charge"]), tenantId=tenant, startDateTime=start)
    shape = spec["shape"]
    if shape == "eur":
        record["currency"] = "EUR"
    elif shape == "float":
        record["charge"] = float(spec["charge"])
    elif shape == "negative":
        record["charge"] = -Decimal(spec["charge"]) - 1
    elif shape == "no_start":
        del record["startDateTime"]
    return record


# ---------------------------------------------------------------------- one example


class Run:
    """One example: the service, its clock and gateway, the model, and the checks."""

    def __init__(
        self, service: CreditsService, clock: ManualClock, gateway: SandboxGateway
    ) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.main, self.other = f"tenant-a-{suffix}", f"tenant-b-{suffix}"
        self.service, self.clock, self.gateway = service, clock, gateway
        self.models = {self.main: Model(), self.other: Model()}
        self.last: dict[str, Snapshot] = {}
        self.seen: dict[str, dict[int, tuple[Any, ...]]] = defaultdict(dict)
        # auto-recharge payment id -> the trigger in force when the operation made it
        self.job_triggers: dict[int, int | None] = {}
        # the low-balance thresholds watched after the last operation, and when a threshold
        # stopped being watched (the last seq then): set again later, it starts armed
        self.watched: dict[str, set[int]] = defaultdict(set)
        self.forgotten: dict[tuple[str, int], list[int]] = defaultdict(list)

    # ------------------------------------------------------------------ invariants

    async def check(self, tenant: str) -> Snapshot:
        model = self.models[tenant]
        totals = await self.service.verify(tenant)
        assert totals["stored"] == totals["entries"] == totals["lots_minus_debt"], totals  # 1
        snap = await snapshot(self.service, tenant)
        assert snap.balance == totals["stored"]
        assert (snap.balance, snap.debt) == (model.balance, model.debt)  # 2
        assert totals["lots_minus_debt"] + snap.debt == sum(lot.remaining for lot in model.lots)
        self._ledger(tenant, snap)
        self._payments(tenant, snap)
        await self._watch(tenant, snap)
        self._alerts(tenant, snap)
        self.last[tenant] = snap
        return snap

    def _ledger(self, tenant: str, snap: Snapshot) -> None:
        """6: append-only, and every entry follows the one before it."""
        seen = self.seen[tenant]
        assert len(snap.entries) >= len(seen), "an entry disappeared"
        running = 0
        for n, entry in enumerate(snap.entries, start=1):
            seq, _kind, amount, balance_after = entry[:4]
            assert seq == n
            running += amount
            assert balance_after == running
            assert seen.setdefault(seq, entry) == entry, f"entry {seq} changed"

    def _payments(self, tenant: str, snap: Snapshot) -> None:
        """4: one open job at most, one job per cause, each caused below the trigger; a payment
        is credited once, by the entry with its key, and only when it succeeded."""
        model = self.models[tenant]
        by_key = {e[4]: e for e in snap.entries}
        for _id, kind, status, amount, _cause, key, entry_seq in snap.payments:
            entry = by_key.get(key)
            if status == "succeeded":
                assert entry is not None and entry[0] == entry_seq and entry[2] == amount
                assert entry[1] == ("auto_recharge" if kind == "auto_recharge" else "funding")
            else:
                assert entry is None and entry_seq is None
        jobs = [p for p in snap.payments if p[1] == "auto_recharge"]
        assert len([p for p in jobs if p[2] in OPEN]) <= 1, jobs
        balance_at = {e[0]: e[3] for e in snap.entries}
        for job_id, _kind, _status, amount, cause, _key, _entry_seq in jobs:
            if job_id not in self.job_triggers:  # made by the operation just run
                event("recharge job made")
                assert model.recharge_enabled, jobs
                assert amount == model.recharge_amount
                self.job_triggers[job_id] = model.recharge_trigger
            trigger = self.job_triggers[job_id]
            assert trigger is not None
            assert balance_at.get(cause, 0) < trigger, (cause, balance_at.get(cause), trigger)
            earlier = [p for p in jobs if p[4] == cause and p[0] < job_id]
            if earlier:
                # A second job for one cause is allowed only when the earlier ones charged
                # nothing: declined (tried again when auto-recharge is changed or turned back
                # on) or cancelled (withdrawn by a change of the auto-recharge settings).
                # Two jobs for one cause where the first succeeded would charge twice.
                event("recharge made again for the same cause")
                assert all(p[2] in ("declined", "cancelled") for p in earlier), jobs

    async def _watch(self, tenant: str, snap: Snapshot) -> None:
        """Note the thresholds the last operation stopped watching (removed, or a default that
        followed the auto-recharge trigger): forgotten, they start armed when watched again."""
        view = await self.service.account(tenant)
        now = {t.minor for t in view.effective_thresholds}
        last_seq = snap.entries[-1][0] if snap.entries else 0
        for gone in self.watched[tenant] - now:
            self.forgotten[(tenant, gone)].append(last_seq)
        self.watched[tenant] = now

    def _alerts(self, tenant: str, snap: Snapshot) -> None:
        """5: between two alerts for the same threshold the balance went back up (or the
        threshold stopped being watched in between: set again, it starts armed)."""
        balance_at = {e[0]: e[3] for e in snap.entries}
        series: dict[Any, list[int]] = defaultdict(list)
        for _id, kind, payload in snap.alerts:
            event(f"alert {kind}")
            if kind == AlertKind.LOW_BALANCE.value:
                series[payload["threshold_minor"]].append(payload["seq"])
            elif kind == AlertKind.DEPLETED.value:
                series["depleted"].append(payload["seq"])
        for threshold, seqs in series.items():
            seqs.sort()
            for earlier, later in pairwise(seqs):
                between = [balance_at[s] for s in range(earlier + 1, later)]
                if threshold == "depleted":
                    rearmed = any(balance > 0 for balance in between)
                else:
                    rearmed = any(balance >= threshold for balance in between) or any(
                        earlier <= seq < later for seq in self.forgotten[(tenant, threshold)]
                    )
                assert rearmed, f"{threshold}: alerts at seq {earlier} and {later}, no re-arm"
                event(f"{'depleted' if threshold == 'depleted' else 'low balance'} fired again")

    async def unchanged(self, tenant: str) -> None:
        """3 and isolation: nothing about this tenant moved."""
        before = self.last[tenant]
        assert (await snapshot(self.service, tenant)).state() == before.state()

    async def refused(self, tenant: str, error: type[Exception], call: Awaitable[Any]) -> None:
        with pytest.raises(error):
            await call
        event(f"refused: {error.__name__}")
        await self.unchanged(tenant)

    # ------------------------------------------------------------------ operations

    async def run(self, ops: list[tuple[Any, ...]]) -> None:
        await self.check(self.main)
        await self.check(self.other)
        for op in ops:
            handler: Callable[..., Awaitable[set[str]]] = getattr(self, f"op_{op[0]}")
            touched = await handler(*op[1:])
            for tenant in (self.main, self.other):  # checked or proven untouched, every time
                if tenant in touched:
                    await self.check(tenant)
                else:
                    await self.unchanged(tenant)
        # the facade's history pages agree with the table
        entries, before = [], None
        while True:
            page = await self.service.history(self.main, limit=7, before_seq=before)
            entries += page.entries
            if page.next_before is None:
                break
            before = page.next_before
        assert [(e.seq, e.amount.minor, e.balance_after.minor) for e in reversed(entries)] == [
            e[:1] + e[2:4] for e in self.last[self.main].entries
        ]
        # every gateway charge had a key of its own: nothing was charged twice
        keys = [c.idempotency_key for c in self.gateway.calls]
        assert len(keys) == len(set(keys)), keys

    async def op_add_funds(self, amount: Any, key: str, tenant: str | None = None) -> set[str]:
        tenant = tenant or self.main
        model = self.models[tenant]
        minor = GOOD_AMOUNTS.get(str(amount))
        known = model.fundings.get(key)
        call = self.service.add_funds(tenant, amount, ADA, key)
        if minor is None:
            await self.refused(tenant, AmountError, call)
            return set()
        if known is not None and known[0] != minor:
            await self.refused(tenant, IdempotencyConflict, call)
            return set()
        if (known is not None and not known[1]) or (
            known is None and tenant in self.gateway.decline_tenants
        ):
            before = self.last[tenant]
            with pytest.raises(PaymentDeclined):
                await call
            event("purchase declined")
            model.fundings[key] = (minor, False)
            after = await self.check(tenant)
            assert (after.balance, after.entries, after.alerts) == (
                before.balance,
                before.entries,
                before.alerts,
            )
            # the first attempt leaves a declined payment on record; a replay adds nothing
            assert after.payments[: len(before.payments)] == before.payments
            added = [p[1:4] for p in after.payments[len(before.payments) :]]
            assert added == ([] if known else [("purchase", "declined", minor)])
            return {tenant}
        result = await call
        assert result.replayed == (known is not None)
        assert (result.entry.kind, result.entry.amount.minor) == (EntryKind.FUNDING, minor)
        if known is None:
            model.fundings[key] = (minor, True)
            model.fund(minor, self.clock.now())
            assert result.balance.minor == model.balance
        else:
            event("purchase replayed")
        return {tenant}

    async def op_other_add_funds(self, amount: str, key: str) -> set[str]:
        return await self.op_add_funds(amount, key, self.other)

    async def op_usage(self, specs: list[dict[str, Any]]) -> set[str]:
        batch, expected = [], []
        pending: dict[str, dict[str, int]] = {self.main: {}, self.other: {}}
        for spec in specs:
            tenant = self.other if spec["other_tenant"] else self.main
            batch.append(make_record(spec, tenant, self.clock.now()))
            charge = CHARGES[spec["charge"]]
            known = {**self.models[tenant].usage, **pending[tenant]}
            if spec["shape"] != "ok":
                expected.append((tenant, UsageStatus.REJECTED, 0))
            elif spec["id"] in known:
                same = known[spec["id"]] == charge
                expected.append(
                    (tenant, UsageStatus.DUPLICATE if same else UsageStatus.CONFLICT, 0)
                )
            else:
                pending[tenant][spec["id"]] = charge
                expected.append((tenant, UsageStatus.APPLIED, charge))
        outcomes = await self.service.ingest_usage(batch)
        assert [(o.index, o.status) for o in outcomes] == [
            (n, status) for n, (_, status, _) in enumerate(expected)
        ]
        for outcome, (tenant, status, charge) in zip(outcomes, expected, strict=True):
            event(f"usage {status}")
            assert outcome.record_id == batch[outcome.index]["id"]
            assert bool(outcome.reason) == (status in (UsageStatus.REJECTED, UsageStatus.CONFLICT))
            if status is UsageStatus.APPLIED:
                self.models[tenant].usage[batch[outcome.index]["id"]] = charge
                self.models[tenant].spend(charge, self.clock.now())
        touched = set()
        for tenant in (self.main, self.other):
            debits = sum(
                1 for t, s, c in expected if t == tenant and s is UsageStatus.APPLIED and c
            )
            if debits:  # only applied records move anything; the rest change nothing (3)
                before = self.last[tenant]
                after = await self.check(tenant)
                assert len(after.entries) == len(before.entries) + debits
                touched.add(tenant)
        return touched

    async def op_advance_hours(self, hours: int) -> set[str]:
        return await self._advance(timedelta(hours=hours))

    async def op_advance_months(self, months: int) -> set[str]:
        return await self._advance(timedelta(days=30 * months))

    async def _advance(self, step: timedelta) -> set[str]:
        self.clock.advance(step)
        now = self.clock.now()
        expected = {tenant: model.expire(now) for tenant, model in self.models.items()}
        before = dict(self.last)
        report = await self.service.run_checks()
        assert report.expired_lots == sum(len(amounts) for amounts in expected.values())
        for tenant, amounts_ in expected.items():
            after = await self.check(tenant)
            new = after.entries[len(before[tenant].entries) :]
            assert [(e[1], e[2]) for e in new] == [(EntryKind.EXPIRY.value, a) for a in amounts_]
            if new:
                event("lots expired")
        return set(expected)

    async def op_auto_recharge(
        self, enabled: bool | None, amount: str | None, trigger: str | None
    ) -> set[str]:
        model = self.models[self.main]
        call = self.service.set_auto_recharge(
            self.main, ADA, enabled=enabled, amount=amount, trigger=trigger
        )
        if amount == "5" or trigger == "-1":
            await self.refused(self.main, AmountError, call)
            return set()
        final_enabled = model.recharge_enabled if enabled is None else enabled
        final_amount = model.recharge_amount if amount is None else RECHARGE_AMOUNTS[amount]
        final_trigger = model.recharge_trigger if trigger is None else TRIGGERS[trigger]
        if final_enabled and (final_amount is None or final_trigger is None):
            await self.refused(self.main, ValidationError, call)
            return set()
        if final_enabled and final_amount <= final_trigger:  # type: ignore[operator]
            await self.refused(self.main, ValidationError, call)  # it could not lift the balance
            return set()
        model.recharge_enabled = final_enabled
        model.recharge_amount, model.recharge_trigger = final_amount, final_trigger
        before = self.last[self.main]
        view = await call
        assert view.recharge.enabled == final_enabled
        assert view.balance.minor == model.balance
        after = await self.check(self.main)  # a settings change moves no money
        assert (after.balance, after.entries) == (before.balance, before.entries)
        return {self.main}

    async def op_thresholds(self, values: list[str]) -> set[str]:
        call = self.service.set_alert_thresholds(self.main, ADA, values)
        if len(values) > 3 or "0" in values:
            await self.refused(self.main, ValidationError, call)
            return set()
        before = self.last[self.main]
        view = await call
        assert [t.minor for t in view.thresholds] == sorted(
            {THRESHOLDS[v] for v in values}, reverse=True
        )
        after = await self.check(self.main)  # a settings change moves no money
        assert (after.balance, after.entries) == (before.balance, before.entries)
        assert len(after.alerts) - len(before.alerts) == len(
            [a for a in after.alerts[len(before.alerts) :] if a[1] == "recharge_failed"]
        ), "a settings change alone alerts nothing about the balance"
        return {self.main}

    async def op_process_payments(self) -> set[str]:
        outcomes = await self.service.process_payments("w")
        for outcome in outcomes:
            event(f"recharge {outcome.status}")
            assert outcome.kind == "auto_recharge"
            declined = outcome.tenant_id in self.gateway.decline_tenants
            assert outcome.status == ("declined" if declined else "succeeded")
            if outcome.status == "succeeded":
                self.models[outcome.tenant_id].fund(outcome.amount.minor, self.clock.now())
        return {o.tenant_id for o in outcomes}


async def open_database(backend_name: str, pg_url: str) -> tuple[str, str | None, Any]:
    """A database of this example's own: (url, schema, cleanup)."""
    if backend_name == "sqlite":
        folder = tempfile.mkdtemp(prefix="credits-prop-")

        async def drop_folder() -> None:
            shutil.rmtree(folder, ignore_errors=True)

        return f"sqlite+aiosqlite:///{Path(folder) / 'credits.db'}", None, drop_folder
    import asyncpg

    dsn = pg_url.replace("postgresql+asyncpg://", "postgresql://")
    schema = f"p_{uuid.uuid4().hex[:16]}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(dsn, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await execute(f"CREATE SCHEMA {schema}")

    async def drop_schema() -> None:
        await execute(f"DROP SCHEMA {schema} CASCADE")

    return pg_url, schema, drop_schema


async def run_example(backend: Any, scenario: dict[str, Any]) -> None:
    url, schema, cleanup = await open_database(backend.name, backend.url)
    clock = ManualClock()
    gateway = SandboxGateway()
    try:
        config = backend.config(database_url=url, database_schema=schema)
        service = await CreditsService.open(config, gateway, clock)
        try:
            run = Run(service, clock, gateway)
            if scenario["decline"]:
                gateway.decline_tenants = frozenset({run.main})
            await run.run(scenario["ops"])
        finally:
            await service.close()
    finally:
        await cleanup()


# ---------------------------------------------------------------------- the tests

# Each example opens its own database and tenants, so nothing leaks between examples through
# the function-scoped `backend` fixture (used only to pick the backend, or skip PostgreSQL).
COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture],
}


DEEP = os.environ.get("CREDITS_TEST_DEEP") == "1"  # longer searches (docs/testing.md)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(max_examples=40 if DEEP else 20, **COMMON)
@given(scenario=scenarios)
async def test_random_operations_keep_the_money_rules_on_sqlite(
    backend: Any, scenario: dict[str, Any]
) -> None:
    await run_example(backend, scenario)


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
@settings(max_examples=20 if DEEP else 12, **COMMON)
@given(scenario=scenarios)
async def test_random_operations_keep_the_money_rules_on_postgres(
    backend: Any, scenario: dict[str, Any]
) -> None:
    await run_example(backend, scenario)
