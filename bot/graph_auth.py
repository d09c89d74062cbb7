"""App-only tokens for Microsoft Graph, one tenant at a time, with MSAL (client credentials).

One `msal.ConfidentialClientApplication` per tenant (authority `{authority_url}/{tenant}`), built
on first use and kept: it caches the tenant's token until shortly before it expires. MSAL is
synchronous (requests), so every call into it runs in a worker thread and never blocks the event
loop. Its answers are turned into `GraphError` with a `SourceProblem` (credits/graph_problems.py).
docs/graph-usage.md §3 has what MSAL 1.39 does on the wire.

Secrets and tokens are never logged, and never part of an error's detail.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal  # type: ignore[import-untyped]
import requests
import structlog
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from requests.adapters import HTTPAdapter

from credits.config import CreditsConfig
from credits.graph_problems import GraphError, SourceProblem, token_problem

log = structlog.get_logger(__name__)

# a tenant id (GUID) or a verified domain; never the multi-tenant aliases
_TENANT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?")
_NOT_TENANTS = frozenset({"common", "organizations", "consumers"})
_TRANSIENT = frozenset({SourceProblem.THROTTLED, SourceProblem.UNAVAILABLE})
_AADSTS = re.compile(r"AADSTS(\d+)|\"error_codes\":\s*\[(\d+)")


def _https_root(url: str, name: str) -> str:
    """scheme://host[:port] of an https URL; ValueError saying what is allowed otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{name} must be an https URL, such as https://login.microsoftonline.com")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class GraphAccess:
    """Where Microsoft Graph and its token endpoint are, and the app's credentials."""

    client_id: str
    client_secret: str = field(repr=False)
    certificate_path: Path | None
    certificate_thumbprint: str
    authority_url: str  # https://login.microsoftonline.com (no tenant)
    graph_url: str  # https://graph.microsoft.com/v1.0
    ca_bundle: Path | None  # CAs to trust besides (aiohttp) or instead of (MSAL) the defaults
    timeout: float  # seconds, per HTTP request

    def __post_init__(self) -> None:
        _https_root(self.authority_url, "The Graph authority URL")
        _https_root(self.graph_url, "The Graph base URL")
        object.__setattr__(self, "authority_url", self.authority_url.rstrip("/"))
        object.__setattr__(self, "graph_url", self.graph_url.rstrip("/"))

    @classmethod
    def from_config(cls, config: CreditsConfig) -> GraphAccess | None:
        """The access the settings describe; None when Graph isn't configured."""
        if not config.graph_configured:
            return None
        return cls(
            client_id=config.graph_client_id,
            client_secret=config.graph_client_secret,
            certificate_path=config.graph_certificate_path,
            certificate_thumbprint=config.graph_certificate_thumbprint,
            authority_url=config.graph_authority_url,
            graph_url=config.graph_base_url,
            ca_bundle=config.graph_ca_bundle,
            timeout=config.graph_timeout_seconds,
        )

    @property
    def graph_root(self) -> str:
        """scheme://host[:port] of Graph: https://graph.microsoft.com for the real one."""
        return _https_root(self.graph_url, "The Graph base URL")

    @property
    def scope(self) -> str:
        return f"{self.graph_root}/.default"


def check_tenant(tenant_id: str) -> str:
    """The tenant id if it looks like a GUID or a domain; GraphError(TENANT_NOT_FOUND) if not."""
    if not _TENANT.fullmatch(tenant_id) or tenant_id.lower() in _NOT_TENANTS:
        raise GraphError(
            SourceProblem.TENANT_NOT_FOUND,
            f"{tenant_id[:80]!r} is not a tenant id: a GUID or a domain is expected",
        )
    return tenant_id


class _Session(requests.Session):
    """requests as MSAL sets it up itself (one retry on connection errors), with a default
    timeout on every request, and `verify` passed on each request: requests lets
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's own `verify`."""

    def __init__(self, timeout: float, verify: bool | str) -> None:
        super().__init__()
        self._timeout = timeout
        self.verify = verify
        adapter = HTTPAdapter(max_retries=1)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        kwargs.setdefault("verify", self.verify)
        return super().request(*args, **kwargs)


