"""The account and form cards in Vietnamese: every word a user reads comes from the catalogue,
money, numbers and dates are Babel's for vi-VN, no English word is left, the help card's phrasings
are ones the Vietnamese intent parser reads, and every card stays valid Adaptive Card 1.5."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cards import (
    access_denied_card,
    add_funds_form,
    balance_card,
    confirm_funds_card,
    confirm_recharge_card,
    help_card,
    history_card,
    receipt_card,
    recharge_form,
    render_text,
    validate_card,
    welcome_card,
)
from cards import actions as act
from cards._elements import amount_range, example_amount, input_value, nodes
from cards.account import HELP_ROWS, alert_reach_text, runway_text
from credits import shown
from credits.i18n import Lang, speaking, t
from credits.models import (
    AUTO,
    EXPIRY,
    USAGE,
    AccountView,
    Actor,
    AlertReach,
    Entry,
    EntryKind,
    ExpiringFunds,
    FundingResult,
    HistoryPage,
    PaymentKind,
    PaymentStatus,
    PaymentView,
    RechargeSettings,
)
from credits.money import AmountLimits, Currency, Money, currency
from dialogs.intents import Kind, parse_intent

USD, JPY, BHD = currency("USD"), currency("JPY"), currency("BHD")
NOW = datetime(2026, 11, 24, 14, 5, 33, tzinfo=UTC)
ANA = Actor("aad-ana", "Ana Admin")
LIMITS = AmountLimits()
NBSP = "\xa0"

# Common English words that no Vietnamese card may show (none of them is a Vietnamese word).
# fmt: off
ENGLISH = frozenset((
    "the", "and", "balance", "add", "added", "when", "below", "recharge", "funds", "history",
    "alerts", "cancel", "confirm", "amount", "settings", "review", "show", "help", "turn",
    "off", "your", "you", "with", "from", "paid", "payment", "usage", "purchase", "expired",
    "older", "newest", "what", "day", "days", "hours", "activity", "runway", "monthly", "now",
    "after", "say", "available", "credits", "communications", "method", "reference", "every",
    "only", "yet", "tip", "auto", "is", "are", "of", "or", "for", "not", "nothing", "change",
    "changed", "pick", "times", "each", "this", "that", "already", "charged",
))
# fmt: on
_WORD = re.compile(r"[^\W\d_]+")


# --------------------------------------------------------------------------- views


def m(value: str, cur: Currency = USD) -> Money:
    return Money(Decimal(value), cur)


def settings(
    cur: Currency = USD, *, on: bool = True, paused: bool = False, cap: str | None = None
) -> RechargeSettings:
    return RechargeSettings(
        enabled=on,
        amount=m("100", cur) if on or paused else None,
        trigger=m("20", cur) if on or paused else None,
        paused=paused,
        consecutive_declines=3 if paused else 0,
        daily_limit=5,
        monthly_cap=m(cap, cur) if cap is not None else None,
    )


def payment(status: str = "succeeded", reason: str | None = None) -> PaymentView:
    return PaymentView(
        id=7,
        kind=PaymentKind.AUTO_RECHARGE,
        status=PaymentStatus(status),
        amount=m("100"),
        idempotency_key="pay-7",
        reason=reason,
        reference="sandbox-123",
        attempts=1,
        created_at=NOW - timedelta(days=2),
        updated_at=NOW - timedelta(days=2),
    )


def view(balance: str = "1000.50", cur: Currency = USD, **changes: Any) -> AccountView:
    base = AccountView(
        tenant_id="tenant-1",
        currency=cur,
        balance=m(balance, cur),
        version=3,
        recharge=settings(cur),
        last_recharge=None,
        recharge_in_progress=False,
        daily_burn=m("5", cur),
        runway_days=None,
        expiring=None,
        thresholds=(m("20", cur),),
        effective_thresholds=(m("20", cur),),
        last_seq=40,
    )
    return replace(base, **changes)


def entry(seq: int, kind: EntryKind, amount: str, after: str, actor: Actor, reason: str) -> Entry:
    at = NOW - timedelta(minutes=seq)
    return Entry(
        seq=seq,
        kind=kind,
        amount=m(amount),
        balance_after=m(after),
        actor=actor,
        reason=reason,
        idempotency_key=f"key-{seq}",
        occurred_at=at,
        created_at=at,
    )


def page(next_before: int | None = 31) -> HistoryPage:
    """Entries as the domain stores them (English), which the card shows in the language."""
    call = shown.stored(shown.CALL_TO, kind="PSTN", minutes=3, where="+84 24", id="c-1")
    expired = shown.stored(shown.EXPIRED, date="2025-11-24")
    return HistoryPage(
        entries=(
            entry(40, EntryKind.USAGE, "-3.20", "1000.50", USAGE, call),
            entry(39, EntryKind.AUTO_RECHARGE, "100", "1003.70", AUTO, shown.AUTO_RECHARGE),
            entry(38, EntryKind.FUNDING, "1000", "903.70", ANA, shown.PURCHASE),
            entry(37, EntryKind.EXPIRY, "-4", "-96.30", EXPIRY, expired),
            entry(36, EntryKind.ADJUSTMENT, "-2", "-92.30", ANA, "điều chỉnh sai sót"),
        ),
        next_before=next_before,
    )


def receipt(replayed: bool = False, balance: str = "1050.50") -> FundingResult:
    e = entry(41, EntryKind.FUNDING, "50", balance, ANA, shown.PURCHASE)
    return FundingResult(entry=e, balance=m(balance), replayed=replayed, payment=payment())


def reach(conversations: int, chats: int, waiting: int) -> AlertReach:
    return AlertReach(conversations, chats, waiting, timedelta(hours=36))


def every_card() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each card of cards/account.py and cards/forms.py, in its states, in the current language.
    The texts a dialog passes in (an error, a refusal) are given in Vietnamese."""
    full = view(
        last_recharge=payment(),
        runway_days=Decimal("12.4"),
        expiring=ExpiringFunds(m("30"), NOW + timedelta(days=9)),
        recharge_in_progress=True,
        recharge=settings(cap="500"),
        alerts=reach(2, 0, 1),
    )
    yield "welcome admin", welcome_card(True)
    yield "welcome reader", welcome_card(False)
    yield "help", help_card()
    yield "balance full", balance_card(full, True)
    yield "balance reader", balance_card(view(alerts=reach(0, 2, 1)), False)
    declined = payment("declined", shown.stored(shown.SANDBOX_DECLINED))
    paused = view(recharge=settings(paused=True), last_recharge=declined, alerts=reach(0, 0, 1))
    yield "balance paused", balance_card(paused, True)
    low = view("-3.25", recharge=settings(on=False), runway_days=Decimal("0.4"))
    yield "balance depleted", balance_card(low, True)
    yield "balance below", balance_card(view("12", alerts=reach(0, 0, 0)), True)
    yield "history", history_card(page(), view())
    yield "history older", history_card(page(None), view(last_seq=60))
    yield "history empty", history_card(HistoryPage((), None), view("0"))
    yield "denied", access_denied_card("Chỉ Người quản trị thanh toán mới có thể nạp tiền.")
    yield "add funds", add_funds_form(USD, LIMITS, [m("25"), m("50"), m("1000.50")])
    yield "add funds error", add_funds_form(USD, LIMITS, [], "Số tiền phải lớn hơn 0.", "0")
    yield "confirm funds", confirm_funds_card(view(recharge_in_progress=True), m("50"), "k1")
    yield "receipt", receipt_card(receipt(), view(recharge=settings(on=False)))
    yield "receipt replayed", receipt_card(receipt(True, "-1"), view())
    yield "recharge form", recharge_form(view(recharge=settings(cap="500")))
    yield "recharge form paused", recharge_form(view(recharge=settings(paused=True)), "Lỗi")
    yield (
        "recharge on",
        confirm_recharge_card(
            view("5", recharge=settings(on=False)), True, m("100"), m("20"), "k2"
        ),
    )
    yield "recharge change", confirm_recharge_card(view(), True, m("150"), None, "k3")
    yield (
        "recharge back on",
        confirm_recharge_card(view(recharge=settings(paused=True)), True, None, None, "k4"),
    )
    yield "recharge off", confirm_recharge_card(view(), False, None, None, "k5")


