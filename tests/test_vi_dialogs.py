"""Dialog transcripts in Vietnamese (activities with locale "vi-VN"): every flow, its prompts and
refusals come from the catalogue, amounts are read the Vietnamese way ("1.000,50"), and each
hostile amount of vi-spec §6 is refused with a Vietnamese sentence, no confirm card, nothing
changed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import DialogTestClient
from card_helpers import button, texts
from dialog_helpers import ADMIN, TENANT, VIEWER, card_of, client

from cards import actions as verbs
from cards._elements import nodes
from credits.service import CreditsService

VI = "vi-VN"
NBSP = "\u00a0"  # Babel puts a no-break space before the currency symbol
CARD = "application/vnd.microsoft.card.adaptive"
CONFIRMS = (verbs.ADD_FUNDS_CONFIRM, verbs.RECHARGE_CONFIRM)
# Common English words that must not show in a Vietnamese reply (field names like 'verb' in a
# bad button's problem are not prose and do not come up here; "Ada Admin" is a person's name).
ENGLISH = re.compile(
    r"\b(the|balance|add|added|funds|recharge|cancel|cancelled|amount|amounts|alerts?|history|"
    r"help|nothing|changed|please|enter|confirm|when|below|how much|would|you|settings|"
    r"only|billing)\b",
    re.IGNORECASE,
)


def said(text: str, locale: str = VI) -> Activity:
    return Activity(type=ActivityTypes.message, text=text, locale=locale)


def pressed(data: dict[str, Any], reply_to: str | None = None) -> Activity:
    return Activity(type=ActivityTypes.message, value=data, reply_to_id=reply_to, locale=VI)


async def turn(talk: DialogTestClient, activity: Activity) -> list[Activity]:
    """Every reply of one turn, in order."""
    replies = [await talk.send_activity(activity)]
    while (more := talk.get_next_reply()) is not None:
        replies.append(more)
    return [r for r in replies if r is not None]


def cards_in(replies: list[Activity]) -> list[dict[str, Any]]:
    return [a.content for r in replies for a in r.attachments or [] if a.content_type == CARD]


def shown(replies: list[Activity]) -> str:
    """The text of every reply and every card in it, no-break spaces as spaces."""
    parts = [r.text or "" for r in replies] + [texts(c) for c in cards_in(replies)]
    return "\n".join(parts).replace(NBSP, " ")


def vietnamese(replies: list[Activity]) -> str:
    """What the replies say, checked to hold no common English word."""
    text = shown(replies)
    english = ENGLISH.findall(text)
    assert not english, (english, text)
    return text


def title_of(card: dict[str, Any], verb: str) -> str:
    for node in nodes(card):
        if str(node.get("type", "")).startswith("Action.") and node.get("verb") == verb:
            return str(node["title"])
    raise AssertionError(f"no {verb} button on the card")


def no_confirm(replies: list[Activity]) -> None:
    for card in cards_in(replies):
        for node in nodes(card):
            assert node.get("verb") not in CONFIRMS, card


async def unchanged(service: CreditsService) -> None:
    view = await service.account(TENANT)
    assert view.balance.minor == 0
    assert not view.recharge.enabled and view.recharge.amount is None
    assert view.thresholds == ()
    assert (await service.history(TENANT)).entries == ()


# ---------------------------------------------------------------------------- the flows


async def test_balance(service: CreditsService) -> None:
    await service.adjust(TENANT, "42.50", ADMIN.actor, "opening", "open")
    for text in ("xem số dư", "so du bao nhieu"):
        shown_ = vietnamese(await turn(client(service), said(text)))
        assert "42,50 US$" in shown_ and "Số dư" in shown_


async def test_add_funds_confirm_then_receipt(service: CreditsService) -> None:
    talk = client(service)
    replies = await turn(talk, said("nạp 50 đô"))
    [confirm] = cards_in(replies)
    assert "50,00 US$" in vietnamese(replies)
    assert title_of(confirm, verbs.ADD_FUNDS_CONFIRM) == "Xác nhận"
    assert title_of(confirm, verbs.CANCEL) == "Hủy"
    assert (await service.account(TENANT)).balance.minor == 0  # nothing until confirmed
    receipt = await turn(talk, pressed(button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    text = vietnamese(receipt)
    assert "Đã nạp 50,00 US$" in text
    assert "Số dư mới" in text
    assert (await service.account(TENANT)).balance.minor == 5000


async def test_the_form_reads_a_vietnamese_amount(service: CreditsService) -> None:
    talk = client(service)
    replies = await turn(talk, said("tôi muốn nạp tiền"))
    [form] = cards_in(replies)
    assert "Bạn muốn nạp bao nhiêu?" in vietnamese(replies)
    # typed into the form's amount field, the Vietnamese way
    typed = {"verb": verbs.ADD_FUNDS_REVIEW, "amount": "1.000,50", "lang": "vi"}  # its Review
    confirm = await turn(talk, pressed(typed))
    assert button(cards_in(confirm)[0], verbs.ADD_FUNDS_CONFIRM)["amount"] == "1000.50"
    assert "1.000,50 US$" in vietnamese(confirm)
    # a quick amount sends the bot's own machine value
    quick = button(form, verbs.ADD_FUNDS_REVIEW)
    assert quick["amount"] == "25.00"
    chip = await turn(talk, pressed(quick))
    assert button(cards_in(chip)[0], verbs.ADD_FUNDS_CONFIRM)["amount"] == "25.00"
    await unchanged(service)


async def test_the_prompt_reads_a_vietnamese_amount(service: CreditsService) -> None:
    talk = client(service)
    await turn(talk, said("tôi muốn nạp tiền"))
    bad = await turn(talk, said("5"))
    text = vietnamese(bad)
    assert "10,00 US$" in text and "Bạn muốn nạp bao nhiêu?" in text
    confirm = await turn(talk, said("1.000,50"))
    assert button(cards_in(confirm)[0], verbs.ADD_FUNDS_CONFIRM)["amount"] == "1000.50"
    await unchanged(service)


async def test_a_bad_amount_in_the_form_is_said_in_vietnamese(service: CreditsService) -> None:
    replies = await turn(
        client(service),
        pressed({"verb": verbs.ADD_FUNDS_REVIEW, "amount": "20.000", "lang": "vi"}),
    )
    text = vietnamese(replies)
    assert "10.000,00 US$" in text
    no_confirm(replies)
    await unchanged(service)


async def test_auto_recharge_in_one_sentence(service: CreditsService) -> None:
    talk = client(service)
    replies = await turn(talk, said("tự động nạp 80 đô khi số dư dưới 15 đô"))
    [confirm] = cards_in(replies)
    text = vietnamese(replies)
    assert "80,00 US$" in text and "15,00 US$" in text
    data = button(confirm, verbs.RECHARGE_CONFIRM)
    assert (data["enabled"], data["amount"], data["trigger"]) == ("true", "80.00", "15.00")
    after = await turn(talk, pressed(data))
    assert "80,00 US$" in vietnamese(after)
    view = await service.account(TENANT)
    assert view.recharge.enabled and view.recharge.amount is not None
    assert view.recharge.amount.minor == 8000
    assert view.recharge.trigger is not None and view.recharge.trigger.minor == 1500


async def test_auto_recharge_collects_what_is_missing(service: CreditsService) -> None:
    talk = client(service)
    asked = await turn(talk, said("bật nạp tiền tự động"))
    assert "Mỗi lần tự động nạp bao nhiêu tiền?" in vietnamese(asked)
    bad = await turn(talk, said("5"))
    assert "10,00 US$" in vietnamese(bad)
    asked_trigger = await turn(talk, said("1.000"))
    assert "Tự động nạp khi số dư giảm xuống dưới bao nhiêu?" in vietnamese(asked_trigger)
    confirm = await turn(talk, said("20,5"))
    data = button(cards_in(confirm)[0], verbs.RECHARGE_CONFIRM)
    assert (data["amount"], data["trigger"]) == ("1000.00", "20.50")
    assert "1.000,00 US$" in vietnamese(confirm)
    await unchanged(service)


async def test_the_recharge_form_reads_back_what_it_was_filled_with(
    service: CreditsService,
) -> None:
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="100", trigger="20")
    talk = client(service)
    replies = await turn(talk, said("cài đặt tự động nạp"))
    [form] = cards_in(replies)
    vietnamese(replies)
    inputs = {node["id"]: node for node in nodes(form) if "id" in node}
    data = {
        **button(form, verbs.RECHARGE_REVIEW),  # the form's Review: its verb and its lang
        "recharge_enabled": "true",
        "recharge_amount": inputs["recharge_amount"].get("value", ""),
        "recharge_trigger": inputs["recharge_trigger"].get("value", ""),
    }
    confirm = await turn(talk, pressed(data))
    got = button(cards_in(confirm)[0], verbs.RECHARGE_CONFIRM)
    assert (got["amount"], got["trigger"]) == ("100.00", "20.00")
    typed = dict(data, recharge_amount="1.500", recharge_trigger="0")
    changed = await turn(talk, pressed(typed))
    got = button(cards_in(changed)[0], verbs.RECHARGE_CONFIRM)
    assert (got["amount"], got["trigger"]) == ("1500.00", "0.00")


async def test_turn_auto_recharge_off(service: CreditsService) -> None:
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="100", trigger="20")
    talk = client(service)
    replies = await turn(talk, said("tắt nạp tiền tự động"))
    [confirm] = cards_in(replies)
    vietnamese(replies)
    data = button(confirm, verbs.RECHARGE_CONFIRM)
    assert data["enabled"] == "false"
    vietnamese(await turn(talk, pressed(data)))
    assert not (await service.account(TENANT)).recharge.enabled


async def test_history(service: CreditsService) -> None:
    await service.adjust(TENANT, "42.50", ADMIN.actor, "opening", "open")
    text = vietnamese(await turn(client(service), said("xem lịch sử")))
    assert "Tất cả hoạt động" in text and "42,50 US$" in text  # money and settings changes


async def test_alerts_here_where_and_stop(service: CreditsService) -> None:
    talk = client(service)
    here = vietnamese(await turn(talk, said("gửi cảnh báo vào đây")))
    assert "Cảnh báo sẽ được gửi vào đây" in here
    [sub] = await service.list_subscriptions(TENANT)
    assert sub.reference["locale"] == VI  # alerts there are written in Vietnamese
    again = vietnamese(await turn(talk, said("gửi cảnh báo vào đây")))
    assert "đã đăng ký nhận cảnh báo rồi" in again
    where = vietnamese(await turn(talk, said("cảnh báo gửi đến đâu?")))
    assert "Cảnh báo được gửi vào đây" in where and "gửi cảnh báo vào đây" in where
    stop = vietnamese(await turn(talk, said("dừng cảnh báo ở đây")))
    assert "không còn" in stop
    assert await service.list_subscriptions(TENANT) == []


async def test_alert_thresholds(service: CreditsService) -> None:
    replies = await turn(client(service), said("cảnh báo tôi khi số dư dưới 40 đô và 15 đô"))
    assert "dưới 40,00 US$ và 15,00 US$." in vietnamese(replies)
    view = await service.account(TENANT)
    assert [m.minor for m in view.thresholds] == [4000, 1500]


async def test_cancel_mid_flow(service: CreditsService) -> None:
    talk = client(service)
    await turn(talk, said("tôi muốn nạp tiền"))
    cancelled = vietnamese(await turn(talk, said("hủy")))
    assert cancelled == "Đã hủy. Không có gì thay đổi."
    after = vietnamese(await turn(talk, said("75")))  # no longer in the flow
    assert "Tôi chưa hiểu" in after and "nạp 50 đô" in after
    nothing = vietnamese(await turn(talk, said("hủy")))
    assert nothing == "Không có gì để hủy."
    await unchanged(service)


async def test_a_refusal_from_the_service_says_once_that_nothing_changed(
    service: CreditsService,
) -> None:
    talk = client(service)
    await turn(talk, said("tôi muốn nạp tiền"))
    replies = await turn(talk, said("cảnh báo tôi khi số dư dưới 2.000.000 đô"))
    text = vietnamese(replies)
    assert "tối đa" in text and text.count("Không có gì thay đổi") == 1
    after = vietnamese(await turn(talk, said("75")))  # the flow is over
    assert "Tôi chưa hiểu" in after
    await unchanged(service)


async def test_help_and_help_mid_flow(service: CreditsService) -> None:
    talk = client(service)
    text = vietnamese(await turn(talk, said("giúp")))
    assert "Bạn có thể nói" in text
    await turn(talk, said("tôi muốn nạp tiền"))
    mid = vietnamese(await turn(talk, said("giúp")))
    assert "Bạn có thể nói" in mid and "Bạn muốn nạp bao nhiêu?" in mid  # the flow goes on


async def test_a_viewer_is_told_in_vietnamese(service: CreditsService) -> None:
    talk = client(service, VIEWER)
    for text in ("xem số dư", "nạp 50 đô"):
        replies = await turn(talk, said(text))
        assert "Chỉ người quản trị thanh toán" in vietnamese(replies)
    confirm = card_of(await client(service).send_activity(said("nạp 50 đô")))
    denied = await turn(talk, pressed(button(confirm, verbs.ADD_FUNDS_CONFIRM)))
    assert "Chỉ người quản trị thanh toán" in vietnamese(denied)
    await unchanged(service)


async def test_a_bad_button_is_said_in_vietnamese(service: CreditsService) -> None:
    replies = await turn(client(service), pressed({"verb": verbs.HISTORY, "before": "abc"}))
    text = shown(replies)
    assert "Không thể dùng nút này" in text and "Không có gì thay đổi" in text
    assert "'before'" in text and "số nguyên" in text


# ---------------------------------------------------------------------------- refusals (§6)

REFUSALS = [
    ("nạp -50 đô", "lớn hơn 0"),
    ("nạp âm 50 đô", "lớn hơn 0"),
    ("nạp 0 đô", "lớn hơn 0"),
    ("nạp 20.000 đô", "10.000,00 US$"),
    ("nạp 5 đô", "10,00 US$"),
    ("nạp 1,000 đô", "một nghìn"),
    ("nạp 1 triệu đồng", "đô la Mỹ"),
    ("nạp 50đ", "đô la Mỹ"),
    ("nạp 500k", "đô la Mỹ"),
    ("nạp 300 nghìn", "đô la Mỹ"),
    ("nạp 2 củ", "đô la Mỹ"),
    ("nạp năm mươi đô", "chữ số"),
    ("nạp 50 đô và 60 đô", "một số tiền"),
    ("tự động nạp 80 đô khi số dư dưới âm 15 đô", "lớn hơn 0"),
    ("rút 50 đô", "rút"),
    ("cảnh báo tôi khi số dư dưới 150 đô, 100 đô, 60 đô và 30 đô", "3"),
    ("cảnh báo tôi khi số dư dưới 0 đô", "lớn hơn"),
]


@pytest.mark.parametrize(("text", "why"), REFUSALS)
async def test_a_refusal_says_why_in_vietnamese_and_changes_nothing(
    service: CreditsService, text: str, why: str
) -> None:
    replies = await turn(client(service), said(text))
    assert why in vietnamese(replies)
    no_confirm(replies)
    await unchanged(service)


async def test_withdrawing_is_refused_for_a_viewer_too(service: CreditsService) -> None:
    replies = await turn(client(service, VIEWER), said("rút 50 đô"))
    text = vietnamese(replies)
    assert "rút" in text and "Chỉ người quản trị" not in text
    no_confirm(replies)
    await unchanged(service)


async def test_the_locale_decides_how_an_amount_is_read(service: CreditsService) -> None:
    """ "1.000,5" is one thousand and a half in Vietnamese; under en-US it is refused, with the
    English hint, in English."""
    english = await turn(client(service), said("nạp 1.000,5 đô", locale="en-US"))
    assert "1,000.50" in shown(english)
    no_confirm(english)
    vi = await turn(client(service), said("nạp 1.000,5 đô"))
    assert button(cards_in(vi)[0], verbs.ADD_FUNDS_CONFIRM)["amount"] == "1000.50"
    await unchanged(service)
