"""The Vietnamese chat amount parser: the one amount in what an admin typed ("nạp 50 đô",
"2,5 triệu", "500k", "1.234,50 US$"), read by our own tokenizer and the lexicon in
:mod:`credits.money.lexicon` (Recognizers-Text has no Vietnamese).

The number convention is a parameter: under Vietnamese "." groups thousands and "," marks the
decimals ("1.000,50"); under English it is the other way round ("1,000.50"), for Vietnamese money
words typed under an English locale. Multipliers (k, nghìn, triệu, tỷ, củ) are computed exactly;
an amount with a multiplier and no currency word is đồng shorthand, so it only counts on a VND
account. Never a conversion: an amount in another currency is refused. Every refusal is an
:class:`AmountError` whose sentence says why and what is allowed, in the language of the moment.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Context, Decimal, Inexact, InvalidOperation
from itertools import pairwise
from typing import NamedTuple, NoReturn

from babel.numbers import format_decimal

from credits.i18n import N_, Lang, current, t
from credits.money.amounts import Money, decimals_message
from credits.money.currencies import DOLLAR_CODES, KNOWN_CURRENCIES, Currency
from credits.money.lexicon import (
    CODE_BEFORE_RE,
    MILLION_DONG,
    MULTIPLIER_RE,
    MULTIPLIERS,
    SPACE,
    SUFFIX_RE,
    SYMBOL_AFTER_RE,
    SYMBOL_BEFORE_RE,
    fold,
    nfc,
    number_word_at,
    suffix_codes,
    words_as_number,
    written_symbols,
)
from credits.money.limits import AmountLimits
from credits.money.mentions import (
    check_currency_mentions,
    check_word_after,
    symbol_codes,
    wrong_currency,
)
from credits.money.parsing import (
    AS_A_NUMBER,
    MORE_THAN_ZERO,
    NO_EXPONENTS,
    NO_PLUS,
    ONLY_DIGITS,
    TYPED_FORMAT,
    fail,
    finish,
    has_foreign_digits,
    sentences,
    sign_before,
)
from credits.money.spelled import spelled
from credits.money.typed import MAX_TYPED_LENGTH, ONE_AMOUNT, TOO_LONG

VI_FORMAT = N_("Write amounts like 1.000,50 (a point between thousands, a comma before decimals).")
IN_DIGITS = N_("Write the amount in digits, e.g. $50.")
VND_IN_DIGITS = N_("Write the amount in digits, e.g. ₫1,500,000.")
USD_ONLY = N_("This account is in USD. Enter the amount in US dollars, e.g. $50.")
VND_ONLY = N_("This account is in VND. Enter the amount in đồng, e.g. ₫500,000.")
HINTS = {Lang.VI: VI_FORMAT, Lang.EN: TYPED_FORMAT}
_VND = frozenset({"VND"})

# A run of digits with separators between digits, optionally starting with a separator.
TOKEN_RE = re.compile(r"[.,]?[0-9](?:[0-9]|[.,'_](?=[0-9]))*")
SHAPES = {
    Lang.VI: re.compile(r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,([0-9]+))?"),
    Lang.EN: re.compile(r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?"),
}
_AMBIGUOUS_RE = re.compile(r"([1-9][0-9]{0,2}),([0-9]{3})")  # "1,000": a thousands reading too
_EXPONENT_RE = re.compile(r"(?<![^\W_])[0-9]+(?:[.,][0-9]+)?e[+-]?[0-9]")
_NOT_A_NUMBER_RE = re.compile(r"(?<![^\W\d_])(s?nan|inf|infinity|infinite)(?![^\W\d_])|∞")
_NEGATIVE_RE = re.compile(r"(?<![^\W\d_])(minus|negative)(?![^\W\d_])")
_NEGATIVE_BEFORE_RE = re.compile(r"(?<![^\W\d_])(?:am|minus|negative)" + SPACE + r"\Z")
_GAP_RE = re.compile(SPACE)
# Between an amount and its repeat: an opening bracket and the currency written before it.
_REPEAT_RE = re.compile(
    SPACE + r"\(" + SPACE + r"(?:[a-z]{0,3}" + SPACE + r"[^\w\s]?" + SPACE + r")?"
)
_MINOR_UNIT_RE = re.compile(SPACE + r"(?:xu|cents?)(?![^\W\d_])")  # "50 xu" is not 50 đô
_EXACT = Context(prec=2000, traps=[Inexact, InvalidOperation])


class _Read(NamedTuple):
    """One amount written in the text."""

    value: Decimal  # the number times its multipliers
    token: str  # the (first) number as written
    places: int  # decimals written, when there is no multiplier
    multiplied: bool
    named: bool  # a currency is written next to it
    start: int  # where its number starts
    end: int  # where it ends (after its multipliers and currency)
    minor: bool  # followed by a minor unit ("50 xu"): not an amount of the currency


class _Text(NamedTuple):
    """The text being read: NFC, its folded form (same positions), its number tokens, the
    number convention and what a refusal appends."""

    normal: str
    folded: str
    tokens: list[re.Match[str]]
    convention: Lang
    cur: Currency
    limits: AmountLimits | None

    def fail(self, message: str) -> NoReturn:
        fail(message, self.cur, self.limits)

    def hint(self) -> str:
        return HINTS[self.convention]


def parse_vietnamese(
    text: str,
    cur: Currency,
    limits: AmountLimits | None = None,
    convention: Lang = Lang.VI,
    *,
    allow_zero: bool = False,
) -> Money | None:
    """The one amount in ``text``, in the account currency ``cur``; None when there is none.

    ``convention`` says how numbers are written (Vietnamese "1.000,50" or English "1,000.50").
    With ``allow_zero`` a zero amount is ``Money.zero(cur)`` instead of a refusal.
    """
    if not isinstance(text, str):
        raise TypeError("parse_vietnamese needs a str")
    if len(text) > MAX_TYPED_LENGTH:
        fail(t(TOO_LONG), cur, limits)
    normal = nfc(text)
    folded = fold(normal)
    tokens = list(TOKEN_RE.finditer(folded))
    source = _Text(normal, folded, tokens, convention, cur, limits)
    _check_whole_text(source)
    for token in tokens:
        _check_token(source, token)
    if words_as_number(normal, folded):
        source.fail(in_digits(cur))
    found = _amounts(source)
    check_currency_mentions(normal, tokens, cur, limits)
    if not found:
        return None
    read = _the_one(source, found)
    if read.value.is_zero():
        if allow_zero:
            return Money.zero(cur)
        source.fail(t(MORE_THAN_ZERO))
    if not read.multiplied and read.places > cur.exponent:
        source.fail(decimals_refusal(read.token, cur, convention))
    return finish(read.value, 0, cur, limits, typed=False)


def in_digits(cur: Currency) -> str:
    """Ask for the amount in digits, with an example in the account's currency."""
    return t(VND_IN_DIGITS) if cur.code == "VND" else t(IN_DIGITS)


