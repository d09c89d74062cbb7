"""The admins' domain guards, on SQLite and PostgreSQL: object ids compared without regard to
case (as Microsoft Entra treats them) and refused with what is allowed; a grant or a revoke by
someone who is not an admin (any more) refused under the lock; a claim code typed in the wrong
shape not counted as a try; every claim code printed is audited and every refused try logged
(without the code); two replicas claiming one code, or two admins removing each other at once,
leave exactly one winner and an admin behind."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from conftest import ServiceFactory
from sqlalchemy import select
from structlog.testing import capture_logs

from cards.audit import describe
from credits.admins_claim import MAX_FAILURES, ClaimOutcome, ClaimRefused
from credits.audit import SettingsAction
from credits.errors import CreditsError, NotFoundError, ValidationError
from credits.i18n import Lang, speaking
from credits.models import Actor, HistoryScope
from credits.schema import claim_codes, operations
from credits.service import CreditsService

T = "tenant-g"
ADA = Actor("aad-ada", "Ada Lovelace")
BOB = Actor("aad-bob", "Bob Byron")
CY = Actor("aad-cy", "Cy Clerk")
EVE = Actor("aad-eve", "Eve Example")
GUID = "6F1C2A3B-0000-4000-8000-00000000ABCD"


async def rows(service: CreditsService, action: SettingsAction) -> list[Any]:
    async with service.db.read() as conn:
        query = select(operations).where(operations.c.action == action.value)
        return list((await conn.execute(query.order_by(operations.c.id))).all())


async def failures(service: CreditsService) -> int:
    async with service.db.read() as conn:
        return int((await conn.execute(select(claim_codes.c.failures))).scalar_one())


async def three_admins(make_service: ServiceFactory) -> CreditsService:
    service = await make_service()
    for who in (ADA, BOB, CY):
        await service.grant_admin(T, who.id, who.name, ADA)
    return service


# --------------------------------------------------------------------------- object ids


async def test_object_ids_are_compared_without_regard_to_case(
    make_service: ServiceFactory,
) -> None:
    service = await make_service(admins=(GUID,))
    assert await service.is_admin(T, GUID.lower())  # Teams sends it in lower case
    with pytest.raises(ValidationError, match="CREDITS_ADMINS"):
        await service.revoke_admin(T, GUID.lower(), ADA)
    assert await service.grant_admin(T, "AAD-Bob", "Bob Byron", Actor(GUID.lower(), "Cfg"))
    assert await service.is_admin(T, "aad-bob") and await service.is_admin(T, "AAD-BOB")
    assert not await service.grant_admin(T, "aad-bob", "Bob again", Actor(GUID, "Cfg"))
    [_, bob] = await service.list_admins(T)
    assert bob.aad_object_id == "aad-bob"  # kept in lower case
    assert await service.revoke_admin(T, "Aad-Bob", Actor(GUID, "Cfg"))
    assert not await service.is_admin(T, "aad-bob")


async def test_an_admins_1_1_chat_is_theirs_whatever_the_case_of_the_ids(
    make_service: ServiceFactory,
) -> None:
    """Alerts fall back to admins' 1:1 chats: CREDITS_ADMINS in upper case, Teams' ids not."""
    service = await make_service(admins=(GUID,))
    reference = {"conversation": {"id": "a:1chat"}, "serviceUrl": "https://smba.example/"}
    await service.remember_personal_chat(T, GUID.lower(), "a:1chat", reference, "Cfg")
    await service.grant_admin(T, "aad-bob", "Bob Byron", Actor(GUID, "Cfg"))
    await service.remember_personal_chat(T, "AAD-BOB", "a:1bob", reference, "Bob Byron")
    chats = await service.admin_chats(T)
    assert sorted(c.aad_object_id for c in chats) == sorted(["AAD-BOB", GUID.lower()])


async def test_a_missing_or_overlong_id_is_refused_saying_what_is_allowed(
    make_service: ServiceFactory,
) -> None:
    service = await make_service()
    with pytest.raises(ValidationError) as blank:
        await service.grant_admin(T, "  ", "Nobody", ADA)
    with pytest.raises(ValidationError) as long:
        await service.grant_admin(T, "x" * 101, "Nobody", ADA)
    assert str(blank.value) != str(long.value)
    assert "none was given" in str(blank.value)
    assert "a GUID such as 00000000-0000-0000-0000-000000000000" in str(long.value)
    for said in (str(blank.value), str(long.value)):
        assert said.endswith("Nothing was changed.")
    with pytest.raises(NotFoundError) as stranger:
        await service.revoke_admin(T, "aad-nobody", ADA)
    assert '"admins"' in str(stranger.value) and "credits-bot admins list" in str(stranger.value)
    configured = await make_service(admins=("cfg-admin",))
    with pytest.raises(ValidationError) as config:
        await configured.revoke_admin(T, "cfg-admin", ADA)
    assert str(config.value).endswith("remove them there. Nothing was changed.")


# --------------------------------------------------------------------------- who acts


async def test_someone_who_is_not_an_admin_cannot_grant_or_revoke(
    make_service: ServiceFactory,
) -> None:
    service = await three_admins(make_service)
    assert await service.revoke_admin(T, BOB.id, ADA)  # Bob is an admin no more
    with pytest.raises(ValidationError, match="Bob Byron is not a billing admin here"):
        await service.grant_admin(T, EVE.id, EVE.name, BOB)
    with pytest.raises(ValidationError, match="Bob Byron is not a billing admin here"):
        await service.revoke_admin(T, CY.id, BOB)
    assert await service.is_admin(T, CY.id) and not await service.is_admin(T, EVE.id)
    # the command line is the operator: it may
    assert await service.grant_admin(T, EVE.id, EVE.name, Actor("cli:ops", "ops"))


async def test_two_admins_removing_each_other_at_once_leave_one(
    make_service: ServiceFactory,
) -> None:
    first = await make_service()
    second = await make_service()  # another replica: another engine, the same database
    for who in (ADA, BOB):
        await first.grant_admin(T, who.id, who.name, ADA)
    outcomes = await asyncio.gather(
        first.revoke_admin(T, BOB.id, ADA),
        second.revoke_admin(T, ADA.id, BOB),
        return_exceptions=True,
    )
    assert sum(o is True for o in outcomes) == 1
    assert sum(isinstance(o, CreditsError) for o in outcomes) == 1
    assert len(await first.list_admins(T)) == 1


async def test_an_admin_removed_meanwhile_removes_nobody_after(
    make_service: ServiceFactory,
) -> None:
    """Ada removes Bob while Bob removes Cy, on two replicas at once: whichever commits second
    sees the first; a revoke is never made by someone already removed."""
    first = await three_admins(make_service)
    second = await make_service()
    outcomes = await asyncio.gather(
        first.revoke_admin(T, BOB.id, ADA),
        second.revoke_admin(T, CY.id, BOB),
        return_exceptions=True,
    )
    revoked = [(r.actor_id, r.details["aad_object_id"]) for r in await rows(first, _REVOKED)]
    left = {a.aad_object_id for a in await first.list_admins(T)}
    if revoked == [(ADA.id, BOB.id)]:  # Ada's first: Bob may no longer remove anyone
        assert isinstance(outcomes[1], ValidationError) and left == {ADA.id, CY.id}
    else:  # Bob's first, then Ada's
        assert revoked == [(BOB.id, CY.id), (ADA.id, BOB.id)] and left == {ADA.id}


_REVOKED = SettingsAction.ADMIN_REVOKED


async def test_an_admin_removed_before_confirming_removes_nobody(
    make_service: ServiceFactory,
) -> None:
    service = await three_admins(make_service)
    await service.revoke_admin(T, BOB.id, ADA)
    with pytest.raises(ValidationError, match="not a billing admin here"):
        await service.revoke_admin(T, CY.id, BOB, idempotency_key="bobs-card")
    assert await service.is_admin(T, CY.id)
    assert not await service.was_applied(T, "bobs-card")


# --------------------------------------------------------------------------- the claim code


@pytest.mark.parametrize(
    "typed", ["12345678", "GIFT-CARD", "SAVE2024", "ABCD-EFG", "ABCDE-FGHJK", "ABCD EFGH 2"]
)
async def test_a_code_of_the_wrong_shape_is_no_try(
    make_service: ServiceFactory, typed: str
) -> None:
    service = await make_service()
    made = await service.new_claim_code(T)
    for _ in range(MAX_FAILURES + 1):
        with pytest.raises(ClaimRefused) as raised:
            await service.claim_admin(T, typed, EVE)
        assert raised.value.outcome is ClaimOutcome.MALFORMED
    said = str(raised.value)
    assert "ABCD-EFGH" in said and "not counted" in said and said.endswith("Nothing was changed.")
    assert await failures(service) == 0
    await service.claim_admin(T, made.code, EVE)  # still works
    assert [a.aad_object_id for a in await service.list_admins(T)] == [EVE.id]


async def test_claim_refusals_say_whoever_runs_the_bot_prints_one(
    make_service: ServiceFactory,
) -> None:
    service = await make_service()
    with pytest.raises(ClaimRefused) as none:
        await service.claim_admin(T, "ABCD-EFGH", EVE)
    assert "Ask whoever runs the bot to print one with: credits-bot admins claim-code" in str(
        none.value
    )
    assert "new one" not in str(none.value)
    await service.new_claim_code(T)
    for _ in range(MAX_FAILURES):
        with pytest.raises(ClaimRefused) as voided:
            await service.claim_admin(T, "ZZZZ-ZZZZ", EVE)
    assert "Ask whoever runs the bot to print a new one with: credits-bot admins" in str(
        voided.value
    )


async def test_a_printed_code_is_audited_and_a_refused_try_logged_without_the_code(
    make_service: ServiceFactory,
) -> None:
    service = await make_service()
    made = await service.new_claim_code(T, by=Actor("cli:ops", "ops"))
    [issued] = await rows(service, SettingsAction.CLAIM_CODE_ISSUED)
    assert (issued.actor_id, issued.actor_name) == ("cli:ops", "ops")
    assert made.code not in str(issued.details) and made.code[:4] not in str(issued.details)
    page = await service.activity(T, scope=HistoryScope.SETTINGS)
    assert [describe(c) for c in page.changes] == [
        "ops printed a one-time claim code for the first admin"
    ]
    with speaking(Lang.VI):
        assert describe(page.changes[0]) == (
            "ops đã in một mã nhận quyền dùng một lần cho người quản trị đầu tiên"
        )
    wrong = "ZZZZ-ZZZZ" if made.code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    with capture_logs() as logs, pytest.raises(ClaimRefused):
        await service.claim_admin(T, wrong, EVE)
    [warned] = [e for e in logs if e["log_level"] == "warning"]
    assert (warned["tenant_id"], warned["claimant"], warned["outcome"]) == (T, EVE.id, "wrong")
    assert wrong not in str(warned) and made.code not in str(warned)


async def test_two_replicas_claiming_one_code_make_one_admin(
    make_service: ServiceFactory,
) -> None:
    first = await make_service()
    second = await make_service()
    made = await first.new_claim_code(T)
    outcomes = await asyncio.gather(
        first.claim_admin(T, made.code, EVE),
        second.claim_admin(T, made.code, BOB),
        return_exceptions=True,
    )
    assert sum(o is None for o in outcomes) == 1
    [lost] = [o for o in outcomes if o is not None]
    assert isinstance(lost, ClaimRefused) and lost.outcome is ClaimOutcome.HAS_ADMIN
    [admin] = await first.list_admins(T)
    assert admin.aad_object_id in (EVE.id, BOB.id)
    assert len(await rows(first, SettingsAction.ADMIN_CLAIMED)) == 1
