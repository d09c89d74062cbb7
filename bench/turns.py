"""Whole HTTP turns per second through /api/messages, with the replies posted to a local stub
connector: our adapter (connector clients built once per service URL) against the stock
behaviour of botbuilder 4.17.1 (a new ConnectorClient on every turn). Prints figures and ratios.

    .venv/bin/python bench/turns.py [--turns 200] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from bot import adapter as bot_adapter
from bot.app import create_app
from bot.settings import Settings
from credits.config import CreditsConfig


def stub_connector() -> web.Application:
    async def reply(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": uuid.uuid4().hex})

    app = web.Application()
    app.router.add_post("/v3/conversations/{cid}/activities", reply)
    app.router.add_post("/v3/conversations/{cid}/activities/{aid}", reply)
    app.router.add_put("/v3/conversations/{cid}/activities/{aid}", reply)
    return app


def message(service_url: str, text: str, n: int) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"bench-{uuid.uuid4().hex}",
        "text": text,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:bench", "name": "Bench", "aadObjectId": "bench-admin"},
        "recipient": {"id": "28:bot", "name": "Bot"},
        "conversation": {"conversationType": "personal", "id": f"a:bench-{n % 16}"},
        "channelData": {"tenant": {"id": "bench-tenant"}},
    }


async def measure(label: str, turns: int, concurrency: int, text: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        credits = CreditsConfig(_env_file=None, database_url=f"sqlite:///{Path(folder)}/b.db")  # type: ignore[call-arg]
        settings = Settings(_env_file=None, app_id="", credits=credits)  # type: ignore[call-arg]
        connector = TestServer(stub_connector())
        bot = TestServer(create_app(settings))
        await connector.start_server()
        await bot.start_server()
        service_url = str(connector.make_url("")).rstrip("/")
        url = str(bot.make_url("/api/messages"))
        try:
            async with ClientSession() as session:
                for n in range(10):  # warm up
                    await session.post(url, json=message(service_url, text, n))
                queue = list(range(turns))
                start = time.perf_counter()

                async def worker() -> None:
                    while queue:
                        n = queue.pop()
                        async with session.post(url, json=message(service_url, text, n)) as r:
                            assert r.status in (200, 201), await r.text()

                await asyncio.gather(*(worker() for _ in range(concurrency)))
                rate = turns / (time.perf_counter() - start)
        finally:
            await bot.close()
            await connector.close()
    print(f"{label:<34} {rate:7.1f} turns/s  ('{text}', {concurrency} at a time)")
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    for text in ("help", "balance"):
        cached = await measure("clients reused (ours)", args.turns, args.concurrency, text)
        original = bot_adapter.ConnectorClientCache.get

        async def build_every_time(self: Any, key: Any, build: Any) -> Any:
            self.built += 1
            return await build()

        bot_adapter.ConnectorClientCache.get = build_every_time  # type: ignore[method-assign]
        try:
            fresh = await measure(
                "new client every turn (stock)", args.turns, args.concurrency, text
            )
        finally:
            bot_adapter.ConnectorClientCache.get = original  # type: ignore[method-assign]
        print(f"{'':34} reuse is x{cached / fresh:.2f}")


if __name__ == "__main__":
    import logging

    from bot.logging import configure_logging

    configure_logging(level=logging.WARNING)
    asyncio.run(main())
