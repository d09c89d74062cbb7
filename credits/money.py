"""Money: currencies, exact amounts and the two amount parsers (DESIGN.md section 2).

Pure domain code. Amounts are ``Decimal`` at the edges and integer minor units in the store
(ISO 4217 exponent: JPY 0, USD 2, BHD 3). ``float`` is never used and never accepted.

Two parsers, both raising :class:`AmountError` with a short user-facing sentence:

* :func:`parse_strict` for card inputs and the JSON API: ASCII digits and an optional decimal
  point only (``"50"``, ``"1000.50"``). ``".5"`` and ``"50."`` are rejected. Trailing zeros
  beyond the currency's exponent are accepted (``"10.000"`` USD is 10.00), other extra
  decimals are not (``"10.001"`` USD).
* :func:`parse_typed` for what admins type in chat (``"add $50"``, ``"1,000.50 USD"``,
  ``"€20"``, ``"add 50"``), built on Microsoft Recognizers-Text plus our own checks of the
  original text. It is stricter about decimals than :func:`parse_strict`: any digit beyond the
  currency's exponent is refused, because ``"1.000"`` in chat may mean one thousand. Amounts
  must be written in digits ("fifty dollars" is refused), with one amount per message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, NoReturn

__all__ = [
    "KNOWN_CURRENCIES",
    "MAX_MINOR",
    "AmountError",
    "AmountLimits",
    "Currency",
    "Money",
    "currency",
    "parse_strict",
    "parse_typed",
]


class AmountError(ValueError):
    """Raised for every rejected amount.

    ``str(e)`` is a short user-facing sentence saying what was wrong and what is allowed.
    """


# --------------------------------------------------------------------------- currencies


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency."""

    code: str  # ISO 4217, e.g. "USD"
    exponent: int  # minor-unit digits: USD 2, JPY 0, BHD 3
    symbol: str  # "$", "€", "£", "¥", or the code when there is no unambiguous symbol

    def __post_init__(self) -> None:
        if not (len(self.code) == 3 and self.code.isascii() and self.code.isalpha()):
            raise ValueError(f"Invalid ISO 4217 code {self.code!r}")
        if not self.code.isupper():
            raise ValueError(f"ISO 4217 codes are upper case: {self.code!r}")
        if isinstance(self.exponent, bool) or not isinstance(self.exponent, int):
            raise TypeError("Currency exponent must be an int")
        if not 0 <= self.exponent <= 4:
            raise ValueError(f"Invalid minor-unit exponent {self.exponent} for {self.code}")
        if not self.symbol:
            raise ValueError("Currency symbol must not be empty")

    @property
    def quantum(self) -> Decimal:
        """The smallest amount: ``Decimal("0.01")`` for USD, ``Decimal("1")`` for JPY."""
        return Decimal(1).scaleb(-self.exponent)


def _table(rows: Iterable[tuple[str, int, str | None]]) -> Mapping[str, Currency]:
    return MappingProxyType({c: Currency(c, e, s or c) for c, e, s in rows})


