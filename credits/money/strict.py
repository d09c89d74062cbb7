"""The strict amount parser, for card inputs and the JSON API: ASCII digits and an optional
decimal point only (``"50"``, ``"1000.50"``). ``".5"`` and ``"50."`` are rejected. Trailing zeros
beyond the currency's exponent are accepted (``"10.000"`` USD is 10.00), other extra decimals are
not (``"10.001"`` USD)."""

from __future__ import annotations

import re
from decimal import Decimal

from credits.money.amounts import Money
from credits.money.currencies import Currency
from credits.money.limits import AmountLimits
from credits.money.parsing import (
    MINUS_SIGNS,
    MORE_THAN_ZERO,
    NOT_A_NUMBER_RE,
    PLUS_SIGNS,
    fail,
    finish,
    has_foreign_digits,
)

MAX_STRICT_LENGTH = 32
_STRICT_HINT = "use digits and an optional decimal point, e.g. 1000.50."
_STRICT_RE = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_EXPONENT_STRICT_RE = re.compile(r"[0-9.][eE][+-]?[0-9]")


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
        fail(f"Send the amount as text or a whole number; {_STRICT_HINT}", cur, limits)
    if isinstance(raw, int):
        return finish(Decimal(raw), 0, cur, limits, typed=False)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            fail(f"Enter a number: {_STRICT_HINT}", cur, limits)
        return finish(raw, 0, cur, limits, typed=False)

    if len(raw) > MAX_STRICT_LENGTH:
        fail(f"That amount is too long; {_STRICT_HINT}", cur, limits)
    text = raw.strip()
    if not text:
        fail(f"No amount was entered; {_STRICT_HINT}", cur, limits)
    match = _STRICT_RE.fullmatch(text)
    if match is None:
        if text[0] in MINUS_SIGNS:
            fail(MORE_THAN_ZERO, cur, limits)
        if has_foreign_digits(text):
            fail(
                "Use only the digits 0-9 and an optional decimal point, e.g. 1000.50.", cur, limits
            )
        if NOT_A_NUMBER_RE.search(text):
            fail(f"Enter a number: {_STRICT_HINT}", cur, limits)
        if _EXPONENT_STRICT_RE.search(text):
            fail(f"Exponents are not allowed; {_STRICT_HINT}", cur, limits)
        if "," in text:
            fail(f"Commas are not allowed here; {_STRICT_HINT}", cur, limits)
        if text[0] in PLUS_SIGNS:
            fail(f"Leave out the + sign; {_STRICT_HINT}", cur, limits)
        fail(f"That is not an amount; {_STRICT_HINT}", cur, limits)
    fraction = match.group(2) or ""
    return finish(Decimal(text), len(fraction), cur, limits, typed=False)
