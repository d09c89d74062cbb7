"""The billing admins in chat (DialogTestClient on a real store, SQLite and PostgreSQL), in English
and Vietnamese: "admins" shows them; removing one asks on a confirm card that applies once (a
second click says so, a typed cancel voids it, a forged card is refused), a name that matches
several admins asks which first; an admin of the configuration and the last admin are refused
with the reason; a name with no Teams roster to look in (as in `credits-bot chat`) says how to
@mention instead; the claim code; and a non-admin is refused every time, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.schema import Activity
from card_helpers import button, texts
from conftest import ServiceFactory
from dialog_helpers import ADMIN, TENANT, VIEWER, cards_in, client, pressed, said, turn
from sqlalchemy import select

from cards import actions as verbs
from credits.models import Actor
from credits.money import AmountLimits, currency
from credits.schema import operations
from credits.service import CreditsService
from dialogs.intents import Kind, parse_intent

VI, EN = "vi-VN", "en-US"
CARD = "application/vnd.microsoft.card.adaptive"
NOT_ALLOWED = "Only billing admins can see or change Communications Credits."
NOT_ALLOWED_VI = "Chỉ người quản trị thanh toán mới có thể xem hoặc thay đổi Tín dụng Liên lạc."
BOB = ("aad-bob", "Bob Byron")
BEA = ("aad-bea", "Bea Marley")
ADA_ACTOR = Actor(ADMIN.aad_object_id, ADMIN.name)
CLAIMED = (
    'You are now a billing admin here. Make others admins with "make @Name an admin"; "admins" '
    "shows who they are."
)
CLAIMED_VI = (
    'Bạn đã trở thành người quản trị thanh toán ở đây. Thêm người khác bằng "thêm @Tên làm quản '
    'trị viên"; "quản trị viên" cho biết những ai là người quản trị.'
)


def shown(replies: list[Activity]) -> str:
    return "\n".join([r.text or "" for r in replies] + [texts(c) for c in cards_in(replies)])


async def with_admins(make_service: ServiceFactory, **config: Any) -> CreditsService:
    """Ada (the caller) made an admin by Carol (the configuration's admin, or the first one of a
    tenant with none); Bob and Bea made admins by Ada."""
    service = await make_service(**config)
    await service.grant_admin(
        TENANT, ADMIN.aad_object_id, ADMIN.name, Actor("cfg-admin", "Carol Config")
    )
    for aad, name in (BOB, BEA):
        await service.grant_admin(TENANT, aad, name, ADA_ACTOR)
    return service


async def state(service: CreditsService) -> tuple[object, ...]:
    async with service.db.read() as conn:
        rows = (await conn.execute(select(operations).order_by(operations.c.id))).all()
    return (await service.list_admins(TENANT), [tuple(r) for r in rows])


# --------------------------------------------------------------------------- who they are


@pytest.mark.parametrize(
    ("text", "locale", "title", "how"),
    [
        ("admins", EN, "Billing admins", "Made an admin by Carol Config on"),
        ("who are the admins?", EN, "Billing admins", "Set in the bot's configuration"),
        ("quản trị viên", VI, "Người quản trị thanh toán", "Được Carol Config đặt làm"),
        ("ai là quản trị viên", VI, "Người quản trị thanh toán", "Đặt trong cấu hình của bot"),
        ("ai la quan tri vien", EN, "Billing admins", "Made an admin by Carol Config"),
    ],
)
async def test_the_admins_card(
    make_service: ServiceFactory, text: str, locale: str, title: str, how: str
) -> None:
    service = await with_admins(make_service, admins=("cfg-admin",))
    [card] = cards_in(await turn(client(service), said(text, locale)))
    shows = texts(card)
    assert title in shows and how in shows
    for name in ("Ada Admin", "Bob Byron", "Bea Marley", "cfg-admin"):
        assert name in shows


# --------------------------------------------------------------------------- removing one


@pytest.mark.parametrize(
    ("text", "locale", "title"),
    [
        ("remove Bob as admin", EN, "Remove Bob Byron as a billing admin?"),
        ("remove @Bob from admins", EN, "Remove Bob Byron as a billing admin?"),
        ("revoke @Bob Byron", EN, "Remove Bob Byron as a billing admin?"),
        ("revoke Bob Byron as admin", EN, "Remove Bob Byron as a billing admin?"),
        ("xóa Bob khỏi quản trị viên", VI, "Gỡ quyền người quản trị thanh toán của Bob Byron?"),
        ("bỏ quyền quản trị của Bob", VI, "Gỡ quyền người quản trị thanh toán của Bob Byron?"),
        ("xoa bob khoi quan tri vien", VI, "Gỡ quyền người quản trị thanh toán của Bob Byron?"),
    ],
)
async def test_removing_an_admin_is_confirmed_once(
    make_service: ServiceFactory, text: str, locale: str, title: str
) -> None:
    service = await with_admins(make_service)
    talk = client(service)
    [card] = cards_in(await turn(talk, said(text, locale)))
    assert title in texts(card) and "aad-bob" in texts(card)
    data = button(card, verbs.ADMIN_CONFIRM)
    [after] = cards_in(await turn(talk, pressed(data, locale)))
    assert "Bob Byron" not in texts(after).split("\n", 3)[-1]  # listed no more (the note aside)
    assert not await service.is_admin(TENANT, "aad-bob")
    again = shown(await turn(talk, pressed(data, locale)))
    assert ("made already" in again) if locale == EN else ("đã được thực hiện" in again)
    async with service.db.read() as conn:
        [row] = (
            await conn.execute(select(operations).where(operations.c.action == "admin_revoked"))
        ).all()
    assert (row.actor_id, row.details["aad_object_id"]) == (ADMIN.aad_object_id, "aad-bob")


async def test_a_name_that_matches_several_admins_asks_which(
    make_service: ServiceFactory,
) -> None:
    service = await with_admins(make_service)
    await service.grant_admin(TENANT, "aad-bob-2", "Bob Marley", ADA_ACTOR)
    talk = client(service)
    [choice] = cards_in(await turn(talk, said("revoke bob as admin")))
    assert "2 people match" in texts(choice)
    picks = [n for n in choice["body"][-1]["actions"]]
    assert [p["title"] for p in picks] == ["Bob Byron", "Bob Marley"]
    [confirm] = cards_in(await turn(talk, pressed(picks[1]["data"])))
    assert "Remove Bob Marley as a billing admin?" in texts(confirm)
    await turn(talk, pressed(button(confirm, verbs.ADMIN_CONFIRM)))
    assert await service.is_admin(TENANT, "aad-bob")
    assert not await service.is_admin(TENANT, "aad-bob-2")


async def test_a_typed_cancel_voids_the_card(make_service: ServiceFactory) -> None:
    service = await with_admins(make_service)
    talk = client(service)
    [card] = cards_in(await turn(talk, said("remove Bea as admin")))
    assert "Cancelled. Nothing was changed." in shown(await turn(talk, said("cancel")))
    before = await state(service)
    later = shown(await turn(talk, pressed(button(card, verbs.ADMIN_CONFIRM))))
    assert "cancelled" in later.lower()
    assert await service.is_admin(TENANT, "aad-bea")
    assert (await state(service))[0] == before[0]


async def test_a_forged_card_is_refused(make_service: ServiceFactory) -> None:
    service = await with_admins(make_service)
    talk = client(service)
    [card] = cards_in(await turn(talk, said("remove Bea as admin")))
    forged = dict(button(card, verbs.ADMIN_CONFIRM), person="aad-bob")
    before = await state(service)
    assert "can't be used" in shown(await turn(talk, pressed(forged)))
    assert await state(service) == before


@pytest.mark.parametrize("locale", [EN, VI])
async def test_a_configured_or_last_admin_or_a_stranger_is_not_removed(
    make_service: ServiceFactory, locale: str
) -> None:
    service = await make_service(admins=("cfg-admin",))
    talk = client(service)
    before = await state(service)
    answer = shown(await turn(talk, said("remove cfg-admin as admin", locale)))
    assert "CREDITS_ADMINS" in answer and cards_in(await turn(talk, said("admins"))) != []
    stranger = shown(await turn(talk, said("remove Zed as admin", locale)))
    not_admin = "not a billing admin" if locale == EN else "không phải là người quản trị thanh toán"
    assert "cfg-admin" in stranger and not_admin in stranger
    assert await state(service) == before
    alone = client(await _only_ada(make_service))
    refused = shown(await turn(alone, said("remove Ada as admin", locale)))
    assert ("last billing admin" in refused) if locale == EN else ("cuối cùng" in refused)


async def _only_ada(make_service: ServiceFactory) -> CreditsService:
    service = await make_service()
    await service.grant_admin(TENANT, ADMIN.aad_object_id, ADMIN.name, ADA_ACTOR)
    return service


# --------------------------------------------------------------------------- making one


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("make Ada Lovelace an admin", EN, "can't look up the members"),
        ("add Ada as admin", EN, "@mention them"),
        ("cho Ada làm quản trị viên", VI, "không tra được danh sách thành viên"),
        ("thêm @Ada làm quản trị viên", VI, "@nhắc đến"),
    ],
)
async def test_without_a_roster_a_name_says_how_to_mention(
    make_service: ServiceFactory, text: str, locale: str, expected: str
) -> None:
    """`credits-bot chat` and this client have no Bot Connector: no roster to look in."""
    service = await with_admins(make_service)
    before = await state(service)
    answer = shown(await turn(client(service), said(text, locale)))
    assert expected in answer and "credits-bot admins grant --tenant tenant-a" in answer
    assert await state(service) == before


async def test_asking_without_a_name_and_for_oneself(make_service: ServiceFactory) -> None:
    service = await with_admins(make_service)
    talk = client(service)
    assert "Say who" in shown(await turn(talk, said("add an admin")))
    assert "Say which admin" in shown(await turn(talk, said("remove an admin")))
    assert "Ada Admin is a billing admin already" in shown(
        await turn(talk, said("make me an admin"))
    )
    [card] = cards_in(await turn(talk, said("remove me as admin")))
    assert "Remove Ada Admin as a billing admin?" in texts(card)


# --------------------------------------------------------------------------- non-admins


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("admins", EN),
        ("who are the admins", EN),
        ("make Bob an admin", EN),
        ("make <at>Bob Byron</at> an admin", EN),
        ("remove Bob as admin", EN),
        ("revoke @Ada", EN),
        ("revoke Ada as admin", EN),
        ("quản trị viên", VI),
        ("thêm @Bob làm quản trị viên", VI),
        ("xóa Ada khỏi quản trị viên", VI),
        ("bỏ quyền quản trị của Ada", VI),
    ],
)
async def test_a_non_admin_is_refused_and_nothing_changes(
    make_service: ServiceFactory, text: str, locale: str
) -> None:
    service = await with_admins(make_service)
    before = await state(service)
    replies = await turn(client(service, VIEWER), said(text, locale))
    assert shown(replies) == (NOT_ALLOWED if locale == EN else NOT_ALLOWED_VI)
    assert await state(service) == before


async def test_a_non_admin_pressing_an_admins_button_is_refused(
    make_service: ServiceFactory,
) -> None:
    service = await with_admins(make_service)
    [card] = cards_in(await turn(client(service), said("remove Bea as admin")))
    before = await state(service)
    viewer = client(service, VIEWER)
    for data in (button(card, verbs.ADMIN_CONFIRM), {"verb": verbs.ADMINS}):
        assert "Only billing admins" in shown(await turn(viewer, pressed(data)))
    assert await state(service) == before


# --------------------------------------------------------------------------- the claim code


@pytest.mark.parametrize(("word", "locale"), [("claim", EN), ("nhận quyền", VI)])
async def test_the_first_admin_claims_the_bot(
    make_service: ServiceFactory, word: str, locale: str
) -> None:
    service = await make_service()
    made = await service.new_claim_code(TENANT)
    talk = client(service, VIEWER)
    wrong = shown(await turn(talk, said(f"{word} ZZZZ-ZZZZ", locale)))
    assert ("4 more tries" in wrong) if locale == EN else ("còn 4 lần thử" in wrong)
    assert await service.list_admins(TENANT) == []
    done = shown(await turn(talk, said(f"{word} {made.code}", locale)))
    assert done == (CLAIMED if locale == EN else CLAIMED_VI)
    [bob] = await service.list_admins(TENANT)
    assert (bob.aad_object_id, bob.name) == (VIEWER.aad_object_id, VIEWER.name)
    again = shown(await turn(client(service, VIEWER), said(f"{word} {made.code}", locale)))
    assert ("already" in again) if locale == EN else ("đã có người quản trị" in again)


async def test_an_admin_or_a_code_less_claim_is_answered(make_service: ServiceFactory) -> None:
    service = await make_service()
    assert "nothing to claim" in shown(await turn(client(service), said("claim ABCD-EFGH")))
    assert "Type the claim code" in shown(await turn(client(service, VIEWER), said("claim")))
    nothing = shown(await turn(client(service, VIEWER), said("claim ABCD-EFGH")))
    assert "There is no claim code" in nothing and "--tenant tenant-a" in nothing


# --------------------------------------------------------------------------- what is read


USD = currency("USD")


@pytest.mark.parametrize(
    "text",
    [
        "use code SAVE2024",
        "redeem GIFT-CARD",
        "use the code ABCD-EFGH",
        "mã xác nhận ABCD-EFGH",
        "lấy quyền ABCD-EFGH",
        "claim my refund",
        "claim refund",
    ],
)
def test_only_claim_and_nhan_quyen_are_a_claim(text: str) -> None:
    assert parse_intent(text, USD, AmountLimits()).kind is not Kind.ADMIN_CLAIM


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("claim ABCD-EFGH", "ABCD-EFGH"),
        ("claim code: abcd efgh", "ABCD EFGH"),
        ("claim 12345678", "12345678"),  # not a code's letters: answered, not counted
        ("nhận quyền ABCD-EFGH", "ABCD-EFGH"),
        ("nhan quyen quan tri ABCD-EFGH", "ABCD-EFGH"),
    ],
)
def test_a_claim_and_its_code(text: str, code: str) -> None:
    intent = parse_intent(text, USD, AmountLimits())
    assert (intent.kind, intent.code) == (Kind.ADMIN_CLAIM, code)


@pytest.mark.parametrize(
    "text", ["revoke my last purchase", "revoke auto-recharge", "revoke receipt 42", "revoke it"]
)
def test_a_bare_revoke_of_something_is_not_an_admin_removal(text: str) -> None:
    assert parse_intent(text, USD, AmountLimits()).kind is not Kind.ADMIN_REVOKE


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("revoke <at>Bob Byron</at>", "Bob Byron"),
        ("revoke @Bob", "Bob"),
        ("revoke Bob as admin", "Bob"),
        ("revoke Bob's admin rights", "Bob"),
        ("revoke admin rights from Bob", "Bob"),
    ],
)
def test_revoke_with_a_mention_or_an_admin_word(text: str, person: str) -> None:
    intent = parse_intent(text, USD, AmountLimits())
    assert (intent.kind, intent.person) == (Kind.ADMIN_REVOKE, person)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("remove Bob as admin", "Bob Byron"),  # a whole first name
        ("remove marley as admin", "Bea Marley"),  # a whole last name
        ("remove bea marley as admin", "Bea Marley"),
    ],
)
async def test_a_whole_name_or_word_gets_the_confirm_card(
    make_service: ServiceFactory, text: str, who: str
) -> None:
    service = await with_admins(make_service)
    [card] = cards_in(await turn(client(service), said(text)))
    assert f"Remove {who} as a billing admin?" in texts(card)


@pytest.mark.parametrize("locale", [EN, VI])
async def test_the_start_of_a_name_is_only_offered_as_a_choice(
    make_service: ServiceFactory, locale: str
) -> None:
    service = await with_admins(make_service)
    talk = client(service)
    [choice] = cards_in(await turn(talk, said("remove Byr as admin", locale)))
    assert verbs.ADMIN_CONFIRM not in str(choice)
    [pick] = choice["body"][-1]["actions"]
    assert pick["title"] == "Bob Byron"
    starting = 'Nobody is called "Byr"; 1 name starts with it' if locale == EN else "bắt đầu"
    assert starting in texts(choice)
    [confirm] = cards_in(await turn(talk, pressed(pick["data"], locale)))
    assert verbs.ADMIN_CONFIRM in str(confirm)


@pytest.mark.parametrize(
    "text", ["remove b as admin", "remove Bo as admin", "xóa B khỏi quản trị viên"]
)
async def test_fewer_than_three_letters_match_nobody(
    make_service: ServiceFactory, text: str
) -> None:
    service = await with_admins(make_service)
    before = await state(service)
    replies = await turn(client(service), said(text))
    assert cards_in(replies) == []
    assert "is not a billing admin here" in shown(replies) or "không phải" in shown(replies)
    assert await state(service) == before


# --------------------------------------------------------------------------- forged buttons


async def test_a_forged_pick_is_refused(make_service: ServiceFactory) -> None:
    service = await with_admins(make_service)
    await service.grant_admin(TENANT, "aad-bob-2", "Bob Marley", ADA_ACTOR)
    talk = client(service)
    [choice] = cards_in(await turn(talk, said("revoke bob as admin")))
    data = choice["body"][-1]["actions"][0]["data"]
    for forged in (
        dict(data, person="aad-bea"),
        dict(data, name="Bea Marley"),
        dict(data, change="grant"),
        {k: v for k, v in data.items() if k != "sig"},
    ):
        answer = await turn(talk, pressed(forged))
        assert "can't be used" in shown(answer)
        assert verbs.ADMIN_CONFIRM not in str(cards_in(answer))


async def test_a_confirm_with_a_forged_name_or_change_is_refused(
    make_service: ServiceFactory,
) -> None:
    service = await with_admins(make_service)
    talk = client(service)
    [card] = cards_in(await turn(talk, said("remove Bea as admin")))
    data = button(card, verbs.ADMIN_CONFIRM)
    before = await state(service)
    for forged in (dict(data, name="Bob Byron"), dict(data, change="grant")):
        assert "can't be used" in shown(await turn(talk, pressed(forged)))
    assert await state(service) == before


# --------------------------------------------------------------------------- a tenant with no admin


NO_ADMIN_YET = (
    f"{NOT_ALLOWED} This organisation has no billing admin yet: ask whoever runs the bot for a "
    "claim code (credits-bot admins claim-code), then type claim CODE."
)


@pytest.mark.parametrize("text", ["balance", "admins", "make me an admin", "add $50"])
async def test_a_tenant_with_no_admin_is_told_about_the_claim_code(
    make_service: ServiceFactory, text: str
) -> None:
    service = await make_service()
    assert shown(await turn(client(service, VIEWER), said(text))) == NO_ADMIN_YET
    pressed_too = shown(await turn(client(service, VIEWER), pressed({"verb": verbs.BALANCE})))
    assert NO_ADMIN_YET in pressed_too
    vi = shown(await turn(client(service, VIEWER), said(text, VI)))
    assert "nhận quyền" in vi and "credits-bot admins claim-code" in vi
    await service.grant_admin(TENANT, "aad-someone", "Someone", ADA_ACTOR)
    assert shown(await turn(client(service, VIEWER), said(text))) == NOT_ALLOWED