def _the_one(source: _Text, found: list[_Read]) -> _Read:
    """The one amount in the text. The same amount may be repeated in brackets, both times
    with its currency ("50 đô (50,00 US$)", the bot's own output pasted back); any other
    second number is a second amount ("50 đô 50 xu", "20 đô 20", "20 đô và 20 đô")."""
    for earlier, later in pairwise(found):
        if (
            later.value != earlier.value
            or not (earlier.named and later.named)
            or _REPEAT_RE.fullmatch(source.folded, earlier.end, later.start) is None
        ):
            source.fail(t(ONE_AMOUNT))
    if found[0].minor:
        _wrong_currency(source, frozenset())
    return max(found, key=lambda r: r.places)


def _check_whole_text(source: _Text) -> None:
    """Whole-text checks: digits other than 0-9, NaN and infinity, exponents, negative words."""
    if has_foreign_digits(source.normal):
        source.fail(sentences(ONLY_DIGITS, source.hint()))
    if _NOT_A_NUMBER_RE.search(source.folded):
        source.fail(sentences(AS_A_NUMBER, source.hint()))
    if _EXPONENT_RE.search(source.folded):
        source.fail(sentences(NO_EXPONENTS, source.hint()))
    if _NEGATIVE_RE.search(source.folded):
        source.fail(t(MORE_THAN_ZERO))


def _check_token(source: _Text, token: re.Match[str]) -> None:
    """A number must have the convention's shape and no sign ("-5", "âm 5", "+5")."""
    if SHAPES[source.convention].fullmatch(token.group()) is None:
        source.fail(t(source.hint()))
    sign = sign_before(source.normal, token.start())
    if sign == "-" or _NEGATIVE_BEFORE_RE.search(_before_mention(source.folded, token.start())):
        source.fail(t(MORE_THAN_ZERO))
    if sign == "+":
        source.fail(sentences(NO_PLUS, source.hint()))


