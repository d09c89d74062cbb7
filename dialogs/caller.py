"""Who is speaking on this turn, decided by the host from the activity's sender, never from data
inside a card payload (the client controls that)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext

from credits.models import Actor

CALLER_KEY = "credits.caller"


@dataclass(frozen=True, slots=True)
class Caller:
    tenant_id: str
    aad_object_id: str
    name: str
    is_admin: bool

    @property
    def actor(self) -> Actor:
        return Actor(self.aad_object_id, self.name)


def tenant_of(activity: Any) -> str | None:
    """channelData.tenant.id, else conversation.tenantId (docs/design.md §2)."""
    data = activity.channel_data or {}
    if isinstance(data, dict):
        tenant = (data.get("tenant") or {}).get("id")
        if isinstance(tenant, str) and tenant:
            return tenant
    conversation = activity.conversation
    if conversation is None:
        return None
    # botbuilder maps tenant_id to "tenantID"; Teams sends "tenantId", kept in the extras
    extras = getattr(conversation, "additional_properties", None) or {}
    for tenant in (getattr(conversation, "tenant_id", None), extras.get("tenantId")):
        if isinstance(tenant, str) and tenant:
            return tenant
    return None


def get_caller(turn_context: TurnContext) -> Caller:
    caller = turn_context.turn_state.get(CALLER_KEY)
    if not isinstance(caller, Caller):
        raise RuntimeError("the host must set the caller before running dialogs")
    return caller


def set_caller(turn_context: TurnContext, caller: Caller) -> None:
    turn_context.turn_state[CALLER_KEY] = caller
