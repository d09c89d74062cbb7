"""The composition root: `create_app(settings)` wires the whole bot into an aiohttp application.

Nothing is built at import time. The adapter is built by `create_app` (so bad credentials
settings fail at once); the database-backed parts are opened on start-up and closed on shutdown
(`cleanup_ctx`): one `Database`, opened and migrated here, shared by the ledger's facade
(`CreditsService`), the bot's state (`SqlStorage`) and the host's own rows (`HostStore`). Every
part is reachable through the typed keys of bot/appkeys.py (re-exported here), e.g.
`app[SERVICE]`. The ops endpoints are in bot/ops.py, the usage API in bot/usage_api.py.

`POST /api/messages` checks everything it can before a turn runs: body size (413), JSON activity
shape (400), and in authenticated mode the Authorization header (401, or 403 for a valid token
that is not for this bot or service URL). botbuilder 4.17.1 answers several malformed tokens with
a 500 (a DecodeError or KeyError escapes `CloudAdapter.process`), so the header's shape is checked
here first and every authentication failure is mapped to 401/403.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticationConstants
from msrest.serialization import Model

from bot.adapter import create_adapter
from bot.appkeys import (
    ADAPTER,
    BOT,
    HOST,
    LIMITS,
    METRICS,
    SERVICE,
    SETTINGS,
    STORAGE,
    WORKERS,
)
from bot.consent import add_consent_routes
from bot.delivery import AlertDispatcher
from bot.edge import ids_problem, tidy
from bot.graph_pull import UsagePuller, open_puller
from bot.host_store import HostStore
from bot.http import MAX_TOKEN_CHARS, BodyTooLarge, problem, read_body
from bot.metrics import Metrics, instrument_service
from bot.ops import add_ops_routes
from bot.settings import Settings
from bot.storage import SqlStorage
from bot.teams import CreditsBot
from bot.usage_api import add_usage_routes
from bot.wire import activity_from_json
from bot.workers import (
    Workers,
    alert_delivery,
    reply_delivery,
    standard_jobs,
    usage_pull,
    worker_id,
)
from credits.clock import Clock
from credits.db import Database
from credits.payments import PaymentGateway
from credits.service import CreditsService

log = structlog.get_logger(__name__)

MAX_LOGGED_ID = 200
# PermissionError messages of botframework for a genuine token that is not for this request
_FORBIDDEN_MARKERS = ("service_url claim", "Invalid AppId")


def create_app(
    settings: Settings,
    *,
    gateway: PaymentGateway | None = None,
    clock: Clock | None = None,
) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[ADAPTER] = create_adapter(settings)
    app[METRICS] = Metrics()

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with _running(app, gateway, clock):
            yield

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/api/messages", messages)
    add_ops_routes(app)
    add_usage_routes(app)
    add_consent_routes(app)
    return app


@asynccontextmanager
async def _running(
    app: web.Application, gateway: PaymentGateway | None, clock: Clock | None
) -> AsyncIterator[None]:
    """The database-backed parts, from start-up to shutdown: one Database (migrated here) shared
    by the ledger's facade, the bot's state and the host's own rows; then the workers."""
    settings = app[SETTINGS]
    db = Database.of(settings.credits)
    try:
        await db.migrate()
        service = CreditsService(db, settings.credits, gateway, clock)
        instrument_service(service, app[METRICS])
        app[SERVICE] = service
        app[STORAGE] = SqlStorage(db, clock=clock)
        app[HOST] = HostStore(db, clock=clock)
        app[BOT] = CreditsBot(service, app[STORAGE], settings, app[HOST])
        puller = open_puller(service) if settings.workers else None
        app[WORKERS] = workers = _workers(app, service, puller)
        log.info(
            "bot ready",
            authenticated=not settings.local_mode,
            database=db.engine.url.render_as_string(hide_password=True),
            workers=[job.name for job in workers.jobs],
        )
        if settings.workers and puller is None:
            log.info(
                "usage is not pulled from Microsoft Graph", reason=service.config.graph_off_reason()
            )
        workers.start()
        try:
            yield
        finally:
            await workers.stop()
            if puller is not None:
                await puller.close()
    finally:
        await app[ADAPTER].close()
        await db.dispose()


def _workers(app: web.Application, service: CreditsService, puller: UsagePuller | None) -> Workers:
    """The background jobs (none when CREDITS_WORKERS is off). The reply job is made either way:
    making it lets turns keep the replies the connector refuses, for a worker to post."""
    settings, adapter, metrics = app[SETTINGS], app[ADAPTER], app[METRICS]
    me = worker_id()
    jobs = standard_jobs(
        service,
        me=me,
        recharge_interval=settings.recharge_interval_seconds,
        check_interval=settings.check_interval_seconds,
        metrics=metrics,
    )
    # one dispatcher per process, so its rate-limit windows carry across rounds; waits are kept
    # short so a round ends well within the alert lease and the stop grace
    dispatcher = AlertDispatcher(
        service, adapter, settings.app_id, max_inline_wait=5.0, max_delay=5.0
    )
    app[LIMITS] = dispatcher.limits
    jobs.append(alert_delivery(dispatcher, me, settings.alert_interval_seconds, metrics))
    jobs.append(reply_delivery(service, adapter, settings, dispatcher, me, metrics))
    if puller is not None:
        jobs.append(usage_pull(puller, me, metrics))
    return Workers(jobs if settings.workers else [])


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _text(value: Any) -> str | None:
    return value[:MAX_LOGGED_ID] if isinstance(value, str) and value else None


