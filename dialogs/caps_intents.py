"""The auto-recharge caps as admins say them, in English and Vietnamese (with or without
diacritics): "set a monthly cap of $500 for auto-recharge", "recharge at most twice a day",
"limit each recharge to $150", "remove the monthly cap", "caps"; "giới hạn tự động nạp 500 đô
mỗi tháng", "tự động nạp tối đa 2 lần mỗi ngày", "mỗi lần nạp tối đa 150 đô", "bỏ giới hạn
tháng", "giới hạn nạp".

Read before every other intent rule (dialogs/control_intents.py), so none of these opens an
auto-recharge card. Each clause of a message ("... a day and $500 a month") is read alone and
the caps it names are changed together; a caps clause beside another kind of request is
refused (one request per message). The rules match the lowered text without its diacritics
(``plain``), which has the length of the text, so a span of one is a slice of the other."""

from __future__ import annotations

import re
from dataclasses import dataclass

from credits import caps
from credits.i18n import N_, Lang, t
from credits.models import CapsChange
from credits.money import AmountError, AmountLimits, Currency, Money, parse_chat
from dialogs.intents_core import Intent, Kind, lowered, one_request, plain

NO_DAILY_AMOUNT = N_(
    "Auto-recharge has no daily amount cap. Its caps are recharges a day, an amount a month "
    'and the largest single recharge, e.g. "at most 3 recharges a day", "a monthly cap of $500" '
    'or "limit each recharge to $150". Nothing was changed.'
)
SAY_AN_AMOUNT = N_(
    'Say the cap as an amount, e.g. "a monthly cap of $500" or "limit each recharge to $150". '
    "Nothing was changed."
)

_WORD_COUNTS = {
    "once": 1,
    "twice": 2,
    "thrice": 3,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}
