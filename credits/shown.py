"""Stored text as an admin sees it, in the language of the moment.

Some text is stored as data, in English whatever the language of the turn that caused it: a
payment's decline reason, a ledger entry's reason, a failed recharge's reason in an alert's
payload, a system actor's name, the name of an unknown caller in an unusual-spend alert. The
store keeps it language-neutral (always the English below, whoever wrote it), and whoever shows it
translates it here: `reason`, `actor_name`, `share_name` give the stored text itself in English
(byte for byte) and its translation in another language. Text this module did not write (a
payment gateway's own decline reason, an adjustment's reason typed by an operator) is shown as
it was stored.

The writers format these templates with `str.format` (never `t`): `stored(TEMPLATE, ...)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache

from credits.i18n import N_, Lang, current, fmt_date, fmt_number, speaking, t
from credits.money import AmountError, Currency, Money, currency

# ---------------------------------------------------------------- stored reasons (English)

PURCHASE = N_("Purchase")  # a purchase's payment and ledger entry
AUTO_RECHARGE = N_("Auto-recharge")  # an auto-recharge's ledger entry; the system actor
DECLINED = N_("declined")  # a decline without a reason from the gateway
SANDBOX_DECLINED = N_("card declined by the issuer (sandbox)")
NO_ANSWER = N_("the payment gateway gave no answer; retried with the same key")
SETTINGS_CHANGED = N_("auto-recharge settings changed")  # a queued recharge withdrawn
DAILY_LIMIT = N_("the daily limit of {limit} recharges was reached")
DAILY_LIMIT_ONE = N_("the daily limit of 1 recharge was reached")  # DAILY_LIMIT for 1
MONTHLY_CAP = N_("the monthly cap of {cap} would be exceeded")
MAX_RECHARGE = N_("the recharge of {amount} is more than the largest single recharge of {cap}")
STUCK = N_(
    "the payment has not settled for {minutes} minutes; "
    "check with the payment provider before retrying"
)
EXPIRED = N_("Funds bought {date} expired")  # an expiry's ledger entry
CALL = N_("call")  # a usage entry's kind when the call record names none
CALL_TO = N_("{kind}, {minutes} min to {where} ({id})")  # a usage entry
CALL_NOWHERE = N_("{kind}, {minutes} min ({id})")

# ---------------------------------------------------------------- names (English)

USAGE_ACTOR = N_("Usage")
EXPIRY_ACTOR = N_("Expiry")
UNKNOWN_CALLER = N_("Unknown caller")
UNKNOWN_DESTINATION = N_("Unknown destination")

_PLAIN = frozenset(
    {PURCHASE, AUTO_RECHARGE, DECLINED, SANDBOX_DECLINED, NO_ANSWER, SETTINGS_CHANGED}
    | {DAILY_LIMIT_ONE}
)
_SYSTEM_ACTORS = {"auto": AUTO_RECHARGE, "usage": USAGE_ACTOR, "expiry": EXPIRY_ACTOR}
_SHARES = frozenset({UNKNOWN_CALLER, UNKNOWN_DESTINATION})


def stored(template: str, **values: object) -> str:
    """A reason as the store keeps it: the English template filled in, amounts in English."""
    with speaking(Lang.EN):
        return template.format(**{k: _english(v) for k, v in values.items()})


def daily_limit(limit: int) -> str:
    """The stored reason of a recharge the daily limit refused ("1 recharge", "2 recharges")."""
    return DAILY_LIMIT_ONE if limit == 1 else stored(DAILY_LIMIT, limit=limit)


def _english(value: object) -> object:
    return value.format() if isinstance(value, Money) else value


# ---------------------------------------------------------------- shown


def reason(text: str | None, cur: Currency | str | None = None) -> str | None:
    """A stored reason in the language of the moment. `cur` (the account's currency) lets an
    amount in it be shown the language's way; without it the stored amount is kept."""
    if text == "the daily limit of 1 recharges was reached":  # stored before DAILY_LIMIT_ONE
        text = DAILY_LIMIT_ONE
    if text is None or current() is Lang.EN:
        return text
    if text in _PLAIN:
        return t(text)
    for template in _TEMPLATES:
        found = _pattern(template).fullmatch(text)
        if found is not None:
            values = {name: _render(name, value, cur) for name, value in found.groupdict().items()}
            return t(template, **values)
    return text


def actor_name(actor_id: str, name: str) -> str:
    """An entry's actor as shown: a system actor's name translated, a person's as it is."""
    english = _SYSTEM_ACTORS.get(actor_id)
    return t(english) if english is not None and name == english else name


def share_name(name: str) -> str:
    """A caller's or destination's name in an unusual-spend alert: "Unknown caller" and
    "Unknown destination" translated, a real name as it is."""
    return t(name) if name in _SHARES else name


# ---------------------------------------------------------------- matching a stored reason

_TEMPLATES = (DAILY_LIMIT, MONTHLY_CAP, MAX_RECHARGE, STUCK, EXPIRED, CALL_TO, CALL_NOWHERE)
_SHAPES: Mapping[str, str] = {
    "limit": r"[0-9]+",
    "minutes": r"[0-9]+",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "where": r".+",
    "id": r".+",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    at = 0
    for found in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[at : found.start()]))
        name = found.group(1)
        parts.append(f"(?P<{name}>{_SHAPES.get(name, r'.+?')})")
        at = found.end()
    parts.append(re.escape(template[at:]))
    return re.compile("".join(parts), re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Shown:
    text: str
    cur: Currency | str | None


def _number(v: _Shown) -> str:
    return fmt_number(int(v.text))


def _date(v: _Shown) -> str:
    try:
        return fmt_date(date.fromisoformat(v.text))
    except ValueError:
        return v.text


def _kind(v: _Shown) -> str:
    return t(CALL) if v.text == CALL else v.text


def _money(v: _Shown) -> str:
    """An amount the store wrote in English ("$1,000.50", "BHD 1.005"), in the account's
    currency, formatted for the language; as stored when it cannot be read back."""
    if v.cur is None:
        return v.text
    digits = re.sub(r"[^0-9.\-]", "", v.text)
    try:
        cur = v.cur if isinstance(v.cur, Currency) else currency(v.cur)
        amount = Money(Decimal(digits), cur)
        with speaking(Lang.EN):
            if amount.format() != v.text:  # not what the store wrote for this amount
                return v.text
    except (AmountError, InvalidOperation, ValueError, ArithmeticError):
        return v.text
    return amount.format()


_RENDER: Mapping[str, Callable[[_Shown], str]] = {
    "limit": _number,
    "minutes": _number,
    "date": _date,
    "kind": _kind,
    "cap": _money,
    "amount": _money,
}


def _render(name: str, text: str, cur: Currency | str | None) -> str:
    render = _RENDER.get(name)
    return text if render is None else render(_Shown(text, cur))
