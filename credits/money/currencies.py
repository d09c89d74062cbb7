"""Currencies: the ISO 4217 value type, the table of known currencies and the lookup by code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from credits.i18n import t
from credits.money.errors import AmountError


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
            t(
                "Unknown currency '{code}'. Use an ISO 4217 code such as USD, EUR or GBP.",
                code=shown,
            )
        )
    return found
