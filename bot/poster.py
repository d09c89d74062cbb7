"""Posting activities to the Bot Connector on one pooled aiohttp session.

botframework's ConnectorClient posts a reply by serialising it with msrest (bot/wire.py says
what that costs), then sending it through msrest's pipeline and its *requests* sender in a worker
thread: a thread hop per post, a pipeline of policies, and, when authenticated, the token
fetched by MSAL on the event loop (``AppCredentials.signed_session``, which may do network I/O).
:class:`ConnectorPoster` makes the same requests from the event loop on one pooled
``aiohttp.ClientSession`` per adapter (made on the first post, closed with the adapter):

- the same URLs: ``POST {serviceUrl}/v3/conversations/{conversationId}/activities/{replyToId}``
  for a reply, ``.../activities`` without a replyToId, ``PUT .../activities/{activityId}`` for
  an update; each id quoted with nothing kept safe and joined to the service URL exactly as
  msrest does (``Serializer.url``, ``ServiceClient.format_url``), a missing one refused with
  msrest's ``ValidationError``;
- the same body: msrest's JSON (bot/wire.py ``activity_to_json``), dumped as msrest dumps it;
- the same headers that matter: ``Content-Type: application/json; charset=utf-8``, ``Accept``,
  the client's ``User-Agent``, ``x-ms-conversation-id`` on a reply, and ``Authorization: Bearer
  <token>`` from the cached ConnectorClient's own credentials (``config.credentials``), under
  the same rule as botframework (none without an app id). The token is fetched in a worker thread
  and kept per credentials for ``TOKEN_SECONDS`` (4 minutes): MSAL hands out only tokens with
  more than 5 minutes left, so a kept one is still valid when used; after that MSAL's own cache
  answers from memory until the token nears its expiry. A 401 forgets the kept token;
- the same trust: the CA bundle requests would use (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
  else certifi's) and the proxies of the environment (``HTTPS_PROXY``... and ``NO_PROXY``, read
  once per service host: aiohttp's own ``trust_env`` would hop to a thread twice per request);
- the same answers: 200, 201 or 202 read into a ``ResourceResponse`` (None for an empty body);
  any other status raised as botframework's ``ErrorResponseException`` (an msrest
  ``HttpOperationError``) whose ``response`` carries ``status_code``, ``reason`` and the
  ``headers`` (``Retry-After``), an unreadable 2xx body as an ``HttpOperationError`` with its
  status (what bot/sending.py's ``connector_error`` makes of msrest's), and a connection error or
  a timeout as msrest's ``ClientRequestError``: bot/sending.py classifies them as before.

Each request times out after ``CONNECTOR_TIMEOUT_SECONDS`` in all (connecting, sending and
reading), inside the attempt guards of bot/replies.py and bot/sending.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlparse

import aiohttp
import certifi
import requests
import structlog
from botbuilder.schema import Activity, ErrorResponseException, ResourceResponse
from botframework.connector import models as connector_models
from msrest.exceptions import ClientRequestError, HttpOperationError, ValidationError
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Deserializer
from requests.utils import get_environ_proxies, requote_uri, select_proxy
from yarl import URL

from bot.sending import CONNECTOR_TIMEOUT_SECONDS
from bot.wire import activity_to_json, model_from_json

__all__ = ["TOKEN_SECONDS", "ConnectorAnswer", "ConnectorPoster", "activity_url"]

log = structlog.get_logger(__name__)

TOKEN_SECONDS = 240.0
"""How long a token is kept per credentials before MSAL is asked again (see the docstring)."""
ACCEPTED = frozenset({200, 201, 202})  # what ConversationsOperations reads; anything else raises
REPLY = "/v3/conversations/{conversationId}/activities/{activityId}"
SEND = "/v3/conversations/{conversationId}/activities"
JSON_TYPE = "application/json; charset=utf-8"

Clock = Callable[[], float]


# --------------------------------------------------------------------------- requests


def _segment(name: str, value: Any) -> str:
    """msrest's ``Serializer.url(name, value, "str")``: required, an enum by its value, anything
    else ``str()``, quoted with nothing kept safe."""
    if type(value) is not str and value is not None:
        value = getattr(value, "value", value)  # serialize_unicode: `.value` if it has one
    if value is None:
        raise ValidationError("required", name, True)  # type: ignore[arg-type]  # as msrest
    return quote(str(value), safe="")


def activity_url(base_url: str, template: str, **ids: Any) -> str:
    """The URL msrest's ``ServiceClient.format_url`` makes of ``template`` and the path ids."""
    names = {"conversationId": "conversation_id", "activityId": "activity_id"}
    params = {key: _segment(names[key], value) for key, value in ids.items()}
    url = template.format(**params)
    parsed = urlparse(url)
    if not parsed.scheme or not parsed.netloc:
        url = url.lstrip("/")
        base = base_url.format(**params).rstrip("/")
        url = urljoin(base + "/", url)
    return url


class ConnectorAnswer:
    """The connector's answer, shaped as msrest's response objects are where it matters:
    ``status_code``, ``reason``, ``headers`` (case-insensitive), ``text()``, ``body()`` and
    ``raise_for_status()``; it is the ``response`` of the errors raised here."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str], content: bytes):
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self.content = content

    def body(self) -> bytes:
        return self.content

    def text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} {self.reason}")


def _ssl_context() -> ssl.SSLContext:
    """The trust requests gives botframework's posts: its CA bundle variables, else certifi."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle or certifi.where())  # only these CAs


