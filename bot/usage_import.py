"""`credits-bot usage import`: a usage file into the ledger through the same facade as
`POST /api/usage` (`CreditsService.ingest_usage`), a batch per transaction, with progress on
stderr and a summary of the outcomes at the end."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.usage_files import FormatError, read_source
from credits.models import UsageStatus
from credits.usage import summary_line

BATCH = 1000
REASONS_SHOWN = 5
PROGRESS_EVERY_SECONDS = 5.0


class Progress:
    """A bar on a terminal; otherwise a line now and then (logs stay readable)."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        every: float = PROGRESS_EVERY_SECONDS,
        batch: int = BATCH,
    ) -> None:
        self.total = total
        self.batch = batch
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every
        self.done = 0
        self._last = time.monotonic()
        self._drawn = False

    def advance(self, count: int) -> None:
        self.done += count
        if self.tty:
            width = 30
            filled = width * self.done // self.total if self.total else width
            percent = 100 * self.done // self.total if self.total else 100
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r[{bar}] {percent:3d}% {self.done}/{self.total} records")
            self.stream.flush()
            self._drawn = True
        elif time.monotonic() - self._last >= self.every or self.done >= self.total:
            if self.total > self.batch:  # a file of one batch needs no progress lines
                self.stream.write(f"{self.done}/{self.total} records\n")
                self.stream.flush()
            self._last = time.monotonic()

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class Tally:
    """The outcomes of an import: a count per status and the first few reasons."""

    counts: Counter[str] = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)

    def add(self, status: UsageStatus, reason: str | None, where: str) -> None:
        self.counts[status.value] += 1
        if reason and status is not UsageStatus.APPLIED and len(self.reasons) < REASONS_SHOWN:
            self.reasons.append(f"{where}: {status.value}: {reason}")

    def line(self) -> str:
        return summary_line(self.counts)


async def import_file(
    path: Path,
    tenant: str | None,
    stderr: TextIO,
    batch: int = BATCH,
    every: float = PROGRESS_EVERY_SECONDS,
) -> Tally:
    """Apply the file through CreditsService, `batch` records per transaction."""
    from bot.settings import Settings
    from credits.service import CreditsService

    source = read_source(path, tenant)
    tally = Tally()
    service = await CreditsService.open(Settings().credits)
    progress = Progress(source.total, stderr, every=every, batch=batch)
    try:
        for chunk in source.batches(batch):
            outcomes = await service.ingest_usage([r for _, r in chunk], default_tenant=tenant)
            for outcome in outcomes:
                tally.add(outcome.status, outcome.reason, chunk[outcome.index][0])
            progress.advance(len(chunk))
    finally:
        progress.finish()
        await service.close()
    return tally


def run_import(args: argparse.Namespace) -> int:
    """The `usage import` command: 0 when the file was read, 2 when it could not be."""
    path = Path(args.file)
    try:
        tally = asyncio.run(import_file(path, args.tenant, sys.stderr))
    except FormatError as error:
        print(f"credits-bot: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"credits-bot: cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    total = sum(tally.counts.values())
    print(f"Read {total} call record{'s' if total != 1 else ''} from {path}: {tally.line()}.")
    for reason in tally.reasons:
        print(f"  {reason}")
    applied, duplicate = UsageStatus.APPLIED.value, UsageStatus.DUPLICATE.value
    rest = total - tally.counts.get(applied, 0) - tally.counts.get(duplicate, 0)
    if rest > len(tally.reasons):
        print(f"  ... {rest - len(tally.reasons)} more conflicts or rejections")
    return 0
