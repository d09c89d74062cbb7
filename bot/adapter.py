"""The Bot Framework adapter: CloudAdapter with credentials from Settings, connector clients that
are built once and reused, and one neutral answer when a turn fails.

botbuilder 4.17.1 builds, on *every* turn, a new msrest ConnectorClient (its serializers and retry
policy cost milliseconds of CPU), new app credentials (so a new MSAL app and, when authenticated,
a new token request to Entra ID), a new token-service client, and a new `requests.Session`, so a
new TCP and TLS connection to the channel. Here the connector factory and the user-token clients
are wrapped so each is built once per (app id, service URL, audience) and reused; the cached
client keeps its session, its connection pool and its credentials' token cache.

Posts: the messages, typing indicators and card updates the adapter sends (in a turn or
proactively) do not go through the ConnectorClient's msrest pipeline but through bot/poster.py,
on one pooled aiohttp session per adapter with the client's own service URL and credentials
(closed by ``close()``), their JSON made by bot/wire.py; msrest's serialiser and its requests
sender in a worker thread were a large part of every turn. The client's other operations
(members, conversations, deletes) still use msrest.

Retries: the async ConnectorClient sends through msrest's *requests* sender in a worker thread,
whose urllib3 policy retries on its own (a connection that cannot be made, on any call; a 5xx
other than 501/505, or a 408, on a PUT such as a card update; up to 3 times, sleeping in the
thread, and answering "too many 5xx responses" without the status). The clients built here make
one attempt per call (`single_attempt`), so the retries of bot/sending.py, with their backoff,
Retry-After and budgets, are the only ones. `CreditsAdapter` hands every message of a turn that
`/api/messages` runs to bot/replies.py (`TurnReplies`): retried within the turn's budget, then
kept in the database for the "replies" worker; proactive posts (alerts, kept replies) keep
botbuilder's plain send and handle their own failures.

botframework 4.17.1 also fetches the channel's signing keys (OpenID metadata, then the JWKS) with
a blocking `requests.get` with no timeout, inside a coroutine: on the event loop, so one slow
fetch stalls every turn, health check and worker, for as long as the network takes. Here that
fetch runs in a worker thread with a timeout (`use_off_loop_signing_keys`); a request that
cannot be checked meanwhile is answered 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import copy
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

import requests
import structlog
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector import Channels
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata
from msrest.exceptions import ClientRequestError, HttpOperationError
from urllib3 import Retry

from bot.poster import ConnectorPoster
from bot.replies import TurnReplies
from bot.sending import CONNECTOR_TIMEOUT_SECONDS, Retrier
from bot.settings import Settings
from credits.i18n import N_, speaking, t
from dialogs.language import Speaking, turn_lang

log = structlog.get_logger(__name__)

TURN_ERROR_MESSAGE = N_("Sorry, something went wrong on my side. Nothing was changed.")
MAX_CACHED_CLIENTS = 64

ClientKey = tuple[str, str, str]  # (app id, service URL, audience)


class BotFrameworkConfig:
    """Settings under the attribute names botbuilder's configuration classes read.

    The only place that knows those names (APP_ID, APP_PASSWORD, APP_TYPE, APP_TENANTID).
    """

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id

    def check(self) -> None:
        """Fail at start-up, with the names users set, rather than on the first turn."""
        if self.APP_TYPE == "SingleTenant" and self.APP_ID and not self.APP_TENANTID:
            raise ValueError("MicrosoftAppType=SingleTenant needs MicrosoftAppTenantId")
        if self.APP_TYPE == "UserAssignedMSI" and not (self.APP_ID and self.APP_TENANTID):
            raise ValueError(
                "MicrosoftAppType=UserAssignedMSI needs MicrosoftAppId and MicrosoftAppTenantId"
            )
        if self.APP_TYPE != "UserAssignedMSI" and self.APP_ID and not self.APP_PASSWORD:
            raise ValueError("MicrosoftAppId is set but MicrosoftAppPassword is not")


def app_id_of(claims_identity: ClaimsIdentity | None) -> str:
    """The bot's app id for outbound calls, as botbuilder derives it (audience, else appid)."""
    if claims_identity is None:
        return ""
    claims: dict[str, Any] = claims_identity.claims or {}
    app_id = claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = claims.get(AuthenticationConstants.APP_ID_CLAIM)
    return str(app_id or "")


