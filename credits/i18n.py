"""The language a reply is written in, its message catalogue, and Babel's formatting of money,
numbers and dates for it.

Messages are gettext messages: the English text is the message id, marked where it is written
(``t("Added {amount}.", amount=...)``, ``tn(singular, plural, n)``, or ``N_(...)`` for a constant
translated later with ``t(CONSTANT)``), extracted by Babel (``python scripts/i18n.py update``)
into the catalogues under ``credits/locale/<lang>/*.po`` and read back with Babel when first
needed. English needs no catalogue. The language of the moment is a context variable: the turn
sets it from the activity's locale (``speaking(lang)``), alert delivery from the conversation's.
Nothing here imports the rest of ``credits``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Context, Decimal, localcontext
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, get_currency_symbol, parse_pattern

__all__ = [
    "N_",
    "Lang",
    "current",
    "fmt_date",
    "fmt_datetime",
    "fmt_money",
    "fmt_number",
    "lang_of",
    "speaking",
    "t",
    "tn",
]

LOCALE_DIR = Path(__file__).parent / "locale"
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Lang(StrEnum):
    """The languages the bot speaks. The value is the BCP-47 primary language subtag."""

    EN = "en"
    VI = "vi"

    @property
    def babel(self) -> str:
        """The Babel (CLDR) locale that formats for this language."""
        return _BABEL[self]

    @property
    def tag(self) -> str:
        """The BCP-47 tag the bot writes (``"en-US"``, ``"vi-VN"``)."""
        return _BABEL[self].replace("_", "-")


_BABEL: Mapping[Lang, str] = {Lang.EN: "en_US", Lang.VI: "vi_VN"}


def lang_of(tag: object) -> Lang | None:
    """The language a BCP-47 tag names (``"vi"``, ``"vi-VN"``, ``"VI_vn"`` are Vietnamese), or
    None for a missing tag or a language the bot does not speak."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    try:
        return Lang(primary)
    except ValueError:
        return None


_current: ContextVar[Lang] = ContextVar("credits_lang", default=Lang.EN)


def current() -> Lang:
    """The language of the turn (or alert) being written now; English outside any."""
    return _current.get()


@contextmanager
def speaking(lang: Lang) -> Iterator[None]:
    """Write everything inside in ``lang``."""
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def N_(message: str) -> str:
    """Mark a constant for extraction; translate it where it is shown with ``t(CONSTANT)``."""
    return message


def t(message: str, /, **values: object) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled from ``values``."""
    found = _catalogue(current()).singular.get(message, message)
    return found.format(**values) if values else found


def tn(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The form of a message for ``n`` things; ``{n}`` is ``n`` formatted for the language."""
    lang = current()
    forms = _catalogue(lang).plural.get(singular)
    if forms is not None:
        chosen = forms[min(_plural_index(lang, n), len(forms) - 1)]
    else:
        chosen = singular if n == 1 else plural
    return chosen.format(n=fmt_number(n), **values)


def _plural_index(lang: Lang, n: int) -> int:
    return 0 if lang is Lang.VI else (0 if n == 1 else 1)


@dataclass(frozen=True, slots=True)
class Catalogue:
    singular: Mapping[str, str]
    plural: Mapping[str, tuple[str, ...]]


@cache
def _catalogue(lang: Lang) -> Catalogue:
    """Every translated, non-fuzzy message of ``lang``, read once from its ``.po`` files."""
    with warnings.catch_warnings():  # Babel 2.9.1's catalogue module imports the old `cgi`
        warnings.simplefilter("ignore", DeprecationWarning)
        from babel.messages.pofile import read_po
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for path in sorted((LOCALE_DIR / lang.value).glob("*.po")) if lang is not Lang.EN else ():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang.babel)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple | list):
                forms = tuple(str(s) for s in message.string if s)
                if forms:
                    plural[str(message.id[0])] = forms
            elif message.string:
                singular[str(message.id)] = str(message.string)
    return Catalogue(singular, plural)


