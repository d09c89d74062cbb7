"""The caps in chat, continued (DialogTestClient on a real ledger): the phrasings a new admin
tries beyond the issue's own (hyphenated words, "cap recharges at 3 a day", "không (bao giờ) ...
quá", a week or a year, removing the daily limit), wrong numbers refused rather than misread,
refusals that say what is allowed, one request per message, questions answered with the caps
card, confirm cards that list only what changes; a recharge amount above the monthly cap refused
before its card, and the recharge card's "starts right away" note telling the truth about the
caps; buttons signed for another tenant, and a non-admin pressing any caps button."""

from __future__ import annotations

import pytest
from card_helpers import button, texts
from dialog_helpers import ADMIN, TENANT, VIEWER, client
from test_caps_chat import (
    BEFORE,
    EN,
    ENGLISH,
    NOT_ALLOWED,
    VI,
    call,
    capped,
    caps_of,
    cards_in,
    pressed,
    said,
    shown,
    turn,
    usd,
    verbs_in,
)

from cards import actions as verbs
from credits.service import CreditsService
from dialogs.caller import Caller

__all__ = ["capped"]  # the fixture: caps of 5 a day, $300 a month, $120 a recharge

NO_WEEKLY = "there is no weekly or yearly cap"
NO_WEEKLY_VI = "không có giới hạn theo tuần hay theo năm"
WHOLE = "The daily recharge limit must be a whole number from 1 to 100. Nothing was changed."
NOT_REMOVED = "The daily recharge limit can't be removed: set it from 1 to 100"
ONE_REQUEST = "One request per message"


# ---------------------------------------------------------------------- phrasings


@pytest.mark.parametrize(
    ("phrase", "locale", "says", "after"),
    [
        ("limit auto-recharge to 2 per day", EN, "5 → 2", (2, usd("300"), usd("120"))),
        ("cap recharges at 3 a day", EN, "5 → 3", (3, usd("300"), usd("120"))),
        ("at most 3 times a day", EN, "5 → 3", (3, usd("300"), usd("120"))),
        (
            "không bao giờ tự động nạp quá 200 đô mỗi tháng",
            VI,
            "300,00 US$ → 200,00 US$",
            (5, usd("200"), usd("120")),
        ),
        (
            "khong bao gio tu dong nap qua 200 do moi thang",
            VI,
            "300,00 US$ → 200,00 US$",
            (5, usd("200"), usd("120")),
        ),
        (
            "không tự động nạp quá 200 đô mỗi tháng",
            VI,
            "300,00 US$ → 200,00 US$",
            (5, usd("200"), usd("120")),
        ),
    ],
)
async def test_more_phrasings_are_confirmed_then_applied(
    capped: CreditsService,
    phrase: str,
    locale: str,
    says: str,
    after: tuple[int, object, object],
) -> None:
    talk = client(capped)
    replies = await turn(talk, said(phrase, locale))
    assert verbs_in(replies) >= {verbs.CAPS_CONFIRM, verbs.CANCEL}, shown(replies)
    assert says in shown(replies)
    if locale == VI:
        assert not ENGLISH.findall(shown(replies)), shown(replies)
    await turn(talk, pressed(button(cards_in(replies)[0], verbs.CAPS_CONFIRM), locale))
    assert caps_of(await capped.account(TENANT)) == after


@pytest.mark.parametrize(
    ("phrase", "locale", "says"),
    [
        ("recharge at most 2 times a week", EN, NO_WEEKLY),
        ("twice a week", EN, NO_WEEKLY),
        ("set a yearly cap of $5000", EN, NO_WEEKLY),
        ("tự động nạp tối đa 2 lần mỗi tuần", VI, NO_WEEKLY_VI),
        ("remove the daily limit", EN, NOT_REMOVED),
        ("bỏ giới hạn số lần nạp mỗi ngày", VI, "Không thể bỏ giới hạn số lần nạp mỗi ngày"),
        ("at most 2.5 times a day", EN, WHOLE),
        ("-2 times a day", EN, WHOLE),
        ("at most -2 recharges a day", EN, WHOLE),
        ("tự động nạp tối đa 1,5 lần mỗi ngày", VI, "phải là số nguyên từ 1 đến 100"),
        (
            "set a monthly cap of $-5",
            EN,
            "The monthly cap must be from $10.00 to $1,000,000.00. Nothing was changed.",
        ),
        (
            "set a monthly cap of $0",
            EN,
            "The monthly cap must be from $10.00 to $1,000,000.00. Nothing was changed.",
        ),
        (
            "limit each recharge to $0",
            EN,
            "The largest single recharge must be from $10.00 to $10,000.00, as a recharge is a "
            "purchase. Nothing was changed.",
        ),
        ("set auto-recharge to $100 when below $20, at most 3 times a day", EN, ONE_REQUEST),
        ("set auto-recharge to $100 when below $20 and at most 3 recharges a day", EN, ONE_REQUEST),
    ],
)
async def test_what_cannot_be_a_cap_is_refused_saying_what_is_allowed(
    capped: CreditsService, phrase: str, locale: str, says: str
) -> None:
    replies = await turn(client(capped), said(phrase, locale))
    assert cards_in(replies) == [], shown(replies)
    assert says in shown(replies)
    assert caps_of(await capped.account(TENANT)) == BEFORE
    assert not (await capped.account(TENANT)).recharge.enabled


