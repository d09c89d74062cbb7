"""The billing admins of a tenant: those of the configuration (CREDITS_ADMINS, admins of every
tenant) and those granted in the store (by an admin in chat or on the command line, or the first
one by a claim code: credits/admins_claim.py).

Granting and revoking run in one write transaction with the account locked, so two changes to
one tenant's admins never interleave, and write their audit row (`admin_granted`,
`admin_revoked`: who did it and whom) in it. They take a confirm card's request key: the audit
row is also the request's idempotency record, so a second Confirm is a replay and a request
voided by Cancel (`account_settings.void_request`) is refused. An admin of the configuration is
removed only there, and the last admin is never removed: a tenant left with none could not be
run from chat. Only an admin grants or revokes: who asks (`by`) is checked again under the lock,
so an admin removed a moment before changes nothing; the command line (``cli:<user>``, the
operator) and the first grant of a tenant with no admin at all are the exceptions.

Microsoft Entra object ids are compared without regard to case (Teams sends them in lower case;
CREDITS_ADMINS may have them in upper case) and kept in lower case."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from credits.audit import Details, SettingsAction
from credits.errors import IdempotencyConflict, NotFoundError, RequestCancelled, ValidationError
from credits.i18n import N_, fmt_number, t
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


NO_PERSON = N_(
    "Name the person by their Microsoft Entra object id: none was given. Nothing was changed."
)
ID_TOO_LONG = N_(
    "That is not a Microsoft Entra object id: it is longer than {n} characters (an id is a GUID "
    "such as 00000000-0000-0000-0000-000000000000). Nothing was changed."
)
CONFIGURED = N_(
    "This admin is set in the bot's configuration (CREDITS_ADMINS); remove them there. "
    "Nothing was changed."
)
NOT_AN_ADMIN = N_(
    'That person is not a billing admin here; "admins" in chat (or credits-bot admins list) '
    "shows who is. Nothing was changed."
)
NOT_ALLOWED = N_(
    "{name} is not a billing admin here (any more), so they cannot add or remove admins. "
    "Nothing was changed."
)
LAST_ADMIN = N_(
    "{name} is the last billing admin here: with no admin left, nobody could run "
    "Communications Credits from chat. Make someone else an admin first. Nothing was changed."
)
ID_MAX = 100  # admins.aad_object_id
NAME_MAX = 200
_GRANTS = (SettingsAction.ADMIN_GRANTED.value, SettingsAction.ADMIN_CLAIMED.value)
OPERATOR_PREFIX = "cli:"
"""The actor id of the command line (``cli:<user>``): the operator, who may always grant."""


def person_id(aad_object_id: str) -> str:
    """A person's Microsoft Entra object id as the store keeps it: trimmed, in lower case."""
    if not isinstance(aad_object_id, str) or not aad_object_id.strip():
        raise ValidationError(t(NO_PERSON))
    if len(aad_object_id.strip()) > ID_MAX:
        raise ValidationError(t(ID_TOO_LONG, n=fmt_number(ID_MAX)))
    return aad_object_id.strip().lower()


def same_id(one: str | None, other: str | None) -> bool:
    """Whether two object ids are one person's (ignoring case and the spaces around)."""
    return bool(one) and bool(other) and _key(one) == _key(other)


def _key(aad_object_id: str | None) -> str:
    return (aad_object_id or "").strip().lower()


def configured(deps: Deps, aad_object_id: str | None) -> bool:
    """Whether someone is an admin of the configuration (CREDITS_ADMINS)."""
    return bool(aad_object_id) and _key(aad_object_id) in {_key(a) for a in deps.config.admins}


def _is(column: ColumnElement[str], aad_object_id: str) -> ColumnElement[bool]:
    """``column`` holds this object id, whatever its case (rows granted before ids were kept
    in lower case included)."""
    return func.lower(column) == _key(aad_object_id)


def person_name(name: str, aad_object_id: str) -> str:
    return clean_name(name, NAME_MAX) or aad_object_id


# --------------------------------------------------------------------------- reading


async def is_admin(deps: Deps, tenant_id: str, aad_object_id: str | None) -> bool:
    if not aad_object_id or not aad_object_id.strip():
        return False
    if configured(deps, aad_object_id):
        return True
    async with deps.db.read(quick=True) as conn:
        return await _granted_in(conn, tenant_key(tenant_id), aad_object_id) is not None


async def has_admin(deps: Deps, conn: AsyncConnection, tenant_id: str) -> bool:
    """Whether the tenant has any admin (of the configuration, or granted), read on `conn`."""
    return bool(deps.config.admins) or await _granted_count(conn, tenant_id) > 0


