"""A domain refusal raised by a service call inside a dialog turn is said as a sentence, the open
flow is forgotten, and there is no apology: in a dialog transcript, in `credits-bot chat` and
over HTTP. Four low-balance thresholds are refused by the intent parser at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from card_helpers import texts
from dialog_helpers import TENANT, card_of, chat, client
from helpers import TENANT as HTTP_TENANT
from helpers import ClientFactory, local_settings, personal_message, post
from structlog.testing import capture_logs
from stub_connector import StubConnector

from bot.adapter import TURN_ERROR_MESSAGE
from bot.app import create_app
from bot.appkeys import SERVICE
from credits.money import AmountLimits, currency
from credits.service import CreditsService
from dialogs.intents import Kind, parse_intent

Client = TestClient[web.Request, web.Application]
FOUR = "alert me when below $150 and $100 and $60 and $30"
AT_MOST = "at most 3"
USD = currency("USD")


def test_the_intent_parser_refuses_a_fourth_threshold() -> None:
    intent = parse_intent(FOUR, USD, AmountLimits())
    assert intent.kind is Kind.ALERT_THRESHOLDS and intent.thresholds == ()
    assert intent.error is not None and AT_MOST in intent.error
    assert "Nothing was changed" in intent.error
    three = parse_intent("alert me when below $150 and $100 and $60", USD, AmountLimits())
    assert three.error is None and len(three.thresholds) == 3


async def test_four_thresholds_in_a_transcript(service: CreditsService) -> None:
    reply = await client(service).send_activity(FOUR)
    assert AT_MOST in (reply.text or "")
    view = await service.account(TENANT)
    assert view.thresholds == ()


async def test_a_refusal_from_the_service_is_a_sentence_and_ends_the_flow(
    service: CreditsService,
) -> None:
    """The parser takes any positive trigger; the service refuses one over its maximum."""
    talk = client(service)
    await talk.send_activity("add credits")
    talk.get_next_reply()  # "How much ...?"
    with capture_logs() as logged:
        reply = await talk.send_activity("alert me when below $2000000")
    said = reply.text or ""
    assert "at most" in said and "Nothing was changed." in said
    assert "request refused" in [e["event"] for e in logged]
    assert not [e for e in logged if e["log_level"] in ("error", "critical")], logged
    after = await talk.send_activity("75")  # the add-funds flow is forgotten
    assert "didn't catch" in (after.text or "")
    assert (await service.account(TENANT)).thresholds == ()


async def test_a_refusal_at_the_start_of_a_turn_is_a_sentence(service: CreditsService) -> None:
    reply = await client(service).send_activity("alert me when below $2000000")
    assert "at most" in (reply.text or "") and "Nothing was changed." in (reply.text or "")
    balance = card_of(await client(service).send_activity("balance"))
    assert "$0.00" in texts(balance)


def test_four_thresholds_in_chat(tmp_path: Path) -> None:
    out = chat([FOUR, "alert me when below $2000000", "balance", "quit"], tmp_path / "c.db")
    assert AT_MOST in out
    assert "Traceback" not in out
    assert "Balance" in out


@pytest.fixture
async def app_client(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    return await aiohttp_client(create_app(local_settings(tmp_path)))


async def test_four_thresholds_over_http(app_client: Client, connector: StubConnector) -> None:
    with capture_logs() as logged:
        await post(app_client, personal_message(connector.url, FOUR))
        await post(app_client, personal_message(connector.url, "alert me when below $2000000"))
    assert not [e for e in logged if e["log_level"] in ("error", "critical")], logged
    said = connector.texts()
    assert TURN_ERROR_MESSAGE not in said
    assert AT_MOST in said[0]
    assert "at most" in said[1] and "Nothing was changed." in said[1]
    assert (await app_client.app[SERVICE].account(HTTP_TENANT)).thresholds == ()


def test_a_threshold_with_thousands_separators_is_one_amount() -> None:
    intent = parse_intent("alert me when below $1,500 and $200", USD, AmountLimits())
    assert [t.minor for t in intent.thresholds] == [150000, 20000]
