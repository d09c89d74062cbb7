"""The billing admins of a tenant: those of the configuration (CREDITS_ADMINS, admins of every
tenant) and those granted in the store (by an admin in chat or on the command line, or the first
one by a claim code: credits/admins_claim.py).

Granting and revoking run in one write transaction with the account locked, so two changes to
one tenant's admins never interleave, and write their audit row (`admin_granted`,
`admin_revoked`: who did it and whom) in it. They take a confirm card's request key: the audit
row is also the request's idempotency record, so a second Confirm is a replay and a request
voided by Cancel (`account_settings.void_request`) is refused. An admin of the configuration is
removed only there, and the last admin is never removed: a tenant left with none could not be
run from chat."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits.audit import Details, SettingsAction
from credits.errors import IdempotencyConflict, NotFoundError, RequestCancelled, ValidationError
from credits.i18n import N_, t
from credits.inputs import CONFLICT, clean_key, request_hash
from credits.models import CANCELLED_REQUEST, Actor, Admin, AdminSource
from credits.schema import accounts, admins, operations, personal_chats
from credits.store import Deps, LockedAccount, tenant_key
from credits.text import clean_name


class AdminChange(StrEnum):
    """What a confirm card does to someone."""

    GRANT = "grant"
    REVOKE = "revoke"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone an admin named in chat: their Microsoft Entra object id, their name, and their
    e-mail address when the Teams roster gives it."""

    aad_object_id: str
    name: str
    email: str | None = None


NO_PERSON = N_("Name the person by their Microsoft Entra object id.")
CONFIGURED = N_("This admin is set in the bot's configuration (CREDITS_ADMINS); remove them there.")
NOT_AN_ADMIN = N_("That person is not an admin here.")
LAST_ADMIN = N_(
    "{name} is the last billing admin here: with no admin left, nobody could run "
    "Communications Credits from chat. Make someone else an admin first. Nothing was changed."
)
ID_MAX = 100  # admins.aad_object_id
NAME_MAX = 200
_GRANTS = (SettingsAction.ADMIN_GRANTED.value, SettingsAction.ADMIN_CLAIMED.value)


def person_id(aad_object_id: str) -> str:
    """A person's Microsoft Entra object id as the store keeps it."""
    if not isinstance(aad_object_id, str) or not aad_object_id.strip():
        raise ValidationError(t(NO_PERSON))
    if len(aad_object_id.strip()) > ID_MAX:
        raise ValidationError(t(NO_PERSON))
    return aad_object_id.strip()


def person_name(name: str, aad_object_id: str) -> str:
    return clean_name(name, NAME_MAX) or aad_object_id


# --------------------------------------------------------------------------- reading


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


async def has_admin(deps: Deps, conn: AsyncConnection, tenant_id: str) -> bool:
    """Whether the tenant has any admin (of the configuration, or granted), read on `conn`."""
    return bool(deps.config.admins) or await _granted_count(conn, tenant_id) > 0


async def _granted_count(conn: AsyncConnection, tenant_id: str) -> int:
    query = select(func.count()).select_from(admins).where(admins.c.tenant_id == tenant_id)
    return int((await conn.execute(query)).scalar_one())


async def list_admins(deps: Deps, tenant_id: str) -> list[Admin]:
    """The configuration's admins (named as their 1:1 chat with the bot names them, else by
    their id), then the granted ones by name, each with who granted it when the audit says."""
    tenant_id = tenant_key(tenant_id)
    async with deps.db.read() as conn:
        rows = (
            await conn.execute(
                select(admins).where(admins.c.tenant_id == tenant_id).order_by(admins.c.name)
            )
        ).all()
        names = await _chat_names(conn, tenant_id, deps.config.admins)
        grants = await _grants(conn, tenant_id)
    listed = [Admin(a, names.get(a, a), AdminSource.CONFIG) for a in deps.config.admins]
    for row in rows:
        how = grants.get(row.aad_object_id)
        claimed = how is not None and how[0] == SettingsAction.ADMIN_CLAIMED.value
        listed.append(
            Admin(
                row.aad_object_id,
                row.name,
                AdminSource.CLAIMED if claimed else AdminSource.GRANTED,
                row.granted_by,
                row.granted_at,
                how[1] if how is not None else None,
            )
        )
    return listed


async def _chat_names(
    conn: AsyncConnection, tenant_id: str, ids: tuple[str, ...]
) -> dict[str, str]:
    if not ids:
        return {}
    query = select(personal_chats.c.aad_object_id, personal_chats.c.name).where(
        personal_chats.c.tenant_id == tenant_id, personal_chats.c.aad_object_id.in_(ids)
    )
    return {r.aad_object_id: r.name for r in (await conn.execute(query)).all()}


