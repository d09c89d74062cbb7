"""Long and adversarial messages: white space runs are squeezed before any rule reads the text,
and a message still over MAX_CHARS characters is refused unread ("too long", nothing changed),
so no rule meets a long input. Structural checks only (no timings here: bench/intents_long.py
prints the worst time)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credits.i18n import Lang, speaking
from credits.money import AmountLimits, currency
from dialogs.intents import Kind, interruption, parse_intent, parse_trigger
from dialogs.intents_core import MAX_CHARS, squeeze

USD = currency("USD")
LIMITS = AmountLimits()
LONG = 20_000


def _fill(head: str, unit: str, tail: str = "", length: int = LONG) -> str:
    body = unit * ((length - len(head) - len(tail)) // len(unit) + 1)
    return (head + body)[: length - len(tail)] + tail


# 20,000 characters each, still long once white space is squeezed
ADVERSARIAL = {
    "digits": _fill("", "1"),
    "digits and spaces": _fill("nạp ", "1  "),
    "digits and commas": _fill("add $", "1,", "0"),
    "below repeated": _fill("alert me ", "below ", "$5"),
    "under and spaces": _fill("recharge $100 when ", "under   ", "$5"),
    "k repeated": _fill("", "k"),
    "k and spaces": _fill("", "k ", "nạp"),
    "vietnamese words": _fill("", "nạp không dưới cảnh báo tự động khi "),
    "without diacritics": _fill("", "nap khong duoi canh bao tu dong khi "),
    "negations": _fill("", "không có ", "nạp 50 đô"),
    "a negated top-up first": _fill("không nạp 50 đô ", "vì còn đủ tiền "),
    "interjections": _fill("", "à, ", "thôi"),
    "clauses": _fill("", "nạp 5 đô và ", "tắt tự động nạp"),
    "empty clauses": _fill("nạp 50 đô", ", ", "hủy"),
    "thresholds": _fill("cảnh báo khi dưới ", "1 đô, ", "2 đô"),
    "mixed": _fill("", "nạp  ko k\tdưới 40,5 1.000 below them hủy? thôi, "),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_a_message_over_the_cap_is_refused_unread(name: str) -> None:
    said = ADVERSARIAL[name]
    assert len(said) == LONG and len(squeeze(said).strip()) > MAX_CHARS
    for lang in Lang:
        intent = parse_intent(said, USD, LIMITS, lang)
        assert (intent.kind, intent.amount, intent.thresholds) == (Kind.REFUSED, None, ())
        assert intent.error is not None and "too long" in intent.error
        assert "2,000 characters" in intent.error and "Nothing was changed." in intent.error
    assert interruption(said) is None


def test_too_long_in_vietnamese() -> None:
    with speaking(Lang.VI):
        intent = parse_intent(ADVERSARIAL["vietnamese words"], USD, LIMITS)
    assert intent.error is not None and intent.error.startswith(
        "Tin nhắn quá dài (hơn 2.000 ký tự)"
    )
    quoted = intent.error.split('"')[1]
    with speaking(Lang.VI):
        assert parse_intent(quoted, USD, LIMITS).kind is Kind.BALANCE


def test_the_cap_counts_characters_after_squeezing() -> None:
    at_cap = ("xem số dư " + "nhé " * MAX_CHARS)[:MAX_CHARS]
    assert parse_intent(at_cap, USD, LIMITS, Lang.VI).kind is Kind.BALANCE
    over = at_cap + "x"
    assert parse_intent(over, USD, LIMITS, Lang.VI).kind is Kind.REFUSED
    padded = at_cap.replace(" ", "  ")  # longer, but the same once squeezed
    assert parse_intent(padded, USD, LIMITS, Lang.VI).kind is Kind.BALANCE


@pytest.mark.parametrize(
    ("said", "kind", "amount", "trigger", "thresholds"),
    [
        (
            f"alert me when{' ' * LONG}below $50 and $20",
            Kind.ALERT_THRESHOLDS,
            None,
            None,
            (50, 20),
        ),
        (f"alert me when {' ' * LONG}x below", Kind.ALERT_THRESHOLDS, None, None, ()),
        (f"recharge {' ' * LONG}x", Kind.RECHARGE, None, None, ()),
        (f"recharge $100{' ' * LONG}when below $20", Kind.RECHARGE, 100, 20, ()),
        (f"tự động nạp{chr(10) * LONG}80 đô khi dưới 15 đô", Kind.RECHARGE, 80, 15, ()),
        (f"nạp{' ' * LONG}50 đô", Kind.ADD_FUNDS, 50, None, ()),
        (f"nạp\u00a0\u00a0{' ' * LONG}50\u00a0đô", Kind.ADD_FUNDS, 50, None, ()),
        (f"{' ' * LONG}hủy{' ' * LONG}", Kind.CANCEL, None, None, ()),
        (f"không{' ' * LONG}nạp 50 đô", Kind.CANCEL, None, None, ()),
    ],
)
def test_white_space_runs_read_as_one_space(
    said: str, kind: Kind, amount: int | None, trigger: int | None, thresholds: tuple[int, ...]
) -> None:
    """Long runs of white space are squeezed: the message means what it says with one space
    (the English ones are the inputs that took seconds before)."""
    assert len(said) > LONG
    intent = parse_intent(said, USD, LIMITS, Lang.EN)
    assert intent.kind is kind
    assert (intent.amount.amount if intent.amount else None) == amount
    assert (intent.trigger.amount if intent.trigger else None) == trigger
    assert tuple(m.amount for m in intent.thresholds) == thresholds
    assert intent == parse_intent(" ".join(said.split()), USD, LIMITS, Lang.EN)


def test_interruptions_read_squeezed_text_and_stop_at_the_cap() -> None:
    assert interruption(f"{' ' * LONG}hủy{' ' * LONG}") is Kind.CANCEL
    assert interruption(f"cancel{' ' * LONG}") is Kind.CANCEL
    assert interruption(f"không{chr(9) * LONG}nạp 50 đô") is Kind.CANCEL
    assert interruption("hủy " * (MAX_CHARS // 4 + 1)) is None
    assert interruption(ADVERSARIAL["k repeated"]) is None


def test_a_trigger_after_long_white_space() -> None:
    zero = parse_trigger(f"{' ' * LONG}$0{' ' * LONG}", USD)
    assert zero is not None and zero.amount == Decimal("0.00")
    twenty = parse_trigger(f"$20{chr(10) * LONG}", USD)
    assert twenty is not None and twenty.amount == Decimal("20.00")
