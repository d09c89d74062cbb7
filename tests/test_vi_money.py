"""credits.money in Vietnamese: parse_chat and parse_card_input (vi-spec §3, §4, §6).

Every example of the specification: amounts accepted (with and without diacritics, NFC and NFD,
the bot's own Babel output pasted back, VND accounts), amounts refused with the Vietnamese
sentence under ``speaking(Lang.VI)``, and English unchanged under ``Lang.EN``."""

from __future__ import annotations

import contextlib
import time
import unicodedata
from decimal import ROUND_DOWN, Decimal

import pytest

from credits.i18n import Lang, speaking
from credits.money import (
    KNOWN_CURRENCIES,
    AmountError,
    AmountLimits,
    Currency,
    Money,
    currency,
    parse_card_input,
    parse_chat,
    parse_strict,
    parse_typed,
)

USD = currency("USD")
VND = currency("VND")
JPY = currency("JPY")
BHD = currency("BHD")
EUR = currency("EUR")
LIMITS = AmountLimits()
VND_LIMITS = AmountLimits(Decimal(10_000), Decimal(10) ** 10)
WIDE = AmountLimits(Decimal(1), Decimal(10) ** 12)

NBSP = "\u00a0"  # Babel writes a no-break space before the symbol
RANGE_VI = f"Hãy nhập số tiền từ 10,00{NBSP}US$ đến 10.000,00{NBSP}US$."
RANGE_EN = "Enter an amount from $10.00 to $10,000.00."
ZERO_VI = "Số tiền phải lớn hơn 0."
ZERO_EN = "Amounts must be more than zero."
ONE_VI = "Mỗi lần chỉ nhập một số tiền, ví dụ: nạp 50 đô."
DIGITS_VI = "Hãy viết số tiền bằng chữ số, ví dụ 50 đô."
USD_ONLY_VI = "Tài khoản được tính bằng USD. Hãy nhập số tiền bằng đô la Mỹ, ví dụ 50 đô."
USD_ONLY_EN = "This account is in USD. Enter the amount in US dollars, e.g. $50."
VND_ONLY_VI = "Tài khoản được tính bằng VND. Hãy nhập số tiền bằng đồng"
HINT_VI = "Hãy viết số tiền theo dạng 1.000,50"
HINT_EN = "Write amounts like 1,000.50."


def vi(text: str, cur: Currency = USD, limits: AmountLimits | None = WIDE) -> Money | None:
    with speaking(Lang.VI):
        return parse_chat(text, cur, limits)


def vi_error(text: str, cur: Currency = USD, limits: AmountLimits | None = LIMITS) -> str:
    with speaking(Lang.VI), pytest.raises(AmountError) as error:
        parse_chat(text, cur, limits)
    return str(error.value)


def en_error(text: str, cur: Currency = USD, limits: AmountLimits | None = LIMITS) -> str:
    with speaking(Lang.EN), pytest.raises(AmountError) as error:
        parse_chat(text, cur, limits)
    return str(error.value)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def fold(text: str) -> str:
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch))


# --------------------------------------------------------------------------- accepted, USD

USD_ACCEPTED = [
    # §4 add_funds and recharge (the halves the intents parser hands over)
    ("nạp 60 đô", "60.00"),
    ("nap 60 do", "60.00"),
    ("thêm 80 USD", "80.00"),
    ("nạp thêm 45,5 đô", "45.50"),
    ("nạp 3.000 đô", "3000.00"),
    ("tự động nạp 80 đô", "80.00"),
    ("khi số dư dưới 15 đô", "15.00"),
    ("tu dong nap 80 do", "80.00"),
    ("khi duoi 15 do", "15.00"),
    ("khi còn dưới 15 đô", "15.00"),
    ("thì nạp 80 đô", "80.00"),
    ("đổi mức nạp tự động thành 120 đô", "120.00"),
    ("cảnh báo tôi khi số dư dưới 40 đô", "40.00"),
    ("bao khi so du duoi 40 do", "40.00"),
    ("nhắc khi còn dưới 40 USD", "40.00"),
    ("buy 40 đô", "40.00"),
    # §3 currency words
    ("50 đô", "50.00"),
    ("50 đô la", "50.00"),
    ("50 đô-la", "50.00"),
    ("50 đôla", "50.00"),
    ("50 đô la Mỹ", "50.00"),
    ("50 đô Mỹ", "50.00"),
    ("50 USD", "50.00"),
    ("50 usd", "50.00"),
    ("50 US$", "50.00"),
    ("US$50", "50.00"),
    ("$50", "50.00"),
    ("50$", "50.00"),
    ("50 do", "50.00"),
    ("50 do la", "50.00"),
    ("50đô", "50.00"),
    ("nạp 50", "50.00"),
    ("Nạp 50 Đô", "50.00"),
    # §3 numbers and multipliers
    ("1.000,50 đô", "1000.50"),
    ("1.000,5 đô", "1000.50"),
    ("1,5 nghìn đô", "1500.00"),
    ("2 nghìn đô", "2000.00"),
    ("2 ngàn đô", "2000.00"),
    ("2 nghin do", "2000.00"),
    ("2k đô", "2000.00"),
    ("1.234,50 đô", "1234.50"),
    ("nạp 10.000 đô", "10000.00"),
    # the bot's own Babel output pasted back
    (f"50,00{NBSP}US$", "50.00"),
    (f"1.000,50{NBSP}US$", "1000.50"),
    (f"1.234,50{NBSP}US$", "1234.50"),
    ("1.234,50 US$", "1234.50"),
    # ordinary words around the amount
    ("Hội thảo Âm thanh cần 50 đô", "50.00"),
    ("đồng ý nạp 50 đô", "50.00"),
    ("nạp 50 đô (50 đô)", "50.00"),
    ("nạp 50 đô!", "50.00"),
    ("50 đô/tháng", "50.00"),
    ("nạp 50.", "50.00"),
    ("50usd", "50.00"),
]


