"""Statements and receipts as admins ask for them, in English and Vietnamese (with or without
diacritics). Read before the other rules (dialogs/control_intents.py); whole messages only, so
nothing else is taken.

- A month's statement (`Kind.STATEMENT`): "statement", "statement for November", "November
  statement", "statement for 2026-11", "statement for last month", "last month's statement";
  "sao kê", "sao kê tháng 11", "sao kê tháng trước", "bảng kê tháng 11/2026". A month without a
  year is resolved later, from the service's clock (the latest such month not in the future).
- An export (`Kind.STATEMENT`, `export`): "export history", "export", "export the statement for
  November", "xuất lịch sử", "xuất sao kê tháng 11": this month's (or that month's) statement and
  how to get it as a file.
- A receipt again (`Kind.RECEIPT`): "receipt 42", "show receipt #42", "receipt no. 42", "biên lai
  42", "hóa đơn số 42", "biên nhận 42"; "receipt" alone asks which (`number` None).
"""

from __future__ import annotations

import re

from credits.i18n import Lang, t
from credits.money import AmountLimits, Currency
from credits.statement_models import FIRST_YEAR, LAST_YEAR
from dialogs.intents_core import Intent, Kind, lowered, plain

_NAMES = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sept", "sep"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
MONTH_NUMBERS = {name: n for n, names in enumerate(_NAMES, 1) for name in names}
# Vietnamese months in words (diacritics removed): "tháng mười một", "tháng giêng", "tháng chạp"
_VI_WORDS = {
    "muoi_mot": 11,
    "muoi_hai": 12,
    "muoi": 10,
    "gieng": 1,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "tu": 4,
    "bon": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "chap": 12,
}
_NAME = "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True))
_VI_WORD = "|".join(word.replace("_", " ") for word in _VI_WORDS)
_YEAR = r"(?P<year>\d{4})"
# a month, named or numbered, with or without its year ("november 2026", "2026-11", "11/2026")
_MONTH = (
    r"(?:the month of |month of )?"
    rf"(?P<name>{_NAME})\.?(?:,? (?:of )?{_YEAR})?"
    r"|(?P<iso_year>\d{4})[-/.](?P<iso_month>\d{1,2})"
    r"|(?P<num_month>\d{1,2})[-/.](?P<num_year>\d{4})"
    r"|(?P<ago>(?:the )?(?:last|previous|past|prior) month)"
    r"|(?P<now>(?:the )?(?:this|current) month)"
)
# Vietnamese, diacritics removed: "tháng 11", "tháng 11/2026", "tháng 11 năm 2026", "11/2026",
# "tháng trước", "tháng này", "tháng mười một"
_VI_MONTH = (
    rf"(?:thang (?:(?P<vi_month>\d{{1,2}})|(?P<vi_word>{_VI_WORD}))"
    rf"(?:(?: nam |[-/. ]){_YEAR})?)"
    r"|(?P<vi_num_month>\d{1,2})[-/.](?P<vi_num_year>\d{4})"
    r"|(?P<vi_ago>thang (?:truoc|vua roi|vua qua|roi))"
    r"|(?P<vi_now>thang (?:nay|hien tai))"
)
_LEAD = (
    r"(?:(?:please|pls|can you|could you|can i|could i|how (?:do|can) (?:i|we)) )?"
    r"(?:(?:show|see|view|get|give|send|open|display|find|make|create|prepare)(?: me| us)? )?"
    r"(?:(?:the|my|our|a) )?"
)
_VI_LEAD = r"(?:(?:cho (?:toi|minh|em) |hay |vui long )?(?:xem |lay |gui |mo |tao |in ))?"
_END = r"(?: (?:please|pls|now|nhe|nha|di|a|giup (?:toi|minh)))?"
_STATEMENT = r"(?:(?:monthly|account|credits?|billing) )?statements?"
_VI_STATEMENT = r"(?:sao ke|bang ke|bang sao ke)(?: (?:tai khoan|tin dung|giao dich))?"
_OF = r"(?:for|of|from|in|on)"
_EXPORT_WHAT = (
    r"(?:history|statement|transactions?|ledger|activity|data|entries|records|csv|pdf|"
    r"transaction history|payment history)"
)
_FILE = r"(?: (?:as|to|in|into) (?:a )?(?:csv|pdf|excel|spreadsheet|file))"
_VI_EXPORT_WHAT = r"(?:lich su(?: giao dich)?|sao ke|bang ke|giao dich|du lieu|file|tep)"


