"""How long the intent parser takes on adversarial long messages: runs of spaces, digits,
Vietnamese words, "below" and "k" repeated, many clauses, mixtures. Each input is tried at
20,000 characters (refused unread: over MAX_CHARS) and cut to just under MAX_CHARS (read by
every rule: the real worst case). Prints the slowest inputs and the worst time.

    .venv/bin/python bench/intents_long.py [--length 20000] [--top 8]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from functools import partial

from credits.i18n import Lang
from credits.money import AmountLimits, currency
from dialogs.intents import interruption, parse_intent, parse_trigger
from dialogs.intents_core import MAX_CHARS

USD = currency("USD")
LIMITS = AmountLimits()
WORDS = [
    *("nạp", "không", "ko", "k", "dưới", "cảnh báo", "tự động", "khi", "và", ",", ".", "?"),
    *("thôi", "hủy", "à", "tắt", "đừng", "ngưỡng", "5", "đô", "40,5", "1.000", "below"),
    *("alert me", "when", "recharge", "add", "$", "and", "them", "nap", "khong", "duoi"),
]


def _fill(head: str, unit: str, tail: str, length: int) -> str:
    body = unit * ((length - len(head) - len(tail)) // max(len(unit), 1) + 1)
    return (head + body)[: length - len(tail)] + tail


def adversarial(length: int) -> dict[str, str]:
    """Named inputs of ``length`` characters."""
    mixed = random.Random(12)
    return {
        "spaces then below": _fill("alert me when ", " ", "x below", length),
        "recharge spaces": _fill("recharge ", " ", "x", length),
        "no-break spaces": _fill("nạp ", "\u00a0", "50 đô", length),
        "newlines and tabs": _fill("cảnh báo khi ", "\n\t ", "dưới 40 đô", length),
        "digits": _fill("", "1", "", length),
        "digits and spaces": _fill("nạp ", "1 ", "đô", length),
        "digits and commas": _fill("add $", "1,", "0", length),
        "below repeated": _fill("alert me ", "below ", "$5", length),
        "under and spaces": _fill("recharge $100 when ", "under  ", "$5", length),
        "k repeated": _fill("", "k", "", length),
        "k and spaces": _fill("", "k ", "nạp", length),
        "vietnamese words": _fill("", "nạp không dưới cảnh báo tự động khi ", "", length),
        "without diacritics": _fill("", "nap khong duoi canh bao tu dong khi ", "", length),
        "negations": _fill("", "không có ", "nạp 50 đô", length),
        "interjections": _fill("", "à, ", "thôi", length),
        "clauses": _fill("", "nạp 5 đô và ", "tắt tự động nạp", length),
        "empty clauses": _fill("nạp 50 đô", ", ", "hủy", length),
        "thresholds": _fill("cảnh báo khi dưới ", "1 đô, ", "2 đô", length),
        "mixed": _fill("", " ".join(mixed.choice(WORDS) for _ in range(4000)), "", length),
    }


def _time(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(length: int) -> list[tuple[float, str]]:
    """(seconds, what) for each input at ``length`` and just under MAX_CHARS, for each call."""
    found: list[tuple[float, str]] = []
    parse_intent("add $50 and alert me below $20", USD, LIMITS, Lang.EN)  # load the recognizers
    for size in (length, MAX_CHARS - 1):
        for name, text in adversarial(size).items():
            calls: dict[str, Callable[[], object]] = {
                "parse_intent vi": partial(parse_intent, text, USD, LIMITS, Lang.VI),
                "parse_intent en": partial(parse_intent, text, USD, LIMITS, Lang.EN),
                "interruption": partial(interruption, text),
                "parse_trigger": partial(_trigger, text),
            }
            for call, run in calls.items():
                seconds = max(_time(run) for _ in range(3))
                found.append((seconds, f"{call} on {name} ({size} chars)"))
    return sorted(found, reverse=True)


def _trigger(text: str) -> object:
    try:
        return parse_trigger(text, USD)
    except ValueError as error:  # AmountError: refused, which is fine here
        return error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--length", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    found = measure(args.length)
    for seconds, what in found[: args.top]:
        print(f"{seconds * 1000:9.2f} ms  {what}")
    print(f"worst: {found[0][0] * 1000:.2f} ms ({found[0][1]})")


if __name__ == "__main__":
    main()
