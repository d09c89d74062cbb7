"""Admins made and removed through whole HTTP turns against the app, with the stub Bot Connector
serving the Teams roster: an @mention in a channel (the member looked up with `get_member`, one
mention per word of a full name included), a name matched among the chat's members (several:
a card to choose), in English and Vietnamese; a name nobody has; a non-admin trying, refused
with no roster asked. And the claim code through the real `CreditsBot` of a deployment with an
app id and no CREDITS_ADMINS (the terminal's adapter: no authentication to mock)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from card_helpers import button, texts
from conftest import Backend
from helpers import (
    ALEX,
    BOT_ACCOUNT,
    TENANT,
    Client,
    ClientFactory,
    channel_message,
    execute,
    last_card,
    local_settings,
    personal_message,
    post,
)
from stub_connector import StubConnector

from bot.app import create_app
from bot.appkeys import SERVICE
from bot.chat import ConsoleAdapter
from bot.host_store import HostStore
from bot.storage import SqlStorage
from bot.teams import CreditsBot
from cards import actions as verbs
from credits.service import CreditsService

ADA = {
    "id": "29:1user-ada",
    "name": "Ada Lovelace",
    "aadObjectId": "aad-ada-0001",
    "email": "ada@contoso.com",
    "userPrincipalName": "ada@contoso.com",
}
ADA_B = {
    "id": "29:1user-ada-b",
    "name": "Ada Byron",
    "aadObjectId": "aad-ada-0002",
    "email": "ada.byron@contoso.com",
}
BOB = {"id": "29:1user-bob", "name": "Bob Viewer", "aadObjectId": "aad-bob"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path, backend: Backend) -> Client:
    """The bot in local mode on the test's store; Alex is the configured billing admin."""
    config = backend.config(admins=(str(ALEX["aadObjectId"]),))
    return await aiohttp_client(create_app(local_settings(tmp_path, credits=config)))


@pytest.fixture
def roster(connector: StubConnector) -> StubConnector:
    connector.roster = [ALEX, ADA, ADA_B, BOB]
    connector.chatting = ALEX  # a 1:1 chat's members: Alex alone, as Teams answers
    return connector


def group_message(service_url: str, text: str, locale: str = "en-US") -> dict[str, Any]:
    """A message in a group chat of Alex's with the bot and the roster's people."""
    activity = personal_message(service_url, text, locale=locale)
    activity["conversation"] = {
        "conversationType": "groupChat",
        "tenantId": TENANT,
        "id": "19:group-chat-0001@thread.v2",
        "isGroup": True,
    }
    return activity


def mentioning(activity: dict[str, Any], *people: tuple[dict[str, Any], str]) -> dict[str, Any]:
    """The activity with a mention entity for each (person, text as in the message)."""
    activity["entities"] = [
        *activity.get("entities", []),
        *(
            {
                "type": "mention",
                "text": f"<at>{said}</at>",
                "mentioned": {"id": p["id"], "name": p["name"]},
            }
            for p, said in people
        ),
    ]
    return activity


def service_of(client: Client) -> CreditsService:
    return client.app[SERVICE]


async def confirm(client: Client, connector: StubConnector) -> dict[str, Any]:
    """Press Confirm on the newest card (an Action.Execute): the card it answers."""
    card, _ = last_card(connector)
    answer = await post(client, execute(connector.url, button(card, verbs.ADMIN_CONFIRM)))
    value: dict[str, Any] = answer["value"]
    return value


# --------------------------------------------------------------------------- @mentions


async def test_make_a_mentioned_member_an_admin_in_a_channel(
    client: Client, roster: StubConnector
) -> None:
    text = "make <at>Ada Lovelace</at> an admin"
    await post(client, mentioning(channel_message(roster.url, text), (ADA, "Ada Lovelace")))
    card, _ = last_card(roster)
    shown = texts(card)
    assert "Make Ada Lovelace a billing admin?" in shown
    assert "ada@contoso.com" in shown and "aad-ada-0001" in shown
    assert any(a.endswith("/members/29:1user-ada") for a in roster.roster_asks)
    assert not await service_of(client).is_admin(TENANT, "aad-ada-0001")  # not before Confirm
    after = await confirm(client, roster)
    assert "Ada Lovelace is now a billing admin." in texts(after)
    assert "Made an admin by Alex Wilber" in texts(after)
    assert await service_of(client).is_admin(TENANT, "aad-ada-0001")
    # a full name mentioned one word at a time, then removed again
    text = "remove <at>Ada</at> <at>Lovelace</at> from the admins"
    activity = mentioning(channel_message(roster.url, text), (ADA, "Ada"), (ADA, "Lovelace"))
    await post(client, activity)
    card, _ = last_card(roster)
    assert "Remove Ada Lovelace as a billing admin?" in texts(card)
    assert "Ada Lovelace is no longer a billing admin." in texts(await confirm(client, roster))
    assert not await service_of(client).is_admin(TENANT, "aad-ada-0001")


