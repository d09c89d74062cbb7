"""The chat amount parser: the one amount in what an admin typed (``"add $50"``,
``"1,000.50 USD"``, ``"€20"``, ``"add 50"``), built on Microsoft Recognizers-Text plus our own
checks of the original text. It is stricter about decimals than the strict parser: any digit
beyond the currency's exponent is refused, because ``"1.000"`` in chat may mean one thousand.
Amounts must be written in digits ("fifty dollars" is refused), with one amount per message."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from credits.money.amounts import Money
from credits.money.currencies import Currency
from credits.money.limits import AmountLimits
from credits.money.mentions import (
    check_currency_mentions,
    check_word_after,
    unit_fits,
    wrong_currency,
)
from credits.money.parsing import (
    MINUS_SIGNS,
    MORE_THAN_ZERO,
    NOT_A_NUMBER_RE,
    PLUS_SIGNS,
    fail,
    finish,
    has_foreign_digits,
)

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


class _Number(NamedTuple):
    """A number written in the text: its token, its value and how many decimals it has."""

    token: re.Match[str]
    value: Decimal
    places: int


def _recognize(text: str) -> list[Any]:
    from recognizers_number_with_unit import recognize_currency
    from recognizers_text import Culture

    results: list[Any] = recognize_currency(text, Culture.English)
    return results


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
    if i == 0 or text[i - 1] not in MINUS_SIGNS + PLUS_SIGNS:
        return None
    if i >= 2 and text[i - 2].isalnum():
        return None  # a hyphen, as in "5-10" or "x-5"
    return "-" if text[i - 1] in MINUS_SIGNS else "+"


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
        fail("That message is too long; enter just the amount, e.g. $50.", cur, limits)
    _check_whole_text(text, cur, limits)
    tokens = list(_TOKEN_RE.finditer(text))
    numbers = _numbers(text, tokens, cur, limits)
    check_currency_mentions(text, tokens, cur, limits)
    found, used = _recognized(text, numbers, cur, limits)
    leftovers = [n for i, n in enumerate(numbers) if i not in used]
    if found and leftovers:
        fail(_ONE_AMOUNT, cur, limits)
    if not found:
        if not leftovers:
            return None
        found.append(_bare_number(text, leftovers, cur, limits))
    if len({amount for amount, _ in found}) > 1:
        fail(_ONE_AMOUNT, cur, limits)
    amount, places = max(found, key=lambda item: item[1])
    return finish(amount, places, cur, limits, typed=True)


def _check_whole_text(text: str, cur: Currency, limits: AmountLimits | None) -> None:
    """Whole-text checks the recognizer would quietly paper over."""
    if has_foreign_digits(text):
        fail(f"Use only the digits 0-9. {_TYPED_FORMAT}", cur, limits)
    if NOT_A_NUMBER_RE.search(text):
        fail(f"Enter the amount as a number. {_TYPED_FORMAT}", cur, limits)
    if _EXPONENT_TYPED_RE.search(text):
        fail(f"Exponents like 1e9 are not allowed. {_TYPED_FORMAT}", cur, limits)
    if _NEGATIVE_WORD_RE.search(text):
        fail(MORE_THAN_ZERO, cur, limits)


def _numbers(
    text: str, tokens: list[re.Match[str]], cur: Currency, limits: AmountLimits | None
) -> list[_Number]:
    """Every number written in the text, each in a shape we accept and with no sign."""
    numbers: list[_Number] = []
    for token in tokens:
        shape = _TYPED_NUMBER_RE.fullmatch(token.group())
        if shape is None:
            fail(_TYPED_FORMAT, cur, limits)
        sign = _sign_before(text, token.start())
        if sign == "-":
            fail(MORE_THAN_ZERO, cur, limits)
        if sign == "+":
            fail(f"Leave out the + sign. {_TYPED_FORMAT}", cur, limits)
        fraction = shape.group(1) or ""
        numbers.append(_Number(token, Decimal(token.group().replace(",", "")), len(fraction)))
    return numbers


def _recognized(
    text: str, numbers: list[_Number], cur: Currency, limits: AmountLimits | None
) -> tuple[list[tuple[Decimal, int]], set[int]]:
    """The recognizer pairs numbers with currencies: the amounts it found (value, decimals) and
    the indexes in ``numbers`` of the numbers it used."""
    found: list[tuple[Decimal, int]] = []
    used: set[int] = set()
    for result in _recognize(text):
        index = _recognized_number(result, numbers, cur, limits)
        if index is None:
            continue  # a currency word with no number, e.g. "add dollars"
        used.add(index)
        found.append((numbers[index].value, numbers[index].places))
    return found, used


def _recognized_number(
    result: Any, numbers: list[_Number], cur: Currency, limits: AmountLimits | None
) -> int | None:
    """The index of the number one recognizer result stands for, None for a currency word
    without a number; refuses results in another currency, in words or that we read otherwise."""
    resolution: Mapping[str, Any] = result.resolution or {}
    if not unit_fits(resolution, cur):
        wrong_currency(cur, limits)
    value = resolution.get("value")
    if value is None:
        return None
    start, end = int(result.start), int(result.end) + 1  # recognizer ends are inclusive
    inside = [i for i, (t, _, _) in enumerate(numbers) if t.start() < end and t.end() > start]
    if not inside:
        fail(_IN_DIGITS, cur, limits)
    if len(inside) > 1:
        fail(_TYPED_FORMAT, cur, limits)
    literal = numbers[inside[0]].value
    try:
        recognized = Decimal(str(value))
    except InvalidOperation:
        fail(_IN_DIGITS, cur, limits)
    if not recognized.is_finite():
        fail(f"Enter the amount as a number. {_TYPED_FORMAT}", cur, limits)
    if recognized < 0:
        fail(MORE_THAN_ZERO, cur, limits)
    # The recognizer computes through float: long numbers come back rounded
    # ("9.00719925474099E+15"), so allow that much; never use its value, only ours.
    if abs(recognized - literal) > literal * _FLOAT_SLACK:
        fail(_IN_DIGITS, cur, limits)  # "$1.5k", "5 million dollars"
    return inside[0]


def _bare_number(
    text: str, leftovers: list[_Number], cur: Currency, limits: AmountLimits | None
) -> tuple[Decimal, int]:
    """The one number the recognizer paired with no currency: an amount of ``cur``."""
    if len(leftovers) > 1:
        fail(_ONE_AMOUNT, cur, limits)
    token, literal, places = leftovers[0]
    check_word_after(text[token.end() :], cur, limits)
    return literal, places
