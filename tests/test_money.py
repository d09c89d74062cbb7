"""credits.money: currencies, exact Money, limits and the two amount parsers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credits.i18n import Lang
from credits.money import (
    KNOWN_CURRENCIES,
    MAX_MINOR,
    AmountError,
    AmountLimits,
    Currency,
    Money,
    currency,
    parse_chat,
    parse_strict,
    parse_typed,
)

USD = currency("USD")
EUR = currency("EUR")
JPY = currency("JPY")
BHD = currency("BHD")
CAD = currency("CAD")
KRW = currency("KRW")
CLF = currency("CLF")
LIMITS = AmountLimits()
USD_RANGE = "Enter an amount from $10.00 to $10,000.00."

ZERO = "more than zero"
DECIMALS_USD = "USD amounts can have at most 2 decimal places"
WHOLE_JPY = "JPY amounts must be whole numbers"
STRICT_HINT = "e.g. 1000.50"
TYPED_HINT = "Write amounts like 1,000.50"
WRONG_USD = "This account is in USD; enter an amount in USD."
ONE = "one amount at a time"


def usd(text: str) -> Money:
    return Money(Decimal(text), USD)


# --------------------------------------------------------------------------- currencies


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("USD", 2), ("EUR", 2), ("GBP", 2), ("JPY", 0), ("CHF", 2), ("CAD", 2), ("AUD", 2),
        ("NZD", 2), ("SEK", 2), ("NOK", 2), ("DKK", 2), ("PLN", 2), ("CZK", 2), ("HUF", 2),
        ("INR", 2), ("CNY", 2), ("HKD", 2), ("SGD", 2), ("KRW", 0), ("BRL", 2), ("MXN", 2),
        ("ZAR", 2), ("AED", 2), ("SAR", 2), ("ILS", 2), ("TRY", 2), ("BHD", 3), ("KWD", 3),
        ("OMR", 3), ("JOD", 3), ("TND", 3), ("ISK", 0), ("CLP", 0), ("VND", 0),
    ],
)  # fmt: skip
def test_known_currency_exponents(code: str, exponent: int) -> None:
    cur = KNOWN_CURRENCIES[code]
    assert cur.code == code
    assert cur.exponent == exponent
    assert cur.quantum == Decimal(1).scaleb(-exponent)
    assert currency(code.lower()) is cur


def test_currency_lookup_is_case_insensitive_and_trims() -> None:
    assert currency(" usd ") is USD
    assert currency("Eur") is EUR
    assert USD.symbol == "$" and EUR.symbol == "€" and JPY.symbol == "¥"
    assert BHD.symbol == "BHD"
    assert USD.quantum == Decimal("0.01") and JPY.quantum == Decimal("1")
    assert BHD.quantum == Decimal("0.001")


@pytest.mark.parametrize("code", ["XYZ", "", "US", "usdd", "€"])
def test_unknown_currency(code: str) -> None:
    with pytest.raises(AmountError, match="Unknown currency"):
        currency(code)


def test_known_currencies_is_read_only() -> None:
    with pytest.raises(TypeError):
        KNOWN_CURRENCIES["XXX"] = USD  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "exponent", "symbol"),
    [("usd", 2, "$"), ("US", 2, "$"), ("USD", 5, "$"), ("USD", -1, "$"), ("USD", 2, "")],
)
def test_currency_validates(code: str, exponent: int, symbol: str) -> None:
    with pytest.raises(ValueError):
        Currency(code, exponent, symbol)


# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("cur", "minor", "amount"),
    [
        (JPY, 0, "0"),
        (JPY, 1000, "1000"),
        (JPY, -7, "-7"),
        (USD, 100050, "1000.50"),
        (USD, 1, "0.01"),
        (USD, -500, "-5.00"),
        (BHD, 1005, "1.005"),
        (BHD, -1, "-0.001"),
        (CLF, 12345, "1.2345"),
    ],
)
def test_from_minor_and_minor(cur: Currency, minor: int, amount: str) -> None:
    money = Money.from_minor(minor, cur)
    assert money.amount == Decimal(amount)
    assert str(money.amount) == amount
    assert money.minor == minor
    assert Money(Decimal(amount), cur) == money


def test_constructor_quantizes_and_validates() -> None:
    assert str(Money(Decimal("10"), USD).amount) == "10.00"
    assert str(Money(Decimal("10.000"), USD).amount) == "10.00"  # trailing zeros are fine
    assert str(Money(10, USD).amount) == "10.00"  # type: ignore[arg-type]
    assert str(Money(Decimal("-0"), USD).amount) == "0.00"
    assert Money(Decimal("1.0"), JPY).minor == 1
    with pytest.raises(AmountError, match=DECIMALS_USD):
        Money(Decimal("10.001"), USD)
    with pytest.raises(AmountError, match=WHOLE_JPY):
        Money(Decimal("1.5"), JPY)
    for bad in ("NaN", "sNaN", "Infinity", "-Infinity"):
        with pytest.raises(AmountError, match="finite"):
            Money(Decimal(bad), USD)
    with pytest.raises(AmountError, match="too large"):
        Money(Decimal("1E+40"), USD)
    with pytest.raises(AmountError, match="too large"):
        Money.from_minor(MAX_MINOR + 1, USD)
    assert Money.from_minor(MAX_MINOR, USD).minor == MAX_MINOR
    with pytest.raises(TypeError):
        Money(10.5, USD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True, USD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.from_minor(1.0, USD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.from_minor(True, USD)


def test_arithmetic_and_comparisons() -> None:
    a, b = usd("10.25"), usd("0.75")
    assert a + b == usd("11")
    assert a - b == usd("9.50")
    assert b - a == usd("-9.50")
    assert -a == usd("-10.25")
    assert abs(usd("-3")) == usd("3")
    assert a > b and a >= b and b < a and b <= a and a <= a and a >= a
    assert not a < a
    assert Money.zero(USD) == usd("0") and Money.zero(USD).is_zero
    assert a.is_positive and not a.is_negative and not a.is_zero
    assert (-a).is_negative and not (-a).is_positive
    assert sorted([a, b, Money.zero(USD)]) == [Money.zero(USD), b, a]
    assert hash(usd("5")) == hash(Money(Decimal("5.000"), USD))
    assert usd("5") != Money(Decimal(5), CAD)  # different currencies are never equal
    big = Money.from_minor(MAX_MINOR // 2, USD)
    assert (big + big).minor == (MAX_MINOR // 2) * 2  # exact, no context rounding


def test_mixing_currencies_raises() -> None:
    usd5, eur5 = usd("5"), Money(Decimal(5), EUR)
    for op in (
        lambda: usd5 + eur5,
        lambda: usd5 - eur5,
        lambda: usd5 < eur5,
        lambda: usd5 <= eur5,
        lambda: usd5 > eur5,
        lambda: usd5 >= eur5,
    ):
        with pytest.raises(ValueError, match="Cannot combine USD and EUR"):
            op()
    with pytest.raises(TypeError):
        _ = usd5 + 5
    with pytest.raises(TypeError):
        _ = usd5 < 5


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(Decimal("1000.5"), USD), "$1,000.50"),
        (Money(Decimal("-5"), USD), "-$5.00"),
        (Money(Decimal("0"), USD), "$0.00"),
        (Money(Decimal("0.05"), USD), "$0.05"),
        (Money(Decimal("1234567.89"), USD), "$1,234,567.89"),
        (Money(Decimal("1000"), JPY), "¥1,000"),
        (Money(Decimal("-1000000"), JPY), "-¥1,000,000"),
        (Money(Decimal("1.005"), BHD), "BHD 1.005"),
        (Money(Decimal("-1234.5"), BHD), "-BHD 1,234.500"),
        (Money(Decimal("20"), EUR), "€20.00"),
        (Money(Decimal("20"), CAD), "CA$20.00"),
        (Money(Decimal("5000"), KRW), "₩5,000"),
    ],
)
def test_format(money: Money, text: str) -> None:
    assert money.format() == text
    assert str(money) == text


def test_plain() -> None:
    assert usd("1000.5").plain() == "1000.50"
    assert Money(Decimal(1000), JPY).plain() == "1000"
    assert Money(Decimal("-1.005"), BHD).plain() == "-1.005"


# --------------------------------------------------------------------------- limits


def test_limits() -> None:
    assert LIMITS.check(usd("10")) == usd("10")  # inclusive
    assert LIMITS.check(usd("10000")) == usd("10000")
    with pytest.raises(AmountError) as below:
        LIMITS.check(usd("9.99"))
    assert str(below.value) == f"That amount is below the minimum. {USD_RANGE}"
    with pytest.raises(AmountError) as above:
        LIMITS.check(usd("10000.01"))
    assert str(above.value) == f"That amount is over the maximum. {USD_RANGE}"
    with pytest.raises(AmountError, match="from ¥10 to ¥10,000"):
        LIMITS.check(Money(Decimal(5), JPY))
    with pytest.raises(AmountError, match=r"from BHD 10\.000 to BHD 10,000\.000"):
        LIMITS.check(Money(Decimal(5), BHD))
    odd = AmountLimits(Decimal("10.5"), Decimal("99.5"))
    assert odd.describe(JPY) == "Enter an amount from ¥11 to ¥99."


@pytest.mark.parametrize(
    ("minimum", "maximum"),
    [(Decimal(-1), Decimal(10)), (Decimal(10), Decimal(5)), (Decimal("NaN"), Decimal(5))],
)
def test_limits_validate(minimum: Decimal, maximum: Decimal) -> None:
    with pytest.raises(ValueError):
        AmountLimits(minimum, maximum)


def test_limits_refuse_float() -> None:
    with pytest.raises(TypeError):
        AmountLimits(10.0, Decimal(100))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- parse_strict

STRICT_BAD: list[tuple[Any, Currency, tuple[str, ...]]] = [
    ("", USD, ("No amount", STRICT_HINT)),
    ("   ", USD, ("No amount", STRICT_HINT)),
    ("abc", USD, (STRICT_HINT,)),
    ("-5", USD, (ZERO,)),
    ("\u22125", USD, (ZERO,)),
    ("+5", USD, ("+ sign", STRICT_HINT)),
    ("0", USD, (ZERO,)),
    ("0.00", USD, (ZERO,)),
    ("NaN", USD, ("number", STRICT_HINT)),
    ("nan", USD, ("number", STRICT_HINT)),
    ("Infinity", USD, ("number", STRICT_HINT)),
    ("inf", USD, ("number", STRICT_HINT)),
    ("1e9", USD, ("Exponents", STRICT_HINT)),
    ("1E3", USD, ("Exponents", STRICT_HINT)),
    ("1_000", USD, (STRICT_HINT,)),
    ("1,000", USD, ("Commas are not allowed", "use digits and an optional decimal point")),
    ("1.000,50", USD, ("Commas are not allowed", STRICT_HINT)),
    ("\u0665\u0660", USD, ("digits 0-9", STRICT_HINT)),
    ("\uff15\uff10", USD, ("digits 0-9", STRICT_HINT)),
    ("\u096b\u0966", USD, ("digits 0-9", STRICT_HINT)),
    ("1.005", USD, (DECIMALS_USD,)),
    ("10.001", USD, (DECIMALS_USD,)),
    ("0.001", USD, (DECIMALS_USD,)),
    ("1.5", JPY, (WHOLE_JPY,)),
    ("1.0005", BHD, ("BHD amounts can have at most 3 decimal places",)),
    (".5", USD, (STRICT_HINT,)),
    ("50.", USD, (STRICT_HINT,)),
    ("5 0", USD, (STRICT_HINT,)),
    ("$50", USD, (STRICT_HINT,)),
    ("1" * 33, USD, ("too long", STRICT_HINT)),
    (" " * 30 + "50" + " " * 3, USD, ("too long",)),
    ("9" * 30, USD, ("too large",)),
    (True, USD, ("Send the amount as text", STRICT_HINT)),
    (False, USD, ("Send the amount as text",)),
    (50.0, USD, ("Send the amount as text",)),
    (None, USD, ("Send the amount as text",)),
    (0, USD, (ZERO,)),
    (-5, USD, (ZERO,)),
    (Decimal("NaN"), USD, ("number",)),
    (Decimal("Infinity"), USD, ("number",)),
    (Decimal("-1"), USD, (ZERO,)),
    (Decimal("-0"), USD, (ZERO,)),
    (Decimal("1.001"), USD, (DECIMALS_USD,)),
]


@pytest.mark.parametrize(("value", "cur", "hints"), STRICT_BAD)
def test_parse_strict_rejects(value: Any, cur: Currency, hints: tuple[str, ...]) -> None:
    with pytest.raises(AmountError) as error:
        parse_strict(value, cur)
    for hint in hints:
        assert hint in str(error.value)


@pytest.mark.parametrize(("value", "cur", "hints"), STRICT_BAD)
def test_parse_strict_rejects_with_range(value: Any, cur: Currency, hints: tuple[str, ...]) -> None:
    with pytest.raises(AmountError) as error:
        parse_strict(value, cur, LIMITS)
    message = str(error.value)
    for hint in hints:
        assert hint in message
    assert message.endswith(LIMITS.describe(cur))


@pytest.mark.parametrize(
    ("value", "hint"),
    [("9.99", "below the minimum"), ("10000.01", "over the maximum"), (5, "below the minimum")],
)
def test_parse_strict_limits(value: str | int, hint: str) -> None:
    with pytest.raises(AmountError) as error:
        parse_strict(value, USD, LIMITS)
    assert str(error.value) == f"That amount is {hint}. {USD_RANGE}"


@pytest.mark.parametrize(
    ("value", "cur", "expected"),
    [
        ("50", USD, "50.00"),
        ("50.5", USD, "50.50"),
        ("1000.50", USD, "1000.50"),
        ("  1000.50\n", USD, "1000.50"),
        ("10.000", USD, "10.00"),
        ("0010", USD, "10.00"),
        ("10000", USD, "10000.00"),
        ("10", USD, "10.00"),
        (50, USD, "50.00"),
        (Decimal("50.5"), USD, "50.50"),
        (Decimal("1E+3"), USD, "1000.00"),
        ("1000", JPY, "1000"),
        ("10.0", JPY, "10"),
        ("10.005", BHD, "10.005"),
    ],
)
def test_parse_strict_accepts(value: str | int | Decimal, cur: Currency, expected: str) -> None:
    money = parse_strict(value, cur, LIMITS)
    assert money == Money(Decimal(expected), cur)
    assert str(money.amount) == expected
    assert parse_strict(value, cur) == money


# --------------------------------------------------------------------------- parse_typed

TYPED_BAD: list[tuple[str, Currency, tuple[str, ...]]] = [
    ("-5 dollars", USD, (ZERO,)),
    ("add -$5", USD, (ZERO,)),
    ("$-5", USD, (ZERO,)),
    ("\u22125 dollars", USD, (ZERO,)),
    ("minus 5 dollars", USD, (ZERO,)),
    ("add negative 50", USD, (ZERO,)),
    ("add -50", USD, (ZERO,)),
    ("+5 dollars", USD, ("+ sign",)),
    ("0 dollars", USD, (ZERO,)),
    ("$0.00", USD, (ZERO,)),
    ("add 0", USD, (ZERO,)),
    ("1e9 dollars", USD, ("Exponents", TYPED_HINT)),
    ("add 1E3", USD, ("Exponents", TYPED_HINT)),
    ("$1.5e3", USD, ("Exponents",)),
    ("$0.001", USD, (DECIMALS_USD,)),
    ("add 1.005 dollars", USD, (DECIMALS_USD,)),
    ("10.000 dollars", USD, (DECIMALS_USD, TYPED_HINT)),
    ("¥1,000.5", JPY, (WHOLE_JPY,)),
    ("1.5 yen", JPY, (WHOLE_JPY,)),
    ("1.000,50 EUR", USD, (TYPED_HINT,)),
    ("1.000,50 EUR", EUR, (TYPED_HINT,)),
    ("1.000.000 dollars", USD, (TYPED_HINT,)),
    ("1,5 dollars", USD, (TYPED_HINT,)),
    ("$50,00", USD, (TYPED_HINT,)),
    ("add 1,00", USD, (TYPED_HINT,)),
    ("1 000 dollars", USD, (TYPED_HINT,)),
    ("1_000 dollars", USD, (TYPED_HINT,)),
    ("1'000 dollars", USD, (TYPED_HINT,)),
    ("$.5", USD, (TYPED_HINT,)),
    ("$50 50", USD, (TYPED_HINT,)),
    ("$5 and 50 cents", USD, (TYPED_HINT,)),
    ("¥1000", USD, (WRONG_USD,)),
    ("€20", USD, (WRONG_USD,)),
    ("£20", USD, (WRONG_USD,)),
    ("20 EUR", USD, (WRONG_USD,)),
    ("EUR 20", USD, (WRONG_USD,)),
    ("eur20", USD, (WRONG_USD,)),
    ("add 50 credits in EUR", USD, (WRONG_USD,)),
    ("50 euros", USD, (WRONG_USD,)),
    ("C$50", USD, (WRONG_USD,)),
    ("A$50", USD, (WRONG_USD,)),
    ("50 CAD", USD, (WRONG_USD,)),
    ("₩1000", USD, (WRONG_USD,)),
    ("50 won", USD, (WRONG_USD,)),
    ("50 cents", USD, (WRONG_USD,)),
    ("50¢", USD, (WRONG_USD,)),
    ("$50", EUR, ("This account is in EUR; enter an amount in EUR.",)),
    ("50 dollars", EUR, ("This account is in EUR",)),
    ("US$50", CAD, ("This account is in CAD",)),
    ("add $50 and $60", USD, (ONE,)),
    ("add 50 dollars and 60 dollars", USD, (ONE,)),
    ("add 50 or 60", USD, (ONE,)),
    ("add $50 for team 2", USD, (ONE,)),
    ("add 5-10 dollars", USD, (ONE,)),
    ("NaN dollars", USD, ("as a number",)),
    ("add nan", USD, ("as a number",)),
    ("infinity dollars", USD, ("as a number",)),
    ("add inf", USD, ("as a number",)),
    ("add ∞ dollars", USD, ("as a number",)),
    ("add \u0665\u0660 dollars", USD, ("digits 0-9",)),
    ("\uff15\uff10 dollars", USD, ("digits 0-9",)),
    ("add \u096b\u0966 dollars", USD, ("digits 0-9",)),
    ("$\u0665\u0660", USD, ("digits 0-9",)),
    ("fifty dollars", USD, ("in digits",)),
    ("$1.5k", USD, ("in digits",)),
    ("5 million dollars", USD, ("in digits",)),
    ("add " + "x" * 600 + " $50", USD, ("too long",)),
]


@pytest.mark.parametrize(("text", "cur", "hints"), TYPED_BAD)
def test_parse_typed_rejects(text: str, cur: Currency, hints: tuple[str, ...]) -> None:
    with pytest.raises(AmountError) as error:
        parse_typed(text, cur)
    for hint in hints:
        assert hint in str(error.value)


@pytest.mark.parametrize(("text", "cur", "hints"), TYPED_BAD)
def test_parse_typed_rejects_with_range(text: str, cur: Currency, hints: tuple[str, ...]) -> None:
    with pytest.raises(AmountError) as error:
        parse_typed(text, cur, LIMITS)
    message = str(error.value)
    for hint in hints:
        assert hint in message
    assert message.endswith(LIMITS.describe(cur))


@pytest.mark.parametrize(
    ("text", "hint"),
    [("$9.99", "below the minimum"), ("10,000.01 USD", "over the maximum"), ("add 5", "below")],
)
def test_parse_typed_limits(text: str, hint: str) -> None:
    with pytest.raises(AmountError) as error:
        parse_typed(text, USD, LIMITS)
    assert hint in str(error.value)
    assert str(error.value).endswith(USD_RANGE)


@pytest.mark.parametrize(
    ("text", "cur", "expected"),
    [
        ("add $50 credits", USD, "50.00"),
        ("add 50 dollars", USD, "50.00"),
        ("top up 75 USD", USD, "75.00"),
        ("1,000.50 USD", USD, "1000.50"),
        ("$50", USD, "50.00"),
        ("$ 50", USD, "50.00"),
        ("50$", USD, "50.00"),
        ("50 dollars", USD, "50.00"),
        ("50 Dollars please", USD, "50.00"),
        ("50", USD, "50.00"),
        ("add 50", USD, "50.00"),
        ("add 50 credits", USD, "50.00"),
        ("Add $50.", USD, "50.00"),
        ("add $50.00", USD, "50.00"),
        ("add $1,000.50", USD, "1000.50"),
        ("$10,000", USD, "10000.00"),
        ("add 50.5 dollars", USD, "50.50"),
        ("usd 50", USD, "50.00"),
        ("USD50", USD, "50.00"),
        ("US$50", USD, "50.00"),
        ("add 50 usd credits", USD, "50.00"),
        ("top-up 50", USD, "50.00"),
        ("$50 ($50)", USD, "50.00"),
        ("€20", EUR, "20.00"),
        ("20€", EUR, "20.00"),
        ("add 20 euros", EUR, "20.00"),
        ("20 EUR", EUR, "20.00"),
        ("¥1000", JPY, "1000"),
        ("¥1,000", JPY, "1000"),
        ("1000 yen", JPY, "1000"),
        ("$50", CAD, "50.00"),
        ("C$50", CAD, "50.00"),
        ("50 CAD", CAD, "50.00"),
        ("1.005 BHD", BHD, "1.005"),
        ("BHD 10.5", BHD, "10.500"),
        ("add 5000 won", KRW, "5000"),
        ("12,345,678,901,234.56 USD", USD, "12345678901234.56"),  # recognizer says ...234.6
        ("9,007,199,254,740,993 JPY", JPY, "9007199254740993"),  # recognizer: 9.007...E+15
    ],
)
def test_parse_typed_accepts(text: str, cur: Currency, expected: str) -> None:
    money = parse_typed(text, cur, AmountLimits(Decimal(1), Decimal(10) ** 17))
    assert money == Money(Decimal(expected), cur)
    assert money is not None and str(money.amount) == expected


@pytest.mark.parametrize(
    "text", ["", "add credits", "balance", "add dollars", "show me the balance please", "help"]
)
def test_parse_typed_no_amount(text: str) -> None:
    assert parse_typed(text, USD, LIMITS) is None


def test_parse_typed_needs_text() -> None:
    with pytest.raises(TypeError):
        parse_typed(50, USD)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties

EXPONENT_CURRENCIES = [JPY, USD, BHD, CLF]  # exponents 0, 2, 3, 4


@given(st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR), st.sampled_from(EXPONENT_CURRENCIES))
def test_minor_round_trip(minor: int, cur: Currency) -> None:
    money = Money.from_minor(minor, cur)
    assert money.minor == minor
    assert money.amount.as_tuple().exponent == -cur.exponent
    assert Money(money.amount, cur) == money


@given(st.integers(min_value=1, max_value=MAX_MINOR), st.sampled_from(EXPONENT_CURRENCIES))
def test_parse_strict_reads_plain_back(minor: int, cur: Currency) -> None:
    money = Money.from_minor(minor, cur)
    assert parse_strict(money.plain(), cur) == money
    assert parse_strict(money.amount, cur) == money


@settings(deadline=None)  # the recognizer loads its models on first use
@given(st.integers(min_value=1, max_value=10**12), st.sampled_from([JPY, USD, BHD]))
def test_parse_typed_reads_format_back(minor: int, cur: Currency) -> None:
    money = Money.from_minor(minor, cur)
    text = f"{money.amount:,.{cur.exponent}f} {cur.code}"
    assert parse_typed(text, cur) == money


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(EXPONENT_CURRENCIES),
)
def test_addition_is_exact(a: int, b: int, cur: Currency) -> None:
    x, y = Money.from_minor(a, cur), Money.from_minor(b, cur)
    assert (x + y).minor == a + b
    assert (x - y).minor == a - b
    assert (x < y) == (a < b)


@pytest.mark.parametrize(
    "text",
    ["add 500k", "add $500K", "add 2k credits", "add 50 M", "add 5 thousand dollars", "nạp 500k"],
)
def test_a_multiplied_amount_is_refused_never_read_as_its_digits(text: str) -> None:
    """ "500k" is five hundred thousand: reading it as $500 would charge the wrong amount."""
    with pytest.raises(AmountError, match="Write the amount in digits"):
        parse_typed(text, USD, None)
    with pytest.raises(AmountError):
        parse_chat(text, USD, None, Lang.EN)


def test_remembered_amounts_keep_their_sign_and_language() -> None:
    """Formatted amounts are remembered (`fmt_money`): -0 and 0 are equal Decimals but are
    written apart, and each language keeps its own."""
    from credits.i18n import Lang, fmt_money, speaking

    for _ in range(2):  # the second round is remembered
        with speaking(Lang.EN):
            assert fmt_money(Decimal("-0.00"), "USD", 2) == "-$0.00"
            assert fmt_money(Decimal("0.00"), "USD", 2) == "$0.00"
            assert fmt_money(Decimal("1000.5"), "USD", 2, "$") == "$1,000.50"
        with speaking(Lang.VI):
            assert fmt_money(Decimal("0.00"), "USD", 2) == "0,00\xa0US$"
            assert fmt_money(Decimal("1000.5"), "USD", 2, "$") == "1.000,50\xa0US$"