async def test_a_mention_in_vietnamese(client: Client, roster: StubConnector) -> None:
    activity = channel_message(roster.url, "thêm <at>Ada Lovelace</at> làm quản trị viên")
    activity["locale"] = "vi-VN"
    await post(client, mentioning(activity, (ADA, "Ada Lovelace")))
    card, _ = last_card(roster)
    assert "Đặt Ada Lovelace làm người quản trị thanh toán?" in texts(card)
    data = button(card, verbs.ADMIN_CONFIRM)
    press = execute(roster.url, data)
    press["locale"] = "vi-VN"
    answer = await post(client, press)
    assert "Đã thêm Ada Lovelace làm người quản trị thanh toán." in texts(answer["value"])
    assert await service_of(client).is_admin(TENANT, "aad-ada-0001")


# --------------------------------------------------------------------------- names


async def test_a_name_matching_several_members_asks_which(
    client: Client, roster: StubConnector
) -> None:
    await post(client, group_message(roster.url, "make Ada an admin"))
    assert any(a.endswith("/pagedmembers") for a in roster.roster_asks)
    choice, _ = last_card(roster)
    assert "2 people match" in texts(choice)
    picks = {a["title"]: a["data"] for a in choice["body"][-1]["actions"]}
    assert set(picks) == {"Ada Byron (ada.byron@contoso.com)", "Ada Lovelace (ada@contoso.com)"}
    answer = await post(client, execute(roster.url, picks["Ada Byron (ada.byron@contoso.com)"]))
    assert "Make Ada Byron a billing admin?" in texts(answer["value"])
    data = button(answer["value"], verbs.ADMIN_CONFIRM)
    done = await post(client, execute(roster.url, data))
    assert "Ada Byron is now a billing admin." in texts(done["value"])
    assert await service_of(client).is_admin(TENANT, "aad-ada-0002")
    assert not await service_of(client).is_admin(TENANT, "aad-ada-0001")
    again = await post(client, execute(roster.url, data))  # a second click
    assert "made already" in texts(again["value"])


@pytest.mark.parametrize(
    ("text", "locale", "title"),
    [
        ("make Ada Lovelace an admin", "en-US", "Make Ada Lovelace a billing admin?"),
        ("add ada@contoso.com as admin", "en-US", "Make Ada Lovelace a billing admin?"),
        ("cho Ada Lovelace làm quản trị viên", "vi-VN", "Đặt Ada Lovelace làm người quản trị"),
        ("cấp quyền quản trị cho ada byron", "vi-VN", "Đặt Ada Byron làm người quản trị"),
    ],
)
async def test_one_member_by_name_gets_the_confirm_card(
    client: Client, roster: StubConnector, text: str, locale: str, title: str
) -> None:
    await post(client, group_message(roster.url, text, locale=locale))
    card, _ = last_card(roster)
    assert title in texts(card)


async def test_a_name_nobody_has(client: Client, roster: StubConnector) -> None:
    await post(client, group_message(roster.url, "make Zed Zimmer an admin"))
    assert "I found nobody called 'Zed Zimmer'" in roster.texts()[-1]
    assert [a.aad_object_id for a in await service_of(client).list_admins(TENANT)] == [
        ALEX["aadObjectId"]
    ]


async def test_a_non_admin_is_refused_without_a_roster_lookup(
    client: Client, roster: StubConnector
) -> None:
    text = "make <at>Ada Lovelace</at> an admin"
    bob = mentioning(channel_message(roster.url, text), (ADA, "Ada Lovelace"))
    bob["from"] = BOB
    await post(client, bob)
    assert roster.texts()[-1] == "Only billing admins can see or change Communications Credits."
    for said in ("admins", "remove Alex as admin", "xóa Alex khỏi quản trị viên"):
        message = channel_message(roster.url, said)
        message["from"] = BOB
        await post(client, message)
        assert (
            "Only billing admins" in roster.texts()[-1]
            or "Chỉ người quản trị" in roster.texts()[-1]
        )
    assert roster.roster_asks == []
    # an admin's confirm card pressed by Bob does nothing
    await post(client, mentioning(channel_message(roster.url, text), (ADA, "Ada Lovelace")))
    card, _ = last_card(roster)
    answer = await post(
        client, execute(roster.url, button(card, verbs.ADMIN_CONFIRM), **{"from": BOB})
    )
    assert "Only billing admins" in texts(answer["value"])
    assert not await service_of(client).is_admin(TENANT, "aad-ada-0001")


# --------------------------------------------------------------------------- the claim code


