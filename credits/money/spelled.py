"""Whole numbers below a million in words, in the language of the moment ("một nghìn",
"hai nghìn năm trăm"; "one thousand"), for the hint that shows both readings of "2,500"."""

from __future__ import annotations

from credits.i18n import Lang, current

_VI_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
EN_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
EN_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spelled(number: int) -> str:
    """``number`` (0 to 999 999) in words."""
    if not 0 <= number < 1_000_000:
        raise ValueError("spelled() reads numbers from 0 to 999 999")
    return _vietnamese(number) if current() is Lang.VI else _english(number)


def _vietnamese(number: int) -> str:
    if number == 0:
        return _VI_DIGITS[0]
    thousands, rest = divmod(number, 1000)
    words: list[str] = []
    if thousands:
        words += [*_vi_group(thousands, full=False), "nghìn"]
    if rest:
        words += _vi_group(rest, full=bool(thousands))
    return " ".join(words)


def _vi_group(number: int, *, full: bool) -> list[str]:
    """One group of three digits; ``full`` when a higher group was spoken ("không trăm")."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if hundreds or full:
        words += [_VI_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_VI_DIGITS[tens], "mươi"]
    if units == 1 and tens > 1:
        words.append("mốt")
    elif units == 5 and tens > 0:
        words.append("lăm")
    elif units:
        words.append(_VI_DIGITS[units])
    return words


def _english(number: int) -> str:
    if number == 0:
        return EN_ONES[0]
    thousands, rest = divmod(number, 1000)
    words: list[str] = []
    if thousands:
        words += [*_en_group(thousands), "thousand"]
    if rest:
        words += _en_group(rest)
    return " ".join(words)


def _en_group(number: int) -> list[str]:
    hundreds, rest = divmod(number, 100)
    words: list[str] = []
    if hundreds:
        words += [EN_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, units = divmod(rest, 10)
        words.append(EN_TENS[tens] + (f"-{EN_ONES[units]}" if units else ""))
    elif rest:
        words.append(EN_ONES[rest])
    return words
