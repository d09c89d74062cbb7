"""Microsoft Graph's PSTN call records for one tenant: `getPstnCalls`, page after page.

`GET {graph_url}/communications/callRecords/getPstnCalls(fromDateTime=…,toDateTime=…)`, then each
`@odata.nextLink` exactly as Graph gives it (docs/graph-usage.md §1). Each request is retried
through throttling and outages (429, 5xx, connection errors, timeouts) as Graph asks, waiting its
`Retry-After`, and once after a new token when Graph says 401 (§3). Rows are read with
`credits.usage.load_json`, so amounts are exact Decimals.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import ssl
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import structlog
from yarl import URL

from bot.graph_auth import GraphAccess, GraphTokens, check_tenant
from credits.graph_problems import GraphError, SourceProblem
from credits.usage import load_json

log = structlog.get_logger(__name__)

MAX_RANGE = timedelta(days=90)  # Graph refuses a longer range
_BACKOFF_CAP = 60.0  # seconds: the longest wait when Graph gives no Retry-After
_RETRIED = {SourceProblem.THROTTLED, SourceProblem.UNAVAILABLE}
_STATUS = {
    400: SourceProblem.BAD_REQUEST,
    401: SourceProblem.SIGN_IN_REJECTED,
    403: SourceProblem.PERMISSION_REMOVED,
    429: SourceProblem.THROTTLED,
    500: SourceProblem.UNAVAILABLE,
    502: SourceProblem.UNAVAILABLE,
    503: SourceProblem.UNAVAILABLE,
    504: SourceProblem.UNAVAILABLE,
}
NO_ANSWER = 0  # the status of a request that got no answer (connection error, timeout)


def _graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pstn_calls_url(graph_url: str, start: datetime, end: datetime) -> str:
    """The first page's URL. Whole seconds: `start` rounded down and `end` up, so the range
    only widens. ValueError (a caller's bug) for naive datetimes, start after end, or a range
    Graph refuses (more than 90 days)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("getPstnCalls needs timezone-aware datetimes (UTC)")
    start = start.replace(microsecond=0)
    if end.microsecond:
        end = end.replace(microsecond=0) + timedelta(seconds=1)
    if start > end:
        raise ValueError(f"getPstnCalls: start {start.isoformat()} is after end {end.isoformat()}")
    if end - start > MAX_RANGE:
        raise ValueError(f"getPstnCalls reads at most 90 days at a time, not {end - start}")
    return (
        f"{graph_url}/communications/callRecords/getPstnCalls"
        f"(fromDateTime={_graph_time(start)},toDateTime={_graph_time(end)})"
    )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


@dataclass(frozen=True)
class _Reply:
    status: int  # NO_ANSWER when the request failed on the way
    retry_after: float | None
    body: bytes
    client_request_id: str
    failure: str = ""  # why there is no answer (the exception's name)

    def detail(self) -> str:
        """For operators: the status, Graph's error code and message, the request's id."""
        if self.status == NO_ANSWER:
            return f"Graph unreachable: {self.failure} (client-request-id {self.client_request_id})"
        code, message = _graph_error(self.body)
        text = f"Graph HTTP {self.status} {code}".rstrip()
        if message:
            text += f": {message[:160]}"
        return f"{text} (client-request-id {self.client_request_id})"


def _graph_error(body: bytes) -> tuple[str, str]:
    """The code and message of Graph's error body {"error": {"code", "message"}}, if it is one."""
    try:
        data = json.loads(body[:65536])
    except (ValueError, RecursionError):
        return "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def _ssl_context(access: GraphAccess) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if access.ca_bundle is not None:
        context.load_verify_locations(cafile=str(access.ca_bundle))
    return context


class GraphClient:
    """Reads a tenant's PSTN call records from Graph. `requests` counts the HTTP requests sent
    to Graph (token requests are GraphTokens' business). `close` closes the HTTP session; the
    caller closes the GraphTokens it passed."""

    def __init__(
        self,
        access: GraphAccess,
        tokens: GraphTokens,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        max_attempts: int = 6,
        max_wait: float = 120.0,
    ) -> None:
        if max_attempts < 1 or max_wait < 0:
            raise ValueError("max_attempts must be at least 1 and max_wait not negative")
        self._access = access
        self._tokens = tokens
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._origin = URL(access.graph_url).origin()
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0

    def pstn_calls(
        self, tenant_id: str, start: datetime, end: datetime
    ) -> AsyncGenerator[list[Any], None]:
        """Each page's rows (its "value" list) of the calls that started from `start` to `end`
        (both inclusive). ValueError at once for a range Graph refuses (see pstn_calls_url);
        GraphError while iterating."""
        url = pstn_calls_url(self._access.graph_url, start, end)
        return self._pages(check_tenant(tenant_id), url)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _pages(self, tenant_id: str, url: str) -> AsyncGenerator[list[Any], None]:
        page = 0
        next_url: str | None = url
        while next_url is not None:
            body = await self._fetch(tenant_id, next_url)
            rows, following = self._read_page(body)
            if following == next_url:
                raise GraphError(SourceProblem.UNEXPECTED, "Graph's nextLink repeats the page")
            page += 1
            log.debug(
                "graph page", tenant_id=tenant_id, page=page, rows=len(rows), more=bool(following)
            )
            next_url = following
            yield rows

    async def _fetch(self, tenant_id: str, url: str) -> bytes:
        """The body of Graph's 200 for `url`: retried through throttling and outages (at most
        max_attempts tries, no wait longer than max_wait), and once with a new token after a
        401. Raises GraphError."""
        token = await self._tokens.token(tenant_id)
        renewed = False
        attempt = 0
        while True:
            reply = await self._send(url, token)
            if reply.status == 200:
                return reply.body
            if reply.status == 401 and not renewed:
                renewed = True
                token = await self._tokens.renew(tenant_id)
                continue
            problem = _STATUS.get(reply.status, SourceProblem.UNEXPECTED)
            if reply.status == NO_ANSWER:
                problem = SourceProblem.UNAVAILABLE
            if problem not in _RETRIED:
                raise GraphError(problem, reply.detail())
            attempt += 1
            wait = reply.retry_after
            if wait is None:
                wait = min(2.0 ** (attempt - 1), _BACKOFF_CAP, self._max_wait)
            if attempt >= self._max_attempts or wait > self._max_wait:
                raise GraphError(problem, reply.detail(), retry_after=reply.retry_after)
            log.info("graph asked to wait", tenant_id=tenant_id, status=reply.status, seconds=wait)
            await self._sleep(wait)
            token = await self._tokens.token(tenant_id)

    async def _send(self, url: str, token: str) -> _Reply:
        session = self._open()
        request_id = str(uuid.uuid4())
        headers = {
            "Authorization": f"Bearer {token}",
            "client-request-id": request_id,
            "Accept": "application/json",
        }
        self.requests += 1
        try:
            async with session.get(
                URL(url, encoded=True), headers=headers, allow_redirects=False
            ) as response:
                body = await response.read()
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                return _Reply(response.status, retry_after, body, request_id)
        except aiohttp.ClientSSLError as error:  # not passing: a wrong CA bundle, a proxy
            detail = f"Graph's TLS certificate refused: {type(error).__name__}"
            raise GraphError(SourceProblem.UNAVAILABLE, detail) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            return _Reply(NO_ANSWER, None, b"", request_id, type(error).__name__)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=_ssl_context(self._access)),
                timeout=aiohttp.ClientTimeout(total=self._access.timeout),
            )
        return self._session

    def _read_page(self, body: bytes) -> tuple[list[Any], str | None]:
        """A page's rows and its nextLink (None on the last page). Raises GraphError."""
        try:
            page = load_json(body)
        except (ValueError, RecursionError):
            raise GraphError(SourceProblem.UNEXPECTED, "Graph's page is not JSON") from None
        if not isinstance(page, dict) or not isinstance(page.get("value"), list):
            raise GraphError(SourceProblem.UNEXPECTED, 'Graph\'s page has no "value" list')
        following = page.get("@odata.nextLink")
        if following is None:
            return page["value"], None
        if not isinstance(following, str) or not self._same_origin(following):
            where = following[:120] if isinstance(following, str) else type(following).__name__
            raise GraphError(SourceProblem.UNEXPECTED, f"Graph's nextLink is elsewhere: {where}")
        return page["value"], following

    def _same_origin(self, url: str) -> bool:
        try:
            return URL(url, encoded=True).origin() == self._origin
        except ValueError:  # not an absolute URL
            return False
