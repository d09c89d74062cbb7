"""bot/poster.py makes the requests botframework's ConnectorClient makes (method, URL with its
quoted ids, body bytes, headers), answers as it answers (a ResourceResponse, or the errors
bot/sending.py classifies: 429 with Retry-After, a connection refused, a timeout), on one pooled
session per adapter, with the Authorization header of the client's own credentials in
authenticated mode (a token from a local MSAL token endpoint, fetched off the event loop)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msal
import pytest
import requests
from aiohttp import web
from azure.core.exceptions import DeserializationError
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from delivery_helpers import FakeTime, FlakyConnector, fake_time, flaky, start
from fake_graph import FakeGraph
from helpers import PERSONAL, ClientFactory, personal_message
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.adapter import single_attempt
from bot.appkeys import ADAPTER, SERVICE
from bot.poster import ConnectorPoster
from bot.sending import Outcome, Retrier, RetryPolicy, connector_error, retry_after, status_of

__all__ = ["fake_time", "flaky"]  # the fixtures, used here by name

ODD_ID = "a:x y?z#w&v=1+2/{0}%7B;messageid=1"


@dataclass
class Seen:
    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """A connector that records each request as it arrived and answers as told."""

    seen: list[Seen] = field(default_factory=list)
    answers: list[web.Response] = field(default_factory=list)
    delay: float = 0.0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.seen.append(Seen(request.method, request.raw_path, headers, await request.read()))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.answers:
            return self.answers.pop(0)
        return web.json_response({"id": "posted-1"}, status=201)


@pytest.fixture
async def recorder(aiohttp_server: Any) -> Recorder:
    recorder = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    server = await aiohttp_server(app)
    recorder.url = str(server.make_url("/amer/"))  # a service URL with a path, as Teams'
    return recorder


@pytest.fixture
async def poster() -> AsyncIterator[ConnectorPoster]:
    made = ConnectorPoster()
    yield made
    await made.close()


OPENED: list[Any] = []  # msrest clients and requests sessions a test made, closed after it


@pytest.fixture(autouse=True)
async def close_opened() -> AsyncIterator[None]:
    yield
    while OPENED:
        opened = OPENED.pop()
        if isinstance(opened, requests.Session):
            opened.close()
        else:
            await opened.__aexit__(None, None, None)


async def connector_client(url: str, credentials: Any = None) -> Any:
    """botframework's client, as the connector factory builds it (bot/adapter.py's cache)."""
    client = ConnectorClient(credentials or MicrosoftAppCredentials("", ""), base_url=url)
    client.config.add_user_agent("Microsoft-BotFramework/3.1 (BotBuilder Python/4.17.1)")
    OPENED.append(client)
    return single_attempt(client)


def reply(reply_to: str | None = "1:" + ODD_ID) -> Activity:
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "Số dư: $1,000.50 “ok”", "size": "ExtraLarge"}],
        "actions": [{"type": "Action.Execute", "verb": "add_funds", "data": {"n": 1.5}}],
    }
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.conversation = ConversationAccount(id=ODD_ID, conversation_type="personal")
    activity.from_property = ChannelAccount(id="28:bot", name="Bot")
    activity.recipient = ChannelAccount(id="29:alex", aad_object_id="aad")
    activity.reply_to_id = reply_to
    activity.timestamp = datetime(2026, 11, 24, 3, 21, 10, 538000, tzinfo=UTC)
    activity.locale = "vi-VN"
    return activity


SAME_HEADERS = ("content-type", "accept", "user-agent", "x-ms-conversation-id", "authorization")


def alike(ours: Seen, theirs: Seen) -> None:
    assert (ours.method, ours.raw_path, ours.body) == (theirs.method, theirs.raw_path, theirs.body)
    for name in SAME_HEADERS:
        assert ours.headers.get(name) == theirs.headers.get(name), name


# --------------------------------------------------------------------------- the requests


@pytest.mark.parametrize("reply_to", ["1:" + ODD_ID, None])
async def test_a_post_is_the_request_botframework_makes(
    recorder: Recorder, poster: ConnectorPoster, reply_to: str | None
) -> None:
    client = await connector_client(recorder.url)
    try:
        if reply_to:
            theirs = await client.conversations.reply_to_activity(ODD_ID, reply_to, reply())
        else:
            theirs = await client.conversations.send_to_conversation(ODD_ID, reply(None))
        ours = await poster.send(client, reply(reply_to))
    finally:
        await client.__aexit__(None, None, None)
    assert ours == theirs and ours is not None and ours.id == "posted-1"
    msrest, sent = recorder.seen
    alike(sent, msrest)
    assert sent.raw_path.startswith("/amer/v3/conversations/a%3Ax%20y%3Fz%23w%26v%3D1%2B2%2F")
    assert sent.headers["content-type"] == "application/json; charset=utf-8"
    assert "authorization" not in sent.headers  # no app id: unauthenticated, as botbuilder


async def test_an_update_is_the_put_botframework_makes(
    recorder: Recorder, poster: ConnectorPoster
) -> None:
    client = await connector_client(recorder.url)

    def card() -> Activity:
        activity = reply(None)
        activity.id = "1:" + ODD_ID
        return activity

    try:
        theirs = await client.conversations.update_activity(ODD_ID, card().id, card())
        ours = await poster.update(client, card())
    finally:
        await client.__aexit__(None, None, None)
    assert ours == theirs
    msrest, sent = recorder.seen
    alike(sent, msrest)
    assert sent.method == "PUT" and sent.raw_path.endswith(
        "/activities/1%3Aa%3Ax%20y%3Fz%23w%26v%3D1%2B2%2F%7B0%7D%257B%3Bmessageid%3D1"
    )


async def test_an_empty_answer_is_no_resource(recorder: Recorder, poster: ConnectorPoster) -> None:
    recorder.answers = [web.Response(status=200), web.json_response({"id": 5}, status=202)]
    client = await connector_client(recorder.url)
    assert await poster.send(client, reply()) is None  # the adapter answers ResourceResponse("")
    response = await poster.send(client, reply())
    assert response is not None and response.id == "5"  # msrest reads a number as "5"


async def test_a_missing_id_is_refused_before_any_request(
    recorder: Recorder, poster: ConnectorPoster
) -> None:
    client = await connector_client(recorder.url)
    card = reply(None)
    card.conversation.id = None
    with pytest.raises(Exception) as ours:
        await poster.send(client, card)
    with pytest.raises(Exception) as theirs:
        await client.conversations.send_to_conversation(None, card)
    assert type(ours.value) is type(theirs.value)
    assert recorder.seen == []


# --------------------------------------------------------------------------- the answers


async def both(recorder: Recorder, poster: ConnectorPoster, make: Any) -> tuple[Any, Any]:
    """The errors botframework's client and the poster raise for the same answer."""
    client = await connector_client(recorder.url)
    recorder.answers = [make(), make()]
    errors: list[Any] = []
    for call in (
        lambda: client.conversations.reply_to_activity(ODD_ID, "1", reply("1")),
        lambda: poster.send(client, reply("1")),
    ):
        try:
            await call()
        except DeserializationError as error:  # msrest could not read it: as sending.py reads it
            errors.append(connector_error(error) or error)
        except Exception as error:
            errors.append(error)
    await client.__aexit__(None, None, None)
    return errors[0], errors[1]