# --------------------------------------------------------------------------- reading a card


def visible(card: dict[str, Any]) -> list[str]:
    """Every string a user reads on the card: TextBlock and rich text, fact titles and values,
    button titles, input labels, placeholders, toggle titles, error messages and choices."""
    found: list[str] = []
    for node in nodes(card):
        kind = str(node.get("type", ""))
        if kind == "TextBlock":
            found.append(node["text"])
        elif kind == "RichTextBlock":
            found += [r if isinstance(r, str) else r.get("text", "") for r in node["inlines"]]
        elif kind == "FactSet":
            found += [part for fact in node["facts"] for part in (fact["title"], fact["value"])]
        elif kind.startswith("Action."):
            found.append(node["title"])
        elif kind.startswith("Input."):
            for key in ("label", "placeholder", "title", "errorMessage"):
                if isinstance(node.get(key), str):
                    found.append(node[key])
            found += [choice["title"] for choice in node.get("choices", [])]
    return [text for text in found if text]


def english_in(card: dict[str, Any]) -> set[str]:
    """The common English words the card shows."""
    return {w.lower() for text in visible(card) for w in _WORD.findall(text)} & ENGLISH


def shown_text(card: dict[str, Any]) -> str:
    return "\n".join(visible(card))


def facts(card: dict[str, Any]) -> dict[str, str]:
    return {
        f["title"]: f["value"]
        for n in nodes(card)
        if n.get("type") == "FactSet"
        for f in n["facts"]
    }


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    found = [
        n for n in nodes(card) if str(n.get("type")).startswith("Action.") and n["title"] == title
    ]
    assert len(found) == 1, [n.get("title") for n in nodes(card)]
    return found[0]


