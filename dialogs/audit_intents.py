"""The history's scope as admins ask for it, in English and Vietnamese (with or without
diacritics): the settings changes alone ("history settings", "audit log", "who changed the
settings", "lịch sử cài đặt", "nhật ký thay đổi"), the money alone ("transactions", "history
money", "lịch sử giao dịch"), or both ("history all"). Read before the other rules
(dialogs/control_intents.py); a plain "history" is the English and Vietnamese rules' own (all).
Whole messages only, so nothing else is taken ("export history", "refund my last transaction"
go on to their own rules).

Also low-balance thresholds added one at a time ("also alert me below $5", "add a threshold at
$5", "thêm ngưỡng cảnh báo 5 đô"), which would otherwise open the add-funds form or replace the
thresholds set (dialogs/audit_guards.py sets them, refusing a fourth)."""

from __future__ import annotations

import re

from credits.i18n import N_, Lang, t
from credits.models import HistoryScope
from credits.money import AmountLimits, Currency
from dialogs.intents_core import Intent, Kind, lowered, plain, thresholds

_LEAD = (
    r"(?:(?:please|pls|can you|could you) )?(?:(?:show|see|view|list|open|get|give)(?: me| us)? )?"
    r"(?:(?:xem|cho (?:toi|minh|em) xem|hien thi|mo) )?(?:the |my |our |all (?:the )?)?"
    r"(?:recent |latest |last |full |gan day )?"
)
_END = r"(?: (?:please|pls|gan day|di|nhe|nha|a))?[\s?.!]*"
_CHANGED = (
    r"(?:changed|modified|edited|updated|set|disabled|enabled|paused|"
    r"(?:turned|switched) (?:on|off)|turned|switched)"
)
_SETTING = (
    r"(?:settings?|config(?:uration)?|auto-?recharge|auto recharge|recharge settings|"
    r"(?:low-balance |low balance )?(?:alerts?|alert thresholds?|thresholds?)|"
    r"(?:recharge |auto-?recharge )?(?:caps?|limits?)|admins?)"
)
_SETTINGS = (
    r"(?:settings?|setting changes?|changes?|audit|admin|config(?:uration)?)"
    r" (?:history|log|trail|changes)"
    r"|(?:history|log) (?:of )?(?:the )?(?:settings?|settings? changes|changes)"
    r"|history settings|audit(?: log| trail)?|change ?log|what changed"
    r"|changes to (?:the )?settings"
    rf"|who (?:has |have )?{_CHANGED} (?:the |our |my )?{_SETTING}(?: (?:on|off))?"
    r"|who changed (?:it|what|something|anything)"
    # Vietnamese, diacritics removed: lịch sử cài đặt, nhật ký thay đổi, ai đã đổi cài đặt
    r"|lich su (?:thay doi )?(?:cai dat|thiet lap)|lich su thay doi|thay doi cai dat"
    r"|nhat ky(?: (?:thay doi|cai dat|kiem tra|kiem toan))?(?: cai dat)?"
    r"|ai (?:da )?(?:thay doi|doi|sua|chinh) (?:cai dat|thiet lap)"
)
_MONEY = (
    r"transactions?|(?:transaction|payment|payments|money|ledger|purchase|purchases) history"
    r"|refunds|withdrawals?|(?:refund|refunds|withdrawal|withdrawals) history"
    r"|history (?:of )?(?:the )?(?:refunds|withdrawals)|lich su (?:hoan tien|rut tien)"
    r"|history (?:of )?(?:the )?(?:money|payments|transactions|purchases)|ledger|money in and out"
    r"|lich su (?:giao dich|nap tien|thanh toan)|giao dich|bien dong so du"
)
_ALL = r"history all|(?:all|full) history|lich su tat ca|tat ca lich su"
_SCOPES = (
    (re.compile(rf"{_LEAD}(?:{_SETTINGS}){_END}"), HistoryScope.SETTINGS),
    (re.compile(rf"{_LEAD}(?:{_MONEY}){_END}"), HistoryScope.MONEY),
    (re.compile(rf"{_LEAD}(?:{_ALL}){_END}"), HistoryScope.ALL),
)


def scope_of(text: str) -> HistoryScope | None:
    """The scope a whole message asks the history for, None when it is not such a message."""
    said = re.sub(r"\s+", " ", plain(lowered(text)).replace("\u2019", "'")).strip()
    for pattern, scope in _SCOPES:
        if pattern.fullmatch(said):
            return scope
    return None


def parse(text: str, currency: Currency, limits: AmountLimits, lang: Lang) -> Intent | None:
    """`Kind.HISTORY` with its scope, or None for anything else."""
    scope = scope_of(text)
    return None if scope is None else Intent(Kind.HISTORY, scope=scope)


