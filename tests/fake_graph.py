"""A local stand-in for Entra ID's token endpoint and Microsoft Graph's getPstnCalls, speaking
their wire format (docs/graph-usage.md) over real TLS, for the tests and the Playground.

`async with FakeGraph() as graph:` serves https://127.0.0.1:PORT with a freshly made CA (its PEM
in `graph.ca_bundle`): the tenant discovery MSAL does, the client-credentials token endpoint (a
secret, or a certificate's signed assertion) and getPstnCalls with pages and `@odata.nextLink`.
Controls: consent, withdraw, remove_tenant, add_call, revise, throttle, fail_tokens,
expire_tokens, set_page_size, and `log` (method, path, status of each request). The same controls
are served as `POST /_fake/{control}` (JSON keyword arguments; `remote()` calls them), so a bot
in another process can be driven too. `python tests/fake_graph.py [--consent TENANT ...]` runs
one until killed and prints a JSON line with authority_url, graph_url and ca_bundle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import shutil
import signal
import ssl
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from fake_tls import app_certificate, make_tls, x5t

from bot.graph_auth import GraphAccess
from credits.usage import load_json

FIELDS = (  # pstnCallLogRow, v1.0
    *("id", "callId", "userId", "userPrincipalName", "userDisplayName", "startDateTime"),
    *("endDateTime", "duration", "charge", "callType", "currency", "calleeNumber"),
    *("usageCountryCode", "tenantCountryCode", "connectionCharge", "callerNumber"),
    *("destinationContext", "destinationName", "conferenceId", "licenseCapability"),
    *("inventoryType", "operator", "callDurationSource"),
)
CONTROLS = frozenset(
    {"consent", "withdraw", "remove_tenant", "add_call", "revise", "throttle", "fail_tokens"}
    | {"expire_tokens", "set_page_size", "log"}
)
_CALL = re.compile(r"getPstnCalls\(fromDateTime=([^,()]+),toDateTime=([^,()]+)\)")
_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_GRAPH_CODES = {401: "InvalidAuthenticationToken", 403: "Forbidden", 429: "TooManyRequests"}


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    status: int


@dataclass
class _Tenant:
    consented: bool = False
    withdrawn: bool = False
    exists: bool = True
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Token:
    tenant: str
    expires: float  # time.monotonic()


def graph_time(moment: datetime) -> str:
    """As Graph writes it: UTC, seven fractional digits."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    """Graph's v1.0 types amounts as Double: numbers on the wire."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}


