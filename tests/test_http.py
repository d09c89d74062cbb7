"""Whole HTTP turns against the aiohttp app: the edge checks of /api/messages, a Teams-shaped
message whose reply lands at a stub connector (the activity's serviceUrl), connector reuse, the
turn error path, and the `serve` command's refusal to expose an unauthenticated bot."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import AuthenticationConstants, ChannelValidation
from helpers import (
    ALEX,
    BOT_ACCOUNT,
    PERSONAL,
    TENANT,
    Client,
    ClientFactory,
    card_invoke,
    local_settings,
    personal_message,
)
from stub_connector import StubConnector

import bot.logging as bot_logging
import bot.serve as bot_serve
from bot import cli
from bot.adapter import TURN_ERROR_MESSAGE
from bot.app import bearer_problem, create_app
from bot.appkeys import ADAPTER, BOT, SERVICE, SETTINGS, STORAGE


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    """The bot in local (unauthenticated) mode on a SQLite file."""
    return await aiohttp_client(create_app(local_settings(tmp_path)))


@pytest.fixture
async def secured(aiohttp_client: ClientFactory, tmp_path: Path) -> Client:
    """The bot with an app id: every request needs a valid Bot Framework token."""
    return await aiohttp_client(
        create_app(local_settings(tmp_path, app_id="some-id", app_password="x"))
    )


class TurnSpy:
    def __init__(self) -> None:
        self.turns = 0
        self.log_context: list[dict[str, Any]] = []

    async def __call__(self, turn_context: Any) -> None:
        self.turns += 1
        self.log_context.append(structlog.contextvars.get_contextvars())


@pytest.fixture
def turn_spy(monkeypatch: pytest.MonkeyPatch) -> Callable[[Client], TurnSpy]:
    def install(client: Client) -> TurnSpy:
        spy = TurnSpy()
        monkeypatch.setattr(client.app[BOT], "on_turn", spy)
        return spy

    return install


# ---------------------------------------------------------------------- composition


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_the_app_exposes_its_parts(client: Client, tmp_path: Path) -> None:
    app = client.app
    assert app[SETTINGS].local_mode
    assert app[BOT].service is app[SERVICE]
    assert app[STORAGE].db is app[SERVICE].db
    assert await app[SERVICE].db.current_revision() is not None  # migrated on start-up
    assert app[ADAPTER].on_turn_error is not None


def test_nothing_is_opened_before_start_up(tmp_path: Path) -> None:
    app = create_app(local_settings(tmp_path))
    assert SERVICE not in app and BOT not in app
    assert not (tmp_path / "c.db").exists()


def test_inconsistent_credentials_fail_at_once(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="MicrosoftAppPassword"):
        create_app(local_settings(tmp_path, app_id="some-id"))
    with pytest.raises(ValueError, match="MicrosoftAppTenantId"):
        create_app(local_settings(tmp_path, app_id="id", app_password="x", app_type="SingleTenant"))


# ---------------------------------------------------------------------- the edge


async def test_a_body_over_one_mib_is_refused(
    client: Client, connector: StubConnector, turn_spy: Callable[[Client], TurnSpy]
) -> None:
    spy = turn_spy(client)
    big = json.dumps(personal_message(connector.url, text="x" * (2 * 1024 * 1024))).encode()
    response = await client.post(
        "/api/messages", data=io.BytesIO(big), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert "error" in await response.json()

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the read itself is bounded
        for _ in range(40):
            yield b" " * 65536

    response = await client.post("/api/messages", data=chunks())
    assert response.status == 413
    assert spy.turns == 0 and connector.calls == []


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"type": "message", ', "not JSON"),
        (b"\xff\xfe not utf-8", "not JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b'"message"', "JSON object"),
        (b'{"text": "no type"}', "no type"),
        (b'{"type": ""}', "no type"),
        (b'{"type": "message", "timestamp": "yesterday"}', "not a valid activity"),
    ],
)
async def test_malformed_bodies_are_400(
    client: Client,
    connector: StubConnector,
    turn_spy: Callable[[Client], TurnSpy],
    body: bytes,
    why: str,
) -> None:
    spy = turn_spy(client)
    response = await client.post(
        "/api/messages", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert why in (await response.json())["error"]
    assert spy.turns == 0 and connector.calls == []


def _jwt(header: dict[str, Any], claims: dict[str, Any], signature: str = "c2ln") -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}.{signature}"


UNSIGNED = _jwt({"alg": "none", "typ": "JWT"}, {"iss": "https://api.botframework.com"}, "")
NOT_ISSUED_BY_BOT_FRAMEWORK = _jwt(
    {"alg": "RS256", "typ": "JWT", "kid": "k1"},
    {"iss": "https://evil.example", "aud": "some-id", "serviceurl": "http://x"},
)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer garbage",
        "Basic abc",
        "Bearer",
        "Bearer a.b.c",
        f"Bearer {UNSIGNED}",
        f"Bearer {_jwt({'alg': 'HS256'}, {'iss': 'https://api.botframework.com'})}",
        f"Bearer {_jwt({'alg': 'RS256'}, {'aud': 'some-id'})}",  # no issuer: KeyError in 4.17.1
        f"Bearer {NOT_ISSUED_BY_BOT_FRAMEWORK}",
    ],
    ids=[
        "missing",
        "empty",
        "garbage",
        "basic",
        "no-token",
        "not-base64-json",
        "unsigned",
        "hmac",
        "no-issuer",
        "foreign-issuer",
    ],
)
async def test_authentication_failures_are_401_and_run_no_turn(
    secured: Client,
    connector: StubConnector,
    turn_spy: Callable[[Client], TurnSpy],
    authorization: str | None,
) -> None:
    spy = turn_spy(secured)
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await secured.post(
        "/api/messages", json=personal_message(connector.url), headers=headers
    )
    assert response.status == 401
    assert await response.json() == {"error": "Unauthorized."}
    assert spy.turns == 0 and connector.calls == []


class MetadataServer:
    """A Bot Framework OpenID metadata and JWKS server in a thread of its own (so a blocking
    fetch on the bot's event loop would still reach it), which holds every answer until the
    test releases it (or `hold` seconds pass) and records when it answered."""

    def __init__(self, events: list[str], hold: float = 5.0) -> None:
        self.release = threading.Event()
        self.asked = threading.Event()
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                server.asked.set()
                server.release.wait(hold)
                port = self.server.server_address[1]
                body = {"jwks_uri": f"http://127.0.0.1:{port}/keys", "keys": []}
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                events.append(f"metadata answered {self.path}")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/openidconfiguration"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> MetadataServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def channel_token(kid: str = "k1") -> str:
    """Shaped like a Bot Framework channel token (right issuer, RS256, a key id); its signature
    is never reached unless the signing keys are."""
    claims = {"iss": "https://api.botframework.com", "aud": "some-id", "serviceurl": "http://x"}
    return _jwt({"alg": "RS256", "typ": "JWT", "kid": kid}, claims)


@pytest.fixture
def metadata(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MetadataServer, list[str]]]:
    events: list[str] = []
    with MetadataServer(events) as server:
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", server.url)
        monkeypatch.setattr(
            AuthenticationConstants, "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL", server.url
        )
        yield server, events


async def test_fetching_signing_keys_does_not_stall_the_event_loop(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    connector: StubConnector,
    metadata: tuple[MetadataServer, list[str]],
) -> None:
    """botframework 4.17.1 fetches the keys with a blocking requests.get on the event loop: the
    health check would wait for the key server. Here it answers while the fetch is held."""
    server, events = metadata
    settings = local_settings(tmp_path, app_id="some-id", app_password="x")
    bot = await aiohttp_client(create_app(settings))
    post = asyncio.create_task(
        bot.post(
            "/api/messages",
            json=personal_message(connector.url),
            headers={"Authorization": f"Bearer {channel_token()}"},
        )
    )
    assert await asyncio.to_thread(server.asked.wait, 10)  # the bot is fetching the keys
    health = await bot.get("/healthz")
    events.append(f"healthz {health.status}")
    server.release.set()
    response = await post
    assert events[0] == "healthz 200", events  # answered while the key fetch was held
    assert "metadata answered /openidconfiguration" in events
    assert response.status == 401  # the keys came, but none has this key id
    assert connector.calls == []


async def test_a_key_server_that_does_not_answer_gives_503_not_a_hang(
    aiohttp_client: ClientFactory,
    tmp_path: Path,
    connector: StubConnector,
    metadata: tuple[MetadataServer, list[str]],
) -> None:
    server, events = metadata
    settings = local_settings(
        tmp_path, app_id="some-id", app_password="x", signing_keys_timeout_seconds=0.3
    )
    bot = await aiohttp_client(create_app(settings))
    response = await bot.post(
        "/api/messages",
        json=personal_message(connector.url),
        headers={"Authorization": f"Bearer {channel_token()}"},
    )
    events.append(f"bot answered {response.status}")
    assert response.status == 503
    assert response.headers["Retry-After"] == "5"
    assert events == ["bot answered 503"], events  # before the key server ever answered
    assert server.requests == 1 and connector.calls == []


def test_bearer_shape() -> None:
    assert bearer_problem("") == "no Authorization header"
    assert bearer_problem(f"Bearer {UNSIGNED}") == "token is not a signed JWT"
    assert bearer_problem(f"Bearer {NOT_ISSUED_BY_BOT_FRAMEWORK}") is None


async def test_local_mode_ignores_authorization_headers(
    client: Client, connector: StubConnector, turn_spy: Callable[[Client], TurnSpy]
) -> None:
    spy = turn_spy(client)
    response = await client.post(
        "/api/messages",
        json=personal_message(connector.url),
        headers={"Authorization": "Bearer garbage"},
    )
    assert response.status == 201
    assert spy.turns == 1


# ---------------------------------------------------------------------- turns


async def test_a_personal_message_reaches_the_bot_and_the_reply_lands_at_the_connector(
    client: Client, connector: StubConnector
) -> None:
    message = personal_message(connector.url, text="help")
    response = await client.post("/api/messages", json=message)
    assert response.status == 201
    assert connector.sent, "the bot sent nothing"
    call = next(c for c in connector.calls if c.kind in ("send", "reply"))
    assert call.conversation_id == PERSONAL
    reply = call.body
    assert reply["conversation"]["id"] == PERSONAL
    assert reply["recipient"]["id"] == ALEX["id"]
    assert reply["from"]["id"] == BOT_ACCOUNT["id"]
    assert reply.get("text") or reply.get("attachments")
    assert call.authorization is None  # unauthenticated: no token sent to the channel


async def test_a_turn_binds_its_ids_to_the_log_context(
    client: Client, connector: StubConnector, turn_spy: Callable[[Client], TurnSpy]
) -> None:
    spy = turn_spy(client)
    message = personal_message(connector.url)
    await client.post("/api/messages", json=message)
    channel = personal_message(
        connector.url, conversation={"id": "19:c@thread.tacv2", "tenantId": "from-conversation"}
    )
    del channel["channelData"]
    await client.post("/api/messages", json=channel)
    assert spy.log_context == [
        {"tenant_id": TENANT, "conversation_id": PERSONAL, "activity_id": message["id"]},
        {
            "tenant_id": "from-conversation",
            "conversation_id": "19:c@thread.tacv2",
            "activity_id": channel["id"],
        },
    ]


async def test_connector_clients_are_built_once_per_service_url(
    client: Client,
    connector: StubConnector,
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    cache = client.app[ADAPTER].connectors
    for _ in range(2):
        response = await client.post("/api/messages", json=personal_message(connector.url))
        assert response.status == 201
    assert len(connector.sent) >= 2
    assert cache.built == 1 and len(cache) == 1
    (key,) = cache.keys()
    assert key[1] == connector.url

    other = await StubConnector.serve(aiohttp_server)
    await client.post("/api/messages", json=personal_message(other.url))
    assert other.sent
    assert cache.built == 2 and len(cache) == 2


async def test_a_failing_turn_tells_the_user_one_neutral_sentence(
    client: Client, connector: StubConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(turn_context: Any) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(client.app[BOT], "on_turn", broken)
    response = await client.post("/api/messages", json=personal_message(connector.url))
    assert response.status == 201
    assert "hunter2" not in await response.text()
    assert connector.texts() == [TURN_ERROR_MESSAGE]

    response = await client.post("/api/messages", json=card_invoke(connector.url))
    assert response.status == 500
    assert await response.json() == {"error": TURN_ERROR_MESSAGE}
    assert connector.texts() == [TURN_ERROR_MESSAGE, TURN_ERROR_MESSAGE]


async def test_no_apology_when_the_channel_itself_refused(
    client: Client, connector: StubConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def speak(turn_context: TurnContext) -> None:
        await turn_context.send_activity("hello")

    monkeypatch.setattr(client.app[BOT], "on_turn", speak)
    connector.fail_next(403)  # the bot was removed from the conversation
    response = await client.post("/api/messages", json=personal_message(connector.url))
    assert response.status == 201
    assert [(call.status, call.body["text"]) for call in connector.calls] == [(403, "hello")]
    assert connector.sent == []


async def test_a_failure_outside_the_bot_is_a_short_500(
    client: Client, connector: StubConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(client.app[ADAPTER], "process_activity", broken)
    response = await client.post("/api/messages", json=personal_message(connector.url))
    assert response.status == 500
    assert await response.json() == {"error": "Internal error."}


async def test_an_invoke_answers_with_the_bots_plain_dict(
    client: Client, connector: StubConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []}

    async def answer(turn_context: TurnContext) -> None:
        body = {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card}
        await turn_context.send_activity(
            Activity(
                type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body)
            )
        )

    monkeypatch.setattr(client.app[BOT], "on_turn", answer)
    response = await client.post("/api/messages", json=card_invoke(connector.url))
    assert response.status == 200
    assert (await response.json())["value"] == card
    assert connector.calls == []


# ---------------------------------------------------------------------- serve


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert bot_serve.is_loopback(host) is loopback


@pytest.fixture
def serve_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """`credits-bot serve` in an empty folder and environment, without a real server."""
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "app_id"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREDITS_DATABASE_URL", f"sqlite:///{tmp_path}/serve.db")
    monkeypatch.setattr(bot_serve, "configure_logging", lambda: None)
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(
        bot_serve, "run_bot", lambda app, **kwargs: runs.append({"app": app, **kwargs})
    )
    return runs


def test_serve_refuses_an_unauthenticated_public_address(
    serve_env: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert "MicrosoftAppId is not set" in error and "--host 127.0.0.1" in error
    assert serve_env == []


def test_serve_locally_says_first_that_it_is_unauthenticated(
    serve_env: list[dict[str, Any]],
) -> None:
    with structlog.testing.capture_logs() as logs:
        assert cli.main(["serve"]) == 0
    assert "UNAUTHENTICATED" in logs[0]["event"] and logs[0]["log_level"] == "warning"
    (run,) = serve_env
    assert (run["host"], run["port"]) == ("127.0.0.1", 3978)


def test_serve_with_an_app_id_listens_anywhere(
    serve_env: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MicrosoftAppId", "some-id")
    monkeypatch.setenv("MicrosoftAppPassword", "x")
    with structlog.testing.capture_logs() as logs:
        assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8080"]) == 0
    assert not any("UNAUTHENTICATED" in entry["event"] for entry in logs)
    (run,) = serve_env
    assert (run["host"], run["port"]) == ("0.0.0.0", 8080)
    assert not run["app"][SETTINGS].local_mode


# ---------------------------------------------------------------------- logging


@pytest.fixture
def fresh_logging(monkeypatch: pytest.MonkeyPatch) -> Any:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setattr(bot_logging, "_configured", False)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_logging_is_json_with_the_turn_context(
    fresh_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    bot_logging.configure_logging(json=True)
    bot_logging.configure_logging(json=False)  # configured once: ignored
    with structlog.contextvars.bound_contextvars(tenant_id="t1", conversation_id="c1"):
        structlog.get_logger("test").info("hello", n=1)
        logging.getLogger("aiohttp.access").info("GET /healthz")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["event"] == "hello" and lines[0]["tenant_id"] == "t1" and lines[0]["n"] == 1
    assert lines[1]["event"] == "GET /healthz" and lines[1]["conversation_id"] == "c1"
    assert all(line["level"] == "info" and "timestamp" in line for line in lines)


@pytest.mark.parametrize("authorization", [None, "Bearer junk", "Bearer a.b.c"])
@pytest.mark.parametrize(
    "body",
    [
        {"type": "message", "text": "balance"},  # what scripts/container-check.sh posts
        {"type": "message", "text": "balance", "conversation": {"id": "a\u0000b"}},
    ],
)
async def test_without_a_valid_token_an_incomplete_activity_is_401_not_400(
    secured: Client, authorization: str | None, body: dict[str, Any]
) -> None:
    """The field rules of the edge (400) are for authenticated callers only: without a valid
    token the answer is 401 and says nothing of them."""
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await secured.post("/api/messages", json=body, headers=headers)
    assert response.status == 401
    assert await response.json() == {"error": "Unauthorized."}
