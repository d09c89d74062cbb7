"""The stock botbuilder 4.17.1 echo bot, as its samples write it, for bench/turns.py.

    python bench/peers/stock_echo.py --port P

CloudAdapter(ConfigurationBotFrameworkAuthentication(config)) with an empty app id and password
(no authentication), `await adapter.process(request, bot)`, and an ActivityHandler that answers
"Echo: <text>". botbuilder builds a new ConnectorClient (and its credentials and requests session)
for every turn: that is what this peer measures.
"""

from __future__ import annotations

from _serve import healthz, serve
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class Config:
    """What the samples' config.py holds (APP_ID, APP_PASSWORD, ...), empty: no authentication."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):  # type: ignore[misc]  # botbuilder ships no types
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"Echo: {turn_context.activity.text}")


def make_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await adapter.process(request, bot)
        return response

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    serve(make_app, __doc__)