class GraphTokens:
    """Tokens for Graph per tenant. `token` answers from MSAL's cache while the token is fresh;
    `renew` drops it and asks Entra ID for a new one (after Graph said 401)."""

    def __init__(self, access: GraphAccess) -> None:
        self._access = access
        self._apps: dict[str, Any] = {}  # tenant -> msal.ConfidentialClientApplication
        self._locks: dict[str, asyncio.Lock] = {}
        self._credential: str | dict[str, str] | None = None
        verify: bool | str = str(access.ca_bundle) if access.ca_bundle else True
        self._http = _Session(access.timeout, verify)  # shared by the tenants' apps

    async def token(self, tenant_id: str) -> str:
        """An access token for Graph in that tenant. Raises GraphError."""
        app = await self._app(check_tenant(tenant_id))
        result = await self._call(app.acquire_token_for_client, [self._access.scope])
        try:
            return self._read(tenant_id, result)
        except GraphError as error:
            if error.problem not in _TRANSIENT:
                # MSAL would answer the same refusal from its HTTP cache for a minute, even
                # after the admin consented: the next call asks Entra ID with a new app.
                self._apps.pop(tenant_id, None)
            raise

    async def renew(self, tenant_id: str) -> str:
        """Forget the tenant's cached token and get a new one. Raises GraphError."""
        app = await self._app(check_tenant(tenant_id))
        app.remove_tokens_for_client()  # in memory only: no I/O
        log.debug("graph token renewed", tenant_id=tenant_id)
        return await self.token(tenant_id)

    def close(self) -> None:
        """Close the connections to the token endpoint; a later call opens new ones."""
        self._apps.clear()
        self._http.close()

    async def _app(self, tenant_id: str) -> Any:
        app = self._apps.get(tenant_id)
        if app is not None:
            return app
        lock = self._locks.setdefault(tenant_id, asyncio.Lock())
        async with lock:
            app = self._apps.get(tenant_id)
            if app is None:
                app = await self._call(self._build, tenant_id)
                self._apps[tenant_id] = app
        return app

    def _build(self, tenant_id: str) -> Any:
        """The tenant's MSAL app (in a worker thread: its constructor fetches the tenant's
        OpenID configuration)."""
        if self._credential is None:
            self._credential = self._read_credential()
        return msal.ConfidentialClientApplication(
            self._access.client_id,
            client_credential=self._credential,
            authority=f"{self._access.authority_url}/{tenant_id}",
            instance_discovery=False,  # no call to login.microsoftonline.com/common/discovery
            http_client=self._http,
            timeout=self._access.timeout,
        )

    def _read_credential(self) -> str | dict[str, str]:
        """The secret, or MSAL's certificate credential from the PEM file (key + certificate)."""
        path = self._access.certificate_path
        if path is None:
            return self._access.client_secret
        try:
            pem = path.read_text(encoding="ascii")
            load_pem_private_key(pem.encode("ascii"), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise GraphError(
                SourceProblem.BAD_CREDENTIALS,
                f"certificate file {path}: no readable unencrypted private key "
                f"({type(error).__name__})",
            ) from None
        if self._access.certificate_thumbprint:
            return {"private_key": pem, "thumbprint": self._access.certificate_thumbprint}
        if "-----BEGIN CERTIFICATE-----" not in pem:
            raise GraphError(
                SourceProblem.BAD_CREDENTIALS,
                f"certificate file {path} holds no certificate, and no thumbprint is set",
            )
        return {"private_key": pem, "public_certificate": pem}

    async def _call(self, function: Any, *args: Any) -> Any:
        """Run a blocking MSAL call in a worker thread; its exceptions become GraphError."""
        try:
            return await asyncio.to_thread(function, *args)
        except GraphError:
            raise
        except requests.RequestException as error:
            detail = f"token endpoint unreachable: {type(error).__name__}"
            raise GraphError(SourceProblem.UNAVAILABLE, detail) from None
        except msal.exceptions.MsalServiceError as error:  # 5xx from Entra ID
            detail = f"token endpoint: {str(error)[:200]}"
            raise GraphError(SourceProblem.UNAVAILABLE, detail) from None
        except ValueError as error:  # discovery refused (4xx), or an answer that isn't JSON
            raise _value_error(error) from None

    def _read(self, tenant_id: str, result: Any) -> str:
        if isinstance(result, dict) and isinstance(result.get("access_token"), str):
            log.debug("graph token", tenant_id=tenant_id, source=result.get("token_source", ""))
            return result["access_token"]  # type: ignore[no-any-return]
        if not isinstance(result, dict):
            raise GraphError(SourceProblem.UNEXPECTED, "token endpoint: no answer")
        codes = [c for c in result.get("error_codes") or [] if isinstance(c, int)]
        error = str(result.get("error", ""))
        description = str(result.get("error_description", "")).split("\r\n")[0][:200]
        if not codes:  # the number is in the description too ("AADSTS7000222: ...")
            codes = [int(a or b) for a, b in _AADSTS.findall(description)]
        aadsts = ",".join(f"AADSTS{c}" for c in codes) or "no AADSTS code"
        detail = f"token endpoint: {error or 'error'} ({aadsts}) {description}".strip()
        raise GraphError(token_problem(codes, error), detail)


def _value_error(error: ValueError) -> GraphError:
    """MSAL's ValueError: the tenant discovery was refused (an unknown tenant answers 400 with
    AADSTS90002; MSAL raises its own message from the one that has the answer) or an answer
    wasn't JSON."""
    message = f"{error} {error.__context__ or ''}"
    codes = sorted({int(a or b) for a, b in _AADSTS.findall(message)})
    problem = token_problem(codes, "")
    status = re.search(r"HTTP status: (\d+)", message)
    if status is not None:
        if problem is SourceProblem.UNEXPECTED and status[1].startswith("4"):
            problem = SourceProblem.TENANT_NOT_FOUND  # the tenant's OpenID configuration
        aadsts = " ".join(f"AADSTS{c}" for c in codes)
        return GraphError(problem, f"tenant discovery: HTTP {status[1]} {aadsts}".strip())
    return GraphError(problem, f"token endpoint: {str(error)[:200]}")