@pytest.mark.parametrize(("text", "expected"), USD_ACCEPTED)
def test_vietnamese_usd_amounts(text: str, expected: str) -> None:
    money = vi(text)
    assert money == Money(Decimal(expected), USD)
    assert vi(nfd(text)) == money  # NFD keyboards
    assert vi(fold(text)) == money  # typed without diacritics


def test_the_limits_and_one_amount_in_every_accepted_example() -> None:
    for text, expected in USD_ACCEPTED:
        assert vi(text, USD, None) == Money(Decimal(expected), USD)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "xem số dư",
        "so du bao nhieu",
        "tôi muốn nạp tiền",
        "bật nạp tiền tự động",
        "tắt nạp tiền tự động",
        "tu dong nap",
        "cài đặt tự động nạp",
        "lịch sử giao dịch",
        "nạp đô",
        "đồng ý",
        "hợp đồng",
        "năm nay",
        "Hội thảo Âm thanh",
        "Tín dụng Liên lạc",
    ],
)
def test_no_amount(text: str) -> None:
    assert vi(text) is None
    assert vi(nfd(text)) is None
    assert vi(fold(text)) is None


# --------------------------------------------------------------------------- accepted, VND

VND_ACCEPTED = [
    ("1.000.000 ₫", 1_000_000),
    (f"1.000.000{NBSP}₫", 1_000_000),
    ("2,5 triệu", 2_500_000),
    ("2,5 trieu", 2_500_000),
    ("2,5tr", 2_500_000),
    ("500k", 500_000),
    ("500K", 500_000),
    ("500 k", 500_000),
    ("300 nghìn", 300_000),
    ("300 ngàn", 300_000),
    ("300 nghin", 300_000),
    ("300 ngan", 300_000),
    ("2 triệu", 2_000_000),
    ("2 củ", 2_000_000),
    ("1 tỷ", 1_000_000_000),
    ("1 tỉ", 1_000_000_000),
    ("1,5 tỷ đồng", 1_500_000_000),
    ("1 trieu dong", 1_000_000),
    ("1 triệu đồng", 1_000_000),
    ("500 nghìn đồng", 500_000),
    ("1 triệu 200 nghìn đồng", 1_200_000),
    ("1 tỷ 500 triệu", 1_500_000_000),
    ("50.000đ", 50_000),
    ("50000đ", 50_000),
    ("50.000 đ", 50_000),
    ("50.000 đồng", 50_000),
    ("50.000 dong", 50_000),
    ("50.000 VND", 50_000),
    ("50.000 VNĐ", 50_000),
    ("VND 50.000", 50_000),
    ("tự động nạp 500k", 500_000),
    ("tu dong nap 500 nghin dong", 500_000),
    ("nạp 200.000", 200_000),
    ("500kđ", 500_000),
    ("500k đ", 500_000),
    ("50.000 Việt Nam đồng", 50_000),
]


@pytest.mark.parametrize(("text", "expected"), VND_ACCEPTED)
def test_vietnamese_vnd_amounts(text: str, expected: int) -> None:
    money = vi(text, VND, VND_LIMITS)
    assert money == Money(Decimal(expected), VND)
    assert vi(nfd(text), VND, VND_LIMITS) == money
    assert vi(fold(text), VND, VND_LIMITS) == money


