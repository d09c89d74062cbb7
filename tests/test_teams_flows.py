"""Teams-shaped activities over HTTP against the whole app: the replies go to a stub connector at
the activity's serviceUrl; the tests read the cards that came back and the ledger afterwards."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from card_helpers import button, texts
from helpers import (
    ALEX,
    BOT_ACCOUNT,
    CARD,
    TEAM,
    TENANT,
    Client,
    ClientFactory,
    channel_message,
    execute,
    last_card,
    local_settings,
    personal_message,
    post,
    submit,
)
from stub_connector import StubConnector

from bot.app import create_app
from bot.appkeys import SERVICE
from cards import actions as verbs


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    return await aiohttp_client(create_app(local_settings(tmp_path)))


async def test_add_funds_in_a_personal_chat_with_action_submit(
    client: Client, connector: StubConnector
) -> None:
    await post(client, personal_message(connector.url, "add $50 credits"))
    confirm, confirm_id = last_card(connector)
    assert "$50.00" in texts(confirm)
    await post(client, submit(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM), confirm_id))
    update = connector.calls[-1]
    assert update.method == "PUT"  # the confirm card is replaced in place: no stale buttons
    receipt, _ = last_card(connector)
    assert "Added $50.00" in texts(receipt)
    view = await client.app[SERVICE].account(TENANT)
    assert view.balance.minor == 5000
    [entry] = (await client.app[SERVICE].history(TENANT)).entries
    assert entry.actor.id == ALEX["aadObjectId"] and entry.actor.name == "Alex Wilber"


async def test_a_channel_message_with_a_mention(client: Client, connector: StubConnector) -> None:
    await post(client, channel_message(connector.url, "balance"))
    card, _ = last_card(connector)
    assert "$0.00" in texts(card)
    assert connector.calls[-1].conversation_id.startswith(TEAM)


async def test_action_execute_answers_with_the_updated_card(
    client: Client, connector: StubConnector
) -> None:
    await post(client, personal_message(connector.url, "add $75 credits"))
    confirm, _ = last_card(connector)
    answer = await post(client, execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    assert answer["statusCode"] == 200 and answer["type"] == CARD
    assert "Added $75.00" in texts(answer["value"])
    assert (await client.app[SERVICE].account(TENANT)).balance.minor == 7500
    # a second click on the same card adds nothing and says so
    again = await post(client, execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    assert "already" in texts(again["value"]).lower()
    assert (await client.app[SERVICE].account(TENANT)).balance.minor == 7500


async def test_the_same_activity_delivered_twice_has_one_effect(
    client: Client, connector: StubConnector
) -> None:
    await post(client, personal_message(connector.url, "add $50 credits"))
    confirm, confirm_id = last_card(connector)
    press = submit(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM), confirm_id)
    await post(client, press)
    calls = len(connector.calls)
    await post(client, press)  # Teams redelivers after 15 s, same id
    assert len(connector.calls) == calls
    assert (await client.app[SERVICE].account(TENANT)).balance.minor == 5000


async def test_a_card_from_another_tenant_is_not_allowed(
    client: Client, connector: StubConnector
) -> None:
    await post(client, personal_message(connector.url, "add $50 credits"))
    confirm, _ = last_card(connector)
    other = execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM))
    other["channelData"] = {"tenant": {"id": "tenant-b"}}
    other["conversation"] = {
        "conversationType": "personal",
        "id": "a:other",
        "tenantId": "tenant-b",
    }
    answer = await post(client, other)
    assert "can't be used" in texts(answer["value"])
    assert (await client.app[SERVICE].account(TENANT)).balance.minor == 0
    assert (await client.app[SERVICE].account("tenant-b")).balance.minor == 0


async def test_only_listed_admins_when_admins_are_configured(
    aiohttp_client: ClientFactory, tmp_path: Path, connector: StubConnector
) -> None:
    settings = local_settings(tmp_path)
    listed = settings.credits.model_copy(update={"admins": ("someone-else",)})
    app = create_app(local_settings(tmp_path, credits=listed))
    client = await aiohttp_client(app)
    await post(client, personal_message(connector.url, "balance"))
    assert "Only billing admins" in connector.texts()[-1]
    answer = await post(client, execute(connector.url, {"verb": verbs.BALANCE}))
    assert "Only billing admins" in texts(answer["value"])


async def test_welcome_once_per_conversation(client: Client, connector: StubConnector) -> None:
    update = personal_message(connector.url)
    del update["text"]
    update.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT, ALEX], id=None)
    for _ in range(3):  # the Playground resends install events on every page load
        update["id"] = str(uuid.uuid4())
        await post(client, update)
    welcome = [c for c in connector.cards() if "Communications Credits" in texts(c)]
    assert len(welcome) == 1


async def test_installing_in_a_team_subscribes_its_channel_once(
    client: Client, connector: StubConnector
) -> None:
    install = channel_message(connector.url, "")
    del install["text"]
    install.update(type="conversationUpdate", membersAdded=[BOT_ACCOUNT])
    install["conversation"]["id"] = TEAM
    await post(client, install)
    [sub] = await client.app[SERVICE].list_subscriptions(TENANT)
    assert sub.conversation_id == TEAM
    assert sub.reference["serviceUrl"] == connector.url
    assert any("post balance alerts in this channel" in t for t in connector.texts())