class ConnectorClientCache:
    """ConnectorClients by (app id, service URL, audience), least recently used dropped first."""

    def __init__(self, max_size: int = MAX_CACHED_CLIENTS) -> None:
        self.max_size = max_size
        self.built = 0  # how many clients were ever built (tests, metrics)
        self._clients: OrderedDict[ClientKey, Any] = OrderedDict()
        self._locks: dict[ClientKey, asyncio.Lock] = {}

    def __len__(self) -> int:
        return len(self._clients)

    def keys(self) -> list[ClientKey]:
        return list(self._clients)

    async def get(self, key: ClientKey, build: Callable[[], Awaitable[Any]]) -> Any:
        client = self._clients.get(key)
        if client is None:
            lock = self._locks.setdefault(key, asyncio.Lock())
            async with lock:  # concurrent first turns to one service URL build one client
                client = self._clients.get(key)
                if client is None:
                    client = await build()
                    self.built += 1
                    self._clients[key] = client
                    while len(self._clients) > self.max_size:
                        # dropped, not closed: a concurrent turn may still be using it
                        self._clients.popitem(last=False)
            self._locks.pop(key, None)
        self._clients.move_to_end(key)
        return client

    async def close(self) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            await _close_client(client)


async def _close_client(client: Any) -> None:
    """Close the client's HTTP session (its pooled connections)."""
    try:
        await client.__aexit__(None, None, None)
    except Exception:  # closing is best effort; never fail a turn or a shutdown for it
        log.warning("closing a connector client failed", exc_info=True)


def single_attempt(client: Any) -> Any:
    """``client`` with msrest's urllib3 retries switched off: each call is one HTTP request and
    any answer, 5xx included, comes back as it is (with its status and Retry-After). Its HTTP
    timeout is CONNECTOR_TIMEOUT_SECONDS (msrest's is 100 s): an attempt ends by itself, so no
    caller has to abandon one that may still be posting while it tries again."""
    connection = getattr(getattr(client, "config", None), "connection", None)
    if connection is not None:
        connection.timeout = CONNECTOR_TIMEOUT_SECONDS
    policy = getattr(getattr(client, "config", None), "retry_policy", None)
    retry = getattr(policy, "policy", None)
    if isinstance(retry, Retry):
        # changed in place: the client's session was handed this very object when it was built
        retry.total = retry.connect = retry.read = 0
        retry.status_forcelist = frozenset()
        retry.raise_on_status = False
    return client


class CachingConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory, app_id: str, cache: ConnectorClientCache) -> None:
        self._inner = inner
        self._app_id = app_id
        self._cache = cache

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (self._app_id, service_url or "", audience or "")

        async def build() -> ConnectorClient:
            return single_attempt(await self._inner.create(service_url, audience))

        return await self._cache.get(key, build)


