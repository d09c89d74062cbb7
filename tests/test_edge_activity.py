"""The fields a turn needs, checked at POST /api/messages before any turn runs (bot/edge.py),
through whole HTTP turns against the app on SQLite and PostgreSQL:

- an activity without its conversation, channel, sender, recipient or service URL is a 400 naming
  the field (the Bot Framework's activity spec: channels MUST send them all); before, botbuilder
  failed inside the turn (ConversationState's "invalid activity-missing conversation.id",
  remove_recipient_mention on a missing recipient): a 500 with the apology, or a failed turn;
- a conversation id that cannot travel in an HTTP header (botframework copies it into
  x-ms-conversation-id when it replies) is a 400; before, the reply failed with a
  UnicodeEncodeError and the user got nothing;
- an invoke must be named, and the only invoke this bot answers is adaptiveCard/action: any other
  is a 400 (before: 501 with a null body, or a failed turn for signin/tokenExchange);
- a mention entity the turn cannot read is dropped and the turn goes on (the spec: receivers
  SHOULD ignore entities they cannot process); before, the turn failed.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from card_helpers import texts
from helpers import (
    ALEX,
    BOT_ACCOUNT,
    Client,
    bot,
    card_invoke,
    channel_message,
    last_card,
    personal_message,
    set_field,
    stored,
)
from stub_connector import StubConnector

from bot.adapter import TURN_ERROR_MESSAGE
from bot.appkeys import SERVICE

__all__ = ["bot"]  # the fixture, used here by name

NOTHING_STORED = {"processed_activities": 0, "bot_state": 0, "accounts": 0, "ledger_entries": 0}


def activity_of(kind: str, service_url: str) -> dict[str, Any]:
    """A message, a card's invoke or a conversation update, each as Teams sends it."""
    if kind == "message":
        return personal_message(service_url, "balance")
    if kind == "invoke":
        return card_invoke(service_url)
    update = personal_message(service_url)
    del update["text"]
    update.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT, ALEX])
    return update