async def _grants(conn: AsyncConnection, tenant_id: str) -> dict[str, tuple[str, str]]:
    """For each person the audit trail made an admin: the latest grant's action and who did it."""
    query = (
        select(operations.c.action, operations.c.actor_name, operations.c.details)
        .join(accounts, accounts.c.id == operations.c.account_id)
        .where(accounts.c.tenant_id == tenant_id, operations.c.action.in_(_GRANTS))
        .order_by(operations.c.id)
    )
    found: dict[str, tuple[str, str]] = {}
    for row in (await conn.execute(query)).all():
        details: Any = row.details
        whom = details.get("aad_object_id") if isinstance(details, dict) else None
        if isinstance(whom, str):
            found[whom] = (row.action, row.actor_name)
    return found


# --------------------------------------------------------------------------- changes


async def grant(
    deps: Deps,
    tenant_id: str,
    aad_object_id: str,
    name: str,
    by: Actor,
    *,
    idempotency_key: str | None = None,
) -> bool:
    """Make someone an admin: True if granted now (or by this request before: a replay), False
    if they are an admin already (nothing written)."""
    person = person_id(aad_object_id)
    details: Details = {"aad_object_id": person, "name": person_name(name, person)}
    request = _Request(SettingsAction.ADMIN_GRANTED, person, by, idempotency_key)
    async with deps.store.locked(tenant_id) as account:
        if await request.replayed(account):
            return True
        if person in deps.config.admins or await _granted(account, person) is not None:
            return False
        await add(deps, account, person, str(details["name"]), by)
        await request.record(deps, account, details)
        return True


async def add(deps: Deps, account: LockedAccount, person: str, name: str, by: Actor) -> None:
    """The `admins` row of a new admin, in the caller's transaction (the account held)."""
    await account.conn.execute(
        admins.insert().values(
            tenant_id=account.tenant_id,
            aad_object_id=person,
            name=name,
            granted_by=by.id[:ID_MAX],
            granted_at=deps.clock.now(),
        )
    )


async def revoke(
    deps: Deps,
    tenant_id: str,
    aad_object_id: str,
    by: Actor,
    *,
    idempotency_key: str | None = None,
) -> bool:
    """Remove a granted admin (True; also for a replay of this request). Refused: an admin of
    the configuration, someone who is not an admin, and the last admin of the tenant."""
    person = person_id(aad_object_id)
    if person in deps.config.admins:
        raise ValidationError(t(CONFIGURED))
    request = _Request(SettingsAction.ADMIN_REVOKED, person, by, idempotency_key)
    async with deps.store.locked(tenant_id) as account:
        if await request.replayed(account):
            return True
        row = await _granted(account, person)
        if row is None:
            raise NotFoundError(t(NOT_AN_ADMIN))
        if not deps.config.admins and await _granted_count(account.conn, account.tenant_id) <= 1:
            raise ValidationError(t(LAST_ADMIN, name=row.name))
        await account.conn.execute(
            admins.delete().where(
                admins.c.tenant_id == account.tenant_id, admins.c.aad_object_id == person
            )
        )
        await request.record(deps, account, {"aad_object_id": person, "name": row.name})
        return True


async def _granted(account: LockedAccount, person: str) -> Any:
    query = select(admins).where(
        admins.c.tenant_id == account.tenant_id, admins.c.aad_object_id == person
    )
    return (await account.conn.execute(query)).one_or_none()


# --------------------------------------------------------------------------- the audit row


@dataclass(frozen=True, slots=True)
class _Request:
    """A grant or a revoke as asked: what, whom, by whom, and the confirm card's request key
    (None: a change with no card, the command line's)."""

    action: SettingsAction
    person: str
    by: Actor
    key: str | None

    @property
    def hashed(self) -> str:
        return request_hash(self.action.value, self.person, self.by.id)

    async def replayed(self, account: LockedAccount) -> bool:
        """Whether this request was applied before. One voided by its card's Cancel raises
        RequestCancelled; the key of another request, IdempotencyConflict."""
        if self.key is None:
            return False
        query = select(operations.c.action, operations.c.request_hash).where(
            operations.c.account_id == account.id,
            operations.c.idempotency_key == clean_key(self.key),
        )
        existing = (await account.conn.execute(query)).one_or_none()
        if existing is None:
            return False
        if existing.action == CANCELLED_REQUEST:
            raise RequestCancelled()
        if existing.request_hash != self.hashed:
            raise IdempotencyConflict(t(CONFLICT))
        return True

    async def record(self, deps: Deps, account: LockedAccount, details: Details) -> None:
        """The change's audit row (and its request's idempotency record), in its transaction."""
        await account.conn.execute(
            operations.insert().values(
                account_id=account.id,
                action=self.action.value,
                actor_id=self.by.id[:ID_MAX],
                actor_name=self.by.name[:NAME_MAX],
                details=details,
                idempotency_key=None if self.key is None else clean_key(self.key),
                request_hash=self.hashed,
                created_at=deps.clock.now(),
            )
        )
