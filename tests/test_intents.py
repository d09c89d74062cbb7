"""The intent parser behind the dialogs: pure, so tested on its own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credits.money import AmountLimits, currency
from dialogs.intents import Kind, interruption, parse_intent, parse_trigger

USD = currency("USD")
LIMITS = AmountLimits()


@pytest.mark.parametrize(
    ("said", "kind", "amount", "trigger"),
    [
        ("balance", Kind.BALANCE, None, None),
        ("show balance", Kind.BALANCE, None, None),
        ("how much credit do we have", Kind.BALANCE, None, None),
        ("add $50 credits", Kind.ADD_FUNDS, "50.00", None),
        ("add 50 dollars", Kind.ADD_FUNDS, "50.00", None),
        ("top up 75 USD", Kind.ADD_FUNDS, "75.00", None),
        ("add credits", Kind.ADD_FUNDS, None, None),
        ("set auto-recharge to $100 when below $20", Kind.RECHARGE, "100.00", "20.00"),
        ("recharge $100 when balance falls below $20", Kind.RECHARGE, "100.00", "20.00"),
        ("recharge $100 when below $0", Kind.RECHARGE, "100.00", "0.00"),
        ("auto-recharge when below $20", Kind.RECHARGE, None, "20.00"),
        ("turn on auto-recharge", Kind.RECHARGE, None, None),
        ("turn off auto-recharge", Kind.RECHARGE_OFF, None, None),
        ("disable auto recharge", Kind.RECHARGE_OFF, None, None),
        ("recharge settings", Kind.RECHARGE_SETTINGS, None, None),
        ("auto-recharge", Kind.RECHARGE_SETTINGS, None, None),
        ("history", Kind.HISTORY, None, None),
        ("help", Kind.HELP, None, None),
        ("cancel", Kind.CANCEL, None, None),
        ("hello", Kind.GREETING, None, None),
        ("what is the weather", Kind.UNKNOWN, None, None),
        ("", Kind.UNKNOWN, None, None),
    ],
)
def test_what_admins_say(said: str, kind: Kind, amount: str | None, trigger: str | None) -> None:
    intent = parse_intent(said, USD, LIMITS)
    assert intent.kind is kind and intent.error is None
    assert (intent.amount.plain() if intent.amount else None) == amount
    assert (intent.trigger.plain() if intent.trigger else None) == trigger


@pytest.mark.parametrize(
    ("said", "hint"),
    [
        ("add -5 dollars", "more than zero"),
        ("add 1e9 dollars", "Exponents"),
        ("add $0.001", "2 decimal"),
        ("add $20000", "maximum"),
        ("add €20", "in USD"),
        ("set auto-recharge to $5 when below $20", "minimum"),
    ],
)
def test_bad_amounts_come_back_as_errors(said: str, hint: str) -> None:
    intent = parse_intent(said, USD, LIMITS)
    assert intent.amount is None and intent.error is not None and hint in intent.error


def test_interruptions() -> None:
    assert interruption("Cancel") is Kind.CANCEL
    assert interruption(" help ") is Kind.HELP
    assert interruption("add help desk credits") is None


def test_triggers_may_be_zero() -> None:
    zero = parse_trigger("$0", USD)
    assert zero is not None and zero.amount == Decimal("0.00")
    assert parse_trigger("no amount here", USD) is None


REMEMBERED = [
    "balance",
    "help",
    "add $50 credits",
    "add $5 credits",
    "nạp 50 đô",
    "nạp 1.000.000 đồng",
    "set auto-recharge to $100 when below $20",
    "add $20 when below $100",
    "statement for November",
    "hello",
    "add -5 dollars",
]


@pytest.mark.parametrize("said", REMEMBERED)
def test_remembered_intents_are_what_the_parser_says(said: str) -> None:
    """Short messages are remembered (`parse_intent`'s cache): for every currency, language
    and language spoken, the remembered intent is the one the parser gives afresh."""
    from credits.i18n import Lang, speaking
    from dialogs.intents import _parse

    for code in ("USD", "VND", "JPY"):
        for lang in Lang:
            for spoken in Lang:
                with speaking(spoken):
                    fresh = _parse(said, currency(code), LIMITS, lang)
                    for _ in range(2):  # the second call is the remembered one
                        assert parse_intent(said, currency(code), LIMITS, lang) == fresh
