"""What an admin typed, as a typed intent. Pure: no botbuilder, unit-tested on its own.

English and Vietnamese are understood under every language; the turn's language only decides
how numbers are read ("1.000,50" in Vietnamese, "1,000.50" in English). Text that looks
Vietnamese goes through the Vietnamese rules first (``dialogs/intents_vi.py``, vi-spec §4), then
through the English rules here; what both share is in ``dialogs/intents_core.py``."""

from __future__ import annotations

import functools
import re
import unicodedata

from credits.i18n import Lang, current
from credits.money import AmountError, AmountLimits, Currency, parse_chat
from dialogs.control_intents import control_intent
from dialogs.intents_core import (
    MAX_CHARS,
    ErrorField,
    Intent,
    Kind,
    looks_vietnamese,
    lowered,
    parse_trigger,
    recharge,
    refused,
    squeeze,
    thresholds,
    too_long,
)
from dialogs.intents_vi import parse_vi, several_requests, vi_interruption

__all__ = ["ErrorField", "Intent", "Kind", "interruption", "parse_intent", "parse_trigger"]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


CANCEL = re.compile(r"^(cancel|stop|quit|never ?mind|abort|exit)\b[.!]*$")
HELP = re.compile(r"^(help|\?|what can you do|commands|menu)\b[?.!]*$")
GREETING = re.compile(r"^(hi|hello|hey|good (morning|afternoon|evening))\b")
RECHARGE_WORDS = re.compile(r"\b(auto[- ]?recharge|auto[- ]?top[- ]?up|recharge|top[- ]?up)\b")
OFF = re.compile(r"\b(turn off|switch off|disable|stop|pause|deactivate)\b|\boff\b")
ON = re.compile(r"\b(turn on|switch on|enable|activate|resume|start)\b|\bon\b")
SETTINGS = re.compile(r"\b(settings?|status|config(uration)?|options)\b")
BELOW = re.compile(
    r"\b(?:when|if|once|whenever)?\s*(?:the\s+)?(?:balance\s+)?"
    r"(?:falls?|drops?|goes|gets|is|runs)?\s*(?:below|under|less than|beneath)\b"
)
WHEN_BELOW = re.compile(
    r"\b(?:when|if|whenever|once|each time|every time)\b.*\b(?:below|under|less than)\b"
)
ADD = re.compile(r"\b(add|buy|purchase|fund|top[- ]?up|load|deposit)\b")
BALANCE = re.compile(
    r"\b(balance|how much|credits? left|remaining|funds left|show (me )?(the )?credits?)\b"
)
REFUSE = re.compile(
    # money asked back: a verb with what is taken back ("refund my last purchase", "withdraw
    # $50") or alone ("refund"), a refund asked for, money given back; not a question about a
    # recharge withdrawn, a history of refunds or credits added back (they go on to their rules)
    r"\b(refund|withdraw|cash out|charge ?back|take back)( (my|our|me|us|the|that|this|it|them|"
    r"all|everything|some|money|funds?|credits?|cash|last|latest|previous)\b| ?[$€£¥\d]|"
    r"( please| pls)?[.!?]*$)|"
    r"\b(want|need|get|give (me|us)|request|like|have|issue|process|ask for|apply for)"
    r"( (a|my|our|the|full|partial))* refund\b|"
    r"\btake (it |them |the money |funds |credits? )?back\b|"
    r"\b(my|our|the) (money|funds|cash|credits?) back\b|\b(give|send|pay) (me|us) back\b|"
    # a purchase already made, taken back ("cancel" alone is the cancel interruption)
    r"\b(cancel|undo|reverse|revert|void) (my |our |the |that )?(last|previous|latest|"
    r"most recent|recent|earlier|yesterday'?s) (purchase|payment|top[- ]?up|transaction|charge|"
    r"recharge|auto[- ]?recharge)s?\b"
)
HISTORY = re.compile(r"\b(history|transactions|activity|ledger|statement|recent)\b")
ALERTS_HERE = re.compile(
    r"^(send|post|put|show) (the )?(alerts?|notifications?) (here|to this \w+)"
)
ALERTS_STOP = re.compile(r"^(stop|no more|unsubscribe|mute) (the )?(alerts?|notifications?)")
ALERTS = re.compile(r"^(alerts?|notifications?|alert settings|subscriptions?)[?.!]*$")
THRESHOLDS = re.compile(r"^(alert|warn|notify|tell) (me|us)\b.*\b(below|under|less than)\b")
USAGE_REPORT = re.compile(
    r"^(?:(?:show|see|list|get|view) (?:me )?)?(?:the |our |my )?(?:"
    r"usage(?: report| summary| this month)?"
    r"|(?:usage|spend|spending|calls|costs?) (?:by|per) (?:users?|callers?|destinations?"
    r"|countr(?:y|ies))"
    r"|(?:top|biggest) (?:callers|users|spenders|destinations|countries)"
    r"|who(?:'s|s| is| are)? (?:calling|spending)(?: the most| most)?"
    r"|who (?:calls|spends) (?:the )?most"
    r")[?.!]*$"
)
_SOURCE = r"(usage|calls?|call records|graph|microsoft graph|microsoft 365|teams calling)"
USAGE_CONNECT = re.compile(
    rf"^(please )?(connect|link|set ?up|hook up|turn on|enable|start pulling|pull)( the| my| our)? "
    rf"{_SOURCE}( from (microsoft( 365)?|graph|teams))?[.!]*$"
)
USAGE_STATUS = re.compile(
    rf"^((the )?{_SOURCE} (status|connection|sync)|is (the )?{_SOURCE} connected|"
    r"when was (the )?(last )?(usage )?pull)\b[?.!]*$"
)


