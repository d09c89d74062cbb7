"""The audit trail of settings changes (the `operations` table): what each action is, and one
way to record a change that is not a confirm card's request (grants, revokes, subscriptions).

Changes made through a confirm card are recorded by `account_settings._audit`, which is also
their idempotency record; everything is read back by the history (settings rows beside the money
entries: credits/audit_read.py)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from credits.i18n import N_
from credits.inputs import request_hash
from credits.models import CANCELLED_REQUEST, Actor
from credits.schema import operations
from credits.store import Deps

Details = dict[str, int | bool | str | list[int] | None]
"""A settings change as the audit trail records it (JSON)."""


class SettingsAction(StrEnum):
    """``operations.action``: what a settings change was."""

    AUTO_RECHARGE = "auto_recharge"
    RECHARGE_CAPS = "recharge_caps"
    ALERT_THRESHOLDS = "alert_thresholds"
    ADMIN_GRANTED = "admin_granted"
    ADMIN_REVOKED = "admin_revoked"
    ADMIN_CLAIMED = "admin_claimed"  # the first admin, by a claim code
    CLAIM_CODE_ISSUED = "claim_code_issued"  # a first-run claim code printed (never the code)
    ALERTS_SUBSCRIBED = "alerts_subscribed"
    ALERTS_UNSUBSCRIBED = "alerts_unsubscribed"
    CANCELLED = CANCELLED_REQUEST  # a confirm card's request voided before it was confirmed


SETTINGS_CHANGES = tuple(a.value for a in SettingsAction if a is not SettingsAction.CANCELLED)
"""The actions that are settings changes (what the history shows); a `cancelled` marker is not."""

DELIVERY = Actor("delivery", N_("Alert delivery"))
"""Who ends a subscription when a post there answers 403 (the bot was removed) or 404 (the
conversation is gone); stored in English, shown translated (credits/audit_read.py)."""


class ConversationKind(StrEnum):
    """A subscribed conversation's kind, as Teams names it (``conversation.conversationType``)."""

    CHANNEL = "channel"
    GROUP_CHAT = "groupChat"
    PERSONAL = "personal"
    OTHER = "other"  # an emulator, the terminal chat, or a kind Teams did not say


def conversation_details(
    conversation_id: str, reference: Mapping[str, Any], *, automatic: bool
) -> Details:
    """What an alert subscription's audit row keeps of the conversation: its id, its name when
    the reference has one, its kind, and whether the bot did it by itself (`automatic`: the
    subscription at install, or its end after a 403/404)."""
    conversation = reference.get("conversation")
    about = conversation if isinstance(conversation, Mapping) else {}
    name = about.get("name")
    kind = about.get("conversationType")
    known = {k.value for k in ConversationKind}
    return {
        "conversation_id": conversation_id[:200],
        "name": (name.strip()[:200] or None) if isinstance(name, str) else None,
        "kind": kind if isinstance(kind, str) and kind in known else ConversationKind.OTHER.value,
        "automatic": automatic,
    }


async def record(
    deps: Deps,
    conn: AsyncConnection,
    account_id: int,
    action: SettingsAction,
    actor: Actor,
    details: Details,
) -> None:
    """One audit row, in the caller's write transaction (no idempotency key: the caller's own
    rows make the change once)."""
    await conn.execute(
        operations.insert().values(
            account_id=account_id,
            action=action.value,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            details=details,
            idempotency_key=None,
            request_hash=request_hash(action.value, details, actor.id),
            created_at=deps.clock.now(),
        )
    )
