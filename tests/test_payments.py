"""Payment gateways: the sandbox's idempotency across processes, and gateways that fail."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from credits.errors import PaymentUnavailable
from credits.models import Actor
from credits.money import Money, currency
from credits.payments import ChargeRequest, ChargeResult, SandboxGateway

ADA = Actor("aad-ada", "Ada")
USD = currency("USD")


def request(key: str, tenant: str = "t") -> ChargeRequest:
    return ChargeRequest(tenant, 1, Money(Decimal("10"), USD), key, "Purchase")


def test_sandbox_journal_answers_each_key_once_across_gateways(tmp_path: Path) -> None:
    """Two gateways (as two processes would) race on the same keys: one approval per key."""
    journal = tmp_path / "journal.jsonl"
    keys = [f"k{n}" for n in range(200)]
    answers: list[list[ChargeResult]] = [[], []]
    start = threading.Barrier(2)

    def run(slot: int) -> None:
        gateway = SandboxGateway(journal=journal)
        start.wait()

        async def charge_all() -> None:
            for key in keys:
                answers[slot].append(await gateway.charge(request(key)))

        asyncio.run(charge_all())

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(row["key"] for row in lines) == sorted(keys)
    assert answers[0] == answers[1]  # both saw the same reference for every key


class FailingGateway:
    """A gateway whose network is down for the first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.keys: list[str] = []

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.keys.append(request.idempotency_key)
        if len(self.keys) <= self.failures:
            raise ConnectionError("connection reset by peer")
        return ChargeResult.approve(f"ref-{request.idempotency_key}")


async def test_a_gateway_error_is_unavailable_and_retried_with_the_same_key(
    make_service: Any, clock: Any
) -> None:
    gateway = FailingGateway(failures=2)
    service = await make_service(gateway)
    with pytest.raises(PaymentUnavailable):
        await service.add_funds("t", "50", ADA, "k1")
    with pytest.raises(PaymentUnavailable):
        await service.add_funds("t2", "20", ADA, "k2")
    assert (await service.account("t")).balance.minor == 0
    clock.advance(timedelta(minutes=5))
    outcomes = await service.process_payments("w")  # both are finished, neither abandoned
    assert sorted(o.status for o in outcomes) == ["succeeded", "succeeded"]
    assert (await service.account("t")).balance.minor == 5000
    assert (await service.account("t2")).balance.minor == 2000
    assert len(set(gateway.keys)) == 2 and len(gateway.keys) == 4


async def test_process_payments_goes_on_after_a_failing_one(make_service: Any, clock: Any) -> None:
    gateway = FailingGateway(failures=0)
    service = await make_service(gateway)
    await service.set_auto_recharge("a", ADA, enabled=True, amount="10", trigger="5")
    await service.set_auto_recharge("b", ADA, enabled=True, amount="10", trigger="5")
    gateway.failures = 1  # the first of the two claimed recharges fails
    outcomes = await service.process_payments("w")
    assert sorted(o.status for o in outcomes) == ["retry", "succeeded"]
    clock.advance(timedelta(minutes=5))
    assert [o.status for o in await service.process_payments("w")] == ["succeeded"]
    for tenant in ("a", "b"):
        assert (await service.account(tenant)).balance.minor == 1000


async def test_a_stuck_payment_is_reported_once_and_not_retried_blindly(
    make_service: Any, clock: Any
) -> None:
    hanging = SandboxGateway(hang_tenants=frozenset({"t"}))
    service = await make_service(hanging, gateway_timeout_seconds=0.05)
    with pytest.raises(PaymentUnavailable):
        await service.add_funds("t", "50", ADA, "k1")
    clock.advance(timedelta(minutes=20))  # past the stuck threshold (15 min)
    assert await service.process_payments("w") == []  # not retried blindly
    [stuck] = await service.report_stuck_payments()
    assert stuck.status == "charging"
    await service.report_stuck_payments()
    alerts = await service.list_alerts("t")
    assert len(alerts) == 1 and alerts[0].payload.to_json()["stuck"] is True
    assert "check with the payment provider" in alerts[0].payload.to_json()["reason"]
