"""Adaptive Card 1.5 builders: pure functions from domain views to plain dicts.

Imports only :mod:`credits`; the bot and dialogs send what these return.
"""

from cards import actions
from cards.account import (
    access_denied_card,
    balance_card,
    help_card,
    history_card,
    outcome_card,
    welcome_card,
)
from cards.actions import execute
from cards.alerts import alert_card, coalesced_card
from cards.forms import (
    add_funds_form,
    confirm_funds_card,
    confirm_recharge_card,
    receipt_card,
    recharge_form,
)
from cards.text import TextButton, TextCard, TextInput, render_text
from cards.usage import usage_card
from cards.validate import MAX_CARD_BYTES, card_size, validate_card

__all__ = [
    "MAX_CARD_BYTES",
    "TextButton",
    "TextCard",
    "TextInput",
    "access_denied_card",
    "actions",
    "add_funds_form",
    "alert_card",
    "balance_card",
    "card_size",
    "coalesced_card",
    "confirm_funds_card",
    "confirm_recharge_card",
    "execute",
    "help_card",
    "history_card",
    "outcome_card",
    "receipt_card",
    "recharge_form",
    "render_text",
    "usage_card",
    "validate_card",
    "welcome_card",
]