async def test_the_first_admin_claims_a_deployment_with_an_app_id(
    tmp_path: Path, backend: Backend
) -> None:
    """MicrosoftAppId set and no CREDITS_ADMINS: nobody is an admin until the code is typed."""
    settings = local_settings(tmp_path, app_id="real-app-id", credits=backend.config())
    service = await CreditsService.open(settings.credits)
    try:
        bot = CreditsBot(service, SqlStorage(service.db), settings, HostStore(service.db))
        lines: list[str] = []
        adapter = ConsoleAdapter(lines.append)

        async def says(text: str, who: dict[str, Any], locale: str = "en-US") -> str:
            lines.clear()
            activity = Activity(
                type=ActivityTypes.message,
                id=uuid.uuid4().hex,
                text=text,
                channel_id="msteams",
                service_url="console://local",
                from_property=ChannelAccount(
                    id=who["id"], name=who["name"], aad_object_id=who["aadObjectId"]
                ),
                recipient=ChannelAccount(**BOT_ACCOUNT),
                conversation=ConversationAccount(
                    id=f"a:1{who['id']}", conversation_type="personal"
                ),
                channel_data={"tenant": {"id": TENANT}},
                locale=locale,
            )
            await adapter.run_pipeline(TurnContext(adapter, activity), bot.on_turn)
            return "\n".join(lines)

        first = await says("balance", ADA)  # nobody is an admin yet: how to become one
        assert "no billing admin yet" in first and "credits-bot admins claim-code" in first
        made = await service.new_claim_code(TENANT)
        assert "not right; 4 more tries" in await says("claim AAAA-AAAA", ADA)
        assert "You are now a billing admin" in await says(f"claim {made.code}", ADA)
        assert "Ada Lovelace" in await says("admins", ADA)  # an admin from this turn on
        assert "has a billing admin already" in await says(f"claim {made.code}", BOB)
        said = await says(f"nhận quyền {made.code}", BOB, "vi-VN")
        assert "đã có người quản trị thanh toán" in said
        [ada] = await service.list_admins(TENANT)
        assert (ada.aad_object_id, ada.source.value) == ("aad-ada-0001", "claimed")
        now = await says("balance", BOB)
        assert "Only billing admins can see" in now and "claim" not in now
    finally:
        await service.close()


# ------------------------------------------------------------------- where names are looked up


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("make Ada an admin", "en-US", "In a 1:1 chat I can only see you"),
        ("thêm Ada làm quản trị viên", "vi-VN", "Trong trò chuyện 1:1"),
    ],
)
async def test_a_name_in_a_personal_chat_says_where_to_ask(
    client: Client, roster: StubConnector, text: str, locale: str, expected: str
) -> None:
    """A 1:1 chat's roster is the user alone, and nobody else can be @mentioned there."""
    await post(client, personal_message(roster.url, text, locale=locale))
    said = roster.texts()[-1]
    assert expected in said and f"credits-bot admins grant --tenant {TENANT}" in said
    assert roster.cards() == []
    assert [a.aad_object_id for a in await service_of(client).list_admins(TENANT)] == [
        ALEX["aadObjectId"]
    ]


async def test_the_stub_answers_a_personal_chats_members_as_teams_does(
    roster: StubConnector,
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{roster.url}/v3/conversations/a:1chat/pagedmembers") as answer:
            assert (await answer.json())["members"] == [ALEX]
        async with http.get(f"{roster.url}/v3/conversations/a:1chat/members/29:1user-ada") as one:
            assert one.status == 404


async def test_the_start_of_a_name_is_a_choice_never_a_confirm(
    client: Client, connector: StubConnector
) -> None:
    adam = {"id": "29:1user-adam", "name": "Adam Smith", "aadObjectId": "aad-adam"}
    connector.roster = [ALEX, adam, BOB]
    await post(client, channel_message(connector.url, "make Ada an admin"))
    choice, _ = last_card(connector)
    assert "Make Adam Smith a billing admin?" not in texts(choice)
    assert 'Nobody is called "Ada"; 1 name starts with it' in texts(choice)
    [pick] = choice["body"][-1]["actions"]
    assert pick["title"] == "Adam Smith"
    connector.clear()
    await post(client, channel_message(connector.url, "make Ad an admin"))  # too short to guess
    assert "I found nobody called 'Ad'" in connector.texts()[-1]
    assert connector.cards() == []


async def test_a_mention_of_someone_not_in_the_conversation(
    client: Client, roster: StubConnector
) -> None:
    zed = {"id": "29:1user-zed", "name": "Zed Zimmer", "aadObjectId": "aad-zed"}
    text = "make <at>Zed Zimmer</at> an admin"
    await post(client, mentioning(channel_message(roster.url, text), (zed, "Zed Zimmer")))
    assert "I found nobody called 'Zed Zimmer'" in roster.texts()[-1]
    assert "can't look up" not in roster.texts()[-1]
    assert not await service_of(client).is_admin(TENANT, "aad-zed")
