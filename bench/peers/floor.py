"""The floor of bench/turns.py: the least an aiohttp bot can do per turn, no framework.

    python bench/peers/floor.py --port P

Reads the activity JSON, posts one reply JSON to its serviceUrl over one pooled ClientSession,
answers 201.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from _serve import healthz, serve
from aiohttp import ClientSession, web

SESSION = web.AppKey("session", ClientSession)


async def messages(request: web.Request) -> web.Response:
    activity: dict[str, Any] = await request.json()
    conversation = activity["conversation"]["id"]
    url = f"{activity['serviceUrl']}/v3/conversations/{conversation}/activities/{activity['id']}"
    reply = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "text": f"Echo: {activity.get('text', '')}",
        "from": activity.get("recipient"),
        "recipient": activity.get("from"),
        "conversation": activity["conversation"],
        "replyToId": activity["id"],
    }
    async with request.app[SESSION].post(url, json=reply) as answer:
        await answer.read()
        answer.raise_for_status()
    return web.Response(status=201)


async def session_context(app: web.Application) -> AsyncIterator[None]:
    async with ClientSession() as session:
        app[SESSION] = session
        yield


def make_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(session_context)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    serve(make_app, __doc__, quiet=True)
