"""Who is who: the channels subscribed to a tenant's alerts (their conversation references), and
the admins' 1:1 chats with the bot, where alerts go when no conversation of the tenant is
subscribed (the admins themselves: credits/admins.py)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from credits import audit, outbox
from credits.audit import SettingsAction
from credits.errors import ValidationError
from credits.i18n import t
from credits.models import Actor, AlertReach, PersonalChat, Subscription
from credits.schema import admins, personal_chats, subscriptions
from credits.store import Deps, tenant_key


async def subscribe(
    deps: Deps,
    tenant_id: str,
    conversation_id: str,
    reference: dict[str, Any],
    actor: Actor,
    *,
    automatic: bool = False,
) -> bool:
    """Store a channel's conversation reference for alerts; True if new, False if updated. A new
    subscription is audited (`alerts_subscribed`, by `actor`; `automatic`: the bot's own, at
    install) in the same transaction, the account locked."""
    json.dumps(reference)  # must be plain JSON
    async with deps.store.locked(tenant_id) as account:
        conn, tenant_id = account.conn, account.tenant_id
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
        details = audit.conversation_details(conversation_id, reference, automatic=automatic)
        await audit.record(deps, conn, account.id, SettingsAction.ALERTS_SUBSCRIBED, actor, details)
        await outbox.wake(deps, conn, tenant_id)  # alerts that waited for a conversation
        return True


async def unsubscribe(deps: Deps, tenant_id: str, conversation_id: str, actor: Actor) -> bool:
    """End a conversation's subscription; True if there was one. Audited
    (`alerts_unsubscribed`) in the same transaction, by `actor`: who said "stop alerts here",
    or `audit.DELIVERY` (the bot was removed from the conversation, or it is gone)."""
    async with deps.store.locked(tenant_id) as account:
        conn = account.conn
        gone = (
            await conn.execute(
                delete(subscriptions)
                .where(
                    subscriptions.c.tenant_id == account.tenant_id,
                    subscriptions.c.conversation_id == conversation_id,
                )
                .returning(subscriptions.c.reference)
            )
        ).all()
        if not gone:
            return False
        details = audit.conversation_details(
            conversation_id, gone[0].reference, automatic=actor.id == audit.DELIVERY.id
        )
        action = SettingsAction.ALERTS_UNSUBSCRIBED
        await audit.record(deps, conn, account.id, action, actor, details)
        return True


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


# --------------------------------------------------------------------------- admins' 1:1 chats


def _still_admin(deps: Deps) -> ColumnElement[bool]:
    """`is_admin`'s rule in SQL, for the person of a `personal_chats` row: listed in the
    configuration, or granted in this tenant (object ids compared without regard to case)."""
    person = func.lower(personal_chats.c.aad_object_id)
    granted = exists().where(
        admins.c.tenant_id == personal_chats.c.tenant_id,
        func.lower(admins.c.aad_object_id) == person,
    )
    if not deps.config.admins:
        return granted
    # one parameter each, not an expanding IN list (rendered anew at every run)
    listed = [person == literal(a.strip().lower()) for a in deps.config.admins]
    return or_(*listed, granted)


async def remember_personal_chat(
    deps: Deps,
    tenant_id: str,
    aad_object_id: str,
    conversation_id: str,
    reference: dict[str, Any],
    name: str,
) -> bool:
    """Keep an admin's 1:1 chat with the bot (its conversation reference), for alerts when no
    conversation of the tenant is subscribed. Writes only when it is new or changed (True);
    a new or changed chat makes the tenant's waiting alerts due at once."""
    tenant_id = tenant_key(tenant_id)
    if not aad_object_id.strip():
        raise ValidationError(
            t("A 1:1 chat is kept for a person with a Microsoft Entra object id.")
        )
    json.dumps(reference)  # must be plain JSON
    name = name[:200] or aad_object_id
    key = (personal_chats.c.tenant_id == tenant_id) & (
        personal_chats.c.aad_object_id == aad_object_id
    )
    async with deps.db.read() as conn:
        row = (await conn.execute(select(personal_chats).where(key))).one_or_none()
    if row is not None and (row.conversation_id, row.reference, row.name) == (
        conversation_id,
        reference,
        name,
    ):
        return False
    values: dict[str, object] = {
        "conversation_id": conversation_id,
        "reference": reference,
        "name": name,
        "updated_at": deps.clock.now(),
    }
    insert = deps.store.upsert_insert
    async with deps.db.write() as conn:
        await conn.execute(
            insert(personal_chats)
            .values(tenant_id=tenant_id, aad_object_id=aad_object_id, **values)
            .on_conflict_do_update(index_elements=["tenant_id", "aad_object_id"], set_=values)
        )
        await outbox.wake(deps, conn, tenant_id)
    return True


async def forget_personal_chat(
    deps: Deps, tenant_id: str, aad_object_id: str, conversation_id: str
) -> bool:
    """The bot was removed from this 1:1 chat, or it is gone (403/404): no alerts there."""
    async with deps.db.write() as conn:
        result = await conn.execute(
            delete(personal_chats).where(
                personal_chats.c.tenant_id == tenant_id,
                personal_chats.c.aad_object_id == aad_object_id,
                personal_chats.c.conversation_id == conversation_id,
            )
        )
        return bool(result.rowcount)


async def admin_chats(deps: Deps, tenant_id: str) -> list[PersonalChat]:
    """The 1:1 chats of the people who are the tenant's admins now (checked at each call)."""
    query = (
        select(personal_chats)
        .where(personal_chats.c.tenant_id == tenant_id, _still_admin(deps))
        .order_by(personal_chats.c.aad_object_id)
    )
    async with deps.db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [
        PersonalChat(
            r.tenant_id, r.aad_object_id, r.conversation_id, r.reference, r.name, r.updated_at
        )
        for r in rows
    ]


def reach_counts(
    deps: Deps, tenant_id: str | ColumnElement[str]
) -> tuple[ScalarSelect[int], ScalarSelect[int], ScalarSelect[int]]:
    """`alert_reach`'s three counts as scalar subqueries (subscribed conversations, admins'
    1:1 chats, alerts not delivered yet), to be read in one statement with others."""

    def count(table: Any, *where: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(table).where(*where).scalar_subquery()

    return (
        count(subscriptions, subscriptions.c.tenant_id == tenant_id),
        count(personal_chats, personal_chats.c.tenant_id == tenant_id, _still_admin(deps)),
        outbox.undelivered_count(tenant_id).scalar_subquery(),
    )


def reach_of(deps: Deps, conversations: int, chats: int, waiting: int) -> AlertReach:
    return AlertReach(
        conversations=int(conversations),
        personal_chats=int(chats),
        waiting=int(waiting),
        expiry=deps.config.alert_expiry,
    )


async def alert_reach(deps: Deps, conn: AsyncConnection, tenant_id: str) -> AlertReach:
    """Where the tenant's alerts go now (subscribed conversations, else admins' 1:1 chats) and
    how many are not delivered yet, read on `conn` in one statement."""
    row = (await conn.execute(select(*reach_counts(deps, tenant_id)))).one()
    return reach_of(deps, row[0], row[1], row[2])


async def reach(deps: Deps, tenant_id: str) -> AlertReach:
    async with deps.db.read() as conn:
        return await alert_reach(deps, conn, tenant_key(tenant_id))
