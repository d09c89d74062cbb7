"""What the English and Vietnamese intent rules share: the intent type, the text forms the rules
match on, diacritic-tolerant Vietnamese patterns, triggers, thresholds and the refusals."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from credits.i18n import N_, Lang, fmt_number, t
from credits.models import CapsChange, HistoryScope
from credits.money import AmountError, AmountLimits, Currency, Money, parse_chat
from credits.service import MAX_THRESHOLDS


class Kind(StrEnum):
    BALANCE = "balance"
    ADD_FUNDS = "add_funds"
    RECHARGE = "recharge"  # set / turn on auto-recharge (amount and trigger may be missing)
    RECHARGE_OFF = "recharge_off"
    RECHARGE_SETTINGS = "recharge_settings"
    HISTORY = "history"
    HELP = "help"
    CANCEL = "cancel"
    ALERTS_HERE = "alerts_here"
    ALERTS_STOP = "alerts_stop"
    ALERTS = "alerts"
    ALERT_THRESHOLDS = "alert_thresholds"
    USAGE_CONNECT = "usage_connect"  # connect usage from Microsoft 365 (admin consent)
    USAGE_STATUS = "usage_status"  # how the pull from Microsoft 365 is going
    GREETING = "greeting"
    USAGE_REPORT = "usage_report"  # spend by caller and by destination, this month and 7 days
    CAPS = "caps"  # change the auto-recharge caps (`caps`)
    CAPS_SHOW = "caps_show"  # show the caps and what is left of them
    ADMINS = "admins"  # who the billing admins are
    ADMIN_GRANT = "admin_grant"  # make someone an admin (`person`, or an @mention)
    ADMIN_REVOKE = "admin_revoke"  # remove someone as admin (`person`, or an @mention)
    ADMIN_CLAIM = "admin_claim"  # the first admin types a claim code (`code`); anyone may
    STATEMENT = "statement"  # a month's statement (`month`, `year`; None: this month)
    RECEIPT = "receipt"  # a receipt again (`number`)
    REFUSED = "refused"  # a request the bot will not do from chat (withdraw, refund): say `error`
    UNKNOWN = "unknown"


ErrorField = Literal["amount", "trigger"]


@dataclass(frozen=True, slots=True)
class Intent:
    kind: Kind
    amount: Money | None = None
    trigger: Money | None = None
    error: str | None = None  # an amount was given but refused: say why, ask again
    thresholds: tuple[Money, ...] = ()
    # which part of an auto-recharge request `error` refuses: "amount" (then `trigger` holds
    # the trigger if it was fine) or "trigger" (then `amount` holds the amount, which was fine)
    error_field: ErrorField | None = None
    caps: CapsChange | None = None  # Kind.CAPS
    person: str | None = None  # Kind.ADMIN_GRANT / ADMIN_REVOKE: the name as typed, if any
    mentioned: bool = False  # Kind.ADMIN_GRANT / ADMIN_REVOKE: `person` is a Teams @mention
    code: str | None = None  # Kind.ADMIN_CLAIM
    scope: HistoryScope = HistoryScope.ALL  # Kind.HISTORY
    month: int | None = None  # Kind.STATEMENT: 1-12, None for this month
    year: int | None = None  # Kind.STATEMENT: None for the latest such month not in the future
    number: int | None = None  # Kind.RECEIPT
    months_ago: int = 0  # Kind.STATEMENT: "last month" is 1 (then `month` and `year` are None)
    export: bool = False  # Kind.STATEMENT: "export history": also say how to get the file
    adding: bool = False  # Kind.ALERT_THRESHOLDS: added to the ones set ("also alert me below")


NO_WITHDRAWALS = N_(
    "Funds cannot be withdrawn or refunded from chat; to ask for money back, contact Microsoft "
    "billing support (Microsoft 365 admin center > Billing). Nothing was changed."
)
SAY_THRESHOLDS = N_("Say the amounts, e.g. alert me below $50 and $20.")
TOO_MANY_THRESHOLDS = N_(
    "You can set at most {most} low-balance thresholds (you gave {given}), e.g. alert me below "
    "$50 and $20. Nothing was changed."
)
ONE_REQUEST_TOPUP = N_(
    "One request per message, please: add credits and set up alerts separately, e.g. "
    '"add $50 credits", then "alert me when below $20". Nothing was changed.'
)
ONE_REQUEST_RECHARGE = N_(
    "One request per message, please: set auto-recharge and alerts separately, e.g. "
    '"set auto-recharge to $100 when below $20", then "alert me when below $10". '
    "Nothing was changed."
)
ONE_REQUEST = N_(
    'One request per message, please, e.g. "add $50 credits", then "turn off auto-recharge". '
    "Nothing was changed."
)
THRESHOLDS_REPLACED = N_(
    "Low-balance thresholds are not removed one at a time: say all the thresholds you want and "
    'they replace the current ones, e.g. "alert me when below $50 and $20". Nothing was changed.'
)
TOO_LONG = N_(
    "That message is too long (over {most} characters): send one short request, e.g. "
    '"balance". Nothing was changed.'
)
MAX_CHARS = 2000  # a longer message is not read at all (too_long): every rule stays fast
ZERO_THRESHOLD = N_(
    "Each low-balance threshold must be more than zero, e.g. alert me below $50 and $20. "
    "Nothing was changed."
)


def refused() -> Intent:
    """A request to take money back out: never a purchase, only the sentence saying why not."""
    return Intent(Kind.REFUSED, error=t(NO_WITHDRAWALS))


def two_requests(auto: bool) -> Intent:
    """A top-up (``auto``: an auto-recharge) and alert thresholds in one message: neither is
    done, the sentence says to ask one at a time."""
    return Intent(Kind.REFUSED, error=t(ONE_REQUEST_RECHARGE if auto else ONE_REQUEST_TOPUP))


def one_request() -> Intent:
    """Two requests of other kinds in one message ("nạp 50 đô và bật tự động nạp"): neither is
    done, the sentence says to ask one at a time."""
    return Intent(Kind.REFUSED, error=t(ONE_REQUEST))


def thresholds_replaced() -> Intent:
    """Thresholds said with a stop word or a negation ("tắt cảnh báo khi dưới 40 đô"): nothing is
    set; the sentence says thresholds are replaced by saying the ones wanted."""
    return Intent(Kind.REFUSED, error=t(THRESHOLDS_REPLACED))


def too_long() -> Intent:
    """A message over ``MAX_CHARS`` characters (after white space is squeezed): not read."""
    return Intent(Kind.REFUSED, error=t(TOO_LONG, most=fmt_number(MAX_CHARS)))


# --------------------------------------------------------------------------- text forms


_RUNS = re.compile(r"(\s)\s+")


def squeeze(text: str) -> str:
    """``text`` with each run of white space cut to its first character (amounts keep their
    no-break space): what every rule reads, so no pattern meets a long run of spaces."""
    return _RUNS.sub(r"\1", text)


def lowered(text: str) -> str:
    """``text`` in NFC and lower case, as long as the NFC text (so match offsets index it)."""
    nfc = unicodedata.normalize("NFC", text)
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in nfc)


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def plain(text: str) -> str:
    """``text`` without diacritics (``đ`` is ``d``): ``"nạp tiền"`` is ``"nap tien"``."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _variants(letter: str) -> str:
    """A Vietnamese letter as typed: itself, without its tone mark, and bare (``ừ ư u``)."""
    toneless = unicodedata.normalize(
        "NFC", "".join(c for c in unicodedata.normalize("NFD", letter) if c not in _TONES)
    )
    return "".join(dict.fromkeys((letter, toneless, plain(letter))))


