"""`credits-bot audit`: a tenant's settings changes, newest first, with who and when (as "history
settings" shows them in chat); and the `--scope` of `credits-bot history`.

    credits-bot audit --tenant T [--limit N] [--before-change ID]
    credits-bot history --tenant T --scope all       # money entries and settings changes
    credits-bot history --tenant T --scope settings  # the same rows as `audit`
    credits-bot history --tenant T                   # the ledger alone, as it always printed

The history's default scope stays `money`, so scripts that read its output see what they
always did. This module only adds the command and the option; `bot/cli.py` runs them with the
facade and its refusals (exit 2)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from cards.audit import describe, who
from credits.audit_models import ActivityPage, HistoryCursor, SettingsChange
from credits.models import Entry, HistoryScope
from credits.service import CreditsService

Handler = Callable[[CreditsService, argparse.Namespace], Awaitable[int]]


def add_audit_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `audit`, and `--scope` to the `history` command added before it."""
    p = sub.add_parser(
        "audit",
        help="a tenant's settings changes (auto-recharge, caps, thresholds, admins, alerts)",
        description="A tenant's settings changes, newest first: auto-recharge, caps, low-balance "
        "thresholds, admins granted and removed, conversations subscribed to alerts, each with "
        "who made it and when (UTC).",
    )
    p.add_argument("--tenant", required=True)
    p.add_argument("--limit", type=int, default=20, help="changes to show, 1 to 200")
    p.add_argument("--before-change", type=int, metavar="ID", help="show changes older than this")
    p.set_defaults(handler=run_audit)
    history = sub.choices.get("history")
    if history is not None:
        history.add_argument(
            "--scope",
            choices=[s.value for s in HistoryScope],
            default=HistoryScope.MONEY.value,
            help="money (the ledger, the default), settings (the settings changes) or all "
            "(both, newest first)",
        )
        history.add_argument(
            "--before-change",
            type=int,
            metavar="ID",
            help="with --scope all or settings: settings changes older than this",
        )
        history.set_defaults(handler=_scoped(history.get_default("handler")))


async def run_audit(service: CreditsService, args: argparse.Namespace) -> int:
    cursor = None if args.before_change is None else HistoryCursor(None, args.before_change)
    page = await service.activity(
        args.tenant, scope=HistoryScope.SETTINGS, limit=args.limit, cursor=cursor, known_only=True
    )
    if not page.rows:
        print("No settings changes.")
    _print(page)
    return 0


def _scoped(ledger: Handler) -> Handler:
    """`history` by scope: the money scope is the ledger's own printout, unchanged."""

    async def history(service: CreditsService, args: argparse.Namespace) -> int:
        scope = HistoryScope(args.scope)
        if scope is HistoryScope.MONEY:
            return await ledger(service, args)
        cursor = None
        if args.before is not None or args.before_change is not None:
            cursor = HistoryCursor(args.before, args.before_change)
        page = await service.activity(
            args.tenant, scope=scope, limit=args.limit, cursor=cursor, known_only=True
        )
        _print(page)
        return 0

    return history


def _print(page: ActivityPage) -> None:
    for row in page.rows:
        print(_money(row) if isinstance(row, Entry) else _change(row))
    older = page.next_cursor
    if older is None:
        return
    if page.scope is HistoryScope.SETTINGS:
        print(f"(older: --before-change {older.before_change})")
    else:
        print(f"(older: --before {older.before_seq} --before-change {older.before_change})")


def _money(entry: Entry) -> str:
    return (
        f"{entry.seq:>6}  {entry.created_at:%Y-%m-%d %H:%M} UTC  {entry.kind.value:<13} "
        f"{entry.amount!s:>12} {entry.balance_after!s:>12}  {entry.actor.name}: {entry.reason}"
    )


def _change(change: SettingsChange) -> str:
    return (
        f"{'#' + str(change.id):>6}  {change.at:%Y-%m-%d %H:%M} UTC  {change.action.value:<20} "
        f"{describe(change)}  [{who(change.actor)}, {change.actor.id}]"
    )
