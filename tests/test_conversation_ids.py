"""Conversation and activity ids with characters that mean something in a URL or in a route
template (`%`, `{`, `}`, `;`, `?`, `#`, a space) reach the stub connector as they are.

The bot's connector client (msrest) puts each id in the path percent-encoded with nothing safe
(`quote(id, safe="")`), as the Bot Framework clients do, and the Bot Connector routes on the
decoded segment: `{` arrives as `%7B` and is the conversation id's `{` again. The stub must do the
same; a stub that refuses an id the real connector takes answers 404, which the bot rightly reads
as "the conversation is gone" (found by tests/test_fuzz_turns.py: a receipt for a funded purchase
"not delivered" in a chat whose id ends in `%s%n{0}`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from card_helpers import button, texts
from helpers import ClientFactory, local_settings, personal_message
from stub_connector import StubConnector

from bot.app import create_app
from cards import actions as verbs

Client = TestClient[web.Request, web.Application]
CARD = "application/vnd.microsoft.card.adaptive"

ODD_IDS = [
    "a:fz-1-h%s%n{0}",  # what the fuzz test found
    "a:{}",
    "a:}{",
    "a:%7B%25",  # already looks encoded: must not be decoded twice
    "a:x y?z#w&v=1+2",
    "a:x/y",  # sent as %2F
    "19:team@thread.tacv2;messageid=1732400000000",
]


@pytest.fixture
async def connector_client(connector: StubConnector) -> AsyncIterator[Any]:
    """The connector client the bot builds (unauthenticated), aimed at the stub."""
    client = ConnectorClient(MicrosoftAppCredentials("", ""), base_url=connector.url)
    yield client
    await client.__aexit__(None, None, None)


def message() -> Activity:
    return Activity(type="message", text="hi")


Call = Callable[[Any, str, str], Awaitable[Any]]
CALLS: dict[str, tuple[Call, str]] = {
    "send": (lambda c, cid, aid: c.conversations.send_to_conversation(cid, message()), "send"),
    "reply": (lambda c, cid, aid: c.conversations.reply_to_activity(cid, aid, message()), "reply"),
    "update": (lambda c, cid, aid: c.conversations.update_activity(cid, aid, message()), "update"),
    "delete": (lambda c, cid, aid: c.conversations.delete_activity(cid, aid), "delete"),
}


@pytest.mark.parametrize("conversation_id", ODD_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
async def test_the_stub_routes_every_id_the_connector_client_sends(
    connector: StubConnector, connector_client: Any, call: str, conversation_id: str
) -> None:
    make, kind = CALLS[call]
    activity_id = f"1:{conversation_id}"  # activity ids are path segments too
    await make(connector_client, conversation_id, activity_id)
    [recorded] = connector.calls
    assert recorded.kind == kind and not recorded.failed
    assert recorded.conversation_id == conversation_id
    if kind != "send":
        assert recorded.activity_id == activity_id


async def test_the_receipt_replaces_the_confirm_card_in_a_chat_with_an_odd_id(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    """The fuzz test's falsifying example, as one flow: "add $50 credits", then Confirm pressed
    as an Action.Submit message; the receipt is a PUT over the confirm card, in the same chat."""
    client: Client = await aiohttp_client(create_app(local_settings(tmp_path)))
    chat = "a:1personal-chat-h%s%n{0}"

    def in_chat(activity: dict[str, Any]) -> dict[str, Any]:
        activity["conversation"]["id"] = chat
        return activity

    response = await client.post(
        "/api/messages", json=in_chat(personal_message(connector.url, "add $50 credits"))
    )
    assert response.status in (200, 201), await response.text()
    [sent] = connector.calls
    assert (sent.kind, sent.conversation_id, sent.status) == ("reply", chat, 201)
    [confirm] = [a["content"] for a in sent.body["attachments"] if a["contentType"] == CARD]
    card_id = "stub-1"  # the id the stub gave the confirm card

    press = in_chat(personal_message(connector.url, ""))
    del press["text"]
    press.update(value=button(confirm, verbs.ADD_FUNDS_CONFIRM), replyToId=card_id)
    response = await client.post("/api/messages", json=press)
    assert response.status in (200, 201), await response.text()
    update = connector.calls[-1]
    assert (update.kind, update.status) == ("update", 200)
    assert (update.conversation_id, update.activity_id) == (chat, card_id)
    [receipt] = [a["content"] for a in update.body["attachments"] if a["contentType"] == CARD]
    assert "Added $50.00" in texts(receipt)
