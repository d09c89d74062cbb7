"""The Vietnamese money lexicon: how chat text is normalized and folded for matching, the
currency words and multipliers written after a number, and the number words we refuse.

Matching works on the *folded* text: NFC, lower case, diacritics removed and ``đ`` read as
``d``, one character for each character of the NFC text, so that positions agree between the
two. Ambiguous folded words (``do`` is also "because", ``dong`` is also the ``động`` of ``tự
động``) only count right after a number or a multiplier, which is the only place the parser
looks for them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from functools import cache, lru_cache

from credits.money.currencies import DOLLAR_CODES, KNOWN_CURRENCIES
from credits.money.spelled import EN_ONES, EN_TENS

SPACE = r"[^\S\n]*"  # spaces, tabs and the no-break spaces Babel writes (U+00A0, U+202F)
_END = r"(?![^\W\d_])"  # not followed by a letter

MULTIPLIERS: Mapping[str, Decimal] = {
    "k": Decimal(10) ** 3,
    "nghin": Decimal(10) ** 3,
    "ngan": Decimal(10) ** 3,
    "trieu": Decimal(10) ** 6,
    "tr": Decimal(10) ** 6,
    "cu": Decimal(10) ** 6,  # slang: "2 củ" is two million đồng
    "ty": Decimal(10) ** 9,
    "ti": Decimal(10) ** 9,
}
MILLION_DONG = "cu"
# A multiplier may be glued to the đồng sign after it ("500kđ").
MULTIPLIER_RE = re.compile(
    SPACE + r"(k|nghin|ngan|trieu|tr|cu|ty|ti)(?:" + _END + r"|(?=d" + _END + "))"
)

_DOLLAR = r"(?:do" + SPACE + r"-?" + SPACE + r"la|dola|do)"
_DOLLAR_COUNTRIES: Mapping[str, str] = {
    "my": "USD",
    "uc": "AUD",
    "canada": "CAD",
    "singapore": "SGD",
    "sing": "SGD",
    "hong kong": "HKD",
    "hongkong": "HKD",
    "new zealand": "NZD",
    "dai loan": "TWD",
}
_OTHER_WORDS: Mapping[str, str] = {
    "yen": "JPY",
    "euro": "EUR",
    "bang anh": "GBP",
    "nhan dan te": "CNY",
    "te": "CNY",
    "won": "KRW",
    "baht": "THB",
    "rup": "RUB",
    "ringgit": "MYR",
    "peso": "MXN",
}


def _alternatives(words: Mapping[str, str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(w.replace(" ", SPACE.replace("*", "+")) for w in ordered)


# A currency written after a number (folded text): the group that matches says which.
SUFFIX_RE = re.compile(
    SPACE
    + r"(?:(?P<usd>usd|us"
    + SPACE
    + r"\$)"
    + r"|(?P<dollar>"
    + _DOLLAR
    + r"(?:"
    + SPACE.replace("*", "+")
    + r"(?P<country>"
    + _alternatives(_DOLLAR_COUNTRIES)
    + r"))?|dollars?)"
    + r"|(?P<vnd>viet"
    + SPACE
    + r"nam"
    + SPACE
    + r"dong|dong|vnd|d)"
    + r"|(?P<other>"
    + _alternatives(_OTHER_WORDS)
    + r")"
    + r"|(?P<code>[a-z]{3})"
    + r")"
    + _END
)
# A symbol written next to a number, with up to two letters glued before it ("US$", "JP¥").
SYMBOL_AFTER_RE = re.compile(SPACE + r"(?P<prefix>[a-z]{0,2})(?P<symbol>\S)")
CODE_BEFORE_RE = re.compile(r"(?<![^\W\d_])(?P<code>[a-z]{3})" + SPACE + r"\Z")
SYMBOL_BEFORE_RE = re.compile(
    r"(?:(?<![^\W\d_])(?P<prefix>[a-z]{1,2}))?(?P<symbol>\S)" + SPACE + r"\Z"
)


def suffix_codes(match: re.Match[str]) -> frozenset[str] | None:
    """The currencies a :data:`SUFFIX_RE` match names; None for a three-letter word that is
    no currency code (an ordinary word after the number)."""
    if match.group("usd"):
        return frozenset({"USD"})
    if match.group("dollar"):
        country = match.group("country")
        if country:
            return frozenset({_DOLLAR_COUNTRIES[re.sub(r"\s+", " ", country)]})
        return DOLLAR_CODES
    if match.group("vnd"):
        return frozenset({"VND"})
    if match.group("other"):
        return frozenset({_OTHER_WORDS[re.sub(r"\s+", " ", match.group("other"))]})
    code = match.group("code").upper()
    return frozenset({code}) if code in KNOWN_CURRENCIES else None


@cache
def written_symbols() -> Mapping[str, frozenset[str]]:
    """Every currency symbol Babel writes for our currencies in English and Vietnamese
    (folded, e.g. ``"us$"``, ``"jp¥"``, ``"₫"``), with the currencies it stands for."""
    from babel.numbers import get_currency_symbol

    found: dict[str, set[str]] = {}
    for code, cur in KNOWN_CURRENCIES.items():
        for locale in ("en_US", "vi_VN"):
            found.setdefault(fold(str(get_currency_symbol(code, locale=locale))), set()).add(code)
        found.setdefault(fold(cur.symbol), set()).add(code)
    return {symbol: frozenset(codes) for symbol, codes in found.items()}


# --------------------------------------------------------------------------- folding


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower case without diacritics (``đ`` as ``d``), one character for each of ``text``."""
    return "".join(_fold_char(ch) for ch in text)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[:1] or ch
    lower = base.lower()
    return lower if len(lower) == 1 else base


