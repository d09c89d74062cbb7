"""Cards that change money or settings: forms, confirmations and the receipt."""

from __future__ import annotations

from collections.abc import Sequence

import cards.actions as act
from cards._elements import (
    Card,
    Element,
    action_set,
    amount_range,
    card,
    example_amount,
    fmt_datetime,
    heading,
    input_value,
    text,
)
from cards._elements import facts as fact_set
from cards.account import recharge_summary
from cards.caps import held_note
from credits import shown as stored_text
from credits.i18n import N_, Lang, current, fmt_number, t
from credits.models import AccountView, FundingResult
from credits.money import AmountLimits, Currency, Money

__all__ = [
    "PAID_WITH",
    "add_funds_form",
    "confirm_funds_card",
    "confirm_recharge_card",
    "receipt_card",
    "recharge_form",
]

PAID_WITH = N_("the payment method on file")
"""What pays (English; shown translated with ``t(PAID_WITH)``)."""
DEFAULT_LIMITS = AmountLimits()


def _error(message: str | None) -> list[Element]:
    return [text(message, color="attention", weight="Bolder")] if message else []


def _cancel(request: str | None = None) -> Element:
    if request is None:
        return act.execute(t("Cancel"), act.CANCEL, associated_inputs="none")
    return act.execute(t("Cancel"), act.CANCEL, associated_inputs="none", request=request)


def _review(verb: str) -> Element:
    """A form's Review button. On a form not written in English its ``lang`` names the
    language: what is typed into it (and its prefilled values) is read with that language's
    number convention, whoever presses it ("80,00" on a Vietnamese form is 80, not 8000). An
    English form carries none (as every form did before there was another language)."""
    lang = current()
    if lang is Lang.EN:
        return act.execute(t("Review"), verb, "positive")
    return act.execute(t("Review"), verb, "positive", lang=lang.value)


def _amount_input(
    input_id: str, label: str, value: str | None, placeholder: str, error_message: str
) -> Element:
    element: Element = {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "placeholder": placeholder,
        "maxLength": 32,
        "isRequired": True,
        "errorMessage": error_message,
    }
    if value:
        element["value"] = value
    return element


# --------------------------------------------------------------------------- add funds


def add_funds_form(
    currency: Currency,
    limits: AmountLimits,
    quick: Sequence[Money],
    error: str | None = None,
    value: str | None = None,
) -> Card:
    """The amount form. Quick amounts outside ``limits`` or in another currency are left out."""
    body: list[Element] = [
        heading(t("Add funds")),
        text(
            t(
                "The amount is charged to the payment method on file and added to your "
                "Communications Credits ({code}). You confirm before anything is charged.",
                code=currency.code,
            )
        ),
        *_error(error),
        _amount_input(
            "amount",
            t("Amount ({range})", range=amount_range(limits, currency)),
            value,
            example_amount(currency, limits, 50),
            limits.describe(currency),
        ),
    ]
    chips = [
        act.execute(m.format(), act.ADD_FUNDS_REVIEW, associated_inputs="none", amount=m.plain())
        for m in quick
        if m.currency == currency and limits.minimum <= m.amount <= limits.maximum
    ]
    if chips:
        body += [text(t("Or pick an amount:"), subtle=True), action_set(chips)]
    return card(body, [_review(act.ADD_FUNDS_REVIEW), _cancel()])


def confirm_funds_card(view: AccountView, amount: Money, request: str) -> Card:
    body: list[Element] = [
        heading(t("Add {amount} to your Communications Credits?", amount=amount.format())),
        fact_set(
            [
                (t("Current balance"), view.balance.format()),
                (t("Amount"), amount.format()),
                (t("Balance after"), (view.balance + amount).format()),
                (t("Paid with"), t(PAID_WITH)),
            ]
        ),
    ]
    if view.recharge_in_progress:
        body.append(text(t("An auto-recharge is also in progress."), subtle=True))
    confirm = act.execute(
        t("Confirm"), act.ADD_FUNDS_CONFIRM, "positive", amount=amount.plain(), request=request
    )
    return card(body, [confirm, _cancel(request)])


