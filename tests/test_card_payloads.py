"""Every card payload is checked by one typed model before any handler sees it: garbage in an
Action.Execute invoke or an Action.Submit message answers a card that says what was wrong and that
nothing was changed; never a 500, never the apology."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from card_helpers import button, texts
from dialog_helpers import TENANT, card_of, client, press
from helpers import TENANT as HTTP_TENANT
from helpers import ClientFactory, last_card, local_settings, personal_message, post, submit
from stub_connector import StubConnector

from bot.adapter import TURN_ERROR_MESSAGE
from bot.app import create_app
from bot.appkeys import SERVICE
from cards import actions as verbs
from credits.models import Actor
from credits.service import CreditsService
from dialogs.actions import CardSigner
from dialogs.card_data import BadButton, HistoryPress, UnknownButton, parse_card_data, parse_invoke

Client = TestClient[web.Request, web.Application]
SIGNER = CardSigner(b"test-secret")
BIG = 10**30
ACTOR = Actor("someone", "Someone")


def signed(data: dict[str, Any], tenant: str = TENANT) -> dict[str, Any]:
    return dict(data, sig=SIGNER.sign(tenant, data))


CONFIRM = {"verb": verbs.ADD_FUNDS_CONFIRM, "amount": "50.00", "request": "r-1"}
RECHARGE = {
    "verb": verbs.RECHARGE_CONFIRM,
    "enabled": "true",
    "amount": "100.00",
    "trigger": "20.00",
    "version": 0,
    "request": "r-2",
}

# data of a button press (Action.Submit's value, Action.Execute's data): (data, what is named)
BAD_DATA: list[tuple[Any, str]] = [
    ("balance", "object"),
    (["balance"], "object"),
    (42, "object"),
    ({}, "verb"),
    ({"verb": None}, "verb"),
    ({"verb": {"nested": ["junk"]}}, "verb"),
    ({"verb": ["history"]}, "verb"),
    ({"verb": verbs.HISTORY, "before": "abc"}, "before"),
    ({"verb": verbs.HISTORY, "before": -1}, "before"),
    ({"verb": verbs.HISTORY, "before": 0}, "before"),
    ({"verb": verbs.HISTORY, "before": BIG}, "before"),
    ({"verb": verbs.HISTORY, "before": 1.5}, "before"),
    ({"verb": verbs.HISTORY, "before": True}, "before"),
    ({"verb": verbs.HISTORY, "before": {"a": [1, {"b": None}]}}, "before"),
    ({"verb": verbs.ADD_FUNDS_REVIEW, "amount": ["50"]}, "amount"),
    ({"verb": verbs.ADD_FUNDS_REVIEW, "amount": {"value": 50}}, "amount"),
    ({"verb": verbs.ADD_FUNDS_REVIEW, "amount": "5" * 500}, "amount"),
    ({"verb": verbs.ADD_FUNDS_CONFIRM, "amount": ["50"], "request": "r-1", "sig": "ab"}, "amount"),
    ({"verb": verbs.ADD_FUNDS_CONFIRM, "amount": 50, "request": "r-1", "sig": "ab"}, "amount"),
    ({"verb": verbs.ADD_FUNDS_CONFIRM, "request": "r-1", "sig": "ab"}, "amount"),
    ({"verb": verbs.ADD_FUNDS_CONFIRM, "amount": "50.00", "sig": "ab"}, "request"),
    (dict(CONFIRM, request="r\x00-1", sig="ab"), "request"),
    (dict(CONFIRM, request="x" * 151, sig="ab"), "request"),
    (dict(CONFIRM, request="", sig="ab"), "request"),
    (dict(CONFIRM, request=["r-1"], sig="ab"), "request"),
    (dict(CONFIRM, request="\ud800", sig="ab"), "request"),
    (dict(CONFIRM, sig="not hex!"), "sig"),
    (dict(CONFIRM, sig=["ab"]), "sig"),
    (dict(RECHARGE, version="3", sig="ab"), "version"),
    (dict(RECHARGE, version=1.5, sig="ab"), "version"),
    (dict(RECHARGE, version=None, sig="ab"), "version"),
    (dict(RECHARGE, version=BIG, sig="ab"), "version"),
    (dict(RECHARGE, enabled="yes", sig="ab"), "enabled"),
    (dict(RECHARGE, enabled=True, sig="ab"), "enabled"),
    (dict(RECHARGE, trigger={"x": 1}, sig="ab"), "trigger"),
    ({"verb": verbs.RECHARGE_REVIEW, "recharge_enabled": "maybe"}, "recharge_enabled"),
    ({"verb": verbs.RECHARGE_REVIEW, "recharge_amount": [1]}, "recharge_amount"),
    ({"verb": verbs.CANCEL, "request": "r\x00"}, "request"),
    ({"verb": verbs.CANCEL, "request": 7}, "request"),
]


def refused(card: dict[str, Any], named: str) -> None:
    shown = texts(card)
    assert named in shown, shown
    assert "Nothing was changed" in shown, shown
    assert TURN_ERROR_MESSAGE not in shown


# ---------------------------------------------------------------------- the model itself


@pytest.mark.parametrize(("data", "named"), BAD_DATA)
def test_the_model_names_what_was_wrong(data: Any, named: str) -> None:
    problem = parse_card_data(data)
    assert isinstance(problem, BadButton) and named in problem.problem


def test_a_good_press_is_typed() -> None:
    assert parse_card_data({"verb": verbs.HISTORY, "before": 12}) == HistoryPress(
        verb="history", before=12
    )


def test_an_unknown_verb_is_not_a_problem_but_unknown() -> None:
    assert parse_card_data({"verb": "launch_rockets"}) == UnknownButton("launch_rockets")


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (None, "action"),
        ("x", "action"),
        ([], "action"),
        ({"action": "balance"}, "action"),
        ({"action": ["balance"]}, "action"),
        ({"action": {"verb": 5}}, "verb"),
        ({"action": {"verb": "balance", "data": "x"}}, "data"),
        ({"action": {"verb": "balance", "data": [1, 2]}}, "data"),
        ({"action": {"verb": "balance", "data": {"verb": "history"}}}, "verb"),
    ],
)
def test_the_invoke_envelope_is_checked(value: Any, named: str) -> None:
    problem = parse_invoke(value)
    assert isinstance(problem, BadButton) and named in problem.problem


def test_an_invoke_without_data_uses_the_actions_verb() -> None:
    nothing: list[dict[str, Any] | None] = [None, {}]
    for data in nothing:
        value = {"action": {"type": "Action.Execute", "verb": "balance", "data": data}}
        press_ = parse_invoke(value)
        assert not isinstance(press_, BadButton | UnknownButton)
        assert press_.verb == verbs.BALANCE


# ---------------------------------------------------------------------- dialog transcripts


@pytest.mark.parametrize(("data", "named"), BAD_DATA)
async def test_garbage_submitted_says_what_was_wrong(
    service: CreditsService, data: Any, named: str
) -> None:
    reply = card_of(await client(service).send_activity(press(data)))
    refused(reply, named)
    assert (await service.account(TENANT)).balance.minor == 0


async def test_an_unknown_button_is_not_understood(service: CreditsService) -> None:
    reply = card_of(await client(service).send_activity(press({"verb": "launch_rockets"})))
    assert "I don't know that button" in texts(reply)


async def test_signed_cards_still_work_and_a_bad_signature_is_refused(
    service: CreditsService,
) -> None:
    talk = client(service)
    version = (await service.account(TENANT)).version
    reply = card_of(await talk.send_activity(press(signed(dict(RECHARGE, version=version)))))
    assert "$100.00" in texts(reply)
    assert (await service.account(TENANT)).recharge.enabled
    forged = dict(signed(CONFIRM), amount="5000.00")
    assert "can't be used" in texts(card_of(await talk.send_activity(press(forged))))
    unsigned = card_of(await talk.send_activity(press(dict(CONFIRM))))
    assert "can't be used" in texts(unsigned)
    assert (await service.account(TENANT)).balance.minor == 0


# ---------------------------------------------------------------------- whole HTTP turns


@pytest.fixture
async def app_client(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    return await aiohttp_client(create_app(local_settings(tmp_path)))


def raw_invoke(service_url: str, value: Any) -> dict[str, Any]:
    activity = personal_message(service_url, text="")
    del activity["text"]
    activity.update(type="invoke", name="adaptiveCard/action", value=value)
    return activity


def invoke_of(data: Any) -> dict[str, Any]:
    verb = data.get("verb") if isinstance(data, dict) else None
    verb = verb if isinstance(verb, str) else "balance"
    return {"action": {"type": "Action.Execute", "verb": verb, "data": data}}


INVOKE_VALUES: list[tuple[Any, str]] = [
    ("balance", "action"),
    ({"action": "balance"}, "action"),
    ({"action": 7}, "action"),
    ({"action": {"type": "Action.Execute", "verb": "balance", "data": "x"}}, "data"),
    ({"action": {"type": "Action.Execute", "verb": "balance", "data": ["x"]}}, "data"),
    (
        {"action": {"type": "Action.Execute", "verb": verbs.ADD_FUNDS_CONFIRM, "data": None}},
        "amount",
    ),
    ({"action": {"type": "Action.Execute", "data": {}}}, "verb"),
    # (data without a verb takes the action's: that one is a good press)
    *[(invoke_of(data), named) for data, named in BAD_DATA if isinstance(data, dict) and data],
]


async def _balance_unchanged(app_client: Client) -> None:
    service = app_client.app[SERVICE]
    assert (await service.account(HTTP_TENANT)).balance.minor == 0
    assert await service.payments(HTTP_TENANT) == []


@pytest.mark.parametrize(("value", "named"), INVOKE_VALUES)
async def test_a_garbage_invoke_is_200_with_a_card_saying_what_was_wrong(
    app_client: Client, connector: StubConnector, value: Any, named: str
) -> None:
    response = await app_client.post("/api/messages", json=raw_invoke(connector.url, value))
    assert response.status == 200, await response.text()
    answer = await response.json()
    assert answer["statusCode"] == 200
    refused(answer["value"], named)
    assert TURN_ERROR_MESSAGE not in connector.texts()
    await _balance_unchanged(app_client)


@pytest.mark.parametrize(("data", "named"), BAD_DATA)
async def test_a_garbage_submit_answers_a_card_saying_what_was_wrong(
    app_client: Client, connector: StubConnector, data: Any, named: str
) -> None:
    await post(app_client, personal_message(connector.url, "add $50 credits"))
    _, confirm_id = last_card(connector)
    await post(app_client, submit(connector.url, data, confirm_id))
    refused(last_card(connector)[0], named)
    assert TURN_ERROR_MESSAGE not in connector.texts()
    await _balance_unchanged(app_client)


async def test_an_older_page_of_history_still_works_over_http(
    app_client: Client, connector: StubConnector
) -> None:
    service = app_client.app[SERVICE]
    for n in range(12):
        await service.adjust(HTTP_TENANT, str(10 + n), ACTOR, f"entry {n}", f"k{n}")
    await post(app_client, personal_message(connector.url, "history"))
    first, _ = last_card(connector)
    data = button(first, verbs.HISTORY)
    older = await post(app_client, raw_invoke(connector.url, invoke_of(data)))
    assert "$10.00" in texts(older["value"])


def test_every_verb_the_cards_use_has_a_model() -> None:
    for verb in verbs.VERBS:
        assert not isinstance(parse_card_data({"verb": verb}), UnknownButton), verb