@pytest.mark.parametrize("code", sorted(KNOWN_CURRENCIES))
def test_every_currency_reads_its_vietnamese_babel_output(code: str) -> None:
    cur = KNOWN_CURRENCIES[code]
    money = Money(Decimal("1234.5678").quantize(cur.quantum, rounding=ROUND_DOWN), cur)
    with speaking(Lang.VI):
        assert parse_chat(money.format(), cur) == money
        assert parse_chat(f"nạp {money.format()}", cur, None, Lang.VI) == money


def test_other_accounts_read_their_own_babel_output() -> None:
    with speaking(Lang.VI):
        for money in (
            Money(Decimal("1.005"), BHD),
            Money(Decimal(1000), JPY),
            Money(Decimal("20.5"), EUR),
        ):
            assert parse_chat(money.format(), money.currency) == money
    assert vi("1,005 BHD", BHD) == Money(Decimal("1.005"), BHD)


# --------------------------------------------------------------------------- refused (§6)

REFUSED_USD = [
    # sign, "âm", zero
    ("-50 đô", (ZERO_VI,)),
    ("\u221250 đô", (ZERO_VI,)),
    ("âm 50 đô", (ZERO_VI,)),
    ("am 50 do", (ZERO_VI,)),
    ("nạp âm 50", (ZERO_VI,)),
    (f"-5,00{NBSP}US$", (ZERO_VI,)),
    ("0 đô", (ZERO_VI,)),
    ("0", (ZERO_VI,)),
    ("0,00 đô", (ZERO_VI,)),
    ("+50 đô", ("Hãy bỏ dấu +.", HINT_VI)),
    # the limits
    ("5 đô", ("Số tiền này thấp hơn mức tối thiểu.",)),
    ("20.000 đô", ("Số tiền này vượt quá mức tối đa.",)),
    ("2 triệu đô", ("vượt quá mức tối đa",)),
    # number shapes under vi
    ("1.000.50", (HINT_VI,)),
    ("1,000.50", (HINT_VI,)),
    ("49.99", (HINT_VI,)),
    ("49.99 đô", (HINT_VI,)),
    ("1 000 đô", (HINT_VI,)),
    ("1'000 đô", (HINT_VI,)),
    (",5 đô", (HINT_VI,)),
    ("1tr2", (HINT_VI,)),
    ("nạp 15h", (HINT_VI,)),
    ("50abc", (HINT_VI,)),
    ("1,999 đô", ("Số tiền USD chỉ được có tối đa 2 chữ số thập phân.",)),
    ("45,555 đô", ("tối đa 2 chữ số thập phân",)),
    # both readings
    ("1,000", ("“1,000” có thể là 1 đô hoặc một nghìn đô. Hãy viết 1.000 (một nghìn) hoặc 1.",)),
    (
        "2,500",
        (
            "“2,500” có thể là 2,5 đô hoặc hai nghìn năm trăm đô. "
            "Hãy viết 2.500 (hai nghìn năm trăm)",
        ),
    ),
    ("nạp 1,000 đô", ("“1,000” có thể là 1 đô hoặc một nghìn đô.",)),
    # đồng on a USD account, never converted
    ("1 triệu đồng", (USD_ONLY_VI,)),
    ("50đ", (USD_ONLY_VI,)),
    ("500k", (USD_ONLY_VI,)),
    ("300 nghìn", (USD_ONLY_VI,)),
    ("2 triệu", (USD_ONLY_VI,)),
    ("2 củ", (USD_ONLY_VI,)),
    ("2,5 triệu", (USD_ONLY_VI,)),
    ("50.000 VND", (USD_ONLY_VI,)),
    ("50.000 VNĐ", (USD_ONLY_VI,)),
    ("1.000.000 ₫", (USD_ONLY_VI,)),
    ("1 trieu dong", (USD_ONLY_VI,)),
    ("tu dong nap 500k", (USD_ONLY_VI,)),
    # other currencies
    ("50 EUR", (USD_ONLY_VI,)),
    ("€50", (USD_ONLY_VI,)),
    ("50 euro", (USD_ONLY_VI,)),
    ("50 yên", (USD_ONLY_VI,)),
    ("50 đô la Úc", (USD_ONLY_VI,)),
    ("50 đô Canada", (USD_ONLY_VI,)),
    ("A$50", ("Tài khoản được tính bằng USD.",)),
    # numbers in words
    ("năm mươi đô", (DIGITS_VI,)),
    ("nạp một trăm", (DIGITS_VI,)),
    ("nap nam muoi do", (DIGITS_VI,)),
    ("hai triệu đồng", (DIGITS_VI,)),
    ("một trăm đô", (DIGITS_VI,)),
    ("5 trăm đô", (DIGITS_VI,)),
    ("fifty đô", (DIGITS_VI,)),
    # several amounts
    ("50 đô và 60 đô", (ONE_VI,)),
    ("nạp 50 đô cho 2 nhóm", (ONE_VI,)),
    ("tự động nạp 80 đô khi số dư dưới 15 đô", (ONE_VI,)),
    # exponents, not-a-number, digits other than 0-9
    ("1e3 đô", ("Không được dùng số mũ như 1e9.", HINT_VI)),
    ("NaN đô", ("Hãy nhập số tiền dưới dạng số.",)),
    ("∞ đô", ("Hãy nhập số tiền dưới dạng số.",)),
    ("\u0665\u0660 đô", ("Chỉ dùng các chữ số 0-9.", HINT_VI)),
    ("\uff15\uff10 đô", ("Chỉ dùng các chữ số 0-9.",)),
    ("nạp " + "x" * 600 + " 50 đô", ("Tin nhắn quá dài",)),
]


