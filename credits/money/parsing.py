"""What the amount parsers share: the refusal (with the limits' range appended), the signs and
not-a-number words they look for, and the final checks of an amount read."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import NoReturn

from credits.i18n import N_, t
from credits.money.amounts import Money, decimals_message
from credits.money.currencies import Currency
from credits.money.errors import AmountError
from credits.money.limits import AmountLimits

MORE_THAN_ZERO = N_("Amounts must be more than zero.")
TYPED_FORMAT = N_("Write amounts like 1,000.50.")
ONLY_DIGITS = N_("Use only the digits 0-9.")
AS_A_NUMBER = N_("Enter the amount as a number.")
NO_EXPONENTS = N_("Exponents like 1e9 are not allowed.")
NO_PLUS = N_("Leave out the + sign.")
MINUS_SIGNS = "-\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"
PLUS_SIGNS = "+\ufb29\ufe62\uff0b"
NOT_A_NUMBER_RE = re.compile(r"(?<![a-z])(s?nan|inf|infinity|infinite)(?![a-z])|∞", re.I)


def fail(message: str, cur: Currency, limits: AmountLimits | None) -> NoReturn:
    """Refuse with ``message`` (already in the language of the moment), followed by the range
    the limits allow when there are limits."""
    if limits is not None:
        message = f"{message} {limits.describe(cur)}"
    raise AmountError(message)


def sentences(*messages: str) -> str:
    """Whole sentences, each translated, one after the other."""
    return " ".join(t(message) for message in messages)


def has_foreign_digits(text: str) -> bool:
    return any(ch.isnumeric() and not ("0" <= ch <= "9") for ch in text)


def sign_before(text: str, start: int) -> str | None:
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
    if i == 0 or text[i - 1] not in MINUS_SIGNS + PLUS_SIGNS:
        return None
    if i >= 2 and text[i - 2].isalnum():
        return None  # a hyphen, as in "5-10" or "x-5"
    return "-" if text[i - 1] in MINUS_SIGNS else "+"


def finish(
    amount: Decimal,
    fraction_digits: int,
    cur: Currency,
    limits: AmountLimits | None,
    *,
    typed: bool,
) -> Money:
    """Shared final checks: sign, zero, decimals, size; then the limits."""
    if amount < 0:
        fail(t(MORE_THAN_ZERO), cur, limits)
    if amount.is_zero():
        fail(t(MORE_THAN_ZERO), cur, limits)
    if typed and fraction_digits > cur.exponent:
        message = decimals_message(cur)
        if fraction_digits == 3:  # "1.000" may be a European thousand
            message = f"{message} {t(TYPED_FORMAT)}"
        fail(message, cur, limits)
    try:
        money = Money(amount, cur)
    except AmountError as error:
        fail(str(error), cur, limits)
    return limits.check(money) if limits is not None else money
