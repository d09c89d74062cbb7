"""The auto-recharge caps in the domain, on SQLite and PostgreSQL: a change is checked, saved and
audited once per key (Cancel voids it); the status says what is left and whether a cap stops
auto-recharge and until when, counted as the recharge rule counts; the guard that a recharge
amount must lift the balance above its trigger; the largest single recharge, enforced three
times (caps change, auto-recharge change, the recharge itself)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import pytest
from helpers import statements_of
from records import call as record_call
from sqlalchemy import select, update

from credits import caps, views
from credits.clock import ManualClock
from credits.errors import RequestCancelled, StaleError, ValidationError
from credits.models import Actor, AlertKind, CapsChange, CapStop, PaymentStatus
from credits.money import AmountError, Money, currency
from credits.schema import accounts, operations
from credits.service import CreditsService

ADA = Actor("aad-ada", "Ada Admin")
T = "tenant-a"
USD = currency("USD")
call = partial(record_call, tenantId=T)


def usd(text: str) -> Money:
    return Money(Decimal(text), USD)


async def assert_consistent(service: CreditsService) -> None:
    totals = await service.verify(T)
    assert totals["stored"] == totals["entries"] == totals["lots_minus_debt"], totals


async def audit_rows(service: CreditsService) -> list[tuple[str, dict[str, object]]]:
    """Each audit row's action and the change it records (without what the settings were)."""
    async with service.db.read() as conn:
        rows = (await conn.execute(select(operations).order_by(operations.c.id))).all()
    return [(r.action, {k: v for k, v in r.details.items() if k != "before"}) for r in rows]


async def recharge_on(service: CreditsService, amount: str = "60", trigger: str = "50") -> None:
    await service.set_auto_recharge(T, ADA, enabled=True, amount=amount, trigger=trigger)


async def run_payments(service: CreditsService, rounds: int = 10) -> None:
    for _ in range(rounds):
        await service.process_payments("w")


# ---------------------------------------------------------------------- changes


async def test_a_change_is_saved_once_per_key_and_audited(service: CreditsService) -> None:
    view = await service.account(T)
    change = CapsChange(daily_limit=3, monthly_cap=usd("500"), max_recharge=usd("150"))
    after = await service.set_recharge_caps(
        T, ADA, change, expected_version=view.version, idempotency_key="card-1"
    )
    assert (after.recharge.daily_limit, after.recharge.monthly_cap) == (3, usd("500"))
    assert after.recharge.max_recharge == usd("150")
    assert after.version == view.version + 1
    again = await service.set_recharge_caps(
        T, ADA, change, expected_version=view.version, idempotency_key="card-1"
    )
    assert again.version == after.version  # a replay: nothing changed again
    assert await service.was_applied(T, "card-1")
    assert await audit_rows(service) == [
        (
            "recharge_caps",
            {
                "daily_recharge_limit": 3,
                "monthly_recharge_cap_minor": 50000,
                "max_recharge_minor": 15000,
            },
        )
    ]
    cleared = await service.set_recharge_caps(
        T, ADA, CapsChange(clear_monthly_cap=True, clear_max_recharge=True)
    )
    assert cleared.recharge.monthly_cap is None and cleared.recharge.max_recharge is None
    assert cleared.recharge.daily_limit == 3


async def test_the_field_by_field_form_reads_text_amounts(service: CreditsService) -> None:
    view = await service.set_recharge_caps(
        T, ADA, daily_limit=4, monthly_cap="1000.50", max_recharge=Decimal("150")
    )
    assert view.recharge.monthly_cap == usd("1000.50")
    assert view.recharge.max_recharge == usd("150")
    view = await service.set_recharge_caps(T, ADA, clear_monthly_cap=True)
    assert view.recharge.monthly_cap is None and view.recharge.daily_limit == 4


