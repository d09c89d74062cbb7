"""Shared by the HTTP-level tests: local settings on a SQLite file, the Teams-shaped personal
message and card invoke, and the ids they carry (the tenant, the bot, the user Alex)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from credits.config import CreditsConfig

TENANT = "72f988bf-0000-4000-8000-00000000aaaa"
PERSONAL = "a:1personal-chat-alex"
BOT_ACCOUNT = {"id": "28:11111111-2222-3333-4444-555555555555", "name": "Test Bot"}
ALEX = {
    "id": "29:1user-alex",
    "name": "Alex Wilber",
    "aadObjectId": "00000000-0000-0000-0000-000000000020",
}

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
