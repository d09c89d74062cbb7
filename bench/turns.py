"""Whole HTTP turns through POST /api/messages: the product against echo bots of the Bot
Framework SDK and of the Microsoft 365 Agents SDK, each bot its own process with its own
stand-in Bot Connector. Prints figures and the ratios issue 14 sets as goals; asserts nothing.

    .venv/bin/pip install -e '.[dev,bench]'   # the bench extra: the Agents SDK's echo
    .venv/bin/python bench/turns.py [--rounds 5] [--seconds 1.5] [--tenants 10000]
        [--only floor,credits-sqlite,...] [--postgres-url URL] [--json results.json]

The bots (bench/peers/ holds each peer's script and the stand-in connector):
  floor            bare aiohttp: read the JSON, post one reply over a pooled session, answer 201
  stock-echo       botbuilder 4.17.1's echo (CloudAdapter, ActivityHandler), no app id
  cached-echo      the same echo with bot/adapter.py's connector clients built once and reused
  agents-echo      the Microsoft 365 Agents SDK 1.9 echo (AgentApplication), anonymous
  credits-sqlite   `credits-bot serve` on a fresh SQLite file, local mode (everyone is admin)
  credits-postgres the same on PostgreSQL, in a schema of its own dropped at the end
                   (--postgres-url, else CREDITS_BENCH_POSTGRES_URL, else
                   postgresql://postgres@127.0.0.1:5432/test)
The credits bots are sent "balance" and "help" (a row each); the echo bots get "balance" and
echo it (their text column shows "-"). Every activity is a Teams personal-chat message with a
new id, one of 16 conversations, tenant "bench-tenant". Each bot is warmed up, then the rounds
interleave: in every round each (bot, text) runs --seconds at 1 client and at 20 concurrent
clients (one pooled ClientSession in this process, the load generator). After each slice the
connector's count of posted replies is checked against the turns answered.

Columns:
  turns/s @1, @20  turns answered 200/201/202 per second, 1 or 20 at a time (all rounds)
  p50 / p99 @20    the latency of a turn at 20 at a time, ms, seen by the client
  CPU ms/turn      the bot process's CPU time (user + system, /proc) per turn at 20 at a time
  RSS MB           the bot process's resident memory (VmRSS) after the last round
Then a memory phase: one "balance" turn for each of --tenants new tenants (20 at a time) to each
credits bot, and its RSS after. The machine matters: on 2 cores the bot, its connector and the
load generator share them, so compare rows of one run, never figures across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector
from turns_setup import (
    BOTS,
    ECHO_TEXT,
    BenchError,
    Bot,
    PgSchema,
    Processes,
    cpu_seconds,
    plan,
    rss_mb,
    start_bots,
)

CONCURRENCIES = (1, 20)
OK = frozenset({200, 201, 202})
JSON_HEADERS = {"Content-Type": "application/json"}
ID_MARK = "@ACTIVITY-ID@"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
RSS_GOAL_MB = 120.0


# ------------------------------------------------------------------ turns


def message(
    service_url: str,
    text: str,
    n: int,
    *,
    activity_id: str,
    tenant: str = "bench-tenant",
    conversation: str | None = None,
) -> dict[str, Any]:
    return {
        "type": "message",
        "id": activity_id,
        "text": text,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:bench", "name": "Bench", "aadObjectId": "bench-admin"},
        "recipient": {"id": "28:bot", "name": "Bot"},
        "conversation": {"conversationType": "personal", "id": conversation or f"a:bench-{n % 16}"},
        "channelData": {"tenant": {"id": tenant}},
    }


def turns(bot: Bot, text: str) -> Iterator[bytes]:
    """Endless request bodies: one activity per turn, a new id each, over 16 conversations."""
    mark = ID_MARK.encode()
    templates = [
        json.dumps(message(bot.service_url, text, n, activity_id=ID_MARK)).encode()
        for n in range(16)
    ]
    run = uuid.uuid4().hex[:8]
    for n in itertools.count():
        yield templates[n % 16].replace(mark, f"bench-{run}-{n}".encode())


def tenant_turns(bot: Bot, count: int) -> Iterator[bytes]:
    """One "balance" per new tenant, each in a conversation of its own."""
    run = uuid.uuid4().hex[:8]
    for n in range(count):
        activity = message(
            bot.service_url,
            "balance",
            n,
            activity_id=f"bench-{run}-t{n}",
            tenant=f"bench-{run}-{n}",
            conversation=f"a:bench-{run}-{n}",
        )
        yield json.dumps(activity).encode()


@dataclass
class Drive:
    latencies: list[float] = field(default_factory=list)  # of the turns answered 2xx, s
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


async def drive(
    session: ClientSession,
    url: str,
    bodies: Iterator[bytes],
    concurrency: int,
    seconds: float | None = None,
) -> Drive:
    """Post `bodies` with `concurrency` clients until they run out or `seconds` pass."""
    result = Drive()
    start = time.perf_counter()
    deadline = start + seconds if seconds is not None else float("inf")

    async def client() -> None:
        for body in bodies:
            began = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=JSON_HEADERS) as answer:
                    await answer.read()
                    status = answer.status
            except (ClientError, TimeoutError) as error:
                result.failures[type(error).__name__] += 1
            else:
                if status in OK:
                    result.latencies.append(time.perf_counter() - began)
                else:
                    result.failures[str(status)] += 1
            if time.perf_counter() >= deadline:
                return

    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - start
    return result


async def posted(session: ClientSession, bot: Bot) -> int:
    """The replies (message activities) the bot's connector has taken so far."""
    async with session.get(f"{bot.service_url}/count") as answer:
        counts: dict[str, int] = await answer.json()
    return counts["messages"]


