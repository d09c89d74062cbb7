"""Connector answers that are not JSON, through whole HTTP turns: a text/plain or HTML error page,
as a proxy, a gateway or a load balancer in front of the Bot Connector answers, is classified by
its status like the connector's own JSON errors (bot/sending.py `connector_error`): 403/404 are
gone, 429/5xx are retried in the turn and then kept for later.

msrest reads every answer by its content type before it looks at the status, so these came back
as a DeserializationError without a status: neither gone, nor retried, nor kept; the turn failed
and the apology was tried instead of the reply.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
from delivery_helpers import FakeTime, FlakyConnector, fake_time, flaky, start
from helpers import PERSONAL, ClientFactory, personal_message, scrape, value

from bot.appkeys import SERVICE

__all__ = ["fake_time", "flaky"]  # the fixtures, used here by name

NOT_FOUND_PAGE = ("404: Not Found", "text/plain")
GATEWAY_PAGE = ("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
BUSY_PAGE = ("Service Unavailable", "text/plain")


@pytest.mark.parametrize(
    ("status", "page"),
    [(404, NOT_FOUND_PAGE), (404, GATEWAY_PAGE), (403, GATEWAY_PAGE)],
    ids=["404-text", "404-html", "403-html"],
)
async def test_gone_answered_with_a_page_is_gone(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    flaky: FlakyConnector,
    fake_time: FakeTime,
    status: int,
    page: tuple[str, str],
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    flaky.fail_next(status, text=page[0], content_type=page[1])
    with structlog.testing.capture_logs() as logs:
        response = await client.post("/api/messages", json=personal_message(flaky.url, "help"))
    assert response.status == 201
    assert [c.status for c in flaky.calls] == [status]  # one attempt, no apology either
    assert fake_time.sleeps == []
    assert await client.app[SERVICE].list_replies() == []
    gone = [e for e in logs if e["event"] == "reply not delivered: the conversation is gone"]
    assert len(gone) == 1 and gone[0]["status"] == status
    samples = await scrape(client)
    assert value(samples, "credits_replies_total", result="gone") == 1


@pytest.mark.parametrize(
    ("status", "page"),
    [(502, GATEWAY_PAGE), (503, BUSY_PAGE), (429, BUSY_PAGE), (500, GATEWAY_PAGE)],
    ids=["502-html", "503-text", "429-text", "500-html"],
)
async def test_a_passing_trouble_answered_with_a_page_is_retried_and_posted_once(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    flaky: FlakyConnector,
    fake_time: FakeTime,
    status: int,
    page: tuple[str, str],
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    flaky.fail_next(status, text=page[0], content_type=page[1], headers={"Retry-After": "2"})
    response = await client.post("/api/messages", json=personal_message(flaky.url, "help"))
    assert response.status == 201
    assert [c.status for c in flaky.to(PERSONAL)] == [status, 201]
    assert flaky.calls[0].body == flaky.calls[1].body  # the same reply, posted once
    assert len(fake_time.sleeps) == 1 and fake_time.sleeps[0] >= 2.0  # Retry-After honoured
    assert await client.app[SERVICE].list_replies() == []


async def test_a_reply_answered_with_pages_all_the_turn_is_kept_for_later(
    aiohttp_client: ClientFactory, tmp_path: Path, flaky: FlakyConnector, fake_time: FakeTime
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    flaky.fail_next(503, times=50, text=GATEWAY_PAGE[0], content_type=GATEWAY_PAGE[1])
    response = await client.post("/api/messages", json=personal_message(flaky.url, "help"))
    assert response.status == 201
    attempts = flaky.to(PERSONAL)
    assert len(attempts) >= 2 and {c.status for c in attempts} == {503}  # retried in the turn
    [kept] = await client.app[SERVICE].list_replies()
    assert kept.status == "pending" and kept.conversation_id == PERSONAL
    assert kept.last_error == "HTTP 503"
    samples = await scrape(client)
    assert value(samples, "credits_replies_total", result="kept") == 1
