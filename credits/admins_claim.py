"""The first admin of a fresh deployment: a one-time claim code.

A deployment with a MicrosoftAppId and no CREDITS_ADMINS has no admin, so nobody could grant
one in chat. `credits-bot admins claim-code --tenant T` makes a code (only for a tenant with no
admin; a new code replaces the one before), valid for 24 hours; the person who types "claim
CODE" to the bot in Teams becomes the tenant's admin (their Microsoft Entra object id from the
activity), audited as `admin_claimed`, and the code is used up.

Only the code's SHA-256 (with the tenant's id) is stored, compared in constant time. A wrong
code counts against it and changes nothing else; after five the code is void, and a new one
must be printed. Something that is not shaped like a code (8 characters of `ALPHABET`, a dash
or a space in the middle allowed: "use code SAVE2024" said to the bot by mistake) is no try and
counts nothing. Each refusal is a `ClaimRefused` naming why (`ClaimOutcome`), logged with the
tenant and the claimant (never the code). Printing a code is in the audit trail
(`claim_code_issued`, who printed it; the code itself is not kept)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NoReturn

import structlog
from sqlalchemy import select, update

from credits import admins, audit
from credits.audit import SettingsAction
from credits.errors import CreditsError, ValidationError
from credits.i18n import N_, fmt_number, t, tn
from credits.models import Actor
from credits.schema import claim_codes
from credits.store import Deps, LockedAccount, tenant_key

log = structlog.get_logger(__name__)
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed from paper
LENGTH = 8
OPERATOR = Actor("cli", "credits-bot")
"""Who prints a code when the caller does not say (the command line says `cli:<user>`)."""
VALID_FOR = timedelta(hours=24)
MAX_FAILURES = 5
HAS_ADMINS = N_(
    "This organisation has a billing admin already, so there is nothing to claim: an admin "
    'makes others admins in chat ("make @Name an admin") or with credits-bot admins grant. '
    "Nothing was changed."
)
NO_ID = N_(
    "I can't tell who you are (your message has no Microsoft Entra object id), so I can't make "
    "you an admin. Type the code in Teams. Nothing was changed."
)
PRINT_ONE = N_(
    "Ask whoever runs the bot to print one with: credits-bot admins claim-code --tenant {tenant}"
)
PRINT_NEW = N_(
    "Ask whoever runs the bot to print a new one with: credits-bot admins claim-code "
    "--tenant {tenant}"
)
MALFORMED = N_(
    "That is not a claim code: a code is 8 letters and digits such as ABCD-EFGH (no 0, 1, I, L "
    "or O), as credits-bot admins claim-code prints it. It was not counted as a try. Nothing "
    "was changed."
)


class ClaimOutcome(StrEnum):
    """What a typed claim code did."""

    CLAIMED = "claimed"
    HAS_ADMIN = "has_admin"  # the tenant has an admin: nothing to claim
    NO_CODE = "no_code"  # none was printed for this tenant
    USED = "used"
    VOIDED = "voided"  # typed wrong MAX_FAILURES times
    EXPIRED = "expired"
    WRONG = "wrong"
    MALFORMED = "malformed"  # not shaped like a code: no try, nothing counted


class ClaimRefused(CreditsError):
    """A claim code that made nobody an admin; the message says why and what to do."""

    def __init__(self, outcome: ClaimOutcome, tenant_id: str, left: int = 0) -> None:
        super().__init__(_refusal(outcome, tenant_id, left))
        self.outcome = outcome
        self.left = left  # tries left after a wrong code


@dataclass(frozen=True, slots=True)
class ClaimCode:
    """A code just made: shown once, never stored."""

    tenant_id: str
    code: str  # "ABCD-EFGH"
    expires_at: datetime


def _refusal(outcome: ClaimOutcome, tenant_id: str, left: int) -> str:
    print_new = t(PRINT_NEW, tenant=tenant_id)
    if outcome is ClaimOutcome.HAS_ADMIN:
        return t(HAS_ADMINS)
    if outcome is ClaimOutcome.MALFORMED:
        return t(MALFORMED)
    if outcome is ClaimOutcome.NO_CODE:
        return t(
            "There is no claim code for this organisation. {print_one}. Nothing was changed.",
            print_one=t(PRINT_ONE, tenant=tenant_id),
        )
    if outcome is ClaimOutcome.USED:
        return t("That claim code was used already; a code works once. Nothing was changed.")
    if outcome is ClaimOutcome.VOIDED:
        return t(
            "That claim code was typed wrong {n} times and no longer works. {print_new}. "
            "Nothing was changed.",
            n=fmt_number(MAX_FAILURES),
            print_new=print_new,
        )
    if outcome is ClaimOutcome.EXPIRED:
        return t(
            "That claim code has expired (a code is valid for 24 hours). {print_new}. "
            "Nothing was changed.",
            print_new=print_new,
        )
    return tn(
        "That claim code is not right; {n} more try is left before it stops working. "
        "Nothing was changed.",
        "That claim code is not right; {n} more tries are left before it stops working. "
        "Nothing was changed.",
        left,
    )


_SEPARATOR = re.compile(r"[\s\-\u2010-\u2015]")


def _plain(code: str) -> str:
    """A code as typed, normalised: upper case, without spaces or dashes."""
    return _SEPARATOR.sub("", code).upper()


def well_formed(code: str) -> bool:
    """Whether ``code`` is shaped like a claim code: `LENGTH` characters of `ALPHABET`, with at
    most one dash or space, in the middle ("ABCD-EFGH", "abcd efgh", "ABCDEFGH")."""
    plain = _plain(code)
    parts = _SEPARATOR.split(code.strip())
    return (
        len(plain) == LENGTH
        and all(c in ALPHABET for c in plain)
        and (len(parts) == 1 or [len(p) for p in parts] == [LENGTH // 2, LENGTH // 2])
    )


def _digest(tenant_id: str, code: str) -> str:
    """The stored form of a code: SHA-256 of the tenant and the code as typed, normalised."""
    return hashlib.sha256(f"{tenant_id}\n{_plain(code)}".encode()).hexdigest()


async def new_code(deps: Deps, tenant_id: str, by: Actor = OPERATOR) -> ClaimCode:
    """A new claim code for a tenant with no admin (refused otherwise), replacing any before;
    audited as printed by ``by`` (the code is not kept, only its hash)."""
    drawn = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    code = f"{drawn[:4]}-{drawn[4:]}"
    now = deps.clock.now()
    async with deps.store.locked(tenant_id) as account:
        if await admins.has_admin(deps, account.conn, account.tenant_id):
            raise ValidationError(t(HAS_ADMINS))
        values: dict[str, object] = {
            "code_hash": _digest(account.tenant_id, code),
            "created_at": now,
            "expires_at": now + VALID_FOR,
            "failures": 0,
            "used_by": None,
            "used_at": None,
        }
        insert = deps.store.upsert_insert
        await account.conn.execute(
            insert(claim_codes)
            .values(tenant_id=account.tenant_id, **values)
            .on_conflict_do_update(index_elements=["tenant_id"], set_=values)
        )
        expires = now + VALID_FOR
        details: audit.Details = {"expires_at": expires.isoformat()}
        await audit.record(
            deps, account.conn, account.id, SettingsAction.CLAIM_CODE_ISSUED, by, details
        )
        return ClaimCode(account.tenant_id, code, expires)


async def claim(deps: Deps, tenant_id: str, typed: str, claimant: Actor) -> None:
    """Make ``claimant`` (the sender of the message: their Microsoft Entra object id and name)
    the tenant's first admin with the code they typed; ClaimRefused says why not (a wrong code
    is counted, in its own transaction, before the refusal is raised)."""
    tenant_id = tenant_key(tenant_id)
    if not claimant.id.strip():
        raise ValidationError(t(NO_ID))
    async with deps.db.read() as conn:
        if await admins.has_admin(deps, conn, tenant_id):
            _refused(tenant_id, claimant, ClaimOutcome.HAS_ADMIN)
        row = (
            await conn.execute(select(claim_codes).where(claim_codes.c.tenant_id == tenant_id))
        ).one_or_none()
    if row is None:  # no code: no account is made for it either
        _refused(tenant_id, claimant, ClaimOutcome.NO_CODE)
    if not well_formed(typed):  # not a try at all: counted nowhere
        _refused(tenant_id, claimant, ClaimOutcome.MALFORMED)
    async with deps.store.locked(tenant_id) as account:
        outcome, left = await _try(deps, account, typed, claimant)
    if outcome is not ClaimOutcome.CLAIMED:
        _refused(tenant_id, claimant, outcome, left)


def _refused(tenant_id: str, claimant: Actor, outcome: ClaimOutcome, left: int = 0) -> NoReturn:
    """Log a claim that made nobody an admin (who tried, never the code), and refuse it."""
    log.warning(
        "claim code refused",
        tenant_id=tenant_id,
        claimant=claimant.id,
        outcome=outcome.value,
        tries_left=left,
    )
    raise ClaimRefused(outcome, tenant_id, left)


async def _try(
    deps: Deps, account: LockedAccount, typed: str, claimant: Actor
) -> tuple[ClaimOutcome, int]:
    """The claim under the account's lock: what it did, and the tries left after a wrong code."""
    conn, tenant_id, now = account.conn, account.tenant_id, deps.clock.now()
    if await admins.has_admin(deps, conn, tenant_id):
        return ClaimOutcome.HAS_ADMIN, 0
    query = select(claim_codes).where(claim_codes.c.tenant_id == tenant_id)
    row: Any = (await conn.execute(query)).one_or_none()
    this_code = claim_codes.c.tenant_id == tenant_id
    if row is None:
        return ClaimOutcome.NO_CODE, 0
    if row.used_at is not None:
        return ClaimOutcome.USED, 0
    if row.failures >= MAX_FAILURES:
        return ClaimOutcome.VOIDED, 0
    if now >= row.expires_at:
        return ClaimOutcome.EXPIRED, 0
    if not hmac.compare_digest(_digest(tenant_id, typed), row.code_hash):
        failures = row.failures + 1
        await conn.execute(update(claim_codes).where(this_code).values(failures=failures))
        if failures >= MAX_FAILURES:
            return ClaimOutcome.VOIDED, 0
        return ClaimOutcome.WRONG, MAX_FAILURES - failures
    person = admins.person_id(claimant.id)
    name = admins.person_name(claimant.name, person)
    await admins.add(deps, account, person, name, claimant)
    await conn.execute(update(claim_codes).where(this_code).values(used_by=person, used_at=now))
    details: audit.Details = {"aad_object_id": person, "name": name}
    await audit.record(deps, conn, account.id, SettingsAction.ADMIN_CLAIMED, claimant, details)
    return ClaimOutcome.CLAIMED, 0
