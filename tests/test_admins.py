"""Billing admins in the domain, on SQLite and PostgreSQL: grants and revokes audited (who and
whom) in their transaction, confirmable once and voided by Cancel; an admin of the configuration
and the last admin are never removed; and the first admin's claim code (right, wrong five times,
expired, used, for a tenant that has an admin, another tenant's)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from conftest import ServiceFactory
from sqlalchemy import delete, select

from credits.admins_claim import ClaimOutcome, ClaimRefused
from credits.audit import SettingsAction
from credits.clock import ManualClock
from credits.errors import (
    IdempotencyConflict,
    NotFoundError,
    RequestCancelled,
    ValidationError,
)
from credits.i18n import Lang, speaking
from credits.models import Actor, AdminSource, VoidOutcome
from credits.schema import admins, claim_codes, operations
from credits.service import CreditsService

T = "tenant-a"
ADA = Actor("aad-ada", "Ada Lovelace")
BOB = Actor("aad-bob", "Bob Byron")
EVE = Actor("aad-eve", "Eve Example")


async def audit_rows(service: CreditsService, *actions: SettingsAction) -> list[Any]:
    wanted = [a.value for a in actions] or [a.value for a in SettingsAction]
    async with service.db.read() as conn:
        query = select(operations).where(operations.c.action.in_(wanted)).order_by(operations.c.id)
        return list((await conn.execute(query)).all())


async def state(service: CreditsService, tenant: str = T) -> tuple[object, ...]:
    """What a refusal must leave as it was: the admins, the audit, the claim codes."""
    async with service.db.read() as conn:
        codes = (await conn.execute(select(claim_codes).order_by(claim_codes.c.tenant_id))).all()
    return (await service.list_admins(tenant), await audit_rows(service), codes)


# --------------------------------------------------------------------------- grant and revoke


async def test_grants_and_revokes_are_audited_with_who_and_whom(
    make_service: ServiceFactory, clock: ManualClock
) -> None:
    service = await make_service(admins=("aad-ada",))  # Ada is configured: she may grant
    assert await service.grant_admin(T, "aad-bob", "Bob Byron", ADA)
    assert not await service.grant_admin(T, "aad-bob", "Bob Byron", ADA)  # nothing written
    assert await service.grant_admin(T, "aad-eve", "Eve Example", ADA)
    assert await service.revoke_admin(T, "aad-eve", BOB)
    rows = await audit_rows(service)
    assert [(r.action, r.actor_id, r.actor_name, r.details) for r in rows] == [
        (
            "admin_granted",
            "aad-ada",
            "Ada Lovelace",
            {"aad_object_id": "aad-bob", "name": "Bob Byron"},
        ),
        (
            "admin_granted",
            "aad-ada",
            "Ada Lovelace",
            {"aad_object_id": "aad-eve", "name": "Eve Example"},
        ),
        (
            "admin_revoked",
            "aad-bob",
            "Bob Byron",
            {"aad_object_id": "aad-eve", "name": "Eve Example"},
        ),
    ]
    [ada, bob] = await service.list_admins(T)
    assert ada.source is AdminSource.CONFIG
    assert (bob.aad_object_id, bob.source, bob.granted_by, bob.granted_by_name) == (
        "aad-bob",
        AdminSource.GRANTED,
        "aad-ada",
        "Ada Lovelace",
    )
    assert bob.granted_at == clock.now()
    # the history shows them among the settings changes
    page = await service.activity(T)
    people = [c.person.name for c in page.changes if c.person is not None]
    assert people == ["Eve Example", "Eve Example", "Bob Byron"]


async def test_the_last_admin_cannot_be_removed(make_service: ServiceFactory) -> None:
    service = await make_service()
    await service.grant_admin(T, "aad-ada", "Ada Lovelace", ADA)
    before = await state(service)
    with pytest.raises(ValidationError, match="Ada Lovelace is the last billing admin here"):
        await service.revoke_admin(T, "aad-ada", ADA)
    assert await state(service) == before
    await service.grant_admin(T, "aad-bob", "Bob Byron", ADA)
    assert await service.revoke_admin(T, "aad-ada", ADA)  # one is left: Bob
    with pytest.raises(ValidationError, match="last billing admin"):
        await service.revoke_admin(T, "aad-bob", BOB)
    assert [a.aad_object_id for a in await service.list_admins(T)] == ["aad-bob"]
    with speaking(Lang.VI), pytest.raises(ValidationError) as raised:
        await service.revoke_admin(T, "aad-bob", BOB)
    assert "người quản trị" in str(raised.value)


async def test_an_admin_of_the_configuration_is_removed_only_there(
    make_service: ServiceFactory,
) -> None:
    service = await make_service(admins=("cfg-admin",))
    cfg = Actor("cfg-admin", "Carol Config")
    await service.grant_admin(T, "aad-bob", "Bob Byron", cfg)
    before = await state(service)
    with pytest.raises(ValidationError, match="CREDITS_ADMINS"):
        await service.revoke_admin(T, "cfg-admin", BOB)
    with pytest.raises(NotFoundError):
        await service.revoke_admin(T, "aad-nobody", BOB)
    assert await state(service) == before
    # with an admin in the configuration, the last granted admin may go
    assert await service.revoke_admin(T, "aad-bob", cfg)
    [configured] = await service.list_admins(T)
    assert configured.source is AdminSource.CONFIG
    assert not await service.grant_admin(T, "cfg-admin", "Configured", cfg)


async def test_a_confirm_applies_once_and_a_cancel_voids_it(make_service: ServiceFactory) -> None:
    service = await make_service()
    await service.grant_admin(T, "aad-ada", "Ada Lovelace", ADA)
    assert await service.grant_admin(T, "aad-bob", "Bob", ADA, idempotency_key="card-1")
    assert await service.grant_admin(T, "aad-bob", "Bob", ADA, idempotency_key="card-1")
    assert await service.was_applied(T, "card-1")
    assert await service.void_request(T, "card-1", ADA) is VoidOutcome.ALREADY_DONE
    assert len(await audit_rows(service, SettingsAction.ADMIN_GRANTED)) == 2
    with pytest.raises(IdempotencyConflict):  # another request under that key
        await service.grant_admin(T, "aad-eve", "Eve", ADA, idempotency_key="card-1")
    # a revoke's card: confirmed twice, one revoke
    assert await service.revoke_admin(T, "aad-bob", ADA, idempotency_key="card-2")
    assert await service.revoke_admin(T, "aad-bob", ADA, idempotency_key="card-2")
    assert len(await audit_rows(service, SettingsAction.ADMIN_REVOKED)) == 1
    # a card cancelled first: its Confirm changes nothing
    assert await service.void_request(T, "card-3", ADA) is VoidOutcome.CANCELLED
    assert await service.void_request(T, "card-4", ADA) is VoidOutcome.CANCELLED
    before = await state(service)
    with pytest.raises(RequestCancelled):
        await service.grant_admin(T, "aad-eve", "Eve", ADA, idempotency_key="card-3")
    with pytest.raises(RequestCancelled):
        await service.revoke_admin(T, "aad-ada", ADA, idempotency_key="card-4")
    assert await state(service) == before
    assert not await service.is_admin(T, "aad-eve")


async def test_admins_are_kept_per_tenant(make_service: ServiceFactory) -> None:
    service = await make_service()
    await service.grant_admin(T, "aad-ada", "Ada", ADA)
    assert await service.is_admin(T, "aad-ada")
    assert not await service.is_admin("tenant-b", "aad-ada")
    assert await service.list_admins("tenant-b") == []
    with pytest.raises(ValidationError, match="Microsoft Entra object id"):
        await service.grant_admin(T, "  ", "Nobody", ADA)


# --------------------------------------------------------------------------- the claim code


async def test_the_first_admin_claims_the_bot_with_a_code(
    make_service: ServiceFactory, clock: ManualClock
) -> None:
    service = await make_service()
    made = await service.new_claim_code(T)
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}", made.code)
    assert made.expires_at == clock.now() + timedelta(hours=24)
    async with service.db.read() as conn:
        [row] = (await conn.execute(select(claim_codes))).all()
    assert made.code not in str(tuple(row)) and made.code.replace("-", "") not in str(tuple(row))
    assert len(row.code_hash) == 64
    clock.advance(timedelta(hours=23))
    await service.claim_admin(T, made.code.lower().replace("-", " "), EVE)  # as typed
    [eve] = await service.list_admins(T)
    assert (eve.aad_object_id, eve.name, eve.source) == (
        "aad-eve",
        "Eve Example",
        AdminSource.CLAIMED,
    )
    [claimed] = await audit_rows(service, SettingsAction.ADMIN_CLAIMED)
    assert (claimed.action, claimed.actor_id, claimed.details) == (
        "admin_claimed",
        "aad-eve",
        {"aad_object_id": "aad-eve", "name": "Eve Example"},
    )
    # used: the tenant has an admin now, so the code (or another) claims nothing more
    before = await state(service)
    with pytest.raises(ClaimRefused) as raised:
        await service.claim_admin(T, made.code, BOB)
    assert raised.value.outcome is ClaimOutcome.HAS_ADMIN
    with pytest.raises(ValidationError, match="has a billing admin already"):
        await service.new_claim_code(T)
    assert await state(service) == before
    # were the admin's row gone (by hand), the used code would still not work again
    async with service.db.write() as conn:
        await conn.execute(delete(admins))
    with pytest.raises(ClaimRefused) as raised:
        await service.claim_admin(T, made.code, BOB)
    assert raised.value.outcome is ClaimOutcome.USED


async def test_five_wrong_codes_void_it_and_change_nothing_else(
    make_service: ServiceFactory,
) -> None:
    service = await make_service()
    made = await service.new_claim_code(T)
    wrong = "ZZZZ-ZZZZ" if made.code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    said = []
    for _ in range(4):
        with pytest.raises(ClaimRefused) as raised:
            await service.claim_admin(T, wrong, BOB)
        assert raised.value.outcome is ClaimOutcome.WRONG
        said.append(str(raised.value))
    assert said[0].startswith("That claim code is not right; 4 more tries are left")
    assert said[3].startswith("That claim code is not right; 1 more try is left")
    with pytest.raises(ClaimRefused) as raised:
        await service.claim_admin(T, wrong, BOB)
    assert raised.value.outcome is ClaimOutcome.VOIDED
    assert "typed wrong 5 times" in str(raised.value)
    assert f"credits-bot admins claim-code --tenant {T}" in str(raised.value)
    with pytest.raises(ClaimRefused) as raised:  # the right code, too late
        await service.claim_admin(T, made.code, EVE)
    assert raised.value.outcome is ClaimOutcome.VOIDED
    assert await service.list_admins(T) == []
    assert [r.action for r in await audit_rows(service)] == ["claim_code_issued"]
    # a new code replaces it and works
    again = await service.new_claim_code(T)
    await service.claim_admin(T, again.code, EVE)
    assert [a.aad_object_id for a in await service.list_admins(T)] == ["aad-eve"]


async def test_an_expired_or_replaced_code_claims_nothing(
    make_service: ServiceFactory, clock: ManualClock
) -> None:
    service = await make_service()
    first = await service.new_claim_code(T)
    second = await service.new_claim_code(T)  # replaces the first
    with pytest.raises(ClaimRefused) as raised:
        await service.claim_admin(T, first.code, EVE)
    assert raised.value.outcome is ClaimOutcome.WRONG or first.code == second.code
    clock.advance(timedelta(hours=24))
    before = await state(service)
    with pytest.raises(ClaimRefused) as raised:
        await service.claim_admin(T, second.code, EVE)
    assert raised.value.outcome is ClaimOutcome.EXPIRED
    assert "valid for 24 hours" in str(raised.value)
    assert await state(service) == before
    with speaking(Lang.VI), pytest.raises(ClaimRefused) as raised:
        await service.claim_admin(T, second.code, EVE)
    assert "24 giờ" in str(raised.value)


async def test_a_claim_code_is_for_its_own_tenant_with_no_admin(
    make_service: ServiceFactory,
) -> None:
    service = await make_service()
    made = await service.new_claim_code(T)
    with pytest.raises(ClaimRefused) as raised:  # tenant-b has no code
        await service.claim_admin("tenant-b", made.code, EVE)
    assert raised.value.outcome is ClaimOutcome.NO_CODE
    await service.new_claim_code("tenant-b")
    with pytest.raises(ClaimRefused) as raised:  # another tenant's code is a wrong code
        await service.claim_admin("tenant-b", made.code, EVE)
    assert raised.value.outcome is ClaimOutcome.WRONG
    assert await service.list_admins("tenant-b") == []
    with pytest.raises(ValidationError, match="Microsoft Entra object id"):
        await service.claim_admin(T, made.code, Actor("", "Nobody"))
    # a tenant with an admin (granted, or any in the configuration) gets no code
    await service.grant_admin("tenant-c", "aad-ada", "Ada", ADA)
    with pytest.raises(ValidationError, match="has a billing admin already"):
        await service.new_claim_code("tenant-c")
    configured = await make_service(admins=("cfg-admin",))
    with pytest.raises(ValidationError, match="has a billing admin already"):
        await configured.new_claim_code("tenant-d")
    with pytest.raises(ClaimRefused) as raised:
        await configured.claim_admin(T, made.code, EVE)
    assert raised.value.outcome is ClaimOutcome.HAS_ADMIN