# --------------------------------------------------------------------------- thresholds added

_BELOW = (
    r"(?:(?:when|if|once) )?(?:(?:the )?balance (?:is |falls |drops |goes |gets )?|it(?:'s| is) )?"
    r"(?:below|under|less than)"
)
_WHAT = (
    r"(?:low[- ]balance )?(?:alert thresholds?|thresholds?|alerts?|warnings?|notifications?)"
    r"(?: threshold)?"
)
_ADDED = (
    # English
    rf"(?:please )?(?:also |and )?(?:add|set up|create) (?:a |an |one |another |one more |a new |"
    rf"a fourth |an extra |(?:an )?other )?{_WHAT} (?:at|of|for|{_BELOW})"
    rf"|(?:also|and also|please also) (?:alert|warn|notify|tell) (?:me|us) {_BELOW}"
    rf"|(?:alert|warn|notify|tell) (?:me|us) also {_BELOW}"
    # Vietnamese, diacritics removed: thêm ngưỡng cảnh báo, cảnh báo thêm khi dưới
    r"|(?:them|bo sung) (?:mot |1 )?(?:nguong canh bao|nguong|canh bao|muc canh bao)"
    r"(?: (?:khi|neu))?(?: so du)?(?: (?:duoi|xuong duoi|giam xuong duoi|thap hon))?"
    r"(?: (?:la|o muc|muc|bang))?"
    r"|(?:canh bao|bao|nhac)(?: toi| minh)? them (?:khi|neu)(?: so du)?"
    r" (?:duoi|xuong duoi|giam xuong duoi|thap hon)"
)
ADDED = re.compile(rf"^(?:{_ADDED}) (?=\S*\d)")
_AFTER_BELOW = re.compile(r"(?:below|under|less than|duoi|thap hon) $")
_AMOUNT = re.compile(  # a part of the list said after "at" / "for" (folded): an amount alone
    r"(?:[$€£¥₫]|us\$|usd|eur|gbp|vnd)?\s*\d[\d.,\s]*(?:k|nghin|ngan|trieu|tr)?\s*"
    r"(?:[$€£¥₫d]|us\$|usd|eur|gbp|vnd|dollars?|bucks|euros?|pounds?|do(?: ?-?la)?|dola|dong)?"
)
_TOO = re.compile(r"\s+(?:too|as well|please|pls|nua|nhe|nha)[.!]*$")
_PARTS = re.compile(r",(?!\d)|;|\b(?:and|or|va|hoac)\b")
_NO_AMOUNT = re.compile(  # "add a threshold": which amount is not said (folded, whole message)
    r"(?:please )?(?:also )?(?:add|create|set up) (?:a |an |one |another |one more |a new |"
    r"an extra )?(?:low[- ]balance )?(?:alert )?thresholds?(?: please)?[.!?]*"
    r"|(?:please )?(?:also )?add (?:a |an |another |one more |a new |an extra )"
    r"(?:low[- ]balance )?(?:alert|warning)(?: please)?[.!?]*"
    r"|(?:them|bo sung) (?:mot |1 )?(?:nguong canh bao|nguong|muc canh bao)(?: nhe| nha)?[.!?]*"
)
ASK_AMOUNT = N_(
    'Say the amount to add, e.g. "also alert me below $5" or "add a threshold at $5". '
    "Nothing was changed."
)


def added_thresholds(
    text: str, currency: Currency, limits: AmountLimits, lang: Lang
) -> Intent | None:
    """Low-balance thresholds added to the ones set ("also alert me below $5"), or None for anything
    else."""
    low = lowered(text)
    flat = plain(low)
    if _NO_AMOUNT.fullmatch(flat.strip()):
        return Intent(Kind.ALERT_THRESHOLDS, error=t(ASK_AMOUNT), adding=True)
    found = ADDED.match(flat) if len(flat) == len(low) else None
    if found is None:
        return None
    tail = _TOO.sub("", text[found.end() :])
    cut = [0] + [i for m in _PARTS.finditer(plain(lowered(tail))) for i in (m.start(), m.end())]
    parts = [tail[a:b] for a, b in zip(cut[::2], [*cut[1::2], len(tail)], strict=True)]
    said = [plain(lowered(p)).strip() for p in parts]
    if not _AFTER_BELOW.search(found.group()) and not all(_AMOUNT.fullmatch(p) for p in said):
        return None  # "set up alerts at 9am", "an alert for 2 channels": not an amount
    intent = thresholds(parts, currency, lang, zero_refused=True)
    return Intent(
        Kind.ALERT_THRESHOLDS, thresholds=intent.thresholds, error=intent.error, adding=True
    )
