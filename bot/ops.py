"""Operations endpoints: `GET /healthz` (the process answers), `GET /readyz` (database reachable,
workers running) and `GET /metrics` (Prometheus text format, the app's `Metrics`).

The database is asked through the facade only: `CreditsService.ping()` for readiness and
`CreditsService.alert_backlog()` for the outbox gauge, each under a timeout of its own here.
"""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from bot.appkeys import METRICS, SERVICE, SETTINGS, WORKERS
from credits.service import CreditsService

log = structlog.get_logger(__name__)

READY_TIMEOUT_SECONDS = 2.0
"""How long `/readyz` waits for `SELECT 1` before calling the database unreachable."""
SCRAPE_TIMEOUT_SECONDS = 2.0
"""How long `/metrics` waits for the outbox COUNT before reporting the backlog as unknown."""


def add_ops_routes(app: web.Application) -> None:
    """Register `GET /healthz`, `GET /readyz` and `GET /metrics` on an app made by
    `bot.app.create_app`."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


async def database_ok(service: CreditsService) -> str | None:
    """None when `SELECT 1` answers within READY_TIMEOUT_SECONDS; otherwise why not."""
    timeout = READY_TIMEOUT_SECONDS
    try:
        async with asyncio.timeout(timeout):
            await service.ping()
    except TimeoutError:
        return f"database did not answer within {timeout:g} s"
    except Exception as error:
        return f"database unreachable: {type(error).__name__}"
    return None


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    service = app.get(SERVICE)
    workers = app.get(WORKERS)
    if service is None or workers is None:
        body = {"status": "not ready", "database": "unknown", "workers": "unknown"}
        return web.json_response({**body, "reason": "starting up"}, status=503)
    problems: list[str] = []
    failure = await database_ok(service)
    database = "ok" if failure is None else "unreachable"
    if failure is not None:
        problems.append(failure)
    if not app[SETTINGS].workers:
        state = "off"  # switched off on purpose (CREDITS_WORKERS=false)
    elif workers.running:
        state = "running"
    else:
        state = "stopped"
        problems.append("background workers are stopped")
    body = {"database": database, "workers": state}
    if problems:
        log.warning("not ready", reason="; ".join(problems))
        return web.json_response(
            {"status": "not ready", **body, "reason": "; ".join(problems)}, status=503
        )
    return web.json_response({"status": "ready", **body})


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    registry = app[METRICS]
    service = app.get(SERVICE)
    backlog = float("nan")
    if service is not None:
        try:
            async with asyncio.timeout(SCRAPE_TIMEOUT_SECONDS):
                backlog = await service.alert_backlog()
        except Exception as error:
            log.warning("outbox backlog not counted", error=f"{type(error).__name__}: {error}")
    registry.outbox_backlog.set(backlog)
    return web.Response(body=registry.render(), headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})