def receipt_card(result: FundingResult, view: AccountView) -> Card:
    entry = result.entry
    rows = [
        (t("New balance"), result.balance.format()),
        (t("Added by"), stored_text.actor_name(entry.actor.id, entry.actor.name)),
        (t("When"), fmt_datetime(entry.created_at)),
    ]
    if result.payment is not None and result.payment.reference:
        rows.append((t("Payment reference"), result.payment.reference))
    if result.payment is not None and result.payment.receipt_no is not None:
        number = str(result.payment.receipt_no)  # an identifier: no grouping
        rows.insert(0, (t("Receipt"), t("No. {number}", number=number)))
    added = t("Added {amount}", amount=abs(entry.amount).format())
    body: list[Element] = [heading(added, color="good"), fact_set(rows)]
    if result.replayed:
        body.append(
            text(t("This was already added earlier; nothing was charged twice."), color="accent")
        )
    if result.balance.minor <= 0:
        body.append(
            text(t("The balance is still used up; add more to restore calling."), color="attention")
        )
    elif not view.recharge.active:
        body.append(
            text(
                t(
                    'Tip: say "set auto-recharge to $100 when below $20" so the balance never '
                    "runs out."
                ),
                subtle=True,
            )
        )
    buttons = [
        act.execute(t("Show balance"), act.BALANCE),
        act.execute(t("History"), act.HISTORY),
    ]
    if result.payment is not None and result.payment.receipt_no is not None:
        number = str(result.payment.receipt_no)  # the receipt again (dialogs/statement_chat.py)
        title = t("Receipt {number}", number=number)
        buttons.insert(0, act.execute(title, act.RECEIPT, number=result.payment.receipt_no))
    return card(body, buttons)


# --------------------------------------------------------------------------- auto-recharge


def _plain(money: Money | None) -> str:
    return money.plain() if money is not None else ""


def _recharge_rule(view: AccountView) -> str:
    """What the form's settings do, with the daily limit and the monthly cap."""
    recharge = view.recharge
    limit = fmt_number(recharge.daily_limit)
    if recharge.monthly_cap is None:
        return t(
            "When the balance falls below the trigger, the recharge amount is charged to the "
            "payment method on file and added: at most {limit} times a day.",
            limit=limit,
        )
    return t(
        "When the balance falls below the trigger, the recharge amount is charged to the "
        "payment method on file and added: at most {limit} times a day and {cap} a month.",
        limit=limit,
        cap=recharge.monthly_cap.format(),
    )


def _recharge_inputs(view: AccountView, limits: AmountLimits) -> list[Element]:
    recharge, cur = view.recharge, view.currency
    on = recharge.enabled and not recharge.paused
    toggle: Element = {
        "type": "Input.Toggle",
        "id": "recharge_enabled",
        "title": t("Turn on auto-recharge"),
        "value": "true" if on else "false",
        "valueOn": "true",
        "valueOff": "false",
    }
    amounts = [
        _amount_input(
            "recharge_amount",
            t("Recharge amount ({range})", range=amount_range(limits, cur)),
            input_value(recharge.amount),
            example_amount(cur, limits, 100),
            limits.describe(cur),
        ),
        _amount_input(
            "recharge_trigger",
            t("When the balance falls below ({code})", code=cur.code),
            input_value(recharge.trigger),
            example_amount(cur, limits, 20),
            t("Enter the balance that starts a recharge, e.g. {amount}.", amount=fmt_number(20)),
        ),
    ]
    # Turning it off needs no amounts: the client must not insist on them.
    for element in amounts:
        element["isRequired"] = False
    return [toggle, *amounts]


