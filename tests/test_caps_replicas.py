"""A cap reached in the middle of a burst of usage, with two replicas (two services, two engines)
on one PostgreSQL database debiting the account at once and both running the payments runner:
auto-recharge stops exactly at the cap, never one recharge over it, and the balance checks out
three ways (docs/design.md sections 2 and 11)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from records import call

from credits.models import Actor, AlertKind, EntryKind, PaymentKind, PaymentStatus
from credits.payments import SandboxGateway
from credits.service import CreditsService

if TYPE_CHECKING:
    from conftest import ServiceFactory

T = "tenant-a"
ADA = Actor("aad-ada", "Ada Admin")
DEBITS, CHARGE = 40, Decimal("7.00")  # $280 of calls, against $100 and recharges of $60


async def runner(service: CreditsService, name: str, done: asyncio.Event) -> int:
    """A replica's payments runner: rounds until the burst is over, then until nothing is due."""
    settled = 0
    while not done.is_set():
        settled += len(await service.process_payments(name))
        await asyncio.sleep(0.005)
    while outcomes := await service.process_payments(name):
        settled += len(outcomes)
    return settled


async def burst(replicas: list[CreditsService]) -> None:
    """The calls in waves of four sent at once (each its own batch, two on each replica), a
    moment apart, so the runners recharge while calls keep coming."""
    for wave in range(0, DEBITS, 4):
        jobs = [
            replicas[n % 2].ingest_usage([call(f"c-{n}", CHARGE, tenantId=T)])
            for n in range(wave, wave + 4)
        ]
        for outcomes in await asyncio.gather(*jobs):
            assert [o.status.value for o in outcomes] == ["applied"]
        await asyncio.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
@pytest.mark.parametrize(
    ("caps", "reason"),
    [
        ({"daily_limit": 3}, "the daily limit of 3 recharges was reached"),
        ({"monthly_cap": "180"}, "the monthly cap of $180.00 would be exceeded"),
    ],
    ids=["daily limit", "monthly cap"],
)
async def test_a_cap_reached_mid_burst_across_two_replicas_stops_exactly_at_it(
    make_service: ServiceFactory, caps: dict[str, Any], reason: str
) -> None:
    first = await make_service(SandboxGateway())
    second = await make_service(SandboxGateway())
    assert first.db is not second.db  # two engines, as two replicas have
    await first.add_funds(T, "100", ADA, "opening")
    await first.set_recharge_caps(T, ADA, **caps)
    await second.set_auto_recharge(T, ADA, enabled=True, amount="60", trigger="50")
    done = asyncio.Event()
    runners = [
        asyncio.create_task(runner(first, "replica-1", done)),
        asyncio.create_task(runner(second, "replica-2", done)),
    ]
    try:
        await burst([first, second])
    finally:
        done.set()
        settled = await asyncio.gather(*runners)
    recharges = [
        p for p in await first.payments(T, limit=100) if p.kind is PaymentKind.AUTO_RECHARGE
    ]
    assert [p.status for p in recharges] == [PaymentStatus.SUCCEEDED] * 3, recharges
    assert sum(p.amount.minor for p in recharges) == 18000
    assert sum(settled) == 3
    view = await second.account(T)
    assert view.balance.minor == 10000 + 18000 - DEBITS * 700
    assert view.caps is not None and view.caps.stopped is not None
    # the cap was reached mid-burst: calls were debited after the last recharge
    page = await first.history(T, limit=200)
    kinds = [e.kind for e in reversed(page.entries)]
    last = max(i for i, kind in enumerate(kinds) if kind is EntryKind.AUTO_RECHARGE)
    assert EntryKind.USAGE in kinds[last + 1 :]
    failed = [a for a in await first.list_alerts(T) if a.kind is AlertKind.RECHARGE_FAILED]
    assert [a.payload.to_json()["reason"] for a in failed] == [reason]
    for replica in (first, second):
        totals = await replica.verify(T)
        assert totals["stored"] == totals["entries"] == totals["lots_minus_debt"], totals
