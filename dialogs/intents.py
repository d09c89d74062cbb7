"""What an admin typed, as a typed intent. Pure: no botbuilder, unit-tested on its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from credits.money import AmountError, AmountLimits, Currency, Money, parse_typed
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
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Intent:
    kind: Kind
    amount: Money | None = None
    trigger: Money | None = None
    error: str | None = None  # an amount was given but refused: say why, ask again
    thresholds: tuple[Money, ...] = ()


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
ADD = re.compile(r"\b(add|buy|purchase|fund|top[- ]?up|load|deposit)\b")
BALANCE = re.compile(
    r"\b(balance|how much|credits? left|remaining|funds left|show (me )?(the )?credits?)\b"
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
    """Help and cancel, recognised at any step of any flow."""
    said = _words(text)
    if CANCEL.match(said):
        return Kind.CANCEL
    if HELP.match(said):
        return Kind.HELP
    return None


def parse_intent(text: str, currency: Currency, limits: AmountLimits) -> Intent:
    """Map a chat message to an intent. Amounts go through the strict Recognizers-Text parser;
    a refused amount comes back as `error` so the flow can say why and ask again."""
    said = _words(text)
    if not said:
        return Intent(Kind.UNKNOWN)
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
        return _thresholds(text, currency)
    if USAGE_REPORT.match(said):
        return Intent(Kind.USAGE_REPORT)
    if USAGE_CONNECT.match(said):
        return Intent(Kind.USAGE_CONNECT)
    if USAGE_STATUS.match(said):
        return Intent(Kind.USAGE_STATUS)
    if RECHARGE_WORDS.search(said) and not (ADD.match(said) and "auto" not in said):
        return _recharge(text, said, currency, limits)
    if ADD.search(said):
        try:
            return Intent(Kind.ADD_FUNDS, amount=parse_typed(text, currency, limits))
        except AmountError as error:
            return Intent(Kind.ADD_FUNDS, error=str(error))
    if HISTORY.search(said):
        return Intent(Kind.HISTORY)
    if BALANCE.search(said):
        return Intent(Kind.BALANCE)
    if GREETING.match(said):
        return Intent(Kind.GREETING)
    return Intent(Kind.UNKNOWN)


def _recharge(text: str, said: str, currency: Currency, limits: AmountLimits) -> Intent:
    below = BELOW.search(text.lower())
    if below is None and OFF.search(said) and not re.search(r"\d", said):
        return Intent(Kind.RECHARGE_OFF)
    amount_text, trigger_text = (
        (text[: below.start()], text[below.end() :]) if below else (text, "")
    )
    try:
        amount = parse_typed(amount_text, currency, limits)
        trigger = parse_trigger(trigger_text, currency) if below else None
    except AmountError as error:
        return Intent(Kind.RECHARGE, error=str(error))
    bare = said in ("recharge", "auto-recharge", "auto recharge")
    if (
        amount is None
        and trigger is None
        and not ON.search(said)
        and (SETTINGS.search(said) or bare)
    ):
        return Intent(Kind.RECHARGE_SETTINGS)
    return Intent(Kind.RECHARGE, amount=amount, trigger=trigger)


def _thresholds(text: str, currency: Currency) -> Intent:
    """ "alert me when below $50 and $20" : up to three low-balance thresholds. A comma
    followed by a digit is a thousands separator ("$1,500"), not a list separator."""
    below = BELOW.search(text.lower())
    tail = text[below.end() :] if below else ""
    parts = [p for p in re.split(r",(?!\d)|\band\b|\bor\b", tail) if re.search(r"\d", p)]
    try:
        found = [parse_trigger(part, currency) for part in parts]
    except AmountError as error:
        return Intent(Kind.ALERT_THRESHOLDS, error=str(error))
    values = tuple(dict.fromkeys(m for m in found if m is not None and m.minor > 0))
    if not values:
        return Intent(
            Kind.ALERT_THRESHOLDS, error="Say the amounts, e.g. alert me below $50 and $20."
        )
    if len(values) > MAX_THRESHOLDS:
        return Intent(
            Kind.ALERT_THRESHOLDS,
            error=(
                f"You can set at most {MAX_THRESHOLDS} low-balance thresholds (you gave "
                f"{len(values)}), e.g. alert me below $50 and $20. Nothing was changed."
            ),
        )
    return Intent(Kind.ALERT_THRESHOLDS, thresholds=values)


def parse_trigger(text: str, currency: Currency) -> Money | None:
    """A trigger is an amount of zero or more (no purchase limits apply)."""
    if re.fullmatch(r"\s*[$€£¥]?\s*0+(\.0+)?\s*\w*\s*", text) and re.search(r"\d", text):
        return Money.zero(currency)
    return parse_typed(text, currency, None)