def vi_re(pattern: str) -> re.Pattern[str]:
    """A regex written in Vietnamese that also matches the words typed without their diacritics
    (``dừng`` matches ``dừng``, ``dưng`` and ``dung`` but not ``dụng``); a space outside a
    character class matches any run of white space."""
    out: list[str] = []
    in_class = escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == "[" or (ch == "]" and in_class):
            in_class = ch == "["
            out.append(ch)
        elif ch == " " and not in_class:
            out.append(r"\s+")
        elif not ch.isascii() and ch.isalpha() and not in_class and len(_variants(ch)) > 1:
            out.append(f"[{_variants(ch)}]")
        else:
            out.append(ch)
    return re.compile("".join(out))


_VI_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b")
_VI_WORDS = re.compile(
    r"\b(?:nap|so du|tu dong|lich su|giao dich|sao ke|canh bao|thong bao|tro giup|giup|"
    r"huong dan|huy|thoi|tat|ngung|dung|cai dat|xem|kiem tra|bao nhieu|duoi|khi|neu|mua|rut|"
    r"tru|nhac|kenh nay|nhom nay|tien|quy|muc|nguong|kich hoat|chao|khong|nua|toi|minh|"
    r"ket noi|su dung|chi tieu|nguoi goi|trang thai|hoan tien|lam duoc gi|the nao|ra sao|"
    r"tai khoan|tin dung|bo qua|nhieu nhat|(?:vao|o|tai) (?:day|dau)|di dau|"
    r"\d+ ?(?:do|dong|trieu|nghin|ngan))\b|\bthem (?:\d|tien|quy|credit)"
)


