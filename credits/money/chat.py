"""The chat amount readers for every language: :func:`parse_chat` (what an admin typed in a chat
message) and :func:`parse_card_input` (what a person typed into a card's text input)."""

from __future__ import annotations

from decimal import Decimal

from credits.i18n import Lang, current
from credits.money.amounts import Money
from credits.money.currencies import Currency
from credits.money.limits import AmountLimits
from credits.money.strict import parse_strict
from credits.money.typed import parse_typed


def parse_chat(
    text: str,
    cur: Currency,
    limits: AmountLimits | None = None,
    lang: Lang | None = None,
    *,
    allow_zero: bool = False,
) -> Money | None:
    """The one amount in a chat message, or None when it holds no amount."""
    del lang, allow_zero
    return parse_typed(text, cur, limits)


def parse_card_input(
    value: str | int | Decimal,
    cur: Currency,
    limits: AmountLimits | None = None,
    lang: Lang | None = None,
) -> Money:
    """An amount a person typed into a card's text input."""
    del lang
    _ = current
    return parse_strict(value, cur, limits)