_EN_NUMBER = r"\d{1,4}|one|two|three|four|five|six|seven|eight|nine|ten"
_VI_NUMBER = r"\d{1,4}|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi"
_RECHARGES = r"(?:auto[- ]?)?(?:recharges?|top[- ]?ups?)"
_MONEY_AFTER = r"(?!\s*(?:[.,]\d|usd|us\$|dollars?|bucks|eur|euros?|do\b|dong|vnd|k\b|tr\b|trieu))"
_ALONE = r"(?<![0-9.,\-\u2212])"  # a number that is not the end of "2.5", "1,5" or "-2"
_COUNT = re.compile(
    rf"{_ALONE}\b(?P<n>{_EN_NUMBER})\s*(?:times?|x|{_RECHARGES})\b|\b(?P<w>once|twice|thrice)\b|"
    rf"{_ALONE}\b(?P<v>{_VI_NUMBER})\s*lan\b|"
    r"\b(?:at most|max(?:imum)?(?: of)?|no more than|not more than|up to|only|(?:limit(?:ed)?|"
    r"cap(?:ped)?)(?: [\w-]+){0,3} (?:to|at)|daily (?:recharge )?limit(?: of| to| is| =|:)?|"
    r"(?:recharges|top-?ups) (?:a|per) day(?: to| of| is| =|:)?|toi da|khong qua|nhieu nhat|"
    rf"gioi han)\s*(?P<b>\d{{1,4}})\b{_MONEY_AFTER}"
)
_TIMES = re.compile(  # a count said with its unit: a cap even without the word "recharge"
    rf"{_ALONE}\b(?:{_EN_NUMBER})\s*(?:times?|x)\b|\b(?:once|twice|thrice)\b|"
    rf"{_ALONE}\b(?:{_VI_NUMBER})\s*lan\b"
)
_BAD_COUNT = re.compile(  # "2.5 times", "-2 times", "1,5 lần": not a number of recharges
    r"(?:[\-\u2212]\s*[0-9]+(?:[.,][0-9]+)?|\b[0-9]+[.,][0-9]+)\s*"
    r"(?:times?|x|(?:auto[- ]?)?recharges?|top[- ]?ups?|lan)\b"
)
_OTHER_PERIOD = re.compile(
    r"\b(?:weekly|yearly|annual(?:ly)?|per annum)\b|\bper[- ](?:week|year)\b|"
    r"\b(?:a|each|every|one|per|mot|moi|1|hang|trong) (?:week|year|tuan|nam)\b|"
    r"/ ?(?:week|wk|year|yr|tuan|nam)\b"
)
_DAY = re.compile(
    r"\bdaily\b|\bper[- ]day\b|\b(?:a|each|every|one|mot|moi|1|hang|trong) (?:day|ngay)\b|"
    r"/ ?(?:day|ngay)\b|\bmoi hom\b"
)
_MONTH = re.compile(
    r"\bmonthly\b|\bper[- ]month\b|\b(?:a|each|every|one|mot|moi|1|hang|trong|theo) "
    r"(?:month|thang)\b|/ ?(?:month|mo|thang)\b|\b(?:gioi han|han muc|tran)(?: nap)? thang\b"
)
_EACH = re.compile(
    r"\b(?:each|every|any|a single|single|one|per) (?:auto[- ]?)?(?:recharge|top[- ]?up)\b|"
    r"\b(?:largest|biggest|maximum|max|highest) (?:single )?(?:auto[- ]?)?(?:recharge|top[- ]?up)"
    r"\b|\bat a time\b|\bmoi lan(?: tu dong)?(?: nap| sac)?\b|\blan nap (?:lon nhat|toi da)\b|"
    r"\b(?:so tien|muc) nap (?:lon nhat|toi da)\b"
)
_LARGEST = re.compile(r"\b(?:largest|biggest|maximum|max|highest|lon nhat)\b")
_NEGATED = r"\bkhong(?: [a-z]+){0,5} (?:qua|vuot qua|vuot)\b"  # "không (bao giờ) tự động nạp quá"
_NEGATED_CAP = re.compile(_NEGATED)
_CAP = re.compile(
    r"\b(?:caps?|capped|limits?|limited|ceiling|at most|max(?:imum)?|no more than|not more than|"
    r"more than|up to|budget|toi da|khong qua|khong vuot qua|nhieu nhat|gioi han|han muc|tran)\b|"
    + _NEGATED
)
_QUESTION = re.compile(
    r"\?|^(?:what|whats|what's|which|how|is|are|do|does|show|see|view|check|tell)\b|"
    r"\b(?:bao nhieu|la gi|the nao|xem|kiem tra)\b"
)
_CONTEXT = re.compile(
    r"\b(?:auto[- ]?)?(?:recharges?|recharging|top[- ]?ups?)\b|\bnap\b|\bsac lai\b|"
    r"\bdaily (?:recharge )?limit\b"
)
_CLEAR = re.compile(
    r"\b(?:remove|clear|delete|drop|lift|cancel|turn off|switch off|disable|get rid of|no|"
    r"without|unset|xoa|bo|huy|tat|khong|khong can|go bo|go)\b"
)
_OTHER = re.compile(
    r"\b(?:alerts?|alerting|notify|notifications?|warn|remind|canh bao|thong bao|"
    r"bao(?! gio| nhieu)|nhac|history|lich su|usage|su dung|callers?|goi)\b"
)
_BELOW = re.compile(r"\b(?:below|under|less than|falls?|drops?|duoi|xuong|thap hon)\b")
_CURRENCY = re.compile(  # "dong" and "do" only after a number: "tu dong" is automatic
    r"[$€£¥₫]|\b(?:usd|dollars?|bucks|eur|euros?|gbp|vnd|do la)\b|"
    r"\d\s?(?:do|dong|k|tr|trieu|nghin|ngan|cu)\b"
)
_SHOW = re.compile(
    r"(?:(?:show|see|view|list|check|what are|what is|what's|whats|tell me|xem|kiem tra|"
    r"cho (?:toi |minh )?xem)"
    r"(?: me)? )?(?:the |my |our |cac |nhung )?"
    r"(?:(?:auto[- ]?)?recharge |spending |monthly |daily |nap |tu dong nap |nap tien |chi tieu )?"
    r"(?:caps|limits|cap|limit|gioi han|han muc)"
    r"(?: (?:nap|nap tien|tu dong nap|tu dong|chi tieu|recharge|auto-recharge|hien tai|now))?"
    r"[?.! ]*"
)
_FILLER = re.compile(
    r"(?:please|pls|thanks|thank you|ok|okay|nhe|nha|a|giup toi|di|voi|(?:for|on) "
    r"(?:auto[- ]?recharge|recharges)|cho tu dong nap)?[?.! ]*"
)
_CLAUSES = re.compile(r",(?!\d)|;|[.!?](?!\d)|\s(?:and|và|va|plus|also|then|rồi)\s")


