"""Alert, usage and usage-source cards in Vietnamese: every word a user reads comes from the
catalogue, money, numbers and dates from Babel, and no English word is left in what the card
shows (its TextBlocks, fact titles and values, and button titles)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from cards import alert_card, coalesced_card, validate_card
from cards._elements import nodes
from cards.usage import period_title, usage_card
from cards.usage_source import ConnectView, StatusView, connect_card, status_card
from credits.alert_payloads import read_payload
from credits.graph_problems import SourceProblem
from credits.i18n import Lang, speaking
from credits.models import Alert, AlertKind, AlertStatus
from credits.money import Money, currency
from credits.sources import PullCounts, UsageSource
from credits.usage_report import Others, Period, UsageBreakdown, UsageLine, UsageSummary

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
USD = currency("USD")
NBSP = "\xa0"

ENGLISH = frozenset(
    re.findall(
        r"\w+",
        """the and balance below recharge funds alert alerts usage calls call when spend spent
    add added show history settings auto last hour usual days day paused pause failed declined
    credits communications connect connected check now pull pulling caller callers destination
    destinations minutes min unknown others month of was is expire expiring soon low new reason
    top lasts about grant permission refresh not yet stopped fraud toll after turn back on off
    payment method fell running used up will run out what happened most serious first read
    from records per rounded recorded by some only few daily spend""",
    )
)
# names a Vietnamese card keeps as they are: products, a permission, a command
KEPT = (
    "Microsoft Graph",
    "Microsoft 365",
    "Microsoft",
    "CallRecords.Read.All",
    "credits-bot usage import",
)


def visible(card: dict[str, Any]) -> list[str]:
    """What a person reads on a card: TextBlocks, fact titles and values, button titles, input
    labels and placeholders."""
    shown: list[str] = []
    for node in nodes(card):
        kind = str(node.get("type", ""))
        if kind == "TextBlock":
            shown.append(node["text"])
        elif kind == "FactSet":
            shown += [part for fact in node["facts"] for part in (fact["title"], fact["value"])]
        elif kind.startswith("Action."):
            shown.append(node["title"])
        elif kind.startswith("Input."):
            shown += [node[key] for key in ("label", "placeholder") if key in node]
    return shown


def english_words(card: dict[str, Any], *data: str) -> set[str]:
    """The common English words a card shows, leaving out kept names and the given data (names,
    a provider's words) that the card shows as they are."""
    found: set[str] = set()
    for piece in visible(card):
        for kept in (*data, *KEPT):
            piece = piece.replace(kept, " ")
        found |= {w for w in re.findall(r"[^\W\d_]+", piece.lower()) if w in ENGLISH}
    return found


def shown(card: dict[str, Any]) -> str:
    return "\n".join(visible(card))


def alert(kind: AlertKind, n: int = 1, **payload: Any) -> Alert:
    full = {"tenant_id": "t1", "currency": "USD", "balance_minor": 1500, **payload}
    return Alert(
        id=n,
        tenant_id="t1",
        kind=kind,
        dedupe_key=f"{kind}:{n}",
        payload=read_payload(kind, full),
        status=AlertStatus.CLAIMED,
        attempts=1,
        created_at=NOW + timedelta(seconds=n),
    )


SHARES = {
    "top_callers": [
        {"name": "Nguyễn Văn An", "spend_minor": 5000, "calls": 4},
        {"name": "Trần Thị Bình", "spend_minor": 2000, "calls": 1},
    ],
    "top_destinations": [{"name": "Hoa Kỳ", "spend_minor": 7000, "calls": 5}],
    "recharge_on": True,
}
EXAMPLES: dict[AlertKind, dict[str, Any]] = {
    AlertKind.LOW_BALANCE: {"threshold_minor": 5000, "cause": "usage", "seq": 3},
    AlertKind.DEPLETED: {"balance_minor": -250, "cause": "usage", "seq": 4},
    AlertKind.RECHARGE_SUCCEEDED: {"amount_minor": 100050, "balance_minor": 101550},
    AlertKind.RECHARGE_FAILED: {"amount_minor": 10000, "reason": "declined", "payment_id": 2},
    AlertKind.RECHARGE_PAUSED: {
        "amount_minor": 10000,
        "reason": "card declined by the issuer (sandbox)",
        "consecutive_declines": 3,
    },
    AlertKind.FUNDS_EXPIRING: {"amount_minor": 4250, "expires_at": "2026-11-24T10:00:00+00:00"},
    AlertKind.RUNWAY_LOW: {"runway_days": "12", "daily_burn_minor": "500"},
    AlertKind.UNUSUAL_SPEND: {"last_hour_minor": 9000, "usual_hour_minor": "120.5", **SHARES},
}
SAYS: dict[AlertKind, tuple[str, ...]] = {
    AlertKind.LOW_BALANCE: ("Số dư thấp", "Ngưỡng cảnh báo", f"50,00{NBSP}US$", "Nạp tiền"),
    AlertKind.DEPLETED: ("Đã dùng hết số dư", "số miễn phí", "Hội thảo Âm thanh", "-2,50"),
    AlertKind.RECHARGE_SUCCEEDED: ("Tự động nạp tiền", f"Đã nạp 1.000,50{NBSP}US$", "Số dư mới"),
    AlertKind.RECHARGE_FAILED: ("bị từ chối", "Lý do", "Cài đặt nạp tiền tự động"),
    AlertKind.RECHARGE_PAUSED: (
        "Tự động nạp tiền đã tạm dừng",
        "sau 3 lần thanh toán bị từ chối",
        "Bật lại tự động nạp tiền",
        "thẻ bị ngân hàng phát hành từ chối",
    ),
    AlertKind.FUNDS_EXPIRING: ("Tiền sắp hết hạn", "Hết hạn sớm nhất", "24 thg 11, 2026"),
    AlertKind.RUNWAY_LOW: ("Đủ dùng", "khoảng 12 ngày", f"5,00{NBSP}US$/ngày", "Chi tiêu mỗi ngày"),
    AlertKind.UNUSUAL_SPEND: (
        "Chi tiêu bất thường",
        "gian lận cước",
        "Giờ vừa qua",
        "Một giờ thông thường",
        f"1,21{NBSP}US$",
        "(4 cuộc gọi)",
        "Tạm dừng tự động nạp tiền",
        "Xem số dư",
    ),
}
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Hoa Kỳ")


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_alert_card_in_vietnamese(kind: AlertKind) -> None:
    with speaking(Lang.VI):
        card = alert_card(alert(kind, **EXAMPLES[kind]))
    assert validate_card(card) == []
    for words in SAYS[kind]:
        assert words in shown(card), (kind, words, shown(card))
    assert english_words(card, *NAMES) == set(), shown(card)


@pytest.mark.parametrize("kind", list(AlertKind))
def test_the_english_word_check_finds_english(kind: AlertKind) -> None:
    """The same card in English: the check is not blind."""
    with speaking(Lang.EN):
        card = alert_card(alert(kind, **EXAMPLES[kind]))
    assert len(english_words(card, *NAMES)) >= 3, shown(card)


@pytest.mark.parametrize("kind", list(AlertKind))
def test_alert_cards_without_details_stay_vietnamese(kind: AlertKind) -> None:
    """A payload with nothing but the balance (or nothing readable) picks the sentences that
    leave the detail out: they are Vietnamese too."""
    nothing: dict[str, Any] = {}
    malformed: dict[str, Any] = {"balance_minor": "lots", "currency": "nope", "reason": 7}
    for payload in (nothing, malformed):
        with speaking(Lang.VI):
            card = alert_card(alert(kind, **payload))
        assert validate_card(card) == []
        assert english_words(card) == set(), shown(card)


def test_known_reasons_are_said_again_in_vietnamese() -> None:
    capped = {"amount_minor": 10000, "capped": True}
    cases = {
        "the daily limit of 3 recharges was reached": "tối đa 3 lần nạp mỗi ngày",
        "the monthly cap of $1,500.00 would be exceeded": f"giới hạn hằng tháng 1.500,00{NBSP}US$",
        "the payment has not settled for 1440 minutes; check with the payment provider before "
        "retrying": "chưa hoàn tất sau 1.440 phút",
    }
    for reason, said in cases.items():
        with speaking(Lang.VI):
            card = alert_card(alert(AlertKind.RECHARGE_FAILED, reason=reason, **capped))
        assert said in shown(card) and english_words(card) == set(), shown(card)
        with speaking(Lang.EN):
            assert reason in shown(alert_card(alert(AlertKind.RECHARGE_FAILED, reason=reason)))


def test_a_providers_own_words_are_shown_as_written() -> None:
    with speaking(Lang.VI):
        card = alert_card(alert(AlertKind.RECHARGE_FAILED, reason="insufficient funds"))
    assert "insufficient funds" in shown(card)
    assert english_words(card, "insufficient funds") == set()


def test_unusual_spend_without_amounts_in_vietnamese() -> None:
    with speaking(Lang.VI):
        card = alert_card(alert(AlertKind.UNUSUAL_SPEND, recharge_on=False, top_callers=[]))
        summary = coalesced_card(
            [alert(AlertKind.UNUSUAL_SPEND, 1, **SHARES), alert(AlertKind.DEPLETED, 2)]
        )
    assert "Cao hơn nhiều so với bình thường" in shown(card)
    assert "Tự động nạp tiền đang tắt" in shown(card)
    assert "nhiều nhất là Nguyễn Văn An" in shown(summary)
    assert english_words(card) == set() and english_words(summary, *NAMES) == set()


def test_coalesced_card_in_vietnamese() -> None:
    burst = [
        alert(AlertKind.LOW_BALANCE, 1, threshold_minor=5000, balance_minor=4000),
        alert(AlertKind.UNUSUAL_SPEND, 2, last_hour_minor=9000, usual_hour_minor="100"),
        alert(AlertKind.DEPLETED, 3, balance_minor=-300),
        alert(AlertKind.RECHARGE_PAUSED, 4, balance_minor=-500, consecutive_declines=3),
        alert(
            AlertKind.FUNDS_EXPIRING, 5, balance_minor=-500, **EXAMPLES[AlertKind.FUNDS_EXPIRING]
        ),
    ]
    with speaking(Lang.VI):
        card = coalesced_card(burst)
    assert validate_card(card) == []
    text = shown(card)
    assert "Tín dụng Liên lạc: 5 cảnh báo" in text
    assert "Số dư hiện tại" in text and f"-5,00{NBSP}US$" in text
    lines = [b["text"] for b in card["body"] if str(b.get("text", "")).startswith("- ")]
    assert lines[0].startswith("- Đã dùng hết số dư") and "Chi tiêu bất thường" in lines[1]
    assert "24 thg 11, 2026" in lines[-1]
    assert "gian lận cước" in text and "Bật lại tự động nạp tiền" in text
    assert english_words(card) == set(), text
    with speaking(Lang.EN):
        assert len(english_words(coalesced_card(burst))) >= 5


def test_other_currencies_in_vietnamese() -> None:
    with speaking(Lang.VI):
        card = alert_card(
            alert(
                AlertKind.LOW_BALANCE, currency="VND", balance_minor=150000, threshold_minor=1000000
            )
        )
    assert f"1.000.000{NBSP}₫" in shown(card) and f"150.000{NBSP}₫" in shown(card)


# --------------------------------------------------------------------------- usage


def usd(value: str) -> Money:
    return Money(Decimal(value), USD)


def line(name: str | None, detail: str | None, calls: int, minutes: int, spend: str) -> UsageLine:
    return UsageLine(name, detail, calls, minutes, usd(spend))


def summary(empty_week: bool = False) -> UsageSummary:
    month = UsageBreakdown(
        Period.month_of(NOW),
        1234,
        5678,
        usd("1000.50"),
        (line("Nguyễn Văn An", "an@contoso.vn", 1, 2, "3.00"), line(None, None, 2, 4, "1.50")),
        (line("Hoa Kỳ", "International", 2, 6, "1.50"), line("Domestic", None, 1, 1, "0.10")),
        Others(1, 1, 1, usd("1.00")),
        Others(2, 2, 2, usd("1.00")),
    )
    week = (
        UsageBreakdown(Period.last_days(NOW, 7), 0, 0, usd("0"), (), (), None, None)
        if empty_week
        else month
    )
    return UsageSummary("t1", USD, NOW, month, week)


def test_usage_card_in_vietnamese() -> None:
    with speaking(Lang.VI):
        card = usage_card(summary(empty_week=True))
        assert period_title(Period.last_days(NOW, 7)) == "7 ngày qua"
    assert validate_card(card) == []
    text = shown(card)
    for words in (
        "Cuộc gọi và chi tiêu",
        "Tháng 11 năm 2026",
        "09:30 UTC, 20 thg 11, 2026",
        f"1.000,50{NBSP}US$",
        "1.234",
        "5.678",
        "1 cuộc gọi · 2 phút",
        "Người gọi không xác định",
        "Quốc tế",
        "Trong nước",
        "Người gọi khác (1 người)",
        "Nơi gọi đến khác (2 nơi)",
        "Không có cuộc gọi nào trong 7 ngày qua.",
        "Lịch sử giao dịch",
    ):
        assert words in text, (words, text)
    assert english_words(card, "Nguyễn Văn An", "Hoa Kỳ", "an@contoso.vn") == set(), text
    with speaking(Lang.EN):
        english = usage_card(summary(empty_week=True))
    assert "November 2026" in shown(english) and "Others (1 caller)" in shown(english)
    assert len(english_words(english)) >= 10


def test_usage_card_without_calls_in_vietnamese() -> None:
    nothing = UsageBreakdown(Period.month_of(NOW), 0, 0, usd("0"), (), (), None, None)
    with speaking(Lang.VI):
        card = usage_card(UsageSummary("t1", USD, NOW, nothing, nothing))
    assert validate_card(card) == []
    assert "Chưa có cuộc gọi nào được ghi nhận" in shown(card)
    assert english_words(card) == set(), shown(card)


# --------------------------------------------------------------------------- usage source


def source(problem: SourceProblem | None = None, running: bool = False) -> UsageSource:
    return UsageSource(
        tenant_id="t1",
        connected_by="u1",
        connected_at=NOW - timedelta(days=3),
        cursor_at=NOW - timedelta(hours=1),
        next_run_at=NOW + timedelta(minutes=15),
        running=running,
        last_run_at=NOW - timedelta(minutes=5),
        last_ok_at=NOW - timedelta(hours=2),
        last=PullCounts(
            read=1200, applied=1000, duplicates=150, conflicts=2, rejected=1, skipped=48
        ),
        last_problem=problem,
        last_error=None,
    )


def usage_source_cards() -> list[dict[str, Any]]:
    return [
        connect_card(ConnectView("https://login.example/consent", True, True)),
        connect_card(ConnectView("https://login.example/consent", False, False)),
        status_card(StatusView(True, "", None)),
        status_card(StatusView(True, "", source(), checking=True)),
        status_card(StatusView(True, "", source(running=True))),
    ]


def test_usage_source_cards_in_vietnamese() -> None:
    with speaking(Lang.VI):
        cards = usage_source_cards()
    for card in cards:
        assert validate_card(card) == []
        assert english_words(card) == set(), shown(card)
    connect, _, _, status, running = (shown(card) for card in cards)
    assert "**CallRecords.Read.All**" in connect and "Cấp quyền" in connect
    assert "Kiểm tra ngay" in connect and "Quản trị viên toàn cầu" in connect
    assert "1.200: 1.000 mới, 150 đã có trước đó, 48 không trả bằng Tín dụng Liên lạc" in status
    assert "09:25 UTC, 20 thg 11, 2026 (thành công)" in status
    assert "đang lấy dữ liệu" in running
    with speaking(Lang.EN):
        for card in usage_source_cards():
            assert len(english_words(card)) >= 2, shown(card)


def test_usage_off_in_vietnamese_keeps_the_operators_detail() -> None:
    reason = "no app registration: set MicrosoftAppId or CREDITS_GRAPH_CLIENT_ID"
    with speaking(Lang.VI):
        card = status_card(StatusView(False, reason, None))
    assert "Bot này chưa được thiết lập" in shown(card) and reason in shown(card)
    assert english_words(card, reason) == set(), shown(card)


@pytest.mark.parametrize("problem", list(SourceProblem))
def test_graph_problems_in_vietnamese(problem: SourceProblem) -> None:
    with speaking(Lang.VI):
        card = status_card(StatusView(True, "", source(problem)))
    assert validate_card(card) == []
    assert "Kết nối lại" in shown(card) and "(đã dừng)" in shown(card)
    assert english_words(card) == set(), shown(card)
