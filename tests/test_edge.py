"""What comes in at POST /api/messages, through whole HTTP turns against the app on SQLite and
PostgreSQL: every activity of a conversation with a long id gets its reply (its redelivery key is
never cut short); identity fields holding a NUL, an unpaired surrogate or too many characters are
refused with a 400 naming the field before anything runs or is stored; display names with such
characters are cleaned and the turn goes on; text and card values with them cannot fail a turn."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from card_helpers import button, texts
from helpers import (
    ALEX,
    BOT_ACCOUNT,
    TENANT,
    Client,
    ClientFactory,
    bot,
    last_card,
    local_settings,
    personal_message,
    set_field,
    stored,
    submit,
)
from stub_connector import StubConnector

from bot.adapter import TURN_ERROR_MESSAGE
from bot.app import create_app
from bot.appkeys import SERVICE
from bot.edge import ids_problem
from bot.host_store import HostStore
from bot.storage import SqlStorage
from cards import actions as verbs
from credits.service import CreditsService
from credits.text import CONVERSATION_ID_MAX, TENANT_ID_MAX, USER_ID_MAX

__all__ = ["bot"]  # the fixture, used here by name

LONG_CONVERSATION = "a:1" + "x" * 440 + "-personal"  # 452 characters, as Teams can make them


def in_conversation(activity: dict[str, Any], conversation_id: str) -> dict[str, Any]:
    activity["conversation"] = {
        "conversationType": "personal",
        "tenantId": TENANT,
        "id": conversation_id,
    }
    return activity


# ---------------------------------------------------------------------- redelivery keys


async def test_every_message_of_a_long_conversation_gets_its_reply(
    bot: Client, connector: StubConnector
) -> None:
    assert len(LONG_CONVERSATION) > 400
    for n in range(1, 4):
        message = in_conversation(personal_message(connector.url, "help"), LONG_CONVERSATION)
        response = await bot.post("/api/messages", json=message)
        assert response.status == 201
        replies = [c for c in connector.calls if c.kind in ("send", "reply")]
        assert len(replies) >= n, f"message {n} got no reply"
        assert replies[-1].conversation_id == LONG_CONVERSATION
        assert replies[-1].activity_id == message["id"]


async def test_two_long_conversations_alike_but_for_their_end_each_get_a_welcome(
    bot: Client, connector: StubConnector
) -> None:
    for end in ("1", "2"):
        update = in_conversation(personal_message(connector.url), LONG_CONVERSATION + end)
        del update["text"]
        update.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT, ALEX])
        response = await bot.post("/api/messages", json=update)
        assert response.status == 201
    welcomed = {c.conversation_id for c in connector.calls if c.kind in ("send", "reply")}
    assert welcomed == {LONG_CONVERSATION + "1", LONG_CONVERSATION + "2"}


async def test_delivery_keys_are_kept_whole_whatever_they_hold(service: CreditsService) -> None:
    host = HostStore(service.db, clock=service.clock)
    prefix = "msteams:" + LONG_CONVERSATION + ":"
    assert await host.first_delivery(prefix + "1")
    assert await host.first_delivery(prefix + "2")  # not the same key as ...1
    assert not await host.first_delivery(prefix + "1")
    for odd in ("nul\x00key", "lone\ud800surrogate", "x" * 5000):
        assert await host.first_delivery(odd)
        assert not await host.first_delivery(odd)


@pytest.mark.parametrize(
    "key",
    [
        "msteams/conversations/" + "x" * 450 + "\ud800",
        "msteams/conversations/\ud800" + "x" * 450,
        "msteams/conversations/a\x00b",
        "msteams/conversations/a\udfffb",
    ],
    ids=["long-surrogate-at-end", "long-surrogate-in-prefix", "nul", "surrogate"],
)
async def test_a_state_key_of_any_text_is_stored(service: CreditsService, key: str) -> None:
    storage = SqlStorage(service.db)
    await storage.write({key: {"n": 1}})
    assert (await storage.read([key]))[key]["n"] == 1
    await storage.delete([key])
    assert await storage.read([key]) == {}


# ---------------------------------------------------------------------- identity fields

BAD_TEXT = {"nul": "bad\x00id", "surrogate": "bad\ud800id", "control": "bad\x1bid"}


IDENTITY_FIELDS = [
    "id",
    "replyToId",
    "channelId",
    "serviceUrl",
    "conversation.id",
    "conversation.tenantId",
    "channelData.tenant.id",
    "from.id",
    "from.aadObjectId",
    "recipient.id",
]


@pytest.mark.parametrize("field", IDENTITY_FIELDS)
@pytest.mark.parametrize("bad", list(BAD_TEXT), ids=list(BAD_TEXT))
async def test_a_bad_identity_field_is_a_400_naming_it_and_nothing_runs(
    bot: Client, connector: StubConnector, field: str, bad: str
) -> None:
    message = personal_message(connector.url, "add $50 credits")
    set_field(field)(message, BAD_TEXT[bad])
    response = await bot.post("/api/messages", json=message)
    assert response.status == 400
    error = (await response.json())["error"]
    assert f"'{field}'" in error
    assert "must" in error  # says what is allowed
    assert connector.calls == []
    assert await stored(bot.app[SERVICE]) == {
        "processed_activities": 0,
        "bot_state": 0,
        "accounts": 0,
        "ledger_entries": 0,
    }


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("conversation.id", CONVERSATION_ID_MAX),
        ("conversation.tenantId", TENANT_ID_MAX),
        ("channelData.tenant.id", TENANT_ID_MAX),
        ("from.aadObjectId", USER_ID_MAX),
    ],
)
async def test_an_identity_longer_than_its_column_is_a_400(
    bot: Client, connector: StubConnector, field: str, limit: int
) -> None:
    message = personal_message(connector.url, "balance")
    set_field(field)(message, "x" * (limit + 1))
    response = await bot.post("/api/messages", json=message)
    assert response.status == 400
    error = (await response.json())["error"]
    assert f"'{field}'" in error and f"at most {limit} characters" in error
    assert connector.calls == []

    set_field(field)(message, "x" * limit)  # at the limit: fine
    message["id"] = str(uuid.uuid4())
    response = await bot.post("/api/messages", json=message)
    assert response.status == 201, await response.text()


async def test_in_local_mode_a_sender_without_aad_id_is_known_by_from_id(
    bot: Client, connector: StubConnector
) -> None:
    message = personal_message(connector.url, "balance")
    message["from"] = {"id": "u" * (USER_ID_MAX + 1), "name": "Emulator user"}
    response = await bot.post("/api/messages", json=message)
    assert response.status == 400
    assert "'from.id'" in (await response.json())["error"]
    assert connector.calls == []

    message["from"]["aadObjectId"] = ALEX["aadObjectId"]  # then from.id is not the actor id
    response = await bot.post("/api/messages", json=message)
    assert response.status == 201 and connector.calls


async def test_an_authenticated_bot_checks_the_token_before_the_ids(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    """Without a valid token the answer is 401, whatever the ids hold: a caller learns nothing
    of the rules. With one, the same rules apply as in local mode, less the from.id rule."""
    secured = await aiohttp_client(
        create_app(local_settings(tmp_path, app_id="some-id", app_password="x"))
    )
    message = personal_message(connector.url)
    message["from"] = {"id": "u" * (USER_ID_MAX + 50), "aadObjectId": ALEX["aadObjectId"]}
    response = await secured.post("/api/messages", json=message)
    assert response.status == 401
    assert ids_problem(message, local_mode=False) is None  # long is fine with an aadObjectId
    message["from"]["id"] = "29:\x00"
    response = await secured.post("/api/messages", json=message)
    assert response.status == 401
    assert "'from.id'" in (ids_problem(message, local_mode=False) or "")
    assert connector.calls == []


@pytest.mark.parametrize("value", [123, ["a"], {"a": 1}], ids=["number", "list", "object"])
async def test_an_identity_that_is_not_text_is_a_400(
    bot: Client, connector: StubConnector, value: Any
) -> None:
    message = personal_message(connector.url)
    set_field("conversation.id")(message, value)
    response = await bot.post("/api/messages", json=message)
    assert response.status == 400
    assert "'conversation.id' must be text" in (await response.json())["error"]
    assert connector.calls == []


# ---------------------------------------------------------------------- display names

NAMES = {
    "nul": "Al\x00ex Wilber",
    "surrogate": "Alex\ud800 Wilber",
    "controls": "\x07Alex\x1b \u200bWilber\n",
}


@pytest.mark.parametrize("name", list(NAMES), ids=list(NAMES))
async def test_a_name_with_odd_characters_is_cleaned_and_funds_are_added(
    bot: Client, connector: StubConnector, name: str
) -> None:
    sender = {**ALEX, "name": NAMES[name]}
    message = personal_message(connector.url, "add $50 credits", **{"from": sender})
    message["recipient"] = {**BOT_ACCOUNT, "name": "Test\x00 Bot\ud800"}
    set_field("conversation.name")(message, "Chat\x00\ud800")
    response = await bot.post("/api/messages", json=message)
    assert response.status == 201
    confirm, confirm_id = last_card(connector)
    assert "$50.00" in texts(confirm)
    press = submit(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM), confirm_id)
    press["from"] = sender
    response = await bot.post("/api/messages", json=press)
    assert response.status == 201
    receipt, _ = last_card(connector)
    assert "Added $50.00" in texts(receipt)
    service = bot.app[SERVICE]
    assert (await service.account(TENANT)).balance.minor == 5000
    [entry] = (await service.history(TENANT)).entries
    assert entry.actor.id == ALEX["aadObjectId"]
    assert entry.actor.name == "Alex Wilber"


# ---------------------------------------------------------------------- text and card values

ODD_TEXT = ["\x00", "\ud800", "add $5\x000 credits", "balance\ud800", "\x1b[31mhelp"]


@pytest.mark.parametrize("text", ODD_TEXT, ids=["nul", "surrogate", "nul-inside", "lone", "ansi"])
async def test_odd_text_never_fails_a_turn(
    bot: Client, connector: StubConnector, text: str
) -> None:
    for words in (text, "add credits", text, "cancel", f"add {text}", text):
        message = personal_message(connector.url, words)
        response = await bot.post("/api/messages", json=message)
        assert response.status == 201
        assert connector.calls[-1].status < 400
    assert TURN_ERROR_MESSAGE not in connector.texts()


@pytest.mark.parametrize("odd", ["\x00", "\ud800"], ids=["nul", "surrogate"])
async def test_odd_card_values_never_fail_a_turn(
    bot: Client, connector: StubConnector, odd: str
) -> None:
    await bot.post("/api/messages", json=personal_message(connector.url, "add credits"))
    _, form_id = last_card(connector)
    values = [
        {"verb": odd},
        {"verb": verbs.ADD_FUNDS_CONFIRM, "request": odd, "amount": odd},
        {odd: odd, "verb": verbs.BALANCE},
        {"verb": verbs.ADD_FUNDS_CONFIRM, "request": f"r{odd}", "amount": "50"},
    ]
    for value in values:
        response = await bot.post("/api/messages", json=submit(connector.url, value, form_id))
        assert response.status == 201
    assert TURN_ERROR_MESSAGE not in connector.texts()
    assert (await bot.app[SERVICE].account(TENANT)).balance.minor == 0