# --------------------------------------------------------------------------- number words

# Vietnamese (NFC, exact) and English number words; a run of them next to a multiplier or a
# currency, or holding a word that is only ever a number ("mươi", "trăm"), is an amount in words.
_VI_NUMBER_WORDS = frozenset(
    [
        "một",
        "hai",
        "ba",
        "bốn",
        "tư",
        "năm",
        "lăm",
        "sáu",
        "bảy",
        "bẩy",
        "tám",
        "chín",
        "mười",
        "mươi",
        "trăm",
        "linh",
        "lẻ",
        "mốt",
        "rưỡi",
    ]
)
_VI_STRONG = frozenset({"mươi", "mười", "trăm"})
_FOLDED_NUMBER_WORDS = frozenset(
    ["mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin", "muoi", "tram", "linh"]
)
_FOLDED_STRONG = frozenset({"muoi", "tram"})
_EN_NUMBER_WORDS = frozenset(
    [*EN_ONES[1:], *EN_TENS[2:], "hundred", "thousand", "million", "billion"]
)
_EN_STRONG = frozenset({"hundred", "thousand", "million", "billion"})
# What may follow a number written in words: multipliers and currencies, exact or folded.
_EXACT_FOLLOWERS = frozenset(
    [
        "đô",
        "đôla",
        "đồng",
        "usd",
        "vnd",
        "vnđ",
        "nghìn",
        "ngàn",
        "triệu",
        "tỷ",
        "tỉ",
        "củ",
        "k",
        "tr",
        "dollar",
        "dollars",
        "us",
    ]
)
_FOLDED_FOLLOWERS = frozenset({"trieu", "nghin"})
_WORD_RE = re.compile(r"[^\W\d_]+")
_GAP_RE = re.compile(r"[^\S\n]*-?[^\S\n]*")


def is_number_word(exact: str, plain: str) -> bool:
    """Whether a word (as written, lower case; and folded) is a number word."""
    return exact in _VI_NUMBER_WORDS or plain in _FOLDED_NUMBER_WORDS or plain in _EN_NUMBER_WORDS


def words_as_number(text: str, folded: str) -> bool:
    """Whether the text writes an amount in words ("năm mươi đô", "một trăm", "hai triệu")."""
    run: list[tuple[str, str]] = []
    end = -1
    for match in _WORD_RE.finditer(folded):
        exact, plain = text[match.start() : match.end()].lower(), match.group()
        joined = bool(run) and _GAP_RE.fullmatch(folded, end, match.start()) is not None
        if run and not joined:
            if _run_is_number(run, "", ""):
                return True
            run = []
        if is_number_word(exact, plain):
            run.append((exact, plain))
        elif run:
            if _run_is_number(run, exact, plain):
                return True
            run = []
        end = match.end()
    return bool(run) and _run_is_number(run, "", "")


