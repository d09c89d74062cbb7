"""Statements and receipts in chat (DialogTestClient on a real ledger), in English and Vietnamese:
every phrasing shows the month it means (a month without a year is the latest not in the future,
by the service's clock), "export history" also says how to get the file, "receipt 2" shows that
receipt again and "receipt 42" says which numbers there are; the statement card's buttons go to
the months either side and to its receipts; a month not begun or before the account is refused
with the months there are; a non-admin is refused every phrasing and button; another tenant's
receipts are never shown. The receipt after a purchase and the recharge alert carry the number.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from botbuilder.schema import Activity
from card_helpers import button, texts
from dialog_helpers import ADMIN, TENANT, VIEWER, cards_in, client, pressed, said, turn
from records import call

from cards import actions as verbs
from cards._elements import nodes
from cards.alerts import alert_card
from cards.validate import validate_card
from credits.alert_payloads import read_payload
from credits.clock import ManualClock
from credits.i18n import Lang, speaking
from credits.models import Alert, AlertKind, AlertStatus
from credits.service import CreditsService
from dialogs.caller import Caller

VI, EN = "vi-VN", "en-US"
NBSP = "\u00a0"
CARD = "application/vnd.microsoft.card.adaptive"
NOT_ALLOWED = "Only billing admins can see or change Communications Credits."
NOT_ALLOWED_VI = "Chỉ người quản trị thanh toán mới có thể xem hoặc thay đổi Tín dụng Liên lạc."
OTHER = Caller("tenant-b", "aad-cy", "Cy Other", is_admin=True)
ENGLISH = re.compile(
    r"\b(the|statement|balance|opening|closing|purchases?|usage|expired|adjustments?|receipts?|"
    r"amount|kind|by|now|month|times|show|calls?|entries|no)\b",
    re.IGNORECASE,
)
# the month under way is December 2026: November has receipt 2, December receipt 3
NOVEMBER_EN = ("Statement for November 2026", "Closing balance, 30 Nov 2026", "$140.00", "No. 2")
DECEMBER_EN = ("Statement for December 2026", "Balance now", "$165.00", "No. 3")
NOVEMBER_VI = ("Sao kê tháng 11 năm 2026", "Số dư cuối kỳ, 30 thg 11, 2026", "140,00 US$", "Số 2")
DECEMBER_VI = ("Sao kê tháng 12 năm 2026", "Số dư hiện tại", "165,00 US$", "Số 3")
STATEMENTS = [
    ("statement", EN, DECEMBER_EN),
    ("statement for November", EN, NOVEMBER_EN),
    ("November statement", EN, NOVEMBER_EN),
    ("statement for 2026-11", EN, NOVEMBER_EN),
    ("statement for last month", EN, NOVEMBER_EN),
    ("show me last month's statement", EN, NOVEMBER_EN),
    ("sao kê", VI, DECEMBER_VI),
    ("sao kê tháng 11", VI, NOVEMBER_VI),
    ("sao ke thang 11", VI, NOVEMBER_VI),
    ("sao kê tháng trước", VI, NOVEMBER_VI),
    ("bảng kê tháng 11/2026", VI, NOVEMBER_VI),
]
EXPORTS = [("export history", EN), ("export", EN), ("xuất lịch sử", VI), ("xuat lich su", VI)]
RECEIPTS = [
    ("receipt 2", EN, ("Receipt 2", "$50.00", "Ada Admin", "Balance after", "$150.00")),
    ("show receipt 2", EN, ("Receipt 2", "$50.00", "3 Nov 2026 09:30 UTC", "Purchase")),
    ("biên lai 2", VI, ("Biên nhận 2", "50,00 US$", "Ada Admin", "Số dư sau khi nạp")),
    ("hóa đơn 2", VI, ("Biên nhận 2", "50,00 US$", "09:30 UTC, 3 thg 11, 2026", "Nạp tiền")),
]
MISSING = [
    ("receipt 42", EN, "There is no receipt 42 here. Receipts here run from 1 to 3."),
    ("show receipt 42", EN, "There is no receipt 42 here. Receipts here run from 1 to 3."),
    ("biên lai 42", VI, "Không có biên nhận số 42 ở đây. Biên nhận ở đây được đánh số từ 1 đến 3."),
    ("hóa đơn 42", VI, "Không có biên nhận số 42 ở đây. Biên nhận ở đây được đánh số từ 1 đến 3."),
]


def words(replies: list[Activity]) -> str:
    return "\n".join(r.text or "" for r in replies).replace(NBSP, " ")


def card_text(replies: list[Activity]) -> str:
    [card] = cards_in(replies)
    assert validate_card(card) == []
    return texts(card).replace(NBSP, " ")


def titles(card: dict[str, Any]) -> list[str]:
    return [str(n["title"]) for n in nodes(card) if str(n.get("type", "")).startswith("Action.")]


@pytest.fixture
async def story(service: CreditsService, clock: ManualClock) -> CreditsService:
    """Receipt 1 in October 2026 (the account's first month), 2 in November, 3 in December."""
    clock.set(datetime(2026, 10, 5, 8, tzinfo=UTC))
    await service.add_funds(TENANT, "100", ADMIN.actor, "oct")
    clock.set(datetime(2026, 11, 3, 9, 30, tzinfo=UTC))
    await service.add_funds(TENANT, "50", ADMIN.actor, "nov")
    start = "2026-11-03T09:40:00Z"
    await service.ingest_usage([call("c1", "10", tenantId=TENANT, startDateTime=start)])
    clock.set(datetime(2026, 12, 2, 10, tzinfo=UTC))
    await service.add_funds(TENANT, "25", ADMIN.actor, "dec")
    clock.set(datetime(2026, 12, 10, 12, tzinfo=UTC))
    return service


# ---------------------------------------------------------------------- every phrasing


@pytest.mark.parametrize(("phrase", "locale", "shows"), STATEMENTS)
async def test_each_phrasing_shows_the_month_it_means(
    story: CreditsService, phrase: str, locale: str, shows: tuple[str, ...]
) -> None:
    replies = await turn(client(story), said(phrase, locale))
    shown = card_text(replies)
    for expected in shows:
        assert expected in shown, (expected, shown)
    if locale == VI:
        assert not ENGLISH.findall(shown), shown


@pytest.mark.parametrize(("phrase", "locale"), EXPORTS)
async def test_export_shows_this_months_statement_and_how_to_get_the_file(
    story: CreditsService, phrase: str, locale: str
) -> None:
    replies = await turn(client(story), said(phrase, locale))
    assert "credits-bot statement --tenant tenant-a --month 2026-12 --csv" in words(replies)
    assert ("Sao kê tháng 12 năm 2026" if locale == VI else "Statement for December 2026") in (
        card_text(replies)
    )
    assert verbs.HISTORY not in {n.get("verb") for c in cards_in(replies) for n in nodes(c)}


@pytest.mark.parametrize(("phrase", "locale", "shows"), RECEIPTS)
async def test_a_receipt_is_shown_again_by_its_number(
    story: CreditsService, phrase: str, locale: str, shows: tuple[str, ...]
) -> None:
    replies = await turn(client(story), said(phrase, locale))
    shown = card_text(replies)
    for expected in shows:
        assert expected in shown, (expected, shown)
    receipt = await story.receipt(TENANT, 2)
    assert receipt.reference is not None and receipt.reference in shown
    if locale == VI:
        assert not ENGLISH.findall(shown.replace(receipt.reference, "")), shown


@pytest.mark.parametrize(("phrase", "locale", "answer"), MISSING)
async def test_a_receipt_number_not_there_says_the_range(
    story: CreditsService, phrase: str, locale: str, answer: str
) -> None:
    replies = await turn(client(story), said(phrase, locale))
    assert cards_in(replies) == []
    assert words(replies) == answer


async def test_receipt_alone_asks_which(story: CreditsService) -> None:
    replies = await turn(client(story), said("receipt"))
    assert words(replies) == 'Say which receipt, e.g. "receipt 3". Receipts here run from 1 to 3.'
    empty = await turn(client(story, OTHER), said("biên lai", VI))
    assert words(empty).startswith("Ở đây chưa có biên nhận nào")


@pytest.mark.parametrize(
    ("phrase", "locale", "answer"),
    [
        (
            "statement for 2027-01",
            EN,
            "January 2027 has not begun yet, so it has no statement. "
            "Statements run from October 2026 to December 2026.",
        ),
        (
            "statement for September",
            EN,
            "There is no statement for September 2026: the account was opened in October 2026. "
            "Statements run from October 2026 to December 2026.",
        ),
        (
            "sao kê tháng 1/2027",
            VI,
            "Chưa có sao kê tháng 1 năm 2027 vì tháng này chưa bắt đầu. "
            "Có sao kê từ tháng 10 năm 2026 đến tháng 12 năm 2026.",
        ),
        ("statement for 2026-13", EN, "There is no month 13; say a month from 1 to 12."),
    ],
)
async def test_a_month_without_a_statement_is_refused_with_the_months_there_are(
    story: CreditsService, phrase: str, locale: str, answer: str
) -> None:
    replies = await turn(client(story), said(phrase, locale))
    assert cards_in(replies) == []
    assert words(replies) == answer


# ---------------------------------------------------------------------- buttons


async def test_the_buttons_go_to_the_months_either_side_and_to_the_receipts(
    story: CreditsService,
) -> None:
    talk = client(story)
    [december] = cards_in(await turn(talk, said("statement")))
    assert "← November 2026" in titles(december)
    assert not any(title.endswith("→") for title in titles(december))  # January has not begun
    assert button(december, verbs.STATEMENT) == {"verb": "statement", "month": "2026-11"}
    [november] = cards_in(await turn(talk, pressed(button(december, verbs.STATEMENT))))
    assert "Statement for November 2026" in texts(november)
    assert {"← October 2026", "December 2026 →", "Receipt 2"} <= set(titles(november))
    [receipt] = cards_in(await turn(talk, pressed(button(november, verbs.RECEIPT))))
    assert "Receipt 2" in texts(receipt) and "$50.00" in texts(receipt)
    assert {"← Receipt 1", "Receipt 3 →", "Statement for November 2026"} <= set(titles(receipt))
    [october] = cards_in(await turn(talk, pressed({"verb": "statement", "month": "2026-10"})))
    assert "Opening balance, 1 Oct 2026" in texts(october)
    assert not any(title.startswith("←") for title in titles(october))  # the account's first


async def test_a_button_with_a_bad_month_or_number_says_what_is_allowed(
    story: CreditsService,
) -> None:
    talk = client(story)
    bad_month = await turn(talk, pressed({"verb": "statement", "month": "2026-13"}))
    assert 'a month as "YYYY-MM"' in words(bad_month) + "".join(
        texts(c) for c in cards_in(bad_month)
    )
    for number in (0, 2**63):
        bad = await turn(talk, pressed({"verb": "receipt", "number": number}))
        said = words(bad) + "".join(texts(c) for c in cards_in(bad))
        assert "a receipt number: a whole number, 1 or more" in said, said
        assert "9223372036854775807" not in said and "9,223" not in said
    bad_vi = await turn(talk, pressed({"verb": "receipt", "number": 0}, VI))
    said_vi = words(bad_vi) + "".join(texts(c) for c in cards_in(bad_vi))
    assert "số biên nhận: một số nguyên từ 1 trở lên" in said_vi, said_vi
    future = await turn(talk, pressed({"verb": "statement", "month": "2027-02"}))
    assert "February 2027 has not begun yet" in texts(cards_in(future)[0])


async def test_an_auto_recharge_receipt_names_its_kind_as_the_statement_does(
    service: CreditsService, clock: ManualClock
) -> None:
    """The glossary's entry kind "Tự động nạp", as the statement's row says it (not the
    feature's "Tự động nạp tiền")."""
    clock.set(datetime(2026, 11, 3, 9, tzinfo=UTC))
    await service.add_funds(TENANT, "100", ADMIN.actor, "first")
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="60", trigger="50")
    start = "2026-11-03T09:10:00Z"
    await service.ingest_usage([call("c1", "70", tenantId=TENANT, startDateTime=start)])
    await service.process_payments("w")
    talk = client(service)
    vi_receipt = card_text(await turn(talk, said("biên lai 2", VI)))
    assert "Loại\nTự động nạp\n" in vi_receipt, vi_receipt  # (by: the feature, "Tự động nạp tiền")
    vi_statement = card_text(await turn(talk, said("sao kê", VI)))
    assert "Tự động nạp\n" in vi_statement and "· Tự động nạp ·" in vi_statement, vi_statement
    receipt = card_text(await turn(talk, said("receipt 2")))
    assert "Automatic recharge" in receipt


