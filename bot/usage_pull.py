"""`credits-bot usage pull --tenant T [--since DATE]`: one pull of a tenant's calls from
Microsoft Graph, now, with progress on stderr, through the same puller as the "usage" job
(bot/graph_pull.py). The tenant is connected first if it was not (the job then keeps pulling it);
while another worker is pulling it, the command says so and changes nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TextIO

from bot.graph_pull import LEASE, PageDone, open_puller
from bot.workers import worker_id
from credits.errors import CreditsError
from credits.graph_problems import plain_words
from credits.models import Actor
from credits.sources import PullCounts, PullResult

COMMAND_LINE = Actor("cli", "Command line")
PROGRESS_EVERY_SECONDS = 5.0


class PullProgress:
    """A line redrawn on a terminal; otherwise a line now and then."""

    def __init__(self, stream: TextIO, every: float = PROGRESS_EVERY_SECONDS) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every
        self._last = time.monotonic()
        self._drawn = False

    def __call__(self, page: PageDone) -> None:
        line = (
            f"window {page.window}/{page.windows} "
            f"({page.window_start:%Y-%m-%d} to {page.window_end:%Y-%m-%d}): "
            f"{page.counts.read} rows read, {page.counts.applied} applied"
        )
        if self.tty:
            self.stream.write(f"\r{line}\033[K")
            self.stream.flush()
            self._drawn = True
        elif time.monotonic() - self._last >= self.every:
            self.stream.write(line + "\n")
            self.stream.flush()
            self._last = time.monotonic()

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def parse_since(text: str, now: datetime) -> datetime:
    """A date (YYYY-MM-DD, midnight UTC) or an ISO 8601 time with a zone, not in the future.
    Raises ValueError with what is allowed."""
    hint = "a date like 2026-11-01, or a time with a zone like 2026-11-01T09:00:00Z"
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r} is not {hint}") from None
    if value.tzinfo is None:
        if value.time() != datetime.min.time() or "T" in text:
            raise ValueError(f"--since {text!r} has no time zone; use {hint}")
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value > now:
        raise ValueError(f"--since {text!r} is in the future")
    if value < now - timedelta(days=366):
        raise ValueError(f"--since {text!r} is over a year ago: Graph keeps about a year of calls")
    return value


async def pull_tenant(
    tenant: str, since: datetime | None, stderr: TextIO
) -> tuple[PullResult | None, str]:
    """One pull now. Returns the result (None when nothing ran) and a line to print."""
    from bot.settings import Settings
    from credits.service import CreditsService

    service = await CreditsService.open(Settings().credits)
    try:
        puller = open_puller(service)
        if puller is None:
            return (
                None,
                f"usage is not pulled from Microsoft Graph: {service.config.graph_off_reason()}",
            )
        try:
            if await service.connect_usage(tenant, COMMAND_LINE):
                stderr.write(f"Connected {tenant}: the bot will keep pulling its usage.\n")
            me = worker_id()
            source = await service.claim_usage_source(tenant, me, LEASE)
            if source is None:
                return None, f"another worker is pulling {tenant} right now; try again shortly"
            progress = PullProgress(stderr)
            try:
                result = await puller.pull(source, me, since=since, progress=progress)
            finally:
                progress.finish()
            return result, summary(tenant, result)
        finally:
            await puller.close()
    finally:
        await service.close()


def summary(tenant: str, result: PullResult) -> str:
    counts: PullCounts = result.counts
    line = (
        f"{tenant}: {counts.read} call rows read from Graph: {counts.applied} applied, "
        f"{counts.duplicates} already applied, {counts.conflicts} conflicts, "
        f"{counts.rejected} rejected, {counts.skipped} not paid from Communications Credits."
    )
    if result.problem is not None:
        line += f"\nStopped: {plain_words(result.problem)} ({result.error})"
    return line


def run_pull(args: argparse.Namespace) -> int:
    """The `usage pull` command: 0 when the pull ran in full, 1 when it stopped on a problem
    (the rows read until then are applied), 2 when it could not start."""
    since = None
    if args.since:
        try:
            since = parse_since(args.since, datetime.now(UTC))
        except ValueError as error:
            print(f"credits-bot: {error}", file=sys.stderr)
            return 2
    try:
        result, line = asyncio.run(pull_tenant(args.tenant, since, sys.stderr))
    except CreditsError as error:  # a tenant id the store refuses
        print(f"credits-bot: {error}", file=sys.stderr)
        return 2
    if result is None:
        print(f"credits-bot: {line}", file=sys.stderr)
        return 2
    print(line)
    return 0 if result.problem is None else 1
