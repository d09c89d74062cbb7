"""`GET /readyz` and `GET /metrics` against the whole app: readiness follows the database and the
workers; the metrics count real turns, usage posts, ledger operations, recharges and alert rounds
done through the app, each app on a registry of its own."""

from __future__ import annotations

import asyncio
import json
import math
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from helpers import BOT_ACCOUNT, ClientFactory, local_settings, personal_message, scrape, value
from records import OMIT
from records import call as record_call
from sqlalchemy.ext.asyncio import create_async_engine
from stub_connector import StubConnector

import bot.ops as bot_ops
from bot.app import create_app
from bot.appkeys import SERVICE, WORKERS
from credits.models import Actor
from credits.payments import SandboxGateway

Client = TestClient[web.Request, web.Application]
TOKEN = "s3cret"
TENANT = "72f988bf-0000-4000-8000-00000000aaaa"
ADMIN = Actor("aad-admin", "Admin")


call = partial(
    record_call,
    tenantId=TENANT,
    startDateTime="2026-11-24T09:00:00Z",
    duration=300,
    licenseCapability="MCOMEETADD",
    callType="conf_out",
    userPrincipalName="adele.vance@contoso.com",
    destinationContext=OMIT,
)


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    return await aiohttp_client(create_app(local_settings(tmp_path, usage_token=TOKEN)))


async def post_activity(client: Client, activity: dict[str, Any]) -> None:
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201), await response.text()


async def post_usage(client: Client, records: list[dict[str, Any]]) -> dict[str, Any]:
    response = await client.post(
        "/api/usage", data=json.dumps(records), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


# ---------------------------------------------------------------------- readiness


async def test_readyz_with_the_workers_switched_off(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready", "database": "ok", "workers": "off"}
    assert (await client.get("/healthz")).status == 200


async def test_readyz_follows_the_workers(aiohttp_client: ClientFactory, tmp_path: Path) -> None:
    settings = local_settings(
        tmp_path,
        workers=True,
        recharge_interval_seconds=60,
        check_interval_seconds=60,
        alert_interval_seconds=60,
    )
    client = await aiohttp_client(create_app(settings, gateway=SandboxGateway()))
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready", "database": "ok", "workers": "running"}

    await client.app[WORKERS].stop()
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "not ready" and body["workers"] == "stopped"
    assert body["database"] == "ok" and "workers are stopped" in body["reason"]
    assert (await client.get("/healthz")).status == 200  # the process is still up


async def test_readyz_when_the_database_is_gone(client: Client, tmp_path: Path) -> None:
    db = client.app[SERVICE].db
    working = db.engine
    # a database file in a directory that does not exist cannot be opened
    gone = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'c.db'}")
    db.engine = gone
    try:
        response = await client.get("/readyz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "not ready" and body["database"] == "unreachable"
        assert "database unreachable" in body["reason"]
        # the scrape still answers; the backlog is unknown
        samples = await scrape(client)
        assert math.isnan(value(samples, "credits_alert_outbox_backlog"))
    finally:
        db.engine = working
        await gone.dispose()
    assert (await client.get("/readyz")).status == 200


async def test_readyz_when_the_database_does_not_answer_in_time(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot_ops, "READY_TIMEOUT_SECONDS", 0.05)
    db = client.app[SERVICE].db
    real_read = db.read

    class Hung:
        async def __aenter__(self) -> Any:
            await asyncio.sleep(10)

        async def __aexit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(db, "read", lambda: Hung())
    response = await client.get("/readyz")
    assert response.status == 503
    assert "did not answer within 0.05 s" in (await response.json())["reason"]
    monkeypatch.setattr(db, "read", real_read)
    assert (await client.get("/readyz")).status == 200


# ---------------------------------------------------------------------- metrics


async def test_turns_are_counted_by_kind_and_outcome_and_timed(
    client: Client, connector: StubConnector
) -> None:
    await post_activity(client, personal_message(connector.url, "help"))
    await post_activity(client, personal_message(connector.url, "balance"))
    update = personal_message(connector.url)
    del update["text"]
    update.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT])
    await post_activity(client, update)

    samples = await scrape(client)
    assert value(samples, "credits_bot_turns_total", kind="message", outcome="ok") == 2
    assert value(samples, "credits_bot_turns_total", kind="conversationUpdate", outcome="ok") == 1
    assert value(samples, "credits_bot_turns_total", kind="message", outcome="error") == 0
    assert value(samples, "credits_bot_turn_duration_seconds_count", kind="message") == 2
    assert value(samples, "credits_bot_turn_duration_seconds_sum", kind="message") > 0
    assert (
        value(samples, "credits_bot_turn_duration_seconds_bucket", kind="message", le="+Inf") == 2
    )
    assert value(samples, "credits_bot_turn_duration_seconds_count", kind="conversationUpdate") == 1


