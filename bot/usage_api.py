"""`POST /api/usage`: PSTN call records in, one outcome per record out.

The body is a JSON array of call records shaped like Microsoft Graph's PSTN call records, or a
Graph page `{"value": [...]}` (`@odata.nextLink` is ignored: the caller posts each page), for one
or more tenants (each record names its `tenantId`). The whole body is applied in one transaction
(`CreditsService.ingest_usage`): bad records are rejected with a reason and never stop good ones,
and nothing is half-applied.

The endpoint is off (404) unless CREDITS_USAGE_TOKEN is set; callers then authenticate with
`Authorization: Bearer <token>`, compared in constant time. The checks run in this order:
off (404), token (401, before the body is read), size (413: Content-Length and a capped read),
JSON and shape (400). Numbers are parsed as Decimal, never float (`credits.usage.load_json`).
Past that every record is judged on its own (`credits.usage.parse_record` checks each field
against what the store holds): the answer is 200 with one result per record, and a 500 means a
genuine bug (the transaction is rolled back: nothing applied).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

import structlog
from aiohttp import web

from bot.appkeys import METRICS, SERVICE, SETTINGS
from bot.http import BodyTooLarge, problem, read_body
from credits.models import UsageOutcome
from credits.text import TENANT_ID_MAX, text_problem
from credits.usage import BodyProblem, RecordsError, load_records, summarize

log = structlog.get_logger(__name__)

USAGE_PATH = "/api/usage"
OFF_MESSAGE = (
    "The usage API is off: set CREDITS_USAGE_TOKEN on the bot to turn it on, "
    "then send 'Authorization: Bearer <token>'."
)
SHAPE_MESSAGE = 'The body must be a JSON array of call records or {"value": [call records...]}.'


def add_usage_routes(app: web.Application) -> None:
    """Register `POST /api/usage` on an app made by `bot.app.create_app`."""
    app.router.add_post(USAGE_PATH, usage)


def authorized(header: str, token: str) -> bool:
    """Whether an Authorization header carries `Bearer <token>`; constant time in the token."""
    scheme, _, presented = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        presented = ""
    # compare bytes: compare_digest refuses non-ASCII str, and a caller controls the header
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def parse_body(raw: bytes | str) -> list[Any]:
    """The records of a body (`credits.usage.load_records`); ValueError saying why it is not
    one (JSON or shape), worded for the API's caller."""
    try:
        return load_records(raw)
    except RecordsError as error:
        match error.problem:
            case BodyProblem.TOO_DEEP:
                message = "The body is nested too deeply."
            case BodyProblem.NOT_JSON:
                message = f"The body is not valid JSON: {error.detail}"
            case BodyProblem.NOT_RECORDS:
                message = SHAPE_MESSAGE
        raise ValueError(message) from error


def _result(outcome: UsageOutcome, records: Sequence[Any]) -> dict[str, Any]:
    tenant = outcome.tenant_id
    if tenant is None:  # rejected before the tenant was known: echo what the caller sent
        raw = records[outcome.index] if outcome.index < len(records) else None
        sent = raw.get("tenantId") if isinstance(raw, dict) else None
        tenant = sent if text_problem(sent, TENANT_ID_MAX) is None else None
    return {
        "index": outcome.index,
        "id": outcome.record_id,
        "tenantId": tenant,
        "status": outcome.status.value,
        "reason": outcome.reason,
    }


async def usage(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    token = settings.usage_token
    if not token:
        return problem(404, OFF_MESSAGE)
    if not authorized(request.headers.get("Authorization", ""), token):
        log.info("usage refused", status=401, remote=request.remote)
        return problem(401, "Unauthorized.", **{"WWW-Authenticate": "Bearer"})
    limit = settings.usage_max_body_bytes
    try:
        raw = await read_body(request, limit)
    except BodyTooLarge:
        message = f"The request body is over {limit} bytes; send the records in smaller batches."
        return problem(413, message)
    try:
        records = parse_body(raw)
    except ValueError as error:
        return problem(400, str(error))
    try:
        outcomes = await request.app[SERVICE].ingest_usage(records)
    except Exception:
        log.exception("usage ingest failed", records=len(records))
        return problem(500, "Internal error: nothing was applied; try again.")
    summary = summarize(outcomes)
    request.app[METRICS].usage(summary)
    log.info("usage ingested", records=len(records), **summary)
    return web.json_response(
        {"results": [_result(o, records) for o in outcomes], "summary": summary}
    )