def _number(convention: Lang, token: str) -> tuple[Decimal, int]:
    """The value of a number token of the right shape, and how many decimals it has."""
    if convention is Lang.VI:
        whole, _, fraction = token.replace(".", "").partition(",")
    else:
        whole, _, fraction = token.replace(",", "").partition(".")
    return Decimal(f"{whole}.{fraction}" if fraction else whole), len(fraction)


# --------------------------------------------------------------------------- amounts


def _amounts(source: _Text) -> list[_Read]:
    """Every amount in the text, each with its currency checked against the account's."""
    found: list[_Read] = []
    index = 0
    while index < len(source.tokens):
        read, index = _amount_at(source, index)
        found.append(read)
    return found


def _amount_at(source: _Text, index: int) -> tuple[_Read, int]:
    """The amount starting at token ``index`` ("1,5 nghìn đô", "1 triệu 200 nghìn đồng",
    "US$50"), and the index of the next token it does not use."""
    folded, first = source.folded, source.tokens[index]
    named: list[frozenset[str]] = []
    before = _mention_before(folded, first.start())
    if before is not None:
        named.append(before)
    value, places = _number(source.convention, first.group())
    total, million_dong, pos, index = _multiplied(source, value, first.end(), index + 1)
    if million_dong:
        named.append(_VND)  # "2 củ"
    pos = _mentions_after(source, pos, named)
    if pos < len(folded) and folded[pos].isalpha() and not folded[pos - 1].isspace():
        source.fail(t(source.hint()))  # "15h", "50abc": letters glued to the amount
    multiplied = total is not None
    _check_after(source, pos, index, bare=not named and not multiplied)
    _check_currencies(source, named, multiplied, pos)
    read = _Read(
        value=total if total is not None else value,
        token=first.group(),
        places=0 if multiplied else places,
        multiplied=multiplied,
        named=bool(named),
        start=first.start(),
        end=pos,
        minor=not named and _MINOR_UNIT_RE.match(folded, pos) is not None,
    )
    return read, index


def _multiplied(
    source: _Text, value: Decimal, pos: int, index: int
) -> tuple[Decimal | None, bool, int, int]:
    """The multipliers after a number ending at ``pos`` ("1 triệu 200 nghìn"): the exact
    total (None without a multiplier), whether "củ" was one, where they end and the index of
    the next token not used. Each multiplier needs its own number ("1 triệu nghìn" is
    refused) and they go down ("5 nghìn triệu" is refused)."""
    tokens, folded = source.tokens, source.folded
    total, last, fresh, million_dong = Decimal(0), Decimal(0), True, False
    while (multiplier := MULTIPLIER_RE.match(folded, pos)) is not None:
        factor = MULTIPLIERS[multiplier.group(1)]
        if not fresh or (last and factor >= last):
            source.fail(t(source.hint()))
        total = _EXACT.add(total, _EXACT.multiply(value, factor))
        last, pos, fresh = factor, multiplier.end(), False
        million_dong = million_dong or multiplier.group(1) == MILLION_DONG
        if index < len(tokens) and _GAP_RE.fullmatch(folded, pos, tokens[index].start()):
            following = tokens[index]  # "1 triệu 200 nghìn" goes on; "1tr2" is refused
            if MULTIPLIER_RE.match(folded, following.end()) is None:
                source.fail(t(source.hint()))
            value, _ = _number(source.convention, following.group())
            pos, index, fresh = following.end(), index + 1, True
    return (total if last else None), million_dong, pos, index


def _mentions_after(source: _Text, pos: int, named: list[frozenset[str]]) -> int:
    """The currencies written right after an amount, added to ``named``, and where they end.
    A second one is a second currency to check ("50 đồng đô la"), except a plain "do" after
    a currency word: that is "because" ("500 nghìn đồng do sắp hết tiền")."""
    first = True
    while True:
        codes, end = _mention_after(source.folded, pos)
        if codes is None or (not first and source.normal[pos:end].strip().lower() == "do"):
            return pos
        named.append(codes)
        pos, first = end, False


def _check_after(source: _Text, pos: int, index: int, *, bare: bool) -> None:
    """What follows an amount: no number word ("1 triệu rưỡi", "100 đô rưỡi", "5 chục", "50
    vạn": the amount goes on in words), and for a bare number no group of three digits after
    a space ("1 000")."""
    if number_word_at(source.normal, source.folded, pos):
        source.fail(in_digits(source.cur))
    if bare and index < len(source.tokens):
        following = source.tokens[index]
        gap = source.folded[pos : following.start()]
        if gap and not gap.strip() and re.fullmatch(r"[0-9]{3}(?:[.,][0-9]+)?", following.group()):
            source.fail(t(source.hint()))


