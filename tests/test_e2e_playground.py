"""End to end in a real client: `credits-bot serve` and the Microsoft 365 Agents Playground
(npm @microsoft/m365agentsplayground, pinned in e2e/package.json), driven through the Playground's
own HTTP API as an admin would. Assertions are on what the Playground shows (its log stream).

One test also drives the Playground's own web page in headless Chromium (e2e/ui.mjs), clicking the
buttons an admin clicks.

Needs Node.js, `npm ci --prefix e2e` and, for the web page, Debian's Chromium (`apt-get install
chromium`, or CHROMIUM=/path); without them these tests skip and say so, unless
CREDITS_TEST_REQUIRE_E2E=1 (CI), when that is a failure."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from card_helpers import nodes, texts
from fake_graph import FakeGraph
from records import call

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND = ROOT / "e2e" / "node_modules" / ".bin" / "agentsplayground"
UI_SCRIPT = ROOT / "e2e" / "ui.mjs"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CONFIG = ROOT / ".m365agentsplayground.yml"
REQUIRE = os.environ.get("CREDITS_TEST_REQUIRE_E2E") == "1"
CONVERSATION = "a:1personal-chat-alex"
USER = "29:1user-alex"
TENANT = "72f988bf-0000-4000-8000-00000000aaaa"
TOKEN = "e2e-usage-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed; the Playground end-to-end tests need it"
    if not PLAYGROUND.exists():
        return "the Agents Playground is not installed: run `npm ci --prefix e2e`"
    return None


async def _lines(stream: asyncio.StreamReader, sink: list[str]) -> None:
    while line := await stream.readline():
        sink.append(line.decode(errors="replace"))


class Process:
    def __init__(self, process: asyncio.subprocess.Process, output: list[str]) -> None:
        self.process = process
        self.output = output
        assert process.stdout is not None
        self._reader = asyncio.create_task(_lines(process.stdout, output))

    @classmethod
    async def start(cls, *args: str, env: dict[str, str], cwd: Path) -> Process:
        process = await asyncio.create_subprocess_exec(
            *args,
            env=env,
            cwd=cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        return cls(process, [])

    async def wait_for(self, pattern: str, seconds: float = 30) -> re.Match[str]:
        for _ in range(int(seconds / 0.1)):
            for line in self.output:
                if found := re.search(pattern, line):
                    return found
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {pattern!r} in output:\n{''.join(self.output)[-3000:]}")

    async def stop(self) -> None:
        if self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        await self._reader


class Playground:
    """Drives the Playground as its web page would, and reads what it shows."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.shown: list[dict[str, Any]] = []

    async def listen(self) -> None:
        async with self.session.ws_connect(f"{self.base}/_ws/log/stream") as ws:
            async for message in ws:
                self.shown.append(json.loads(message.data))

    async def until(self, check: Any, seconds: float = 20) -> list[dict[str, Any]]:
        for _ in range(int(seconds / 0.1)):
            found = [entry for entry in self.shown if check(json.dumps(entry, ensure_ascii=False))]
            if found:
                return found
            await asyncio.sleep(0.1)
        raise AssertionError("the Playground never showed it")

    async def say(self, text: str) -> None:
        response = await self.session.post(
            f"{self.base}/_conversation/v1/conversations/{CONVERSATION}/messages",
            json={"from": {"id": USER}, "text": text, "textFormat": "plain"},
        )
        assert response.status == 200, await response.text()

    async def press(self, verb: str) -> dict[str, Any]:
        """Press the newest card button with this verb, as Action.Execute."""
        entry = (await self.until(lambda shown: f'"verb": "{verb}"' in shown))[-1]
        data = next(n["data"] for n in nodes(entry) if n.get("verb") == verb and "data" in n)
        response = await self.session.post(
            f"{self.base}/_conversation/v1/invoke",
            json={
                "name": "adaptiveCard/action",
                "conversation": {"id": CONVERSATION},
                "from": {"id": USER},
                "replyToId": entry["log"]["messageId"],
                "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}},
            },
        )
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


def chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not at {CHROMIUM}: `apt-get install chromium` or set CHROMIUM"
    return None


def usage(count: int, charge: str, prefix: str) -> list[dict[str, Any]]:
    start = "2026-11-24T09:00:00Z"
    return [
        call(f"{prefix}-{n}", charge, tenantId=TENANT, startDateTime=start, duration=600)
        for n in range(count)
    ]


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[tuple[Playground, str]]:
    async with started(tmp_path) as running:
        yield running


