"""Properties of the Vietnamese amount parser (credits.money.parse_chat under Lang.VI).

1. The bot's own Babel output reads back: any positive Money formatted under Lang.VI parses to
   itself (USD, JPY, BHD and VND accounts).
2. NFD text reads exactly as its NFC form (same amount, or the same refusal).
3. Arbitrary text never raises anything but AmountError, in either language.
4. A Vietnamese integer with "." between thousands reads as that integer.
5. An amount with a multiplier is the exact Decimal product, or refused when that product has
   more decimals than the currency.
"""

from __future__ import annotations

import os
import unicodedata
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from credits.i18n import Lang, speaking
from credits.money import MAX_MINOR, AmountError, Currency, Money, currency, parse_chat

USD = currency("USD")
VND = currency("VND")
ACCOUNTS = [USD, currency("JPY"), currency("BHD"), VND]
EXAMPLES = 1000 if os.environ.get("CREDITS_TEST_DEEP") else 100
FAST = settings(max_examples=EXAMPLES, deadline=None)

MULTIPLIERS = {
    "k": 10**3,
    "nghìn": 10**3,
    "ngàn": 10**3,
    "nghin": 10**3,
    "ngan": 10**3,
    "triệu": 10**6,
    "trieu": 10**6,
    "tr": 10**6,
    "củ": 10**6,
    "tỷ": 10**9,
    "tỉ": 10**9,
}
FRAGMENTS = [
    "nạp",
    "thêm",
    "tự động",
    "tu dong",
    "khi số dư dưới",
    "đô",
    "đô la",
    "đồng",
    "dong",
    "do",
    "USD",
    "US$",
    "$",
    "₫",
    "đ",
    "VNĐ",
    "củ",
    "k",
    "triệu",
    "nghìn",
    "tỷ",
    "âm",
    "năm mươi",
    "một trăm",
    "và",
    "-",
    "+",
    ",",
    ".",
    "\u00a0",
]


def outcome(text: str, cur: Currency) -> Money | str | None:
    """The amount read, or the refusal's sentence."""
    try:
        return parse_chat(text, cur, None, Lang.VI)
    except AmountError as error:
        return f"refused: {error}"


def grouped(number: int) -> str:
    """``number`` with "." between thousands, as Vietnamese writes it."""
    return f"{number:,}".replace(",", ".")


@FAST
@given(st.integers(min_value=1, max_value=MAX_MINOR), st.sampled_from(ACCOUNTS))
def test_babel_output_reads_back(minor: int, cur: Currency) -> None:
    money = Money.from_minor(minor, cur)
    with speaking(Lang.VI):
        assert parse_chat(money.format(), cur, None, Lang.VI) == money
        assert parse_chat(f"nạp {money.format()}", cur) == money


chat_text = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.integers(min_value=0, max_value=10**7).map(str),
        st.integers(min_value=0, max_value=10**9).map(grouped),
        st.from_regex(r"[0-9]{1,4},[0-9]{1,3}", fullmatch=True),
    ),
    max_size=6,
).map(" ".join)


@FAST
@given(chat_text, st.sampled_from([USD, VND]))
def test_nfd_reads_as_nfc(text: str, cur: Currency) -> None:
    with speaking(Lang.VI):
        assert outcome(unicodedata.normalize("NFD", text), cur) == outcome(text, cur)


@FAST
@given(
    st.one_of(st.text(max_size=60), chat_text),
    st.sampled_from([Lang.VI, Lang.EN]),
    st.sampled_from(ACCOUNTS),
    st.booleans(),
)
def test_only_amount_errors(text: str, lang: Lang, cur: Currency, allow_zero: bool) -> None:
    with speaking(lang):
        try:
            found = parse_chat(text, cur, None, allow_zero=allow_zero)
        except AmountError as error:
            assert str(error)
        else:
            assert found is None or found.currency == cur


@FAST
@given(st.integers(min_value=1, max_value=10**15))
def test_grouped_integers(number: int) -> None:
    with speaking(Lang.VI):
        assert parse_chat(f"{grouped(number)} đô", USD) == Money(Decimal(number), USD)
        assert parse_chat(f"nạp {grouped(number)}", VND) == Money(Decimal(number), VND)


@FAST
@given(
    st.integers(min_value=0, max_value=999_999),
    st.one_of(st.just(""), st.from_regex(r"[0-9]{1,4}", fullmatch=True)),
    st.sampled_from(sorted(MULTIPLIERS)),
    st.sampled_from(["", " đồng", " đ", " VND"]),
)
def test_multipliers_are_exact(whole: int, fraction: str, word: str, unit: str) -> None:
    written = grouped(whole) + (f",{fraction}" if fraction else "")
    value = Decimal(f"{whole}.{fraction}" if fraction else whole) * MULTIPLIERS[word]
    with speaking(Lang.VI):
        got = outcome(f"nạp {written} {word}{unit}", VND)
    if value == 0:
        assert got == "refused: Số tiền phải lớn hơn 0."
    elif value == value.to_integral_value():
        assert got == Money(value, VND)
    else:
        assert isinstance(got, str) and "Số tiền VND phải là số nguyên" in got


NUMBER_WORDS = [
    *("rưỡi", "rưởi", "mốt", "một", "hai", "ba", "tư", "bốn", "năm", "lăm", "sáu", "bảy"),
    *("tám", "chín", "mười", "mươi", "chục", "trăm", "vạn", "lẻ", "linh"),
]
FOLDED_NUMBER_WORDS = [
    *("ruoi", "mot", "hai", "ba", "bon", "tu", "nam", "lam", "sau", "bay", "tam", "chin"),
    *("muoi", "chuc", "tram", "van", "le", "linh"),
]
AMOUNT_ENDS = ["", " nghìn", " triệu", "k", " củ", " tỷ", " đô", " đồng", " USD", " nghìn đô"]


@FAST
@given(
    st.integers(min_value=1, max_value=999),
    st.sampled_from(AMOUNT_ENDS),
    st.sampled_from(NUMBER_WORDS + FOLDED_NUMBER_WORDS),
    st.sampled_from(["", " cho nhóm A", " nhé", "."]),
    st.sampled_from([USD, VND]),
)
def test_a_number_word_after_an_amount_is_never_dropped(
    number: int, end: str, word: str, rest: str, cur: Currency
) -> None:
    """ "1 triệu rưỡi", "100 đô rưỡi", "5 chục": refused, never read without the word."""
    text = f"nạp {number}{end} {word}{rest}"
    with speaking(Lang.VI):
        assert isinstance(outcome(text, cur), str)
        assert isinstance(outcome(unicodedata.normalize("NFD", text), cur), str)
    with speaking(Lang.EN):
        if word in NUMBER_WORDS and not word.isascii():
            assert isinstance(outcome(text, cur), str)


@FAST
@given(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from(["", " đô", " đồng", " USD"]),
    st.sampled_from(["", " đô", " đồng", " USD", " xu"]),
    st.sampled_from([" ", " và ", ", ", " rồi "]),
    st.sampled_from([USD, VND]),
)
def test_two_numbers_are_never_one_amount(
    first: int, second: int, unit: str, other: str, gap: str, cur: Currency
) -> None:
    """ "50 đô 50 xu", "20 đô 20": refused even when the numbers are equal."""
    for a, b in ((first, second), (first, first)):
        text = f"nạp {grouped(a)}{unit}{gap}{grouped(b)}{other}"
        with speaking(Lang.VI):
            assert isinstance(outcome(text, cur), str), text
