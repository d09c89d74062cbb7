"""Currencies named in chat text: the symbols, ISO codes, dollar prefixes and currency words an
admin may write, and the checks that every one of them is the account's currency."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any, NoReturn

from credits.i18n import t
from credits.money.currencies import DOLLAR_CODES, KNOWN_CURRENCIES, Currency
from credits.money.limits import AmountLimits
from credits.money.parsing import fail

_CODE_WORD_RE = re.compile(r"(?<![A-Za-z])([A-Za-z]{3})(?![A-Za-z])")
_DOLLAR_PREFIX_RE = re.compile(r"(?<![A-Za-z])([A-Za-z]{1,2})\$")
_DOLLAR_PREFIXES: Mapping[str, str] = {
    "us": "USD",
    "a": "AUD",
    "au": "AUD",
    "c": "CAD",
    "ca": "CAD",
    "nz": "NZD",
    "hk": "HKD",
    "s": "SGD",
    "sg": "SGD",
    "r": "BRL",
    "mx": "MXN",
    "nt": "TWD",
}
_SYMBOLS: Mapping[str, frozenset[str]] = {
    "$": DOLLAR_CODES,
    "€": frozenset({"EUR"}),
    "£": frozenset({"GBP"}),
    "¥": frozenset({"JPY", "CNY"}),
    "￥": frozenset({"JPY", "CNY"}),
    "₩": frozenset({"KRW"}),
    "₹": frozenset({"INR"}),
    "₪": frozenset({"ILS"}),
    "₺": frozenset({"TRY"}),
    "₫": frozenset({"VND"}),
    "₱": frozenset({"PHP"}),
    "₽": frozenset({"RUB"}),
    "฿": frozenset({"THB"}),
    "₴": frozenset({"UAH"}),
    "₦": frozenset({"NGN"}),
}
# Recognizer units that come without an ISO code.
_UNITS: Mapping[str, frozenset[str]] = {
    "Dollar": DOLLAR_CODES,
    "Pound": frozenset({"GBP"}),
    "Krone": frozenset({"NOK", "DKK", "SEK", "ISK"}),
    "Rupee": frozenset({"INR"}),
    "Korean won": frozenset({"KRW"}),
    "Vietnamese dong": frozenset({"VND"}),
    "Riyal": frozenset({"SAR"}),
    "Franc": frozenset({"CHF"}),
    "Dirham": frozenset({"AED"}),
    "Dinar": frozenset({"BHD", "KWD", "JOD", "TND", "IQD", "LYD"}),
}
# Currency words the recognizer does not pair with a number ("50 won" is just 50 to it).
_LOOSE_CURRENCY_WORDS: Mapping[str, frozenset[str]] = {
    **dict.fromkeys(["won"], frozenset({"KRW"})),
    **dict.fromkeys(["rand"], frozenset({"ZAR"})),
    **dict.fromkeys(["dong"], frozenset({"VND"})),
    **dict.fromkeys(["kroner", "kronor", "kronur"], frozenset({"NOK", "DKK", "SEK", "ISK"})),
    **dict.fromkeys(["quid", "pound", "pounds", "pence"], frozenset({"GBP"})),
    **dict.fromkeys(["yuan", "renminbi", "rmb"], frozenset({"CNY"})),
    **dict.fromkeys(["lira", "liras"], frozenset({"TRY"})),
    **dict.fromkeys(["zloty", "zlotys"], frozenset({"PLN"})),
    **dict.fromkeys(["forint", "forints"], frozenset({"HUF"})),
    **dict.fromkeys(["baht"], frozenset({"THB"})),
    **dict.fromkeys(["reais"], frozenset({"BRL"})),
    **dict.fromkeys(["shekel", "shekels"], frozenset({"ILS"})),
    **dict.fromkeys(["ruble", "rubles", "rouble", "roubles"], frozenset({"RUB"})),
    **dict.fromkeys(["hryvnia"], frozenset({"UAH"})),
    **dict.fromkeys(["ringgit"], frozenset({"MYR"})),
    **dict.fromkeys(["rupiah"], frozenset({"IDR"})),
    **dict.fromkeys(["yen"], frozenset({"JPY"})),
    **dict.fromkeys(["euro", "euros"], frozenset({"EUR"})),
    **dict.fromkeys(["franc", "francs"], frozenset({"CHF"})),
    **dict.fromkeys(["peso", "pesos"], frozenset({"MXN", "CLP"})),
    **dict.fromkeys(["cent", "cents", "dime", "dimes", "penny", "pennies"], frozenset()),
}
_CODES_THAT_ARE_WORDS = frozenset({"TRY", "PEN", "MAD", "PHP"})


@cache
def _iso_codes() -> frozenset[str]:
    """Every ISO code Recognizers-Text knows, read on first use: at import it would load
    Recognizers-Text's currency resources (about 1 MB) in processes that never parse an amount."""
    codes = set(KNOWN_CURRENCIES)
    try:
        from recognizers_number_with_unit.resources.english_numeric_with_unit import (
            EnglishNumericWithUnit,
        )

        mapping: Mapping[str, str] = EnglishNumericWithUnit.CurrencyNameToIsoCodeMap
        codes.update(c for c in mapping.values() if len(c) == 3 and c.isalpha() and c.isupper())
    except (ImportError, AttributeError):  # pragma: no cover - resources moved
        pass
    return frozenset(codes)


