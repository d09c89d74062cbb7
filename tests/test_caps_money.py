"""The caps and money, on SQLite and PostgreSQL: a recharge amount no cap could ever allow is
refused (the monthly cap as well as the largest single recharge); an owed recharge a cap held
back starts at the first check after the cap allows it, with no debit needed, and never retries
a declined card; a cap lowered under a queued recharge withdraws it before it is charged; each
cap value and period it holds for alerts once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

import pytest
from records import call as record_call

from credits.clock import ManualClock
from credits.errors import ValidationError
from credits.models import Actor, AlertKind, CapStop, PaymentKind, PaymentStatus
from credits.money import Money, currency
from credits.payments import SandboxGateway
from credits.service import CreditsService

ADA = Actor("aad-ada", "Ada Admin")
T = "tenant-a"
USD = currency("USD")
call = partial(record_call, tenantId=T)


def usd(text: str) -> Money:
    return Money(Decimal(text), USD)


async def run_payments(service: CreditsService, rounds: int = 10) -> None:
    for _ in range(rounds):
        await service.process_payments("w")


async def recharges(service: CreditsService) -> list[tuple[PaymentStatus, Money]]:
    return [
        (p.status, p.amount)
        for p in sorted(await service.payments(T), key=lambda p: p.id)
        if p.kind is PaymentKind.AUTO_RECHARGE
    ]


async def capped_alerts(service: CreditsService) -> list[str]:
    return [
        str(a.payload.to_json()["reason"])
        for a in await service.list_alerts(T)
        if a.kind is AlertKind.RECHARGE_FAILED and a.payload.to_json().get("capped")
    ]


# ---------------------------------------------------------------------- 1: amounts no cap allows


async def test_an_amount_above_the_monthly_cap_is_refused(service: CreditsService) -> None:
    await service.set_recharge_caps(T, ADA, monthly_cap="500")
    before = await service.account(T)
    with pytest.raises(ValidationError) as refused:
        await service.set_auto_recharge(T, ADA, enabled=True, amount="600", trigger="20")
    message = str(refused.value)
    assert "A recharge of $600.00 is more than the monthly cap of $500.00" in message
    assert "Nothing was changed." in message
    after = await service.account(T)
    assert after.version == before.version and not after.recharge.enabled
    with pytest.raises(ValidationError):  # off, the amount alone: refused too
        await service.set_auto_recharge(T, ADA, amount="600")
    view = await service.set_auto_recharge(T, ADA, enabled=True, amount="500", trigger="20")
    assert view.recharge.amount == usd("500")


@pytest.mark.parametrize(
    "steps",
    [
        [{"monthly_cap": "500", "max_recharge": "600"}],
        [{"monthly_cap": "500"}, {"max_recharge": "600"}],
        [{"max_recharge": "600"}, {"monthly_cap": "500"}],
    ],
)
async def test_a_largest_recharge_above_the_monthly_cap_is_refused(
    service: CreditsService, steps: list[dict[str, str]]
) -> None:
    *first, last = steps
    for step in first:
        await service.set_recharge_caps(T, ADA, **step)  # type: ignore[arg-type]
    before = await service.account(T)
    with pytest.raises(ValidationError) as refused:
        await service.set_recharge_caps(T, ADA, **last)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "$600.00" in message and "$500.00" in message and "Nothing was changed." in message
    assert (await service.account(T)).version == before.version


# ---------------------------------------------------------------------- 2: resuming with no debit


async def capped_for_today(service: CreditsService, clock: ManualClock) -> None:
    """Daily limit 1, one recharge of $60 made, the balance -$240 and owed another."""
    clock.set(datetime(2026, 3, 10, 15, 0, tzinfo=UTC))
    await service.set_recharge_caps(T, ADA, daily_limit=1)
    await service.set_auto_recharge(T, ADA, enabled=True, amount="60", trigger="50")
    await service.ingest_usage([call("big", "300.00")])
    await run_payments(service)
    view = await service.account(T)
    assert view.balance == usd("-240") and view.caps is not None
    assert view.caps.stopped is CapStop.DAILY_LIMIT


async def test_the_first_check_after_midnight_resumes_a_depleted_account(
    service: CreditsService, clock: ManualClock
) -> None:
    await capped_for_today(service, clock)
    await service.run_checks()  # still today: held, nothing new
    assert len(await recharges(service)) == 1
    clock.set(datetime(2026, 3, 11, 0, 5, tzinfo=UTC))
    await service.run_checks()  # no debit: the check alone
    assert (await service.account(T)).recharge_in_progress
    await run_payments(service)
    view = await service.account(T)
    assert view.balance == usd("-180")  # one more: the limit of today
    assert view.caps is not None and view.caps.stopped is CapStop.DAILY_LIMIT
    await service.run_checks()
    assert len(await recharges(service)) == 2


async def test_a_caps_change_resumes_an_owed_recharge_the_caps_now_allow(
    service: CreditsService, clock: ManualClock
) -> None:
    """After midnight, before any check: a change to another cap starts it too."""
    await capped_for_today(service, clock)
    clock.set(datetime(2026, 3, 11, 0, 1, tzinfo=UTC))
    view = await service.set_recharge_caps(T, ADA, monthly_cap="1000")
    assert view.recharge_in_progress


async def test_a_check_never_retries_a_declined_recharge(
    service: CreditsService, gateway: SandboxGateway, clock: ManualClock
) -> None:
    gateway.decline_tenants = frozenset({T})
    await service.set_auto_recharge(T, ADA, enabled=True, amount="60", trigger="50")
    await service.ingest_usage([call("c1", "10.00")])
    await run_payments(service)
    assert [s for s, _ in await recharges(service)] == [PaymentStatus.DECLINED]
    clock.set(datetime(2026, 1, 2, 0, 5, tzinfo=UTC))
    await service.run_checks()
    assert len(await recharges(service)) == 1  # a decline waits for the next debit, as before


# ---------------------------------------------------------------------- 3: a queued recharge


async def one_made_one_queued(service: CreditsService) -> None:
    await service.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="50")
    await service.ingest_usage([call("c1", "10.00")])
    await run_payments(service)  # $100 made: $90
    await service.ingest_usage([call("c2", "60.00")])  # $30: a second $100 queued
    assert [s for s, _ in await recharges(service)] == [
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PENDING,
    ]


async def test_a_cap_lowered_under_a_queued_recharge_withdraws_it(
    service: CreditsService, gateway: SandboxGateway
) -> None:
    await one_made_one_queued(service)
    view = await service.set_recharge_caps(T, ADA, monthly_cap="150")
    assert not view.recharge_in_progress
    await run_payments(service)
    assert len(gateway.calls) == 1  # the queued one was never charged
    view = await service.account(T)
    assert view.balance == usd("30")
    assert view.caps is not None and view.caps.recharged_this_month == usd("100")
    assert view.caps.stopped is CapStop.MONTHLY_CAP
    auto = [p for p in await service.payments(T) if p.kind is PaymentKind.AUTO_RECHARGE]
    [_made, withdrawn] = sorted(auto, key=lambda p: p.id)
    assert withdrawn.status is PaymentStatus.CANCELLED
    assert withdrawn.reason == "the monthly cap of $150.00 would be exceeded"
    assert await capped_alerts(service) == ["the monthly cap of $150.00 would be exceeded"]
    await service.ingest_usage([call("c3", "1.00")])  # still held: no second charge or alert
    await run_payments(service)
    assert len(gateway.calls) == 1 and len(await capped_alerts(service)) == 1


async def test_a_cap_that_still_allows_a_queued_recharge_leaves_it(
    service: CreditsService,
) -> None:
    await one_made_one_queued(service)
    await service.set_recharge_caps(T, ADA, monthly_cap="200", daily_limit=2)
    await run_payments(service)
    statuses = [s for s, _ in await recharges(service)]
    assert statuses == [PaymentStatus.SUCCEEDED, PaymentStatus.SUCCEEDED]


# ---------------------------------------------------------------------- 4: alerts per cap value


async def test_a_cap_reached_again_after_it_was_raised_alerts_again(
    service: CreditsService,
) -> None:
    await service.set_recharge_caps(T, ADA, daily_limit=1)
    await service.set_auto_recharge(T, ADA, enabled=True, amount="60", trigger="50")
    await service.ingest_usage([call("big", "300.00")])
    await run_payments(service)
    assert await capped_alerts(service) == ["the daily limit of 1 recharge was reached"]
    await service.set_recharge_caps(T, ADA, daily_limit=2)  # starts the one held back
    await run_payments(service)
    assert len(await recharges(service)) == 2
    assert await capped_alerts(service) == [
        "the daily limit of 1 recharge was reached",
        "the daily limit of 2 recharges was reached",
    ]