async def test_429_with_retry_after_is_raised_as_botframework_raises_it(
    recorder: Recorder, poster: ConnectorPoster
) -> None:
    theirs, ours = await both(
        recorder,
        poster,
        lambda: web.json_response(
            {"error": {"code": "Throttled", "message": "Slow down"}},
            status=429,
            headers={"Retry-After": "3"},
        ),
    )
    assert type(ours) is type(theirs) and str(ours) == str(theirs) == "(Throttled) Slow down"
    assert status_of(ours) == status_of(theirs) == 429
    now = datetime.now(UTC)
    assert retry_after(ours, now) == retry_after(theirs, now) == 3.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html"),
        lambda: web.json_response({"error": {"code": "BadArgument"}}, status=400),
        lambda: web.Response(status=503, text="down", headers={"Retry-After": "1"}),
        lambda: web.Response(status=201, text="not json", content_type="text/plain"),
        lambda: web.Response(status=204),
    ],
)
async def test_other_answers_are_classified_as_before(
    recorder: Recorder, poster: ConnectorPoster, make: Any
) -> None:
    theirs, ours = await both(recorder, poster, make)
    assert isinstance(ours, HttpOperationError) and isinstance(theirs, HttpOperationError)
    assert status_of(ours) == status_of(theirs) is not None
    now = datetime.now(UTC)
    assert retry_after(ours, now) == retry_after(theirs, now)


async def test_a_connection_refused_is_transient(poster: ConnectorPoster) -> None:
    with socket_closed() as url:
        client = await connector_client(url)
        time = FakeTime()
        retrier = Retrier(clock=time, sleep=time.sleep)
        posted = await retrier.post(
            lambda: poster.send(client, reply()), RetryPolicy(max_attempts=3)
        )
    assert isinstance(posted.exception, ClientRequestError)
    assert posted.outcome is Outcome.FAILED and posted.attempts == 3 and len(time.sleeps) == 2


async def test_a_timeout_is_transient_and_ends_the_attempt(recorder: Recorder) -> None:
    recorder.delay = 1.0
    poster = ConnectorPoster(timeout=0.2)
    client = await connector_client(recorder.url)
    try:
        with pytest.raises(ClientRequestError):
            await poster.send(client, reply())
    finally:
        await poster.close()