async def test_a_voided_card_and_a_stale_card_change_nothing(service: CreditsService) -> None:
    view = await service.account(T)
    await service.void_request(T, "card-2", ADA)
    with pytest.raises(RequestCancelled):
        await service.set_recharge_caps(
            T,
            ADA,
            CapsChange(daily_limit=2),
            expected_version=view.version,
            idempotency_key="card-2",
        )
    await service.set_alert_thresholds(T, ADA, ["30"])  # the settings move on
    with pytest.raises(StaleError):
        await service.set_recharge_caps(
            T, ADA, CapsChange(daily_limit=2), expected_version=view.version, idempotency_key="c3"
        )
    assert (await service.account(T)).recharge.daily_limit == 5


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (CapsChange(daily_limit=0), "must be a whole number from 1 to 100"),
        (CapsChange(daily_limit=101), "must be a whole number from 1 to 100"),
        (CapsChange(daily_limit=True), "must be a whole number from 1 to 100"),
        (CapsChange(monthly_cap=usd("5")), "The monthly cap must be from $10.00 to $1,000,000.00"),
        (CapsChange(monthly_cap=usd("1000000.01")), "from $10.00 to $1,000,000.00"),
        (CapsChange(max_recharge=usd("9.99")), "from $10.00 to $10,000.00"),
        (CapsChange(max_recharge=usd("10001")), "from $10.00 to $10,000.00"),
        (CapsChange(monthly_cap=usd("50"), clear_monthly_cap=True), "not both"),
        (CapsChange(), "Say which cap to change"),
    ],
)
async def test_a_change_outside_the_bounds_is_refused(
    service: CreditsService, change: CapsChange, says: str
) -> None:
    before = await service.account(T)
    with pytest.raises(ValidationError) as refused:
        await service.set_recharge_caps(T, ADA, change)
    assert says in str(refused.value)
    assert str(refused.value).endswith("Nothing was changed.")
    assert (await service.account(T)).version == before.version
    assert await audit_rows(service) == []


async def test_a_cap_in_another_currency_is_refused(service: CreditsService) -> None:
    with pytest.raises(AmountError):
        await service.set_recharge_caps(
            T, ADA, CapsChange(monthly_cap=Money(Decimal(50), currency("EUR")))
        )


async def test_caps_below_the_recharge_amount_are_refused_with_both_amounts(
    service: CreditsService,
) -> None:
    await recharge_on(service, "100", "20")
    with pytest.raises(ValidationError) as refused:
        await service.set_recharge_caps(T, ADA, max_recharge="80")
    message = str(refused.value)
    assert "$80.00" in message and "$100.00" in message
    assert "at least $100.00" in message and "lower the recharge amount" in message
    with pytest.raises(ValidationError) as refused:
        await service.set_recharge_caps(T, ADA, monthly_cap="90")
    assert "$90.00" in str(refused.value) and "$100.00" in str(refused.value)
    view = await service.set_recharge_caps(T, ADA, max_recharge="100", monthly_cap="100")
    assert view.recharge.max_recharge == usd("100") == view.recharge.monthly_cap


# ---------------------------------------------------------------------- the guards


