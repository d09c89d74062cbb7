"""End to end over HTTP, with the workers running: an admin sets things up by chat in a team
channel, usage posted to /api/usage drives the tenant below its trigger, exactly one recharge
happens, and the subscribed channel receives exactly the expected alert card, once."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from card_helpers import button, texts
from helpers import (
    TEAM,
    TENANT,
    ClientFactory,
    channel_message,
    execute,
    last_card,
    local_settings,
    post,
)
from records import OMIT
from records import call as record_call
from stub_connector import StubConnector

from bot.app import create_app
from bot.appkeys import SERVICE
from cards import actions as verbs

TOKEN = "usage-secret"


call = partial(
    record_call,
    tenantId=TENANT,
    startDateTime="2026-11-24T09:00:00Z",
    duration=300,
    userPrincipalName=OMIT,
)


async def test_usage_drives_one_recharge_and_one_alert_in_the_channel(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    settings = local_settings(
        tmp_path,
        usage_token=TOKEN,
        workers=True,
        recharge_interval_seconds=0.05,
        alert_interval_seconds=0.05,
    )
    client = await aiohttp_client(create_app(settings))
    service = client.app[SERVICE]

    # in the team channel: subscribe, add $30, set auto-recharge, each confirmed on its card
    await post(client, channel_message(connector.url, "send alerts here"))
    assert "Alerts will be posted here" in connector.texts()[-1]
    await post(client, channel_message(connector.url, "add $30 credits"))
    confirm, _ = last_card(connector)
    await post(client, execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    await post(client, channel_message(connector.url, "set auto-recharge to $100 when below $20"))
    confirm, _ = last_card(connector)
    await post(client, execute(connector.url, button(confirm, verbs.RECHARGE_CONFIRM)))
    assert (await service.account(TENANT)).balance.minor == 3000
    connector.clear()

    # usage arrives through the API: $15 of calls (one posted twice) take the balance to $15
    headers = {"Authorization": f"Bearer {TOKEN}"}
    batch = [call("c1", "5.00"), call("c2", "7.50"), call("c1", "5.00"), call("c3", "2.50")]
    response = await client.post("/api/usage", json=batch, headers=headers)
    assert response.status == 200
    summary = (await response.json())["summary"]
    assert summary == {"applied": 3, "duplicate": 1, "conflict": 0, "rejected": 0}

    async def recharged_and_told() -> bool:
        balance = (await service.account(TENANT)).balance.minor
        return balance == 11500 and any("$100.00" in texts(c) for c in connector.cards())

    for _ in range(200):
        if await recharged_and_told():
            break
        await asyncio.sleep(0.05)
    assert await recharged_and_told()
    await asyncio.sleep(0.5)  # a few more worker rounds: nothing more may arrive

    payments = [p for p in await service.payments(TENANT) if p.kind == "auto_recharge"]
    assert [p.status for p in payments] == ["succeeded"]
    assert (await service.verify(TENANT))["entries"] == 11500
    alert_posts = [c for c in connector.calls if c.body and c.body.get("attachments")]
    assert len(alert_posts) == 1, [texts(c) for c in connector.cards()]
    assert alert_posts[0].conversation_id == TEAM  # a new post in the channel, not a reply
    [card] = connector.cards()
    assert "$100.00" in texts(card) and "$115.00" in texts(card)
    assert [a.status for a in await service.list_alerts(TENANT)] == ["delivered"]