def field(card: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(n for n in nodes(card) if n.get("id") == ident)


def vi(build: Callable[[], Any]) -> Any:
    with speaking(Lang.VI):
        return build()


# --------------------------------------------------------------------------- every card


def test_no_english_word_on_any_card_in_vietnamese_and_all_stay_valid() -> None:
    with speaking(Lang.VI):
        built = list(every_card())
    for name, card in built:
        assert validate_card(card) == [], name
        assert english_in(card) == set(), (name, english_in(card), visible(card))
        assert render_text(card).render().strip()


def test_the_checker_finds_english_on_every_english_card() -> None:
    with speaking(Lang.EN):
        built = list(every_card())
    for name, card in built:
        assert validate_card(card) == [], name
        assert english_in(card), (name, visible(card))


def test_data_values_stay_machine_values() -> None:
    """Only what is shown is Vietnamese: verbs and data are the same in both languages, but for
    a form's Review button, whose ``lang`` says the form was written in Vietnamese (an English
    form carries none, as every form did before)."""

    def data(built: list[tuple[str, dict[str, Any]]]) -> list[tuple[Any, ...]]:
        return [
            (name, n.get("verb"), n.get("data"), n.get("id"), n.get("valueOn"))
            for name, card in built
            for n in nodes(card)
            if "data" in n or "id" in n
        ]

    def sans_lang(found: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [
            (name, verb, {k: v for k, v in (d or {}).items() if k != "lang"}, id_, on)
            for name, verb, d, id_, on in found
        ]

    with speaking(Lang.EN):
        english = data(list(every_card()))
    with speaking(Lang.VI):
        vietnamese = data(list(every_card()))
    assert sans_lang(english) == sans_lang(vietnamese)
    assert not [d for _n, _v, d, _i, _o in english if "lang" in (d or {})]  # English: none
    tagged = [(name, verb, d) for name, verb, d, _i, _o in vietnamese if "lang" in (d or {})]
    assert {name for name, _v, _d in tagged} == {
        "add funds",
        "add funds error",
        "recharge form",
        "recharge form paused",
    }
    for _name, verb, d in tagged:  # only each form's own Review button
        assert verb in {act.ADD_FUNDS_REVIEW, act.RECHARGE_REVIEW}
        assert d == {"verb": verb, "lang": "vi"}


# --------------------------------------------------------------------------- content


def test_welcome_and_help_speak_vietnamese() -> None:
    welcome = vi(lambda: welcome_card(True))
    assert welcome["body"][0]["text"] == "Tín dụng Liên lạc"
    assert '- "nạp 50 đô" để nạp tiền vào Tín dụng Liên lạc' in shown_text(welcome)
    assert [b["title"] for b in welcome["actions"]] == [
        "Xem số dư",
        "Nạp tiền",
        "Cài đặt nạp tiền tự động",
        "Trợ giúp",
    ]
    reader = vi(lambda: welcome_card(False))
    assert "Chỉ người quản trị thanh toán" in shown_text(reader)
    help_ = vi(help_card)
    assert help_["body"][0]["text"] == "Bạn có thể nói"
    rows = facts(help_)
    for phrase in (
        '"xem số dư"',
        '"nạp 50 đô"',
        '"tự động nạp 100 đô khi số dư dưới 20 đô"',
        '"tắt nạp tiền tự động"',
        '"cài đặt tự động nạp"',
        '"lịch sử"',
        '"gửi cảnh báo vào đây / dừng cảnh báo ở đây"',
        '"hủy"',
    ):
        assert phrase in rows


def test_balance_card_in_vietnamese() -> None:
    full = view(
        last_recharge=payment(),
        runway_days=Decimal("12.4"),
        expiring=ExpiringFunds(m("30"), NOW + timedelta(days=9)),
        recharge_in_progress=True,
        recharge=settings(cap="500"),
        alerts=reach(2, 0, 1),
    )
    card = vi(lambda: balance_card(full, True))
    big = next(n for n in nodes(card) if n.get("size") == "ExtraLarge")
    assert big["text"] == f"1.000,50{NBSP}US$"
    assert facts(card) == {
        "Tự động nạp tiền": (
            f"Đang bật, nạp 100,00{NBSP}US$ khi số dư giảm xuống dưới 20,00{NBSP}US$"
        ),
        "Giới hạn hằng tháng": f"500,00{NBSP}US$",
        "Lần nạp gần nhất": f"Đã nạp 100,00{NBSP}US$, 14:05 UTC, 22 thg 11, 2026",
        "Đủ dùng": f"khoảng 12 ngày, với 5,00{NBSP}US$/ngày",
        "Tiền sắp hết hạn": f"30,00{NBSP}US$, hết hạn sớm nhất vào 3 thg 12, 2026",
        "Cảnh báo": "Gửi vào 2 cuộc trò chuyện, 1 cảnh báo chưa được gửi",
    }
    assert [b["title"] for b in card["actions"]] == [
        "Nạp tiền",
        "Cài đặt nạp tiền tự động",
        "Lịch sử giao dịch",
    ]
    declined = payment("declined", shown.stored(shown.SANDBOX_DECLINED))
    paused = vi(
        lambda: balance_card(view(recharge=settings(paused=True), last_recharge=declined), True)
    )
    assert facts(paused)["Tự động nạp tiền"] == "Tạm dừng (sau 3 lần thanh toán bị từ chối)"
    assert facts(paused)["Lần nạp gần nhất"].startswith(f"Thanh toán 100,00{NBSP}US$ bị từ chối, ")
    assert "Bật lại" in shown_text(paused) or "bật lại" in shown_text(paused)
    low = vi(
        lambda: balance_card(
            view("-3.25", recharge=settings(on=False), runway_days=Decimal("0.4")), True
        )
    )
    assert facts(low)["Tự động nạp tiền"] == "Tắt"
    assert facts(low)["Đủ dùng"] == f"chưa đến 1 ngày, với 5,00{NBSP}US$/ngày"
    assert f"-3,25{NBSP}US$" in shown_text(low) and "Đã dùng hết số dư" in shown_text(low)


def test_runway_and_alert_reach_in_vietnamese() -> None:
    with speaking(Lang.VI):
        assert (
            runway_text(Decimal("1"), m("1.005", BHD)) == f"khoảng 1 ngày, với 1,005{NBSP}BHD/ngày"
        )
        assert (
            runway_text(Decimal("1234.4"), m("2")) == f"khoảng 1.234 ngày, với 2,00{NBSP}US$/ngày"
        )
        one = alert_reach_text(reach(0, 0, 1))
        fallback = alert_reach_text(reach(0, 2, 0))
        posted = alert_reach_text(reach(3, 0, 1200))
    assert one == (
        "Không có cuộc trò chuyện nào nhận cảnh báo, nên 1 cảnh báo đang chờ gửi. Hãy nói "
        '"gửi cảnh báo vào đây" ở nơi bạn muốn nhận cảnh báo; cảnh báo chờ quá 36 giờ sẽ bị '
        "loại bỏ."
    )
    assert "2 người quản trị thanh toán" in fallback and '"gửi cảnh báo vào đây"' in fallback
    assert posted == "Cảnh báo được gửi vào 3 cuộc trò chuyện. 1.200 cảnh báo chưa được gửi."
    for said in (one, fallback, posted):
        assert not {w.lower() for w in _WORD.findall(said)} & ENGLISH


def test_history_in_vietnamese() -> None:
    card = vi(lambda: history_card(page(), view()))
    assert card["body"][0]["text"] == "Lịch sử giao dịch"
    text = render_text(card).render()
    assert "Thời gian | Nội dung | Số tiền | Số dư" in text
    for label in ("Nạp tiền", "Tự động nạp", "Sử dụng", "Hết hạn", "Điều chỉnh"):
        assert label in text
    assert f"24 thg 11, 2026 | Điều chỉnh · điều chỉnh sai sót · Ana Admin | -2,00{NBSP}US$" in text
    assert f"+1.000,00{NBSP}US$" in text and f"-96,30{NBSP}US$" in text
    assert "Thời gian theo UTC" in text
    assert button(card, "Cũ hơn")["data"] == {"verb": act.HISTORY, "before": 31}
    newest = vi(lambda: history_card(page(None), view(last_seq=60)))
    assert button(newest, "Mới nhất")["data"] == {"verb": act.HISTORY}
    empty = vi(lambda: history_card(HistoryPage((), None), view("0")))
    assert "Chưa có giao dịch nào." in shown_text(empty)


def test_add_funds_form_in_vietnamese() -> None:
    card = vi(lambda: add_funds_form(USD, LIMITS, [m("50"), m("1000.50")]))
    amount = field(card, "amount")
    assert amount["label"] == f"Số tiền (từ 10,00{NBSP}US$ đến 10.000,00{NBSP}US$)"
    assert amount["placeholder"] == "ví dụ 50 hoặc 1.000,50"
    quick = button(card, f"1.000,50{NBSP}US$")
    assert quick["data"] == {"verb": act.ADD_FUNDS_REVIEW, "amount": "1000.50"}  # machine value
    assert [b["title"] for b in card["actions"]] == ["Xem lại", "Hủy"]
    assert "phương thức thanh toán đã lưu" in shown_text(card)
    confirm = vi(lambda: confirm_funds_card(view("12.5"), m("50"), "k1"))
    assert confirm["body"][0]["text"] == f"Nạp 50,00{NBSP}US$ vào Tín dụng Liên lạc của bạn?"
    assert facts(confirm) == {
        "Số dư hiện tại": f"12,50{NBSP}US$",
        "Số tiền": f"50,00{NBSP}US$",
        "Số dư sau khi nạp": f"62,50{NBSP}US$",
        "Thanh toán bằng": "phương thức thanh toán đã lưu",
    }
    assert button(confirm, "Xác nhận")["data"]["amount"] == "50.00"
    assert button(confirm, "Hủy")["data"] == {"verb": act.CANCEL, "request": "k1"}


def test_receipt_in_vietnamese() -> None:
    card = vi(lambda: receipt_card(receipt(), view(recharge=settings(on=False))))
    assert card["body"][0]["text"] == f"Đã nạp 50,00{NBSP}US$"
    assert facts(card) == {
        "Số dư mới": f"1.050,50{NBSP}US$",
        "Người nạp": "Ana Admin",
        "Thời gian": "13:24 UTC, 24 thg 11, 2026",
        "Mã tham chiếu thanh toán": "sandbox-123",
    }
    assert 'Mẹo: hãy nói "tự động nạp 100 đô khi số dư dưới 20 đô"' in shown_text(card)
    assert [b["title"] for b in card["actions"]] == ["Xem số dư", "Lịch sử giao dịch"]
    again = vi(lambda: receipt_card(receipt(True), view()))
    assert "không có khoản nào bị tính phí hai lần" in shown_text(again)


def test_recharge_cards_in_vietnamese() -> None:
    form = vi(lambda: recharge_form(view(recharge=settings(cap="500"))))
    assert form["body"][0]["text"] == "Cài đặt nạp tiền tự động"
    assert f"tối đa 5 lần mỗi ngày và 500,00{NBSP}US$ mỗi tháng." in shown_text(form)
    assert field(form, "recharge_enabled")["title"] == "Bật tự động nạp tiền"
    amount, trigger = field(form, "recharge_amount"), field(form, "recharge_trigger")
    assert amount["label"] == f"Số tiền mỗi lần nạp (từ 10,00{NBSP}US$ đến 10.000,00{NBSP}US$)"
    assert trigger["label"] == "Khi số dư giảm xuống dưới (USD)"
    assert (amount["placeholder"], trigger["placeholder"]) == (
        "ví dụ 100 hoặc 1.000,50",
        "ví dụ 20 hoặc 1.000,50",
    )
    assert (amount["value"], trigger["value"]) == ("100,00", "20,00")  # as typed in vi-VN
    on = vi(
        lambda: confirm_recharge_card(
            view("5", recharge=settings(on=False)), True, m("100"), m("20"), "k2"
        )
    )
    assert on["body"][0]["text"] == "Bật tự động nạp tiền?"
    assert facts(on)["Hiện tại"] == "Tắt"
    assert facts(on)["Sau thay đổi"] == (
        f"Nạp 100,00{NBSP}US$ mỗi khi số dư giảm xuống dưới 20,00{NBSP}US$"
    )
    assert button(on, "Xác nhận")["data"]["amount"] == "100.00"  # machine value
    assert button(on, "Xác nhận")["data"]["trigger"] == "20.00"
    off = vi(lambda: confirm_recharge_card(view(), False, None, None, "k5"))
    assert off["body"][0]["text"] == "Tắt tự động nạp tiền?"
    change = vi(lambda: confirm_recharge_card(view(), True, m("150"), None, "k3"))
    assert change["body"][0]["text"] == "Thay đổi tự động nạp tiền?"


def test_amounts_for_inputs_follow_the_language() -> None:
    jpy = AmountLimits(Decimal(1000), Decimal(100000))
    with speaking(Lang.VI):
        assert amount_range(LIMITS, BHD) == f"từ 10,000{NBSP}BHD đến 10.000,000{NBSP}BHD"
        assert example_amount(JPY, jpy, 50) == "ví dụ 1.000"  # one example is enough
        assert example_amount(JPY, LIMITS, 50) == "ví dụ 50 hoặc 1.000"
        assert example_amount(BHD, LIMITS, 50) == "ví dụ 50 hoặc 1.000,500"
        assert example_amount(USD, AmountLimits(Decimal(1), Decimal(500)), 50) == "ví dụ 50"
        assert input_value(m("1000.5")) == "1000,50"
        assert input_value(m("12.345", BHD)) == "12,345"
        assert input_value(None) == ""
    assert example_amount(JPY, jpy, 50) == "e.g. 1,000"
    assert input_value(m("1000.5")) == "1000.50"


def test_text_rendering_in_vietnamese() -> None:
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [{"type": "Image", "url": "https://example.com/a.png", "altText": "biểu đồ"}],
        "actions": [],
    }
    assert vi(lambda: render_text(card).lines) == ["[hình ảnh: biểu đồ]"]
    assert render_text(card).lines == ["[image: biểu đồ]"]
    out = vi(lambda: render_text(confirm_funds_card(view("12.5"), m("50"), "k1")).render())
    assert out.splitlines()[-1] == "[1] Xác nhận  [2] Hủy"
    assert f"Số dư hiện tại:    12,50{NBSP}US$" in out


# --------------------------------------------------------------------------- help phrasings


EXPECTED: dict[str, tuple[Kind, ...]] = {
    '"balance"': (Kind.BALANCE,),
    '"add $50 credits"': (Kind.ADD_FUNDS,),
    '"set auto-recharge to $100 when below $20"': (Kind.RECHARGE,),
    '"turn off auto-recharge"': (Kind.RECHARGE_OFF,),
    '"recharge settings"': (Kind.RECHARGE_SETTINGS,),
    '"recharge limits / at most 3 recharges a day"': (Kind.CAPS_SHOW, Kind.CAPS),
    '"admins / make @Ada an admin"': (Kind.ADMINS, Kind.ADMIN_GRANT),
    '"history"': (Kind.HISTORY,),
    '"history settings / transactions"': (Kind.HISTORY, Kind.HISTORY),
    '"statement for November / receipt 42"': (Kind.STATEMENT, Kind.RECEIPT),
    '"usage / top callers"': (Kind.USAGE_REPORT, Kind.USAGE_REPORT),
    '"connect usage / usage status"': (Kind.USAGE_CONNECT, Kind.USAGE_STATUS),
    '"send alerts here / stop alerts here"': (Kind.ALERTS_HERE, Kind.ALERTS_STOP),
    '"cancel"': (Kind.CANCEL,),
}


def phrases(say: str) -> list[str]:
    """The phrasings of one help row: its quotes removed, split at " / "."""
    return [part.strip() for part in t(say).strip('"').split(" / ")]


def help_cases(lang: Lang) -> list[tuple[str, Kind]]:
    with speaking(lang):
        rows = [(say, phrases(say)) for say, _meaning in HELP_ROWS]
    assert [say for say, _ in rows] == list(EXPECTED)
    return [(p, kind) for say, said in rows for p, kind in zip(said, EXPECTED[say], strict=True)]


@pytest.mark.parametrize(("phrase", "kind"), help_cases(Lang.EN))
def test_every_english_help_phrase_parses(phrase: str, kind: Kind) -> None:
    assert parse_intent(phrase, USD, LIMITS).kind == kind


@pytest.mark.parametrize(("phrase", "kind"), help_cases(Lang.VI))
def test_every_vietnamese_help_phrase_parses(phrase: str, kind: Kind) -> None:
    with speaking(Lang.VI):
        intent = parse_intent(phrase, USD, LIMITS, lang=Lang.VI)
    assert intent.kind == kind, phrase
    assert intent.error is None
    if kind == Kind.ADD_FUNDS:
        assert intent.amount == m("50")
    if kind == Kind.RECHARGE:
        assert (intent.amount, intent.trigger) == (m("100"), m("20"))


def quoted(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


def test_the_phrases_the_other_cards_suggest_parse_too() -> None:
    """The welcome card, the receipt's tip and the alert lines quote phrasings as well."""
    with speaking(Lang.VI):
        said = shown_text(welcome_card(True))
        said += shown_text(receipt_card(receipt(), view(recharge=settings(on=False))))
        said += alert_reach_text(reach(0, 0, 1))
        found = {phrase: parse_intent(phrase, USD, LIMITS, lang=Lang.VI) for phrase in quoted(said)}
    assert {p: i.kind for p, i in found.items()} == {
        "xem số dư": Kind.BALANCE,
        "nạp 50 đô": Kind.ADD_FUNDS,
        "tự động nạp 100 đô khi số dư dưới 20 đô": Kind.RECHARGE,
        "lịch sử": Kind.HISTORY,
        "trợ giúp": Kind.HELP,
        "gửi cảnh báo vào đây": Kind.ALERTS_HERE,
    }