def placeholders(message: str) -> frozenset[str]:
    """The ``{names}`` a message fills in (for the catalogue checks)."""
    return frozenset(_PLACEHOLDER.findall(message))


# --------------------------------------------------------------------------- formatting


def fmt_number(value: int | Decimal) -> str:
    """``"1,234"`` in English, ``"1.234"`` in Vietnamese."""
    return str(format_decimal(value, locale=current().babel))


def fmt_money(amount: Decimal, code: str, exponent: int, symbol: str | None = None) -> str:
    """``"$1,000.50"``, ``"-$5.00"``, ``"BHD 1.005"`` in English; ``"1.000,50 US$"`` and
    ``"1.000.000 ₫"`` (a no-break space before the symbol) in Vietnamese. Always exactly
    ``exponent`` decimals (ISO 4217), whatever CLDR thinks the currency's digits are. In
    English the currency table's own ``symbol`` (when given) replaces CLDR's, so English
    amounts read as they always have ("₱1,000.50", "XAF 1,000").

    Remembered (a pure function of its arguments and the language; the sign is part of the
    key, as -0 equals 0): a balance card formats a dozen amounts, the same ones turn after
    turn, and Babel takes tens of microseconds for each."""
    return _fmt_money(current(), amount, amount.is_signed(), code, exponent, symbol)


@lru_cache(maxsize=4096)
def _fmt_money(
    lang: Lang, amount: Decimal, signed: bool, code: str, exponent: int, symbol: str | None
) -> str:
    locale = lang.babel
    # Babel rounds in the thread's decimal context, which Recognizers-Text narrows to 15 digits
    # when it is imported: format in a context wide enough for any amount the store can hold.
    with localcontext(Context(prec=64)):
        shown = str(
            _currency_pattern(locale, exponent).apply(
                amount, locale, currency=code, currency_digits=False
            )
        )
    babel_symbol = str(get_currency_symbol(code, locale=locale))
    if lang is Lang.EN and symbol and symbol != babel_symbol and babel_symbol in shown:
        shown = shown.replace(babel_symbol, symbol, 1)
    else:
        symbol = babel_symbol
    # CLDR's currency spacing (Babel 2.9 lacks it): a symbol ending in a letter is not glued to
    # the digits after it ("BHD 1.005", not "BHD1.005").
    if symbol[-1:].isalpha() and symbol in shown:
        at = shown.index(symbol) + len(symbol)
        if at < len(shown) and shown[at].isdigit():
            shown = f"{shown[:at]} {shown[at:]}"
    return shown


@cache
def _currency_pattern(locale: str, exponent: int) -> Any:
    """The locale's currency pattern with exactly ``exponent`` decimals (a Babel NumberPattern)."""
    from babel import Locale

    pattern = parse_pattern(Locale.parse(locale).currency_formats["standard"].pattern)
    pattern.frac_prec = (exponent, exponent)
    return pattern


_DATE: Mapping[Lang, str] = {Lang.EN: "d MMM yyyy", Lang.VI: "d MMM, y"}
_DATETIME: Mapping[Lang, str] = {
    Lang.EN: "d MMM yyyy HH:mm 'UTC'",
    Lang.VI: "HH:mm 'UTC', d MMM, y",
}


def _utc(moment: datetime | date) -> datetime | date:
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment


def fmt_date(moment: datetime | date) -> str:
    """``"24 Nov 2026"``; ``"24 thg 11, 2026"`` in Vietnamese (UTC)."""
    lang = current()
    return str(format_date(_utc(moment), _DATE[lang], locale=lang.babel))


def fmt_datetime(moment: datetime) -> str:
    """``"24 Nov 2026 14:05 UTC"``; ``"14:05 UTC, 24 thg 11, 2026"`` in Vietnamese."""
    lang = current()
    at = _utc(moment)
    return str(format_datetime(at, _DATETIME[lang], tzinfo=UTC, locale=lang.babel))
