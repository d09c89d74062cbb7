"""Small pieces shared by the HTTP endpoints (`problem`, the JSON error answer; `read_body`, the
size-capped body read behind every 413), and the web server the bot runs on.

The server (`bot_runner`, `run_bot`) is aiohttp's, with two changes:

- header lines may be up to MAX_HEADER_BYTES (aiohttp's default is 8,190 bytes), so a bearer
  token up to MAX_TOKEN_CHARS, and some way past it, reaches the bot and gets its JSON 401;
- a request aiohttp cannot parse (a header over that limit, a malformed request line) is answered
  with a JSON problem (431 for a header or request line too long, 400 otherwise) that echoes
  nothing of the request, and logged as one line without a traceback. aiohttp's own answer is a
  text/plain 400 quoting the first 100 bytes of the offending line, i.e. of the token, logged at
  error level with a traceback.

aiohttp takes no request handler class as an argument, so the runner builds its server with
`_GuardedServer`, whose connections are `_GuardedRequestHandler`s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import BadHttpMethod, HttpProcessingError, LineTooLong
from aiohttp.web_log import AccessLogger

log = structlog.get_logger(__name__)

READ_CHUNK = 64 * 1024
MAX_TOKEN_CHARS = 16 * 1024  # the longest bearer token the bot reads (bot/app.py)
MAX_HEADER_BYTES = 2 * MAX_TOKEN_CHARS  # one header line, name and value
KEEPALIVE_SECONDS = 75.0  # as web.run_app


class BodyTooLarge(Exception):
    """The request body is over the endpoint's limit (answer 413)."""


def problem(status: int, message: str, **headers: str) -> web.Response:
    """The JSON error answer of every endpoint: `{"error": message}` (headers such as
    WWW-Authenticate or Retry-After as keyword arguments)."""
    return web.json_response({"error": message}, status=status, headers=headers or None)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, but never more than `limit` bytes of it: BodyTooLarge (answer 413) when
    Content-Length says more, or when more arrives (Content-Length may lie, or be absent with
    chunked encoding)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)


class _GuardedRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering requests it cannot parse with a JSON problem."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status == 500 or not isinstance(exc, HttpProcessingError):
            # a handler failed (a bug): aiohttp's 500, logged with its traceback
            return super().handle_error(request, status, exc, message)
        if isinstance(exc, LineTooLong):
            status, level = 431, log.warning
            text = (
                f"A request header or the request line is too long: at most "
                f"{self.max_field_size} bytes for a header, {self.max_line_size} for the line."
            )
        else:
            status, text = 400, "The request is not valid HTTP/1.1."
            # not HTTP at all (TLS to a plain port, a scanner) is noise, as aiohttp says
            level = log.debug if isinstance(exc, BadHttpMethod) else log.info
        level("request refused", status=status, reason=type(exc).__name__, remote=request.remote)
        response = problem(status, text)
        response.force_close()
        return response


class DebugAccessLogger(AbstractAccessLogger):
    """aiohttp's access log, a line per request, at debug: it is per-turn detail (the turns are
    counted and timed in /metrics), and formatting a line per turn costs real time. A request
    answered 5xx is still logged, at warning."""

    def __init__(self, logger: logging.Logger, log_format: str = AccessLogger.LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        self._lines = {
            level: AccessLogger(_AtLevel(logger, level), log_format)  # type: ignore[arg-type]
            for level in (logging.DEBUG, logging.WARNING)
        }

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.WARNING)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        level = logging.WARNING if response.status >= 500 else logging.DEBUG
        if self.logger.isEnabledFor(level):
            self._lines[level].log(request, response, time)


class _AtLevel(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger whose `info` goes out at another level (aiohttp's AccessLogger calls `info`)."""

    def __init__(self, logger: logging.Logger, level: int) -> None:
        super().__init__(logger, {})
        self.level = level

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.log(self.level, msg, *args, **kwargs)


class _GuardedServer(web.Server):
    def __call__(self) -> web.RequestHandler:
        return _GuardedRequestHandler(self, loop=self._loop, **self._kwargs)


class _BotRunner(web.AppRunner):
    async def _make_server(self) -> web.Server:
        made = await super()._make_server()  # the app started, its server made as aiohttp does
        return _GuardedServer(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            **made._kwargs,
        )


def bot_runner(app: web.Application, *, handle_signals: bool = False) -> web.AppRunner:
    """An AppRunner for `app` with the bot's server: `credits-bot serve` and the tests use it."""
    return _BotRunner(
        app,
        handle_signals=handle_signals,
        max_field_size=MAX_HEADER_BYTES,
        keepalive_timeout=KEEPALIVE_SECONDS,
        access_log_class=DebugAccessLogger,
    )


async def _serve(app: web.Application, host: str, port: int) -> None:
    runner = bot_runner(app, handle_signals=True)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        await asyncio.Event().wait()  # until SIGINT or SIGTERM raise GracefulExit
    finally:
        await runner.cleanup()


def run_bot(app: web.Application, *, host: str, port: int) -> None:
    """Serve `app` on host:port until SIGINT or SIGTERM, then shut down gracefully (the job of
    web.run_app, on the bot's server). OSError when the address cannot be bound."""
    with contextlib.suppress(web.GracefulExit, KeyboardInterrupt):
        asyncio.run(_serve(app, host, port))
