"""Who is who: the admins of a tenant (from the configuration, or granted), and the channels
subscribed to its alerts (their conversation references)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select, update

from credits.errors import NotFoundError, ValidationError
from credits.models import Actor, Admin, Subscription
from credits.schema import admins, subscriptions
from credits.store import Deps, tenant_key


async def is_admin(deps: Deps, tenant_id: str, aad_object_id: str | None) -> bool:
    if not aad_object_id:
        return False
    if aad_object_id in deps.config.admins:
        return True
    async with deps.db.read() as conn:
        found = await conn.execute(
            select(admins.c.aad_object_id).where(
                admins.c.tenant_id == tenant_id, admins.c.aad_object_id == aad_object_id
            )
        )
        return found.first() is not None


async def list_admins(deps: Deps, tenant_id: str) -> list[Admin]:
    listed = [Admin(a, a, "config") for a in deps.config.admins]
    async with deps.db.read() as conn:
        rows = (
            await conn.execute(
                select(admins).where(admins.c.tenant_id == tenant_id).order_by(admins.c.name)
            )
        ).all()
    return listed + [
        Admin(r.aad_object_id, r.name, "granted", r.granted_by, r.granted_at) for r in rows
    ]


async def grant_admin(deps: Deps, tenant_id: str, aad_object_id: str, name: str, by: Actor) -> bool:
    """True if granted now, False if already an admin."""
    if not aad_object_id.strip():
        raise ValidationError("Name the person by their Microsoft Entra object id.")
    if await is_admin(deps, tenant_id, aad_object_id):
        return False
    insert = deps.store.upsert_insert
    async with deps.db.write() as conn:
        result = await conn.execute(
            insert(admins)
            .values(
                tenant_id=tenant_key(tenant_id),
                aad_object_id=aad_object_id,
                name=name[:200] or aad_object_id,
                granted_by=by.id,
                granted_at=deps.clock.now(),
            )
            .on_conflict_do_nothing()
        )
        return bool(result.rowcount)


async def revoke_admin(deps: Deps, tenant_id: str, aad_object_id: str) -> bool:
    if aad_object_id in deps.config.admins:
        raise ValidationError(
            "This admin is set in the bot's configuration (CREDITS_ADMINS); remove them there."
        )
    async with deps.db.write() as conn:
        result = await conn.execute(
            delete(admins).where(
                admins.c.tenant_id == tenant_id, admins.c.aad_object_id == aad_object_id
            )
        )
        if not result.rowcount:
            raise NotFoundError("That person is not an admin here.")
        return True


async def subscribe(
    deps: Deps, tenant_id: str, conversation_id: str, reference: dict[str, Any], actor: Actor
) -> bool:
    """Store a channel's conversation reference for alerts; True if new, False if updated."""
    tenant_id = tenant_key(tenant_id)
    json.dumps(reference)  # must be plain JSON
    async with deps.db.write() as conn:
        found = await conn.execute(
            update(subscriptions)
            .where(
                subscriptions.c.tenant_id == tenant_id,
                subscriptions.c.conversation_id == conversation_id,
            )
            .values(reference=reference)
        )
        if found.rowcount:
            return False
        await conn.execute(
            subscriptions.insert().values(
                tenant_id=tenant_id,
                conversation_id=conversation_id,
                reference=reference,
                created_by=actor.id,
                created_at=deps.clock.now(),
            )
        )
        return True


async def unsubscribe(deps: Deps, tenant_id: str, conversation_id: str) -> bool:
    async with deps.db.write() as conn:
        result = await conn.execute(
            delete(subscriptions).where(
                subscriptions.c.tenant_id == tenant_id,
                subscriptions.c.conversation_id == conversation_id,
            )
        )
        return bool(result.rowcount)


async def list_subscriptions(deps: Deps, tenant_id: str) -> list[Subscription]:
    async with deps.db.read() as conn:
        rows = (
            await conn.execute(
                select(subscriptions)
                .where(subscriptions.c.tenant_id == tenant_id)
                .order_by(subscriptions.c.id)
            )
        ).all()
    return [
        Subscription(r.tenant_id, r.conversation_id, r.reference, r.created_by, r.created_at)
        for r in rows
    ]