async def tenant_has_admin(deps: Deps, tenant_id: str) -> bool:
    """Whether the tenant has any admin at all (no query when the configuration has one)."""
    if deps.config.admins:
        return True
    async with deps.db.read() as conn:
        return await _granted_count(conn, tenant_key(tenant_id)) > 0


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
        how = grants.get(_key(row.aad_object_id))
        claimed = how is not None and how[0] is SettingsAction.ADMIN_CLAIMED
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
        personal_chats.c.tenant_id == tenant_id,
        func.lower(personal_chats.c.aad_object_id).in_([_key(i) for i in ids]),
    )
    found = {_key(r.aad_object_id): str(r.name) for r in (await conn.execute(query)).all()}
    return {i: found[_key(i)] for i in ids if _key(i) in found}


async def _grants(conn: AsyncConnection, tenant_id: str) -> dict[str, tuple[SettingsAction, str]]:
    """For each person the audit trail made an admin (by their id in lower case): the latest
    grant's action and who did it."""
    query = (
        select(operations.c.action, operations.c.actor_name, operations.c.details)
        .join(accounts, accounts.c.id == operations.c.account_id)
        .where(accounts.c.tenant_id == tenant_id, operations.c.action.in_(_GRANTS))
        .order_by(operations.c.id)
    )
    found: dict[str, tuple[SettingsAction, str]] = {}
    for row in (await conn.execute(query)).all():
        details: object = row.details
        whom = details.get("aad_object_id") if isinstance(details, dict) else None
        if isinstance(whom, str):
            found[_key(whom)] = (SettingsAction(row.action), str(row.actor_name))
    return found


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True, slots=True)
class Granted:
    """An `admins` row: whom (their id as stored) and their name."""

    aad_object_id: str
    name: str


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
    if they are an admin already (nothing written). Refused when ``by`` is not an admin."""
    person = person_id(aad_object_id)
    details: Details = {"aad_object_id": person, "name": person_name(name, person)}
    request = _Request(SettingsAction.ADMIN_GRANTED, person, by, idempotency_key)
    async with deps.store.locked(tenant_id) as account:
        if await request.replayed(account):
            return True
        if configured(deps, person) or await _granted(account, person) is not None:
            return False
        await _check_actor(deps, account, by)
        await add(deps, account, person, str(details["name"]), by)
        await request.record(deps, account, details)
        return True


async def add(deps: Deps, account: LockedAccount, person: str, name: str, by: Actor) -> None:
    """The `admins` row of a new admin, in the caller's transaction (the account held)."""
    await account.conn.execute(
        admins.insert().values(
            tenant_id=account.tenant_id,
            aad_object_id=person_id(person),
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
    the configuration, someone who is not an admin, the last admin of the tenant, and a
    ``by`` who is not an admin."""
    person = person_id(aad_object_id)
    if configured(deps, person):
        raise ValidationError(t(CONFIGURED))
    request = _Request(SettingsAction.ADMIN_REVOKED, person, by, idempotency_key)
    async with deps.store.locked(tenant_id) as account:
        if await request.replayed(account):
            return True
        row = await _granted(account, person)
        if row is None:
            raise NotFoundError(t(NOT_AN_ADMIN))
        await _check_actor(deps, account, by)
        if not deps.config.admins and await _granted_count(account.conn, account.tenant_id) <= 1:
            raise ValidationError(t(LAST_ADMIN, name=row.name))
        await account.conn.execute(
            admins.delete().where(
                admins.c.tenant_id == account.tenant_id, _is(admins.c.aad_object_id, person)
            )
        )
        await request.record(deps, account, {"aad_object_id": person, "name": row.name})
        return True


async def _check_actor(deps: Deps, account: LockedAccount, by: Actor) -> None:
    """Refuse a change asked by someone who is not an admin of the tenant, read under its lock
    (an admin removed a moment ago changes nothing). The command line is the operator; a tenant
    with no admin at all has nobody to ask (its first grant: local mode, or a test's setup)."""
    if by.id.startswith(OPERATOR_PREFIX) or configured(deps, by.id):
        return
    if await _granted(account, by.id) is not None:
        return
    if not deps.config.admins and await _granted_count(account.conn, account.tenant_id) == 0:
        return
    raise ValidationError(t(NOT_ALLOWED, name=by.name or by.id))


async def _granted(account: LockedAccount, person: str) -> Granted | None:
    return await _granted_in(account.conn, account.tenant_id, person)


async def _granted_in(conn: AsyncConnection, tenant_id: str, person: str) -> Granted | None:
    """The `admins` row of ``person`` in the tenant (their id in any case), if any."""
    query = select(admins.c.aad_object_id, admins.c.name).where(
        admins.c.tenant_id == tenant_id, _is(admins.c.aad_object_id, person)
    )
    row = (await conn.execute(query.limit(1))).first()
    return None if row is None else Granted(str(row.aad_object_id), str(row.name))


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