async def test_a_failed_turn_is_counted_as_an_error(
    client: Client, connector: StubConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.appkeys import BOT

    async def broken(turn_context: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(client.app[BOT], "on_turn", broken)
    await post_activity(client, personal_message(connector.url, "help"))
    activity = personal_message(connector.url)
    activity["type"] = "somethingNew"  # unknown kinds share one label value
    await post_activity(client, activity)

    samples = await scrape(client)
    assert value(samples, "credits_bot_turns_total", kind="message", outcome="error") == 1
    assert value(samples, "credits_bot_turns_total", kind="other", outcome="error") == 1


async def test_usage_results_ledger_operations_and_the_outbox_backlog(client: Client) -> None:
    service = client.app[SERVICE]
    samples = await scrape(client)
    assert value(samples, "credits_alert_outbox_backlog") == 0
    for result in ("applied", "duplicate", "conflict", "rejected"):  # present from the start
        assert ("credits_usage_records_total", frozenset({("result", result)})) in samples

    await service.add_funds(TENANT, "10.00", ADMIN, "fund-1")
    await service.add_funds(TENANT, "10.00", ADMIN, "fund-1")  # the same key: replayed
    with pytest.raises(ValueError):
        await service.set_auto_recharge(TENANT, ADMIN, enabled=True)  # no amount or trigger
    body = await post_usage(
        client,
        [
            call("c1", "6.00"),
            call("c1", "6.00"),  # the same record again
            call("c2", "4.00"),
            call("c3", "not money"),
        ],
    )
    assert body["summary"] == {"applied": 2, "duplicate": 1, "conflict": 0, "rejected": 1}

    samples = await scrape(client)
    assert value(samples, "credits_usage_records_total", result="applied") == 2
    assert value(samples, "credits_usage_records_total", result="duplicate") == 1
    assert value(samples, "credits_usage_records_total", result="rejected") == 1
    assert (
        value(samples, "credits_ledger_operations_total", operation="add_funds", outcome="ok") == 1
    )
    assert (
        value(samples, "credits_ledger_operations_total", operation="add_funds", outcome="replayed")
        == 1
    )
    assert (
        value(
            samples,
            "credits_ledger_operations_total",
            operation="set_auto_recharge",
            outcome="validation_error",
        )
        == 1
    )
    # the balance went from $10 to $0: the outbox holds alerts nobody has delivered yet
    pending = await service.list_alerts(status="pending")
    assert pending
    assert value(samples, "credits_alert_outbox_backlog") == len(pending)


async def test_recharges_and_alert_rounds_from_the_workers(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    settings = local_settings(
        tmp_path,
        usage_token=TOKEN,
        workers=True,
        recharge_interval_seconds=0.05,
        alert_interval_seconds=0.05,
        check_interval_seconds=60,
    )
    client = await aiohttp_client(create_app(settings, gateway=SandboxGateway()))
    service = client.app[SERVICE]
    channel = {
        "bot": BOT_ACCOUNT,
        "conversation": {"id": "19:ops", "conversationType": "channel", "tenantId": TENANT},
        "channelId": "msteams",
        "serviceUrl": connector.url,
    }
    await service.subscribe(TENANT, "19:ops", channel, ADMIN)  # where the alert is sent
    await service.add_funds(TENANT, "20.00", ADMIN, "fund-1")
    await service.set_auto_recharge(TENANT, ADMIN, enabled=True, amount="25.00", trigger="10.00")
    await post_usage(client, [call("c1", "15.00")])  # below the trigger: a recharge is due

    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for _ in range(200):
        samples = await scrape(client)
        if (
            value(samples, "credits_recharges_total", outcome="succeeded") >= 1
            and value(samples, "credits_alert_outbox_backlog") == 0
            and not await service.list_alerts(status="claimed")
            # a round acks in the store before it counts: wait for the count, not only the ack
            and value(samples, "credits_alerts_total", result="sent") >= 1
        ):
            break
        await asyncio.sleep(0.05)
    assert value(samples, "credits_recharges_total", outcome="succeeded") == 1
    assert value(samples, "credits_recharges_total", outcome="declined") == 0
    # the recharge alert was posted in the subscribed channel and acknowledged: "sent"
    assert value(samples, "credits_alerts_total", result="sent") >= 1
    assert any(c.conversation_id == "19:ops" for c in connector.calls)
    assert value(samples, "credits_alerts_total", result="failed") == 0
    assert value(samples, "credits_alert_outbox_backlog") == 0
    assert (await service.account(TENANT)).balance.minor == 3000


async def test_each_app_has_a_registry_of_its_own(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    first = await aiohttp_client(create_app(local_settings(tmp_path / "a")))
    second = await aiohttp_client(create_app(local_settings(tmp_path / "b")))
    await post_activity(first, personal_message(connector.url, "help"))
    assert value(await scrape(first), "credits_bot_turns_total", kind="message", outcome="ok") == 1
    assert value(await scrape(second), "credits_bot_turns_total", kind="message", outcome="ok") == 0
