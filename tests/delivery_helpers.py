"""Shared by the delivery tests (alerts posted by the dispatcher, replies kept and posted later):
a fake monotonic time only `sleep` moves, stub connectors that follow a script or can be taken
down, the subscribed conversations and the alerts in the outbox, the dispatcher and the adapter
in local mode, and the whole app with its reply retries on fake time."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from conftest import Backend
from helpers import Client, ClientFactory, local_settings
from stub_connector import Call, StubConnector

from bot.adapter import CreditsAdapter, create_adapter
from bot.app import create_app
from bot.appkeys import ADAPTER, LIMITS
from bot.delivery import AlertDispatcher
from bot.settings import Settings
from credits import outbox
from credits.alert_payloads import read_payload
from credits.clock import ManualClock
from credits.models import Actor, AlertKind
from credits.service import CreditsService

T = "tenant-1"
ADA = Actor("aad-ada", "Ada Admin")


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class ScriptedConnector(StubConnector):
    """The stub, plus per-conversation scripts, "accept then fail" answers, the fake time of
    every accepted post, and a connector-side view that shows a card key once."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: dict[str, list[tuple[str, int, dict[str, str]]]] = {}
        self.time: FakeTime | None = None
        self.times: list[tuple[str, float]] = []  # (conversation, fake time) of accepted posts
        self.shown: dict[str, list[str]] = {}  # conversation -> card keys, each shown once

    def script(self, conv: str, *steps: tuple[str, int, dict[str, str]]) -> None:
        self.scripts.setdefault(conv, []).extend(steps)

    def attempts(self, conv: str) -> list[Call]:
        return [c for c in self.calls if c.conversation_id == conv and c.method == "POST"]

    async def _activity(self, request: web.Request) -> web.Response:
        call = await self._record(request)
        steps = self.scripts.get(call.conversation_id)
        step = steps.pop(0) if steps else ("ok", 201, {})
        action, status, headers = step
        if action == "fail":
            self.calls.append(Call(**{**call.__dict__, "status": status}))
            body = {"error": {"code": str(status), "message": "scripted"}}
            return web.json_response(body, status=status, headers=headers)
        self.calls.append(call)  # accepted: a new message in the channel
        self.times.append((call.conversation_id, self.time() if self.time else 0.0))
        key = card_key(call.body)
        shown = self.shown.setdefault(call.conversation_id, [])
        if key not in shown:
            shown.append(key)
        if action == "accept_then_fail":  # posted, but the answer that says so is lost
            return web.json_response({"error": {"code": "BadGateway"}}, status=status)
        return web.json_response({"id": f"stub-{len(self.calls)}"}, status=201)


def card_key(activity: dict[str, Any]) -> str:
    return str(activity["attachments"][0]["content"]["body"][0]["id"])


def cards_in(stub: StubConnector, conv: str) -> list[dict[str, Any]]:
    return [
        a["content"]
        for c in stub.calls
        if not c.failed and c.conversation_id == conv and c.kind in ("send", "reply")
        for a in c.body.get("attachments") or []
    ]


def reference(stub: StubConnector, conv: str) -> dict[str, Any]:
    return {
        "bot": {"id": "28:credits-bot", "name": "Credits"},
        "conversation": {"id": conv, "isGroup": True, "conversationType": "channel", "tenantId": T},
        "channelId": "msteams",
        "serviceUrl": stub.url,
    }


async def scripted(aiohttp_server: Any, time: FakeTime) -> ScriptedConnector:
    stub = await ScriptedConnector.serve(aiohttp_server)
    assert isinstance(stub, ScriptedConnector)
    stub.time = time
    return stub


async def subscribe(service: CreditsService, stub: StubConnector, *convs: str) -> None:
    for conv in convs:
        await service.subscribe(T, conv, reference(stub, conv), ADA)


def local_adapter() -> CreditsAdapter:
    return create_adapter(Settings(app_id="", _env_file=None))  # type: ignore[call-arg]


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


class RecordingDispatcher(AlertDispatcher):
    """Notes the (fake) time each post is let through the rate limits."""

    admitted: list[tuple[str, float]]

    async def _admit(self, tenant_id: str, conv: str, stop: asyncio.Event | None = None) -> None:
        await super()._admit(tenant_id, conv, stop)
        self.admitted.append((conv, self.clock()))


def dispatcher(
    service: CreditsService, adapter: CreditsAdapter, time: FakeTime, **options: Any
) -> RecordingDispatcher:
    sender = RecordingDispatcher(
        service, adapter, "", clock=time, sleep=time.sleep, rng=random.Random(7), **options
    )
    sender.admitted = []
    return sender


async def put_alerts(
    service: CreditsService, kinds: list[AlertKind], tag: str = "x", tenant: str = T
) -> None:
    """Write alerts to the outbox as the service does (same writer, same payload shape)."""
    async with service.deps.store.locked(tenant) as account:
        for n, kind in enumerate(kinds):
            payload = read_payload(kind, {"threshold_minor": 2000, "amount_minor": 500})
            await outbox.write(service.deps, account, payload, f"{tag}:{n}")


class FlakyConnector(StubConnector):
    """The stub connector, which can be taken down: while `down` is set, every activity call is
    answered with that status (and headers)."""

    down: tuple[int, dict[str, str]] | None = None

    async def _activity(self, request: web.Request) -> web.Response:
        if self.down is not None:
            status, headers = self.down
            self.fail_next(status, headers=headers)
        return await super()._activity(request)

    def to(self, conversation: str) -> list[Any]:
        """Calls to one conversation, in order."""
        return [c for c in self.calls if c.conversation_id == conversation]


@pytest.fixture
async def flaky(aiohttp_server: Any) -> FlakyConnector:
    stub = await FlakyConnector.serve(aiohttp_server)
    assert isinstance(stub, FlakyConnector)
    return stub


async def start(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    time: FakeTime,
    *,
    clock: ManualClock | None = None,
    backend: Backend | None = None,
    **overrides: Any,
) -> Client:
    """The whole app in local mode; its reply retries (in turns and in the worker) on fake time."""
    if backend is not None:
        overrides["credits"] = backend.config()
    settings = local_settings(tmp_path, **overrides)
    client = await aiohttp_client(create_app(settings, clock=clock))
    retrier = client.app[ADAPTER].retrier
    retrier.sleep = time.sleep
    retrier.clock = time
    retrier.rng = random.Random(7)
    client.app[LIMITS].clock = time  # the rate limits the worker shares with alerts
    return client