@asynccontextmanager
async def locale_relay(bot_url: str, locale: str) -> AsyncIterator[str]:
    """A Teams client in another language, in front of the bot: Playground 0.2.28 writes
    `"locale": "en-US"` into every activity (hard-coded in its dist/index.js; its config has no
    locale), so this relay passes each activity on with the root `locale` and the `clientInfo`
    entity's locale set to `locale`, as Teams does for a user whose Teams is in that language,
    and hands the bot's answer back unchanged. Everything else is the Playground's own."""

    async def relay(request: web.Request) -> web.Response:
        activity = await request.json()
        activity["locale"] = locale
        for entity in activity.get("entities") or []:
            if entity.get("type") == "clientInfo":
                entity["locale"] = locale
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{bot_url}/api/messages", json=activity) as answer,
        ):
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type=answer.content_type)

    app = web.Application()
    app.router.add_post("/api/messages", relay)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def started(
    tmp_path: Path, locale: str | None = None, **settings: str
) -> AsyncIterator[tuple[Playground, str]]:
    """`credits-bot serve` (with these extra settings) and the Playground pointed at it (through
    a `locale_relay` when a user `locale` is given)."""
    reason = missing()
    if reason:
        if REQUIRE:
            pytest.fail(reason)
        pytest.skip(reason)
    bot_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITS_", "Microsoft"))}
    env.update(
        CREDITS_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        CREDITS_USAGE_TOKEN=TOKEN,
        CREDITS_RECHARGE_INTERVAL_SECONDS="0.2",
        CREDITS_ALERT_INTERVAL_SECONDS="0.2",
        **settings,
    )
    bot = await Process.start(
        sys.executable, "-m", "bot.cli", "serve", "--port", str(bot_port), env=env, cwd=ROOT
    )
    client = None
    relay = None
    try:
        await bot.wait_for(r"listening")
        endpoint = f"http://127.0.0.1:{bot_port}"
        if locale is not None:
            relay = locale_relay(endpoint, locale)
            endpoint = await relay.__aenter__()
        pg_env = dict(
            env,
            TEAMSAPPTESTER_BROWSER="none",
            M365_AGENTS_PLAYGROUND_CONFIG_PATH=str(CONFIG),
            M365_AGENTS_PLAYGROUND_LOGFILE=str(tmp_path / "playground.log"),
        )
        client = await Process.start(
            str(PLAYGROUND),
            "start",
            "-p",
            str(free_port()),
            "-e",
            f"{endpoint}/api/messages",
            "-c",
            "msteams",
            "--disable-telemetry",
            env=pg_env,
            cwd=tmp_path,
        )
        port = (await client.wait_for(r"Listening on (\d+)")).group(1)  # may differ if busy
        async with aiohttp.ClientSession() as session:
            ui = Playground(session, f"http://127.0.0.1:{port}")
            listener = asyncio.create_task(ui.listen())
            await asyncio.sleep(0.5)
            try:
                yield ui, f"http://127.0.0.1:{bot_port}"
            finally:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
    finally:
        if client is not None:
            await client.stop()
        if relay is not None:
            await relay.__aexit__(None, None, None)
        await bot.stop()


