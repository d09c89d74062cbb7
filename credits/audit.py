"""The audit trail of settings changes (the `operations` table): what each action is, and one
way to record a change that is not a confirm card's request (grants, revokes, subscriptions).

Changes made through a confirm card are recorded by `account_settings._audit`, which is also
their idempotency record; everything is read back by the history (settings rows beside the money
entries)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

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
    ALERTS_SUBSCRIBED = "alerts_subscribed"
    ALERTS_UNSUBSCRIBED = "alerts_unsubscribed"
    CANCELLED = CANCELLED_REQUEST  # a confirm card's request voided before it was confirmed


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
