"""Money: an exact amount of one currency, kept in whole minor units, and how it is written."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from credits.i18n import N_, fmt_money, t, tn
from credits.money.currencies import Currency
from credits.money.errors import AmountError

MAX_MINOR = 2**63 - 1
"""Largest magnitude in minor units (the store keeps a signed 64-bit integer)."""


def decimals_message(cur: Currency) -> str:
    if cur.exponent == 0:
        return t("{code} amounts must be whole numbers, with no decimal places.", code=cur.code)
    return tn(
        "{code} amounts can have at most {n} decimal place.",
        "{code} amounts can have at most {n} decimal places.",
        cur.exponent,
        code=cur.code,
    )


_TOO_LARGE = N_("That amount is too large.")


def _exact(amount: Decimal, cur: Currency) -> Decimal:
    """``amount`` quantized to ``cur.quantum`` without rounding, or AmountError."""
    if not amount.is_finite():
        raise AmountError(t("Amounts must be a finite number."))
    if not amount.is_zero() and amount.adjusted() > 30:
        raise AmountError(t(_TOO_LARGE))
    context = Context(prec=64, traps=[InvalidOperation])
    quantized = amount.quantize(cur.quantum, context=context)
    if quantized != amount:
        raise AmountError(decimals_message(cur))
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
            raise AmountError(t(_TOO_LARGE))
        object.__setattr__(self, "amount", amount)

    @classmethod
    def from_minor(cls, minor: int, currency: Currency) -> Money:
        """The amount of ``minor`` minor units (cents for USD, yen for JPY, fils for BHD)."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError(f"Minor units must be an int, not {type(minor).__name__}")
        if abs(minor) > MAX_MINOR:
            raise AmountError(t(_TOO_LARGE))
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
        """``"$1,000.50"``, ``"-$5.00"``, ``"¥1,000"``, ``"BHD 1.005"``, ``"€20.00"``; by Babel,
        for the language of the moment (``"1.000,50 US$"`` in Vietnamese)."""
        cur = self.currency
        return fmt_money(self.amount, cur.code, cur.exponent, cur.symbol)

    __str__ = format