@pytest.mark.parametrize(("text", "hints"), REFUSED_USD)
def test_vietnamese_refusals(text: str, hints: tuple[str, ...]) -> None:
    message = vi_error(text)
    for hint in hints:
        assert hint in message
    assert message.endswith(RANGE_VI)
    without_limits = vi_error(text, USD, None) if "mức tối" not in message else None
    if without_limits is not None:
        assert not without_limits.endswith(RANGE_VI)
    assert vi_error(nfd(text)) == message


def test_the_section_6_sentences_exactly() -> None:
    assert vi_error("-5 đô", USD, None) == ZERO_VI
    assert vi_error("âm 5 đô", USD, None) == ZERO_VI
    assert vi_error("0 đô", USD, None) == ZERO_VI
    assert vi_error("5 đô") == f"Số tiền này thấp hơn mức tối thiểu. {RANGE_VI}"
    assert vi_error("1,000", USD, None) == (
        "“1,000” có thể là 1 đô hoặc một nghìn đô. Hãy viết 1.000 (một nghìn) hoặc 1."
    )
    assert vi_error("1 triệu đồng", USD, None) == USD_ONLY_VI
    assert vi_error("năm mươi đô", USD, None) == DIGITS_VI
    assert vi_error("50 đô và 60 đô", USD, None) == ONE_VI
    assert vi_error("1.000.50", USD, None) == (
        "Hãy viết số tiền theo dạng 1.000,50 (dấu chấm ngăn cách hàng nghìn, dấu phẩy trước "
        "phần thập phân)."
    )


@pytest.mark.parametrize("text", ["0,001 đô", "nạp 0,050 đô", "00,100 đô", "0,999"])
def test_a_leading_zero_has_no_thousands_reading(text: str) -> None:
    """ "0,001" can only be a (too precise) decimal: no "one dollar" or "fifty dollars" offer."""
    message = vi_error(text, USD, None)
    assert message == (
        "Số tiền USD chỉ được có tối đa 2 chữ số thập phân. Hãy viết số tiền theo dạng 1.000,50 "
        "(dấu chấm ngăn cách hàng nghìn, dấu phẩy trước phần thập phân)."
    )
    assert "Nếu ý bạn" not in message and "có thể là" not in message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "1,000 đô",
            "“1,000” có thể là 1 đô hoặc một nghìn đô. Hãy viết 1.000 (một nghìn) hoặc 1.",
        ),
        (
            "2,500 đô",
            "“2,500” có thể là 2,5 đô hoặc hai nghìn năm trăm đô. "
            "Hãy viết 2.500 (hai nghìn năm trăm) hoặc 2,5.",
        ),
        (
            "12,345 đô",
            "Số tiền USD chỉ được có tối đa 2 chữ số thập phân. Nếu ý bạn là mười hai nghìn ba "
            "trăm bốn mươi lăm đô, hãy viết 12.345.",
        ),
    ],
)
def test_a_real_thousands_reading_is_still_offered(text: str, shown: str) -> None:
    assert vi_error(text, USD, None) == shown


