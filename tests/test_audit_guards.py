"""Guards that say why (issue 13), in English and Vietnamese: a fourth low-balance threshold is
refused with "at most 3" and changes nothing, in the terminal chat and in Teams' dialogs; "alerts"
reads naturally wherever alerts go; asking for money back says it cannot be done from chat and
where to ask, whatever the phrasing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import DialogTestClient
from delivery_helpers import put_alerts
from dialog_helpers import ADMIN, TENANT, VIEWER, chat, client

from credits.config import CreditsConfig
from credits.models import AccountView, AlertKind, HistoryScope
from credits.money import AmountLimits, Money, currency
from credits.service import CreditsService
from dialogs.intents import Kind, parse_intent

VI = "vi-VN"
NBSP = "\u00a0"
USD = currency("USD")


def said(text: str, locale: str = "en-US") -> Activity:
    return Activity(type=ActivityTypes.message, text=text, locale=locale)


async def turn(talk: DialogTestClient, text: str, locale: str = "en-US") -> str:
    """The text of every reply to one message (cards included as their JSON)."""
    replies = [await talk.send_activity(said(text, locale))]
    while (more := talk.get_next_reply()) is not None:
        replies.append(more)
    return "\n".join(
        (r.text or "") + "".join(str(a.content) for a in r.attachments or [])
        for r in replies
        if r is not None
    ).replace(NBSP, " ")


def usd(*values: str) -> tuple[Money, ...]:
    return tuple(Money(Decimal(v), USD) for v in values)


async def thresholds(service: CreditsService) -> tuple[Money, ...]:
    return (await service.account(TENANT)).thresholds


async def audited(service: CreditsService) -> int:
    page = await service.activity(TENANT, scope=HistoryScope.SETTINGS, limit=200)
    return len(page.rows)


# --------------------------------------------------------------------------- a fourth threshold


def _bot_lines(out: str) -> list[str]:
    return [line.removeprefix("bot> ") for line in out.splitlines() if line.startswith("bot> ")]


async def _thresholds_in(db: Path) -> tuple[Money, ...]:
    service = await CreditsService.open(CreditsConfig(database_url=f"sqlite:///{db}"))
    try:
        return (await service.account("local")).thresholds
    finally:
        await service.close()


async def test_a_fourth_threshold_in_the_terminal_chat(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    out = chat(
        [
            "alert me below $50, $40, $30 and $20",
            *["alert me when below $10"] * 4,
            "alert me below $50, $40 and $30",
            "also alert me below $20",
            "add a threshold at $5",
            "add another low-balance alert when below $15",
            "alert me below $50 $40 $30 $20",
            "quit",
        ],
        db,
    )
    lines = _bot_lines(out)
    assert "Traceback" not in out and "went wrong" not in out
    assert "at most 3" in lines[0] and "Nothing was changed." in lines[0]
    assert (
        lines[1:5]
        == ["I'll alert when the balance falls below $10.00."]
        + ["I'll alert when the balance falls below $10.00."] * 3
    )
    assert lines[5] == (
        "I'll alert when the balance falls below $50.00, $40.00, $30.00. "
        "Until now they were $10.00."
    )
    for refused in lines[6:9]:  # added one at a time: a fourth is refused, saying why
        assert "at most 3 low-balance thresholds" in refused, refused
        assert "$50.00, $40.00, $30.00 are set already" in refused
        assert refused.endswith("Nothing was changed.")
    assert "at most 3" in lines[9]
    assert await _thresholds_in(db) == usd("50", "40", "30")


async def test_a_fourth_threshold_in_the_terminal_chat_in_vietnamese(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    out = chat(
        [
            "cảnh báo khi dưới 50 đô, 40 đô, 30 đô và 20 đô",
            "bao khi so du duoi 50 do, 40 do, 30 do va 20 do",
            "cảnh báo khi dưới 50 đô, 40 đô và 30 đô",
            "thêm ngưỡng cảnh báo 20 đô",
            "them canh bao khi duoi 20 do",
            "cảnh báo thêm khi dưới 5 đô",
            "thoát",
        ],
        db,
        CREDITS_CHAT_LOCALE=VI,
    )
    lines = _bot_lines(out)
    assert "Traceback" not in out
    assert all("tối đa 3" in lines[i] for i in (0, 1, 3, 4, 5)), lines
    assert all(lines[i].endswith("Không có gì thay đổi.") for i in (0, 1, 3, 4, 5)), lines
    assert "50,00 US$, 40,00 US$ và 30,00 US$" in lines[2].replace(NBSP, " ")
    assert await _thresholds_in(db) == usd("50", "40", "30")


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("also alert me below $20", "en-US"),
        ("add a threshold at $5", "en-US"),
        ("alert me also when below $5", "en-US"),
        ("add an alert when below $5", "en-US"),
        ("alert me below $50, $40, $30 and $20", "en-US"),
        ("thêm ngưỡng cảnh báo 5 đô", VI),
        ("thêm cảnh báo khi dưới 5 đô", VI),
        ("cảnh báo thêm khi dưới 5 đô", VI),
        ("canh bao them khi duoi 5 do", VI),
        ("cảnh báo khi dưới 50 đô, 40 đô, 30 đô và 20 đô", VI),
    ],
)
async def test_a_fourth_threshold_changes_nothing(
    service: CreditsService, text: str, locale: str
) -> None:
    await service.set_alert_thresholds(TENANT, ADMIN.actor, ["50", "40", "30"])
    before = await audited(service)
    reply = await turn(client(service), text, locale)
    assert ("at most 3" if locale != VI else "tối đa 3") in reply, reply
    assert await thresholds(service) == usd("50", "40", "30")
    assert await audited(service) == before


async def test_thresholds_are_added_one_at_a_time_up_to_three(service: CreditsService) -> None:
    talk = client(service)
    assert "below $50.00." in await turn(talk, "alert me below $50")
    assert "below $50.00, $20.00." in await turn(talk, "also alert me below $20")
    assert "set already; nothing was changed" in await turn(talk, "add a threshold at $20")
    vi = await turn(talk, "thêm ngưỡng cảnh báo 10 đô", VI)
    assert "50,00 US$, 20,00 US$ và 10,00 US$" in vi
    assert await thresholds(service) == usd("50", "20", "10")
    assert "at most 3" in await turn(talk, "also alert me below $5")
    assert "Only billing admins" in await turn(client(service, VIEWER), "also alert me below $5")
    assert await thresholds(service) == usd("50", "20", "10")


async def test_adding_a_threshold_keeps_the_default_alert(service: CreditsService) -> None:
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=True, amount="100", trigger="20")
    await service.set_auto_recharge(TENANT, ADMIN.actor, enabled=False)
    assert (await service.account(TENANT)).effective_thresholds == usd("20")  # the default
    reply = await turn(client(service), "also alert me below $5")
    assert "below $20.00, $5.00." in reply, reply
    assert await thresholds(service) == usd("20", "5")
    vi = await turn(client(service), "thêm ngưỡng cảnh báo 10 đô", VI)
    assert "20,00 US$, 10,00 US$ và 5,00 US$" in vi, vi


async def test_a_threshold_added_while_the_settings_change_asks_again(
    service: CreditsService, monkeypatch: pytest.MonkeyPatch
) -> None:
    await service.set_alert_thresholds(TENANT, ADMIN.actor, ["50"])
    read = service.account

    async def then_changed(tenant_id: str) -> AccountView:  # another admin, between read and write
        view = await read(tenant_id)
        await service.set_alert_thresholds(TENANT, ADMIN.actor, ["40"])
        return view

    monkeypatch.setattr(service, "account", then_changed)
    reply = await turn(client(service), "also alert me below $5")
    assert reply == (
        'The settings changed meanwhile, so no threshold was added. Say it again, e.g. "also '
        'alert me below $5".'
    )
    monkeypatch.undo()
    assert await thresholds(service) == usd("40")


@pytest.mark.parametrize(
    "text",
    [
        "set up alerts at 9am",
        "create an alert for 2 channels",
        "set up alerts for 19:abc channel",
        "add an alert for 3 people",
    ],
)
async def test_a_number_that_is_not_an_amount_adds_no_threshold(
    service: CreditsService, text: str
) -> None:
    assert parse_intent(text, USD, AmountLimits()).kind is not Kind.ALERT_THRESHOLDS
    await turn(client(service), text)
    assert await thresholds(service) == ()
    assert await audited(service) == 0


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("add a threshold", "en-US"),
        ("add an alert threshold", "en-US"),
        ("add another alert", "en-US"),
        ("thêm ngưỡng cảnh báo", VI),
        ("them nguong canh bao", VI),
    ],
)
async def test_adding_a_threshold_without_an_amount_asks_for_it(
    service: CreditsService, text: str, locale: str
) -> None:
    reply = await turn(client(service), text, locale)
    expected = {
        "en-US": 'Say the amount to add, e.g. "also alert me below $5"',
        VI: "Hãy nói số tiền của ngưỡng cần thêm",
    }
    assert reply.startswith(expected[locale]), reply
    assert "AdaptiveCard" not in reply  # not the add-funds form
    assert await thresholds(service) == ()


# --------------------------------------------------------------------------- where alerts go


async def _where(service: CreditsService, locale: str) -> str:
    return await turn(
        client(service), "alerts" if locale != VI else "cảnh báo gửi đến đâu?", locale
    )


EN, VN = 0, 1
CASES = {
    "nowhere": ("No conversation receives alerts.", "Không có cuộc trò chuyện nào nhận cảnh báo."),
    "admins": (
        "No channel or chat is subscribed to alerts, so they go to the 1:1 chat an admin has "
        "with the bot instead.",
        "nên cảnh báo được gửi vào cuộc trò chuyện riêng giữa bot và 1 người quản trị thanh toán.",
    ),
    "elsewhere": (
        "Alerts go to 1 other conversation, not here.",
        "Cảnh báo được gửi vào 1 cuộc trò chuyện khác, không gửi vào đây.",
    ),
    "here": ("Alerts go here. Low-balance alerts below", "Cảnh báo được gửi vào đây. Ngưỡng"),
    "both": (
        "Alerts go here and to 1 other conversation.",
        "Cảnh báo được gửi vào đây và vào 1 cuộc trò chuyện khác.",
    ),
    "waiting": (
        "Alerts go here. 2 alerts have not been delivered yet.",
        "Cảnh báo được gửi vào đây. 2 cảnh báo chưa được gửi.",
    ),
}
OTHER = {"conversation": {"id": "19:other@thread", "conversationType": "channel"}}


async def _arrange(service: CreditsService, case: str) -> None:
    if case == "admins":
        await service.grant_admin(TENANT, ADMIN.aad_object_id, ADMIN.name, ADMIN.actor)
        await service.remember_personal_chat(TENANT, ADMIN.aad_object_id, "a:1", {}, ADMIN.name)
    if case in ("elsewhere", "both"):
        await service.subscribe(TENANT, "19:other@thread", OTHER, ADMIN.actor)
    if case == "waiting":
        await put_alerts(service, [AlertKind.LOW_BALANCE, AlertKind.DEPLETED], tenant=TENANT)
    if case in ("here", "both", "waiting"):
        await turn(client(service), "send alerts here")


@pytest.mark.parametrize("case", list(CASES))
async def test_alerts_say_where_they_go_in_plain_words(service: CreditsService, case: str) -> None:
    await _arrange(service, case)
    english, vietnamese = await _where(service, "en-US"), await _where(service, VI)
    assert CASES[case][EN] in english, english
    assert CASES[case][VN] in vietnamese, vietnamese
    for reply in (english, vietnamese):
        assert "go not here" not in reply and "not delivered yet" not in reply
        assert ";" not in reply.split(". ")[0]  # no clause tacked on with a semicolon


@pytest.mark.parametrize("case", ["nowhere", "admins"])
async def test_where_alerts_go_asks_once_for_send_alerts_here(
    service: CreditsService, case: str
) -> None:
    await _arrange(service, case)
    english, vietnamese = await _where(service, "en-US"), await _where(service, VI)
    assert english.count('"send alerts here"') == 1, english
    assert vietnamese.count('"gửi cảnh báo vào đây"') == 1, vietnamese
    assert "alert me when below $50 and $20" in english


# --------------------------------------------------------------------------- money back


REFUNDS = [
    ("refund my last purchase", "en-US"),
    ("withdraw $50", "en-US"),
    ("give me my money back", "en-US"),
    ("I want my money back", "en-US"),
    ("cancel my last purchase", "en-US"),
    ("undo my last top-up", "en-US"),
    ("I want a refund", "en-US"),
    ("refund", "en-US"),
    ("hoàn tiền giao dịch gần nhất", VI),
    ("hoan tien giao dich gan nhat", VI),
    ("rút 50 đô", VI),
    ("trả lại tiền cho tôi", VI),
    ("tra lai tien cho toi", VI),
    ("hủy giao dịch mua gần nhất", VI),
    ("huy lan nap gan nhat", VI),
    ("tôi muốn lấy lại tiền", VI),
]


@pytest.mark.parametrize(("text", "locale"), REFUNDS)
@pytest.mark.parametrize("who", ["admin", "viewer"])
async def test_money_back_is_refused_saying_where_to_ask(
    service: CreditsService, text: str, locale: str, who: str
) -> None:
    await service.adjust(TENANT, "80", ADMIN.actor, "opening", "open")
    talk = client(service, ADMIN if who == "admin" else VIEWER)
    reply = await turn(talk, text, locale)
    expected: dict[str, Any] = {
        "en-US": ("cannot be withdrawn or refunded from chat", "Microsoft 365 admin center"),
        VI: ("Không thể rút hoặc hoàn lại tiền", "Trung tâm quản trị Microsoft 365"),
    }
    for part in expected[locale]:
        assert part in reply, reply
    assert "AdaptiveCard" not in reply  # no form, no confirm card
    assert (await service.account(TENANT)).balance == Money(Decimal("80"), USD)
    assert len((await service.history(TENANT)).entries) == 1


NOT_REFUNDS = [
    ("why was my recharge withdrawn", "en-US", Kind.RECHARGE),  # the recharge settings
    ("add credits back", "en-US", Kind.ADD_FUNDS),
    ("withdrawal history", "en-US", Kind.HISTORY),
    ("refund history", "en-US", Kind.HISTORY),
    ("show refunds", "en-US", Kind.HISTORY),
    ("withdrawals", "en-US", Kind.HISTORY),
    ("lịch sử hoàn tiền", VI, Kind.HISTORY),
    ("hủy nạp tiền tự động gần đây", VI, Kind.RECHARGE_OFF),
    ("huy nap tien tu dong gan day", VI, Kind.RECHARGE_OFF),
]


@pytest.mark.parametrize(("text", "locale", "kind"), NOT_REFUNDS)
async def test_questions_and_histories_are_not_a_refund(
    service: CreditsService, text: str, locale: str, kind: Kind
) -> None:
    intent = parse_intent(text, USD, AmountLimits())
    assert intent.kind is kind, (text, intent)
    if kind is Kind.HISTORY:
        assert intent.scope is HistoryScope.MONEY
    reply = await turn(client(service), text, locale)
    assert "refunded from chat" not in reply and "hoàn lại tiền qua" not in reply, reply


async def test_cancel_alone_is_still_the_cancel(service: CreditsService) -> None:
    talk = client(service)
    assert "nothing to cancel" in await turn(talk, "cancel")
    assert "Cancelled" in (await turn(talk, "add $50 credits") and await turn(talk, "cancel"))
    assert await turn(talk, "hủy giao dịch", VI) == "Không có gì để hủy."
