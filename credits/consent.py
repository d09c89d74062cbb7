"""The admin-consent link a tenant's admin opens to let the bot read its call records.

Microsoft's admin-consent endpoint (docs/graph-usage.md §4): the v2.0 form asks for the app
permissions configured on the registration (`scope=https://graph.microsoft.com/.default`), and
sends the admin back to `redirect_uri` (which must be registered on the app) with `tenant`,
`state` and `admin_consent=True`, or with `error` and `error_description` (which can also carry
`admin_consent=True`: the error is checked first). Without a redirect URI the link uses the
older `/adminconsent` form, which returns to the app's default reply URL, if any.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

PERMISSION = "CallRecords.Read.All"


def graph_scope(graph_base_url: str) -> str:
    """`https://graph.microsoft.com/.default` for the real Graph: the scheme and host only."""
    parts = urlsplit(graph_base_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


def consent_url(
    authority_url: str,
    tenant_id: str,
    client_id: str,
    graph_base_url: str,
    redirect_url: str = "",
    state: str = "",
) -> str:
    """The link that asks this tenant's admin to consent to the app's permissions."""
    authority = authority_url.rstrip("/")
    if not redirect_url:
        query = urlencode({"client_id": client_id})
        return f"{authority}/{tenant_id}/adminconsent?{query}"
    query = urlencode(
        {
            "client_id": client_id,
            "scope": graph_scope(graph_base_url),
            "redirect_uri": redirect_url,
            "state": state,
        }
    )
    return f"{authority}/{tenant_id}/v2.0/adminconsent?{query}"


@dataclass(frozen=True, slots=True)
class ConsentAnswer:
    """What Microsoft's redirect after the consent page says (its query string, checked)."""

    tenant_id: str | None
    state: str
    granted: bool
    error: str | None  # Microsoft's error code (consent_required, access_denied, ...)
    description: str | None


def read_answer(query: dict[str, str]) -> ConsentAnswer:
    """The redirect's query: `error` wins over `admin_consent=True` (both can come together)."""
    error = (query.get("error") or "").strip()[:100] or None
    description = (query.get("error_description") or "").strip()[:500] or None
    granted = error is None and query.get("admin_consent", "").lower() == "true"
    tenant = (query.get("tenant") or "").strip()[:100] or None
    return ConsentAnswer(tenant, (query.get("state") or "")[:200], granted, error, description)
