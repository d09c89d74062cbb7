"""A cancel typed right after a confirm card ("hủy", "thôi khỏi", "thôi, không nạp nữa", "cancel")
is that card's Cancel (vi-spec §4 rule 9): the request is voided in the store, so a Confirm
pressed afterwards changes nothing; the card is updated in place where its id is known, and the
bot says "Cancelled. Nothing was changed." in the turn's language. Anything else after the card
is routed as usual; in a channel, only an admin's cancel voids it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botbuilder.testing import DialogTestClient
from card_helpers import button, texts
from dialog_helpers import ADMIN, TENANT, VIEWER, card_of, client
from helpers import TENANT as HTTP_TENANT
from helpers import ClientFactory, execute, last_card, local_settings, personal_message, post
from stub_connector import StubConnector

from bot.adapter import TURN_ERROR_MESSAGE
from bot.app import create_app
from bot.appkeys import SERVICE
from cards import actions as verbs
from credits.service import CreditsService
from dialogs.actions import CardActions, CardSigner
from dialogs.caller import Caller, set_caller
from dialogs.language import Speaking
from dialogs.main import MainDialog

Client = TestClient[web.Request, web.Application]
VI, EN = "vi-VN", "en-US"
CARD = "application/vnd.microsoft.card.adaptive"
CANCELLED = {VI: "Đã hủy. Không có gì thay đổi.", EN: "Cancelled. Nothing was changed."}
NOTHING = {VI: "Không có gì để hủy.", EN: "There is nothing to cancel."}
STALE = {VI: "đã bị hủy", EN: "This request was cancelled; nothing was changed."}


def said(text: str, locale: str = VI) -> Activity:
    return Activity(type=ActivityTypes.message, text=text, locale=locale)


def pressed(data: dict[str, Any], locale: str = VI, reply_to: str | None = None) -> Activity:
    return Activity(type=ActivityTypes.message, value=data, locale=locale, reply_to_id=reply_to)


async def turn(talk: DialogTestClient, activity: Activity) -> list[Activity]:
    """Every reply of one turn, in order."""
    replies = [await talk.send_activity(activity)]
    while (more := talk.get_next_reply()) is not None:
        replies.append(more)
    return [r for r in replies if r is not None]


def cards_in(replies: list[Activity]) -> list[dict[str, Any]]:
    return [a.content for r in replies for a in r.attachments or [] if a.content_type == CARD]


def words(replies: list[Activity]) -> list[str]:
    return [r.text for r in replies if r.text]


async def nothing_changed(service: CreditsService) -> None:
    view = await service.account(TENANT)
    assert view.balance.minor == 0
    assert not view.recharge.enabled and view.recharge.amount is None
    assert (await service.history(TENANT)).entries == ()
    assert await service.payments(TENANT) == []


async def confirm_pressed_late(
    talk: DialogTestClient, card: dict[str, Any], verb: str, locale: str
) -> None:
    """The Confirm of the cancelled card, pressed afterwards: it says it was cancelled."""
    stale = cards_in(await turn(talk, pressed(button(card, verb), locale)))
    assert STALE[locale] in texts(stale[0])


# ---------------------------------------------------------------------- add funds


@pytest.mark.parametrize(
    ("request_", "cancel", "locale"),
    [
        ("nạp 50 đô", "hủy", VI),
        ("nạp 50 đô", "thôi khỏi", VI),
        ("nạp 50 đô", "thôi, không nạp nữa", VI),
        ("nap 50 do", "huy", VI),
        ("thêm 80 USD", "không, hủy", VI),
        ("add $50 credits", "cancel", EN),
        ("add $50 credits", "never mind", EN),
    ],
)
async def test_a_typed_cancel_voids_the_add_funds_card(
    service: CreditsService, request_: str, cancel: str, locale: str
) -> None:
    talk = client(service)
    [confirm] = cards_in(await turn(talk, said(request_, locale)))
    cancelled = await turn(talk, said(cancel, locale))
    assert words(cancelled) == [CANCELLED[locale]]
    # the card itself is updated in place, as its Cancel button does
    [update] = talk.test_adapter.updated_activities
    assert update.id and CANCELLED[locale].split(".")[0] in texts(card_of(update))
    await confirm_pressed_late(talk, confirm, verbs.ADD_FUNDS_CONFIRM, locale)
    await nothing_changed(service)


async def test_a_cancel_after_the_amount_was_asked_for(service: CreditsService) -> None:
    talk = client(service)
    await turn(talk, said("tôi muốn nạp tiền"))
    [confirm] = cards_in(await turn(talk, said("75")))
    assert words(await turn(talk, said("hủy"))) == [CANCELLED[VI]]
    await confirm_pressed_late(talk, confirm, verbs.ADD_FUNDS_CONFIRM, VI)
    await nothing_changed(service)


async def test_a_cancel_after_a_form_was_reviewed(service: CreditsService) -> None:
    talk = client(service)
    [form] = cards_in(await turn(talk, said("tôi muốn nạp tiền")))
    review = dict(button(form, verbs.ADD_FUNDS_REVIEW), amount="60")
    [confirm] = cards_in(await turn(talk, pressed(review)))
    assert words(await turn(talk, said("thôi khỏi"))) == [CANCELLED[VI]]
    await confirm_pressed_late(talk, confirm, verbs.ADD_FUNDS_CONFIRM, VI)
    await nothing_changed(service)


async def test_help_first_then_cancel(service: CreditsService) -> None:
    talk = client(service)
    [confirm] = cards_in(await turn(talk, said("nạp 50 đô")))
    assert cards_in(await turn(talk, said("giúp tôi")))  # the help card; the card still waits
    assert words(await turn(talk, said("hủy"))) == [CANCELLED[VI]]
    await confirm_pressed_late(talk, confirm, verbs.ADD_FUNDS_CONFIRM, VI)
    await nothing_changed(service)


# ---------------------------------------------------------------------- auto-recharge


@pytest.mark.parametrize(
    ("request_", "cancel", "locale"),
    [
        ("tự động nạp 80 đô khi số dư dưới 15 đô", "hủy", VI),
        ("tự động nạp 80 đô khi số dư dưới 15 đô", "thôi, không đổi nữa", VI),
        ("set auto-recharge to $100 when below $20", "cancel", EN),
    ],
)
async def test_a_typed_cancel_voids_the_auto_recharge_card(
    service: CreditsService, request_: str, cancel: str, locale: str
) -> None:
    talk = client(service)
    before = await service.account(TENANT)
    [confirm] = cards_in(await turn(talk, said(request_, locale)))
    assert words(await turn(talk, said(cancel, locale))) == [CANCELLED[locale]]
    await confirm_pressed_late(talk, confirm, verbs.RECHARGE_CONFIRM, locale)
    await nothing_changed(service)
    assert (await service.account(TENANT)).version == before.version


async def test_a_cancel_after_the_trigger_was_asked_for(service: CreditsService) -> None:
    talk = client(service)
    await turn(talk, said("turn on auto-recharge", EN))
    await turn(talk, said("100", EN))
    [confirm] = cards_in(await turn(talk, said("20", EN)))
    assert words(await turn(talk, said("cancel", EN))) == [CANCELLED[EN]]
    await confirm_pressed_late(talk, confirm, verbs.RECHARGE_CONFIRM, EN)
    await nothing_changed(service)


@pytest.mark.parametrize(("cancel", "locale"), [("thôi khỏi", VI), ("cancel", EN)])
async def test_a_typed_cancel_voids_turning_auto_recharge_off(
    service: CreditsService, cancel: str, locale: str
) -> None:
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="100", trigger="20")
    talk = client(service)
    off = "tắt nạp tiền tự động" if locale == VI else "turn off auto-recharge"
    [confirm] = cards_in(await turn(talk, said(off, locale)))
    assert words(await turn(talk, said(cancel, locale))) == [CANCELLED[locale]]
    await confirm_pressed_late(talk, confirm, verbs.RECHARGE_CONFIRM, locale)
    view = await service.account(TENANT)
    assert view.recharge.enabled and view.recharge.amount is not None


# ---------------------------------------------------------------------- anything else


async def test_a_new_request_after_a_confirm_card_still_works(service: CreditsService) -> None:
    talk = client(service)
    [first] = cards_in(await turn(talk, said("nạp 50 đô")))
    [balance] = cards_in(await turn(talk, said("xem số dư")))
    assert verbs.ADD_FUNDS_CONFIRM not in str(balance)
    [second] = cards_in(await turn(talk, said("nạp 70 đô")))
    # the new card is the one a cancel now voids; the first one is left as it was
    assert words(await turn(talk, said("hủy"))) == [CANCELLED[VI]]
    await confirm_pressed_late(talk, second, verbs.ADD_FUNDS_CONFIRM, VI)
    receipt = cards_in(await turn(talk, pressed(button(first, verbs.ADD_FUNDS_CONFIRM))))
    assert "50,00" in texts(receipt[0])
    assert (await service.account(TENANT)).balance.minor == 5000


async def test_confirm_after_a_card_then_cancel_has_nothing_to_cancel(
    service: CreditsService,
) -> None:
    talk = client(service)
    [confirm] = cards_in(await turn(talk, said("nạp 50 đô")))
    await turn(talk, pressed(button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    assert words(await turn(talk, said("hủy"))) == [NOTHING[VI]]
    assert (await service.account(TENANT)).balance.minor == 5000


async def test_something_else_ends_the_wait(service: CreditsService) -> None:
    talk = client(service)
    [confirm] = cards_in(await turn(talk, said("add $50 credits", EN)))
    unknown = words(await turn(talk, said("what's the weather like", EN)))
    assert unknown and unknown[0].startswith("I didn't catch that")
    assert words(await turn(talk, said("cancel", EN))) == [NOTHING[EN]]
    receipt = cards_in(await turn(talk, pressed(button(confirm, verbs.ADD_FUNDS_CONFIRM), EN)))
    assert "Added $50.00" in texts(receipt[0])


@pytest.mark.parametrize("locale", [VI, EN])
async def test_a_cancel_with_no_card(service: CreditsService, locale: str) -> None:
    talk = client(service)
    cancel = "hủy" if locale == VI else "cancel"
    assert words(await turn(talk, said(cancel, locale))) == [NOTHING[locale]]
    await turn(talk, said("xem số dư", locale))
    assert words(await turn(talk, said(cancel, locale))) == [NOTHING[locale]]


# ---------------------------------------------------------------------- a channel


class BySender(Middleware):  # type: ignore[misc]
    """The host's part in a channel: who speaks is the activity's sender."""

    def __init__(self, callers: dict[str, Caller]) -> None:
        self.callers = callers

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        set_caller(context, self.callers[context.activity.from_property.id])
        await logic()


ADMIN_TWO = Caller(TENANT, "aad-cai", "Cai Admin", is_admin=True)


def channel(service: CreditsService) -> DialogTestClient:
    """One conversation (one dialog state) where three people speak."""
    dialog = MainDialog(CardActions(service, CardSigner(b"test-secret")))
    callers = {c.aad_object_id: c for c in (ADMIN, ADMIN_TWO, VIEWER)}
    return DialogTestClient("msteams", dialog, middlewares=[BySender(callers), Speaking()])


def by(caller: Caller, text: str) -> Activity:
    activity = said(text)
    activity.from_property = ChannelAccount(id=caller.aad_object_id, name=caller.name)
    return activity


async def test_in_a_channel_only_an_admin_cancel_voids_the_card(service: CreditsService) -> None:
    talk = channel(service)
    [confirm] = cards_in(await turn(talk, by(ADMIN, "nạp 50 đô")))
    assert words(await turn(talk, by(VIEWER, "hủy"))) == [NOTHING[VI]]
    assert "Chỉ" in words(await turn(talk, by(VIEWER, "xem số dư")))[0]  # not allowed
    assert words(await turn(talk, by(ADMIN_TWO, "thôi khỏi"))) == [CANCELLED[VI]]
    late = by(ADMIN, "")
    late.text, late.value = None, button(confirm, verbs.ADD_FUNDS_CONFIRM)
    stale = cards_in(await turn(talk, late))
    assert STALE[VI] in texts(stale[0])
    await nothing_changed(service)


async def test_a_non_admin_cancel_leaves_the_card_open(service: CreditsService) -> None:
    talk = channel(service)
    [confirm] = cards_in(await turn(talk, by(ADMIN, "nạp 50 đô")))
    assert words(await turn(talk, by(VIEWER, "hủy"))) == [NOTHING[VI]]
    late = by(ADMIN, "")
    late.text, late.value = None, button(confirm, verbs.ADD_FUNDS_CONFIRM)
    receipt = cards_in(await turn(talk, late))
    assert "50,00" in texts(receipt[0])
    assert (await service.account(TENANT)).balance.minor == 5000


# ---------------------------------------------------------------------- whole HTTP turns


@pytest.fixture
async def replicas(
    aiohttp_client: ClientFactory, tmp_path: Path, backend: Any
) -> tuple[Client, Client]:
    """Two replicas of the bot on one database (the waiting step is in the stored state)."""
    settings = local_settings(tmp_path, credits=backend.config())
    return await aiohttp_client(create_app(settings)), await aiohttp_client(create_app(settings))


def vi_message(url: str, text: str) -> dict[str, Any]:
    message = personal_message(url, text, locale=VI)
    message["entities"] = [{"type": "clientInfo", "locale": VI, "country": "VN"}]
    return message


async def test_a_typed_cancel_over_http_on_another_replica(
    replicas: tuple[Client, Client], connector: StubConnector
) -> None:
    one, two = replicas
    await post(one, vi_message(connector.url, "nạp 50 đô"))
    confirm, _ = last_card(connector)
    [sent] = [c for c in connector.calls if c.kind in ("send", "reply")]
    await post(two, vi_message(connector.url, "thôi, không nạp nữa"))
    assert connector.texts()[-1] == CANCELLED[VI]
    [update] = [c for c in connector.calls if c.kind == "update"]
    assert update.activity_id == "stub-1"  # the stub's id of the confirm card: updated in place
    assert sent.body.get("attachments")
    assert "Đã hủy" in texts(last_card(connector)[0])
    stale = await post(one, execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    assert STALE[EN] in texts(stale["value"])  # the invoke is in English (helpers' locale)
    assert (await one.app[SERVICE].account(HTTP_TENANT)).balance.minor == 0
    assert await one.app[SERVICE].payments(HTTP_TENANT) == []
    assert TURN_ERROR_MESSAGE not in connector.texts()


async def test_a_typed_cancel_voids_a_confirm_card_that_a_button_invoke_brought(
    replicas: tuple[Client, Client], connector: StubConnector
) -> None:
    """In Teams a form's Review (or a quick amount) is an Action.Execute invoke whose answer
    replaces the pressed card with the confirm card: a cancel typed next voids that card too."""
    one, two = replicas
    await post(one, vi_message(connector.url, "tôi muốn nạp tiền"))
    form, _ = last_card(connector)
    review = dict(button(form, verbs.ADD_FUNDS_REVIEW), amount="50.00")
    press = execute(connector.url, review)
    press["replyToId"] = "stub-form"
    answer = await post(one, press)
    confirm = answer["value"]
    assert button(confirm, verbs.ADD_FUNDS_CONFIRM)
    await post(two, vi_message(connector.url, "hủy"))
    assert connector.texts()[-1] == CANCELLED[VI]
    updates = [c for c in connector.calls if c.kind == "update"]
    assert [u.activity_id for u in updates] == ["stub-form"]  # the card the invoke replaced
    late = await post(one, execute(connector.url, button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    assert STALE[EN] in texts(late["value"])
    assert (await one.app[SERVICE].account(HTTP_TENANT)).balance.minor == 0
    assert await one.app[SERVICE].payments(HTTP_TENANT) == []
