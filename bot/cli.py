"""The `credits-bot` command line.

`serve` runs the bot for Teams; `chat` talks to the same bot in a terminal; the other commands
drive the ledger directly through the same facade, on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence

from bot.admins_cli import add_admins_commands
from bot.audit_cli import add_audit_commands
from bot.caps_cli import add_caps_commands
from bot.manifest import add_manifest_command
from bot.statement_cli import add_statement_commands
from bot.usage_cli import add_usage_commands
from credits.config import CreditsConfig
from credits.db import Database
from credits.errors import CreditsError
from credits.models import AccountView, Actor
from credits.money import AmountError
from credits.service import CreditsService

Command = Callable[[CreditsService, argparse.Namespace], Awaitable[int]]


def _actor() -> Actor:
    user = getpass.getuser()
    return Actor(f"cli:{user}", user)


def _print_account(view: AccountView) -> None:
    recharge = view.recharge
    if recharge.enabled and recharge.amount is not None and recharge.trigger is not None:
        state = "paused" if recharge.paused else "on"
        auto = f"{state}: add {recharge.amount} when below {recharge.trigger}"
    else:
        auto = "off"
    print(f"Tenant        {view.tenant_id}")
    print(f"Balance       {view.balance}{'  (depleted)' if view.depleted else ''}")
    print(f"Auto-recharge {auto}")
    if view.last_recharge is not None:
        last = view.last_recharge
        print(f"Last recharge {last.amount} {last.status} {last.updated_at:%Y-%m-%d %H:%M} UTC")
    if view.runway_days is not None:
        print(f"Runway        {view.runway_days} days at {view.daily_burn} a day")
    if view.expiring is not None:
        print(f"Expiring      {view.expiring.amount} from {view.expiring.first_expiry:%Y-%m-%d}")


async def _balance(service: CreditsService, args: argparse.Namespace) -> int:
    _print_account(await service.account(args.tenant))
    return 0


async def _add_funds(service: CreditsService, args: argparse.Namespace) -> int:
    key = args.key or uuid.uuid4().hex
    result = await service.add_funds(args.tenant, args.amount, _actor(), key)
    note = " (already applied earlier)" if result.replayed else ""
    print(f"Added {result.entry.amount}{note}. Balance: {result.balance}")
    return 0


async def _auto_recharge(service: CreditsService, args: argparse.Namespace) -> int:
    enabled = {"on": True, "off": False}.get(args.state) if args.state else None
    view = await service.set_auto_recharge(
        args.tenant, _actor(), enabled=enabled, amount=args.amount, trigger=args.below
    )
    _print_account(view)
    return 0


async def _history(service: CreditsService, args: argparse.Namespace) -> int:
    page = await service.history(args.tenant, limit=args.limit, before_seq=args.before)
    for entry in page.entries:
        print(
            f"{entry.seq:>6}  {entry.created_at:%Y-%m-%d %H:%M}  {entry.kind.value:<13} "
            f"{entry.amount!s:>12} {entry.balance_after!s:>12}  {entry.actor.name}: {entry.reason}"
        )
    if page.next_before is not None:
        print(f"(older: --before {page.next_before})")
    return 0


async def _verify(service: CreditsService, args: argparse.Namespace) -> int:
    totals = await service.verify(args.tenant)
    ok = totals["stored"] == totals["entries"] == totals["lots_minus_debt"]
    print(
        ("consistent: " if ok else "INCONSISTENT: ")
        + ", ".join(f"{k}={v}" for k, v in totals.items())
    )
    return 0 if ok else 1


def _upgrade(args: argparse.Namespace) -> int:
    return asyncio.run(_upgraded(CreditsConfig()))


async def _upgraded(config: CreditsConfig) -> int:
    db = Database.of(config)
    try:
        await db.migrate()
        print(f"database at revision {await db.current_revision()}: {db.engine.url!r}")
    finally:
        await db.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="credits-bot", description="Run your organisation's Teams Communications Credits."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Command, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(handler=handler)
        return p

    p = sub.add_parser(
        "db-upgrade",
        help="create or upgrade the database in place, keeping all data",
        description="create or upgrade the database in place, keeping all data",
    )
    p.set_defaults(handler=None, direct=_upgrade)
    p = command("balance", _balance, "show a tenant's balance, auto-recharge, runway")
    p.add_argument("--tenant", required=True)
    p = command("add-funds", _add_funds, "buy credits for a tenant (through the payment gateway)")
    p.add_argument("--tenant", required=True)
    p.add_argument("--amount", required=True, help="e.g. 50 or 1000.50")
    p.add_argument("--key", help="idempotency key: repeating it never charges twice")
    p = command("auto-recharge", _auto_recharge, "turn auto-recharge on/off or change it")
    p.add_argument("--tenant", required=True)
    p.add_argument("state", nargs="?", choices=["on", "off"])
    p.add_argument("--amount", help="recharge amount, e.g. 100")
    p.add_argument("--below", help="trigger: recharge when the balance falls below this")
    p = command("history", _history, "a tenant's ledger, newest first")
    p.add_argument("--tenant", required=True)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--before", type=int, help="show entries older than this sequence number")
    p = command("verify", _verify, "check that balance = sum of entries = open lots - debt")
    p.add_argument("--tenant", required=True)
    p = sub.add_parser(
        "serve",
        help="run the bot for Teams, the Agents Playground or the Emulator",
        description="Run the bot's web server (POST /api/messages, POST /api/usage, GET "
        "/healthz, /readyz, /metrics) and its background workers. Without MicrosoftAppId it is "
        "unauthenticated and listens on loopback addresses only.",
    )
    p.set_defaults(handler=None, direct=_serve)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3978, help="port to listen on (default 3978)")
    p = sub.add_parser(
        "chat",
        help="talk to the bot in this terminal (same store, no server, no configuration)",
        description="The same bot in a terminal: type what an admin would type; cards print as "
        "text, and typing a button's number presses it.",
    )
    p.set_defaults(handler=None, direct=_chat)
    p.add_argument(
        "--locale",
        default=os.environ.get("CREDITS_CHAT_LOCALE") or "en-US",
        help="the language the session is in, as Teams would send it: en-US or vi-VN "
        "(default: CREDITS_CHAT_LOCALE, else en-US)",
    )
    _add_area_commands(sub)
    return parser


def _add_area_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The commands kept in modules of their own (bot/usage_cli.py, bot/caps_cli.py, ...)."""
    add_usage_commands(sub)
    add_statement_commands(sub)
    add_admins_commands(sub)
    add_audit_commands(sub)
    add_caps_commands(sub)
    add_manifest_command(sub)


def _chat(args: argparse.Namespace) -> int:
    from bot.chat import run_chat
    from bot.logging import configure_logging
    from bot.settings import Settings

    configure_logging(level="WARNING")  # the conversation is the output; problems go to stderr
    return asyncio.run(run_chat(Settings(), locale=args.locale))


def _serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    return serve(args.host, args.port)


async def _run(args: argparse.Namespace) -> int:
    service = await CreditsService.open(CreditsConfig())
    try:
        handler: Command = args.handler
        return await handler(service, args)
    finally:
        await service.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    direct: Callable[[argparse.Namespace], int] | None = getattr(args, "direct", None)
    if direct is not None:  # commands that manage their own event loop and service
        return direct(args)
    try:
        return asyncio.run(_run(args))
    except (CreditsError, AmountError) as error:
        print(f"credits-bot: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
