"""What both amount parsers share: the refusal (with the limits' range appended), the signs and
not-a-number words they look for, and the final checks of an amount read."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NoReturn

from credits.money.amounts import Money, decimals_message
from credits.money.currencies import Currency
from credits.money.errors import AmountError
from credits.money.limits import AmountLimits

MORE_THAN_ZERO = "Amounts must be more than zero."
MINUS_SIGNS = "-\u2212\u2010\u2011\u2012\u2013\u2014\ufe63\uff0d"
PLUS_SIGNS = "+\ufb29\ufe62\uff0b"
NOT_A_NUMBER_RE = re.compile(r"(?<![a-z])(s?nan|inf|infinity|infinite)(?![a-z])|∞", re.I)


def fail(message: str, cur: Currency, limits: AmountLimits | None) -> NoReturn:
    if limits is not None:
        message = f"{message} {limits.describe(cur)}"
    raise AmountError(message)


def has_foreign_digits(text: str) -> bool:
    return any(ch.isnumeric() and not ("0" <= ch <= "9") for ch in text)


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
        fail(MORE_THAN_ZERO, cur, limits)
    if amount.is_zero():
        fail(MORE_THAN_ZERO, cur, limits)
    if typed and fraction_digits > cur.exponent:
        message = decimals_message(cur)
        if fraction_digits == 3:  # "1.000" may be a European thousand
            message += " Write amounts like 1,000.50."
        fail(message, cur, limits)
    try:
        money = Money(amount, cur)
    except AmountError as error:
        fail(str(error), cur, limits)
    return limits.check(money) if limits is not None else money