def looks_vietnamese(text: str) -> bool:
    """Whether ``text`` (lowered) has Vietnamese letters or Vietnamese words typed without them;
    only such text goes through the Vietnamese rules (``them`` alone stays English)."""
    for ch in text:
        if ch == "đ":
            return True
        if not ch.isascii() and ch.isalpha():
            parts = unicodedata.normalize("NFD", ch)
            if parts[0].isascii() and parts[1:] and set(parts[1:]) <= _VI_MARKS:
                return True
    return _VI_WORDS.search(plain(text)) is not None


def in_order(text: str, *patterns: re.Pattern[str]) -> re.Match[str] | None:
    """The last pattern's match when each pattern matches after the one before (linear time)."""
    found: re.Match[str] | None = None
    at = 0
    for pattern in patterns:
        found = pattern.search(text, at)
        if found is None:
            return None
        at = found.end()
    return found


# --------------------------------------------------------------------------- amounts


_ZERO = re.compile(r"\s*[$€£¥]?\s*0+(\.0+)?\s*\w*\s*")


def parse_trigger(text: str, currency: Currency, lang: Lang | None = None) -> Money | None:
    """A trigger is an amount of zero or more (no purchase limits apply)."""
    text = squeeze(text)
    if _ZERO.fullmatch(text) and re.search(r"\d", text):
        return Money.zero(currency)
    return parse_chat(text, currency, None, lang, allow_zero=True)


def recharge(
    amount_text: str,
    trigger_text: str | None,
    currency: Currency,
    limits: AmountLimits,
    lang: Lang,
) -> Intent:
    """An auto-recharge request: the amount in ``amount_text``, the trigger in ``trigger_text``
    (None: no trigger was said). A refused part is named in ``error_field`` and the other part
    is kept, so the flow asks again only for what was refused (the amount's refusal first)."""
    trigger: Money | None = None
    trigger_error: AmountError | None = None
    if trigger_text is not None:
        try:
            trigger = parse_trigger(trigger_text, currency, lang)
        except AmountError as error:
            trigger_error = error
    try:
        amount = parse_chat(amount_text, currency, limits, lang)
    except AmountError as error:
        return Intent(Kind.RECHARGE, trigger=trigger, error=str(error), error_field="amount")
    if trigger_error is not None:
        return Intent(Kind.RECHARGE, amount=amount, error=str(trigger_error), error_field="trigger")
    return Intent(Kind.RECHARGE, amount=amount, trigger=trigger)


def thresholds(
    parts: Iterable[str], currency: Currency, lang: Lang, *, zero_refused: bool
) -> Intent:
    """Up to three low-balance thresholds, one in each part that has a digit. A zero threshold
    is refused (``zero_refused``) or left out."""
    try:
        found = [parse_trigger(p, currency, lang) for p in parts if re.search(r"\d", p)]
    except AmountError as error:
        return Intent(Kind.ALERT_THRESHOLDS, error=str(error))
    if zero_refused and any(m is not None and m.minor <= 0 for m in found):
        return Intent(Kind.ALERT_THRESHOLDS, error=t(ZERO_THRESHOLD))
    values = tuple(dict.fromkeys(m for m in found if m is not None and m.minor > 0))
    if not values:
        return Intent(Kind.ALERT_THRESHOLDS, error=t(SAY_THRESHOLDS))
    if len(values) > MAX_THRESHOLDS:
        said = t(
            TOO_MANY_THRESHOLDS, most=fmt_number(MAX_THRESHOLDS), given=fmt_number(len(values))
        )
        return Intent(Kind.ALERT_THRESHOLDS, error=said)
    return Intent(Kind.ALERT_THRESHOLDS, thresholds=values)
