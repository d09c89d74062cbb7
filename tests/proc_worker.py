"""A worker process for the multi-process tests (tests/test_concurrency.py, tests/test_crash.py).

Run as a standalone script: `python tests/proc_worker.py COMMAND ARGS...`. It is configured only
through CREDITS_* environment variables (database, schema, sandbox journal, lease...) and argv,
and reports progress as lines on stdout, flushed at once, so the parent can follow (and kill) it:

    ready              the service is open; commands with a barrier now wait for a line on stdin
    gateway-calls N    how many times this process called its payment gateway
    done ...           the command finished

Commands:
    usage TENANT PREFIX COUNT        barrier; COUNT records of 1.00, one ingest_usage call each;
                                     then process_payments a few times
    add-funds TENANT AMOUNT KEY      barrier; one add_funds (prints "funded SEQ REPLAYED BALANCE")
    big-batch TENANT PREFIX COUNT    one ingest_usage call with COUNT records of 0.01, printing
                                     "inserting N" at its N-th chunk of ledger inserts and
                                     "committing" when its transaction starts to commit
    recharge-hang                    process_payments with a gateway that charges (the sandbox,
                                     with the shared journal), prints "charged KEY REF", then hangs
    purchase-hang TENANT AMOUNT KEY  add_funds with that same charge-then-hang gateway
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from records import call
from sqlalchemy import event

from credits.config import CreditsConfig
from credits.models import Actor
from credits.payments import ChargeRequest, ChargeResult, PaymentGateway, SandboxGateway
from credits.service import CreditsService

ADA = Actor("aad-ada", "Ada Admin")  # the same admin as in the tests, so replays match


def say(*parts: object) -> None:
    print(*parts, flush=True)


# the calls a worker sends (and a crash test's parent sends again, as they were)
record = partial(
    call, startDateTime="2026-01-01T00:00:00Z", duration=60, destinationContext="National"
)


class ChargeThenHang:
    """Charges through the sandbox (so its journal records the approval), says so, and then
    never answers: the process is meant to be killed right there, between charge and credit."""

    def __init__(self, journal: os.PathLike[str] | str | None) -> None:
        self.inner = SandboxGateway(journal=Path(journal) if journal else None)
        self.calls: list[ChargeRequest] = []

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        self.calls.append(request)
        result = await self.inner.charge(request)
        say("charged", request.idempotency_key, result.reference)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def barrier() -> None:
    """Wait for the parent's go (one line on stdin); a closed stdin means the parent gave up."""
    if not sys.stdin.readline():
        say("abandoned")
        raise SystemExit(3)


def gateway_calls(gateway: PaymentGateway | None) -> int:
    calls = getattr(gateway, "calls", None)
    return len(calls) if calls is not None else -1


async def run(args: argparse.Namespace) -> None:
    config = CreditsConfig(_env_file=None)  # type: ignore[call-arg]
    gateway: PaymentGateway | None = None
    if args.command in ("recharge-hang", "purchase-hang"):
        gateway = ChargeThenHang(config.sandbox_journal)
    service = await CreditsService.open(config, gateway)
    gateway = service.gateway
    worker = f"proc-{os.getpid()}"
    try:
        say("ready", os.getpid())
        if args.command == "usage":
            barrier()
            applied = 0
            for n in range(args.count):
                outcomes = await service.ingest_usage(
                    [record(f"{args.prefix}-{n}", Decimal("1.00"), tenantId=args.tenant)]
                )
                applied += sum(o.status.value == "applied" for o in outcomes)
            statuses: list[str] = []
            for _ in range(3):
                statuses += [o.status for o in await service.process_payments(worker)]
                await asyncio.sleep(0.05)
            say("gateway-calls", gateway_calls(gateway))
            say("done", applied, ",".join(statuses) or "-")
        elif args.command == "add-funds":
            barrier()
            result = await service.add_funds(args.tenant, args.amount, ADA, args.key)
            say("gateway-calls", gateway_calls(gateway))
            say("funded", result.entry.seq, result.replayed, result.balance.minor)
            say("done")
        elif args.command == "big-batch":
            batch = [
                record(f"{args.prefix}-{n}", Decimal("0.01"), tenantId=args.tenant)
                for n in range(args.count)
            ]
            watch_transaction(service)
            say("start", len(batch))
            outcomes = await service.ingest_usage(batch)
            say("done", sum(o.status.value == "applied" for o in outcomes))
        elif args.command == "recharge-hang":
            outcomes = await service.process_payments(worker)
            say("done", ",".join(o.status for o in outcomes) or "-")
        elif args.command == "purchase-hang":
            result = await service.add_funds(args.tenant, args.amount, ADA, args.key)
            say("done", result.entry.seq)
        else:  # pragma: no cover - argparse refuses unknown commands
            raise AssertionError(args.command)
    finally:
        await service.close()


