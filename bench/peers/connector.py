"""A stand-in Bot Connector for bench/turns.py: takes every reply a bot posts and counts it.

    python bench/peers/connector.py --port P

POST /v3/conversations/{cid}/activities and .../activities/{aid}, and PUT .../activities/{aid},
answer 200 {"id": "<uuid>"}. GET /count answers {"posts": all posts and puts, "messages": those
whose activity type is "message"} (typing indicators are posts too, but not replies).
"""

from __future__ import annotations

import json
import uuid

from _serve import healthz, serve
from aiohttp import web

COUNTS = web.AppKey("counts", dict[str, int])


async def reply(request: web.Request) -> web.Response:
    body = await request.read()
    counts = request.app[COUNTS]
    counts["posts"] += 1
    try:
        kind = json.loads(body).get("type")
    except (ValueError, AttributeError):
        kind = None
    if kind == "message":
        counts["messages"] += 1
    return web.json_response({"id": uuid.uuid4().hex})


async def count(request: web.Request) -> web.Response:
    return web.json_response(request.app[COUNTS])


def make_app() -> web.Application:
    app = web.Application()
    app[COUNTS] = {"posts": 0, "messages": 0}
    app.router.add_post("/v3/conversations/{cid}/activities", reply)
    app.router.add_post("/v3/conversations/{cid}/activities/{aid}", reply)
    app.router.add_put("/v3/conversations/{cid}/activities/{aid}", reply)
    app.router.add_get("/count", count)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    serve(make_app, __doc__, quiet=True)