# ISO 4217 minor-unit exponents (checked against the ISO 4217 list one; HUF, IDR, COP are 2
# in ISO 4217 even though cash has no minor unit). Symbols are only given where unambiguous
# in English; otherwise the code is the symbol.
KNOWN_CURRENCIES: Mapping[str, Currency] = _table(
    [
        ("USD", 2, "$"),
        ("EUR", 2, "€"),
        ("GBP", 2, "£"),
        ("JPY", 0, "¥"),
        ("CHF", 2, None),
        ("CAD", 2, "CA$"),
        ("AUD", 2, "A$"),
        ("NZD", 2, "NZ$"),
        ("SEK", 2, None),
        ("NOK", 2, None),
        ("DKK", 2, None),
        ("PLN", 2, None),
        ("CZK", 2, None),
        ("HUF", 2, None),
        ("INR", 2, "₹"),
        ("CNY", 2, "CN¥"),
        ("HKD", 2, "HK$"),
        ("SGD", 2, None),
        ("KRW", 0, "₩"),
        ("BRL", 2, "R$"),
        ("MXN", 2, "MX$"),
        ("ZAR", 2, None),
        ("AED", 2, None),
        ("SAR", 2, None),
        ("ILS", 2, "₪"),
        ("TRY", 2, None),
        ("BHD", 3, None),
        ("KWD", 3, None),
        ("OMR", 3, None),
        ("JOD", 3, None),
        ("TND", 3, None),
        ("IQD", 3, None),
        ("LYD", 3, None),
        ("ISK", 0, None),
        ("CLP", 0, None),
        ("VND", 0, "₫"),
        ("PYG", 0, None),
        ("UGX", 0, None),
        ("RWF", 0, None),
        ("XAF", 0, None),
        ("XOF", 0, None),
        ("XPF", 0, None),
        ("KMF", 0, None),
        ("DJF", 0, None),
        ("GNF", 0, None),
        ("VUV", 0, None),
        ("BIF", 0, None),
        ("CLF", 4, None),
        ("UYW", 4, None),
        ("RUB", 2, None),
        ("UAH", 2, None),
        ("RON", 2, None),
        ("BGN", 2, None),
        ("THB", 2, None),
        ("IDR", 2, None),
        ("MYR", 2, None),
        ("PHP", 2, "₱"),
        ("TWD", 2, "NT$"),
        ("PKR", 2, None),
        ("BDT", 2, None),
        ("LKR", 2, None),
        ("EGP", 2, None),
        ("NGN", 2, None),
        ("KES", 2, None),
        ("QAR", 2, None),
        ("COP", 2, None),
        ("ARS", 2, None),
        ("PEN", 2, None),
        ("MAD", 2, None),
    ]
)

# Currencies a bare "$" or the word "dollar(s)" may mean (the account currency decides).
DOLLAR_CODES = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD"})


def currency(code: str) -> Currency:
    """Look up a currency by ISO 4217 code, case-insensitively."""
    key = code.strip().upper() if isinstance(code, str) else ""
    found = KNOWN_CURRENCIES.get(key)
    if found is None:
        shown = code.strip()[:10] if isinstance(code, str) else type(code).__name__
        raise AmountError(
            f"Unknown currency '{shown}'. Use an ISO 4217 code such as USD, EUR or GBP."
        )
    return found


# --------------------------------------------------------------------------- money

MAX_MINOR = 2**63 - 1
"""Largest magnitude in minor units (the store keeps a signed 64-bit integer)."""


def _decimals_message(cur: Currency) -> str:
    if cur.exponent == 0:
        return f"{cur.code} amounts must be whole numbers, with no decimal places."
    places = "decimal place" if cur.exponent == 1 else "decimal places"
    return f"{cur.code} amounts can have at most {cur.exponent} {places}."


_TOO_LARGE = "That amount is too large."


def _exact(amount: Decimal, cur: Currency) -> Decimal:
    """``amount`` quantized to ``cur.quantum`` without rounding, or AmountError."""
    if not amount.is_finite():
        raise AmountError("Amounts must be a finite number.")
    if not amount.is_zero() and amount.adjusted() > 30:
        raise AmountError(_TOO_LARGE)
    context = Context(prec=64, traps=[InvalidOperation])
    quantized = amount.quantize(cur.quantum, context=context)
    if quantized != amount:
        raise AmountError(_decimals_message(cur))
    if quantized.is_zero():
        quantized = quantized.copy_abs()  # no "-0.00"
    return quantized


