"""The admin controls' phrasings (caps, admins, history scope, statements and receipts), read
before the other rules: each area's parser says what it recognises, or None."""

from __future__ import annotations

from collections.abc import Callable

from credits.i18n import Lang
from credits.money import AmountLimits, Currency
from dialogs import admins_intents, audit_intents, caps_intents, statement_intents
from dialogs.intents_core import Intent

Parser = Callable[[str, Currency, AmountLimits, Lang], Intent | None]


def _parsers() -> tuple[Parser, ...]:
    """Each area's parser, most specific first."""
    return (
        caps_intents.parse,
        admins_intents.parse,
        audit_intents.parse,
        audit_intents.added_thresholds,
        statement_intents.parse,
    )


def control_intent(
    text: str, currency: Currency, limits: AmountLimits, lang: Lang
) -> Intent | None:
    """The first area's intent for ``text`` (NFC, white space squeezed), else None."""
    for parse in _parsers():
        found = parse(text, currency, limits, lang)
        if found is not None:
            return found
    return None