class Checks:
    """After each run of turns: the bot still lives, every turn was answered 2xx, and every
    answered turn got its reply posted. Problems are printed at once and kept."""

    def __init__(self, processes: Processes) -> None:
        self.processes = processes
        self.warnings: list[str] = []

    def __call__(self, bot: Bot, what: str, result: Drive, posts: int) -> None:
        if bot.process.poll() is not None:
            tail = self.processes.log_tail(bot.name)
            raise BenchError(f"{bot.name} exited with {bot.process.returncode}:\n{tail}")
        answered = len(result.latencies)
        if result.failures:
            self.warn(
                f"{what}: {sum(result.failures.values())} turns failed {dict(result.failures)}"
            )
        if posts != answered:
            self.warn(f"{what}: {answered} turns answered, {posts} replies posted")

    def warn(self, line: str) -> None:
        print(f"WARNING {line}", flush=True)
        self.warnings.append(line)


# ------------------------------------------------------------------ measuring


@dataclass
class Row:
    """One (bot, text, concurrency) over all rounds."""

    bot: str
    text: str
    concurrency: int
    seconds: float = 0.0
    cpu: float = 0.0
    rss: float = 0.0
    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)

    def add(self, result: Drive, cpu: float, rss: float) -> None:
        self.seconds += result.seconds
        self.cpu += cpu
        self.rss = rss
        self.latencies.extend(result.latencies)
        self.rates.append(len(result.latencies) / result.seconds)

    @property
    def rate(self) -> float | None:
        return len(self.latencies) / self.seconds if self.latencies else None

    def ms(self, percent: int) -> float | None:
        if len(self.latencies) < 2:
            return None
        return 1000 * statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1]

    @property
    def cpu_ms(self) -> float | None:
        return 1000 * self.cpu / len(self.latencies) if self.latencies else None

    def as_json(self) -> dict[str, Any]:
        return {
            "bot": self.bot,
            "text": self.text,
            "concurrency": self.concurrency,
            "turns": len(self.latencies),
            "seconds": round(self.seconds, 3),
            "turns_per_s": self.rate,
            "turns_per_s_by_round": [round(rate, 1) for rate in self.rates],
            "p50_ms": self.ms(50),
            "p99_ms": self.ms(99),
            "cpu_ms_per_turn": self.cpu_ms,
            "rss_mb": round(self.rss, 1),
        }


Rows = dict[tuple[str, str, int], Row]


async def warm_up(session: ClientSession, bots: list[Bot], count: int, check: Checks) -> None:
    for bot in bots:
        for text in bot.texts:
            before = await posted(session, bot)
            bodies = itertools.islice(turns(bot, text), count)
            result = await drive(session, bot.url, bodies, min(5, max(1, count)))
            check(bot, f"{bot.name} {text!r} warm-up", result, await posted(session, bot) - before)


async def measure(
    session: ClientSession, bot: Bot, row: Row, seconds: float, check: Checks
) -> None:
    """One slice: `seconds` of turns at the row's concurrency, with the bot's CPU time."""
    pid = bot.process.pid
    before, cpu = await posted(session, bot), cpu_seconds(pid)
    result = await drive(session, bot.url, turns(bot, row.text), row.concurrency, seconds)
    cpu = cpu_seconds(pid) - cpu
    what = f"{bot.name} {row.text!r} at {row.concurrency}"
    check(bot, what, result, await posted(session, bot) - before)
    row.add(result, cpu, rss_mb(pid))


