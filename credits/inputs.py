"""What callers send, checked: amounts, triggers, idempotency keys, and request hashes (a key
repeated with other details is a conflict, not a replay)."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

from credits.config import CreditsConfig
from credits.errors import ValidationError
from credits.i18n import N_, t
from credits.money import AmountError, AmountLimits, Currency, Money, parse_strict

AmountInput = Money | Decimal | int | str
CONFLICT = N_("This request was already made with different details.")


def request_hash(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def clean_key(key: str) -> str:
    """An idempotency key as the store keeps it."""
    if not isinstance(key, str) or not key.strip() or len(key) > 150:
        raise ValidationError(t("An idempotency key of 1 to 150 characters is required."))
    return key.strip()


def purchase_limits(config: CreditsConfig) -> AmountLimits:
    return AmountLimits(config.purchase_min, config.purchase_max)


def money(value: AmountInput, cur: Currency, limits: AmountLimits | None) -> Money:
    """An amount in the account's currency, within `limits` when given."""
    if isinstance(value, Money):
        if value.currency != cur:
            raise AmountError(
                t("This account is in {code}; enter an amount in {code}.", code=cur.code)
            )
        return limits.check(value) if limits else value
    return parse_strict(value, cur, limits)


def trigger(config: CreditsConfig, value: AmountInput, cur: Currency) -> Money:
    """A balance to watch (a recharge trigger or an alert threshold): zero or more, at most ten
    times the largest purchase."""
    if isinstance(value, Money):
        chosen = money(value, cur, None)
    elif _is_zero(value):
        chosen = Money.zero(cur)
    else:
        chosen = parse_strict(value, cur, None)
    if chosen.minor < 0:
        raise AmountError(t("The trigger cannot be negative."))
    if chosen.amount > config.purchase_max * 10:
        top = Money(config.purchase_max * 10, cur).format()
        raise AmountError(t("The trigger can be at most {amount}.", amount=top))
    return chosen


def _is_zero(value: AmountInput) -> bool:
    """Zero is not a purchase amount, but it is a valid trigger ("recharge when below 0")."""
    if isinstance(value, str):
        return re.fullmatch(r"\s*0+(\.0+)?\s*", value) is not None
    return not isinstance(value, bool) and value == 0