async def test_an_admin_adds_funds_sets_auto_recharge_and_sees_the_recharge_alert(
    playground: tuple[Playground, str],
) -> None:
    ui, bot_url = playground
    session = ui.session
    # opening the chat installs the bot: the welcome card
    await session.post(f"{ui.base}/_debug/conversation/{CONVERSATION}/installation")
    await ui.until(lambda shown: "I keep your Teams Communications Credits" in shown)

    await ui.say("send alerts here")
    await ui.until(lambda shown: "Alerts will be posted here" in shown)

    await ui.say("add $50 credits")
    receipt = await ui.press("add_funds_confirm")
    assert "Added $50.00" in json.dumps(receipt)
    await ui.say("balance")
    await ui.until(lambda shown: "$50.00" in shown and "Auto-recharge" in shown)

    await ui.say("set auto-recharge to $100 when below $20")
    saved = await ui.press("recharge_confirm")
    assert "when below $20.00" in json.dumps(saved)

    calls = usage(4, "10.00", "e2e-call")
    response = await session.post(
        f"{bot_url}/api/usage", json=calls, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status == 200
    assert (await response.json())["summary"]["applied"] == 4
    # $50 - $40 = $10, below $20: one recharge of $100, announced in the chat
    alerts = await ui.until(lambda shown: "$100.00" in shown and "$110.00" in shown, seconds=30)
    assert alerts
    await ui.say("balance")
    await ui.until(lambda shown: "$110.00" in shown and "when below $20.00" in shown)


async def test_usage_from_microsoft_graph_moves_the_balance_with_nothing_posted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same chain with no /api/usage: an admin connects usage, the "usage" worker pulls the
    calls from a local Graph (tests/fake_graph.py, over TLS, with the real MSAL), the balance
    falls, auto-recharge fires once and the alert reaches the chat."""
    monkeypatch.delenv("MSAL_FORCE_REGION", raising=False)
    async with FakeGraph() as graph:
        settings = {**graph.env(), "CREDITS_GRAPH_INTERVAL_SECONDS": "0.5"}
        async with started(tmp_path, **settings) as (ui, _):
            await ui.session.post(f"{ui.base}/_debug/conversation/{CONVERSATION}/installation")
            await ui.until(lambda shown: "I keep your Teams Communications Credits" in shown)
            await ui.say("send alerts here")
            await ui.until(lambda shown: "Alerts will be posted here" in shown)
            await ui.say("add $50 credits")
            await ui.press("add_funds_confirm")
            await ui.say("set auto-recharge to $100 when below $20")
            await ui.press("recharge_confirm")

            await ui.say("connect usage")
            await ui.until(lambda shown: "CallRecords.Read.All" in shown)
            graph.consent(TENANT)  # the admin grants it on Microsoft's page
            now = datetime.now(UTC)
            for minutes in (50, 40, 30, 20):
                graph.add_call(TENANT, startDateTime=now - timedelta(minutes=minutes), charge="10")
            graph.add_call(TENANT, startDateTime=now, licenseCapability="MCOPSTN1", charge="3")
            checking = await ui.press("usage_check")
            assert "starts within seconds" in json.dumps(checking)
            # $50 - $40 = $10, below $20: one recharge of $100, announced in the chat
            await ui.until(lambda shown: "$100.00" in shown and "$110.00" in shown, seconds=30)
            await ui.say("usage status")
            # the last pull read all five calls: four new, or (pulled again since) seen before
            read = re.compile(r"5: (4 new, 0|0 new, 4) seen before, 1 not paid from credits")
            await ui.until(lambda shown: read.search(shown) is not None)
            await ui.say("balance")
            await ui.until(lambda shown: "$110.00" in shown and "when below $20.00" in shown)
        assert len(graph.requests("getPstnCalls")) >= 1


async def test_an_admin_clicks_through_the_playground_web_page(
    playground: tuple[Playground, str], tmp_path: Path
) -> None:
    """The Playground's own page in headless Chromium: the welcome on opening the chat, "send
    alerts here", "add $50 credits" and a click on Confirm (the receipt replaces the card), auto-
    recharge by chat and Confirm, the balance card, a Cancel, then the recharge alert arriving by
    itself after usage crosses the trigger. No error may occur in the page."""
    if reason := chromium_missing():
        if REQUIRE:
            pytest.fail(reason)
        pytest.skip(reason)
    ui, bot_url = playground
    page = await asyncio.create_subprocess_exec(
        "node",
        str(UI_SCRIPT),
        ui.base,
        str(tmp_path),
        cwd=ROOT,
        env=dict(os.environ, CHROMIUM=CHROMIUM),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert page.stdout is not None
    steps: dict[str, dict[str, Any]] = {}
    lines: list[str] = []
    try:
        async with asyncio.timeout(150):
            while line := (await page.stdout.readline()).decode():
                lines.append(line)
                if not line.startswith("{"):
                    continue
                step = json.loads(line)
                steps[step["step"]] = step
                if step["step"] == "waiting-for-alert":
                    # $50 - $40 = $10, below the $20 trigger: one $100 recharge, then an alert
                    response = await ui.session.post(
                        f"{bot_url}/api/usage",
                        json=usage(4, "10.00", "ui-call"),
                        headers={"Authorization": f"Bearer {TOKEN}"},
                    )
                    assert response.status == 200
            await page.wait()
    finally:
        if page.returncode is None:
            page.kill()
            await page.wait()
    shown = "".join(lines)
    assert page.returncode == 0, shown
    assert "failed" not in steps and "page-errors" not in steps, shown
    assert "I keep your Teams Communications Credits" in steps["welcome"]["card"]
    assert "Balance after $50.00" in steps["confirm-funds"]["card"]
    assert "Added $50.00" in steps["receipt"]["card"]
    assert "New balance $50.00" in steps["receipt"]["card"]
    assert steps["receipt"]["cards"] == steps["confirm-funds"]["cards"]  # replaced in place
    assert "On: add $100.00 when below $20.00" in steps["recharge-on"]["card"]
    assert "Balance $50.00" in steps["balance"]["card"]
    assert "Nothing was changed" in steps["cancelled"]["card"]
    alert = steps["recharge-alert"]["card"]
    assert "$100.00" in alert and "$110.00" in alert, alert
    for step in steps.values():
        assert not step.get("errors"), step


ENGLISH = re.compile(
    r"\b(the|and|balance|add|added|funds|when|below|recharge|history|alerts?|cancel|confirm"
    r"|credits|new|now|here|you|your)\b",
    re.IGNORECASE,
)


def shown_by_bot(ui: Playground) -> list[str]:
    """The visible text of every message, card and card update the bot sent to the Playground
    (its log: what the bot posted, and the bot's answers to button presses)."""
    sent: list[dict[str, Any]] = []
    for entry in ui.shown:
        log = entry.get("log") or {}
        if log.get("from") == "User Application":
            sent.append((log.get("request") or {}).get("body") or {})
        elif log.get("activityName") == "invoke":
            sent.append((log.get("response") or {}).get("body") or {})
    found: list[str] = []
    for activity in sent:
        if isinstance(activity.get("text"), str):
            found.append(activity["text"])
        for node in nodes(activity):
            if node.get("type") == "AdaptiveCard":
                found.extend(texts(node).splitlines())
    return found


async def test_a_vietnamese_admin_does_it_all_in_vietnamese(tmp_path: Path) -> None:
    """The first test again, as an admin whose Teams is in Vietnamese (locale vi-VN): the
    welcome, "gửi cảnh báo vào đây", "nạp 50 đô" and Xác nhận, "tự động nạp 100 đô khi số dư
    dưới 20 đô" and Xác nhận, usage crossing the trigger, the recharge alert, "xem số dư". Money
    is shown as Babel writes it in vi-VN ("50,00 US$", with a no-break space), and no English
    word appears in what the bot shows."""
    async with started(tmp_path, locale="vi-VN") as (ui, bot_url):
        session = ui.session
        await session.post(f"{ui.base}/_debug/conversation/{CONVERSATION}/installation")
        await ui.until(lambda shown: "Tín dụng Liên lạc" in shown)

        await ui.say("gửi cảnh báo vào đây")
        await ui.until(lambda shown: "Cảnh báo sẽ được gửi" in shown)

        await ui.say("nạp 50 đô")
        receipt = json.dumps(await ui.press("add_funds_confirm"), ensure_ascii=False)
        assert "Đã nạp 50,00\u00a0US$" in receipt, receipt
        await ui.say("xem số dư")
        await ui.until(lambda shown: "50,00\u00a0US$" in shown and "Tự động nạp tiền" in shown)

        await ui.say("tự động nạp 100 đô khi số dư dưới 20 đô")
        saved = json.dumps(await ui.press("recharge_confirm"), ensure_ascii=False)
        assert "100,00\u00a0US$" in saved and "20,00\u00a0US$" in saved, saved

        calls = usage(4, "10.00", "e2e-vi-call")
        response = await session.post(
            f"{bot_url}/api/usage", json=calls, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status == 200
        # 50 - 40 = 10 US$, below the 20 US$ trigger: one recharge of 100 US$, told in Vietnamese
        await ui.until(
            lambda shown: "100,00\u00a0US$" in shown and "110,00\u00a0US$" in shown,
            seconds=30,
        )
        await ui.say("xem số dư")
        await ui.until(lambda shown: "110,00\u00a0US$" in shown)
        said = shown_by_bot(ui)
        assert said, "the bot showed nothing"
        english = sorted({m.group(0) for text in said for m in ENGLISH.finditer(text)})
        assert not english, (english, said)
