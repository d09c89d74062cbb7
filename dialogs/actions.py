"""Card buttons: one stateless handler for every verb, used for Action.Execute invokes and for
Action.Submit messages alike. Everything a button needs travels in its data, signed, so a stale
or forged card can be told apart from a real one; who may act comes from the sender only."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import structlog

from cards import (
    access_denied_card,
    add_funds_form,
    balance_card,
    confirm_funds_card,
    confirm_recharge_card,
    help_card,
    outcome_card,
    receipt_card,
    recharge_form,
)
from cards import actions as verbs
from cards._elements import input_value
from credits import caps
from credits.audit_models import HistoryCursor
from credits.errors import CreditsError, RequestCancelled, StaleError
from credits.i18n import N_, Lang, t
from credits.models import AccountView, HistoryScope, VoidOutcome
from credits.money import AmountError, AmountLimits, Money, parse_card_input, parse_strict
from credits.service import CreditsService
from dialogs import audit_chat, controls
from dialogs.caller import Caller
from dialogs.card_data import (
    AddFundsConfirm,
    AddFundsPress,
    AddFundsReview,
    AdminPress,
    BadButton,
    BalancePress,
    CancelPress,
    Checked,
    HelpPress,
    HistoryPress,
    RechargeConfirm,
    RechargeFormPress,
    RechargeReview,
    UnknownButton,
    UsageCheckPress,
    UsageConnectPress,
    UsageStatusPress,
)
from dialogs.card_kit import CardResult as CardResult
from dialogs.card_kit import CardSigner as CardSigner
from dialogs.card_kit import Kit, show_balance
from dialogs.intents import parse_trigger
from dialogs.usage_source import UsageSourceCards

log = structlog.get_logger(__name__)
QUICK_AMOUNTS = ("25", "50", "100", "250")
NOT_ALLOWED = N_("Only billing admins can see or change Communications Credits.")
FORGED = N_("That card can't be used. Nothing was changed; open the balance to start again.")
NOT_CANCELLED = N_(
    "Only billing admins can cancel this request; it is still open. Nothing was changed."
)
ALREADY_DONE = N_(
    "This request was already done; cancelling can't undo it. Open the balance to see it."
)


class CardActions:
    def __init__(self, service: CreditsService, signer: CardSigner) -> None:
        self.service = service
        self.signer = signer
        self.usage = UsageSourceCards(service, signer)

    # ------------------------------------------------------------------ cards the flows send

    async def balance(self, caller: Caller) -> dict[str, Any]:
        return balance_card(await self.service.account(caller.tenant_id), caller.is_admin)

    async def add_funds_form(
        self, caller: Caller, error: str | None = None, value: str | None = None
    ) -> dict[str, Any]:
        view = await self.service.account(caller.tenant_id)
        quick = [Money(Decimal(q), view.currency) for q in QUICK_AMOUNTS]
        return add_funds_form(view.currency, self.service.limits(), quick, error, value)

    async def confirm_funds(self, caller: Caller, amount: Money) -> dict[str, Any]:
        view = await self.service.account(caller.tenant_id)
        card = confirm_funds_card(view, amount, uuid.uuid4().hex)
        return self._sign_buttons(caller, card)

    async def confirm_recharge(
        self,
        caller: Caller,
        enabled: bool,
        amount: Money | None,
        trigger: Money | None,
        view: AccountView | None = None,
    ) -> dict[str, Any]:
        view = view or await self.service.account(caller.tenant_id)
        card = confirm_recharge_card(view, enabled, amount, trigger, uuid.uuid4().hex)
        return self._sign_buttons(caller, card)

    async def recharge_form(self, caller: Caller, error: str | None = None) -> dict[str, Any]:
        view = await self.service.account(caller.tenant_id)
        return recharge_form(view, error, limits=self.service.limits())

    async def history(
        self,
        caller: Caller,
        scope: HistoryScope = HistoryScope.ALL,
        cursor: HistoryCursor | None = None,
    ) -> dict[str, Any]:
        """The history card (dialogs/audit_chat.py): money and settings, or one of the two."""
        return await audit_chat.history(self.service, caller.tenant_id, scope, cursor)

    def _sign_buttons(self, caller: Caller, card: dict[str, Any]) -> dict[str, Any]:
        return self.signer.sign_buttons(caller.tenant_id, card)

    # ------------------------------------------------------------------ buttons pressed

    async def handle(self, caller: Caller, press: Checked) -> CardResult:
        """Answer a button press, checked by dialogs.card_data before it gets here."""
        if isinstance(press, BadButton):
            log.info("card press refused", problem=press.problem)
            message = t(
                "This button can't be used: {problem}. Nothing was changed.", problem=press.problem
            )
            return CardResult(
                outcome_card(t("Not done"), message, style="attention", actions=[show_balance()])
            )
        if isinstance(press, UnknownButton):
            log.info("unknown card button", verb=press.verb)
            return CardResult(
                outcome_card(
                    t("Not understood"), t("I don't know that button."), actions=[show_balance()]
                )
            )
        if isinstance(press, HelpPress):
            return CardResult(help_card())
        if isinstance(press, CancelPress):
            return await self._cancel(caller, press)
        if not caller.is_admin:
            refused = await controls.not_allowed(self.service, caller)
            return CardResult(access_denied_card(refused), final=True)
        try:
            return await self._handle_admin(caller, press)
        except (AmountError, CreditsError) as error:
            return await self._refused(caller, press.verb, error)

    async def _handle_admin(self, caller: Caller, press: AdminPress) -> CardResult:
        match press:
            case BalancePress():
                return CardResult(await self.balance(caller))
            case AddFundsPress():
                return CardResult(await self.add_funds_form(caller))
            case AddFundsReview():
                view = await self.service.account(caller.tenant_id)
                amount = _form_amount(press, view, self.service.limits())
                return CardResult(await self.confirm_funds(caller, amount))
            case AddFundsConfirm():
                return await self._add_funds(caller, press)
            case RechargeFormPress():
                return CardResult(await self.recharge_form(caller))
            case RechargeReview():
                view = await self.service.account(caller.tenant_id)
                limits = self.service.limits()
                amount_ = _recharge_amount(press, view, limits)
                trigger = _recharge_trigger(press, view)
                enabled = press.recharge_enabled == "true"
                caps.check_settings(view.recharge, enabled=enabled, amount=amount_, trigger=trigger)
                card = await self.confirm_recharge(caller, enabled, amount_, trigger, view)
                return CardResult(card)
            case RechargeConfirm():
                return await self._set_recharge(caller, press)
            case HistoryPress():
                return CardResult(await self.history(caller, *audit_chat.paging(press)))
            case UsageConnectPress():
                return CardResult(await self.usage.connect(caller))
            case UsageStatusPress():
                return CardResult(await self.usage.status(caller))
            case UsageCheckPress():
                return CardResult(await self.usage.check(caller))
            case _:  # a control's button (caps, admins, statements): dialogs/controls.py
                handler = controls.pressed(press)
                assert handler is not None, type(press)
                return await handler(Kit(self.service, self.signer), caller, press)

    async def _add_funds(self, caller: Caller, press: AddFundsConfirm) -> CardResult:
        if not self.signer.verify(caller.tenant_id, press):
            return CardResult(access_denied_card(t(FORGED)), final=True)
        result = await self.service.add_funds(
            caller.tenant_id, press.amount, caller.actor, press.request_key
        )
        view = await self.service.account(caller.tenant_id)
        return CardResult(receipt_card(result, view), final=True)

    async def _set_recharge(self, caller: Caller, press: RechargeConfirm) -> CardResult:
        if not self.signer.verify(caller.tenant_id, press):
            return CardResult(access_denied_card(t(FORGED)), final=True)
        if await self.service.was_applied(caller.tenant_id, press.request_key):
            message = t("These settings were saved already; nothing was changed again.")
            return CardResult(
                outcome_card(t("Already saved"), message, actions=[show_balance()]), final=True
            )
        view = await self.service.set_auto_recharge(
            caller.tenant_id,
            caller.actor,
            enabled=press.enabled == "true",
            amount=press.amount or None,
            trigger=press.trigger or None,
            expected_version=press.version,
            idempotency_key=press.request_key,
        )
        return CardResult(balance_card(view, caller.is_admin), final=True)

    async def _cancel(self, caller: Caller, press: CancelPress) -> CardResult:
        """Cancel on a form forgets it; on a confirm card an admin's Cancel also voids the
        card's request in the store, so a stale copy of the card confirms nothing later."""
        request = press.request_key
        if request is not None and not caller.is_admin:
            return CardResult(access_denied_card(t(NOT_CANCELLED)))
        outcome = VoidOutcome.CANCELLED
        if request is not None:
            try:
                outcome = await self.service.void_request(caller.tenant_id, request, caller.actor)
            except CreditsError as error:
                return await self._refused(caller, press.verb, error)
        if outcome is VoidOutcome.ALREADY_DONE:
            return CardResult(
                outcome_card(
                    t("Already done"), t(ALREADY_DONE), style="warning", actions=[show_balance()]
                ),
                final=True,
            )
        return CardResult(
            outcome_card(t("Cancelled"), t("Nothing was changed."), actions=[show_balance()]),
            final=True,
        )

    async def _refused(self, caller: Caller, verb: str, error: Exception) -> CardResult:
        message = str(error)
        if verb == verbs.ADD_FUNDS_REVIEW:
            return CardResult(await self.add_funds_form(caller, error=message))
        if verb == verbs.RECHARGE_REVIEW:
            return CardResult(await self.recharge_form(caller, error=message))
        if isinstance(error, RequestCancelled):
            return CardResult(
                outcome_card(t("Cancelled"), message, actions=[show_balance()]), final=True
            )
        if isinstance(error, StaleError):
            return CardResult(
                outcome_card(t("Out of date"), message, style="warning", actions=[show_balance()]),
                final=True,
            )
        return CardResult(
            outcome_card(t("Not done"), message, style="attention", actions=[show_balance()]),
            final=True,
        )