# ---------------------------------------------------------------------- who may see what


@pytest.mark.parametrize(
    ("phrase", "locale"),
    [(p, loc) for p, loc, _ in STATEMENTS]
    + EXPORTS
    + [(p, loc) for p, loc, _ in RECEIPTS + MISSING],
)
async def test_a_non_admin_is_refused_every_phrasing(
    story: CreditsService, phrase: str, locale: str
) -> None:
    replies = await turn(client(story, VIEWER), said(phrase, locale))
    assert cards_in(replies) == []
    assert words(replies).startswith(NOT_ALLOWED if locale == EN else NOT_ALLOWED_VI)


@pytest.mark.parametrize(
    "data", [{"verb": "statement", "month": "2026-11"}, {"verb": "receipt", "number": 2}]
)
async def test_a_non_admin_cannot_press_the_buttons(
    story: CreditsService, data: dict[str, Any]
) -> None:
    replies = await turn(client(story, VIEWER), pressed(data))
    shown = words(replies) + "".join(texts(c) for c in cards_in(replies))
    assert "Only billing admins" in shown
    assert "$50.00" not in shown and "$140.00" not in shown


async def test_another_tenants_receipts_are_never_shown(story: CreditsService) -> None:
    await story.add_funds(OTHER.tenant_id, "12", OTHER.actor, "theirs")
    theirs = client(story, OTHER)
    assert words(await turn(theirs, said("receipt 2"))) == (
        "There is no receipt 2 here. Receipts here run from 1 to 1."
    )
    [own] = cards_in(await turn(theirs, said("receipt 1")))
    assert "$12.00" in texts(own) and "$100.00" not in texts(own)
    # tenant-a's card's button, pressed by tenant-b's admin: tenant-b's numbers only
    refused = await turn(theirs, pressed({"verb": "receipt", "number": 3}))
    assert "There is no receipt 3 here" in texts(cards_in(refused)[0])
    [statement] = cards_in(await turn(theirs, said("statement")))
    assert "$12.00" in texts(statement) and "$165.00" not in texts(statement)


