"""Shared by the HTTP-level tests: local settings on a SQLite file, the Teams-shaped activities
(personal and channel messages, card submits and invokes) and the ids they carry (the tenant, the
team, the bot, the user Alex), posting them and reading the cards that reach the stub connector,
the app on the test's store, the usage API's token, and the samples of `GET /metrics`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from conftest import Backend
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, func, select
from stub_connector import StubConnector

from bot.app import create_app
from bot.settings import Settings
from credits.config import CreditsConfig
from credits.db import Database
from credits.schema import accounts, bot_state, ledger_entries, processed_activities
from credits.service import CreditsService

TENANT = "72f988bf-0000-4000-8000-00000000aaaa"
PERSONAL = "a:1personal-chat-alex"
BOT_ACCOUNT = {"id": "28:11111111-2222-3333-4444-555555555555", "name": "Test Bot"}
ALEX = {
    "id": "29:1user-alex",
    "name": "Alex Wilber",
    "aadObjectId": "00000000-0000-0000-0000-000000000020",
}

TEAM = "19:team-general@thread.tacv2"
CARD = "application/vnd.microsoft.card.adaptive"
TOKEN = "s3cret"  # the usage API's token in make_client
AUTH = {"Authorization": f"Bearer {TOKEN}"}

ClientFactory = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]


def local_settings(tmp_path: Path, **overrides: Any) -> Settings:
    credits = CreditsConfig(_env_file=None, database_url=f"sqlite:///{tmp_path}/c.db")  # type: ignore[call-arg]
    values: dict[str, Any] = {"app_id": "", "credits": credits, "workers": False}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def personal_message(service_url: str, text: str = "help", **extra: Any) -> dict[str, Any]:
    """A 1:1 message as Teams (and the Agents Playground) sends it."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": str(uuid.uuid4()),
        "text": text,
        "textFormat": "plain",
        "locale": "en-US",
        "timestamp": "2026-11-24T03:21:10.538Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": ALEX,
        "recipient": BOT_ACCOUNT,
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": PERSONAL},
        "channelData": {"tenant": {"id": TENANT}},
        "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US"}],
    }
    activity.update(extra)
    return activity


def card_invoke(service_url: str, verb: str = "balance") -> dict[str, Any]:
    activity = personal_message(service_url, text="")
    del activity["text"]
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        replyToId="1795490471296",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb}}},
    )
    return activity


def last_card(connector: StubConnector) -> tuple[dict[str, Any], str | None]:
    """The newest card the bot sent or put, and the id of the activity that carries it."""
    for call in reversed(connector.calls):
        body = call.body if isinstance(call.body, dict) else {}
        for attachment in body.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                return attachment["content"], call.activity_id or body.get("id")
    raise AssertionError("no card reached the connector")


def channel_message(service_url: str, text: str) -> dict[str, Any]:
    activity = personal_message(service_url, text=f"<at>Test Bot</at> {text}")
    activity["conversation"] = {
        "conversationType": "channel",
        "tenantId": TENANT,
        "id": f"{TEAM};messageid=1732400000000",
        "isGroup": True,
    }
    activity["channelData"] = {
        "tenant": {"id": TENANT},
        "team": {"id": TEAM},
        "channel": {"id": TEAM},
    }
    activity["entities"] = [
        {"type": "mention", "text": "<at>Test Bot</at>", "mentioned": BOT_ACCOUNT}
    ]
    return activity


def submit(service_url: str, data: dict[str, Any], reply_to: str | None) -> dict[str, Any]:
    activity = personal_message(service_url, text="")
    del activity["text"]
    activity["value"] = data
    if reply_to:
        activity["replyToId"] = reply_to
    return activity


def execute(service_url: str, data: dict[str, Any], **sender: Any) -> dict[str, Any]:
    activity = personal_message(service_url, text="")
    del activity["text"]
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": data["verb"], "data": data}},
        **sender,
    )
    return activity


async def post(client: Client, activity: dict[str, Any]) -> Any:
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201), await response.text()
    return await response.json() if response.content_length else None


@pytest.fixture
async def bot(aiohttp_client: ClientFactory, tmp_path: Path, backend: Backend) -> Client:
    """The bot in local mode on the test's database (SQLite file or PostgreSQL schema)."""
    return await aiohttp_client(create_app(local_settings(tmp_path, credits=backend.config())))


async def stored(service: CreditsService) -> dict[str, int]:
    """Rows in the tables a turn writes to."""
    counts = {}
    async with service.db.read() as conn:
        for table in (processed_activities, bot_state, accounts, ledger_entries):
            counts[table.name] = (
                await conn.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts


def set_field(path: str) -> Callable[[dict[str, Any], Any], None]:
    """Sets a field of an activity by its JSON path, in copies of the parts on the way (the
    activities share ALEX and BOT_ACCOUNT)."""

    def put(activity: dict[str, Any], value: Any) -> None:
        *parents, last = path.split(".")
        node = activity
        for name in parents:
            node[name] = dict(node.get(name) or {})
            node = node[name]
        node[last] = value

    return put


async def make_client(aiohttp_client: ClientFactory, tmp_path: Path, **overrides: Any) -> Client:
    values: dict[str, Any] = {"usage_token": TOKEN, "workers": False}
    values.update(overrides)
    app = create_app(local_settings(tmp_path, **values))

    return await aiohttp_client(app)


async def scrape(client: Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(await response.text()):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


_NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "--")


@asynccontextmanager
async def statements_of(db: Database) -> AsyncIterator[list[str]]:
    """The SQL statements `db` runs while the block runs (BEGIN, COMMIT, PRAGMA left out):
    SQLAlchemy's, and on SQLite's quick connections every statement by SQLite's own trace
    (credits/prepared.py runs the turn's statements straight on sqlite3)."""
    seen: list[str] = []

    def keep(statement: str) -> None:
        said = " ".join(str(statement).split())
        if not said.startswith(_NOT_COUNTED):
            seen.append(said)

    def executed(*args: Any) -> None:
        keep(args[2])

    def traced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.sqlite().set_trace_callback(keep)

    threaded, *quick = db.engines
    event.listen(threaded.sync_engine, "before_cursor_execute", executed)
    for engine in quick:  # connections made from now on are traced
        await engine.dispose()
        event.listen(engine.sync_engine, "connect", traced)
    try:
        yield seen
    finally:
        event.remove(threaded.sync_engine, "before_cursor_execute", executed)
        for engine in quick:
            event.remove(engine.sync_engine, "connect", traced)
            await engine.dispose()