@pytest.mark.parametrize(
    ("phrase", "locale"),
    [
        ("what is the max recharge?", EN),
        ("what's the monthly cap?", EN),
        ("what is the daily limit?", EN),
        ("how many recharges a day?", EN),
        ("giới hạn tháng là bao nhiêu?", VI),
    ],
)
async def test_a_question_shows_the_caps_card(
    capped: CreditsService, phrase: str, locale: str
) -> None:
    replies = await turn(client(capped), said(phrase, locale))
    assert verbs.CAPS_FORM in verbs_in(replies), shown(replies)
    assert verbs.CAPS_CONFIRM not in verbs_in(replies)


async def test_a_confirm_card_lists_only_what_changes_and_never_none(
    capped: CreditsService,
) -> None:
    talk = client(capped)
    replies = await turn(talk, said("at most 4 recharges a day and a monthly cap of $300"))
    [card] = cards_in(replies)
    text = texts(card)
    assert "5 → 4" in text
    assert "Monthly cap" not in text and "$300.00" not in text
    await turn(talk, pressed(button(card, verbs.CAPS_CONFIRM)))
    assert caps_of(await capped.account(TENANT)) == (4, usd("300"), usd("120"))
    cleared = texts(cards_in(await turn(talk, said("remove the monthly cap")))[0])
    assert "$300.00 → No cap" in cleared and "None" not in cleared
    assert "Largest single recharge" not in cleared  # unchanged: left out


# ---------------------------------------------------------------------- the recharge amount


@pytest.mark.parametrize(
    ("phrase", "locale", "says"),
    [
        (
            "set auto-recharge to $250 when below $20",
            EN,
            "A recharge of $250.00 is more than the monthly cap of $200.00",
        ),
        (
            "tự động nạp 250 đô khi số dư dưới 20 đô",
            VI,
            "Mỗi lần nạp 250,00 US$ vượt quá giới hạn hằng tháng 200,00 US$",
        ),
    ],
)
async def test_a_recharge_amount_above_the_monthly_cap_is_refused_before_its_card(
    capped: CreditsService, phrase: str, locale: str, says: str
) -> None:
    await capped.set_recharge_caps(TENANT, ADMIN.actor, monthly_cap="200", clear_max_recharge=True)
    replies = await turn(client(capped), said(phrase, locale))
    assert cards_in(replies) == []
    assert says in shown(replies)
    assert ("Nothing was changed." if locale == EN else "Không có gì thay đổi.") in shown(replies)
    assert not (await capped.account(TENANT)).recharge.enabled


async def test_the_recharge_card_says_when_a_cap_holds_the_first_recharge_back(
    service: CreditsService,
) -> None:
    """The balance is below the new trigger, but today's recharges reached the daily limit: the
    card says when it starts instead of "right away"."""
    await service.set_recharge_caps(TENANT, ADMIN.actor, daily_limit=1)
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="60", trigger="50")
    await service.ingest_usage([call("c1", "200.00")])
    await service.process_payments("w")
    text = shown(await turn(client(service), said("set auto-recharge to $80 when below $60")))
    assert "will start right away" not in text
    assert (
        "The balance is already below $60.00, but the limit of 1 recharge a day was reached "
        "today: the recharge of $80.00 starts after 00:00 UTC." in text
    )


async def test_the_recharge_card_says_when_the_monthly_cap_holds_it_back(
    service: CreditsService,
) -> None:
    await service.set_recharge_caps(TENANT, ADMIN.actor, monthly_cap="100")
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="60", trigger="50")
    await service.ingest_usage([call("c1", "200.00")])
    await service.process_payments("w")
    text = shown(await turn(client(service), said("set auto-recharge to $70 when below $60")))
    assert "will start right away" not in text
    assert "would go over the monthly cap of $100.00 ($40.00 left this month)" in text


async def test_the_recharge_card_still_says_right_away_when_the_caps_allow_it(
    service: CreditsService,
) -> None:
    text = shown(await turn(client(service), said("set auto-recharge to $80 when below $60")))
    assert "so a recharge will start right away and charge $80.00" in text


# ---------------------------------------------------------------------- buttons


async def test_a_confirm_signed_for_another_tenant_is_refused(capped: CreditsService) -> None:
    other = Caller("tenant-b", "aad-eve", "Eve Admin", is_admin=True)
    await capped.set_recharge_caps("tenant-b", other.actor, daily_limit=4)
    theirs = cards_in(await turn(client(capped, other), said("at most 100 recharges a day")))[0]
    refused = await turn(client(capped), pressed(button(theirs, verbs.CAPS_CONFIRM)))
    assert "That card can't be used" in shown(refused)
    assert caps_of(await capped.account(TENANT)) == BEFORE
    assert (await capped.account("tenant-b")).recharge.daily_limit == 4


@pytest.mark.parametrize("verb", [verbs.CAPS, verbs.CAPS_FORM, verbs.CAPS_REVIEW])
async def test_a_non_admin_pressing_a_caps_button_is_refused(
    capped: CreditsService, verb: str
) -> None:
    talk = client(capped)
    card = cards_in(await turn(talk, said("caps")))[0]
    form = cards_in(await turn(talk, pressed(button(card, verbs.CAPS_FORM))))[0]
    data = {
        verbs.CAPS: {"verb": verbs.CAPS},
        verbs.CAPS_FORM: button(card, verbs.CAPS_FORM),
        verbs.CAPS_REVIEW: dict(button(form, verbs.CAPS_REVIEW), caps_per_day="1"),
    }[verb]
    denied = await turn(client(capped, VIEWER), pressed(data))
    assert NOT_ALLOWED in shown(denied)
    assert verbs.CAPS_CONFIRM not in verbs_in(denied) and verbs.CAPS_REVIEW not in verbs_in(denied)
    assert "$300.00" not in shown(denied)
    assert caps_of(await capped.account(TENANT)) == BEFORE