# ---------------------------------------------------------------------- the number elsewhere


async def test_the_receipt_after_a_purchase_shows_its_number(story: CreditsService) -> None:
    talk = client(story)
    [confirm] = cards_in(await turn(talk, said("add $60 credits")))
    [receipt] = cards_in(await turn(talk, pressed(button(confirm, verbs.ADD_FUNDS_CONFIRM))))
    assert "Receipt" in texts(receipt) and "No. 4" in texts(receipt)
    assert validate_card(receipt) == []
    assert button(receipt, verbs.RECEIPT) == {"verb": "receipt", "number": 4}
    assert "Receipt 4" in titles(receipt)
    [again] = cards_in(await turn(talk, pressed(button(receipt, verbs.RECEIPT))))
    assert "Receipt 4" in texts(again) and "$60.00" in texts(again)
    [vi_confirm] = cards_in(await turn(talk, said("nạp 70 đô", VI)))
    vi = cards_in(await turn(talk, pressed(button(vi_confirm, verbs.ADD_FUNDS_CONFIRM), VI)))
    assert "Biên nhận" in texts(vi[0]) and "Số 5" in texts(vi[0])
    assert "Biên nhận 5" in titles(vi[0])


def _alert(payload: dict[str, Any]) -> Alert:
    return Alert(
        id=1,
        tenant_id=TENANT,
        kind=AlertKind.RECHARGE_SUCCEEDED,
        dedupe_key="k",
        payload=read_payload(AlertKind.RECHARGE_SUCCEEDED, payload),
        status=AlertStatus.PENDING,
        attempts=0,
        created_at=datetime(2026, 11, 3, tzinfo=UTC),
    )


def test_the_recharge_alert_shows_its_receipt_number_and_old_alerts_still_read() -> None:
    stored = {"tenant_id": TENANT, "currency": "USD", "balance_minor": 9000, "amount_minor": 4000}
    card = alert_card(_alert({**stored, "payment_id": 7, "receipt_no": 12}))
    assert validate_card(card) == []
    assert "No. 12" in texts(card)
    assert button(card, verbs.RECEIPT) == {"verb": "receipt", "number": 12}
    with speaking(Lang.VI):
        assert "Số 12" in texts(alert_card(_alert({**stored, "receipt_no": 12})))
    for old in ({**stored, "payment_id": 7}, {**stored, "receipt_no": "12"}):
        card = alert_card(_alert(old))
        assert validate_card(card) == []
        assert "Receipt" not in texts(card) and verbs.RECEIPT not in {
            n.get("verb") for n in nodes(card)
        }
