"""The chat amount parser: the one amount in what an admin typed (``"add $50"``,
``"1,000.50 USD"``, ``"€20"``, ``"add 50"``), built on Microsoft Recognizers-Text plus our own
checks of the original text. It is stricter about decimals than the strict parser: any digit
beyond the currency's exponent is refused, because ``"1.000"`` in chat may mean one thousand.
Amounts must be written in digits ("fifty dollars" is refused), with one amount per message."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from credits.i18n import N_, t
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
    AS_A_NUMBER,
    MORE_THAN_ZERO,
    NO_EXPONENTS,
    NO_PLUS,
    NOT_A_NUMBER_RE,
    ONLY_DIGITS,
    TYPED_FORMAT,
    fail,
    finish,
    has_foreign_digits,
    sentences,
    sign_before,
)

MAX_TYPED_LENGTH = 500
ONE_AMOUNT = N_("Enter one amount at a time, e.g. add $50.")
TOO_LONG = N_("That message is too long; enter just the amount, e.g. $50.")
_IN_DIGITS = N_("Write the amount in digits, e.g. 1,000.50.")
_FLOAT_SLACK = Decimal("1e-13")
# a number followed by a word that multiplies it: the recognizer leaves the word out
_MULTIPLIER_RE = re.compile(
    r"[0-9]\s*(?:k|m|mm|mn|mil|b|bn|thousands?|millions?|billions?|grand)(?![^\W\d_])",
    re.IGNORECASE,
)

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


def parse_typed(text: str, cur: Currency, limits: AmountLimits | None = None) -> Money | None:
    """Find the one amount in what an admin typed in chat, in the account currency ``cur``.

    Understands ``"add $50 credits"``, ``"add 50 dollars"``, ``"top up 75 USD"``,
    ``"1,000.50 USD"``, ``"€20"`` and bare numbers (``"add 50"`` means 50 of ``cur``).
    Returns ``None`` when the text holds no amount at all. Raises :class:`AmountError` for
    anything doubtful: signs, zero, exponents, NaN/infinity, non-ASCII digits, European or
    otherwise odd number formats, numbers in words, another currency, several amounts, more
    decimals than ``cur`` has, and amounts outside ``limits``.
    """
    found = read_typed(text, cur, limits)
    if found is None:
        return None
    amount, places = found
    return finish(amount, places, cur, limits, typed=True)


def read_typed(text: str, cur: Currency, limits: AmountLimits | None) -> tuple[Decimal, int] | None:
    """The one amount in ``text`` and how many decimals it was written with, before the final
    checks (zero, decimals, size, limits); None when there is no amount."""
    if not isinstance(text, str):
        raise TypeError("parse_typed needs a str")
    if len(text) > MAX_TYPED_LENGTH:
        fail(t(TOO_LONG), cur, limits)
    _check_whole_text(text, cur, limits)
    tokens = list(_TOKEN_RE.finditer(text))
    numbers = _numbers(text, tokens, cur, limits)
    check_currency_mentions(text, tokens, cur, limits)
    found, used = _recognized(text, numbers, cur, limits)
    leftovers = [n for i, n in enumerate(numbers) if i not in used]
    if found and leftovers:
        fail(t(ONE_AMOUNT), cur, limits)
    if not found:
        if not leftovers:
            return None
        found.append(_bare_number(text, leftovers, cur, limits))
    if len({amount for amount, _ in found}) > 1:
        fail(t(ONE_AMOUNT), cur, limits)
    return max(found, key=lambda item: item[1])


def _check_whole_text(text: str, cur: Currency, limits: AmountLimits | None) -> None:
    """Whole-text checks the recognizer would quietly paper over."""
    if has_foreign_digits(text):
        fail(sentences(ONLY_DIGITS, TYPED_FORMAT), cur, limits)
    if NOT_A_NUMBER_RE.search(text):
        fail(sentences(AS_A_NUMBER, TYPED_FORMAT), cur, limits)
    if _EXPONENT_TYPED_RE.search(text):
        fail(sentences(NO_EXPONENTS, TYPED_FORMAT), cur, limits)
    if _NEGATIVE_WORD_RE.search(text):
        fail(t(MORE_THAN_ZERO), cur, limits)
    if _MULTIPLIER_RE.search(text):  # "add 500k" is not $500
        fail(t(_IN_DIGITS), cur, limits)


def _numbers(
    text: str, tokens: list[re.Match[str]], cur: Currency, limits: AmountLimits | None
) -> list[_Number]:
    """Every number written in the text, each in a shape we accept and with no sign."""
    numbers: list[_Number] = []
    for token in tokens:
        shape = _TYPED_NUMBER_RE.fullmatch(token.group())
        if shape is None:
            fail(t(TYPED_FORMAT), cur, limits)
        sign = sign_before(text, token.start())
        if sign == "-":
            fail(t(MORE_THAN_ZERO), cur, limits)
        if sign == "+":
            fail(sentences(NO_PLUS, TYPED_FORMAT), cur, limits)
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
        fail(t(_IN_DIGITS), cur, limits)
    if len(inside) > 1:
        fail(t(TYPED_FORMAT), cur, limits)
    literal = numbers[inside[0]].value
    try:
        recognized = Decimal(str(value))
    except InvalidOperation:
        fail(t(_IN_DIGITS), cur, limits)
    if not recognized.is_finite():
        fail(sentences(AS_A_NUMBER, TYPED_FORMAT), cur, limits)
    if recognized < 0:
        fail(t(MORE_THAN_ZERO), cur, limits)
    # The recognizer computes through float: long numbers come back rounded
    # ("9.00719925474099E+15"), so allow that much; never use its value, only ours.
    if abs(recognized - literal) > literal * _FLOAT_SLACK:
        fail(t(_IN_DIGITS), cur, limits)  # "$1.5k", "5 million dollars"
    return inside[0]


def _bare_number(
    text: str, leftovers: list[_Number], cur: Currency, limits: AmountLimits | None
) -> tuple[Decimal, int]:
    """The one number the recognizer paired with no currency: an amount of ``cur``."""
    if len(leftovers) > 1:
        fail(t(ONE_AMOUNT), cur, limits)
    token, literal, places = leftovers[0]
    check_word_after(text[token.end() :], cur, limits)
    return literal, places
