"""Money: currencies, exact amounts and the amount parsers (docs/design.md, docs/money.md).

Pure domain code. Amounts are ``Decimal`` at the edges and integer minor units in the store
(ISO 4217 exponent: JPY 0, USD 2, BHD 3). ``float`` is never used and never accepted.

The parsers all raise :class:`AmountError` with a short user-facing sentence, in the language
of the moment (``credits.i18n``; the English text is exactly the English message id):

* :func:`parse_chat`, the one chat amount reader for every language, and
  :func:`parse_card_input`, what a person typed into a card's text input. The language decides
  the number convention ("1.000,50" in Vietnamese, "1,000.50" in English). Under Vietnamese, and
  for Vietnamese money words under any language ("50 đô", "2,5 triệu", "500k", "1.000.000 ₫"),
  they use our own Vietnamese parser; under English they are exactly the two below.

* :func:`parse_strict` for card inputs and the JSON API: ASCII digits and an optional decimal
  point only (``"50"``, ``"1000.50"``). ``".5"`` and ``"50."`` are rejected. Trailing zeros
  beyond the currency's exponent are accepted (``"10.000"`` USD is 10.00), other extra
  decimals are not (``"10.001"`` USD).
* :func:`parse_typed` for what admins type in chat (``"add $50"``, ``"1,000.50 USD"``,
  ``"€20"``, ``"add 50"``), built on Microsoft Recognizers-Text plus our own checks of the
  original text. It is stricter about decimals than :func:`parse_strict`: any digit beyond the
  currency's exponent is refused, because ``"1.000"`` in chat may mean one thousand. Amounts
  must be written in digits ("fifty dollars" is refused), with one amount per message.

The package's modules, one responsibility each (import the names from ``credits.money``):

* ``errors``: :class:`AmountError`;
* ``currencies``: :class:`Currency`, the ISO 4217 table and :func:`currency`;
* ``amounts``: :class:`Money`, exact in minor units, its arithmetic and how it is written;
* ``limits``: :class:`AmountLimits`, the purchase range and the sentence naming it;
* ``parsing``: what both parsers share (the refusal, signs, the final checks);
* ``strict``: :func:`parse_strict`;
* ``mentions``: currency symbols, codes and words in chat text, checked against the account;
* ``typed``: :func:`parse_typed`;
* ``lexicon``: the Vietnamese money words, multipliers and number words, and text folding;
* ``vietnamese``: the Vietnamese chat parser; ``spelled``: numbers in words for its hints;
* ``chat``: :func:`parse_chat` and :func:`parse_card_input`.
"""

from __future__ import annotations

from credits.money.amounts import MAX_MINOR, Money
from credits.money.chat import parse_card_input, parse_chat
from credits.money.currencies import DOLLAR_CODES, KNOWN_CURRENCIES, Currency, currency
from credits.money.errors import AmountError
from credits.money.lexicon import has_vietnamese_money
from credits.money.limits import AmountLimits
from credits.money.strict import MAX_STRICT_LENGTH, parse_strict
from credits.money.typed import MAX_TYPED_LENGTH, parse_typed

__all__ = [
    "DOLLAR_CODES",
    "KNOWN_CURRENCIES",
    "MAX_MINOR",
    "MAX_STRICT_LENGTH",
    "MAX_TYPED_LENGTH",
    "AmountError",
    "AmountLimits",
    "Currency",
    "Money",
    "currency",
    "has_vietnamese_money",
    "parse_card_input",
    "parse_chat",
    "parse_strict",
    "parse_typed",
]
