"""Fuzz `POST /api/usage` of the real app, on SQLite and PostgreSQL (issue 9: one poison record
must never lose the batch).

Each example posts one batch mixing valid call records (two fresh tenants of the example, exact
charges up to the per-call bound written as text, JSON numbers and exponents, any time zone) with
hostile ones: a valid record with fields set to random JSON (huge and negative numbers, decimals,
exponents beyond what a Decimal holds, NUL, lone surrogates, very long strings, odd dates and time
zones, wrong types) or removed, copies of earlier records with other charges or in the other
tenant, and elements that are not objects. Sometimes the batch is a Graph page, and sometimes it
is posted again. It checks:

1. never a 500: the answer is 200 with one result per record, in order, each rejected or
   conflicting one with a reason;
2. every valid record is applied exactly once: `applied`, or `duplicate` (same charge) /
   `conflict` (other charge) only after the same tenant and id were applied earlier; a replay
   applies nothing (applied ones are duplicates now) and moves no balance;
3. the ledger holds one usage entry per applied record with a charge (each valid one with its
   exact amount) and nothing else;
4. `verify` agrees three ways (stored == entries == lots minus debt) for every tenant touched.

Valid records and the others are drawn in lists of their own (each other one with its place among
the valid ones), so a failure caused by one hostile record shrinks to that record alone.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import Backend
from helpers import AUTH, Client, ClientFactory, make_client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.appkeys import SERVICE
from credits.models import EntryKind
from credits.usage import CHARGE_MAX_MINOR, DURATION_MAX

FIELDS = (
    "id",
    "tenantId",
    "startDateTime",
    "duration",
    "charge",
    "currency",
    "licenseCapability",
    "callType",
    "userPrincipalName",
    "destinationContext",
    "calleeNumber",  # a field we do not read: anything goes
)

# ---------------------------------------------------------------------- JSON with raw numbers


@dataclass(frozen=True)
class Raw:
    """A JSON number written exactly as given (1e400, 0.10, 5,000 digits...)."""

    text: str


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()


def encode(value: Any) -> str:
    """JSON text; strings escaped as json.dumps does (NUL and lone surrogates as \\u escapes)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, list):
        return "[" + ", ".join(encode(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {encode(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


# ---------------------------------------------------------------------- hostile values

ODD_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfff",
    "\x1b[31m",
    "\n",
    "\u2028",
    "\u202eRTL",
    "null",
    "NaN",
    "Infinity",
    "-1",
    "-0",
    "1e400",
    "1_000",
    "١٢٣",
    "0x10",
    "USD",
    "usd ",
    "EUR",
    "JPY",
    "XXX",
)
ODD_DATES = (
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999Z",
    "1999-12-31T23:59:59Z",
    "2000-01-01T00:00:00+00:01",
    "2100-12-31T23:59:59-00:01",
    "2101-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-01-31T09:00:00",
    "2026-01-31",
    "2026-01-31T09:00:00+24:00",
    "2026-01-31T09:00:00+23:59",
    "20260131T090000Z",
    "2026-W05-1T09:00Z",
    "2026-01-31T09:00:00.123456789Z",
    "2026-01-31T09:00:00z",
    "2026-01-31T09:00:00ZZ",
    "2026-01-31T09:00:00 +0100",
)
ODD_NUMBERS = (
    "9e16",
    "9.2e16",
    "1e12",
    "10000000000.01",
    "1e99999999999999999999",
    "-1e99999999999999999999",
    "1e-99999999999999999999",
    "0e-99999999999999999999",
    "1e400",
    "1.5e308",
    "-0",
    "-0.0",
    "0.000",
    "1E+2",
    "1.005",
    "9" * 5000,
    "-" + "9" * 30,
    str(2**31),
    str(2**63),
    str(DURATION_MAX + 1),
    str(CHARGE_MAX_MINOR + 1),
)
LENGTHS = (99, 100, 101, 194, 195, 200, 201, 300, 301, 5000)

long_strings = st.builds(
    lambda unit, n: (unit * n)[:n],
    st.sampled_from(("x", "é", "😀", " ", "\x00")),
    st.sampled_from(LENGTHS),
)
raw_numbers = st.one_of(
    st.sampled_from(ODD_NUMBERS).map(Raw),
    st.from_regex(
        r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,24})?", fullmatch=True
    ).map(Raw),
)
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
odd_dates = st.one_of(
    st.sampled_from(ODD_DATES),
    st.datetimes(timezones=st.one_of(st.none(), offsets)).map(lambda d: d.isoformat()),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    raw_numbers,
    st.sampled_from(ODD_TEXT),
    st.text(max_size=12),
    long_strings,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
hostile_values = st.one_of(
    st.just(DELETE), scalars, odd_dates, json_values, st.sampled_from(("T_MAIN", "T_OTHER"))
)
mutations = st.lists(
    st.tuples(st.sampled_from(FIELDS), hostile_values), min_size=1, max_size=3
).map(tuple)

# ---------------------------------------------------------------------- valid records

# Valid records come from short lists of values (random dates and text are hostile values, whose
# outcome is free): a failing batch then shrinks fast.
FORMS = ("text", "number", "exponent", "int")
STARTS = (  # in UTC; shown in the record's own offset
    datetime(2026, 11, 24, 9, 0),
    datetime(2000, 1, 1),  # the first instant allowed
    datetime(2100, 12, 31, 23, 59, 59, 999999),  # the last
    datetime(2024, 2, 29, 12, 30, 15, 250000),
)
OFFSET_MINUTES = (0, 60, -300, 330, 14 * 60, -12 * 60, 24 * 60 - 1, -(24 * 60 - 1))
DURATIONS = (300, 0, 1, 3599, DURATION_MAX)


def sized(limit: int) -> st.SearchStrategy[str]:
    """Text every check accepts for a field of `limit` characters (blank is no value)."""
    samples = ("conf_out", " padded ", "\u202eRTL", "Số dư", "a" * limit, "😀" * limit)
    return st.sampled_from(samples)


@dataclass(frozen=True)
class Valid:
    """A call record every check accepts (for tenant 0 or 1 of the example)."""

    tenant: int
    charge_minor: int
    form: str
    start: datetime
    offset: timezone
    duration: int
    texts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Hostile:
    base: Valid
    changes: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Copy:
    """An earlier valid record again: the same charge or another, in its tenant or the other."""

    ref: int
    charge_minor: int | None  # None: the same charge
    other_tenant: bool


@dataclass(frozen=True)
class NotObject:
    value: Any


charges = st.one_of(
    st.sampled_from((0, 1, 125, 10_000, CHARGE_MAX_MINOR)), st.integers(0, CHARGE_MAX_MINOR)
)
valids = st.builds(
    Valid,
    tenant=st.integers(0, 1),
    charge_minor=charges,
    form=st.sampled_from(FORMS),
    start=st.sampled_from(STARTS),
    offset=st.sampled_from(OFFSET_MINUTES).map(lambda m: timezone(timedelta(minutes=m))),
    duration=st.one_of(st.sampled_from(DURATIONS), st.integers(0, DURATION_MAX)),
    texts=st.tuples(
        *(
            st.tuples(st.just(name), st.one_of(st.none(), sized(limit)))
            for name, limit in (
                ("userPrincipalName", 200),
                ("callType", 100),
                ("licenseCapability", 100),
                ("destinationContext", 100),
            )
        )
    ).map(lambda pairs: tuple((name, v) for name, v in pairs if v is not None)),
)
extras = st.tuples(
    st.integers(0, 8),  # where it goes among the valid records
    st.one_of(
        st.builds(Hostile, valids, mutations),
        st.builds(Copy, st.integers(0, 50), st.one_of(st.none(), charges), st.booleans()),
        st.builds(NotObject, json_values),
    ),
)
# valid records and the rest in lists of their own: a failure caused by one hostile record
# shrinks to that record alone (one mixed list shrinks badly)
batches = st.fixed_dictionaries(
    {
        "valid": st.lists(valids, max_size=8),
        "extra": st.lists(extras, min_size=1, max_size=6),
        "page": st.booleans(),  # {"value": [...]} as Graph pages it
        "replay": st.booleans(),
    }
)


def slots_of(example: dict[str, Any]) -> list[Any]:
    """The batch in order: the valid records with the others put in at their places."""
    slots: list[Any] = list(example["valid"])
    for at, extra in example["extra"]:
        slots.insert(min(at, len(slots)), extra)
    return slots


# ---------------------------------------------------------------------- one example


@dataclass
class Known:
    """A record built valid: its tenant, id and charge."""

    tenant: str
    id: str
    charge_minor: int


def charge_value(minor: int, form: str) -> Any:
    units, cents = divmod(minor, 100)
    if form == "int" and cents == 0:
        return units
    if form == "number":
        return Raw(f"{units}.{cents:02d}")
    if form == "exponent":
        return Raw(f"{minor}E-2")
    return f"{units}.{cents:02d}"


def build(slot_list: list[Any], tenants: tuple[str, str]) -> tuple[list[Any], list[Known | None]]:
    """The records to post, and for each the valid record it is (None: hostile, any outcome)."""
    records: list[Any] = []
    known: list[Known | None] = []
    valid: list[tuple[Known, dict[str, Any]]] = []
    for n, slot in enumerate(slot_list):
        if isinstance(slot, NotObject):
            records.append(slot.value)
            known.append(None)
        elif isinstance(slot, Copy):
            if not valid:
                records.append([])
                known.append(None)
                continue
            was, record = valid[slot.ref % len(valid)]
            tenant = tenants[1 - tenants.index(was.tenant)] if slot.other_tenant else was.tenant
            minor = was.charge_minor if slot.charge_minor is None else slot.charge_minor
            copy = dict(record, tenantId=tenant, charge=charge_value(minor, "text"))
            records.append(copy)
            known.append(Known(tenant, was.id, minor))
        else:
            base = slot.base if isinstance(slot, Hostile) else slot
            record = {
                "id": f"{'h' if isinstance(slot, Hostile) else 'v'}{n}",
                "tenantId": tenants[base.tenant],
                "startDateTime": base.start.replace(tzinfo=UTC).astimezone(base.offset).isoformat(),
                "duration": base.duration,
                "charge": charge_value(base.charge_minor, base.form),
                "currency": "USD",
                **dict(base.texts),
            }
            if isinstance(slot, Hostile):
                for name, value in slot.changes:
                    if value is DELETE:
                        record.pop(name, None)
                    else:
                        named = {"T_MAIN": tenants[0], "T_OTHER": tenants[1]}
                        record[name] = named.get(value, value) if isinstance(value, str) else value
                records.append(record)
                known.append(None)
            else:
                made = Known(record["tenantId"], record["id"], base.charge_minor)
                records.append(record)
                known.append(made)
                valid.append((made, record))
    return records, known


async def post(client: Client, raw: str) -> Any:
    """(1): the answer to a JSON array is 200 with a JSON body."""
    response = await client.post("/api/usage", data=raw, headers=AUTH)
    text = await response.text()
    assert response.status == 200, text[:1000]
    return json.loads(text)


def check_results(
    results: list[dict[str, Any]],
    known: list[Known | None],
    applied: dict[tuple[str, str], int | None],
) -> None:
    """(1) and (2): one result per record in order, each valid record applied exactly once."""
    assert [r["index"] for r in results] == list(range(len(known)))
    for result, record in zip(results, known, strict=True):
        status = result["status"]
        event(f"{'valid' if record else 'hostile'} {status}")
        assert status in ("applied", "duplicate", "conflict", "rejected")
        if status in ("rejected", "conflict"):
            assert isinstance(result["reason"], str) and result["reason"], result
        if record is None:
            if status == "applied":
                applied[(result["tenantId"], result["id"])] = None  # charge unknown
            continue
        key = (record.tenant, record.id)
        assert (result["tenantId"], result["id"]) == key, result
        if key not in applied:
            assert status == "applied", (result, record)
            applied[key] = record.charge_minor
        elif applied[key] is None:
            assert status in ("duplicate", "conflict"), (result, record)
        else:
            same = applied[key] == record.charge_minor
            assert status == ("duplicate" if same else "conflict"), (result, record)


async def check_ledger(
    client: Client, tenant: str, applied: dict[tuple[str, str], int | None], own: bool
) -> int:
    """(3) and (4) for one tenant; returns its balance. Tenants a hostile record named (`own`
    false) may be shared by several examples: only (4) holds for them."""
    service = client.app[SERVICE]
    if own:
        page = await service.history(tenant, limit=200)
        entries = {
            e.idempotency_key: e.amount.minor for e in page.entries if e.kind == EntryKind.USAGE
        }
        mine = {record_id: charge for (t, record_id), charge in applied.items() if t == tenant}
        assert set(entries) <= {f"usage:{record_id}" for record_id in mine}
        for record_id, charge in mine.items():
            if charge is not None:
                assert entries.get(f"usage:{record_id}", 0) == -charge, (record_id, charge)
    check = await service.verify(tenant)
    assert check["stored"] == check["entries"] == check["lots_minus_debt"], (tenant, check)
    return check["stored"]


async def run_example(client: Client, example: dict[str, Any]) -> None:
    run = uuid.uuid4().hex[:12]
    tenants = (f"fz-main-{run}", f"fz-other-{run}")
    records, known = build(slots_of(example), tenants)
    raw = encode({"value": records} if example["page"] else records)
    results = (await post(client, raw))["results"]
    applied: dict[tuple[str, str], int | None] = {}
    check_results(results, known, applied)
    touched = set(tenants) | {t for t, _ in applied}
    balances = {
        tenant: await check_ledger(client, tenant, applied, tenant in tenants)
        for tenant in sorted(touched)
    }
    if not example["replay"]:
        return
    again = (await post(client, raw))["results"]
    replayed = {"applied": "duplicate"}
    assert [r["status"] for r in again] == [replayed.get(r["status"], r["status"]) for r in results]
    for tenant, balance in balances.items():
        assert await check_ledger(client, tenant, applied, tenant in tenants) == balance


# ---------------------------------------------------------------------- the tests

# One app (and database) per test; each example uses fresh tenants, so examples do not meet.
COMMON: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path, backend: Backend) -> Client:
    return await make_client(aiohttp_client, tmp_path, credits=backend.config())


DEEP = os.environ.get("CREDITS_TEST_DEEP") == "1"  # longer searches (docs/testing.md)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@settings(max_examples=400 if DEEP else 150, **COMMON)
@given(example=batches)
async def test_hostile_usage_batches_on_sqlite(client: Client, example: dict[str, Any]) -> None:
    await run_example(client, example)


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
@settings(max_examples=400 if DEEP else 150, **COMMON)
@given(example=batches)
async def test_hostile_usage_batches_on_postgres(client: Client, example: dict[str, Any]) -> None:
    await run_example(client, example)


def test_the_encoder_writes_what_json_reads() -> None:
    value = [{"a": Raw("1e400"), "b": "\ud800\x00", "c": [None, True, 2]}]
    assert encode(value) == '[{"a": 1e400, "b": "\\ud800\\u0000", "c": [null, true, 2]}]'
    assert json.loads(encode(value), parse_float=Decimal)[0]["b"] == "\ud800\x00"
