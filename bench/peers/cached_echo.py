"""The stock botbuilder 4.17.1 echo bot with the project's connector-client reuse, for
bench/turns.py: what bot/adapter.py alone buys, without the product's turn.

    python bench/peers/cached_echo.py --port P

The same echo as stock_echo.py, but botbuilder's CloudAdapter is given the project's
CachingBotFrameworkAuthentication (bot/adapter.py): connector clients are built once per
(app id, service URL, audience) in a ConnectorClientCache, made `single_attempt` (no msrest
retries, a 5 s timeout), and reused with their pooled connections.
"""

from __future__ import annotations

from _serve import healthz, serve
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.adapter import CachingBotFrameworkAuthentication, ConnectorClientCache


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
    inner = ConfigurationBotFrameworkAuthentication(Config())
    # CachingConnectorFactory applies single_attempt to every client it builds
    adapter = CloudAdapter(CachingBotFrameworkAuthentication(inner, ConnectorClientCache()))
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
