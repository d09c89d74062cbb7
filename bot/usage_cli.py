"""`credits-bot usage import` and `credits-bot usage simulate`: usage into the ledger by hand.

`import` reads a JSON file (an array of Graph PSTN call records, or a Graph page
`{"value": [...]}`) or the CSV that the Teams admin centre exports from its PSTN usage report
(Analytics & reports > Usage reports > PSTN and SMS usage > Export to Excel, file
`PSTN.calls.<date>.csv`), and applies it through the same facade as `POST /api/usage`, a batch
per transaction.

`simulate` makes realistic synthetic calls and posts them to a running bot's `/api/usage`, so a
demo shows the balance fall, auto-recharge fire and the alerts arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, TextIO

from credits.usage import load_json

BATCH = 1000
DEFAULT_URL = "http://127.0.0.1:3978/api/usage"
REASONS_SHOWN = 5
PROGRESS_EVERY_SECONDS = 5.0
STATUSES = ("applied", "duplicate", "conflict", "rejected")

# ---------------------------------------------------------------------- the CSV export

# Columns of the Teams admin centre PSTN usage report export (Calling Plans), as documented in
# "Microsoft Teams PSTN usage report" > "Fields in the export".
ID_COLUMNS = ("UsageId", "Call ID")
REQUIRED_COLUMNS = ("Start Time", "Charge", "Currency")
# (CSV column, record field) copied as text when present and not empty
TEXT_COLUMNS = (
    ("Call ID", "callId"),
    ("Conference ID", "conferenceId"),
    ("User Location", "usageCountryCode"),
    ("AAD ObjectId", "userId"),
    ("UPN", "userPrincipalName"),
    ("User Display Name", "userDisplayName"),
    ("Caller ID", "callerNumber"),
    ("Call Type", "callType"),
    ("Number Type", "numberType"),
    ("Domestic/International", "destinationContext"),
    ("Destination Dialed", "destinationName"),
    ("Destination Number", "calleeNumber"),
    ("End Time", "endDateTime"),
    ("Connection Fee", "connectionCharge"),
    ("Capability", "licenseCapability"),
)
# forms Excel may have rewritten the report's ISO 8601 times into (UTC, per the report)
EXCEL_TIMES = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
WHOLE_DIGITS_MAX = 18  # larger numbers of seconds stay text (and are rejected as such)


class FormatError(Exception):
    """The file cannot be read as usage: the message says why and what is expected."""


def _cell(row: Mapping[str, str | None], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _iso_utc(text: str | None) -> str | None:
    """The report's start time as ISO 8601 with a zone (the report's times are UTC); text that
    is no time at all is passed on, so the record is rejected with the reason."""
    if text is None:
        return None
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for form in EXCEL_TIMES:
            try:
                when = datetime.strptime(text, form)
                break
            except ValueError:
                continue
    if when is None:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat()


def _whole(text: str | None) -> int | str | None:
    """A whole number of seconds as an int; anything else is passed on as text, so the record
    is rejected with the reason."""
    if text is None:
        return None
    try:  # "125.0": a whole number Excel wrote with a decimal point
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite() or value.adjusted() > WHOLE_DIGITS_MAX:  # "1e999999999": no int
        return text
    return int(value) if value == value.to_integral_value() else text


def csv_record(row: Mapping[str, str | None], tenant: str | None) -> dict[str, Any]:
    """One row of the PSTN usage report export as a Graph-shaped call record."""
    record: dict[str, Any] = {}
    record_id = next((v for v in (_cell(row, c) for c in ID_COLUMNS) if v), None)
    if record_id is not None:
        record["id"] = record_id
    if tenant:
        record["tenantId"] = tenant
    start = _iso_utc(_cell(row, "Start Time"))
    if start is not None:
        record["startDateTime"] = start
    duration = _whole(_cell(row, "Duration Seconds"))
    if duration is not None:
        record["duration"] = duration
    charge = _cell(row, "Charge")
    if charge is not None:
        record["charge"] = charge  # text: parsed exactly by the domain, never as a float
    code = _cell(row, "Currency")
    if code is not None:
        record["currency"] = code.upper()
    for column, name in TEXT_COLUMNS:
        value = _cell(row, column)
        if value is not None and name not in record:
            record[name] = value
    return record


def _csv_reader(handle: TextIO, path: Path) -> csv.DictReader[str]:
    reader = csv.DictReader(handle, strict=True)
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if not any(c in columns for c in ID_COLUMNS):
        missing.insert(0, " or ".join(ID_COLUMNS))
    if missing:
        raise FormatError(
            f"{path} is not a PSTN usage report export (CSV): it has no column "
            + ", ".join(repr(m) for m in missing)
            + ". Export it from the Teams admin centre (Usage reports > PSTN usage > Export), "
            "or give a JSON file of call records."
        )
    return reader


@dataclass
class Source:
    """The records of a file, with a label per record for messages ("line 7", "record 3")."""

    total: int
    batches: Callable[[int], Iterator[list[tuple[str, Any]]]]


def _open_text(path: Path) -> TextIO:
    return path.open(encoding="utf-8-sig", newline="")  # Excel writes a BOM


def _is_json(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return True
    if suffix == ".csv":
        return False
    with _open_text(path) as handle:
        start = handle.read(4096).lstrip()
    return start[:1] in ("[", "{")


def read_source(path: Path, tenant: str | None) -> Source:
    """Check the whole file (so a bad one applies nothing) and say how to read it in batches.
    Raises FormatError (bad content) or OSError (unreadable)."""
    try:
        is_json = _is_json(path)
    except UnicodeDecodeError as error:
        raise FormatError(f"{path} is not UTF-8 text: {error}") from error
    if is_json:
        return _json_source(path)
    if not tenant:
        raise FormatError(
            "The PSTN usage report has no tenant column: name the tenant with --tenant."
        )
    return _csv_source(path, tenant)


def _json_source(path: Path) -> Source:
    with _open_text(path) as handle:
        try:
            body = load_json(handle.read())
        except RecursionError as error:
            raise FormatError(f"{path}: the JSON is nested too deeply") from error
        except ValueError as error:
            raise FormatError(f"{path} is not valid JSON: {error}") from error
    if isinstance(body, dict):
        body = body.get("value")
    if not isinstance(body, list):
        raise FormatError(
            f'{path}: expected a JSON array of call records or {{"value": [call records...]}}'
        )
    records: list[Any] = body

    def batches(size: int) -> Iterator[list[tuple[str, Any]]]:
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            yield [(f"record {start + i + 1}", r) for i, r in enumerate(chunk)]

    return Source(len(records), batches)


def _csv_source(path: Path, tenant: str) -> Source:
    total = 0
    reader: csv.DictReader[str] | None = None
    with _open_text(path) as handle:
        try:
            reader = _csv_reader(handle, path)
            for _ in reader:
                total += 1
        except csv.Error as error:
            line = reader.line_num if reader is not None else 1
            raise FormatError(f"{path}, line {line}: {error}") from error
        except UnicodeDecodeError as error:
            raise FormatError(f"{path} is not UTF-8 text: {error}") from error

    def batches(size: int) -> Iterator[list[tuple[str, Any]]]:
        with _open_text(path) as handle:
            reader = _csv_reader(handle, path)
            batch: list[tuple[str, Any]] = []
            for row in reader:
                batch.append((f"line {reader.line_num}", csv_record(row, tenant)))
                if len(batch) >= size:
                    yield batch
                    batch = []
            if batch:
                yield batch

    return Source(total, batches)


# ---------------------------------------------------------------------- progress and summary


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
    counts: Counter[str] = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)

    def add(self, status: str, reason: str | None, where: str) -> None:
        self.counts[status] += 1
        if reason and status != "applied" and len(self.reasons) < REASONS_SHOWN:
            self.reasons.append(f"{where}: {status}: {reason}")

    def line(self) -> str:
        return ", ".join(f"{self.counts.get(s, 0)} {s}" for s in STATUSES)


# ---------------------------------------------------------------------- usage import


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
                tally.add(outcome.status.value, outcome.reason, chunk[outcome.index][0])
            progress.advance(len(chunk))
    finally:
        progress.finish()
        await service.close()
    return tally


def _import(args: argparse.Namespace) -> int:
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
    rest = total - tally.counts.get("applied", 0) - tally.counts.get("duplicate", 0)
    if rest > len(tally.reasons):
        print(f"  ... {rest - len(tally.reasons)} more conflicts or rejections")
    return 0


# ---------------------------------------------------------------------- synthetic calls


@dataclass(frozen=True)
class Destination:
    name: str
    code: str  # ISO 3166-1 alpha-2
    prefix: str  # E.164 country code
    international: Decimal  # per minute, USD
    domestic_from: str = "US"


DESTINATIONS = (
    Destination("United Kingdom", "GB", "+44", Decimal("0.052")),
    Destination("Germany", "DE", "+49", Decimal("0.061")),
    Destination("India", "IN", "+91", Decimal("0.118")),
    Destination("Japan", "JP", "+81", Decimal("0.143")),
    Destination("Brazil", "BR", "+55", Decimal("0.196")),
    Destination("Nigeria", "NG", "+234", Decimal("0.341")),
    Destination("Cuba", "CU", "+53", Decimal("1.120")),
)
USERS = (
    ("adele.vance", "Adele Vance"),
    ("alex.wilber", "Alex Wilber"),
    ("diego.siciliani", "Diego Siciliani"),
    ("grady.archie", "Grady Archie"),
    ("isaiah.langer", "Isaiah Langer"),
    ("lynne.robbins", "Lynne Robbins"),
    ("megan.bowen", "Megan Bowen"),
    ("nestor.wilke", "Nestor Wilke"),
)
# (kind, weight): how often each kind of chargeable call happens
KINDS = (("conference", 45), ("calling_plan", 35), ("toll_free", 20))
MIN_SECONDS, MAX_SECONDS = 30, 40 * 60
CENT = Decimal("0.01")


def _duration(rng: random.Random) -> int:
    """Mostly a few minutes, sometimes long: log-normal around 4 minutes, 30 s to 40 min."""
    seconds = int(rng.lognormvariate(math.log(240), 0.9))
    return max(MIN_SECONDS, min(MAX_SECONDS, seconds))


def _number(rng: random.Random, prefix: str) -> str:
    digits = 10 if prefix == "+1" else rng.randint(8, 10)
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def synthetic_calls(
    tenant: str, count: int, now: datetime, rng: random.Random, currency: str = "USD"
) -> list[dict[str, Any]]:
    """`count` chargeable PSTN call records that ended at `now`, shaped as Graph returns them:
    audio conferencing dial-out, calling plan overage and international calls, toll-free minutes;
    per-minute rates by kind and destination, billed per started minute; charges as text."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    calls: list[dict[str, Any]] = []
    for _ in range(count):
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        duration = _duration(rng)
        login, display = rng.choice(USERS)
        international = rng.random() < (0.35 if kind != "toll_free" else 0.0)
        where = rng.choice(DESTINATIONS) if international else None
        if kind == "conference":
            rate = where.international if where else Decimal("0.024")
            call_type, capability, number_type = "conf_out", "MCOMEETADD", "service"
        elif kind == "calling_plan":
            rate = where.international if where else Decimal("0.018")  # overage
            call_type, capability, number_type = "user_out", "MCOPSTN1", "user"
            if where:
                capability = "MCOPSTN2"
        else:
            rate = rng.choice((Decimal("0.019"), Decimal("0.023"), Decimal("0.031")))
            call_type, capability, number_type = "ucap_in", "MCOPSTNPP", "toll_free"
        rate *= Decimal(rng.choice((90, 95, 100, 100, 105, 110))) / 100  # carriers vary
        minutes = (duration + 59) // 60
        charge = (rate * minutes).quantize(CENT, rounding=ROUND_HALF_UP)
        charge = max(charge, CENT)
        start = now - timedelta(seconds=duration)
        outside = kind == "toll_free"
        callee = _number(rng, where.prefix if where else "+1")
        caller = _number(rng, "+1")
        record: dict[str, Any] = {
            "id": _uuid(rng),
            "callId": _uuid(rng),
            "tenantId": tenant,
            "userId": None if kind == "toll_free" else _uuid(rng),
            "userPrincipalName": None if outside else f"{login}@contoso.com",
            "userDisplayName": "Main line (toll-free)" if outside else display,
            "startDateTime": start.isoformat().replace("+00:00", "Z"),
            "endDateTime": now.isoformat().replace("+00:00", "Z"),
            "duration": duration,
            "charge": str(charge),
            "currency": currency,
            "callType": call_type,
            "calleeNumber": "+18005550100" if outside else callee,
            "callerNumber": callee if outside else caller,
            "usageCountryCode": "US",
            "destinationContext": "International" if where else "Domestic",
            "destinationName": where.name if where else "United States",
            "conferenceId": _uuid(rng)[:8] if kind == "conference" else None,
            "licenseCapability": capability,
            "inventoryType": number_type,
        }
        calls.append(record)
    return calls


