"""Cancel on a confirm card voids its request, in the store: a stale copy of the card (a second
client, a second replica) pressed afterwards changes nothing and says so; Cancel pressed after the
Confirm applied says it cannot undo it; a non-admin's Cancel voids nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from card_helpers import button, texts
from conftest import Backend, ServiceFactory
from dialog_helpers import ADMIN, TENANT, VIEWER, card_of, client, press
from helpers import TENANT as HTTP_TENANT
from helpers import (
    ClientFactory,
    execute,
    last_card,
    local_settings,
    personal_message,
    post,
    submit,
)
from stub_connector import StubConnector

from bot.adapter import TURN_ERROR_MESSAGE
from bot.app import create_app
from bot.appkeys import SERVICE
from cards import actions as verbs
from credits.models import VoidOutcome
from credits.service import CreditsService
from dialogs.actions import CardSigner

Client = TestClient[web.Request, web.Application]

# ---------------------------------------------------------------------- dialog transcripts


async def test_cancel_then_confirm_adds_nothing(service: CreditsService) -> None:
    talk = client(service)
    confirm = card_of(await talk.send_activity("add $50 credits"))
    cancelled = card_of(await talk.send_activity(press(button(confirm, verbs.CANCEL))))
    assert "Nothing was changed" in texts(cancelled)
    stale = card_of(await talk.send_activity(press(button(confirm, verbs.ADD_FUNDS_CONFIRM))))
    assert "This request was cancelled; nothing was changed." in texts(stale)
    assert (await service.account(TENANT)).balance.minor == 0
    assert await service.payments(TENANT) == []  # the gateway was never asked
    # pressing Cancel again is harmless and still true
    again = card_of(await talk.send_activity(press(button(confirm, verbs.CANCEL))))
    assert "Nothing was changed" in texts(again)


async def test_cancel_on_one_replica_is_honoured_by_another(
    make_service: ServiceFactory,
) -> None:
    one, two = await make_service(), await make_service()
    confirm = card_of(await client(one).send_activity("add $50 credits"))
    await client(one).send_activity(press(button(confirm, verbs.CANCEL)))
    stale = card_of(
        await client(two).send_activity(press(button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    )
    assert "was cancelled" in texts(stale)
    assert (await two.account(TENANT)).balance.minor == 0
    assert await two.payments(TENANT) == []


async def test_confirm_then_cancel_says_it_was_already_done(service: CreditsService) -> None:
    talk = client(service)
    confirm = card_of(await talk.send_activity("add $50 credits"))
    await talk.send_activity(press(button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    late = texts(card_of(await talk.send_activity(press(button(confirm, verbs.CANCEL)))))
    assert "already done" in late and "can't undo" in late
    assert "Nothing was changed" not in late
    assert (await service.account(TENANT)).balance.minor == 5000


async def test_cancel_then_confirm_auto_recharge_changes_nothing(
    service: CreditsService,
) -> None:
    talk = client(service)
    before = await service.account(TENANT)
    confirm = card_of(await talk.send_activity("set auto-recharge to $100 when below $20"))
    cancelled = card_of(await talk.send_activity(press(button(confirm, verbs.CANCEL))))
    assert "Nothing was changed" in texts(cancelled)
    stale = card_of(await talk.send_activity(press(button(confirm, verbs.RECHARGE_CONFIRM))))
    assert "This request was cancelled; nothing was changed." in texts(stale)
    after = await service.account(TENANT)
    assert not after.recharge.enabled and after.recharge.amount is None
    assert after.version == before.version


async def test_confirm_then_cancel_auto_recharge_says_already_done(
    service: CreditsService,
) -> None:
    talk = client(service)
    confirm = card_of(await talk.send_activity("set auto-recharge to $100 when below $20"))
    await talk.send_activity(press(button(confirm, verbs.RECHARGE_CONFIRM)))
    late = texts(card_of(await talk.send_activity(press(button(confirm, verbs.CANCEL)))))
    assert "already done" in late and "Nothing was changed" not in late
    assert (await service.account(TENANT)).recharge.enabled


async def test_a_non_admin_cancel_voids_nothing(service: CreditsService) -> None:
    confirm = card_of(await client(service).send_activity("add $50 credits"))
    denied = texts(
        card_of(await client(service, VIEWER).send_activity(press(button(confirm, verbs.CANCEL))))
    )
    assert "Only billing admins" in denied
    receipt = card_of(
        await client(service).send_activity(press(button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    )
    assert "Added $50.00" in texts(receipt)
    assert (await service.account(TENANT)).balance.minor == 5000


async def test_a_cancel_sent_before_the_rename_voids_its_request(service: CreditsService) -> None:
    """Cards sent before the rename carry the request as `key` on Confirm and Cancel alike."""
    signer = CardSigner(b"test-secret")
    old = {"verb": verbs.ADD_FUNDS_CONFIRM, "amount": "50.00", "key": "old-card-2"}
    old["sig"] = signer.sign(TENANT, old)
    talk = client(service)
    await talk.send_activity(press({"verb": verbs.CANCEL, "key": "old-card-2"}))
    assert "was cancelled" in texts(card_of(await talk.send_activity(press(old))))
    assert (await service.account(TENANT)).balance.minor == 0


# ---------------------------------------------------------------------- the store, raced


async def test_void_and_confirm_race_one_wins(make_service: ServiceFactory) -> None:
    one, two = await make_service(), await make_service()
    for n in range(6):
        key = f"race-{n}"
        funded, voided = await asyncio.gather(
            one.add_funds(TENANT, "10", ADMIN.actor, key),
            two.void_request(TENANT, key, ADMIN.actor),
            return_exceptions=True,
        )
        if voided is VoidOutcome.CANCELLED:
            assert isinstance(funded, Exception) and "cancelled" in str(funded)
        else:
            assert voided is VoidOutcome.ALREADY_DONE, voided
            assert not isinstance(funded, BaseException), funded
    total = sum(p.amount.minor for p in await one.payments(TENANT) if p.status == "succeeded")
    assert (await one.account(TENANT)).balance.minor == total
    assert set((await one.verify(TENANT)).values()) == {total}


# ---------------------------------------------------------------------- whole HTTP turns


@pytest.fixture
async def replicas(
    aiohttp_client: ClientFactory, tmp_path: Path, backend: Backend
) -> tuple[Client, Client]:
    """Two replicas of the bot on one database."""
    settings = local_settings(tmp_path, credits=backend.config())
    return await aiohttp_client(create_app(settings)), await aiohttp_client(create_app(settings))


async def test_cancel_by_invoke_then_confirm_on_another_replica(
    replicas: tuple[Client, Client], connector: StubConnector
) -> None:
    one, two = replicas
    await post(one, personal_message(connector.url, "add $50 credits"))
    confirm, _ = last_card(connector)
    cancelled = await post(one, execute(connector.url, button(confirm, verbs.CANCEL)))
    assert "Nothing was changed" in texts(cancelled["value"])
    stale = await post(two, execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    assert stale["statusCode"] == 200
    assert "This request was cancelled; nothing was changed." in texts(stale["value"])
    assert (await two.app[SERVICE].account(HTTP_TENANT)).balance.minor == 0
    assert await two.app[SERVICE].payments(HTTP_TENANT) == []
    assert TURN_ERROR_MESSAGE not in connector.texts()


async def test_cancel_by_submit_then_confirm_auto_recharge(
    replicas: tuple[Client, Client], connector: StubConnector
) -> None:
    one, two = replicas
    await post(one, personal_message(connector.url, "set auto-recharge to $100 when below $20"))
    confirm, confirm_id = last_card(connector)
    await post(one, submit(connector.url, button(confirm, verbs.CANCEL), confirm_id))
    assert "Nothing was changed" in texts(last_card(connector)[0])
    await post(two, submit(connector.url, button(confirm, verbs.RECHARGE_CONFIRM), confirm_id))
    assert "was cancelled" in texts(last_card(connector)[0])
    assert not (await two.app[SERVICE].account(HTTP_TENANT)).recharge.enabled


async def test_confirm_then_cancel_over_http(
    replicas: tuple[Client, Client], connector: StubConnector
) -> None:
    one, two = replicas
    await post(one, personal_message(connector.url, "add $75 credits"))
    confirm, _ = last_card(connector)
    await post(one, execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    late: dict[str, Any] = await post(two, execute(connector.url, button(confirm, verbs.CANCEL)))
    assert "already done" in texts(late["value"])
    assert "Nothing was changed" not in texts(late["value"])
    assert (await one.app[SERVICE].account(HTTP_TENANT)).balance.minor == 7500
