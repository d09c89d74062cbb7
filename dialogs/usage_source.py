"""Usage from Microsoft 365, in chat: "connect usage" (the admin-consent card), "usage status",
and the cards' buttons (Check now, Refresh). Connecting records the tenant as a usage source
(credits/sources.py), due at once; the "usage" worker (bot/graph_pull.py) then pulls it, and its
first pull says whether consent was given."""

from __future__ import annotations

import hmac
from typing import Protocol

from cards._elements import Card
from cards.usage_source import ConnectView, StatusView, connect_card, status_card
from credits.consent import consent_url
from credits.service import CreditsService
from dialogs.caller import Caller

CONSENT_PURPOSE = "graph-consent"


class Signer(Protocol):
    """What signs the consent link's `state` (dialogs/actions.py CardSigner fits)."""

    def sign(self, tenant_id: str, data: dict[str, object]) -> str: ...


def consent_state(signer: Signer, tenant_id: str) -> str:
    """`<tenant>.<signature>`: the consent redirect names the tenant an admin asked for, and
    nobody else can make one (bot/consent.py checks it)."""
    return f"{tenant_id}.{signer.sign(tenant_id, {'purpose': CONSENT_PURPOSE})}"


def state_tenant(signer: Signer, state: str) -> str | None:
    """The tenant of a state this bot made, or None."""
    tenant_id, _, signature = state.rpartition(".")
    if not tenant_id or not signature:
        return None
    expected = signer.sign(tenant_id, {"purpose": CONSENT_PURPOSE})
    return tenant_id if hmac.compare_digest(signature, expected) else None


class UsageSourceCards:
    def __init__(self, service: CreditsService, signer: Signer) -> None:
        self.service = service
        self.signer = signer

    async def connect(self, caller: Caller) -> Card:
        """Connect this tenant (pulled at once, and then regularly) and show the consent card."""
        config = self.service.config
        if not config.graph_configured:
            return await self.status(caller)
        before = await self.service.usage_source(caller.tenant_id) is not None
        await self.service.connect_usage(caller.tenant_id, caller.actor)
        redirect = config.graph_consent_redirect_url
        url = consent_url(
            config.graph_authority_url,
            caller.tenant_id,
            config.graph_client_id,
            config.graph_base_url,
            redirect,
            consent_state(self.signer, caller.tenant_id) if redirect else "",
        )
        return connect_card(ConnectView(url, before, bool(redirect)))

    async def status(self, caller: Caller, checking: bool = False) -> Card:
        config = self.service.config
        source = await self.service.usage_source(caller.tenant_id)
        view = StatusView(
            config.graph_configured, config.graph_off_reason(), source, checking=checking
        )
        return status_card(view)

    async def check(self, caller: Caller) -> Card:
        """Pull now (the next round of the worker), if connected; else the connect card."""
        if not self.service.config.graph_configured:
            return await self.status(caller)
        if await self.service.usage_source(caller.tenant_id) is None:
            return await self.connect(caller)
        await self.service.connect_usage(caller.tenant_id, caller.actor)  # due at once
        return await self.status(caller, checking=True)