def turn_ids(body: dict[str, Any]) -> dict[str, str | None]:
    """Tenant, conversation and activity ids of a raw activity, for the log context."""
    conversation = body.get("conversation")
    tenant = _text(_get(_get(body.get("channelData"), "tenant"), "id")) or _text(
        _get(conversation, "tenantId")
    )
    return {
        "tenant_id": tenant,
        "conversation_id": _text(_get(conversation, "id")),
        "activity_id": _text(body.get("id")),
    }


def _b64json(segment: str) -> Any:
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    return json.loads(raw)


def bearer_problem(header: str) -> str | None:
    """Why an Authorization header cannot hold a Bot Framework token, or None if it might.

    Only the shape is checked (scheme, three base64url JSON parts, a signing algorithm
    botframework accepts, an issuer); the signature and claims are botframework's job.
    """
    if not header:
        return "no Authorization header"
    scheme, _, token = header.partition(" ")
    if scheme != "Bearer" or not token or " " in token:
        return "Authorization is not a Bearer token"
    if len(token) > MAX_TOKEN_CHARS:
        return "token too long"
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return "token is not a signed JWT"
    try:
        jose, claims = _b64json(parts[0]), _b64json(parts[1])
    except (binascii.Error, ValueError, RecursionError):
        return "token is not a JWT"
    if not isinstance(jose, dict) or not isinstance(claims, dict):
        return "token is not a JWT"
    if jose.get("alg") not in AuthenticationConstants.ALLOWED_SIGNING_ALGORITHMS:
        return "token signing algorithm not allowed"
    if not isinstance(claims.get("iss"), str):
        return "token has no issuer"
    return None


def _plain(body: Any) -> Any:
    """An invoke response body as JSON data: msrest models serialised once, dicts as they are
    (botbuilder's own `serializer_helper` fails on plain dicts)."""
    if isinstance(body, Model):
        return serializer_helper(body)
    if isinstance(body, list):
        return [_plain(item) for item in body]
    return body


async def messages(request: web.Request) -> web.StreamResponse:
    limit = request.app[SETTINGS].max_body_bytes
    try:
        raw = await read_body(request, limit)
    except BodyTooLarge:
        return problem(413, f"The request body is over {limit} bytes.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # includes UnicodeDecodeError and JSONDecodeError
        return problem(400, "The request body is not JSON.")
    if not isinstance(body, dict):
        return problem(400, "The request body must be a JSON object (an activity).")
    if not isinstance(body.get("type"), str) or not body["type"]:
        return problem(400, "The activity has no type.")
    try:
        activity = activity_from_json(body)  # msrest's result, without msrest (bot/wire.py)
    except Exception:  # msrest DeserializationError and friends: a malformed field
        return problem(400, "The request body is not a valid activity.")
    ids = {name: value for name, value in turn_ids(body).items() if value is not None}
    with structlog.contextvars.bound_contextvars(**ids):
        try:
            return await _turn(request, body, activity)
        except Exception:
            log.exception("request failed")
            return problem(500, "Internal error.")


async def _turn(
    request: web.Request, body: dict[str, Any], activity: Activity
) -> web.StreamResponse:
    """Authenticate, then check the activity's fields (a caller without a valid token learns
    nothing of the rules: 401 first), then run the turn."""
    app = request.app
    settings, adapter = app[SETTINGS], app[ADAPTER]
    if settings.local_mode:
        header = ""  # unauthenticated: a header would only make botframework try to validate it
    else:
        header = request.headers.get("Authorization", "")
        refusal = bearer_problem(header)
        if refusal is not None:
            log.info("request refused", status=401, reason=refusal)
            return problem(401, "Unauthorized.", **{"WWW-Authenticate": "Bearer"})
    try:
        auth = await adapter.authentication.authenticate_request(activity, header)
    except PermissionError as error:
        status = 403 if any(m in str(error) for m in _FORBIDDEN_MARKERS) else 401
        log.info("request refused", status=status, reason=str(error))
        return problem(status, "Forbidden." if status == 403 else "Unauthorized.")
    except OSError as error:  # includes requests' errors: signing keys could not be fetched
        log.warning("authentication unavailable", error=repr(error))
        return problem(503, "Authentication is unavailable; try again.", **{"Retry-After": "5"})
    except Exception as error:  # jwt errors, KeyError, botframework's bare Exceptions
        log.info("request refused", status=401, reason=f"{type(error).__name__}: {error}")
        return problem(401, "Unauthorized.", **{"WWW-Authenticate": "Bearer"})
    refusal = ids_problem(body, local_mode=settings.local_mode)
    if refusal is not None:
        log.info("request refused", status=400, reason=refusal)
        return problem(400, f"The activity was refused: {refusal}.")
    tidy(activity)

    on_turn = app[METRICS].timed_turn(activity.type, app[BOT].on_turn)
    invoke_response = await adapter.process_activity(auth, activity, on_turn)
    if invoke_response is not None:
        return web.json_response(
            _plain(invoke_response.body), status=int(invoke_response.status or 200)
        )
    return web.Response(status=201)