@pytest.mark.parametrize(
    ("text", "hints"),
    [
        ("50 đô", (VND_ONLY_VI,)),
        ("$50", (VND_ONLY_VI,)),
        ("50 USD", (VND_ONLY_VI,)),
        ("1,000", ("“1,000” có thể là 1 đồng hoặc một nghìn đồng.",)),
        ("2,500", ("Số tiền VND phải là số nguyên", "hai nghìn năm trăm đồng, hãy viết 2.500")),
        ("1,2345 nghìn", ("Số tiền VND phải là số nguyên",)),
        ("50 EUR", ("Tài khoản được tính bằng VND.",)),
        ("0 đồng", (ZERO_VI,)),
        ("5 nghìn triệu", ("1.000,50",)),
        ("500k và 300k", (ONE_VI,)),
    ],
)
def test_vnd_account_refusals(text: str, hints: tuple[str, ...]) -> None:
    message = vi_error(text, VND, VND_LIMITS)
    for hint in hints:
        assert hint in message
    assert message.endswith("Hãy nhập số tiền từ 10.000\u00a0₫ đến 10.000.000.000\u00a0₫.")


# --------------------------------------------------------------------------- conventions


def test_the_locale_decides_the_number_convention() -> None:
    with speaking(Lang.VI):
        assert parse_chat("1.000,5 đô", USD, LIMITS) == Money(Decimal("1000.50"), USD)
        assert parse_chat("1.000,5 đô", USD, LIMITS, Lang.VI) == Money(Decimal("1000.50"), USD)
    with speaking(Lang.EN):
        assert en_error("1.000,5 đô") == f"{HINT_EN} {RANGE_EN}"
        assert parse_chat("1,000.50 đô", USD, LIMITS) == Money(Decimal("1000.50"), USD)
        assert parse_chat("1,000 đô", USD, LIMITS) == Money(Decimal(1000), USD)
        assert parse_chat("nạp 50 đô", USD, LIMITS) == Money(Decimal(50), USD)
        assert parse_chat("nap 60 do", USD, LIMITS) == Money(Decimal(60), USD)
        assert parse_chat("2.5 triệu", VND, VND_LIMITS) == Money(Decimal(2_500_000), VND)
        with pytest.raises(AmountError, match=r"Write amounts like 1,000\.50\."):
            parse_chat("2,5 triệu", VND, VND_LIMITS)  # the English convention
    # lang=VI while speaking English: Vietnamese reading, English sentence
    with speaking(Lang.EN), pytest.raises(AmountError) as error:
        parse_chat("1,000.50", USD, None, Lang.VI)
    assert str(error.value).startswith("Write amounts like 1.000,50")
    # lang=EN while speaking Vietnamese: English reading, Vietnamese sentence
    with speaking(Lang.VI):
        assert parse_chat("add $1,000.50", USD, LIMITS, Lang.EN) == Money(Decimal("1000.50"), USD)


def test_english_sentences_from_the_vietnamese_parser() -> None:
    assert en_error("âm 50 đô") == f"{ZERO_EN} {RANGE_EN}"
    assert en_error("500k đồng") == f"{USD_ONLY_EN} {RANGE_EN}"
    assert en_error("2 triệu") == f"{USD_ONLY_EN} {RANGE_EN}"
    assert en_error("năm mươi đô", USD, None) == "Write the amount in digits, e.g. $50."
    assert en_error("50 đô và 60 đô", USD, None) == "Enter one amount at a time, e.g. add $50."
    with speaking(Lang.EN), pytest.raises(AmountError) as error:
        parse_chat("1,000 đô", USD, None, Lang.VI)
    assert str(error.value) == (
        "“1,000” may mean 1 USD or one thousand USD. Write 1.000 (one thousand) or 1."
    )


ENGLISH_TEXTS = [
    "add $50",
    "add -$5",
    "$0.00",
    "1e9 dollars",
    "1.000,50 EUR",
    "€20",
    "add $50 and $60",
    "fifty dollars",
    "$1.5k",
    "add \u0665\u0660 dollars",
    "10.000 dollars",
    "$9.99",
    "show me the balance please",
    "add 5k",
]


@pytest.mark.parametrize("text", ENGLISH_TEXTS)
def test_english_is_exactly_parse_typed(text: str) -> None:
    with speaking(Lang.EN):
        try:
            expected: object = parse_typed(text, USD, LIMITS)
        except AmountError as error:
            expected = str(error)
        try:
            got: object = parse_chat(text, USD, LIMITS)
        except AmountError as error:
            got = str(error)
        try:
            explicit: object = parse_chat(text, USD, LIMITS, Lang.EN)
        except AmountError as error:
            explicit = str(error)
    assert got == expected == explicit