@pytest.mark.parametrize(("amount", "trigger"), [("20", "100"), ("50", "50")])
async def test_a_recharge_that_cannot_lift_the_balance_above_its_trigger_is_refused(
    service: CreditsService, amount: str, trigger: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await recharge_on(service, amount, trigger)
    message = str(refused.value)
    assert (
        f"A recharge of ${amount}.00 cannot lift the balance above the trigger of ${trigger}.00"
        in message
    )
    assert f"${amount}.00" in message and f"${trigger}.00" in message
    assert "must be more than the trigger" in message and "Nothing was changed" in message
    view = await service.account(T)
    assert not view.recharge.enabled and view.recharge.amount is None


async def test_the_guard_holds_for_each_part_of_a_change(service: CreditsService) -> None:
    await recharge_on(service, "100", "20")
    with pytest.raises(ValidationError):
        await service.set_auto_recharge(T, ADA, trigger="100")  # the amount stays 100
    with pytest.raises(ValidationError):
        await service.set_auto_recharge(T, ADA, amount="20")
    await service.set_auto_recharge(T, ADA, enabled=False)
    off = await service.set_auto_recharge(T, ADA, amount="15")  # off: not recharging
    assert off.recharge.amount == usd("15")
    with pytest.raises(ValidationError):  # turned on again as it is: refused, with the reason
        await service.set_auto_recharge(T, ADA, enabled=True)


async def test_an_amount_above_the_largest_single_recharge_is_refused(
    service: CreditsService,
) -> None:
    await service.set_recharge_caps(T, ADA, max_recharge="150")
    with pytest.raises(ValidationError) as refused:
        await recharge_on(service, "200", "20")
    message = str(refused.value)
    assert "$200.00" in message and "$150.00" in message
    assert "limit each recharge to $200.00" in message
    view = await service.set_auto_recharge(T, ADA, enabled=True, amount="150", trigger="20")
    assert view.recharge.amount == usd("150")


async def test_the_recharge_itself_refuses_an_amount_above_the_largest_single_recharge(
    service: CreditsService,
) -> None:
    """A defence: settings saved before the cap existed (or written around the facade)."""
    await service.add_funds(T, "100", ADA, "k")
    await recharge_on(service, "200", "20")
    async with service.db.write() as conn:
        await conn.execute(update(accounts).values(max_recharge_minor=15000))
    await service.ingest_usage([call("c1", "90.00")])
    assert [p for p in await service.payments(T) if p.kind == "auto_recharge"] == []
    failed = [a for a in await service.list_alerts(T) if a.kind is AlertKind.RECHARGE_FAILED]
    [reason] = [a.payload.to_json()["reason"] for a in failed]
    assert reason == "the recharge of $200.00 is more than the largest single recharge of $150.00"
    view = await service.account(T)
    assert view.caps is not None and view.caps.stopped is CapStop.MAX_RECHARGE
    assert view.caps.resumes_at is None


# ---------------------------------------------------------------------- the status


async def test_the_daily_limit_stops_and_resumes_the_next_utc_day(
    service: CreditsService, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    await service.set_recharge_caps(T, ADA, daily_limit=3)
    await recharge_on(service)
    await service.ingest_usage([call("big", "300.00")])  # -300: each recharge leaves it below
    await run_payments(service)
    view = await service.account(T)
    assert view.balance == usd("-120.00")  # three recharges of $60, then the limit
    caps = view.caps
    assert caps is not None
    assert (caps.used_today, caps.daily_limit, caps.left_today) == (3, 3, 0)
    assert caps.stopped is CapStop.DAILY_LIMIT
    assert caps.resumes_at == datetime(2026, 3, 11, tzinfo=UTC)
    assert caps.recharged_this_month == usd("180")
    failed = [a for a in await service.list_alerts(T) if a.kind is AlertKind.RECHARGE_FAILED]
    assert len(failed) == 1 and failed[0].payload.to_json()["capped"]
    await service.ingest_usage([call("more", "1.00")])  # still today: held, no second alert
    assert (
        len([a for a in await service.list_alerts(T) if a.kind is AlertKind.RECHARGE_FAILED]) == 1
    )
    clock.set(datetime(2026, 3, 11, 0, 5, tzinfo=UTC))
    fresh = await service.account(T)
    assert fresh.caps is not None and fresh.caps.stopped is None and fresh.caps.used_today == 0
    await service.ingest_usage([call("next-day", "1.00")])  # the first debit after midnight
    await run_payments(service, 1)
    assert (await service.account(T)).balance == usd("-62.00")
    await assert_consistent(service)


async def test_the_monthly_cap_counts_amounts_and_resumes_on_the_first(
    service: CreditsService, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 1, 31, 22, 0, tzinfo=UTC))
    await service.set_recharge_caps(T, ADA, monthly_cap="250")
    await recharge_on(service, "100", "50")
    await service.ingest_usage([call("big", "400.00")])
    await run_payments(service)
    view = await service.account(T)
    assert view.balance == usd("-200.00")  # two of $100: a third would make $300 > $250
    caps = view.caps
    assert caps is not None
    assert caps.recharged_this_month == usd("200") and caps.left_this_month == usd("50")
    assert caps.stopped is CapStop.MONTHLY_CAP
    assert caps.resumes_at == datetime(2026, 2, 1, tzinfo=UTC)
    reasons = [a.payload.to_json().get("reason") for a in await service.list_alerts(T)]
    assert "the monthly cap of $250.00 would be exceeded" in reasons


async def test_an_open_recharge_counts_as_the_rule_counts(service: CreditsService) -> None:
    await service.set_recharge_caps(T, ADA, daily_limit=1)
    await recharge_on(service)
    await service.ingest_usage([call("c1", "10.00")])  # a job, pending
    view = await service.account(T)
    assert view.recharge_in_progress
    assert view.caps is not None and view.caps.used_today == 1
    assert view.caps.stopped is CapStop.DAILY_LIMIT  # after this one, none more today


async def test_off_or_paused_is_never_stopped_by_a_cap(service: CreditsService) -> None:
    await service.set_recharge_caps(T, ADA, daily_limit=1)
    await recharge_on(service)
    await service.ingest_usage([call("c1", "10.00")])
    await service.set_auto_recharge(T, ADA, enabled=False)
    view = await service.account(T)
    assert view.caps is not None and view.caps.stopped is None


async def test_raising_a_cap_starts_the_recharge_it_held_back(service: CreditsService) -> None:
    await service.set_recharge_caps(T, ADA, daily_limit=1)
    await recharge_on(service)
    await service.ingest_usage([call("big", "200.00")])
    await run_payments(service)
    assert (await service.account(T)).balance == usd("-140.00")
    view = await service.set_recharge_caps(T, ADA, daily_limit=2)
    assert view.recharge_in_progress  # at once, not at the next debit
    await run_payments(service)
    assert (await service.account(T)).balance == usd("-80.00")
    statuses = [p.status for p in await service.payments(T)]
    assert statuses.count(PaymentStatus.SUCCEEDED) == 2
    await assert_consistent(service)


async def test_lowering_a_cap_never_starts_a_recharge(service: CreditsService) -> None:
    await recharge_on(service)
    await service.ingest_usage([call("c1", "10.00")])
    await run_payments(service)  # $60 - $10 = $50: not below the trigger
    await service.set_recharge_caps(T, ADA, daily_limit=1)
    assert not (await service.account(T)).recharge_in_progress
    with pytest.raises(ValidationError):
        await service.set_recharge_caps(T, ADA, daily_limit=1, max_recharge="10")


async def test_the_account_view_is_one_statement_and_counts_what_the_rule_counts(
    service: CreditsService,
) -> None:
    """The view (caps included) is read in one statement, and what it counts is what the
    recharge rule counts (`caps.used`)."""
    await service.set_recharge_caps(T, ADA, daily_limit=2, monthly_cap="1000")
    await recharge_on(service)
    await service.ingest_usage([call("c1", "100.00")])
    await run_payments(service)
    async with statements_of(service.db) as statements:
        view = await service.account(T)
    assert len(statements) == 1 and statements[0].startswith("SELECT"), statements
    account = await service.deps.store.account(T)
    async with service.db.read() as conn:
        rule = await caps.used(conn, account.id, service.deps.clock.now())
    assert view.caps is not None
    assert (view.caps.used_today, view.caps.recharged_this_month) == (2, usd("120"))
    assert (rule.today, rule.month_minor) == (2, 12000)
    assert view.caps.stopped is CapStop.DAILY_LIMIT
    assert view.caps.left_this_month == usd("880")
    # what the statement gives straight from sqlite3 (the quick path, credits/prepared.py) is
    # what SQLAlchemy gives for it: every column, converted by the same types
    await service.set_alert_thresholds(T, ADA, ["30", "5"])
    query = views._statement(service.deps, by_tenant=True)
    values = views._values(service.deps, service.deps.clock.now(), tenant=T)
    quick = await service.db.run_read(lambda conn: query.run(conn, values).rows)
    async with service.db.read() as conn:  # threaded: SQLAlchemy's own execution
        rows = (await conn.execute(query.statement, values)).all()
    assert [dict(row._mapping) for row in quick] == [dict(row._mapping) for row in rows]
    assert len(quick) == 1 and quick[0].lr_id is not None and quick[0].alert_thresholds