async def measure_rounds(
    session: ClientSession, bots: list[Bot], args: argparse.Namespace, check: Checks
) -> Rows:
    """Interleaved: every round runs every (bot, text) at each concurrency, the order rotated."""
    targets = [(bot, text) for bot in bots for text in bot.texts]
    rows = {(b.name, t, c): Row(b.name, t, c) for b, t in targets for c in CONCURRENCIES}
    for number in range(args.rounds):
        print(f"round {number + 1}/{args.rounds}", file=sys.stderr, flush=True)
        shift = number % len(targets)
        for bot, text in targets[shift:] + targets[:shift]:
            for concurrency in CONCURRENCIES:
                row = rows[(bot.name, text, concurrency)]
                await measure(session, bot, row, args.seconds, check)
    return rows


async def tenants_to(session: ClientSession, bot: Bot, count: int, check: Checks) -> dict[str, Any]:
    rss_before, before = rss_mb(bot.process.pid), await posted(session, bot)
    result = await drive(session, bot.url, tenant_turns(bot, count), 20)
    check(bot, f"{bot.name} tenants", result, await posted(session, bot) - before)
    return {
        "bot": bot.name,
        "tenants": count,
        "seconds": round(result.seconds, 1),
        "rss_before_mb": round(rss_before, 1),
        "rss_after_mb": round(rss_mb(bot.process.pid), 1),
    }


async def memory_phase(
    session: ClientSession, bots: list[Bot], count: int, check: Checks
) -> list[dict[str, Any]]:
    """One "balance" for each of `count` new tenants, 20 at a time, to each credits bot in turn
    (side by side they take as long on 2 cores, and their times would mean less)."""
    memory: list[dict[str, Any]] = []
    for bot in (bot for bot in bots if bot.name.startswith("credits-")):
        print(f"{count} new tenants to {bot.name}", file=sys.stderr, flush=True)
        memory.append(await tenants_to(session, bot, count, check))
    return memory


@dataclass
class Results:
    rows: Rows
    memory: list[dict[str, Any]]
    warnings: list[str]
    seconds: float = 0.0


async def run(args: argparse.Namespace, processes: Processes, schema: PgSchema) -> Results:
    started = time.monotonic()
    planned = await plan(args.only or list(BOTS), schema)
    if not planned:
        raise BenchError("no bot left to run")
    check = Checks(processes)
    connector = TCPConnector(limit=64)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=60)) as session:
        print(f"starting {', '.join(name for name, _ in planned)}", file=sys.stderr, flush=True)
        bots = await start_bots(session, processes, planned, schema)
        await warm_up(session, bots, args.warmup, check)
        rows = await measure_rounds(session, bots, args, check)
        memory = await memory_phase(session, bots, args.tenants, check) if args.tenants else []
    return Results(rows, memory, check.warnings, time.monotonic() - started)


# ------------------------------------------------------------------ report


@dataclass(frozen=True)
class Goal:
    label: str
    value: str  # as shown; "n/a" when a side is missing
    goal: str
    met: bool | None


def ratio_goal(
    label: str, numerator: float | None, denominator: float | None, least: float
) -> Goal:
    if numerator is None or not denominator:
        return Goal(label, "n/a", f">= {least:.1f}", None)
    value = numerator / denominator
    return Goal(label, f"{value:.2f}", f">= {least:.1f}", value >= least)


def goals(rows: Rows, memory: list[dict[str, Any]], tenants: int) -> list[Goal]:
    """The ratios issue 14 sets as goals."""

    def rate(bot: str, text: str, concurrency: int) -> float | None:
        row = rows.get((bot, text, concurrency))
        return row.rate if row else None

    def p99(bot: str, text: str) -> float | None:
        row = rows.get((bot, text, 20))
        return row.ms(99) if row else None

    sqlite, postgres, agents, stock = (
        "credits-sqlite",
        "credits-postgres",
        "agents-echo",
        "stock-echo",
    )
    found: list[Goal] = []
    for peer, text, bot, least in (
        (agents, "balance", sqlite, 1.0),
        (stock, "balance", sqlite, 7.0),
        (agents, "help", sqlite, 1.5),
        (agents, "balance", postgres, 0.8),
    ):
        for at in CONCURRENCIES:
            label = f"{text} ({bot}) / {peer}, turns/s at {at}"
            found.append(ratio_goal(label, rate(bot, text, at), rate(peer, ECHO_TEXT, at), least))
    ours, theirs = p99(sqlite, "balance"), p99(agents, ECHO_TEXT)
    label = "balance (credits-sqlite) p99 at 20 vs agents-echo's"
    if ours is None or theirs is None:
        found.insert(2, Goal(label, "n/a", "<=", None))
    else:
        found.insert(2, Goal(label, f"{ours:.1f} / {theirs:.1f} ms", "<=", ours <= theirs))
    after = {entry["bot"]: entry["rss_after_mb"] for entry in memory}
    for bot in (sqlite, postgres):
        rss = after.get(bot)
        label = f"{bot} RSS after {tenants} tenants, MB"
        shown = "n/a" if rss is None else f"{rss:.1f}"
        found.append(
            Goal(label, shown, f"<= {RSS_GOAL_MB:g}", None if rss is None else rss <= RSS_GOAL_MB)
        )
    return found


