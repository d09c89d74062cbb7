"""The host's background workers start and stop with the app and do their rounds."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from functools import partial
from pathlib import Path

from helpers import ClientFactory, local_settings
from records import call

from bot.app import create_app
from bot.appkeys import SERVICE, WORKERS
from credits.models import Actor

ADA = Actor("aad-ada", "Ada")
usage = partial(call, tenantId="t", startDateTime="2026-01-01T00:00:00Z")


async def test_the_recharge_runner_recharges_without_being_asked(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    settings = local_settings(tmp_path, workers=True, recharge_interval_seconds=0.05)
    client = await aiohttp_client(create_app(settings))
    service = client.app[SERVICE]
    assert client.app[WORKERS].running
    await service.add_funds("t", "30", ADA, "k")
    await service.set_auto_recharge("t", ADA, enabled=True, amount="100", trigger="20")
    await service.ingest_usage([usage("c1", Decimal("15.00"))])
    for _ in range(100):
        if (await service.account("t")).balance.minor == 11500:
            break
        await asyncio.sleep(0.05)
    assert (await service.account("t")).balance.minor == 11500
    workers = client.app[WORKERS]
    await client.close()  # the app stops: so do the workers, after their round
    assert not workers.running and workers.rounds["recharge"] >= 1


async def test_workers_can_be_switched_off(aiohttp_client: ClientFactory, tmp_path: Path) -> None:
    client = await aiohttp_client(create_app(local_settings(tmp_path)))
    assert client.app[WORKERS].jobs == []


async def wait_for(condition: object, seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.05)):
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_three_declines_in_the_runner_pause_auto_recharge_and_say_so(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    from credits.models import AlertKind
    from credits.payments import SandboxGateway

    gateway = SandboxGateway(decline_tenants=frozenset({"t"}))
    settings = local_settings(tmp_path, workers=True, recharge_interval_seconds=0.05)
    client = await aiohttp_client(create_app(settings, gateway=gateway))
    service = client.app[SERVICE]
    await service.adjust("t", "30", ADA, "opening", "open")
    await service.set_auto_recharge("t", ADA, enabled=True, amount="50", trigger="20")
    for n in range(6):  # 25, 20, then below the trigger: 15, 10, 5, 0
        await service.ingest_usage([usage(f"c{n}", Decimal("5.00"))])

        async def settled() -> bool:
            return not (await service.account("t")).recharge_in_progress

        await wait_for(settled)
    view = await service.account("t")
    assert view.recharge.paused and len(gateway.calls) == 3
    kinds = [a.kind for a in await service.list_alerts("t")]
    assert kinds.count(AlertKind.RECHARGE_FAILED) == 3 and AlertKind.RECHARGE_PAUSED in kinds


async def test_a_hanging_gateway_is_retried_with_the_same_key_and_charged_once(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    from credits.payments import SandboxGateway

    gateway = SandboxGateway(hang_tenants=frozenset({"t"}))
    credits = local_settings(tmp_path).credits.model_copy(
        update={"gateway_timeout_seconds": 0.05, "recharge_lease_seconds": 0.01}
    )
    settings = local_settings(
        tmp_path, workers=True, recharge_interval_seconds=0.05, credits=credits
    )
    client = await aiohttp_client(create_app(settings, gateway=gateway))
    service = client.app[SERVICE]
    await service.set_auto_recharge("t", ADA, enabled=True, amount="50", trigger="20")

    async def retried() -> bool:
        return len(gateway.calls) >= 3

    await wait_for(retried)
    assert len({call.idempotency_key for call in gateway.calls}) == 1  # always the same key
    gateway.hang_tenants = frozenset()

    async def credited() -> bool:
        return (await service.account("t")).balance.minor == 5000

    await wait_for(credited)
    [payment] = await service.payments("t")
    assert payment.status == "succeeded" and payment.attempts >= 3
    assert len(gateway._results) == 1  # the sandbox charged once