_ZERO = re.compile(r"0+(?:[.,]0+)?")
# What a person typed into a form is read with the number convention of the language the form
# was written in (its Review button's ``lang``; English when it has none),
# whoever presses it: "80,00" on a Vietnamese form is 80 even from an English Teams, "1.005" on
# an English BHD form is 1.005 even from a Vietnamese one. What the bot wrote (a quick amount's
# data, the settings prefilled) is read back strictly.


_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def _person(value: str, lang: Lang) -> str:
    """A form's text as the card input reader takes it. In English the commas of a number
    grouped in thousands are dropped ("1,000.50"); any other comma stays, for the reader to
    refuse ("50,00" is not 5,000, "2,5 triệu" not 25 million). In Vietnamese the comma is the
    decimal mark ("1.000,50")."""
    if lang is Lang.EN and _GROUPED.fullmatch(value):
        return value.replace(",", "")
    return value


def _form_amount(press: AddFundsReview, view: AccountView, limits: AmountLimits) -> Money:
    """The add-funds form's amount: a quick amount's data, or what the admin typed."""
    text = press.amount.strip()
    quick = {Money(Decimal(q), view.currency).plain() for q in QUICK_AMOUNTS}
    if press.lang is None and text in quick:  # a quick amount (they carry no `lang`)
        return parse_strict(text, view.currency, limits)
    lang = press.form_lang
    return parse_card_input(_person(text, lang), view.currency, limits, lang)


