"""The domain's refusals in the language of the moment: each one triggered through the facade under
Vietnamese says its Vietnamese sentence (and its English one under English, byte for byte), and
changes nothing. Text the store keeps (reasons, system actors' names) stays English whoever
caused it, and is shown translated (credits/shown.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from records import call

from credits import shown
from credits.clock import ManualClock
from credits.config import CreditsConfig
from credits.errors import (
    CreditsError,
    IdempotencyConflict,
    NotFoundError,
    PaymentDeclined,
    PaymentUnavailable,
    RequestCancelled,
    StaleError,
    ValidationError,
)
from credits.i18n import Lang, speaking
from credits.models import AUTO, EXPIRY, USAGE, Actor, AlertKind, EntryKind
from credits.money import AmountError, Money, currency
from credits.payments import SandboxGateway
from credits.service import CreditsService
from credits.usage_report import Period

ADA = Actor("aad-ada", "Ada Admin")
T = "tenant-a"
USD = currency("USD")
NBSP = "\u00a0"
Call = Callable[[CreditsService], Awaitable[object]]


@dataclass(frozen=True)
class Refusal:
    name: str
    call: Call
    error: type[Exception]
    en: str
    vi: str
    setup: Call | None = None


async def _void_then(service: CreditsService, key: str) -> None:
    await service.void_request(T, key, ADA)


async def _recharge_on(service: CreditsService, key: str, amount: str) -> object:
    return await service.set_auto_recharge(
        T, ADA, enabled=True, amount=amount, trigger="10", idempotency_key=key
    )


REFUSALS = [
    Refusal(
        "purchase voided by Cancel",
        lambda s: s.add_funds(T, "50", ADA, "void-1"),
        RequestCancelled,
        "This request was cancelled; nothing was changed.",
        "Yêu cầu này đã bị hủy; không có gì thay đổi.",
        setup=lambda s: _void_then(s, "void-1"),
    ),
    Refusal(
        "settings voided by Cancel",
        lambda s: _recharge_on(s, "void-2", "50"),
        RequestCancelled,
        "This request was cancelled; nothing was changed.",
        "Yêu cầu này đã bị hủy; không có gì thay đổi.",
        setup=lambda s: _void_then(s, "void-2"),
    ),
    Refusal(
        "purchase key reused for another amount",
        lambda s: s.add_funds(T, "60", ADA, "key-1"),
        IdempotencyConflict,
        "This request was already made with different details.",
        "Yêu cầu này đã được gửi trước đó với thông tin khác.",
        setup=lambda s: s.add_funds(T, "50", ADA, "key-1"),
    ),
    Refusal(
        "settings key reused for other settings",
        lambda s: _recharge_on(s, "key-2", "60"),
        IdempotencyConflict,
        "This request was already made with different details.",
        "Yêu cầu này đã được gửi trước đó với thông tin khác.",
        setup=lambda s: _recharge_on(s, "key-2", "50"),
    ),
    Refusal(
        "purchase from an out-of-date card",
        lambda s: s.add_funds(T, "50", ADA, "stale-1", expected_version=99),
        StaleError,
        "This card is out of date; open the balance again.",
        "Thẻ này đã cũ; hãy xem lại số dư để nhận thẻ mới.",
    ),
    Refusal(
        "settings from an out-of-date card",
        lambda s: s.set_auto_recharge(T, ADA, enabled=False, expected_version=99),
        StaleError,
        "These settings changed since this card was shown; open them again.",
        "Cài đặt đã thay đổi kể từ khi thẻ này được hiển thị; hãy mở lại cài đặt.",
    ),
    Refusal(
        "auto-recharge on without an amount and a trigger",
        lambda s: s.set_auto_recharge(T, ADA, enabled=True),
        ValidationError,
        "Set both a recharge amount and a trigger before turning auto-recharge on.",
        "Hãy đặt cả số tiền mỗi lần nạp và mức kích hoạt (khi số dư giảm xuống dưới) trước khi "
        "bật tự động nạp tiền.",
    ),
    Refusal(
        "a daily recharge limit of 0",
        lambda s: s.set_recharge_caps(T, ADA, daily_limit=0),
        ValidationError,
        "The daily recharge limit must be a whole number from 1 to 100. Nothing was changed.",
        "Số lần nạp tối đa mỗi ngày phải là số nguyên từ 1 đến 100. Không có gì thay đổi.",
    ),
    Refusal(
        "four low-balance thresholds",
        lambda s: s.set_alert_thresholds(T, ADA, ["40", "30", "20", "10"]),
        ValidationError,
        "Set at most 3 low-balance thresholds.",
        "Chỉ được đặt tối đa 3 ngưỡng cảnh báo số dư thấp.",
    ),
    Refusal(
        "a zero low-balance threshold",
        lambda s: s.set_alert_thresholds(T, ADA, ["0"]),
        ValidationError,
        "Low-balance thresholds must be more than zero.",
        "Ngưỡng cảnh báo số dư thấp phải lớn hơn 0.",
    ),
    Refusal(
        "an amount in another currency",
        lambda s: s.add_funds(T, Money(Decimal("50"), currency("EUR")), ADA, "eur-1"),
        AmountError,
        "This account is in USD; enter an amount in USD.",
        "Tài khoản được tính bằng USD. Hãy nhập số tiền bằng USD.",
    ),
    Refusal(
        "a negative trigger",
        lambda s: s.set_auto_recharge(T, ADA, trigger=Money(Decimal("-5"), USD)),
        AmountError,
        "The trigger cannot be negative.",
        "Mức kích hoạt (khi số dư giảm xuống dưới) không được là số âm.",
    ),
    Refusal(
        "a trigger over ten times the largest purchase",
        lambda s: s.set_auto_recharge(T, ADA, trigger="2000000"),
        AmountError,
        "The trigger can be at most $100,000.00.",
        f"Mức kích hoạt (khi số dư giảm xuống dưới) tối đa là 100.000,00{NBSP}US$.",
    ),
    Refusal(
        "a blank idempotency key",
        lambda s: s.add_funds(T, "50", ADA, "  "),
        ValidationError,
        "An idempotency key of 1 to 150 characters is required.",
        "Cần có khóa chống trùng lặp (idempotency key) dài từ 1 đến 150 ký tự.",
    ),
    Refusal(
        "an adjustment without a reason",
        lambda s: s.adjust(T, "5", ADA, "  ", "adj-1"),
        ValidationError,
        "An adjustment needs a reason.",
        "Khoản điều chỉnh cần có lý do.",
    ),
    Refusal(
        "a history page of 0 entries",
        lambda s: s.history(T, limit=0),
        ValidationError,
        "Ask for 1 to 200 entries at a time.",
        "Mỗi lần chỉ xem được từ 1 đến 200 mục.",
    ),
    Refusal(
        "no tenant id",
        lambda s: s.account("  "),
        ValidationError,
        "A tenant id is required.",
        "Cần có ID đối tượng thuê (tenant ID).",
    ),
    Refusal(
        "granting admin to no one",
        lambda s: s.grant_admin(T, " ", "Nobody", ADA),
        ValidationError,
        "Name the person by their Microsoft Entra object id: none was given. Nothing was changed.",
        "Hãy chỉ định người đó bằng ID đối tượng Microsoft Entra của họ: chưa có ID nào được đưa "
        "ra. Không có gì thay đổi.",
    ),
    Refusal(
        "revoking an admin of the configuration",
        lambda s: s.revoke_admin(T, "aad-configured", ADA),
        ValidationError,
        "This admin is set in the bot's configuration (CREDITS_ADMINS); remove them there. "
        "Nothing was changed.",
        "Người quản trị này được đặt trong cấu hình của bot (CREDITS_ADMINS); hãy xóa họ ở đó. "
        "Không có gì thay đổi.",
    ),
    Refusal(
        "revoking someone who is not an admin",
        lambda s: s.revoke_admin(T, "aad-nobody", ADA),
        NotFoundError,
        'That person is not a billing admin here; "admins" in chat (or credits-bot admins list) '
        "shows who is. Nothing was changed.",
        'Người đó không phải là người quản trị thanh toán ở đây; gõ "quản trị viên" trong trò '
        "chuyện (hoặc lệnh credits-bot admins list) để xem những ai là người quản trị. Không có "
        "gì thay đổi.",
    ),
    Refusal(
        "a 1:1 chat of no one",
        lambda s: s.remember_personal_chat(T, " ", "conv-1", {}, "Nobody"),
        ValidationError,
        "A 1:1 chat is kept for a person with a Microsoft Entra object id.",
        "Cuộc trò chuyện 1:1 chỉ được lưu cho người có ID đối tượng Microsoft Entra.",
    ),
    Refusal(
        "usage of a tenant with no account",
        lambda s: s.usage_breakdown("tenant-unknown", _month(s)),
        NotFoundError,
        "No account for tenant 'tenant-unknown': nothing was ever recorded for it. "
        "Check the tenant id (the directory id of the organisation).",
        "Không có tài khoản cho đối tượng thuê 'tenant-unknown': chưa từng có dữ liệu nào được "
        "ghi nhận. Hãy kiểm tra ID đối tượng thuê (tenant ID, tức ID thư mục của tổ chức).",
    ),
]


def _month(service: CreditsService) -> Period:
    return Period.month_of(service.clock.now())


async def _state(service: CreditsService) -> tuple[object, ...]:
    """Everything a refusal must leave as it was."""
    view = await service.account(T)
    return (
        view.balance,
        view.version,
        view.recharge,
        view.thresholds,
        (await service.history(T, limit=200)).entries,
        await service.payments(T),
        len(await service.list_alerts(T)),
        await service.list_admins(T),
        await service.admin_chats(T),
        await service.verify(T),
    )


async def _refusal(service: CreditsService, case: Refusal, lang: Lang) -> str:
    if case.setup is not None:
        await case.setup(service)
    before = await _state(service)
    with speaking(lang), pytest.raises(case.error) as raised:
        await case.call(service)
    assert isinstance(raised.value, CreditsError | AmountError)
    assert await _state(service) == before
    return str(raised.value)


@pytest.mark.parametrize("case", REFUSALS, ids=[c.name for c in REFUSALS])
async def test_a_refusal_in_vietnamese_changes_nothing(make_service: Any, case: Refusal) -> None:
    service = await make_service(admins=("aad-configured",))
    assert await _refusal(service, case, Lang.VI) == case.vi


@pytest.mark.parametrize("case", REFUSALS, ids=[c.name for c in REFUSALS])
async def test_the_same_refusal_in_english_is_as_it_was(make_service: Any, case: Refusal) -> None:
    service = await make_service(admins=("aad-configured",))
    assert await _refusal(service, case, Lang.EN) == case.en


# ---------------------------------------------------------------------- payments


async def test_a_declined_purchase_says_why_in_vietnamese_and_stores_english(
    make_service: Any,
) -> None:
    declining = SandboxGateway(decline_tenants=frozenset({T}))
    service = await make_service(declining)
    said = {
        Lang.VI: "Thanh toán bị từ chối: thẻ bị ngân hàng phát hành từ chối (môi trường thử "
        "nghiệm). Chưa có khoản tiền nào được nạp.",
        Lang.EN: "The payment was declined: card declined by the issuer (sandbox). "
        "Nothing was added.",
    }
    for lang in (Lang.VI, Lang.EN, Lang.VI):  # the second and third are replays of the key
        with speaking(lang), pytest.raises(PaymentDeclined) as raised:
            await service.add_funds(T, "50", ADA, "declined-1")
        assert str(raised.value) == said[lang]
        assert raised.value.reason == "card declined by the issuer (sandbox)"
    assert len(declining.calls) == 1
    [payment] = await service.payments(T)
    assert payment.status == "declined" and payment.reason == shown.SANDBOX_DECLINED
    view = await service.account(T)
    assert view.balance == Money.zero(USD) and (await service.history(T)).entries == ()
    with speaking(Lang.VI):
        assert (
            shown.reason(payment.reason)
            == "thẻ bị ngân hàng phát hành từ chối (môi trường thử nghiệm)"
        )


async def test_a_gateway_with_no_answer_says_so_in_vietnamese(make_service: Any) -> None:
    hanging = SandboxGateway(hang_tenants=frozenset({T}))
    service = await make_service(hanging, gateway_timeout_seconds=0.05)
    with speaking(Lang.VI), pytest.raises(PaymentUnavailable) as raised:
        await service.add_funds(T, "50", ADA, "hang-1")
    assert str(raised.value) == (
        "Dịch vụ thanh toán không phản hồi. Chưa có khoản tiền nào được nạp; khoản thanh toán "
        "sẽ được tự động kiểm tra lại, và bạn có thể thử lại một cách an toàn."
    )
    assert (await service.account(T)).balance == Money.zero(USD)
    with pytest.raises(PaymentUnavailable) as raised:
        await service.add_funds(T, "50", ADA, "hang-1")
    assert str(raised.value) == (
        "The payment service did not answer. Nothing was added yet; the payment will be "
        "checked again automatically, and it is safe to retry."
    )


# ---------------------------------------------------------------------- stored text


async def test_a_cap_refusal_caused_in_a_vietnamese_turn_is_stored_in_english(
    service: CreditsService,
) -> None:
    with speaking(Lang.VI):
        await service.set_recharge_caps(T, ADA, monthly_cap="1500")
        await service.set_auto_recharge(T, ADA, enabled=True, amount="1000", trigger="20")
        await service.ingest_usage([call("c1", "10.00")])
        await service.process_payments("w")
        await service.ingest_usage([call("c2", "1000.00")])
        assert await service.process_payments("w") == []
    [failed] = [a for a in await service.list_alerts(T) if a.kind is AlertKind.RECHARGE_FAILED]
    stored = failed.payload.to_json()["reason"]
    assert stored == "the monthly cap of $1,500.00 would be exceeded"
    assert isinstance(stored, str)
    with speaking(Lang.VI):
        assert shown.reason(stored, "USD") == f"sẽ vượt quá giới hạn hằng tháng 1.500,00{NBSP}US$"
        assert shown.reason(stored) == "sẽ vượt quá giới hạn hằng tháng $1,500.00"
    assert shown.reason(stored, "USD") == stored


async def test_a_stuck_payment_is_reported_in_english_and_shown_in_vietnamese(
    make_service: Any, clock: ManualClock
) -> None:
    hanging = SandboxGateway(hang_tenants=frozenset({T}))
    service = await make_service(hanging, gateway_timeout_seconds=0.05)
    with pytest.raises(PaymentUnavailable):
        await service.add_funds(T, "50", ADA, "stuck-1")
    clock.advance(timedelta(minutes=20))
    with speaking(Lang.VI):
        await service.report_stuck_payments()
    [alert] = await service.list_alerts(T)
    stored = alert.payload.to_json()["reason"]
    assert stored == (
        "the payment has not settled for 20 minutes; "
        "check with the payment provider before retrying"
    )
    with speaking(Lang.VI):
        assert shown.reason(str(stored)) == (
            "khoản thanh toán vẫn chưa hoàn tất sau 20 phút; hãy kiểm tra với nhà cung cấp dịch vụ "
            "thanh toán trước khi thử lại"
        )


async def test_usage_and_auto_recharge_entries_are_stored_in_english(
    service: CreditsService,
) -> None:
    with speaking(Lang.VI):
        await service.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="20")
        await service.ingest_usage(
            [call("c1", "10.00"), call("c2", "1.00", destinationContext=None)]
        )
        await service.process_payments("w")
    entries = (await service.history(T)).entries
    by_kind = {entry.kind: entry for entry in entries}
    recharge = by_kind[EntryKind.AUTO_RECHARGE]
    assert (recharge.reason, recharge.actor) == ("Auto-recharge", AUTO)
    usage = [entry for entry in entries if entry.kind is EntryKind.USAGE]
    assert [entry.reason for entry in usage] == [
        "ucap_out, 2 min (c2)",
        "ucap_out, 2 min to International (c1)",
    ]
    with speaking(Lang.VI):
        assert [shown.reason(entry.reason) for entry in usage] == [
            "ucap_out, 2 phút (c2)",
            "ucap_out đến International, 2 phút (c1)",
        ]
        assert shown.reason(recharge.reason) == "Tự động nạp tiền"
        assert shown.actor_name(recharge.actor.id, recharge.actor.name) == "Tự động nạp tiền"
    assert shown.reason(usage[1].reason) == usage[1].reason


def test_stored_reasons_are_shown_in_the_language_of_the_moment() -> None:
    cases = {
        "Purchase": "Nạp tiền",
        "declined": "bị từ chối",
        "the daily limit of 5 recharges was reached": "đã đạt giới hạn tối đa 5 lần nạp mỗi ngày",
        "the payment gateway gave no answer; retried with the same key": (
            "cổng thanh toán không phản hồi; đã thử lại với cùng khóa chống trùng lặp"
        ),
        "Funds bought 2026-02-10 expired": "Tiền nạp ngày 10 thg 2, 2026 đã hết hạn",
        "call, 3 min (c9)": "cuộc gọi, 3 phút (c9)",
        "insufficient funds": "insufficient funds",  # a provider's words: as they were
        "Refund for ticket 42": "Refund for ticket 42",  # an operator's reason: as typed
    }
    for stored, vietnamese in cases.items():
        assert shown.reason(stored) == stored
        with speaking(Lang.VI):
            assert shown.reason(stored) == vietnamese
    with speaking(Lang.VI):
        assert shown.reason(None) is None
        # an amount that does not read back as the store writes it is kept as stored
        odd = "the monthly cap of $1,500.001 would be exceeded"
        assert shown.reason(odd, USD) == "sẽ vượt quá giới hạn hằng tháng $1,500.001"


def test_system_actors_and_unknown_callers_are_translated_people_are_not() -> None:
    with speaking(Lang.VI):
        assert shown.actor_name(USAGE.id, USAGE.name) == "Sử dụng"
        assert shown.actor_name(EXPIRY.id, EXPIRY.name) == "Hết hạn"
        assert shown.actor_name(USAGE.id, "megan@contoso.com") == "megan@contoso.com"
        assert shown.actor_name(ADA.id, "Usage") == "Usage"  # a person so named
        assert shown.share_name("Unknown caller") == "Người gọi không xác định"
        assert shown.share_name("Unknown destination") == "Nơi gọi đến không xác định"
        assert shown.share_name("Megan Bowen") == "Megan Bowen"
    assert shown.actor_name(AUTO.id, AUTO.name) == "Auto-recharge"
    assert shown.share_name("Unknown caller") == "Unknown caller"


def test_why_usage_is_not_pulled_is_said_in_the_language_of_the_moment() -> None:
    config = CreditsConfig(_env_file=None, graph_client_id="")  # type: ignore[call-arg]
    english = "no app registration: set MicrosoftAppId or CREDITS_GRAPH_CLIENT_ID"
    assert config.graph_off_reason() == english
    with speaking(Lang.VI):
        assert config.graph_off_reason() == (
            "chưa có đăng ký ứng dụng: hãy đặt MicrosoftAppId hoặc CREDITS_GRAPH_CLIENT_ID"
        )
