"""The web server `credits-bot serve` runs, on a real port, driven with a raw socket: request
headers too big for aiohttp's defaults. A token up to the bot's own limit reaches the bot and gets
its JSON 401; a bigger header gets a JSON 431 from the server, which echoes nothing of it and
logs no error or traceback."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web
from helpers import local_settings, personal_message

import bot.logging as bot_logging
from bot.app import create_app
from bot.http import bot_runner

SECRET = b"SeCrEtToKeNbYtEs"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert self.headers.get("content-type", "").startswith("application/json"), self
        return json.loads(self.body)


async def raw_post(port: int, headers: dict[str, str | bytes], body: bytes) -> Answer:
    """One HTTP/1.1 request over a plain socket, read to the end (the server closes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [b"POST /api/messages HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    lines += [b"Content-Type: application/json", f"Content-Length: {len(body)}".encode()]
    for name, value in headers.items():
        lines.append(
            name.encode() + b": " + (value if isinstance(value, bytes) else value.encode())
        )
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    answer_headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        answer_headers[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split()[1]), answer_headers, payload)


class JsonLogs:
    """The host's logging as `serve` configures it (JSON lines on stderr), read back."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def start(self) -> None:
        bot_logging.configure_logging(json=True)  # in the test: its stderr is the captured one
        self.capsys.readouterr()

    def read(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.capsys.readouterr().err.splitlines() if line]


@pytest.fixture
def json_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[JsonLogs]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setattr(bot_logging, "_configured", False)
    yield JsonLogs(capsys)
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture
async def port(tmp_path: Path) -> AsyncIterator[int]:
    """The authenticated bot behind the server `serve` runs, on a free local port."""
    app = create_app(local_settings(tmp_path, app_id="some-id", app_password="x"))
    runner = bot_runner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


def bearer(size: int) -> bytes:
    """An Authorization value of `size` bytes."""
    token = (SECRET * (size // len(SECRET) + 1))[: size - len(b"Bearer ")]
    return b"Bearer " + token


def _no_error_logged(logs: list[dict[str, Any]]) -> None:
    for entry in logs:
        assert entry.get("level") not in ("error", "critical", "exception"), entry
        assert "exception" not in entry and "exc_info" not in entry, entry
        assert SECRET.decode() not in json.dumps(entry), entry


async def test_a_20_kb_token_reaches_the_bot_and_gets_its_json_401(
    port: int, json_logs: JsonLogs
) -> None:
    json_logs.start()
    body = json.dumps(personal_message("http://127.0.0.1:1")).encode()
    answer = await raw_post(port, {"Authorization": bearer(20 * 1024)}, body)
    assert answer.status == 401
    assert answer.json() == {"error": "Unauthorized."}
    assert SECRET not in answer.body
    logs = json_logs.read()
    assert any(e.get("reason") == "token too long" for e in logs), logs
    _no_error_logged(logs)


@pytest.mark.parametrize("size", [40 * 1024, 100 * 1024])
async def test_a_bigger_header_gets_a_json_431_that_echoes_nothing(
    port: int, json_logs: JsonLogs, size: int
) -> None:
    json_logs.start()
    body = json.dumps(personal_message("http://127.0.0.1:1")).encode()
    for name in ("Authorization", "X-Anything"):
        answer = await raw_post(port, {name: bearer(size)}, body)
        assert answer.status == 431
        error = answer.json()["error"]
        assert "header" in error and "bytes" in error
        assert SECRET not in answer.body and b"Bearer" not in answer.body
    logs = json_logs.read()
    refused = [e for e in logs if e.get("event") == "request refused"]
    assert [(e["status"], e["level"]) for e in refused] == [(431, "warning")] * 2, logs
    _no_error_logged(logs)


async def test_a_malformed_header_gets_a_json_400_that_echoes_nothing(
    port: int, json_logs: JsonLogs
) -> None:
    json_logs.start()
    body = json.dumps(personal_message("http://127.0.0.1:1")).encode()
    answer = await raw_post(port, {"X-" + SECRET.decode() + "\x01": "value"}, body)
    assert answer.status == 400
    assert answer.json() == {"error": "The request is not valid HTTP/1.1."}
    assert SECRET not in answer.body
    logs = json_logs.read()
    assert any(e.get("status") == 400 and e["level"] == "info" for e in logs), logs
    _no_error_logged(logs)


async def test_the_server_still_answers_afterwards(port: int, json_logs: JsonLogs) -> None:
    json_logs.start()
    body = json.dumps(personal_message("http://127.0.0.1:1")).encode()
    await raw_post(port, {"Authorization": bearer(100 * 1024)}, body)
    answer = await raw_post(port, {}, body)
    assert answer.status == 401 and answer.json() == {"error": "Unauthorized."}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
async def test_credits_bot_serve_runs_this_server(tmp_path: Path) -> None:
    """The real command, in a process of its own: the same answers, and a clean stop."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITS_", "Microsoft"))}
    env.update(
        MicrosoftAppId="some-id",
        MicrosoftAppPassword="x",
        CREDITS_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        CREDITS_WORKERS="false",
    )
    serve = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--port", str(port),
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(600):  # until it listens (at most a minute)
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            break
        body = json.dumps(personal_message("http://127.0.0.1:1")).encode()
        answer = await raw_post(port, {"Authorization": bearer(20 * 1024)}, body)
        assert answer.status == 401 and answer.json() == {"error": "Unauthorized."}
        answer = await raw_post(port, {"Authorization": bearer(100 * 1024)}, body)
        assert answer.status == 431 and SECRET not in answer.body
    finally:
        serve.send_signal(signal.SIGTERM)
        _, stderr = await serve.communicate()
    assert serve.returncode == 0
    logs = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    assert "Traceback" not in stderr.decode()
    assert any(e.get("status") == 431 and e["level"] == "warning" for e in logs), logs
    _no_error_logged(logs)


async def _served(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = bot_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def test_the_access_log_is_per_turn_detail_at_debug(json_logs: JsonLogs) -> None:
    """A line per request is debug (turns are counted in /metrics); a 5xx stays a warning."""

    async def fine(request: web.Request) -> web.Response:
        return web.Response(status=201)

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=503)

    app = web.Application()
    app.router.add_post("/api/messages", fine)
    app.router.add_post("/broken", broken)
    runner, port = await _served(app)
    try:
        json_logs.start()
        assert (await raw_post(port, {}, b"{}")).status == 201
        logs = json_logs.read()
        assert not [e for e in logs if e.get("logger") == "aiohttp.access"], logs
        logging.getLogger().setLevel(logging.DEBUG)
        await raw_post(port, {}, b"{}")
        lines = [e for e in json_logs.read() if e.get("logger") == "aiohttp.access"]
        assert [e["level"] for e in lines] == ["debug"] and "POST /api/messages" in str(lines)
        logging.getLogger().setLevel(logging.INFO)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /broken HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await reader.read()
        writer.close()
        lines = [e for e in json_logs.read() if e.get("logger") == "aiohttp.access"]
        assert [e["level"] for e in lines] == ["warning"] and "/broken" in str(lines)
    finally:
        await runner.cleanup()