def _prefilled(text: str, now: Money, lang: Lang) -> bool:
    """Whether ``text`` is the setting ``now`` as the form (written in ``lang``) was prefilled
    with it, unchanged."""
    return text == input_value(now, lang)


def _recharge_amount(
    press: RechargeReview, view: AccountView, limits: AmountLimits
) -> Money | None:
    text, lang = press.recharge_amount.strip(), press.form_lang
    if not text:
        return None
    now = view.recharge.amount
    if now is not None and _prefilled(text, now, lang):
        return parse_strict(now.plain(), view.currency, limits)
    return parse_card_input(_person(text, lang), view.currency, limits, lang)


def _recharge_trigger(press: RechargeReview, view: AccountView) -> Money | None:
    """The trigger field: an amount of zero or more (no purchase limits apply)."""
    text, lang = press.recharge_trigger.strip(), press.form_lang
    if not text:
        return None
    now = view.recharge.trigger
    if now is not None and _prefilled(text, now, lang):  # the setting, unchanged (maybe zero)
        money: Money | None = now
    elif lang is Lang.EN:
        money = parse_trigger(_person(text, lang), view.currency, lang)
    elif _ZERO.fullmatch(text):
        money = Money.zero(view.currency)
    else:
        money = parse_card_input(text, view.currency, None, lang)
    if money is None:
        raise AmountError(t("Enter the trigger as a number, e.g. 20."))
    return money