class _Tokens:
    """Bearer tokens per credentials object, fetched in a worker thread, kept ``seconds``."""

    def __init__(self, seconds: float, clock: Clock) -> None:
        self.seconds = seconds
        self.clock = clock
        self.fetched = 0  # tokens asked of the credentials (tests)
        self._kept: weakref.WeakKeyDictionary[Any, tuple[str, float]] = weakref.WeakKeyDictionary()
        self._locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()

    async def authorization(self, credentials: Any) -> str | None:
        """The Authorization header botframework's ``signed_session`` would set, or None."""
        should = getattr(credentials, "_should_set_token", None)
        if credentials is None or should is None:
            return await self._signed_session(credentials)
        if not should(None):  # no app id (or the anonymous skill's): unauthenticated
            return None
        kept = self._kept.get(credentials)
        if kept is None or self.clock() - kept[1] >= self.seconds:
            lock = self._locks.setdefault(credentials, asyncio.Lock())
            async with lock:  # concurrent posts at expiry ask once
                kept = self._kept.get(credentials)
                if kept is None or self.clock() - kept[1] >= self.seconds:
                    self.fetched += 1
                    token = await asyncio.to_thread(credentials.get_access_token)
                    kept = (f"Bearer {token}", self.clock())
                    self._kept[credentials] = kept
        return kept[0]

    def forget(self, credentials: Any) -> None:
        if credentials is not None:
            self._kept.pop(credentials, None)

    @staticmethod
    async def _signed_session(credentials: Any) -> str | None:
        """Credentials other than AppCredentials: their own ``signed_session``, off the loop."""
        if credentials is None:
            return None
        session = await asyncio.to_thread(credentials.signed_session, requests.Session())
        header = session.headers.get("Authorization")
        session.close()
        return str(header) if header else None


# --------------------------------------------------------------------------- the poster


class ConnectorPoster:
    """Posts and updates activities for the connector clients of one adapter."""

    def __init__(
        self,
        *,
        timeout: float = CONNECTOR_TIMEOUT_SECONDS,
        token_seconds: float = TOKEN_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self.tokens = _Tokens(token_seconds, clock)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str, int | None], str | None] = {}
        self._errors: Any = None

    def session(self) -> aiohttp.ClientSession:
        """The pooled session, made on the running loop at the first post."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=_ssl_context()),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
            self._proxies.clear()
        return self._session

    def _proxy(self, url: URL) -> str | None:
        """The environment's proxy for ``url``'s host, as requests picks it (cached per host)."""
        key = (url.scheme, url.host or "", url.port)
        if key not in self._proxies:
            target = str(url.origin())
            proxy = select_proxy(target, get_environ_proxies(target))
            self._proxies[key] = str(proxy) if proxy else None
        return self._proxies[key]

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def send(self, client: Any, activity: Activity) -> ResourceResponse | None:
        """``reply_to_activity`` (with a replyToId) or ``send_to_conversation``: one attempt."""
        conversation_id = activity.conversation.id
        headers = {}
        if activity.reply_to_id:
            template, ids = REPLY, {"activityId": activity.reply_to_id}
            headers["x-ms-conversation-id"] = str(conversation_id)
        else:
            template, ids = SEND, {}
        url = activity_url(client.config.base_url, template, conversationId=conversation_id, **ids)
        return await self._request("POST", client, url, activity, headers)

    async def update(self, client: Any, activity: Activity) -> ResourceResponse | None:
        """``update_activity``: one attempt at a PUT over the activity ``activity.id``."""
        conversation_id = activity.conversation.id
        url = activity_url(
            client.config.base_url, REPLY, conversationId=conversation_id, activityId=activity.id
        )
        return await self._request("PUT", client, url, activity, {})

    async def _request(
        self, method: str, client: Any, url: str, activity: Activity, extra: dict[str, str]
    ) -> ResourceResponse | None:
        data = json.dumps(activity_to_json(activity)).encode()  # as msrest dumps it
        config = client.config
        headers = {
            "Accept": "application/json",
            "Content-Type": JSON_TYPE,
            "User-Agent": str(config.user_agent),
            **extra,
        }
        authorization = await self.tokens.authorization(config.credentials)
        if authorization is not None:
            headers["Authorization"] = authorization
        try:
            target = URL(requote_uri(url), encoded=True)  # as requests prepares it
            session, proxy = self.session(), self._proxy(target)
            async with session.request(
                method, target, data=data, headers=headers, proxy=proxy
            ) as got:
                answer = ConnectorAnswer(
                    got.status, got.reason or "", got.headers, await got.read()
                )
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as error:
            message = f"Error occurred in request., {type(error).__name__}: {error}"
            raise ClientRequestError(message, error) from error
        if answer.status_code not in ACCEPTED:
            if answer.status_code == 401:
                self.tokens.forget(config.credentials)
            raise ErrorResponseException(self._error_reader(), answer)
        return _resource(answer)

    def _error_reader(self) -> Any:
        """botframework's deserializer, which reads the connector's ErrorResponse body."""
        if self._errors is None:
            classes = {k: v for k, v in vars(connector_models).items() if isinstance(v, type)}
            self._errors = Deserializer(classes)  # type: ignore[no-untyped-call]
        return self._errors


def _resource(answer: ConnectorAnswer) -> ResourceResponse | None:
    """An accepted answer read as ConversationsOperations reads it (None for no body)."""
    try:
        data = RawDeserializer.deserialize_from_http_generics(answer.text(), answer.headers)
    except Exception as error:
        unread: Any = HttpOperationError
        raise unread(None, answer) from error
    response: ResourceResponse | None = model_from_json(ResourceResponse, data)
    return response