@contextlib.contextmanager
def socket_closed() -> Iterator[str]:
    """A local URL nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}/"


# --------------------------------------------------------------------------- through turns


async def test_a_turn_reply_answered_429_is_retried_after_retry_after_on_the_pooled_session(
    aiohttp_client: ClientFactory, tmp_path: Path, flaky: FlakyConnector, fake_time: FakeTime
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    flaky.fail_next(429, headers={"Retry-After": "2"})
    response = await client.post("/api/messages", json=personal_message(flaky.url, "help"))
    assert response.status == 201
    assert [c.status for c in flaky.to(PERSONAL)] == [429, 201]
    assert fake_time.sleeps and fake_time.sleeps[0] >= 2.0
    poster = client.app[ADAPTER].poster
    session = poster._session
    assert session is not None and not session.closed  # the replies went through the poster
    await client.post("/api/messages", json=personal_message(flaky.url, "help"))
    assert poster._session is session  # one session for every turn
    await client.close()
    assert session.closed  # closed with the adapter, when the app stops


async def test_a_turn_reply_that_cannot_connect_is_retried_then_kept(
    aiohttp_client: ClientFactory, tmp_path: Path, fake_time: FakeTime
) -> None:
    client = await start(aiohttp_client, tmp_path, fake_time)
    with socket_closed() as url:
        response = await client.post("/api/messages", json=personal_message(url, "help"))
    assert response.status == 201
    [kept] = await client.app[SERVICE].list_replies()
    assert "ClientRequestError" in (kept.last_error or "") and len(fake_time.sleeps) >= 1


# --------------------------------------------------------------------------- authenticated


@pytest.fixture
async def entra() -> AsyncIterator[FakeGraph]:
    async with FakeGraph(client_id="bot-app-id", secret="bot-secret") as graph:
        graph.consent("botframework.com")
        yield graph


class Verifying(requests.Session):
    """requests trusting ``bundle`` (on each request: REQUESTS_CA_BUNDLE would override it)."""

    def __init__(self, bundle: str) -> None:
        super().__init__()
        self.bundle = bundle

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("verify", self.bundle)
        return super().request(*args, **kwargs)


async def app_credentials(graph: FakeGraph) -> MicrosoftAppCredentials:
    """botframework's credentials for the bot, its MSAL app aimed at the local token endpoint."""
    credentials = MicrosoftAppCredentials(
        "bot-app-id", "bot-secret", "botframework.com", oauth_scope=graph.authority_url
    )
    http = Verifying(str(graph.ca_bundle))
    OPENED.append(http)

    def build() -> Any:  # MSAL reads the tenant's OpenID configuration: not on the loop
        return msal.ConfidentialClientApplication(
            "bot-app-id",
            client_credential="bot-secret",
            authority=f"{graph.authority_url}/botframework.com",
            instance_discovery=False,
            http_client=http,
        )

    credentials.app = await asyncio.to_thread(build)
    return credentials


async def test_the_authorization_header_is_botframeworks_token_fetched_off_the_loop(
    recorder: Recorder, entra: FakeGraph
) -> None:
    credentials = await app_credentials(entra)
    threads: list[threading.Thread] = []
    fetch = credentials.get_access_token

    def counted(force_refresh: bool = False) -> str:
        threads.append(threading.current_thread())
        return fetch(force_refresh)

    credentials.get_access_token = counted  # type: ignore[method-assign]
    clock = FakeTime()
    poster = ConnectorPoster(clock=clock)
    client = await connector_client(recorder.url, credentials)
    try:
        await poster.send(client, reply())
        await poster.send(client, reply())
        clock.now += 241  # past TOKEN_SECONDS: MSAL is asked again, and answers from memory
        await poster.send(client, reply())
    finally:
        await poster.close()
    tokens = {seen.headers["authorization"] for seen in recorder.seen}
    [token] = tokens
    assert token.startswith("Bearer ") and len(token) > 20
    assert poster.tokens.fetched == 2 and len(threads) == 2
    assert all(thread is not threading.main_thread() for thread in threads)
    assert len(entra.requests("/token")) == 1  # MSAL's own cache answered the second time
    # botframework's client sends the same header for the same credentials (MSAL's cache)
    theirs = await asyncio.to_thread(credentials.signed_session, requests.Session())
    assert theirs.headers["Authorization"] == token


async def test_a_401_forgets_the_kept_token(recorder: Recorder, entra: FakeGraph) -> None:
    credentials = await app_credentials(entra)
    poster = ConnectorPoster()
    client = await connector_client(recorder.url, credentials)
    recorder.answers = [web.json_response({"error": {"code": "Unauthorized"}}, status=401)]
    try:
        with pytest.raises(HttpOperationError):
            await poster.send(client, reply())
        await poster.send(client, reply())
    finally:
        await poster.close()
    assert poster.tokens.fetched == 2