# ---------------------------------------------------------------------- usage simulate


class SimulateError(Exception):
    pass


@dataclass
class Totals:
    posted: int = 0
    charged: Decimal = Decimal(0)
    counts: Counter[str] = field(default_factory=Counter)


async def simulate(
    url: str,
    token: str,
    tenant: str,
    per_minute: float,
    minutes: float,
    *,
    currency: str = "USD",
    rng: random.Random | None = None,
    out: IO[str] | None = None,
    totals: Totals | None = None,
) -> Totals:
    """Post `per_minute` calls a minute, spread evenly (at most a batch a second), for
    `minutes`; prints each batch's summary. Raises SimulateError when the server refuses."""
    import aiohttp

    rng = rng or random.Random()
    out = out or sys.stdout
    totals = totals if totals is not None else Totals()
    target = max(1, round(per_minute * minutes))
    period = max(60.0 / per_minute, 1.0)
    headers = {"Authorization": f"Bearer {token}"}
    began = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        tick = 0
        while totals.posted < target:
            elapsed = time.monotonic() - began
            due = min(target, max(1, math.floor(per_minute * elapsed / 60)))
            count = due - totals.posted
            if count > 0:
                calls = synthetic_calls(tenant, count, datetime.now(UTC), rng, currency)
                body = await _post(session, url, headers, calls)
                summary = body.get("summary", {})
                charged = sum(
                    (
                        Decimal(call["charge"])
                        for call, result in zip(calls, body.get("results", []), strict=False)
                        if result.get("status") == "applied"
                    ),
                    Decimal(0),
                )
                totals.posted += count
                totals.charged += charged
                totals.counts.update({s: int(summary.get(s, 0)) for s in STATUSES})
                stamp = datetime.now().strftime("%H:%M:%S")
                line = ", ".join(f"{summary.get(s, 0)} {s}" for s in STATUSES)
                print(
                    f"{stamp}  {count} call{'s' if count != 1 else ''} "
                    f"({charged} {currency}): {line}",
                    file=out,
                    flush=True,
                )
            if totals.posted >= target:
                break
            tick += 1
            await asyncio.sleep(max(0.0, began + tick * period - time.monotonic()))
    return totals


