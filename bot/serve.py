"""`credits-bot serve`: run the bot's web server.

Without MicrosoftAppId the bot accepts unauthenticated requests, which is only for local use (the
Microsoft 365 Agents Playground, the Bot Framework Emulator): it then says so in its first log
line and refuses to listen on anything but a loopback address.

The server is aiohttp's with the bot's header limits and JSON refusals (`bot.http.run_bot`).
"""

from __future__ import annotations

import gc
import ipaddress
import sys

import structlog
from aiohttp import web
from pydantic import ValidationError

from bot.app import create_app
from bot.http import run_bot
from bot.logging import configure_logging
from bot.settings import Settings

log = structlog.get_logger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3978


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost; anything else (0.0.0.0, names, ...) may be reachable."""
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def refusal(settings: Settings, host: str) -> str | None:
    """Why the server must not start on `host` with these settings, or None."""
    if settings.local_mode and not is_loopback(host):
        return (
            f"refusing to listen on {host!r}: MicrosoftAppId is not set, so the bot would accept "
            "unauthenticated requests from anyone who can reach it. Set MicrosoftAppId and "
            "MicrosoftAppPassword (and MicrosoftAppType, MicrosoftAppTenantId for a single-tenant "
            "bot) to serve Teams, or listen on a loopback address (--host 127.0.0.1) for local use."
        )
    return None


async def _settle(app: web.Application) -> None:
    """Once started: what start-up made (modules, tables, the catalogues) lives as long as the
    process, so the garbage collector stops walking it (its full collections were the long
    pauses of busy turns)."""
    gc.collect()
    gc.freeze()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Run until interrupted; 2 when the configuration does not allow starting."""
    configure_logging()
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"credits-bot: invalid settings: {error}", file=sys.stderr)
        return 2
    reason = refusal(settings, host)
    if reason is not None:
        log.error("not started", reason=reason)
        print(f"credits-bot: {reason}", file=sys.stderr)
        return 2
    if settings.local_mode:
        log.warning(
            "UNAUTHENTICATED LOCAL MODE: MicrosoftAppId is not set; every request is accepted "
            "without authentication. For local use only (Agents Playground, Emulator).",
            host=host,
            port=port,
        )
    try:
        app = create_app(settings)
    except ValueError as error:  # inconsistent Bot Framework credentials
        print(f"credits-bot: {error}", file=sys.stderr)
        return 2
    log.info("listening", url=f"http://{host}:{port}/api/messages")
    app.on_startup.append(_settle)
    try:
        run_bot(app, host=host, port=port)
    except OSError as error:  # the address is taken or cannot be bound
        print(f"credits-bot: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 1
    return 0
