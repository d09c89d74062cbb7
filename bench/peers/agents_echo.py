"""The Microsoft 365 Agents SDK 1.9 echo agent, as its quickstart sample wires it, for
bench/turns.py.

    python bench/peers/agents_echo.py --port P

Needs the bench extra: `.venv/bin/pip install -e '.[dev,bench]'` (microsoft-agents-hosting-aiohttp).
The quickstart's shape: a CloudAdapter over a connection manager, an AgentApplication[TurnState]
with MemoryStorage whose "message" route sends "Echo: <text>", and an aiohttp app with the SDK's
jwt_authorization_middleware whose POST /api/messages calls start_agent_process. Anonymous, with
no app id: the quickstart's MsalConnectionManager (another package) is replaced by the core's
ConnectionManager with AnonymousTokenProvider, and the auth configuration allows anonymous calls,
so no token is asked for or checked. Everything else keeps the SDK's defaults (the typing timer,
turn state loaded and saved, a connector client made for each turn).
"""

from __future__ import annotations

from _serve import healthz, serve
from aiohttp import web
from microsoft_agents.hosting.aiohttp import (
    CloudAdapter,
    jwt_authorization_middleware,
    start_agent_process,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ConnectionManager,
    MemoryStorage,
    TurnContext,
    TurnState,
)


def anonymous_provider(_: AgentAuthConfiguration) -> AnonymousTokenProvider:
    return AnonymousTokenProvider()


def make_app() -> web.Application:
    auth = AgentAuthConfiguration(anonymous_allowed=True)
    connections = ConnectionManager(
        anonymous_provider, connections_configurations={"SERVICE_CONNECTION": auth}
    )
    adapter = CloudAdapter(connection_manager=connections)
    agent = AgentApplication[TurnState](storage=MemoryStorage(), connection_manager=connections)

    @agent.activity("message")
    async def on_message(context: TurnContext, _state: TurnState) -> None:
        await context.send_activity(f"Echo: {context.activity.text}")

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await start_agent_process(request, agent, adapter)
        return response if response is not None else web.Response(status=500)

    app = web.Application(middlewares=[jwt_authorization_middleware])
    app["agent_configuration"] = auth  # the key the SDK's middleware reads
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    serve(make_app, __doc__)
