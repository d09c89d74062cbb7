"""bot/wire.py against msrest, and a turn's cost before and after bot/poster.py. Prints figures;
asserts nothing.

    .venv/bin/python bench/wire.py [--seconds 1.0] [--turns 2000] [--rounds 3]

1. Serialisation, one thread, best of --rounds: reading a Teams personal-chat message
   (msrest's ``Activity().deserialize`` against ``activity_from_json``) and writing a reply
   with the balance card (cards/account.py) addressed as a turn addresses it (msrest's
   ``Serializer.body`` as ConversationsOperations calls it, against ``activity_to_json``).
2. Turns: the echo bot of bench/peers/cached_echo.py on the product's adapter, in this process,
   against bench/peers/connector.py in another; each turn reads the JSON body, authenticates
   (local mode), runs the bot, and posts its reply (a text echo, or the balance card). "msrest"
   is the adapter as it was (msrest reads the activity, botframework's ConnectorClient posts
   through msrest's requests sender in a worker thread); "wire" is the adapter now (bot/wire.py
   reads it, bot/poster.py posts it on one aiohttp session). Turns run one at a time; the
   figures are wall-clock and this process's CPU time (all threads) per turn, best of --rounds.
The machine matters (2 shared cores): compare rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ResourceResponse
from botframework.connector import models as connector_models
from msrest import Serializer

from bot.adapter import CreditsAdapter, create_adapter
from bot.settings import Settings
from bot.wire import activity_from_json, activity_to_json
from cards.account import balance_card
from credits.models import AccountView, PaymentView, RechargeSettings
from credits.money import Money, currency

HERE = Path(__file__).resolve().parent
USD = currency("USD")


def teams_message(service_url: str, text: str = "balance") -> dict[str, Any]:
    return {
        "type": "message",
        "id": str(uuid.uuid4()),
        "text": text,
        "textFormat": "plain",
        "locale": "en-US",
        "timestamp": "2026-11-24T03:21:10.538Z",
        "localTimestamp": "2026-11-24T14:21:10.538+11:00",
        "localTimezone": "Australia/Sydney",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:1user-alex", "name": "Alex Wilber", "aadObjectId": "aad-alex"},
        "recipient": {"id": "28:bot-app-id", "name": "Credits"},
        "conversation": {"conversationType": "personal", "tenantId": "t1", "id": "a:1chat"},
        "channelData": {"tenant": {"id": "t1"}},
        "entities": [{"type": "clientInfo", "locale": "en-US", "country": "US"}],
    }


def card() -> dict[str, Any]:
    def m(value: str) -> Money:
        return Money(Decimal(value), USD)

    now = datetime(2026, 11, 24, 14, 5, tzinfo=UTC)
    recharge = RechargeSettings(
        enabled=True, amount=m("100"), trigger=m("20"), paused=False,
        consecutive_declines=0, daily_limit=5, monthly_cap=m("500"),
    )  # fmt: skip
    last = PaymentView(
        id=7, kind="auto_recharge", status="succeeded", amount=m("100"),
        idempotency_key="pay-7", reason=None, reference="sandbox-123", attempts=1,
        created_at=now, updated_at=now,
    )  # fmt: skip
    view = AccountView(
        tenant_id="t1", currency=USD, balance=m("1000.50"), version=3, recharge=recharge,
        last_recharge=last, recharge_in_progress=False, daily_burn=m("5"),
        runway_days=Decimal("12.4"), expiring=None, thresholds=(m("20"),),
        effective_thresholds=(m("20"),), last_seq=40,
    )  # fmt: skip
    made: dict[str, Any] = balance_card(view, True)
    return made


def best(call: Callable[[], Any], seconds: float, rounds: int) -> float:
    """Microseconds per call, the best of `rounds` runs of about `seconds` each."""
    call()
    count = max(1, int(seconds / max(_once(call), 1e-7)))
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(count):
            call()
        times.append((time.perf_counter() - started) / count)
    return min(times) * 1e6


def _once(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def serialisation(seconds: float, rounds: int) -> None:
    body = teams_message("https://smba.trafficmanager.net/amer/")
    inbound = Activity().deserialize(body)
    reply = MessageFactory.attachment(CardFactory.adaptive_card(card()))
    TurnContext.apply_conversation_reference(reply, TurnContext.get_conversation_reference(inbound))
    classes = {k: v for k, v in vars(connector_models).items() if isinstance(v, type)}
    serializer = Serializer(classes)  # as ConnectorClient holds it
    assert serializer.body(reply, "Activity") == activity_to_json(reply)
    rows = [
        ("read a Teams message", lambda: Activity().deserialize(body),
         lambda: activity_from_json(body)),
        ("write a balance card reply", lambda: serializer.body(reply, "Activity"),
         lambda: activity_to_json(reply)),
    ]  # fmt: skip
    print(f"{'':28} {'msrest µs':>10} {'wire µs':>10} {'ratio':>7}")
    for name, old, new in rows:
        before, after = best(old, seconds, rounds), best(new, seconds, rounds)
        print(f"{name:28} {before:10.1f} {after:10.1f} {before / after:6.1f}x")


# --------------------------------------------------------------------------- turns


class Echo(ActivityHandler):  # type: ignore[misc]  # botbuilder ships no types
    def __init__(self, with_card: bool) -> None:
        self.card = card() if with_card else None

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        if self.card is None:
            await turn_context.send_activity(f"Echo: {turn_context.activity.text}")
        else:
            await turn_context.send_activity(
                MessageFactory.attachment(CardFactory.adaptive_card(self.card))
            )


class MsrestAdapter(CreditsAdapter):
    """The adapter as it was: every post through the ConnectorClient (msrest)."""

    async def _send_one(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        [response] = await CloudAdapter.send_activities(self, context, [activity])
        return response


def adapter(kind: str) -> CreditsAdapter:
    made = create_adapter(Settings(app_id="", _env_file=None))  # type: ignore[call-arg]
    if kind == "msrest":
        return MsrestAdapter(made.authentication, made.replies)
    return made


async def turn(made: CreditsAdapter, bot: Echo, raw: bytes, read: Callable[[Any], Any]) -> None:
    activity = read(json.loads(raw))
    auth = await made.authentication.authenticate_request(activity, "")
    await made.process_activity(auth, activity, bot.on_turn)


async def turns(url: str, kind: str, with_card: bool, count: int) -> tuple[float, float]:
    """Wall and CPU µs per turn over `count` turns (after a warm-up)."""
    made, bot = adapter(kind), Echo(with_card)
    read: Callable[[Any], Any] = Activity().deserialize if kind == "msrest" else activity_from_json
    bodies = [json.dumps(teams_message(url)).encode() for _ in range(count + 20)]
    try:
        for raw in bodies[:20]:
            await turn(made, bot, raw, read)
        wall, cpu = time.perf_counter(), time.process_time()
        for raw in bodies[20:]:
            await turn(made, bot, raw, read)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await made.close()
    return wall / count * 1e6, cpu / count * 1e6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(url + "healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the stand-in connector did not start")


async def turn_costs(count: int, rounds: int) -> None:
    port = free_port()
    connector = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "peers" / "connector.py"), "--port", str(port)
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        await wait_for(url)
        print(f"\n{'turn (one at a time)':28} {'wall µs':>10} {'CPU µs':>10}")
        for with_card in (False, True):
            results: dict[str, list[tuple[float, float]]] = {"msrest": [], "wire": []}
            for _ in range(rounds):
                for kind in results:
                    results[kind].append(await turns(url, kind, with_card, count))
            for kind, figures in results.items():
                wall, cpu = min(w for w, _ in figures), min(c for _, c in figures)
                name = f"{'card' if with_card else 'echo'} via {kind}"
                print(f"{name:28} {wall:10.0f} {cpu:10.0f}")
    finally:
        connector.terminate()
        await connector.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    serialisation(args.seconds, args.rounds)
    if args.turns > 0:
        asyncio.run(turn_costs(args.turns, args.rounds))


if __name__ == "__main__":
    main()