# --------------------------------------------------------------------------- allow_zero


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("0", Lang.VI),
        ("0 đô", Lang.VI),
        ("0,00", Lang.VI),
        ("dưới 0 đô", Lang.VI),
        ("duoi 0 do", Lang.VI),
        ("0", Lang.EN),
        ("$0", Lang.EN),
        ("0.00", Lang.EN),
        ("below $0", Lang.EN),
        ("0 đô", Lang.EN),
    ],
)
def test_allow_zero(text: str, lang: Lang) -> None:
    with speaking(lang):
        assert parse_chat(text, USD, None, allow_zero=True) == Money.zero(USD)
        assert parse_chat(text, USD, LIMITS, allow_zero=True) == Money.zero(USD)
        with pytest.raises(AmountError):
            parse_chat(text, USD, None)


def test_allow_zero_still_refuses_negatives_and_reads_amounts() -> None:
    with speaking(Lang.VI):
        with pytest.raises(AmountError, match=ZERO_VI):
            parse_chat("âm 5 đô", USD, None, allow_zero=True)
        assert parse_chat("15 đô", USD, None, allow_zero=True) == Money(Decimal(15), USD)
        assert parse_chat("xem số dư", USD, None, allow_zero=True) is None
    with speaking(Lang.EN):
        with pytest.raises(AmountError, match=ZERO_EN):
            parse_chat("-$5", USD, None, allow_zero=True)
        assert parse_chat("$15", USD, None, allow_zero=True) == Money(Decimal(15), USD)


def test_parse_chat_needs_text() -> None:
    with pytest.raises(TypeError):
        parse_chat(50, USD)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- card inputs


@pytest.mark.parametrize(
    ("value", "cur", "expected"),
    [
        ("50", USD, "50.00"),
        (" 50 ", USD, "50.00"),
        ("45,5", USD, "45.50"),
        ("1.000,50", USD, "1000.50"),
        ("1.000", USD, "1000.00"),
        ("10.000", USD, "10000.00"),
        ("1.000.000", VND, "1000000"),
        ("1,005", BHD, "1.005"),
        (50, USD, "50.00"),
        (Decimal("50.5"), USD, "50.50"),
    ],
)
def test_card_input_vietnamese_shapes(
    value: str | int | Decimal, cur: Currency, expected: str
) -> None:
    with speaking(Lang.VI):
        money = parse_card_input(value, cur, AmountLimits(Decimal(1), Decimal(10) ** 7))
    assert money == Money(Decimal(expected), cur)


@pytest.mark.parametrize(
    ("value", "hints"),
    [
        ("", ("Bạn chưa nhập số tiền.", "ví dụ 50 hoặc 1.000,50")),
        ("1000.50", ("Đây không phải là số tiền.", "ví dụ 50 hoặc 1.000,50")),
        ("49.99", ("ví dụ 50 hoặc 1.000,50",)),
        ("1,000.50", ("ví dụ 50 hoặc 1.000,50",)),
        ("1.000.50", ("ví dụ 50 hoặc 1.000,50",)),
        ("1,000", ("“1,000” có thể là 1 đô hoặc một nghìn đô.",)),
        ("10,001", ("tối đa 2 chữ số thập phân",)),
        ("-5", (ZERO_VI,)),
        ("0", (ZERO_VI,)),
        ("0,00", (ZERO_VI,)),
        ("+5", ("Hãy bỏ dấu +.",)),
        ("1e3", ("Không được dùng số mũ",)),
        ("NaN", ("Hãy nhập số tiền dưới dạng số.",)),
        ("\u0665\u0660", ("Chỉ dùng các chữ số 0-9.",)),
        ("50 đô", ("Đây không phải là số tiền.",)),
        ("1" * 40, ("Số tiền này quá dài.",)),
        ("5", ("Số tiền này thấp hơn mức tối thiểu.",)),
    ],
)
def test_card_input_vietnamese_refusals(value: str, hints: tuple[str, ...]) -> None:
    with speaking(Lang.VI), pytest.raises(AmountError) as error:
        parse_card_input(value, USD, LIMITS)
    message = str(error.value)
    for hint in hints:
        assert hint in message
    assert message.endswith(RANGE_VI)