def interruption(text: str) -> Kind | None:
    """Help and cancel, recognised at any step of any flow (not in a message over MAX_CHARS)."""
    text = squeeze(text)
    if len(text) > MAX_CHARS:
        return None
    said = _words(text)
    if CANCEL.match(said):
        return Kind.CANCEL
    if HELP.match(said):
        return Kind.HELP
    return vi_interruption(lowered(text))


CACHED_CHARS = 64  # messages this short are remembered (`parse_intent`)
CACHED_MESSAGES = 512


def parse_intent(
    text: str, currency: Currency, limits: AmountLimits, lang: Lang | None = None
) -> Intent:
    """Map a chat message, in English or Vietnamese, to an intent. Amounts are read for the
    turn's language (``lang``, else the current one); a refused amount comes back as `error`
    so the flow can say why and ask again. White space runs are squeezed first, and a message
    still over MAX_CHARS characters is refused unread (``too_long``).

    A pure function of its arguments and of the language its refusals are written in, so the
    short messages admins type again and again ("balance", "help") are remembered."""
    lang = lang or current()
    if len(text) <= CACHED_CHARS:
        return _remembered(text, currency, limits, lang, current())
    return _parse(text, currency, limits, lang)


@functools.lru_cache(maxsize=CACHED_MESSAGES)
def _remembered(
    text: str, currency: Currency, limits: AmountLimits, lang: Lang, speaking: Lang
) -> Intent:
    return _parse(text, currency, limits, lang)  # `speaking`: t()'s language, part of the key


def _parse(text: str, currency: Currency, limits: AmountLimits, lang: Lang) -> Intent:
    text = unicodedata.normalize("NFC", squeeze(text))  # so `lowered(text)` indexes `text`
    said = _words(text)
    if not said:
        return Intent(Kind.UNKNOWN)
    if len(said) > MAX_CHARS:
        return too_long()
    low = lowered(text)
    whole = vi_interruption(low)
    if whole is not None:
        return Intent(whole)
    if looks_vietnamese(low):
        several = several_requests(text, low, lambda part: _one(part, currency, limits, lang))
        if several is not None:
            return several
    return _one(text, currency, limits, lang)


def _one(text: str, currency: Currency, limits: AmountLimits, lang: Lang) -> Intent:
    """One request: the Vietnamese rules when the text looks Vietnamese, else (or when they
    find nothing) the English rules. The admin controls' phrasings come first."""
    control = control_intent(text, currency, limits, lang)
    if control is not None:
        return control
    if looks_vietnamese(lowered(text)):
        found = parse_vi(text, currency, limits, lang)
        if found is not None:
            return found
    return _english(text, _words(text), currency, limits, lang)


def _english(text: str, said: str, currency: Currency, limits: AmountLimits, lang: Lang) -> Intent:
    """The English rules, most specific first (``said`` is the lowered, spaced text)."""
    if CANCEL.match(said):
        return Intent(Kind.CANCEL)
    if HELP.match(said):
        return Intent(Kind.HELP)
    if ALERTS_STOP.match(said):
        return Intent(Kind.ALERTS_STOP)
    if ALERTS_HERE.match(said):
        return Intent(Kind.ALERTS_HERE)
    if ALERTS.match(said):
        return Intent(Kind.ALERTS)
    if THRESHOLDS.match(said):
        return _thresholds(text, currency, lang)
    if USAGE_REPORT.match(said):
        return Intent(Kind.USAGE_REPORT)
    if USAGE_CONNECT.match(said):
        return Intent(Kind.USAGE_CONNECT)
    if USAGE_STATUS.match(said):
        return Intent(Kind.USAGE_STATUS)
    if REFUSE.search(said):
        return refused()
    if RECHARGE_WORDS.search(said) and not (ADD.match(said) and "auto" not in said):
        return _recharge(text, said, currency, limits, lang)
    if ADD.match(said) and WHEN_BELOW.search(said):  # "add $20 when below $100": auto-recharge
        return _recharge(text, said, currency, limits, lang)
    if ADD.search(said):
        try:
            return Intent(Kind.ADD_FUNDS, amount=parse_chat(text, currency, limits, lang))
        except AmountError as error:
            return Intent(Kind.ADD_FUNDS, error=str(error))
    if HISTORY.search(said):
        return Intent(Kind.HISTORY)
    if BALANCE.search(said):
        return Intent(Kind.BALANCE)
    if GREETING.match(said):
        return Intent(Kind.GREETING)
    return Intent(Kind.UNKNOWN)


def _recharge(text: str, said: str, currency: Currency, limits: AmountLimits, lang: Lang) -> Intent:
    if OFF.search(said):  # turning off never sets anything, whatever amounts follow
        return Intent(Kind.RECHARGE_OFF)
    below = BELOW.search(text.lower())
    amount_text, trigger_text = (
        (text[: below.start()], text[below.end() :]) if below else (text, None)
    )
    intent = recharge(amount_text, trigger_text, currency, limits, lang)
    bare = said in ("recharge", "auto-recharge", "auto recharge")
    if intent == Intent(Kind.RECHARGE) and not ON.search(said) and (SETTINGS.search(said) or bare):
        return Intent(Kind.RECHARGE_SETTINGS)
    return intent


def _thresholds(text: str, currency: Currency, lang: Lang) -> Intent:
    """ "alert me when below $50 and $20" : up to three low-balance thresholds. A comma
    followed by a digit is a thousands separator ("$1,500"), not a list separator; amounts
    with only a space between them ("$50 $20") are two."""
    below = BELOW.search(text.lower())
    tail = text[below.end() :] if below else ""
    parts = re.split(r",(?!\d)|\band\b|\bor\b|(?<=\d)\s+(?=[$€£¥]?\s*\d)", tail)  # "$50 $20"
    return thresholds(parts, currency, lang, zero_refused=False)
