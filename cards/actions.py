"""Verbs the bot understands, and the one way cards build a button.

The data of every verb is checked by one typed model (dialogs/card_data.py) before any handler
sees it; keep the two in step. Confirm buttons also carry ``sig``, their data signed by the bot.

Every button is an ``Action.Execute`` whose ``verb`` is repeated inside ``data`` (``data.verb``),
so the same card also works when a client sends it as ``Action.Submit``. Form inputs travel along
under their ``id``; buttons that must not carry the form's inputs (Cancel, quick amounts) set
``associatedInputs`` to ``"none"``.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = [
    "ADD_FUNDS",
    "ADD_FUNDS_CONFIRM",
    "ADD_FUNDS_REVIEW",
    "ADMINS",
    "ADMIN_CONFIRM",
    "ADMIN_PICK",
    "BALANCE",
    "CANCEL",
    "CAPS",
    "CAPS_CONFIRM",
    "CAPS_FORM",
    "CAPS_REVIEW",
    "HELP",
    "HISTORY",
    "RECEIPT",
    "RECHARGE_CONFIRM",
    "RECHARGE_FORM",
    "RECHARGE_REVIEW",
    "SIGNED",
    "STATEMENT",
    "USAGE_CHECK",
    "USAGE_CONNECT",
    "USAGE_STATUS",
    "VERBS",
    "execute",
]

BALANCE = "balance"
"""Show the balance card. Data: none."""
ADD_FUNDS = "add_funds"
"""Show the add-funds form. Data: none."""
ADD_FUNDS_REVIEW = "add_funds_review"
"""Submit of the add-funds form (input ``amount``; data ``lang``, the language the form was
written in, "en"/"vi", whose number convention reads the input) or a quick amount (data
``amount``, plain, no ``lang``)."""
ADD_FUNDS_CONFIRM = "add_funds_confirm"
"""Data: ``amount`` (plain), ``request`` (the idempotency key; never ``key``, see validate.py)."""
RECHARGE_FORM = "recharge_form"
"""Show the auto-recharge form. Data: none."""
RECHARGE_REVIEW = "recharge_review"
"""Submit of the auto-recharge form: inputs ``recharge_enabled``/``recharge_amount``/
``recharge_trigger``; data ``lang`` (the form's language, whose convention reads the inputs)."""
RECHARGE_CONFIRM = "recharge_confirm"
"""Data: ``enabled`` ("true"/"false"), ``amount``, ``trigger`` (plain or ""), ``version`` (int),
``request``."""
HISTORY = "history"
"""Data: ``scope`` ("all", "money" or "settings"; absent: all), and for an older page where it
starts: ``before`` (money entries below this seq) and ``before_change`` (settings changes below
this id), as the page's cursor says (credits/audit_models.py). An Older button of a card sent
before there were scopes carries ``before`` alone: it pages the money entries."""
CANCEL = "cancel"
"""Data: ``request`` when a confirmation is cancelled (an admin's Cancel voids that request: a
Confirm of the same card pressed later changes nothing); absent on forms."""
HELP = "help"
"""Show the help card. Data: none."""
USAGE_CONNECT = "usage_connect"
"""Show the card that connects usage from Microsoft 365 (the admin-consent link). Data: none."""
USAGE_STATUS = "usage_status"
"""Show the status of usage from Microsoft 365. Data: none."""
USAGE_CHECK = "usage_check"
"""Pull usage from Microsoft 365 now (the next worker round), then show the status. Data: none."""
CAPS = "caps"
"""Show the auto-recharge caps and what is left of them. Data: none."""
CAPS_FORM = "caps_form"
"""Show the form that changes the auto-recharge caps. Data: none."""
CAPS_REVIEW = "caps_review"
"""Submit of the caps form: inputs ``caps_per_day``, ``caps_monthly_cap``, ``caps_max_recharge``
(an empty amount: no such cap); data ``lang`` (the form's language, whose convention reads them)."""
CAPS_CONFIRM = "caps_confirm"
"""Data: ``per_day`` (digits or ""), ``monthly_cap`` and ``max_recharge`` (plain or ""),
``clear_monthly_cap`` and ``clear_max_recharge`` ("true"/"false"), ``version`` (int),
``request``."""
ADMINS = "admins"
"""Show the billing admins. Data: none."""
ADMIN_PICK = "admin_pick"
"""One of the people a name matched (or an admin's Remove button): show the confirm card of
that change. Data: ``change`` ("grant"/"revoke"), ``person`` (a Microsoft Entra object id),
``name``; signed."""
ADMIN_CONFIRM = "admin_confirm"
"""Data: ``change`` ("grant"/"revoke"), ``person`` (a Microsoft Entra object id), ``name``,
``request``; signed."""
STATEMENT = "statement"
"""Show a month's statement. Data: ``month`` ("2026-11"; absent: this month)."""
RECEIPT = "receipt"
"""Show one of the tenant's numbered receipts again. Data: ``number`` (int, from 1)."""

VERBS = frozenset(
    {
        BALANCE,
        ADD_FUNDS,
        ADD_FUNDS_REVIEW,
        ADD_FUNDS_CONFIRM,
        RECHARGE_FORM,
        RECHARGE_REVIEW,
        RECHARGE_CONFIRM,
        HISTORY,
        CANCEL,
        HELP,
        USAGE_CONNECT,
        USAGE_STATUS,
        USAGE_CHECK,
        CAPS,
        CAPS_FORM,
        CAPS_REVIEW,
        CAPS_CONFIRM,
        ADMINS,
        ADMIN_PICK,
        ADMIN_CONFIRM,
        STATEMENT,
        RECEIPT,
    }
)

SIGNED = frozenset({ADD_FUNDS_CONFIRM, RECHARGE_CONFIRM, CAPS_CONFIRM, ADMIN_PICK, ADMIN_CONFIRM})
"""The confirm verbs: their buttons carry ``sig``, the bot's signature of their data."""

Style = Literal["positive", "destructive"]


def execute(
    title: str,
    verb: str,
    style: Style | None = None,
    *,
    associated_inputs: Literal["auto", "none"] | None = None,
    **data: Any,
) -> dict[str, Any]:
    """An ``Action.Execute`` with ``verb`` both as the action's verb and as ``data["verb"]``.

    ``associated_inputs="none"`` stops the client from sending (and validating) the card's
    inputs with this button.
    """
    if "verb" in data:
        raise TypeError("execute() sets data['verb'] itself")
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": {"verb": verb, **data},
    }
    if style is not None:
        action["style"] = style
    if associated_inputs is not None:
        action["associatedInputs"] = associated_inputs
    return action