def _minor_of(amount: Decimal) -> int:
    sign, digits, _ = amount.as_tuple()
    value = int("".join(str(d) for d in digits))
    return -value if sign else value


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount of one currency.

    ``amount`` is always quantized exactly to ``currency.quantum`` (``Money(Decimal("10"), USD)``
    holds ``Decimal("10.00")``). The constructor refuses non-finite amounts, amounts with more
    decimals than the currency has (trailing zeros are fine) and magnitudes above
    :data:`MAX_MINOR` minor units, with :class:`AmountError`; a ``float`` (or bool) amount is a
    ``TypeError``. Negative amounts are allowed (balances can go below zero).

    Arithmetic and ordering work only between amounts of the same currency; mixing currencies
    raises ``ValueError``. ``==`` between different currencies is simply ``False``.
    ``is_positive``, ``is_negative`` and ``is_zero`` are properties.
    """

    amount: Decimal
    currency: Currency

    def __post_init__(self) -> None:
        raw: Any = self.amount
        if isinstance(raw, bool) or not isinstance(raw, Decimal | int):
            raise TypeError(f"Money amount must be a Decimal or int, not {type(raw).__name__}")
        if not isinstance(self.currency, Currency):
            raise TypeError("Money currency must be a Currency")
        amount = _exact(Decimal(raw), self.currency)
        if abs(_minor_of(amount)) > MAX_MINOR:
            raise AmountError(_TOO_LARGE)
        object.__setattr__(self, "amount", amount)

    @classmethod
    def from_minor(cls, minor: int, currency: Currency) -> Money:
        """The amount of ``minor`` minor units (cents for USD, yen for JPY, fils for BHD)."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError(f"Minor units must be an int, not {type(minor).__name__}")
        if abs(minor) > MAX_MINOR:
            raise AmountError(_TOO_LARGE)
        digits = tuple(int(d) for d in str(abs(minor)))
        return cls(Decimal((1 if minor < 0 else 0, digits, -currency.exponent)), currency)

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls(Decimal(0), currency)

    @property
    def minor(self) -> int:
        """The amount in integer minor units (exact)."""
        return _minor_of(self.amount)

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    @property
    def is_zero(self) -> bool:
        return self.amount.is_zero()

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(
                f"Cannot combine {self.currency.code} and {other.currency.code} amounts"
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money.from_minor(self.minor + other.minor, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money.from_minor(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money.from_minor(-self.minor, self.currency)

    def __abs__(self) -> Money:
        return Money.from_minor(abs(self.minor), self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self.minor >= other.minor

    def plain(self) -> str:
        """Digits, optional leading '-', and exactly ``exponent`` decimals: ``"1000.50"``.

        This is the form :func:`parse_strict` reads back (for positive amounts).
        """
        return f"{self.amount:.{self.currency.exponent}f}"

    def format(self) -> str:
        """``"$1,000.50"``, ``"-$5.00"``, ``"¥1,000"``, ``"BHD 1.005"``, ``"€20.00"``."""
        cur = self.currency
        body = f"{self.amount.copy_abs():,.{cur.exponent}f}"
        sign = "-" if self.amount < 0 else ""
        if cur.symbol == cur.code:
            return f"{sign}{cur.code} {body}"
        return f"{sign}{cur.symbol}{body}"

    __str__ = format


# --------------------------------------------------------------------------- limits


def _limit_value(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"AmountLimits.{name} must be a Decimal, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"AmountLimits.{name} must be finite")
    return result


@dataclass(frozen=True, slots=True)
class AmountLimits:
    """Inclusive purchase limits in major units of the account currency."""

    minimum: Decimal = Decimal("10")
    maximum: Decimal = Decimal("10000")

    def __post_init__(self) -> None:
        minimum = _limit_value(self.minimum, "minimum")
        maximum = _limit_value(self.maximum, "maximum")
        if minimum < 0 or maximum < minimum:
            raise ValueError("AmountLimits needs 0 <= minimum <= maximum")
        object.__setattr__(self, "minimum", minimum)
        object.__setattr__(self, "maximum", maximum)

    def describe(self, cur: Currency) -> str:
        """``"Enter an amount from $10.00 to $10,000.00."``"""
        context = Context(prec=64)
        low = self.minimum.quantize(cur.quantum, rounding=ROUND_CEILING, context=context)
        high = self.maximum.quantize(cur.quantum, rounding=ROUND_FLOOR, context=context)
        return f"Enter an amount from {Money(low, cur)} to {Money(high, cur)}."

    def check(self, money: Money) -> Money:
        """``money`` if within the limits, else AmountError naming the allowed range."""
        if money.amount < self.minimum:
            raise AmountError(f"That amount is below the minimum. {self.describe(money.currency)}")
        if money.amount > self.maximum:
            raise AmountError(f"That amount is over the maximum. {self.describe(money.currency)}")
        return money


# --------------------------------------------------------------------------- parsing helpers

_MORE_THAN_ZERO = "Amounts must be more than zero."
_MINUS_SIGNS = "-\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"
_PLUS_SIGNS = "+\ufb29\ufe62\uff0b"


def _fail(message: str, cur: Currency, limits: AmountLimits | None) -> NoReturn:
    if limits is not None:
        message = f"{message} {limits.describe(cur)}"
    raise AmountError(message)


def _has_foreign_digits(text: str) -> bool:
    return any(ch.isnumeric() and not ("0" <= ch <= "9") for ch in text)


def _finish(
    amount: Decimal,
    fraction_digits: int,
    cur: Currency,
    limits: AmountLimits | None,
    *,
    typed: bool,
) -> Money:
    """Shared final checks: sign, zero, decimals, size; then the limits."""
    if amount < 0:
        _fail(_MORE_THAN_ZERO, cur, limits)
    if amount.is_zero():
        _fail(_MORE_THAN_ZERO, cur, limits)
    if typed and fraction_digits > cur.exponent:
        message = _decimals_message(cur)
        if fraction_digits == 3:  # "1.000" may be a European thousand
            message += " Write amounts like 1,000.50."
        _fail(message, cur, limits)
    try:
        money = Money(amount, cur)
    except AmountError as error:
        _fail(str(error), cur, limits)
    return limits.check(money) if limits is not None else money


# --------------------------------------------------------------------------- parse_strict

MAX_STRICT_LENGTH = 32
_STRICT_HINT = "use digits and an optional decimal point, e.g. 1000.50."
_STRICT_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_EXPONENT_STRICT_RE = re.compile(r"[0-9.][eE][+-]?[0-9]")
_NOT_A_NUMBER_RE = re.compile(r"(?<![a-z])(s?nan|inf|infinity|infinite)(?![a-z])|∞", re.I)


def parse_strict(
    value: str | int | Decimal, cur: Currency, limits: AmountLimits | None = None
) -> Money:
    """Parse an amount from a card input or the JSON API.

    Accepts a ``str`` of optional surrounding whitespace, ASCII digits and at most one decimal
    point with digits on both sides (``"50"``, ``"1000.50"``); an ``int`` (not ``bool``); or a
    finite ``Decimal``. Anything else, including ``float``, is an :class:`AmountError`. The
    amount must be more than zero, have no more decimals than ``cur`` (trailing zeros are
    fine) and, when ``limits`` are given, lie within them.
    """
    raw: object = value
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        _fail(f"Send the amount as text or a whole number; {_STRICT_HINT}", cur, limits)
    if isinstance(raw, int):
        return _finish(Decimal(raw), 0, cur, limits, typed=False)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            _fail(f"Enter a number: {_STRICT_HINT}", cur, limits)
        return _finish(raw, 0, cur, limits, typed=False)

    if len(raw) > MAX_STRICT_LENGTH:
        _fail(f"That amount is too long; {_STRICT_HINT}", cur, limits)
    text = raw.strip()
    if not text:
        _fail(f"No amount was entered; {_STRICT_HINT}", cur, limits)
    match = _STRICT_RE.fullmatch(text)
    if match is None:
        if text[0] in _MINUS_SIGNS:
            _fail(_MORE_THAN_ZERO, cur, limits)
        if _has_foreign_digits(text):
            _fail(
                "Use only the digits 0-9 and an optional decimal point, e.g. 1000.50.", cur, limits
            )
        if _NOT_A_NUMBER_RE.search(text):
            _fail(f"Enter a number: {_STRICT_HINT}", cur, limits)
        if _EXPONENT_STRICT_RE.search(text):
            _fail(f"Exponents are not allowed; {_STRICT_HINT}", cur, limits)
        if "," in text:
            _fail(f"Commas are not allowed here; {_STRICT_HINT}", cur, limits)
        if text[0] in _PLUS_SIGNS:
            _fail(f"Leave out the + sign; {_STRICT_HINT}", cur, limits)
        _fail(f"That is not an amount; {_STRICT_HINT}", cur, limits)
    fraction = match.group(2) or ""
    return _finish(Decimal(text), len(fraction), cur, limits, typed=False)


# --------------------------------------------------------------------------- parse_typed

MAX_TYPED_LENGTH = 500
_TYPED_FORMAT = "Write amounts like 1,000.50."
_ONE_AMOUNT = "Enter one amount at a time, e.g. add $50."
_IN_DIGITS = "Write the amount in digits, e.g. 1,000.50."
_FLOAT_SLACK = Decimal("1e-13")

# A run of digits with separators between digits, optionally starting with a separator.
_TOKEN_RE = re.compile(r"[.,]?[0-9](?:[0-9]|[.,'_](?=[0-9]))*")
_TYPED_NUMBER_RE = re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?")
_EXPONENT_TYPED_RE = re.compile(r"(?<![A-Za-z0-9.])[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]")
_NEGATIVE_WORD_RE = re.compile(r"(?<![a-z])(minus|negative)(?![a-z])", re.I)
_CODE_WORD_RE = re.compile(r"(?<![A-Za-z])([A-Za-z]{3})(?![A-Za-z])")
_DOLLAR_PREFIX_RE = re.compile(r"(?<![A-Za-z])([A-Za-z]{1,2})\$")
_DOLLAR_PREFIXES: Mapping[str, str] = {
    "us": "USD",
    "a": "AUD",
    "au": "AUD",
    "c": "CAD",
    "ca": "CAD",
    "nz": "NZD",
    "hk": "HKD",
    "s": "SGD",
    "sg": "SGD",
    "r": "BRL",
    "mx": "MXN",
    "nt": "TWD",
}
_SYMBOLS: Mapping[str, frozenset[str]] = {
    "$": DOLLAR_CODES,
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
    "¥": frozenset({"JPY", "CNY"}),
    "￥": frozenset({"JPY", "CNY"}),
    "₩": frozenset({"KRW"}),
    "₹": frozenset({"INR"}),
    "₪": frozenset({"ILS"}),
    "₺": frozenset({"TRY"}),
    "₫": frozenset({"VND"}),
    "₱": frozenset({"PHP"}),
    "₽": frozenset({"RUB"}),
    "฿": frozenset({"THB"}),
    "₴": frozenset({"UAH"}),
    "₦": frozenset({"NGN"}),
}
# Recognizer units that come without an ISO code.
_UNITS: Mapping[str, frozenset[str]] = {
    "Dollar": DOLLAR_CODES,
    "Pound": frozenset({"GBP"}),
    "Krone": frozenset({"NOK", "DKK", "SEK", "ISK"}),
    "Rupee": frozenset({"INR"}),
    "Korean won": frozenset({"KRW"}),
    "Vietnamese dong": frozenset({"VND"}),
    "Riyal": frozenset({"SAR"}),
    "Franc": frozenset({"CHF"}),
    "Dirham": frozenset({"AED"}),
    "Dinar": frozenset({"BHD", "KWD", "JOD", "TND", "IQD", "LYD"}),
}
# Currency words the recognizer does not pair with a number ("50 won" is just 50 to it).
_LOOSE_CURRENCY_WORDS: Mapping[str, frozenset[str]] = {
    **dict.fromkeys(["won"], frozenset({"KRW"})),
    **dict.fromkeys(["rand"], frozenset({"ZAR"})),
    **dict.fromkeys(["dong"], frozenset({"VND"})),
    **dict.fromkeys(["kroner", "kronor", "kronur"], frozenset({"NOK", "DKK", "SEK", "ISK"})),
    **dict.fromkeys(["quid", "pound", "pounds", "pence"], frozenset({"GBP"})),
    **dict.fromkeys(["yuan", "renminbi", "rmb"], frozenset({"CNY"})),
    **dict.fromkeys(["lira", "liras"], frozenset({"TRY"})),
    **dict.fromkeys(["zloty", "zlotys"], frozenset({"PLN"})),
    **dict.fromkeys(["forint", "forints"], frozenset({"HUF"})),
    **dict.fromkeys(["baht"], frozenset({"THB"})),
    **dict.fromkeys(["reais"], frozenset({"BRL"})),
    **dict.fromkeys(["shekel", "shekels"], frozenset({"ILS"})),
    **dict.fromkeys(["ruble", "rubles", "rouble", "roubles"], frozenset({"RUB"})),
    **dict.fromkeys(["hryvnia"], frozenset({"UAH"})),
    **dict.fromkeys(["ringgit"], frozenset({"MYR"})),
    **dict.fromkeys(["rupiah"], frozenset({"IDR"})),
    **dict.fromkeys(["yen"], frozenset({"JPY"})),
    **dict.fromkeys(["euro", "euros"], frozenset({"EUR"})),
    **dict.fromkeys(["franc", "francs"], frozenset({"CHF"})),
    **dict.fromkeys(["peso", "pesos"], frozenset({"MXN", "CLP"})),
    **dict.fromkeys(["cent", "cents", "dime", "dimes", "penny", "pennies"], frozenset()),
}
_CODES_THAT_ARE_WORDS = frozenset({"TRY", "PEN", "MAD", "PHP"})


def _iso_codes() -> frozenset[str]:
    codes = set(KNOWN_CURRENCIES)
    try:
        from recognizers_number_with_unit.resources.english_numeric_with_unit import (
            EnglishNumericWithUnit,
        )

        mapping: Mapping[str, str] = EnglishNumericWithUnit.CurrencyNameToIsoCodeMap
        codes.update(c for c in mapping.values() if len(c) == 3 and c.isalpha() and c.isupper())
    except (ImportError, AttributeError):  # pragma: no cover - resources moved
        pass
    return frozenset(codes)


_ISO_CODES = _iso_codes()


def _wrong_currency(cur: Currency, limits: AmountLimits | None) -> NoReturn:
    _fail(f"This account is in {cur.code}; enter an amount in {cur.code}.", cur, limits)


def _check_currency_mentions(
    text: str, tokens: list[re.Match[str]], cur: Currency, limits: AmountLimits | None
) -> None:
    """Every currency symbol, code or loose currency word in the text must fit ``cur``."""
    prefixed = {m.end() - 1: m.group(1).lower() for m in _DOLLAR_PREFIX_RE.finditer(text)}
    for index, ch in enumerate(text):
        if unicodedata.category(ch) != "Sc":
            continue
        if ch == "$" and index in prefixed and prefixed[index] in _DOLLAR_PREFIXES:
            if _DOLLAR_PREFIXES[prefixed[index]] != cur.code:
                _wrong_currency(cur, limits)
        elif cur.code not in _SYMBOLS.get(ch, frozenset()):
            _wrong_currency(cur, limits)

    starts = {t.start() for t in tokens}
    ends = {t.end() for t in tokens}

    def next_to_number(start: int, end: int) -> bool:
        after = re.match(r"[ \t]*[^\w\s]?[ \t]*", text[end:])
        before = re.search(r"[ \t]*[^\w\s]?[ \t]*\Z", text[:start])
        return (end + (after.end() if after else 0)) in starts or (
            start - (len(before.group()) if before else 0)
        ) in ends

    for match in _CODE_WORD_RE.finditer(text):
        word = match.group(1)
        code = word.upper()
        if code == cur.code or code not in _ISO_CODES:
            continue
        adjacent = next_to_number(match.start(), match.end())
        if word.isupper() and (code in KNOWN_CURRENCIES or adjacent):
            _wrong_currency(cur, limits)
        if adjacent and code in KNOWN_CURRENCIES and code not in _CODES_THAT_ARE_WORDS:
            _wrong_currency(cur, limits)


def _recognize(text: str) -> list[Any]:
    from recognizers_number_with_unit import recognize_currency
    from recognizers_text import Culture

    results: list[Any] = recognize_currency(text, Culture.English)
    return results


def _unit_fits(resolution: Mapping[str, Any], cur: Currency) -> bool:
    iso = resolution.get("isoCurrency")
    if isinstance(iso, str) and len(iso) == 3 and iso.isalpha():
        return iso.upper() == cur.code
    unit = resolution.get("unit")
    return isinstance(unit, str) and cur.code in _UNITS.get(unit, frozenset())


def _sign_before(text: str, start: int) -> str | None:
    """The sign written before the number at ``start`` ("-5", "-$5", "- USD 5"), if any."""
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    while i > 0 and unicodedata.category(text[i - 1]) == "Sc":
        i -= 1
    letters = 0
    while i > 0 and letters < 3 and text[i - 1].isascii() and text[i - 1].isalpha():
        i -= 1
        letters += 1
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    if i == 0 or text[i - 1] not in _MINUS_SIGNS + _PLUS_SIGNS:
        return None
    if i >= 2 and text[i - 2].isalnum():
        return None  # a hyphen, as in "5-10" or "x-5"
    return "-" if text[i - 1] in _MINUS_SIGNS else "+"


def parse_typed(text: str, cur: Currency, limits: AmountLimits | None = None) -> Money | None:
    """Find the one amount in what an admin typed in chat, in the account currency ``cur``.

    Understands ``"add $50 credits"``, ``"add 50 dollars"``, ``"top up 75 USD"``,
    ``"1,000.50 USD"``, ``"€20"`` and bare numbers (``"add 50"`` means 50 of ``cur``).
    Returns ``None`` when the text holds no amount at all. Raises :class:`AmountError` for
    anything doubtful: signs, zero, exponents, NaN/infinity, non-ASCII digits, European or
    otherwise odd number formats, numbers in words, another currency, several amounts, more
    decimals than ``cur`` has, and amounts outside ``limits``.
    """
    if not isinstance(text, str):
        raise TypeError("parse_typed needs a str")
    if len(text) > MAX_TYPED_LENGTH:
        _fail("That message is too long; enter just the amount, e.g. $50.", cur, limits)

    # 1. Whole-text checks the recognizer would quietly paper over.
    if _has_foreign_digits(text):
        _fail(f"Use only the digits 0-9. {_TYPED_FORMAT}", cur, limits)
    if _NOT_A_NUMBER_RE.search(text):
        _fail(f"Enter the amount as a number. {_TYPED_FORMAT}", cur, limits)
    if _EXPONENT_TYPED_RE.search(text):
        _fail(f"Exponents like 1e9 are not allowed. {_TYPED_FORMAT}", cur, limits)
    if _NEGATIVE_WORD_RE.search(text):
        _fail(_MORE_THAN_ZERO, cur, limits)

    tokens = list(_TOKEN_RE.finditer(text))
    numbers: list[tuple[re.Match[str], Decimal, int]] = []
    for token in tokens:
        shape = _TYPED_NUMBER_RE.fullmatch(token.group())
        if shape is None:
            _fail(_TYPED_FORMAT, cur, limits)
        sign = _sign_before(text, token.start())
        if sign == "-":
            _fail(_MORE_THAN_ZERO, cur, limits)
        if sign == "+":
            _fail(f"Leave out the + sign. {_TYPED_FORMAT}", cur, limits)
        fraction = shape.group(1) or ""
        numbers.append((token, Decimal(token.group().replace(",", "")), len(fraction)))

    _check_currency_mentions(text, tokens, cur, limits)

    # 2. The recognizer pairs numbers with currencies.
    found: list[tuple[Decimal, int]] = []
    used: set[int] = set()
    for result in _recognize(text):
        resolution: Mapping[str, Any] = result.resolution or {}
        if not _unit_fits(resolution, cur):
            _wrong_currency(cur, limits)
        value = resolution.get("value")
        if value is None:
            continue  # a currency word with no number, e.g. "add dollars"
        start, end = int(result.start), int(result.end) + 1  # recognizer ends are inclusive
        inside = [i for i, (t, _, _) in enumerate(numbers) if t.start() < end and t.end() > start]
        if not inside:
            _fail(_IN_DIGITS, cur, limits)
        if len(inside) > 1:
            _fail(_TYPED_FORMAT, cur, limits)
        literal, places = numbers[inside[0]][1], numbers[inside[0]][2]
        try:
            recognized = Decimal(str(value))
        except InvalidOperation:
            _fail(_IN_DIGITS, cur, limits)
        if not recognized.is_finite():
            _fail(f"Enter the amount as a number. {_TYPED_FORMAT}", cur, limits)
        if recognized < 0:
            _fail(_MORE_THAN_ZERO, cur, limits)
        # The recognizer computes through float: long numbers come back rounded
        # ("9.00719925474099E+15"), so allow that much; never use its value, only ours.
        if abs(recognized - literal) > literal * _FLOAT_SLACK:
            _fail(_IN_DIGITS, cur, limits)  # "$1.5k", "5 million dollars"
        used.add(inside[0])
        found.append((literal, places))

    leftovers = [n for i, n in enumerate(numbers) if i not in used]
    if found and leftovers:
        _fail(_ONE_AMOUNT, cur, limits)
    if not found:
        if not leftovers:
            return None
        if len(leftovers) > 1:
            _fail(_ONE_AMOUNT, cur, limits)
        token, literal, places = leftovers[0]
        following = re.match(r"\s*([^\W\d_]+)", text[token.end() :])
        word = following.group(1).lower() if following else ""
        if word in _LOOSE_CURRENCY_WORDS and cur.code not in _LOOSE_CURRENCY_WORDS[word]:
            _wrong_currency(cur, limits)
        found.append((literal, places))
    if len({amount for amount, _ in found}) > 1:
        _fail(_ONE_AMOUNT, cur, limits)
    amount, places = max(found, key=lambda item: item[1])
    return _finish(amount, places, cur, limits, typed=True)