def without(path: str) -> Any:
    """Removes the field at a dotted path of an activity."""

    def remove(activity: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = activity
        for name in parents:
            node[name] = dict(node[name])  # a copy: the activities share ALEX and BOT_ACCOUNT
            node = node[name]
        del node[last]

    return remove


async def refused(bot: Client, connector: StubConnector, activity: dict[str, Any]) -> str:
    """The 400's problem, after checking that nothing ran, was sent or was stored."""
    response = await bot.post("/api/messages", json=activity)
    assert response.status == 400, await response.text()
    problem = await response.json()
    assert isinstance(problem["error"], str)
    assert connector.calls == []
    assert await stored(bot.app[SERVICE]) == NOTHING_STORED
    return str(problem["error"])


async def answered(bot: Client, connector: StubConnector, activity: dict[str, Any]) -> None:
    """The activity ran its turn, which did not fail, and a reply reached the connector."""
    response = await bot.post("/api/messages", json=activity)
    assert response.status in (200, 201), await response.text()
    assert connector.sent, "no reply reached the connector"
    assert TURN_ERROR_MESSAGE not in connector.texts()
    assert all(call.status < 400 for call in connector.calls)


# ---------------------------------------------------------------------- the fields a turn needs

REQUIRED = [
    "conversation.id",
    "conversation",
    "channelId",
    "recipient.id",
    "recipient",
    "from.id",
    "from",
    "serviceUrl",
]


@pytest.mark.parametrize("kind", ["message", "invoke", "conversationUpdate"])
@pytest.mark.parametrize("field", REQUIRED)
@pytest.mark.parametrize("how", ["absent", "null", "empty"])
async def test_an_activity_without_a_field_its_turn_needs_is_a_400_naming_it(
    bot: Client, connector: StubConnector, kind: str, field: str, how: str
) -> None:
    activity = activity_of(kind, connector.url)
    is_object = field in ("conversation", "recipient", "from")
    if how == "absent":
        without(field)(activity)
    else:
        set_field(field)(activity, None if how == "null" else ({} if is_object else ""))
    error = await refused(bot, connector, activity)
    named = f"{field}.id" if how == "empty" and is_object else field  # {}: its id is missing
    assert f"'{named}' is required" in error


async def test_a_typing_activity_needs_them_too(bot: Client, connector: StubConnector) -> None:
    typing = activity_of("conversationUpdate", connector.url)
    typing.update(type="typing")
    del typing["membersAdded"]
    without("conversation.id")(typing)
    assert "'conversation.id' is required" in await refused(bot, connector, typing)


# ---------------------------------------------------------------------- conversation ids

# what real clients send: Teams (personal, group chat, channel thread), the Emulator, Web Chat
GOOD_CONVERSATIONS = [
    "a:1XyZ-9_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "19:meeting_NjQ1MzY0YTct@thread.v2",
    "19:team-general@thread.tacv2;messageid=1732400000000",
    "29:1user-alex",
    "8a684db0-555b-11ea-bf0c-5d5b44d8c9fa|livechat",
    "Gm6cQjN0r8H6s7jHkLmN4T-us",
]
# characters an HTTP header cannot carry (outside Latin-1), or that Teams never puts in an id
BAD_CONVERSATIONS = {
    "rtl-override": "a:1fz\u202eevil",
    "vietnamese": "a:1nạp-ệ",
    "emoji": "a:1😀",
    "latin-1": "a:1café",
    "nbsp": "a:1a\u00a0b",
}


@pytest.mark.parametrize("conversation", GOOD_CONVERSATIONS)
async def test_conversation_ids_as_clients_make_them_are_answered(
    bot: Client, connector: StubConnector, conversation: str
) -> None:
    message = personal_message(connector.url, "balance")
    set_field("conversation.id")(message, conversation)
    await answered(bot, connector, message)
    assert connector.calls[-1].conversation_id == conversation


@pytest.mark.parametrize(
    "conversation", list(BAD_CONVERSATIONS.values()), ids=list(BAD_CONVERSATIONS)
)
async def test_a_conversation_id_that_cannot_go_in_a_header_is_a_400(
    bot: Client, connector: StubConnector, conversation: str
) -> None:
    message = personal_message(connector.url, "balance")
    set_field("conversation.id")(message, conversation)
    error = await refused(bot, connector, message)
    assert "'conversation.id' must be printable ASCII" in error
    assert "U+" in error  # names the character


# ---------------------------------------------------------------------- invoke names


@pytest.mark.parametrize("name", [None, "", "absent"], ids=["null", "empty", "absent"])
async def test_an_invoke_without_a_name_is_a_400(
    bot: Client, connector: StubConnector, name: str | None
) -> None:
    invoke = card_invoke(connector.url)
    if name == "absent":
        del invoke["name"]
    else:
        invoke["name"] = name
    assert "'name' is required" in await refused(bot, connector, invoke)


@pytest.mark.parametrize(
    "name",
    [
        "task/fetch",
        "composeExtension/query",
        "signin/verifyState",
        "signin/tokenExchange",
        "adaptiveCard/Action",
        {"a": 1},
        ["adaptiveCard/action"],
        5,
    ],
)
async def test_an_invoke_the_bot_does_not_answer_is_a_400_saying_which_it_does(
    bot: Client, connector: StubConnector, name: Any
) -> None:
    invoke = card_invoke(connector.url)
    invoke["name"] = name
    error = await refused(bot, connector, invoke)
    assert "'name' must be adaptiveCard/action" in error


async def test_the_card_invoke_still_answers(bot: Client, connector: StubConnector) -> None:
    response = await bot.post("/api/messages", json=card_invoke(connector.url))
    assert response.status == 200
    answer = await response.json()
    assert answer["statusCode"] == 200 and "$0.00" in texts(answer["value"])


# ---------------------------------------------------------------------- mention entities

MENTION = {"type": "mention", "text": "<at>Test Bot</at>", "mentioned": BOT_ACCOUNT}
UNREADABLE_MENTIONS = {
    "mentioned-empty": {"type": "mention", "mentioned": {}},
    "mentioned-text": {"type": "mention", "text": "<at>Test Bot</at>", "mentioned": "Test Bot"},
    "mentioned-list": {"type": "mention", "text": "<at>Test Bot</at>", "mentioned": [1]},
    "id-number": {"type": "mention", "text": "<at>x</at>", "mentioned": {"id": 5}},
    "no-text": {"type": "mention", "mentioned": {"id": BOT_ACCOUNT["id"]}},
    "text-number": {"type": "Mention", "text": 5, "mentioned": BOT_ACCOUNT},
    "text-null": {"type": "MENTION", "text": None, "mentioned": {"id": BOT_ACCOUNT["id"]}},
    "no-type": {"text": "<at>Test Bot</at>", "mentioned": BOT_ACCOUNT},
    "type-null": {"type": None},
    "null": None,
}


@pytest.mark.parametrize(
    "entity", list(UNREADABLE_MENTIONS.values()), ids=list(UNREADABLE_MENTIONS)
)
async def test_an_unreadable_mention_is_dropped_and_the_message_answered(
    bot: Client, connector: StubConnector, entity: Any
) -> None:
    message = personal_message(connector.url, "balance")
    message["entities"] = [entity, {"type": "clientInfo", "locale": "en-US"}]
    await answered(bot, connector, message)
    card, _ = last_card(connector)
    assert "$0.00" in texts(card)


@pytest.mark.parametrize(
    "entity", list(UNREADABLE_MENTIONS.values()), ids=list(UNREADABLE_MENTIONS)
)
async def test_a_channel_mention_of_the_bot_still_works_beside_an_unreadable_one(
    bot: Client, connector: StubConnector, entity: Any
) -> None:
    message = channel_message(connector.url, "balance")
    message["entities"] = [entity, MENTION]
    message["id"] = str(uuid.uuid4())
    await answered(bot, connector, message)
    card, _ = last_card(connector)
    assert "$0.00" in texts(card)  # "<at>Test Bot</at> balance" understood as "balance"


async def test_a_message_without_a_recipient_mention_is_answered(
    bot: Client, connector: StubConnector
) -> None:
    message = personal_message(connector.url, "balance")
    message["entities"] = [{**MENTION, "mentioned": {"id": "29:someone-else", "name": "Ada"}}]
    await answered(bot, connector, message)