def _check_currencies(
    source: _Text, named: list[frozenset[str]], multiplied: bool, end: int
) -> None:
    """Every currency named next to the amount is the account's; an amount with a multiplier
    and no currency is đồng shorthand; a loose currency word after a bare number must fit."""
    cur = source.cur
    for codes in named:
        if cur.code not in codes:
            _wrong_currency(source, codes)
    if not named and multiplied and cur.code != "VND":
        _wrong_currency(source, _VND)
    if not named:
        check_word_after(source.normal[end:], cur, source.limits)


def _wrong_currency(source: _Text, codes: frozenset[str]) -> NoReturn:
    if source.cur.code == "USD":
        source.fail(t(USD_ONLY))
    if source.cur.code == "VND" and (codes & DOLLAR_CODES or not codes):
        source.fail(t(VND_ONLY))
    wrong_currency(source.cur, source.limits)


# --------------------------------------------------------------------------- currencies


def _symbol(prefix: str, symbol: str) -> frozenset[str]:
    """The currencies a symbol (with the letters glued before it) may mean; empty if none."""
    known = symbol_codes(prefix, symbol) or frozenset()
    return known | written_symbols().get(prefix + symbol, frozenset())


def _mention_after(folded: str, pos: int) -> tuple[frozenset[str] | None, int]:
    """The currency written right after an amount ("đô", "US$", "₫", "VND") and where it ends."""
    word = SUFFIX_RE.match(folded, pos)
    if word is not None:
        codes = suffix_codes(word)
        if codes is not None:
            return codes, word.end()
    symbol = SYMBOL_AFTER_RE.match(folded, pos)
    if symbol is not None and unicodedata.category(symbol.group("symbol")) == "Sc":
        return _symbol(symbol.group("prefix"), symbol.group("symbol")), symbol.end()
    return None, pos


def _mention_before(folded: str, start: int) -> frozenset[str] | None:
    """The currency written right before a number ("$50", "US$ 50", "VND 500.000")."""
    head = folded[:start]
    symbol = SYMBOL_BEFORE_RE.search(head)
    if symbol is not None and unicodedata.category(symbol.group("symbol")) == "Sc":
        return _symbol(symbol.group("prefix") or "", symbol.group("symbol"))
    code = CODE_BEFORE_RE.search(head)
    if code is not None:
        upper = code.group("code").upper()
        if upper in KNOWN_CURRENCIES:
            return frozenset({upper})
    return None


def _before_mention(folded: str, start: int) -> str:
    """The text before a number, without the currency written right before it."""
    head = folded[:start]
    for pattern in (SYMBOL_BEFORE_RE, CODE_BEFORE_RE):
        found = pattern.search(head)
        if found is not None and (
            pattern is CODE_BEFORE_RE or unicodedata.category(found.group("symbol")) == "Sc"
        ):
            return head[: found.start()]
    return head


# --------------------------------------------------------------------------- decimals


def decimals_refusal(token: str, cur: Currency, convention: Lang) -> str:
    """Why the number ``token`` (of the convention's shape) has too many decimals for ``cur``;
    "1,000" and "2,500" under Vietnamese show both readings."""
    shown = _AMBIGUOUS_RE.fullmatch(token) if convention is Lang.VI else None
    value, places = _number(convention, token)
    if shown is None:
        message = decimals_message(cur)
        return f"{message} {t(HINTS[convention])}" if places == 3 else message
    small = value.normalize()
    large = int(shown.group(1) + shown.group(2))
    values = {
        "text": token,
        "unit": _unit(cur),
        "small": _written(small, convention),
        "large_number": _written(Decimal(large), convention),
        "large_words": spelled(large),
    }
    if _places(small) <= cur.exponent:
        return t(
            "“{text}” may mean {small} {unit} or {large_words} {unit}. "
            "Write {large_number} ({large_words}) or {small}.",
            **values,
        )
    meant = t("If you meant {large_words} {unit}, write {large_number}.", **values)
    return f"{decimals_message(cur)} {meant}"


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _written(value: Decimal, convention: Lang) -> str:
    """A number as the convention writes it ("2,5" and "2.500" in Vietnamese)."""
    return str(format_decimal(value, format="#,##0.###", locale=convention.babel))


def _unit(cur: Currency) -> str:
    """The currency as a word after a number: "đô", "đồng" in Vietnamese; else the code."""
    if current() is Lang.VI:
        return {"USD": "đô", "VND": "đồng"}.get(cur.code, cur.code)
    return cur.code