def watch_transaction(service: CreditsService) -> None:
    """Say "inserting N" as the batch's write transaction writes its N-th chunk of ledger
    entries, and "committing" when it starts to commit: a kill after the first line and before
    the second is a kill in the middle of the transaction."""
    state = {"chunks": 0}
    engine = service.db.engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO LEDGER_ENTRIES"):
            state["chunks"] += 1
            say("inserting", state["chunks"])

    @event.listens_for(engine, "commit")
    def _commit(_conn: Any) -> None:
        if state["chunks"]:
            say("committing")


# ---------------------------------------------------------------------- the parent's side

WORKER = Path(__file__).resolve()


class Child:
    """A worker process driven by a test: started with asyncio, every wait bounded, and always
    reaped (`close()` kills it if needed and drains its pipes, so nothing leaks)."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.lines: list[str] = []
        self.stderr = ""
        self._reaped = False

    @classmethod
    async def start(
        cls, *args: str, env: Mapping[str, str], cwd: os.PathLike[str] | str, name: str = ""
    ) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
        )
        return cls(process, name or args[0])

    def __repr__(self) -> str:
        return f"<worker {self.name} pid={self.process.pid} rc={self.process.returncode}>"

    async def expect(self, prefix: str, within: float = 30) -> str:
        """The next line starting with `prefix` (earlier lines are kept in `lines`)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            try:
                raw = await asyncio.wait_for(self.process.stdout.readline(), max(remaining, 0))
            except TimeoutError:
                raise AssertionError(
                    f"{self!r}: no {prefix!r} line within {within}s; said {self.lines}"
                ) from None
            if not raw:
                await self.close()
                raise AssertionError(
                    f"{self!r} ended before saying {prefix!r}; said {self.lines}\n{self.stderr}"
                )
            line = raw.decode().rstrip("\n")
            self.lines.append(line)
            if line.startswith(prefix):
                return line

    async def go(self) -> None:
        """Release the barrier."""
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        await self.process.stdin.drain()

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # already gone
                self.process.send_signal(signal.SIGKILL)

    async def finish(self, within: float = 30) -> int:
        """Wait for the worker to end by itself; collects the rest of its output."""
        if not await self._reap(within):
            await self.close()
            raise AssertionError(f"{self!r} did not finish within {within}s; said {self.lines}")
        assert self.process.returncode is not None
        return self.process.returncode

    async def close(self) -> None:
        """Kill if still running, then reap and drain (idempotent, bounded)."""
        self.kill()
        await self._reap(15)

    async def _reap(self, within: float) -> bool:
        if self._reaped:
            return True
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            out, err = await asyncio.wait_for(self.process.communicate(), within)
        except TimeoutError:
            return False
        self._reaped = True
        self.lines += out.decode().splitlines()
        self.stderr += err.decode()
        return True

    def said(self, prefix: str) -> list[str]:
        return [line for line in self.lines if line.startswith(prefix)]


def child_env(database: Mapping[str, str], **settings: object) -> dict[str, str]:
    """This environment without any CREDITS_* of its own, plus the test's database and
    settings (CREDITS_ + the upper-cased name)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITS_")}
    env.update(database)
    env.update({f"CREDITS_{k.upper()}": str(v) for k, v in settings.items()})
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    usage = commands.add_parser("usage")
    usage.add_argument("tenant")
    usage.add_argument("prefix")
    usage.add_argument("count", type=int)
    funds = commands.add_parser("add-funds")
    funds.add_argument("tenant")
    funds.add_argument("amount")
    funds.add_argument("key")
    big = commands.add_parser("big-batch")
    big.add_argument("tenant")
    big.add_argument("prefix")
    big.add_argument("count", type=int)
    commands.add_parser("recharge-hang")
    hang = commands.add_parser("purchase-hang")
    hang.add_argument("tenant")
    hang.add_argument("amount")
    hang.add_argument("key")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