def _run_is_number(run: list[tuple[str, str]], exact: str, plain: str) -> bool:
    """Whether a run of number words, followed by the word ``exact`` (folded ``plain``; empty
    when none follows), is an amount in words."""
    exacts = {e for e, _ in run}
    plains = {p for _, p in run}
    if exacts & _VI_STRONG or plains & _EN_STRONG:
        return True
    if len(run) > 1 and plains & _FOLDED_STRONG:
        return True
    if plain in _FOLDED_FOLLOWERS:
        return True  # "hai trieu"
    written = exacts & _VI_NUMBER_WORDS or plains & _EN_NUMBER_WORDS
    return bool(written) and exact in _EXACT_FOLLOWERS


# --------------------------------------------------------------------------- after an amount

# A number word right after an amount (its number, multipliers and currency) continues the
# amount in words ("1 triệu rưỡi", "1 triệu hai", "100 đô rưỡi", "5 chục nghìn", "50 vạn"):
# never read the amount without it. Accented forms (NFC, exact); forms folded to ASCII count
# whatever their accents; forms typed without any accent count unless the next word shows an
# everyday phrase ("tu dong" is tự động, "bay gio" bây giờ, "nam nay" năm nay).
_AFTER_EXACT = frozenset(
    [
        *_VI_NUMBER_WORDS,
        *("rưởi", "ruỡi", "nhăm", "chục", "vạn", "nghìn", "ngàn", "triệu", "tỷ", "tỉ"),
    ]
)
_AFTER_FOLDED = frozenset({"ruoi", "muoi", "tram", "nghin", "ngan", "trieu"})
_AFTER_UNACCENTED = frozenset([*_FOLDED_NUMBER_WORDS, *("tu", "lam", "chuc", "van", "le", "ty")])
_EVERYDAY_PHRASES: Mapping[str, frozenset[str]] = {
    "nam": frozenset({"nay", "sau", "toi", "ngoai", "truoc", "nao"}),
    "tu": frozenset({"dong", "ngay", "thang"}),
    "bay": frozenset({"gio"}),
    "sau": frozenset({"do", "khi", "nay"}),
    "tam": frozenset({"thoi"}),
    "van": frozenset({"chua", "con", "khong"}),
    "lam": frozenset({"on", "gi"}),
    "le": frozenset({"phi"}),
}
_TWO_WORDS_RE = re.compile(SPACE + r"([^\W\d_]+)(?:" + SPACE + r"([^\W\d_]+))?")


def number_word_at(text: str, folded: str, pos: int) -> bool:
    """Whether the word right after ``pos`` (spaces skipped) is a number word that continues
    an amount ending at ``pos``: ``text`` is the NFC text and ``folded`` its folded form."""
    words = _TWO_WORDS_RE.match(folded, pos)
    if words is None:
        return False
    exact, plain = text[words.start(1) : words.end(1)].lower(), words.group(1)
    if plain in _EN_STRONG or plain in _AFTER_FOLDED:
        return True
    phrase = words.group(2) in _EVERYDAY_PHRASES.get(plain, frozenset())
    if exact == "năm":
        return not phrase  # "1 triệu năm" but "50 đô năm nay"
    if exact in _AFTER_EXACT:
        return True
    return exact == plain and plain in _AFTER_UNACCENTED and not phrase


# --------------------------------------------------------------------------- detection

_VI_MONEY_RE = re.compile(
    r"(?<![^\W\d_])(?:đô|đôla|đồng|triệu|nghìn|ngàn|tỷ|tỉ|củ|vnđ|vnd)(?![^\W\d_])"
    r"|₫|[0-9]đ(?![^\W\d_])",
    re.I,
)
_FOLDED_AFTER_NUMBER_RE = re.compile(
    r"[0-9]"
    + SPACE
    + r"(?:do|dong|trieu|nghin|ngan|tr|cu|ty|ti|tram|van)"
    + _END
    + r"|(?<![^\W\d_])(?:ruoi|muoi|chuc)"
    + _END
)


def has_vietnamese_money(text: str) -> bool:
    """Whether the text writes money the Vietnamese way: đô, đồng, ₫, VND, a multiplier such as
    triệu or nghìn, one of those words without diacritics right after a number, or a
    Vietnamese number word ("50 vạn", "100 USD rưỡi", "100 dollars ruoi")."""
    normal = nfc(text)
    if _VI_MONEY_RE.search(normal) or _FOLDED_AFTER_NUMBER_RE.search(fold(normal)):
        return True
    return any(
        word.lower() in _AFTER_EXACT and not word.isascii() for word in _WORD_RE.findall(normal)
    )