@pytest.mark.parametrize(
    "value", ["50", "1000.50", "1,000", "1.000,50", "-5", "", 50, Decimal("5")]
)
def test_card_input_in_english_is_parse_strict(value: str | int | Decimal) -> None:
    def result(lang: Lang | None) -> object:
        try:
            return parse_card_input(value, USD, LIMITS, lang)
        except AmountError as error:
            return str(error)

    try:
        expected: object = parse_strict(value, USD, LIMITS)
    except AmountError as error:
        expected = str(error)
    with speaking(Lang.EN):
        assert result(None) == expected
    assert result(Lang.EN) == expected


# --------------------------------------------------------------------------- no misreads

VND_DIGITS_VI = "Hãy viết số tiền bằng chữ số, ví dụ 1.500.000 đồng."
VND_DIGITS_EN = "Write the amount in digits, e.g. ₫1,500,000."

# A number word after the amount goes on with it: never read the amount without it.
WORDS_AFTER_VND = [
    "nạp 1 triệu rưỡi",
    "1 triệu rưỡi",
    "1 triệu rưỡi đồng",
    "1 triệu rưởi",
    "1 củ rưỡi",
    "1 tr rưỡi",
    "1 tỷ rưỡi",
    "1 triệu hai",
    "1 triệu tư",
    "1 triệu bốn",
    "1 triệu bảy",
    "1 triệu bẩy",
    "1 triệu năm",
    "1 triệu sáu",
    "1 triệu tám",
    "1 triệu chín",
    "1 triệu một",
    "2 triệu mốt",
    "1 tỷ ba",
    "2 triệu lẻ",
    "1 triệu linh",
    "1 triệu hai trăm nghìn",
    "500 nghìn lăm",
    "5 chục nghìn đồng",
    "nạp 5 chục",
    "nạp 50 vạn",
    "50 vạn đồng",
    "3 trăm nghìn",
    "nạp 2 nghìn đồng rưỡi",
]
WORDS_AFTER_USD = [
    "nạp 1 nghìn đô rưỡi",
    "100 đô rưỡi",
    "100 đô la rưỡi",
    "100 USD rưỡi",
    "$100 rưỡi",
    "nạp 50 chục đô",
    "nạp 50 vạn đô",
    "nạp 50 đô năm",
    "50 đô hai",
    "nạp 50 đô mốt",
    "nạp 1 nghìn đô tư",
]


@pytest.mark.parametrize("text", WORDS_AFTER_VND)
def test_a_number_word_after_a_vnd_amount_is_refused(text: str) -> None:
    for written in (text, nfd(text), fold(text)):
        assert vi_error(written, VND, None) == VND_DIGITS_VI
        assert en_error(written, VND, None) == VND_DIGITS_EN
    assert vi_error(text, VND, VND_LIMITS).startswith(VND_DIGITS_VI)


@pytest.mark.parametrize("text", WORDS_AFTER_USD)
def test_a_number_word_after_a_usd_amount_is_refused(text: str) -> None:
    for written in (text, nfd(text), fold(text)):
        assert vi_error(written, USD, None) == DIGITS_VI
        assert en_error(written, USD, None) == "Write the amount in digits, e.g. $50."


# The same words elsewhere, or in everyday phrases, are no number ("năm nay" is this year,
# "tự động" automatic, "bây giờ" now, "làm ơn" please, "Nam" a name).
ORDINARY_WORDS_AFTER = [
    ("nạp 50 đô năm nay", USD, 50),
    ("năm nay nạp 50 đô", USD, 50),
    ("nạp 50 đô năm sau", USD, 50),
    ("nạp 50 đô cho Nam", USD, 50),
    ("nạp 50 đô cho nhóm Ba", USD, 50),
    ("nạp 50 đô bây giờ", USD, 50),
    ("nạp 50 đô sau đó", USD, 50),
    ("nạp 50 đô sau khi duyệt", USD, 50),
    ("nạp 50 đô làm ơn", USD, 50),
    ("nạp 50 đô tạm thời", USD, 50),
    ("nạp 50 đô lệ phí", USD, 50),
    ("nạp 500k tự động", VND, 500_000),
    ("nạp 1 triệu từ ngày mai", VND, 1_000_000),
    ("nạp 1 triệu vẫn chưa được", VND, 1_000_000),
    ("nạp 500 nghìn đồng do sắp hết tiền", VND, 500_000),
]


@pytest.mark.parametrize(("text", "cur", "expected"), ORDINARY_WORDS_AFTER)
def test_ordinary_words_after_an_amount(text: str, cur: Currency, expected: int) -> None:
    for written in (text, nfd(text), fold(text)):
        assert vi(written, cur) == Money(Decimal(expected), cur)