class CachingBotFrameworkAuthentication(BotFrameworkAuthentication):
    """botbuilder's authentication, with connector and user-token clients reused across turns."""

    def __init__(self, inner: BotFrameworkAuthentication, cache: ConnectorClientCache) -> None:
        self._inner = inner
        self.connectors = cache
        self._user_token_clients: dict[str, UserTokenClient] = {}

    def _wrap(self, factory: ConnectorFactory, claims: ClaimsIdentity | None) -> ConnectorFactory:
        return CachingConnectorFactory(factory, app_id_of(claims), self.connectors)

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = self._wrap(result.connector_factory, result.claims_identity)
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._wrap(self._inner.create_connector_factory(claims_identity), claims_identity)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = app_id_of(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._user_token_clients[app_id] = client
        return client

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


class CreditsAdapter(CloudAdapter):
    def __init__(
        self,
        authentication: CachingBotFrameworkAuthentication,
        replies: TurnReplies,
        poster: ConnectorPoster | None = None,
    ) -> None:
        super().__init__(authentication)
        self.authentication = authentication
        self.replies = replies
        self.poster = poster or ConnectorPoster()
        self.on_turn_error = self._on_turn_error
        self.use(Speaking())  # every turn, invokes included, in the language of its activity

    @property
    def connectors(self) -> ConnectorClientCache:
        return self.authentication.connectors

    @property
    def retrier(self) -> Retrier:
        """Retries, backoff and their time source for replies (in turns and in the worker)."""
        return self.replies.retrier

    # ------------------------------------------------------------------ replies of a turn

    async def process_activity(
        self,
        auth_header_or_authenticate_request_result: Any,
        activity: Activity,
        logic: Callable[[TurnContext], Awaitable[Any]],
    ) -> InvokeResponse | None:
        """An inbound turn: its messages are retried and kept (bot/replies.py)."""

        async def turn(context: TurnContext) -> None:
            self.replies.begin(context)
            await logic(context)

        return await super().process_activity(
            auth_header_or_authenticate_request_result, activity, turn
        )

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        turn = self.replies.turn_of(context)
        if turn is None:  # a proactive post: the caller retries
            if not activities:  # botbuilder's own refusal
                return list(await super().send_activities(context, activities))
            return [await self._send_one(context, activity) for activity in activities]
        responses: list[ResourceResponse] = []
        for activity in activities:
            if activity.type == ActivityTypes.message:
                post = partial(self._send_one, context, activity)
                sent = await self.replies.send(context, turn, activity, post)
                responses.append(sent or ResourceResponse())
            elif activity.type == ActivityTypes.typing:
                responses.append(await self._typing(context, activity))
            else:  # invoke responses, traces, delays: nothing to keep
                responses.append(await self._send_one(context, activity))
        return responses

    async def update_activity(
        self, context: TurnContext, activity: Activity
    ) -> ResourceResponse | None:
        turn = self.replies.turn_of(context)
        if turn is None:
            return await self._update_one(context, activity)
        post = partial(self._update_one, context, activity)
        return await self.replies.send(context, turn, activity, post, update=True)

    async def _send_one(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        """One attempt at one activity, as CloudAdapterBase.send_activities makes it (a delay
        sleeps, an invoke response is kept for the answer, a trace goes only to the Emulator),
        posted by bot/poster.py."""
        activity.id = None
        response: ResourceResponse | None = None
        if activity.type == "delay":
            await asyncio.sleep(int((activity.value or 1000) / 1000))
        elif activity.type == ActivityTypes.invoke_response:
            context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
        elif activity.type == ActivityTypes.trace and activity.channel_id != Channels.emulator:
            pass
        else:
            response = await self.poster.send(self._connector(context), activity)
        return response or ResourceResponse(id=activity.id or "")

    async def _update_one(
        self, context: TurnContext, activity: Activity
    ) -> ResourceResponse | None:
        """One attempt at a card update, as CloudAdapterBase.update_activity makes it."""
        if activity is None:
            raise TypeError("Expected Activity but got None instead")
        response = await self.poster.update(self._connector(context), activity)
        response_id = response.id if response and response.id else None
        return ResourceResponse(id=response_id) if response_id else None

    def _connector(self, context: TurnContext) -> Any:
        """The turn's (cached) ConnectorClient: its service URL and credentials."""
        client = context.turn_state.get(self.BOT_CONNECTOR_CLIENT_KEY)
        if not client:  # botbuilder raises copy.Error here too
            raise copy.Error("Unable to extract ConnectorClient from turn context.")
        return client

    async def _typing(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        """A typing indicator: tried once, never kept; a failure does not fail the turn."""
        try:
            return await self._send_one(context, activity)
        except Exception as error:
            log.info("typing indicator not delivered", error=f"{type(error).__name__}: {error}")
            return ResourceResponse()

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        # botbuilder calls this after the middleware (and its language) has unwound
        with speaking(turn_lang(context.activity)):
            await self._apologise(context, error)

    async def _apologise(self, context: TurnContext, error: Exception) -> None:
        log.error(
            "turn failed",
            activity_type=context.activity.type,
            error_type=type(error).__name__,
            exc_info=error,
        )
        if context.activity.type == ActivityTypes.invoke:
            # without this botbuilder answers 501; the caller (Teams) shows its own error
            context.turn_state[self._INVOKE_RESPONSE_KEY] = Activity(
                type=ActivityTypes.invoke_response,
                value=InvokeResponse(status=500, body={"error": t(TURN_ERROR_MESSAGE)}),
            )
        if isinstance(error, ClientRequestError | HttpOperationError):
            # the channel itself refused (a 400, or a reply that could not be kept): another
            # send would only fail the same way (transient failures were retried and kept)
            log.warning("the channel failed; the user is not told", error=str(error)[:200])
            return
        try:
            await context.send_activity(t(TURN_ERROR_MESSAGE))
        except Exception:
            log.warning("could not tell the user about the failed turn", exc_info=True)

    async def close(self) -> None:
        await self.poster.close()
        await self.connectors.close()


class OffLoopSigningKeys(_OpenIdMetadata):
    """botframework's signing-key cache for one metadata URL, refreshed in a worker thread with
    a timeout instead of on the event loop. Refresh policy (daily, or on an unknown key id at
    most hourly) stays botframework's."""

    timeout: float = 10.0

    async def _refresh(self) -> None:
        started = asyncio.get_running_loop().time()
        keys = await asyncio.wait_for(asyncio.to_thread(self._fetch), self.timeout)
        self.keys = keys
        self.last_updated = datetime.now()  # naive local time, as botframework compares it
        log.info(
            "signing keys refreshed",
            url=self.url,
            keys=len(keys),
            seconds=round(asyncio.get_running_loop().time() - started, 3),
        )

    def _fetch(self) -> list[dict[str, Any]]:
        response = requests.get(self.url, timeout=self.timeout)
        response.raise_for_status()
        jwks = requests.get(response.json()["jwks_uri"], timeout=self.timeout)
        jwks.raise_for_status()
        keys: list[dict[str, Any]] = jwks.json()["keys"]
        return keys


def _off_loop_metadata(metadata_url: str) -> OffLoopSigningKeys:
    cache = JwtTokenExtractor.metadataCache
    metadata = cache.get(metadata_url)
    if not isinstance(metadata, OffLoopSigningKeys):
        metadata = OffLoopSigningKeys(metadata_url)
        cache[metadata_url] = metadata
    return metadata


def use_off_loop_signing_keys(timeout: float) -> None:
    """Make botframework fetch signing keys off the event loop, each request within `timeout`
    seconds. Process-wide (botframework's cache is a class attribute) and idempotent."""
    OffLoopSigningKeys.timeout = timeout
    JwtTokenExtractor.get_open_id_metadata = staticmethod(_off_loop_metadata)


def create_adapter(
    settings: Settings, *, max_cached_clients: int = MAX_CACHED_CLIENTS
) -> CreditsAdapter:
    config = BotFrameworkConfig(settings)
    config.check()
    if not settings.local_mode:
        use_off_loop_signing_keys(settings.signing_keys_timeout_seconds)
    inner = ConfigurationBotFrameworkAuthentication(config)
    cache = ConnectorClientCache(max_cached_clients)
    replies = TurnReplies(
        Retrier(), budget_seconds=settings.reply_retry_seconds, local_mode=settings.local_mode
    )
    authentication = CachingBotFrameworkAuthentication(inner, cache)
    return CreditsAdapter(authentication, replies, ConnectorPoster())
