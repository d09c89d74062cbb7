"""Starting, watching and stopping the bots of bench/turns.py: each bot and its stand-in
connector a subprocess logging to a file in the bench's temporary folder, their CPU time and
memory read from /proc, and the PostgreSQL schema of the credits-postgres bot."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from credits.db import normalise_url

PEERS = Path(__file__).resolve().parent / "peers"
BOTS = ("floor", "stock-echo", "cached-echo", "agents-echo", "credits-sqlite", "credits-postgres")
CREDITS_TEXTS = ("balance", "help")
ECHO_TEXT = "balance"
ACCESS = '"logger": "aiohttp.access"'  # the credits bot's access log lines, left out of tails


class BenchError(Exception):
    """The bench cannot go on (a bot would not start, or died)."""


# ------------------------------------------------------------------ processes


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the bench dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Processes:
    """Every subprocess the bench starts, each logging to a file in `folder`; `stop()` ends
    them all (SIGTERM, then SIGKILL)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,  # no .env of the checkout is read
                env=env,
                start_new_session=True,  # Ctrl-C reaches the bench, which stops them in order
                preexec_fn=_die_with_parent,
            )
        self.started.append(process)
        return process

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.folder / f"{name}.log"
        if not path.exists():
            return ""
        kept = [
            line for line in path.read_text(errors="replace").splitlines() if ACCESS not in line
        ]
        return "\n".join(kept[-lines:])

    def stop(self, grace: float = 15.0) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + grace
        for process in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.started.clear()


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on the loopback address now."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc/<pid>/task/<tid>/children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                queue.extend(int(child) for child in (task / "children").read_text().split())
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid`, its live descendants and its reaped children."""
    ticks = 0
    for index, member in enumerate(_tree(pid)):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            if index == 0:
                ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """VmRSS of `pid` and its descendants, in MB."""
    kilobytes = 0
    for member in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kilobytes += int(line.split()[1])
    return kilobytes / 1024


# ------------------------------------------------------------------ the bots


@dataclass
class Bot:
    """One bot under test, with its own stand-in connector."""

    name: str
    texts: tuple[str, ...]
    process: subprocess.Popen[bytes]
    port: int
    connector_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.connector_port}"


class PgSchema:
    """A fresh PostgreSQL schema for the credits-postgres bot, dropped at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"bench_{uuid.uuid4().hex[:12]}"
        self.created = False

    def shown(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    async def _run(self, statement: str) -> None:
        engine = create_async_engine(
            normalise_url(self.url), isolation_level="AUTOCOMMIT", connect_args={"timeout": 3}
        )
        try:
            async with engine.connect() as connection:
                await connection.execute(sql(statement))
        finally:
            await engine.dispose()

    async def create(self) -> str | None:
        """None when made, else why PostgreSQL cannot be used."""
        try:
            await self._run(f'CREATE SCHEMA "{self.name}"')
        except Exception as error:  # any failure to reach it means "skip"
            return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        self.created = True
        return None

    def drop(self) -> None:
        if self.created:
            asyncio.run(self._run(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
            self.created = False


def credits_env(database_url: str, schema: str | None) -> dict[str, str]:
    """This environment without the bot's own settings (CREDITS_*, MicrosoftApp*), then ours:
    local mode on the given database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("CREDITS_", "MICROSOFTAPP"))
    }
    env["CREDITS_DATABASE_URL"] = database_url
    if schema is not None:
        env["CREDITS_DATABASE_SCHEMA"] = schema
    return env


def credits_command() -> str:
    beside = Path(sys.executable).parent / "credits-bot"
    found = str(beside) if beside.exists() else shutil.which("credits-bot")
    if found is None:
        raise BenchError("credits-bot not found: .venv/bin/pip install -e '.[dev,bench]'")
    return found


def agents_sdk_missing() -> bool:
    try:
        return importlib.util.find_spec("microsoft_agents.hosting.aiohttp") is None
    except ModuleNotFoundError:
        return True


async def plan(names: list[str], schema: PgSchema) -> list[tuple[str, tuple[str, ...]]]:
    """The bots to start and the texts each is sent; says why any is skipped."""
    planned: list[tuple[str, tuple[str, ...]]] = []
    for name in names:
        if name == "agents-echo" and agents_sdk_missing():
            print("agents-echo skipped: the Agents SDK is missing; pip install -e '.[bench]'")
            continue
        if name == "credits-postgres":
            reason = await schema.create()
            if reason is not None:
                print(f"credits-postgres skipped: PostgreSQL at {schema.shown()}: {reason}")
                continue
        planned.append((name, CREDITS_TEXTS if name.startswith("credits-") else (ECHO_TEXT,)))
    return planned


def bot_argv(name: str, port: int) -> list[str]:
    if name.startswith("credits-"):
        return [credits_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    script = PEERS / f"{name.replace('-', '_')}.py"
    return [sys.executable, str(script), "--port", str(port)]


def bot_env(name: str, folder: Path, schema: PgSchema) -> dict[str, str] | None:
    if name == "credits-sqlite":
        return credits_env(f"sqlite+aiosqlite:///{folder / 'credits.db'}", None)
    if name == "credits-postgres":
        return credits_env(schema.url, schema.name)
    return None


async def wait_ready(
    session: ClientSession, processes: Processes, name: str, bot: subprocess.Popen[bytes], port: int
) -> None:
    deadline = time.monotonic() + 90
    while True:
        if bot.poll() is not None:
            tail = processes.log_tail(name)
            raise BenchError(f"{name} exited with {bot.returncode} before it was ready:\n{tail}")
        with contextlib.suppress(ClientError, TimeoutError):
            probe = f"http://127.0.0.1:{port}/healthz"
            async with session.get(probe, timeout=ClientTimeout(total=2)) as answer:
                if answer.status < 500:
                    return
        if time.monotonic() > deadline:
            raise BenchError(f"{name} was not ready after 90 s:\n{processes.log_tail(name)}")
        await asyncio.sleep(0.1)


async def start_bots(
    session: ClientSession,
    processes: Processes,
    planned: list[tuple[str, tuple[str, ...]]],
    schema: PgSchema,
) -> list[Bot]:
    bots: list[Bot] = []
    ports = iter(free_ports(2 * len(planned)))
    for name, texts in planned:
        connector_port, port = next(ports), next(ports)
        connector = processes.start(
            f"{name}-connector",
            [sys.executable, str(PEERS / "connector.py"), "--port", str(connector_port)],
        )
        process = processes.start(
            name, bot_argv(name, port), bot_env(name, processes.folder, schema)
        )
        bots.append(Bot(name, texts, process, port, connector_port))
        await wait_ready(session, processes, f"{name}-connector", connector, connector_port)
    await asyncio.gather(*(wait_ready(session, processes, b.name, b.process, b.port) for b in bots))
    return bots