@pytest.mark.parametrize(
    ("text", "cur", "message"),
    [
        ("nạp 50 đô 50 xu", USD, ONE_VI),
        ("nạp 20 đô 20", USD, ONE_VI),
        ("nạp 20 đô và 20 đô", USD, ONE_VI),
        ("20 đô, 20 đô", USD, ONE_VI),
        ("nạp 50 đô (50)", USD, ONE_VI),
        ("nạp 50 đô (60 đô)", USD, ONE_VI),
        ("50 50", USD, ONE_VI),
        ("nạp 500k (500k)", VND, ONE_VI),
        ("nạp 500 nghìn, 500 nghìn", VND, ONE_VI),
        ("nạp 2 củ (2 củ) 2 củ", VND, ONE_VI),
    ],
)
def test_two_numbers_are_two_amounts_even_when_equal(
    text: str, cur: Currency, message: str
) -> None:
    for written in (text, nfd(text), fold(text)):
        assert vi_error(written, cur, None) == message
    with speaking(Lang.EN), pytest.raises(AmountError):  # "500k" is refused in English
        parse_chat(text, cur, None)


@pytest.mark.parametrize(
    "text", ["nạp 50 đô (50 đô)", "nạp 50 đô (50,00 US$)", "50 đô (US$50)", "50 đô (USD 50)"]
)
def test_the_same_amount_repeated_in_brackets(text: str) -> None:
    """The bot's own output pasted back after the amount: one amount, written twice."""
    for written in (text, nfd(text), fold(text)):
        assert vi(written) == Money(Decimal(50), USD)


@pytest.mark.parametrize(
    ("text", "cur", "message"),
    [
        ("50 đồng đô la", VND, "Tài khoản được tính bằng VND."),
        ("50 dong dollars", VND, "Tài khoản được tính bằng VND."),
        ("500 nghìn đồng USD", VND, "Tài khoản được tính bằng VND."),
        ("50 đô đồng", USD, USD_ONLY_VI),
        ("50 USD VND", USD, USD_ONLY_VI),
        ("nạp 50 xu", USD, USD_ONLY_VI),
        ("nạp 50 cent", USD, "Tài khoản được tính bằng USD."),
        # "do" (because) right after a multiplier reads as đô: refused, never read as đồng
        ("nạp 500 nghìn do sắp hết tiền", VND, "Tài khoản được tính bằng VND."),
    ],
)
def test_a_second_currency_is_refused(text: str, cur: Currency, message: str) -> None:
    for written in (text, nfd(text), fold(text)):
        assert vi_error(written, cur, None).startswith(message)


@pytest.mark.parametrize("text", ["50 đô USD", "50 đồng VND", "US$50 đô"])
def test_the_same_currency_twice(text: str) -> None:
    cur = VND if "đồng" in text else USD
    assert vi(text, cur) == Money(Decimal(50), cur)
    assert vi(fold(text), cur) == Money(Decimal(50), cur)


@pytest.mark.parametrize("text", ["1 triệu nghìn", "2 củ k", "1k k", "1 tr triệu"])
def test_each_multiplier_needs_its_own_number(text: str) -> None:
    for written in (text, nfd(text), fold(text)):
        assert vi_error(written, VND, None).startswith(HINT_VI)


@pytest.mark.parametrize("lang", [Lang.VI, Lang.EN])
def test_ti_is_a_billion_in_both_languages(lang: Lang) -> None:
    with speaking(lang):
        for text in ("nạp 2 ti", "nap 2 ti", "nạp 2 tỉ", "2 ti dong"):
            assert parse_chat(text, VND, WIDE) == Money(Decimal(2 * 10**9), VND)
        with pytest.raises(AmountError):
            parse_chat("nạp 2 ti", USD, WIDE)


LONG_PIECES = ["1", "1.", "1,", "1 ", "1k", "k ", "1 triệu ", "rưỡi ", "1 đô ", "(1 đô ", "năm "]


def test_long_inputs_are_quick() -> None:
    """No input takes more than half a second, at the length limit or far beyond it."""
    texts = [
        ((a + b) * (size // len(a + b) + 1))[:size]
        for a in LONG_PIECES
        for b in LONG_PIECES
        for size in (499, 20_000)
    ]
    vi("50 đô")  # warm up
    for text in texts:
        for lang, cur in ((Lang.VI, USD), (Lang.VI, VND), (Lang.EN, VND)):
            with speaking(lang):
                started = time.perf_counter()
                with contextlib.suppress(AmountError):
                    parse_chat(text, cur, LIMITS)
                assert time.perf_counter() - started < 0.5, (text[:20], lang, cur)
