"""`credits-bot usage import`, `simulate`, `report` and `pull`: usage by hand.

`import` (bot/usage_import.py) reads a JSON file of call records or the CSV that the Teams admin
centre exports from its PSTN usage report (bot/usage_files.py), and applies it through the same
facade as `POST /api/usage`, a batch per transaction.

`simulate` (bot/usage_simulate.py) makes realistic synthetic calls (bot/usage_calls.py) and posts
them to a running bot's `/api/usage`, so a demo shows the balance fall, auto-recharge fire and
the alerts arrive.

`report` (bot/usage_report.py) shows a month's calls by caller and destination, or writes them
as CSV for finance.

`pull` (bot/usage_pull.py) pulls an organisation's calls from Microsoft Graph now, with the same
puller as the "usage" worker (bot/graph_pull.py).

This module only adds the commands to the command line.
"""

from __future__ import annotations

import argparse

from bot.usage_import import BATCH, run_import
from bot.usage_pull import run_pull
from bot.usage_report import run_report
from bot.usage_simulate import DEFAULT_URL, run_simulate


def add_usage_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `usage import`, `simulate`, `report` and `pull` to the `credits-bot` command line."""
    usage = sub.add_parser(
        "usage",
        help="call usage: pull it from Microsoft Graph, import a file, simulate calls, report",
        description="Usage moves the balance: pull an organisation's calls from Microsoft "
        "Graph, import a PSTN usage report or call records, simulate calls against a running "
        "bot, or report a month's calls by caller and destination.",
    )
    commands = usage.add_subparsers(dest="usage_command", required=True, metavar="SUBCOMMAND")
    _add_import(commands)
    _add_simulate(commands)
    _add_report(commands)
    _add_pull(commands)


def _add_import(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "import",
        help="apply call records from a JSON file or a Teams PSTN usage report CSV",
        description="Apply call records from a JSON file (an array of Graph PSTN call records, "
        'or {"value": [...]}) or the CSV exported from the Teams admin centre PSTN usage '
        f"report, {BATCH} records per transaction. Records already applied count as duplicates, "
        "so importing a file twice is safe.",
    )
    p.add_argument("file", help="a .json or .csv file")
    p.add_argument(
        "--tenant",
        help="the tenant the records belong to (required for a CSV; for JSON, the tenant of "
        "records without a tenantId)",
    )
    p.set_defaults(handler=None, direct=run_import)


def _add_simulate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "simulate",
        help="post realistic synthetic calls to a running bot's /api/usage",
        description="Post synthetic chargeable calls (audio conferencing dial-out, calling plan "
        "overage and international, toll-free) to a running bot, N a minute, spread evenly. "
        "Ctrl-C stops early.",
    )
    p.add_argument("--tenant", required=True)
    p.add_argument("--per-minute", type=float, required=True, help="calls a minute")
    p.add_argument("--minutes", type=float, default=1.0, help="how long (default 1)")
    p.add_argument(
        "--url", default=DEFAULT_URL, help=f"the bot's usage API (default {DEFAULT_URL})"
    )
    p.add_argument("--token", help="bearer token (default: CREDITS_USAGE_TOKEN)")
    p.add_argument("--currency", default="USD", help="currency of the tenant's account")
    p.set_defaults(handler=None, direct=run_simulate)


def _add_report(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "report",
        help="a tenant's calls of a month: spend by caller and destination, or a CSV for finance",
        description="The calls of one UTC calendar month (default: this month) from the stored "
        "call records. Without --csv: totals and the top callers and destinations. With --csv: "
        "a header row, then one row per call (start, user, destination, call type, license, "
        "duration, charge as a plain decimal, currency, record id), to stdout or --out FILE.",
    )
    p.add_argument("--tenant", required=True, help="the tenant (directory) id")
    p.add_argument("--month", help="YYYY-MM (default: this month, UTC)")
    p.add_argument("--csv", action="store_true", help="one CSV row per call")
    p.add_argument("--out", help="write the CSV to this file instead of stdout")
    p.set_defaults(handler=None, direct=run_report)


def _add_pull(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "pull",
        help="pull a tenant's calls from Microsoft Graph now",
        description="One pull of a tenant's PSTN calls from Microsoft Graph (getPstnCalls), "
        "with progress: from --since, or from where the last pull stopped less the trailing "
        "window (CREDITS_GRAPH_TRAILING_HOURS). Calls already applied count as duplicates, so "
        "pulling twice is safe. Needs the CREDITS_GRAPH_* settings (or MicrosoftAppId and "
        "MicrosoftAppPassword) and the tenant admin's consent.",
    )
    p.add_argument("--tenant", required=True, help="the tenant (directory) id")
    p.add_argument(
        "--since", help="read calls that started from this date (YYYY-MM-DD, UTC) or time"
    )
    p.set_defaults(handler=None, direct=run_pull)