def recharge_form(
    view: AccountView, error: str | None = None, *, limits: AmountLimits = DEFAULT_LIMITS
) -> Card:
    """The auto-recharge form, prefilled. ``limits`` are the purchase limits (the recharge
    amount must lie within them)."""
    recharge = view.recharge
    body: list[Element] = [heading(t("Auto-recharge settings"))]
    if recharge.paused:
        body.append(
            text(
                t(
                    "Auto-recharge is paused after {n} declined payments. Check the payment "
                    "method, then turn it back on here.",
                    n=fmt_number(recharge.consecutive_declines),
                ),
                color="attention",
            )
        )
    body += [
        text(_recharge_rule(view)),
        fact_set(
            [
                (t("Now"), recharge_summary(recharge)),
                (t("Balance"), view.balance.format()),
            ]
        ),
        *_error(error),
        *_recharge_inputs(view, limits),
    ]
    return card(body, [_review(act.RECHARGE_REVIEW), _cancel()])


def _describe(enabled: bool, amount: Money | None, trigger: Money | None) -> str:
    if enabled and amount is not None and trigger is not None:
        return t(
            "Add {amount} whenever the balance falls below {trigger}",
            amount=amount.format(),
            trigger=trigger.format(),
        )
    return t("Off")


def _change(changing: bool, amount: Money | None, trigger: Money | None) -> tuple[str, str]:
    """The title and the sentence of a confirm card that turns on or changes auto-recharge."""
    if amount is None or trigger is None:
        if changing:
            return t("Change auto-recharge?"), t("Change auto-recharge.")
        return t("Turn on auto-recharge?"), t("Turn on auto-recharge.")
    values = {"amount": amount.format(), "trigger": trigger.format()}
    if changing:
        return t("Change auto-recharge?"), t(
            "Change auto-recharge: add {amount} whenever the balance falls below {trigger}.",
            **values,
        )
    return t("Turn on auto-recharge?"), t(
        "Turn on auto-recharge: add {amount} whenever the balance falls below {trigger}.",
        **values,
    )


def _turning_on_notes(
    view: AccountView, new_amount: Money | None, new_trigger: Money | None
) -> list[Element]:
    notes: list[Element] = []
    if new_amount is not None:
        notes.append(
            text(
                t("Each recharge is charged to the payment method on file."),
                subtle=True,
                spacing="Small",
            )
        )
    if view.recharge.paused:
        notes.append(text(t("This clears the pause after declined payments.")))
    if new_trigger is not None and new_amount is not None and view.balance < new_trigger:
        held = held_note(view.caps, new_amount, new_trigger)  # a cap holds it back: says till when
        notes.append(
            text(
                held
                or t(
                    "The balance is already below {trigger}, so a recharge will start right "
                    "away and charge {amount}.",
                    trigger=new_trigger.format(),
                    amount=new_amount.format(),
                ),
                color="warning",
            )
        )
    return notes


def confirm_recharge_card(
    view: AccountView, enabled: bool, amount: Money | None, trigger: Money | None, request: str
) -> Card:
    current = view.recharge
    if enabled:
        new_amount = amount if amount is not None else current.amount
        new_trigger = trigger if trigger is not None else current.trigger
        title, change = _change(current.active, new_amount, new_trigger)
    else:
        new_amount, new_trigger = amount, trigger
        title, change = t("Turn off auto-recharge?"), t("Turn off auto-recharge.")
    body: list[Element] = [
        heading(title),
        text(change),
        fact_set(
            [
                (t("Now"), recharge_summary(current)),
                (t("After"), _describe(enabled, new_amount, new_trigger)),
                (t("Balance"), view.balance.format()),
            ]
        ),
    ]
    if not enabled:
        body.append(
            text(t("Nothing will be added automatically; you can still add funds by hand."))
        )
    else:
        body += _turning_on_notes(view, new_amount, new_trigger)
    confirm = act.execute(
        t("Confirm"),
        act.RECHARGE_CONFIRM,
        "positive",
        enabled="true" if enabled else "false",
        amount=_plain(amount),
        trigger=_plain(trigger),
        version=view.version,
        request=request,
    )
    return card(body, [confirm, _cancel(request)])