@dataclass(frozen=True, slots=True)
class _Said:
    """What every clause of a message is read with."""

    currency: Currency
    limits: AmountLimits
    lang: Lang
    context: bool  # the message speaks of recharges somewhere ("..., at most 3 a day")


@dataclass(frozen=True, slots=True)
class _Clause:
    """One clause's reading: the caps it changes, or a show, a refusal, or another request."""

    daily: int | None = None
    monthly: Money | None = None
    max_recharge: Money | None = None
    clear_monthly: bool = False
    clear_max: bool = False
    show: bool = False
    error: str | None = None
    mixed: bool = False  # a caps clause with another request in it
    filler: bool = False  # an empty clause, or filler words ("please", "thanks")


def parse(text: str, currency: Currency, limits: AmountLimits, lang: Lang) -> Intent | None:
    """``text`` (NFC, white space squeezed) as a caps intent, else None."""
    low = lowered(text)
    said = _Said(currency, limits, lang, bool(_CONTEXT.search(plain(low))))
    clauses: list[_Clause | None] = []
    bounds = [0, *(i for mark in _CLAUSES.finditer(low) for i in mark.span()), len(low)]
    for start, end in zip(bounds[::2], bounds[1::2], strict=True):
        read = _clause(text[start:end], said, clauses)
        if read is None or not read.filler:
            clauses.append(read)
    found = [c for c in clauses if c is not None]
    if not found:
        return None
    if any(c.mixed for c in found) or len(found) < len(clauses):
        return one_request()
    errors = [c.error for c in found if c.error]
    if errors:
        return Intent(Kind.CAPS, error=errors[0])
    change = _change(found)
    if change is None:
        return Intent(Kind.CAPS_SHOW)
    return Intent(Kind.CAPS, caps=change)


def negated_cap(low: str) -> bool:
    """Whether ``low`` (lowered) is a cap said as a negation, "không (bao giờ) tự động nạp quá
    200 đô mỗi tháng", which the Vietnamese cancel ("không ...") must leave to `parse`."""
    bare = plain(low)
    capped = _MONTH.search(bare) or _DAY.search(bare) or _EACH.search(bare)
    return bool(capped and _NEGATED_CAP.search(bare) and re.search(r"\d", bare))


def _change(found: list[_Clause]) -> CapsChange | None:
    """The caps the clauses change together (the last word on each); None: only a show."""
    daily = monthly = largest = None
    clear_monthly = clear_max = False
    for c in found:
        daily = c.daily if c.daily is not None else daily
        if c.monthly is not None or c.clear_monthly:
            monthly, clear_monthly = c.monthly, c.clear_monthly
        if c.max_recharge is not None or c.clear_max:
            largest, clear_max = c.max_recharge, c.clear_max
    if (daily, monthly, largest, clear_monthly, clear_max) == (None, None, None, False, False):
        return None
    return CapsChange(daily, monthly, clear_monthly, largest, clear_max)


def _clause(text: str, said: _Said, before: list[_Clause | None]) -> _Clause | None:
    """One clause's reading; None when it is not about the caps."""
    raw = text.strip()
    bare = plain(lowered(raw))
    if len(bare) != len(raw):  # a character plain() drops: read the clause without amounts
        raw = bare
    if _FILLER.fullmatch(bare):
        return _Clause(filler=True)
    if _OTHER.search(bare):
        return None
    capped = bool(_DAY.search(bare) or _MONTH.search(bare) or _EACH.search(bare))
    if _BELOW.search(bare):  # a trigger: an auto-recharge request, perhaps with a cap in it
        return _Clause(mixed=True) if capped and _CAP.search(bare) else None
    if _OTHER_PERIOD.search(bare) and (_CAP.search(bare) or _TIMES.search(bare)):
        return _Clause(error=t(caps.NO_OTHER_PERIOD))  # "twice a week", "a yearly cap of $5000"
    if not re.search(r"\d", bare):
        cleared = _cleared(bare, before)
        if cleared is not None:
            return cleared
    daily = _daily(bare, said.context)
    if daily is not None:
        return daily
    after_cap = any(c is not None and not c.show for c in before)  # "... and $500 a month"
    return _amount_cap(raw, bare, said, after_cap)