async def _post(
    session: Any, url: str, headers: dict[str, str], calls: list[dict[str, Any]]
) -> dict[str, Any]:
    import aiohttp

    try:
        async with session.post(url, json=calls, headers=headers) as response:
            status = response.status
            text = await response.text()
    except aiohttp.ClientError as error:
        raise SimulateError(
            f"cannot reach {url} ({error}); is the bot running (credits-bot serve)?"
        ) from error
    if status == 401:
        raise SimulateError(f"{url} refused the token: use the bot's CREDITS_USAGE_TOKEN.")
    if status == 404:
        raise SimulateError(
            f"{url} answered 404: the usage API is off there; start the bot with "
            "CREDITS_USAGE_TOKEN set."
        )
    if status != 200:
        raise SimulateError(f"{url} answered {status}: {text[:300]}")
    try:
        body = json.loads(text, parse_float=Decimal)
    except ValueError as error:
        raise SimulateError(f"{url} answered with something that is not JSON") from error
    if not isinstance(body, dict):
        raise SimulateError(f"{url} answered with an unexpected body")
    return body


def _simulate(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("CREDITS_USAGE_TOKEN", "")
    if not token:
        from bot.settings import Settings

        token = Settings().usage_token  # also reads a .env file
    if not token:
        print(
            "credits-bot: no usage token. Choose a secret, start the bot with it "
            "(CREDITS_USAGE_TOKEN=<secret> credits-bot serve) and run this command with the "
            "same CREDITS_USAGE_TOKEN in its environment (or --token <secret>).",
            file=sys.stderr,
        )
        return 2
    if args.per_minute <= 0 or args.minutes <= 0:
        print("credits-bot: --per-minute and --minutes must be more than 0.", file=sys.stderr)
        return 2
    totals = Totals()
    try:
        asyncio.run(
            simulate(
                args.url,
                token,
                args.tenant,
                args.per_minute,
                args.minutes,
                currency=args.currency,
                totals=totals,
            )
        )
    except SimulateError as error:
        print(f"credits-bot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped.")
    line = ", ".join(f"{totals.counts.get(s, 0)} {s}" for s in STATUSES)
    print(f"Posted {totals.posted} calls for {args.tenant}: {line}; charged {totals.charged}.")
    return 0


# ---------------------------------------------------------------------- the command


def add_usage_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `usage import` and `usage simulate` to the `credits-bot` command line."""
    usage = sub.add_parser(
        "usage",
        help="put call usage into the ledger: import a file, or simulate calls",
        description="Usage moves the balance: import a PSTN usage report or call records, or "
        "simulate calls against a running bot.",
    )
    commands = usage.add_subparsers(dest="usage_command", required=True, metavar="SUBCOMMAND")
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
    p.set_defaults(handler=None, direct=_import)
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
    p.set_defaults(handler=None, direct=_simulate)


__all__ = [
    "FormatError",
    "Source",
    "Tally",
    "add_usage_commands",
    "csv_record",
    "import_file",
    "read_source",
    "simulate",
    "synthetic_calls",
]