def _compiled(*patterns: str) -> tuple[re.Pattern[str], ...]:
    """One pattern per phrasing: a month's named groups appear once in each."""
    return tuple(re.compile(pattern) for pattern in patterns)


STATEMENT = _compiled(
    rf"{_LEAD}{_STATEMENT}(?: (?:{_OF} )?(?:{_MONTH}))?{_END}",
    rf"{_LEAD}(?:{_MONTH})(?:'s|s)? {_STATEMENT}{_END}",
    rf"{_VI_LEAD}{_VI_STATEMENT}(?: (?:cua |cho |trong )?(?:{_VI_MONTH}))?{_END}",
)
EXPORT = _compiled(
    rf"{_LEAD}(?:export|download)(?: (?:the |my |our |all )?{_EXPORT_WHAT})?"
    rf"(?: (?:{_OF} )?(?:{_MONTH}))?{_FILE}?{_END}",
    rf"{_VI_LEAD}(?:xuat|xuat ra|xuat file)(?: {_VI_EXPORT_WHAT})?"
    rf"(?: (?:cua |cho |trong )?(?:{_VI_MONTH}))?{_END}",
)
RECEIPTS = _compiled(
    rf"{_LEAD}(?:receipts|invoices)(?: (?:{_OF} )?(?:{_MONTH}))?{_END}",
    rf"{_VI_LEAD}(?:cac )?(?:bien lai|hoa don|bien nhan) (?:{_VI_MONTH}){_END}",
)
RECEIPT = re.compile(
    rf"{_LEAD}(?:receipt|invoice)(?: (?:no\.?|number|num\.?|nr\.?))? ?#? ?(?P<number>\d{{1,20}})"
    rf"{_END}"
    rf"|{_VI_LEAD}(?:bien lai|hoa don|bien nhan)(?: (?:so|thu))? ?#? ?(?P<vi_number>\d{{1,20}})"
    rf"{_END}"
)
WHICH_RECEIPT = re.compile(
    rf"{_LEAD}(?:receipt|invoice){_END}|{_VI_LEAD}(?:bien lai|hoa don|bien nhan){_END}"
)


def _said(text: str) -> str:
    """The whole message as the patterns read it: lower case, no diacritics, one space between
    words, without the punctuation that may end it."""
    flat = plain(lowered(text)).replace("\u2019", "'")
    return re.sub(r"\s+", " ", flat).strip().rstrip("?.!").strip()


def _month_intent(found: re.Match[str], export: bool) -> Intent:
    """The statement a matched month names (or this month's, when it names none)."""
    got = {name: value for name, value in found.groupdict().items() if value is not None}
    if "ago" in got or "vi_ago" in got:
        return Intent(Kind.STATEMENT, months_ago=1, export=export)
    year = got.get("year") or got.get("iso_year") or got.get("num_year") or got.get("vi_num_year")
    month: int | None = None
    if "name" in got:
        month = MONTH_NUMBERS[got["name"]]
    elif "vi_word" in got:
        month = _VI_WORDS[got["vi_word"].replace(" ", "_")]
    else:
        number = (got.get("iso_month") or got.get("num_month") or got.get("vi_month")) or got.get(
            "vi_num_month"
        )
        month = int(number) if number is not None else None
    if month is not None and not 1 <= month <= 12:
        error = t("There is no month {month}; say a month from 1 to 12.", month=str(month))
        return Intent(Kind.STATEMENT, error=error)
    number_year = int(year) if year is not None else None
    if number_year is not None and not FIRST_YEAR <= number_year <= LAST_YEAR:
        error = t(
            "Say a year from {first} to {last}, e.g. statement for November 2026.",
            first=str(FIRST_YEAR),
            last=str(LAST_YEAR),
        )
        return Intent(Kind.STATEMENT, error=error)
    return Intent(Kind.STATEMENT, month=month, year=number_year, export=export)


def parse(text: str, currency: Currency, limits: AmountLimits, lang: Lang) -> Intent | None:
    """A statement, an export or a receipt; None for anything else."""
    said = _said(text)
    if len(said) > 80:  # every phrasing is short: a long message is someone else's
        return None
    found = RECEIPT.fullmatch(said)
    if found is not None:
        digits = found.group("number") or found.group("vi_number")
        return Intent(Kind.RECEIPT, number=int(digits))
    if WHICH_RECEIPT.fullmatch(said):
        return Intent(Kind.RECEIPT)
    for patterns, export in ((STATEMENT, False), (EXPORT, True), (RECEIPTS, False)):
        for pattern in patterns:
            found = pattern.fullmatch(said)
            if found is not None:
                return _month_intent(found, export)
    return None
