"""The domain of usage pulled from Graph: which rows draw on credits (a pure table), the windows a
pull reads (pure, with properties), and the `usage_sources` rows (connect, one holder at a time,
the cursor, the outcome) on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import ServiceFactory
from hypothesis import given
from hypothesis import strategies as st

from credits.call_rows import DebitRule, sort_rows, to_record
from credits.clock import ManualClock
from credits.graph_problems import SourceProblem
from credits.models import Actor
from credits.service import CreditsService
from credits.sources import MAX_WINDOW, PullCounts, PullResult, UsageSource, windows

RULE = DebitRule.of(["MCOPSTNPP"], add_connection_charge=False)
ADA = Actor("00000000-0000-0000-0000-0000000000ad", "Ada")
T = "72f988bf-0000-4000-8000-00000000bbbb"


def row(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "9c4984c7-0000-4000-8000-000000000001",
        "startDateTime": "2026-11-01T00:00:08.2589935Z",
        "duration": 219,
        "charge": Decimal("1.25"),
        "connectionCharge": Decimal("0.10"),
        "currency": "USD",
        "licenseCapability": "MCOPSTNPP",
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("fields", "rule", "charge"),
    [
        ({}, RULE, Decimal("1.25")),  # paid from credits: its charge
        ({"licenseCapability": "mcopstnpp"}, RULE, Decimal("1.25")),  # case does not matter
        ({"licenseCapability": "MCOPSTN1"}, RULE, None),  # a Calling Plan's minutes: skipped
        ({"licenseCapability": None}, RULE, None),
        ({"licenseCapability": 7}, RULE, None),
        ({"charge": Decimal("0")}, RULE, None),  # free: nothing drawn
        ({}, DebitRule.of(["MCOPSTNPP"], True), Decimal("1.35")),  # with the connection fee
        ({"connectionCharge": None}, DebitRule.of(["MCOPSTNPP"], True), Decimal("1.25")),
        ({"charge": "lots"}, DebitRule.of(["MCOPSTNPP"], True), "lots"),  # the ingest refuses it
        ({"connectionCharge": "x"}, DebitRule.of(["MCOPSTNPP"], True), "x"),
        (
            {"licenseCapability": "MCOMEETACPEA"},
            DebitRule.of(["MCOPSTNPP", "MCOMEETACPEA"], False),
            Decimal("1.25"),
        ),
        ({"charge": Decimal("0.0216")}, RULE, Decimal("0.02")),  # a Double: to the cent
        ({"charge": Decimal("0.005")}, RULE, Decimal("0.01")),  # half up
        ({"charge": Decimal("0.004")}, RULE, None),  # rounds to nothing: free
        ({"charge": 3, "currency": "JPY"}, RULE, Decimal("3")),
        ({"charge": Decimal("12.5"), "currency": "JPY"}, RULE, Decimal("13")),
        ({"charge": Decimal("0.0216"), "currency": "XYZ"}, RULE, Decimal("0.0216")),
    ],
)
def test_which_rows_draw_on_credits(fields: dict[str, Any], rule: DebitRule, charge: Any) -> None:
    record = to_record(row(**fields), T, rule)
    if charge is None:
        assert record is None
        return
    assert record["charge"] == charge
    assert record["tenantId"] == T  # the tenant pulled for, whatever the row says


def test_a_row_claiming_another_tenant_is_booked_to_the_tenant_pulled() -> None:
    record = to_record(row(tenantId="someone-else"), T, RULE)
    assert record is not None and record["tenantId"] == T


def test_rows_that_are_not_objects_go_to_the_ingest_to_be_refused() -> None:
    sorted_rows = sort_rows([row(), "junk", row(licenseCapability="MCOPSTN2")], T, RULE)
    assert sorted_rows.skipped == 1
    assert sorted_rows.records[1] == "junk"
    assert len(sorted_rows.records) == 2


def source(cursor: datetime | None, connected: datetime) -> UsageSource:
    return UsageSource(
        tenant_id=T,
        connected_by="x",
        connected_at=connected,
        cursor_at=cursor,
        next_run_at=None,
        running=False,
        last_run_at=None,
        last_ok_at=None,
        last=PullCounts(),
        last_problem=None,
        last_error=None,
    )


NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_the_first_pull_reads_the_trailing_window_before_the_connection() -> None:
    planned = windows(source(None, NOW), NOW, timedelta(hours=72))
    assert [(w.start, w.end) for w in planned] == [(NOW - timedelta(hours=72), NOW)]


def test_later_pulls_read_from_the_cursor_less_the_trailing_window() -> None:
    cursor = NOW - timedelta(minutes=15)
    planned = windows(source(cursor, NOW - timedelta(days=3)), NOW, timedelta(hours=48))
    assert [(w.start, w.end) for w in planned] == [(cursor - timedelta(hours=48), NOW)]


def test_since_reads_further_back_but_never_skips_what_was_not_read() -> None:
    cursor = NOW - timedelta(days=10)  # pulls failed for ten days
    trailing = timedelta(hours=72)
    later = windows(
        source(cursor, NOW - timedelta(days=30)), NOW, trailing, NOW - timedelta(days=1)
    )
    assert later[0].start == cursor - trailing
    earlier = windows(source(cursor, NOW), NOW, trailing, NOW - timedelta(days=20))
    assert earlier[0].start == NOW - timedelta(days=20)


def test_since_a_year_ago_is_split_into_windows_graph_accepts() -> None:
    since = NOW - timedelta(days=365)
    planned = windows(source(NOW, NOW), NOW, timedelta(hours=72), since)
    assert len(planned) == 5
    assert planned[0].start == since and planned[-1].end == NOW
    assert all(w.end - w.start <= timedelta(days=90) for w in planned)


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 7, 12)),
    st.integers(min_value=0, max_value=24 * 89),
    st.booleans(),
)
def test_windows_cover_the_range_without_gaps_and_never_exceed_90_days(
    start: datetime, trailing_hours: int, from_cursor: bool
) -> None:
    start = start.replace(tzinfo=UTC)
    src = source(start if from_cursor else None, start)
    planned = windows(src, NOW, timedelta(hours=trailing_hours))
    assert planned[0].start == min(start - timedelta(hours=trailing_hours), NOW)
    assert planned[-1].end == NOW
    for before, after in itertools.pairwise(planned):
        assert before.end == after.start  # inclusive bounds: an instant read twice, never missed
    assert all(timedelta(0) <= w.end - w.start <= MAX_WINDOW for w in planned)


# ---------------------------------------------------------------------- the rows


async def test_connect_claim_advance_finish(service: CreditsService, clock: ManualClock) -> None:
    assert await service.connect_usage(T, ADA) is True
    assert await service.connect_usage(T, ADA) is False  # already: due again, not doubled
    lease = timedelta(minutes=5)
    [claimed] = await service.claim_usage_sources("w1", lease)
    assert claimed.tenant_id == T and claimed.cursor_at is None and claimed.running
    assert await service.claim_usage_sources("w2", lease) == []  # one holder at a time
    assert await service.claim_usage_source(T, "w2", lease) is None
    end = clock.now()
    assert await service.advance_usage_cursor(T, "w1", end, lease)
    assert not await service.advance_usage_cursor(T, "w2", end, lease)  # not its claim
    result = PullResult(PullCounts(read=3, applied=2, skipped=1))
    assert await service.finish_usage_pull(T, "w1", result, clock.now() + timedelta(minutes=15))
    stored = await service.usage_source(T)
    assert stored is not None and not stored.running
    assert stored.cursor_at == end and stored.last == result.counts
    assert stored.last_ok_at == clock.now() and stored.last_problem is None
    assert await service.claim_usage_sources("w2", lease) == []  # not due for 15 minutes
    clock.advance(timedelta(minutes=15))
    [again] = await service.claim_usage_sources("w2", lease)
    assert again.cursor_at == end


async def test_a_pull_asked_for_during_one_is_due_when_it_ends(
    service: CreditsService, clock: ManualClock
) -> None:
    await service.connect_usage(T, ADA)
    lease = timedelta(minutes=5)
    assert await service.claim_usage_sources("w1", lease)
    clock.advance(timedelta(seconds=30))
    await service.connect_usage(T, ADA)  # "Check now" while the pull runs
    later = clock.now() + timedelta(minutes=15)
    assert await service.finish_usage_pull(T, "w1", PullResult(PullCounts()), later)
    stored = await service.usage_source(T)
    assert stored is not None and stored.next_run_at == clock.now()
    assert await service.claim_usage_sources("w2", lease)  # due at once, not in 15 minutes
    assert await service.finish_usage_pull(T, "w2", PullResult(PullCounts()), later)
    stored = await service.usage_source(T)
    assert stored is not None and stored.next_run_at == later  # asked once, honoured once


async def test_a_source_handed_back_keeps_what_the_last_pull_said(
    service: CreditsService, clock: ManualClock
) -> None:
    await service.connect_usage(T, ADA)
    lease = timedelta(minutes=5)
    assert await service.claim_usage_sources("w1", lease)
    failed = PullResult(PullCounts(read=2), SourceProblem.CONSENT_MISSING, "AADSTS700016")
    assert await service.finish_usage_pull(T, "w1", failed, clock.now() + timedelta(hours=1))
    assert await service.claim_usage_source(T, "w2", lease)
    assert await service.hand_back_usage_source(T, "w2")  # the workers stopped mid-pull
    stored = await service.usage_source(T)
    assert stored is not None and not stored.running and stored.next_run_at == clock.now()
    assert stored.last_problem is SourceProblem.CONSENT_MISSING and stored.last.read == 2
    assert stored.last_ok_at is None


async def test_a_holder_whose_lease_ran_out_loses_the_source(
    service: CreditsService, clock: ManualClock
) -> None:
    await service.connect_usage(T, ADA)
    lease = timedelta(minutes=5)
    assert await service.claim_usage_sources("w1", lease)
    clock.advance(lease + timedelta(seconds=1))
    [taken] = await service.claim_usage_sources("w2", lease)
    assert taken.tenant_id == T
    failed = PullResult(PullCounts(), SourceProblem.UNAVAILABLE, "503")
    assert not await service.finish_usage_pull(T, "w1", failed, clock.now())
    assert await service.finish_usage_pull(T, "w2", failed, clock.now())
    stored = await service.usage_source(T)
    assert stored is not None and stored.last_problem is SourceProblem.UNAVAILABLE
    assert stored.last_ok_at is None and stored.last_error == "503"


async def test_two_replicas_claiming_at_once_get_each_source_once(
    make_service: ServiceFactory,
) -> None:
    import asyncio

    first, second = await make_service(), await make_service()
    tenants = [f"{T[:-4]}{n:04d}" for n in range(12)]
    for tenant in tenants:
        await first.connect_usage(tenant, ADA)
    lease = timedelta(minutes=5)
    a, b = await asyncio.gather(
        first.claim_usage_sources("a", lease, 12), second.claim_usage_sources("b", lease, 12)
    )
    got = [s.tenant_id for s in a] + [s.tenant_id for s in b]
    assert sorted(got) == sorted(tenants)
