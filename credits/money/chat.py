"""The amount readers for every language: :func:`parse_chat` (the one amount in a chat message)
and :func:`parse_card_input` (what a person typed into a card's text input).

The language decides the number convention: Vietnamese writes "1.000,50", English "1,000.50".
Vietnamese money words (đô, đồng, ₫, VND, triệu, nghìn, củ, ...) are understood under every
language, read with that language's convention."""

from __future__ import annotations

import re
from decimal import Decimal

from credits.i18n import N_, Lang, current, t
from credits.money.amounts import Money
from credits.money.currencies import Currency
from credits.money.lexicon import has_vietnamese_money, nfc
from credits.money.limits import AmountLimits
from credits.money.parsing import (
    AS_A_NUMBER,
    MINUS_SIGNS,
    MORE_THAN_ZERO,
    NO_EXPONENTS,
    NO_PLUS,
    NOT_A_NUMBER_RE,
    ONLY_DIGITS,
    PLUS_SIGNS,
    fail,
    finish,
    has_foreign_digits,
    sentences,
)
from credits.money.strict import MAX_STRICT_LENGTH, parse_strict
from credits.money.typed import parse_typed, read_typed
from credits.money.vietnamese import SHAPES, decimals_refusal, parse_vietnamese

_EXPONENT_RE = re.compile(r"[0-9.,][eE][+-]?[0-9]")

CARD_HINT = N_("Write the amount in digits, e.g. 50 or 1.000,50.")
_NO_AMOUNT = N_("No amount was entered.")
_TOO_LONG = N_("That amount is too long.")
_NOT_AN_AMOUNT = N_("That is not an amount.")


def parse_chat(
    text: str,
    cur: Currency,
    limits: AmountLimits | None = None,
    lang: Lang | None = None,
    *,
    allow_zero: bool = False,
) -> Money | None:
    """The one amount in a chat message, in the account currency ``cur``; None when the text
    holds no amount. Raises :class:`AmountError` (its sentence in the language of the moment)
    for anything doubtful.

    ``lang`` (None: the language of the moment) decides the number convention. Vietnamese
    reads with the Vietnamese parser; English reads with :func:`parse_typed`, unless the text
    writes money the Vietnamese way ("50 đô", "2 triệu đồng"), which the Vietnamese parser
    reads with the English convention. With ``allow_zero`` a zero amount ("0", "0 đô") is
    ``Money.zero(cur)`` instead of a refusal (for triggers).
    """
    if not isinstance(text, str):
        raise TypeError("parse_chat needs a str")
    convention = current() if lang is None else lang
    if convention is Lang.VI or has_vietnamese_money(text):
        return parse_vietnamese(text, cur, limits, convention, allow_zero=allow_zero)
    if not allow_zero:
        return parse_typed(text, cur, limits)
    found = read_typed(text, cur, limits)
    if found is None:
        return None
    amount, places = found
    if amount.is_zero():
        return Money.zero(cur)
    return finish(amount, places, cur, limits, typed=True)


def parse_card_input(
    value: str | int | Decimal,
    cur: Currency,
    limits: AmountLimits | None = None,
    lang: Lang | None = None,
) -> Money:
    """An amount a person typed into a card's text input. Under Vietnamese: digits with "."
    between thousands and "," before the decimals ("50", "45,5", "1.000,50"); a decimal part
    longer than the currency's is refused ("1,000" may mean one or a thousand). Under English
    (and for values that are not text): exactly :func:`parse_strict`."""
    convention = current() if lang is None else lang
    if convention is not Lang.VI or not isinstance(value, str):
        return parse_strict(value, cur, limits)
    if len(value) > MAX_STRICT_LENGTH:
        fail(sentences(_TOO_LONG, CARD_HINT), cur, limits)
    text = nfc(value).strip()
    if not text:
        fail(sentences(_NO_AMOUNT, CARD_HINT), cur, limits)
    shape = SHAPES[Lang.VI].fullmatch(text)
    if shape is None:
        fail(_card_refusal(text), cur, limits)
    whole, _, fraction = text.replace(".", "").partition(",")
    amount = Decimal(f"{whole}.{fraction}" if fraction else whole)
    if len(fraction) > cur.exponent and not amount.is_zero():
        fail(decimals_refusal(text, cur, Lang.VI), cur, limits)
    return finish(amount, len(fraction), cur, limits, typed=False)


def _card_refusal(text: str) -> str:
    """Why ``text`` (stripped, not empty) is not an amount in the Vietnamese card shapes."""
    if text[0] in MINUS_SIGNS:
        return t(MORE_THAN_ZERO)
    if has_foreign_digits(text):
        return sentences(ONLY_DIGITS, CARD_HINT)
    if NOT_A_NUMBER_RE.search(text):
        return sentences(AS_A_NUMBER, CARD_HINT)
    if _EXPONENT_RE.search(text):
        return sentences(NO_EXPONENTS, CARD_HINT)
    if text[0] in PLUS_SIGNS:
        return sentences(NO_PLUS, CARD_HINT)
    return sentences(_NOT_AN_AMOUNT, CARD_HINT)