def _cleared(bare: str, before: list[_Clause | None]) -> _Clause | None:
    """ "remove the monthly cap", "no max recharge", "bỏ giới hạn tháng"; a clause that only
    names a cap after one that removed another ("... and the largest recharge") removes it."""
    clearing = bool(_CLEAR.search(bare)) or any(
        c is not None and (c.clear_monthly or c.clear_max) for c in before[-1:]
    )
    if not clearing or not (_CAP.search(bare) or _LARGEST.search(bare)):
        return None
    if _MONTH.search(bare):
        return _Clause(clear_monthly=True)
    if _EACH.search(bare):
        return _Clause(clear_max=True)
    if _DAY.search(bare):  # "remove the daily limit": it can only be set
        return _Clause(error=t(caps.NO_DAILY_REMOVAL))
    return None


def _daily(bare: str, context: bool) -> _Clause | None:
    """ "recharge at most twice a day", "at most 3 recharges per day", "tối đa 2 lần mỗi ngày";
    ``context``: the message is about recharges (else only a count said with its unit, "3
    times a day", is read as one)."""
    day = _DAY.search(bare)
    if day is None:
        return None
    if _BAD_COUNT.search(bare):  # "at most 2.5 times a day", "-2 times a day"
        return _Clause(error=t(caps.DAILY_RANGE))
    count = _COUNT.search(bare)
    if count is None:
        if _CAP.search(bare) and _CURRENCY.search(bare):  # "at most $100 a day"
            return _Clause(error=t(NO_DAILY_AMOUNT))
        if _QUESTION.search(bare) and _CONTEXT.search(bare):  # "how many recharges a day?"
            return _Clause(show=True)
        return None
    if not (context or _TIMES.search(bare)):
        return None
    if _CURRENCY.search(bare):  # "recharge $100 at most twice a day": two requests
        return _Clause(mixed=True)
    said = next(group for group in count.groups() if group is not None)
    return _Clause(daily=int(said) if said.isdigit() else _WORD_COUNTS[said])


def _amount_cap(raw: str, bare: str, said: _Said, after_cap: bool) -> _Clause | None:
    """A monthly cap ("a monthly cap of $500", "never auto-recharge more than $200 a month") or
    the largest single recharge ("limit each recharge to $150", "largest recharge $150"); after
    another cap in the message the cap word may be left out ("... and $500 a month"). A
    question with no amount ("what is the max recharge?") shows the caps."""
    month, each = _MONTH.search(bare), _EACH.search(bare)
    if month is None and each is None:
        return _Clause(show=True) if _SHOW.fullmatch(bare) else None
    if not (after_cap or _CAP.search(bare) or (each is not None and _LARGEST.search(bare))):
        return None
    if month is not None and each is not None:  # "... each recharge ... a month": both?
        return _Clause(mixed=True)
    mark = month or each
    assert mark is not None
    unmarked = raw[: mark.start()] + " " * (mark.end() - mark.start()) + raw[mark.end() :]
    try:
        amount = parse_chat(unmarked, said.currency, None, said.lang)
    except AmountError as error:  # "$-5", "$0": why, and what the cap may be
        allowed = caps.monthly_range if month is not None else caps.max_range
        return _Clause(error=f"{error} {allowed(said.limits, said.currency)}")
    if amount is None:
        if _SHOW.search(bare) or _QUESTION.search(bare):
            return _Clause(show=True)
        return _Clause(error=t(SAY_AN_AMOUNT))
    if month is not None:
        return _Clause(monthly=amount)
    return _Clause(max_recharge=amount)