class FakeGraph:
    """Entra ID's token endpoint and Graph's getPstnCalls on 127.0.0.1, over TLS."""

    def __init__(
        self, *, client_id: str = "app", secret: str = "s3cret-graph", page_size: int = 1000
    ) -> None:
        self.client_id = client_id
        self.secret = secret
        self.page_size = page_size
        self.next_link_url: str | None = None  # where nextLinks point (default: graph_url)
        self.log: list[Logged] = []
        self._tenants: dict[str, _Tenant] = {}
        self._tokens: dict[str, _Token] = {}
        self._certificates: dict[str, Any] = {}  # x5t or x5t#S256 -> public key
        self._serial = 0
        self._graph_failures: list[tuple[int, float | None]] = []
        self._token_failures: list[int] = []
        self._folder = Path(tempfile.mkdtemp(prefix="fake-graph-"))
        self._runner: web.AppRunner | None = None
        self.authority_url = ""
        self.graph_url = ""
        self.ca_bundle = self._folder / "ca.pem"

    async def __aenter__(self) -> FakeGraph:
        self.ca_bundle, context = make_tls(self._folder)
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1.0/communications/callRecords/{function}", self._pstn_calls)
        app.router.add_post("/_fake/{control}", self._control)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = self._runner.addresses[0][1]
        self.authority_url = f"https://127.0.0.1:{port}"
        self.graph_url = f"{self.authority_url}/v1.0"
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        shutil.rmtree(self._folder, ignore_errors=True)

    def access(
        self,
        client_id: str | None = None,
        secret: str | None = None,
        *,
        certificate_path: Path | None = None,
        thumbprint: str = "",
        timeout: float = 10,
    ) -> GraphAccess:
        """How a bot reaches this server: its URLs and CA, with these credentials (by default
        the ones it accepts)."""
        return GraphAccess(
            client_id=self.client_id if client_id is None else client_id,
            client_secret=self.secret if secret is None else secret,
            certificate_path=certificate_path,
            certificate_thumbprint=thumbprint,
            authority_url=self.authority_url,
            graph_url=self.graph_url,
            ca_bundle=self.ca_bundle,
            timeout=timeout,
        )

    def settings(self) -> dict[str, Any]:
        """The bot's CREDITS_GRAPH_* settings that reach this server (CreditsConfig's names)."""
        return {
            "graph_client_id": self.client_id,
            "graph_client_secret": self.secret,
            "graph_authority_url": self.authority_url,
            "graph_base_url": self.graph_url,
            "graph_ca_bundle": self.ca_bundle,
        }

    def env(self) -> dict[str, str]:
        """The same settings as environment variables, for a bot in another process."""
        return {f"CREDITS_{name.upper()}": str(value) for name, value in self.settings().items()}

    # -- controls --------------------------------------------------------------------------

    def consent(self, tenant: str) -> None:
        """The tenant's admin consented: tokens are issued and Graph answers."""
        self._tenants.setdefault(tenant, _Tenant()).consented = True
        self._tenants[tenant].withdrawn = False

    def withdraw(self, tenant: str) -> None:
        """The permission was removed: tokens are still issued, Graph answers 403."""
        self._tenants.setdefault(tenant, _Tenant()).withdrawn = True

    def remove_tenant(self, tenant: str) -> None:
        """No such tenant: its discovery and token requests answer 400 AADSTS90002."""
        self._tenants.setdefault(tenant, _Tenant()).exists = False

    def add_call(self, tenant: str, **graph_fields: Any) -> dict[str, Any]:
        """A call record (pstnCallLogRow fields; the rest filled in), as the bot will read it."""
        unknown = set(graph_fields) - set(FIELDS)
        if unknown:
            raise TypeError(f"not pstnCallLogRow fields: {sorted(unknown)}")
        given = {**_defaults(), **graph_fields}
        if isinstance(given["startDateTime"], datetime):
            given["startDateTime"] = graph_time(given["startDateTime"])
        end = _parse_time(given["startDateTime"]) + timedelta(seconds=int(given["duration"]))
        given.setdefault("endDateTime", end)
        if isinstance(given["endDateTime"], datetime):
            given["endDateTime"] = graph_time(given["endDateTime"])
        for name in ("charge", "connectionCharge"):
            given[name] = Decimal(str(given[name]))
        row = {name: given[name] for name in FIELDS}  # in Graph's order
        self._tenants.setdefault(tenant, _Tenant()).calls[row["id"]] = row
        return dict(row)

    def revise(self, tenant: str, row_id: str, charge: Decimal | str) -> dict[str, Any]:
        """Microsoft re-rated a call: its charge changes, its id stays."""
        row = self._tenants[tenant].calls[row_id]
        row["charge"] = Decimal(str(charge))
        return dict(row)

    def throttle(self, count: int, status: int = 429, retry_after: float | None = 1) -> None:
        """The next `count` Graph requests answer `status` (Retry-After unless None); status 0
        drops the connection instead."""
        self._graph_failures.extend([(status, retry_after)] * count)

    def fail_tokens(self, count: int, status: int = 503) -> None:
        """The next `count` token requests answer `status`."""
        self._token_failures.extend([status] * count)

    def expire_tokens(self) -> None:
        """Every token issued so far is refused by Graph from now on (401)."""
        for token in self._tokens.values():
            token.expires = 0

    def set_page_size(self, size: int) -> None:
        self.page_size = size

    def certificate(self) -> tuple[Path, str]:
        """A new certificate the app may sign in with: the PEM (key and certificate) and its
        SHA-1 thumbprint (hex), as registered on an app registration."""
        self._serial += 1
        path = self._folder / f"app-{self._serial}.pem"
        public_key, thumbprints = app_certificate(path)
        for thumbprint in thumbprints:
            self._certificates[x5t(thumbprint)] = public_key
        return path, thumbprints[0].hex().upper()

    def requests(self, path_part: str) -> list[Logged]:
        """The logged requests whose path contains path_part ("/token", "getPstnCalls")."""
        return [entry for entry in self.log if path_part in entry.path]

    # -- the wire --------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        status = 500
        try:
            response: web.StreamResponse = await handler(request)
            status = response.status
        except web.HTTPException as error:
            status = error.status
            raise
        finally:
            if not request.path.startswith("/_fake/"):
                self.log.append(Logged(request.method, request.path, status))
        return response

    async def _discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if not self._tenants.get(tenant, _Tenant()).exists:
            return self._entra_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self.authority_url}/{tenant}"
        return web.json_response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{base}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "tenant_region_scope": "EU",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        form = await request.post()
        if self._token_failures:
            status = self._token_failures.pop(0)
            return self._entra_error(status, "temporarily_unavailable", 50196, "Try again.")
        state = self._tenants.get(tenant, _Tenant())
        refusal = self._refusal(tenant, state, {k: str(v) for k, v in form.items()})
        if refusal is not None:
            return refusal
        token = secrets.token_urlsafe(32)
        self._tokens[token] = _Token(tenant, time.monotonic() + 3599)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )

    def _refusal(self, tenant: str, state: _Tenant, form: dict[str, str]) -> web.Response | None:
        """Entra ID's answer to a token request it refuses, in its order of checks."""
        if not state.exists:
            return self._entra_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return self._entra_error(400, "unsupported_grant_type", 70003, "Unsupported grant.")
        if form.get("client_id") != self.client_id or not state.consented:
            text = (
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory '{tenant}'."
            )
            return self._entra_error(400, "unauthorized_client", 700016, text)
        if form.get("client_assertion_type") == _ASSERTION:
            if not self._signed(form.get("client_assertion", ""), tenant):
                text = "Client assertion failed signature validation."
                return self._entra_error(401, "invalid_client", 700027, text)
        elif form.get("client_secret") != self.secret:
            return self._entra_error(
                401, "invalid_client", 7000215, "Invalid client secret provided."
            )
        if form.get("scope") != f"{self.authority_url}/.default":
            return self._entra_error(400, "invalid_scope", 70011, "The provided scope is invalid.")
        return None

    def _signed(self, assertion: str, tenant: str) -> bool:
        """A client assertion signed by a registered certificate, for this client and endpoint."""
        try:
            header = jwt.get_unverified_header(assertion)
            thumbprint = header.get("x5t#S256") or header.get("x5t")
            key = self._certificates[str(thumbprint).rstrip("=")]  # MSAL keeps the padding
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["RS256", "PS256"],
                audience=f"{self.authority_url}/{tenant}/oauth2/v2.0/token",
            )
        except (jwt.PyJWTError, KeyError, TypeError, AttributeError):
            return False
        return bool(claims.get("iss") == claims.get("sub") == self.client_id)

    def _entra_error(self, status: int, error: str, code: int, text: str) -> web.Response:
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        description = (
            f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {now}"
        )
        body = {
            "error": error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"{self.authority_url}/error?code={code}",
        }
        return web.json_response(body, status=status)

    async def _pstn_calls(self, request: web.Request) -> web.Response:
        if self._graph_failures:
            status, retry_after = self._graph_failures.pop(0)
            if status == 0 and request.transport is not None:  # the connection drops
                request.transport.abort()
                return web.Response(status=499)  # logged as nginx does; never sent
            headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
            code = _GRAPH_CODES.get(status, "serviceNotAvailable" if status >= 500 else "Error")
            return _graph_error(request, status, code, "Injected by FakeGraph.", headers)
        token = self._tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if token is None or token.expires < time.monotonic():
            message = "Lifetime validation failed, the token is expired."
            headers = {"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'}
            return _graph_error(request, 401, "InvalidAuthenticationToken", message, headers)
        tenant = self._tenants.get(token.tenant, _Tenant())
        if tenant.withdrawn:
            return _graph_error(request, 403, "Forbidden", "")
        return self._page(request, tenant)

    def _page(self, request: web.Request, tenant: _Tenant) -> web.Response:
        match = _CALL.fullmatch(request.match_info["function"])
        if match is None:
            return _graph_error(request, 400, "BadRequest", "Invalid request: unknown function.")
        try:
            start, end = _parse_time(match[1]), _parse_time(match[2])
            skip = int(request.query.get("$skip", "0"))
        except ValueError as error:
            return _graph_error(request, 400, "BadRequest", f"Invalid request: {error}.")
        if end - start > timedelta(days=90) or start > end or skip < 0:
            message = "fromDateTime and toDateTime cannot be more than a date range of 90 days."
            return _graph_error(request, 400, "BadRequest", message)
        rows = sorted(
            (r for r in tenant.calls.values() if start <= _parse_time(r["startDateTime"]) <= end),
            key=lambda r: (_parse_time(r["startDateTime"]), r["id"]),
        )
        page = rows[skip : skip + self.page_size]
        body: dict[str, Any] = {
            "@odata.context": (
                f"{self.graph_url}/$metadata#Collection(microsoft.graph.callRecords.pstnCallLogRow)"
            ),
            "@odata.count": len(page),
            "value": [_wire(r) for r in page],
        }
        if skip + self.page_size < len(rows):
            function = f"getPstnCalls(fromDateTime={match[1]},toDateTime={match[2]})"
            body["@odata.nextLink"] = (
                f"{self.next_link_url or self.graph_url}/communications/callRecords/{function}"
                f"?$skip={skip + self.page_size}"
            )
        return web.json_response(body)

    async def _control(self, request: web.Request) -> web.Response:
        name = request.match_info["control"]
        if name not in CONTROLS:
            raise web.HTTPNotFound(text=f"no control {name!r}; known: {sorted(CONTROLS)}")
        raw = await request.read()
        kwargs = load_json(raw) if raw else {}
        if name == "log":
            result: Any = [asdict(entry) for entry in self.log]
        else:
            result = getattr(self, name)(**kwargs)
        if isinstance(result, dict):
            result = _wire(result)
        return web.json_response({"result": result})


def _graph_error(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
        "client-request-id": request.headers.get("client-request-id", ""),
    }
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return web.json_response(body, status=status, headers=headers)


def _defaults() -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return {
        "id": str(uuid.uuid4()),
        "callId": f"{secrets.randbelow(10**10)}_{secrets.randbelow(10**9)}@61.221.3.176",
        "userId": str(uuid.uuid4()),
        "userPrincipalName": "adele.vance@contoso.com",
        "userDisplayName": "Adele Vance",
        "startDateTime": start,
        "duration": 300,
        "charge": Decimal("0.26"),
        "callType": "user_out",
        "currency": "USD",
        "calleeNumber": "+442071838750",
        "usageCountryCode": "US",
        "tenantCountryCode": "US",
        "connectionCharge": Decimal("0"),
        "callerNumber": "+14255550100",
        "destinationContext": "International",
        "destinationName": "United Kingdom",
        "conferenceId": None,
        "licenseCapability": "MCOPSTNPP",
        "inventoryType": "Subscriber",
        "operator": "Microsoft",
        "callDurationSource": "microsoft",
    }


async def remote(authority_url: str, ca_bundle: Path, control: str, **kwargs: Any) -> Any:
    """Call a control of a FakeGraph in another process (its `result`, read by load_json)."""
    context = ssl.create_default_context(cafile=str(ca_bundle))
    body = json.dumps(kwargs, default=str)
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session,
        session.post(
            f"{authority_url}/_fake/{control}",
            data=body,
            headers={"Content-Type": "application/json"},
        ) as response,
    ):
        response.raise_for_status()
        return load_json(await response.read())["result"]


async def _serve(arguments: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    fake = FakeGraph(
        client_id=arguments.client_id, secret=arguments.secret, page_size=arguments.page_size
    )
    async with fake:
        for tenant in arguments.consent:
            fake.consent(tenant)
        where = {
            "authority_url": fake.authority_url,
            "graph_url": fake.graph_url,
            "ca_bundle": str(fake.ca_bundle),
        }
        print(json.dumps(where), flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Graph and token endpoint for tests.")
    parser.add_argument("--client-id", default="app")
    parser.add_argument("--secret", default="s3cret-graph")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--consent", action="append", default=[], metavar="TENANT")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