def wrong_currency(cur: Currency, limits: AmountLimits | None) -> NoReturn:
    fail(t("This account is in {code}; enter an amount in {code}.", code=cur.code), cur, limits)


def symbol_codes(prefix: str, symbol: str) -> frozenset[str] | None:
    """The currencies a symbol may mean, with the letters written before it (``"US"`` in
    ``"US$"``, ``""`` for a bare ``"$"``); None when we do not know the symbol."""
    if symbol == "$" and prefix.lower() in _DOLLAR_PREFIXES:
        return frozenset({_DOLLAR_PREFIXES[prefix.lower()]})
    return _SYMBOLS.get(symbol) if not prefix else None


def check_currency_mentions(
    text: str, tokens: list[re.Match[str]], cur: Currency, limits: AmountLimits | None
) -> None:
    """Every currency symbol, code or loose currency word in the text must fit ``cur``."""
    prefixed = {m.end() - 1: m.group(1).lower() for m in _DOLLAR_PREFIX_RE.finditer(text)}
    for index, ch in enumerate(text):
        if unicodedata.category(ch) != "Sc":
            continue
        if ch == "$" and index in prefixed and prefixed[index] in _DOLLAR_PREFIXES:
            if _DOLLAR_PREFIXES[prefixed[index]] != cur.code:
                wrong_currency(cur, limits)
        elif cur.code not in _SYMBOLS.get(ch, frozenset()):
            wrong_currency(cur, limits)

    starts = {t.start() for t in tokens}
    ends = {t.end() for t in tokens}

    def next_to_number(start: int, end: int) -> bool:
        after = re.match(r"[ \t]*[^\w\s]?[ \t]*", text[end:])
        before = re.search(r"[ \t]*[^\w\s]?[ \t]*\Z", text[:start])
        return (end + (after.end() if after else 0)) in starts or (
            start - (len(before.group()) if before else 0)
        ) in ends

    for match in _CODE_WORD_RE.finditer(text):
        word = match.group(1)
        code = word.upper()
        if code == cur.code or code not in _iso_codes():
            continue
        adjacent = next_to_number(match.start(), match.end())
        if word.isupper() and (code in KNOWN_CURRENCIES or adjacent):
            wrong_currency(cur, limits)
        if adjacent and code in KNOWN_CURRENCIES and code not in _CODES_THAT_ARE_WORDS:
            wrong_currency(cur, limits)


def unit_fits(resolution: Mapping[str, Any], cur: Currency) -> bool:
    iso = resolution.get("isoCurrency")
    if isinstance(iso, str) and len(iso) == 3 and iso.isalpha():
        return iso.upper() == cur.code
    unit = resolution.get("unit")
    return isinstance(unit, str) and cur.code in _UNITS.get(unit, frozenset())


def check_word_after(rest: str, cur: Currency, limits: AmountLimits | None) -> None:
    """A currency word the recognizer does not pair with a number ("50 won") must fit ``cur``:
    ``rest`` is the text after the number."""
    following = re.match(r"\s*([^\W\d_]+)", rest)
    word = following.group(1).lower() if following else ""
    if word in _LOOSE_CURRENCY_WORDS and cur.code not in _LOOSE_CURRENCY_WORDS[word]:
        wrong_currency(cur, limits)
