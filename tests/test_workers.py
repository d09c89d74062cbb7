"""The host's background workers start and stop with the app and do their rounds."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

from test_http import ClientFactory, local_settings

from bot.app import SERVICE, WORKERS, create_app
from credits.models import Actor

ADA = Actor("aad-ada", "Ada")


async def test_the_recharge_runner_recharges_without_being_asked(
    aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    settings = local_settings(tmp_path, workers=True, recharge_interval_seconds=0.05)
    client = await aiohttp_client(create_app(settings))
    service = client.app[SERVICE]
    assert client.app[WORKERS].running
    await service.add_funds("t", "30", ADA, "k")
    await service.set_auto_recharge("t", ADA, enabled=True, amount="100", trigger="20")
    call = {
        "id": "c1",
        "tenantId": "t",
        "startDateTime": "2026-01-01T00:00:00Z",
        "charge": Decimal("15.00"),
        "currency": "USD",
    }
    await service.ingest_usage([call])
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
