"""`credits-bot usage report`: a tenant's calls of one UTC calendar month, for finance.

With `--csv`, one row per stored call record (`CSV_HEADER` names the columns), oldest first,
after a header row and with nothing else, to stdout or to `--out FILE` (written in full, then
moved into place, so a failed report leaves no half file). Text that a spreadsheet would run as
a formula (a cell starting with = + - @, a tab or a carriage return) gets a leading apostrophe.
Without `--csv`, the month's totals and top callers and destinations, as the chat card shows.

An unknown tenant or a malformed month is refused with a sentence on stderr and exit code 2,
before anything is written.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from cards.usage import UNKNOWN_CALLER, UNKNOWN_DESTINATION, period_title
from credits.errors import CreditsError
from credits.service import CreditsService
from credits.usage_report import CallRow, Period, UsageBreakdown, UsageLine, parse_month

CSV_HEADER = (
    "start_utc",
    "user_principal_name",
    "user_display_name",
    "destination",
    "destination_context",
    "call_type",
    "license_capability",
    "duration_seconds",
    "minutes",
    "charge",
    "currency",
    "record_id",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str | None) -> str:
    """Text as a spreadsheet will show it and never run it: a leading apostrophe before what
    would start a formula (CSV injection)."""
    if not value:
        return ""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def csv_cells(row: CallRow) -> list[str]:
    """One call's cells, in CSV_HEADER's order."""
    start = row.start.isoformat().replace("+00:00", "Z")
    text = [
        row.user_principal_name,
        row.user_display_name,
        row.destination_name,
        row.destination_context,
        row.call_type,
        row.license_capability,
    ]
    return [
        start,
        *(safe_cell(value) for value in text),
        str(row.duration_seconds),
        str(row.minutes),
        row.charge.plain(),
        row.charge.currency.code,
        safe_cell(row.record_id),
    ]


async def write_csv(service: CreditsService, tenant: str, period: Period, out: TextIO) -> int:
    """The header and a row per call of the period; how many calls were written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    count = 0
    async for row in service.usage_calls(tenant, period):
        writer.writerow(csv_cells(row))
        count += 1
    return count


def _line(line: UsageLine, unknown: str) -> str:
    name = line.name or unknown
    if line.detail:
        name += f" ({line.detail})"
    return f"  {line.spend.format():>14}  {line.calls:>6,} calls  {line.minutes:>7,} min  {name}"


def summary_lines(breakdown: UsageBreakdown) -> list[str]:
    """The month as text: totals, then the top callers and destinations, the rest folded."""
    title = period_title(breakdown.period)
    if breakdown.empty:
        return [f"{title}: no calls."]
    lines = [
        f"{title}: {breakdown.calls:,} calls, {breakdown.minutes:,} minutes, "
        f"{breakdown.spend.format()}",
        "By caller:",
        *(_line(line, UNKNOWN_CALLER) for line in breakdown.users),
    ]
    if breakdown.other_users is not None:
        rest = breakdown.other_users
        lines.append(f"  {rest.spend.format():>14}  {rest.calls:>6,} calls  ({rest.count:,} more)")
    lines += ["By destination:", *(_line(ln, UNKNOWN_DESTINATION) for ln in breakdown.destinations)]
    if breakdown.other_destinations is not None:
        rest = breakdown.other_destinations
        lines.append(f"  {rest.spend.format():>14}  {rest.calls:>6,} calls  ({rest.count:,} more)")
    return lines


class WriteError(Exception):
    """The report file could not be written (the message says where and why)."""


async def _to_file(service: CreditsService, tenant: str, period: Period, path: Path) -> int:
    """Written next to `path` first and moved into place only when complete."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from error
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            count = await write_csv(service, tenant, period, out)
        os.replace(temporary, path)
    except OSError as error:
        raise WriteError(f"cannot write {path}: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):  # gone already once moved into place
            os.remove(temporary)
    return count


async def report(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from bot.settings import Settings

    chosen = parse_month(args.month) if args.month else None
    service = await CreditsService.open(Settings().credits)
    try:
        period = chosen or Period.month_of(service.clock.now())
        breakdown = await service.usage_breakdown(args.tenant, period)  # the tenant exists
        if not args.csv:
            stdout.write("\n".join(summary_lines(breakdown)) + "\n")
            return 0
        if args.out:
            count = await _to_file(service, args.tenant, period, Path(args.out))
        else:
            count = await write_csv(service, args.tenant, period, stdout)
            stdout.flush()
    finally:
        await service.close()
    where = f" to {args.out}" if args.out else ""
    stderr.write(
        f"Wrote {count:,} call record{'s' if count != 1 else ''} of {period_title(period)} "
        f"({breakdown.spend.format()}){where}.\n"
    )
    return 0


def run_report(args: argparse.Namespace) -> int:
    """The `usage report` command: 0 when written, 2 when refused (nothing written)."""
    try:
        return asyncio.run(report(args, sys.stdout, sys.stderr))
    except (CreditsError, WriteError) as error:
        print(f"credits-bot: {error}", file=sys.stderr)
        return 2