def shown(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def print_table(rows: Rows) -> None:
    print(
        f"{'bot':<17}{'text':<9}{'turns/s@1':>10}{'turns/s@20':>11}{'p50@20 ms':>10}"
        f"{'p99@20 ms':>10}{'CPU ms/turn':>12}{'RSS MB':>8}"
    )
    for (bot, text, concurrency), row in rows.items():
        if concurrency != CONCURRENCIES[-1]:
            continue
        one = rows[(bot, text, CONCURRENCIES[0])]
        label = text if bot.startswith("credits-") else "-"
        print(
            f"{bot:<17}{label:<9}{shown(one.rate):>10}{shown(row.rate):>11}"
            f"{shown(row.ms(50)):>10}{shown(row.ms(99)):>10}{shown(row.cpu_ms, 2):>12}"
            f"{shown(row.rss):>8}"
        )


def report(results: Results, args: argparse.Namespace) -> None:
    print(
        f"\n{args.rounds} rounds of {args.seconds:g} s per (bot, text, concurrency); "
        f"{os.cpu_count()} CPUs; {results.seconds:.0f} s in all"
    )
    print_table(results.rows)
    for entry in results.memory:
        print(
            f"{entry['bot']}: {entry['tenants']} new tenants in {entry['seconds']:.1f} s "
            f"({entry['tenants'] / max(entry['seconds'], 0.001):.0f} turns/s), "
            f"RSS {entry['rss_before_mb']:.1f} -> {entry['rss_after_mb']:.1f} MB"
        )
    print("\ngoals (issue 14)")
    found = goals(results.rows, results.memory, args.tenants)
    for goal in found:
        verdict = {True: "met", False: "NOT MET", None: "n/a"}[goal.met]
        print(f"  {goal.label:<58}{goal.value:>18}  {goal.goal:<8}{verdict}")
    if results.warnings:
        print(f"\n{len(results.warnings)} warnings (printed above)")
    if args.json:
        document = {
            "rounds": args.rounds,
            "seconds": args.seconds,
            "cpus": os.cpu_count(),
            "rows": [row.as_json() for row in results.rows.values()],
            "memory": results.memory,
            "goals": [vars(goal) for goal in found],
            "warnings": results.warnings,
        }
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")


# ------------------------------------------------------------------ main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.5, help="per slice (default 1.5)")
    parser.add_argument("--warmup", type=int, default=50, help="turns per bot and text first")
    parser.add_argument("--tenants", type=int, default=10_000, help="memory phase (0: none)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CREDITS_BENCH_POSTGRES_URL") or DEFAULT_PG,
        help="for credits-postgres (default: $CREDITS_BENCH_POSTGRES_URL, else %(default)s)",
    )
    parser.add_argument("--only", default="", help=f"a subset of: {','.join(BOTS)}")
    parser.add_argument("--json", metavar="FILE", help="also write the results there")
    args = parser.parse_args()
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(BOTS))
    if unknown:
        parser.error(f"unknown bots {', '.join(unknown)}; choose among {', '.join(BOTS)}")
    if args.rounds < 1 or args.seconds <= 0 or args.tenants < 0 or args.warmup < 0:
        parser.error("--rounds and --seconds must be positive, --tenants and --warmup not negative")
    return args


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    with tempfile.TemporaryDirectory(prefix="credits-bench-") as folder:
        processes = Processes(Path(folder))
        schema = PgSchema(args.postgres_url)
        try:
            results = asyncio.run(run(args, processes, schema))
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except BenchError as error:
            print(f"bench: {error}", file=sys.stderr)
            return 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip this
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            processes.stop()
            try:
                schema.drop()
            except Exception as error:
                print(f"could not drop schema {schema.name}: {error}", file=sys.stderr)
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
