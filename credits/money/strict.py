"""The strict amount parser, for card inputs and the JSON API: ASCII digits and an optional
decimal point only (``"50"``, ``"1000.50"``). ``".5"`` and ``"50."`` are rejected. Trailing zeros
beyond the currency's exponent are accepted (``"10.000"`` USD is 10.00), other extra decimals are
not (``"10.001"`` USD)."""

from __future__ import annotations

import re
from decimal import Decimal

from credits.i18n import t
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
        fail(
            t(
                "Send the amount as text or a whole number; "
                "use digits and an optional decimal point, e.g. 1000.50."
            ),
            cur,
            limits,
        )
    if isinstance(raw, int):
        return finish(Decimal(raw), 0, cur, limits, typed=False)
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            fail(_not_a_number(), cur, limits)
        return finish(raw, 0, cur, limits, typed=False)

    if len(raw) > MAX_STRICT_LENGTH:
        fail(
            t("That amount is too long; use digits and an optional decimal point, e.g. 1000.50."),
            cur,
            limits,
        )
    text = raw.strip()
    if not text:
        fail(
            t("No amount was entered; use digits and an optional decimal point, e.g. 1000.50."),
            cur,
            limits,
        )
    match = _STRICT_RE.fullmatch(text)
    if match is None:
        fail(_refusal(text), cur, limits)
    fraction = match.group(2) or ""
    return finish(Decimal(text), len(fraction), cur, limits, typed=False)


def _not_a_number() -> str:
    return t("Enter a number: use digits and an optional decimal point, e.g. 1000.50.")


def _refusal(text: str) -> str:
    """Why ``text`` (stripped, not empty) is not a strict amount."""
    if text[0] in MINUS_SIGNS:
        return t(MORE_THAN_ZERO)
    if has_foreign_digits(text):
        return t("Use only the digits 0-9 and an optional decimal point, e.g. 1000.50.")
    if NOT_A_NUMBER_RE.search(text):
        return _not_a_number()
    if _EXPONENT_STRICT_RE.search(text):
        return t(
            "Exponents are not allowed; use digits and an optional decimal point, e.g. 1000.50."
        )
    if "," in text:
        return t(
            "Commas are not allowed here; use digits and an optional decimal point, e.g. 1000.50."
        )
    if text[0] in PLUS_SIGNS:
        return t("Leave out the + sign; use digits and an optional decimal point, e.g. 1000.50.")
    return t("That is not an amount; use digits and an optional decimal point, e.g. 1000.50.")
