"""The conversation: routing, the two flows that collect what is missing (add funds, auto-recharge),
and the interruptions (help, cancel, a card button) handled once, for every step. After a confirm
card the conversation waits a turn (ConfirmWait): a typed cancel voids that card's request."""

from __future__ import annotations

import re
from typing import Any

import structlog
from botbuilder.core import MessageFactory, StatePropertyAccessor, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, PromptValidatorContext, TextPrompt
from botbuilder.schema import Activity, ActivityTypes

from cards import help_card, usage_card, welcome_card
from credits import caps
from credits.errors import CreditsError
from credits.i18n import N_, t
from credits.money import AmountError, Currency, Money, parse_chat, parse_strict
from dialogs import audit_guards, controls
from dialogs.actions import CardActions
from dialogs.alerts_chat import alert_reference as alert_reference  # bot/teams.py uses it
from dialogs.alerts_chat import alerts_reply
from dialogs.caller import get_caller
from dialogs.card_data import Checked, parse_card_data
from dialogs.card_kit import Kit
from dialogs.confirm_wait import (
    CONFIRM_WAIT,
    ConfirmWait,
    confirm_wait,
    said_cancelled,
    waiting_cancel,
)
from dialogs.intents import Intent, Kind, interruption, parse_intent, parse_trigger
from dialogs.messages import card_message as card_message  # bot/teams.py uses it

log = structlog.get_logger(__name__)
AMOUNT_PROMPT = "amount"
TRIGGER_PROMPT = "trigger"
ADD_FUNDS = "add_funds_flow"
RECHARGE = "recharge_flow"
ROUTE = "route"
INTENT = "credits.intent"  # the turn's intent, in turn_state
SUGGESTIONS = N_(
    'I didn\'t catch that. Try "balance", "add $50 credits", '
    '"set auto-recharge to $100 when below $20", "history" or "help".'
)
NOTHING_CHANGED = N_("{message} Nothing was changed.")
# A refusal that already says nothing changed gets no second "Nothing was changed."
SAID_NOTHING = N_("nothing was")
_SAID_NOTHING_VI = re.compile(
    r"không có gì|chưa có gì|không thay đổi|chưa thay đổi|chưa có khoản tiền nào|chưa nạp"
)


def card_data(activity: Activity) -> Checked | None:
    """The checked press of a card button sent as Action.Submit (a message with a value), or
    None for a message without one."""
    if activity.value is None:
        return None
    return parse_card_data(activity.value)


class MainDialog(ComponentDialog):
    def __init__(self, actions: CardActions) -> None:
        super().__init__(MainDialog.__name__)
        self.actions = actions
        self.add_dialog(TextPrompt(AMOUNT_PROMPT, self._valid_amount))
        self.add_dialog(TextPrompt(TRIGGER_PROMPT, self._valid_trigger))
        self.add_dialog(WaterfallDialog(ROUTE, [self._route, self._finish]))
        self.add_dialog(ConfirmWait())
        self.add_dialog(WaterfallDialog(ADD_FUNDS, [self._ask_amount, self._confirm_funds]))
        self.add_dialog(
            WaterfallDialog(
                RECHARGE,
                [self._ask_recharge_amount, self._ask_trigger, self._confirm_recharge],
            )
        )
        self.initial_dialog_id = ROUTE

    # ------------------------------------------------------------------ interruptions, once

    async def on_begin_dialog(
        self, inner_dc: DialogContext, options: object = None
    ) -> DialogTurnResult:
        if isinstance(options, dict) and CONFIRM_WAIT in options:  # see wait_on
            return await inner_dc.begin_dialog(CONFIRM_WAIT, options[CONFIRM_WAIT])
        try:
            return await super().on_begin_dialog(inner_dc, options)
        except (CreditsError, AmountError) as error:
            return await self._refused(inner_dc, error)

    async def wait_on(
        self, context: TurnContext, dialog_state: StatePropertyAccessor, card: dict[str, Any]
    ) -> None:
        """A confirm card answered to a button outside any flow (an Action.Execute invoke,
        which replaces the pressed card): the conversation waits on it as after a typed
        request, so a cancel typed next voids it. Nothing happens for any other card."""
        wait = confirm_wait(card, context.activity.reply_to_id)
        if wait is None:
            return
        dialogs = DialogSet(dialog_state)
        dialogs.add(self)
        dc = await dialogs.create_context(context)
        await dc.begin_dialog(self.id, {CONFIRM_WAIT: wait})

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        try:
            interrupted = await self._interrupt(inner_dc)
            if interrupted is not None:
                return interrupted
            return await super().on_continue_dialog(inner_dc)
        except (CreditsError, AmountError) as error:
            return await self._refused(inner_dc, error)

    async def _refused(self, inner_dc: DialogContext, error: Exception) -> DialogTurnResult:
        """A domain refusal from any step of any flow: said as one sentence (it says what was
        wrong and what is allowed), the open flow forgotten. Not a failure of the bot."""
        await inner_dc.cancel_all_dialogs()
        await _say_refused(inner_dc.context, error)
        return DialogTurnResult(DialogTurnStatus.Complete)

    async def answer(self, context: TurnContext) -> bool:
        """A message while no flow is open: answered here, without the dialog stack, when it
        needs no flow (most requests: "balance", "help", "history"...); False when it may start
        one (a button, a confirm card, a question to ask), for the caller to run the dialogs."""
        if card_data(context.activity) is not None:
            return False
        try:
            return await self._reply(context, await self._intent(context))
        except (CreditsError, AmountError) as error:
            await _say_refused(context, error)
            return True

    async def _interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        activity = inner_dc.context.activity
        if activity.type != ActivityTypes.message:
            return None
        caller = get_caller(inner_dc.context)
        waiting = waiting_cancel(inner_dc)
        if waiting is not None and not caller.is_admin:
            # someone who may not cancel it (in a channel): answered as usual, the card waits on
            return await inner_dc.begin_dialog(ROUTE)
        press = card_data(activity)
        if press is not None:  # a button pressed mid-flow supersedes the flow
            await inner_dc.cancel_all_dialogs()
            return await self._pressed(inner_dc, press)
        kind = interruption(activity.text or "")
        if kind is Kind.CANCEL and waiting is not None:
            return await self._cancel_card(inner_dc, waiting)
        if kind is Kind.CANCEL:
            await inner_dc.cancel_all_dialogs()
            await inner_dc.context.send_activity(t("Cancelled. Nothing was changed."))
            return DialogTurnResult(DialogTurnStatus.Complete)
        if kind is Kind.HELP:
            await inner_dc.context.send_activity(card_message(help_card()))
            await inner_dc.reprompt_dialog()
            return DialogTurnResult(DialogTurnStatus.Waiting)
        # a new request ("history", "add $75", ...) mid-flow starts over with that request;
        # a bare answer ("75") goes on to the waiting prompt; after a confirm card, anything
        # else is routed as usual (the card stays as it is)
        currency = await self.actions.service.currency_of(caller.tenant_id)
        intent = parse_intent(activity.text or "", currency, self.actions.service.limits())
        if waiting is not None or intent.kind not in (Kind.UNKNOWN, Kind.GREETING):
            await inner_dc.cancel_all_dialogs()
            return await inner_dc.begin_dialog(ROUTE)
        return None

    async def _cancel_card(
        self, inner_dc: DialogContext, waiting: dict[str, Any]
    ) -> DialogTurnResult:
        """A cancel typed by an admin right after a confirm card: the card's own Cancel (the
        same press, the same handler: the request is voided in the store), the card updated in
        place where its id is known, and one sentence in the turn's language."""
        context = inner_dc.context
        await inner_dc.cancel_all_dialogs()
        result = await self.actions.handle(get_caller(context), parse_card_data(waiting["cancel"]))
        if not said_cancelled(result.card):  # already done, or refused: the card says why
            await context.send_activity(card_message(result.card))
            return DialogTurnResult(DialogTurnStatus.Complete)
        card_id = waiting.get("card")
        if result.final and isinstance(card_id, str) and card_id:
            update = card_message(result.card)
            update.id = card_id
            await context.update_activity(update)
        await context.send_activity(t("Cancelled. Nothing was changed."))
        log.info("confirm card cancelled by a typed cancel")
        return DialogTurnResult(DialogTurnStatus.Complete)

    async def _pressed(self, inner_dc: DialogContext, press: Checked) -> DialogTurnResult:
        """A button pressed with no flow open any more: a confirm card it sends is waited on."""
        wait = await self._press(inner_dc.context, press)
        if wait is not None:
            return await inner_dc.begin_dialog(CONFIRM_WAIT, wait)
        return DialogTurnResult(DialogTurnStatus.Complete)

    async def _show_confirm(
        self, step: WaterfallStepContext, card: dict[str, Any]
    ) -> DialogTurnResult:
        """Send a confirm card; the next message is first checked for a cancel (ConfirmWait)."""
        sent = await step.context.send_activity(card_message(card))
        wait = confirm_wait(card, sent.id if sent is not None else None)
        if wait is None:
            return await step.end_dialog()
        return await step.replace_dialog(CONFIRM_WAIT, wait)

    # ------------------------------------------------------------------ routing

    async def _route(self, step: WaterfallStepContext) -> DialogTurnResult:
        context = step.context
        press = card_data(context.activity)
        if press is not None:
            wait = await self._press(context, press)
            if wait is not None:
                return await step.replace_dialog(CONFIRM_WAIT, wait)
            return await step.end_dialog()
        intent = await self._intent(context)
        if await self._reply(context, intent):
            return await step.end_dialog()
        if controls.handles(intent.kind):  # caps, admins, statements: admins only, but a claim
            return await self._control(step, intent)
        return await self._admin_flow(step, intent)

    async def _intent(self, context: TurnContext) -> Intent:
        """What the message asks, read once per turn (kept in the turn's state)."""
        intent = context.turn_state.get(INTENT)
        if isinstance(intent, Intent):
            return intent
        caller = get_caller(context)
        currency = await self.actions.service.currency_of(caller.tenant_id)
        intent = parse_intent(context.activity.text or "", currency, self.actions.service.limits())
        context.turn_state[INTENT] = intent
        return intent

    async def _reply(self, context: TurnContext, intent: Intent) -> bool:
        """Answer `intent` when that needs no flow and no confirm card; False otherwise."""
        caller = get_caller(context)
        if intent.kind is Kind.HELP:
            await context.send_activity(card_message(help_card()))
        elif intent.kind is Kind.GREETING:
            await context.send_activity(card_message(welcome_card(caller.is_admin)))
        elif intent.kind is Kind.CANCEL:
            await context.send_activity(t("There is nothing to cancel."))
        elif intent.kind is Kind.UNKNOWN:
            await context.send_activity(t(SUGGESTIONS))
        elif intent.kind is Kind.REFUSED:  # not done from chat, for anyone: say so
            await context.send_activity(intent.error or t(SUGGESTIONS))
        elif controls.handles(intent.kind):  # caps, admins, statements: may show a confirm card
            return False
        elif not caller.is_admin:
            await context.send_activity(await controls.not_allowed(self.actions.service, caller))
        else:
            return await self._admin_reply(context, intent)
        return True

    async def _control(self, step: WaterfallStepContext, intent: Intent) -> DialogTurnResult:
        kit = Kit(self.actions.service, self.actions.signer)
        answer = await controls.said(kit, step.context, get_caller(step.context), intent)
        if answer.text:
            await step.context.send_activity(answer.text)
        if answer.card is not None:
            return await self._show_confirm(step, answer.card)
        return await step.end_dialog()

    async def _admin_reply(self, context: TurnContext, intent: Intent) -> bool:
        """An admin's request answered at once (a card or a sentence); False for one that
        starts a flow or shows a confirm card."""
        caller = get_caller(context)
        if intent.kind is Kind.BALANCE:
            await context.send_activity(card_message(await self.actions.balance(caller)))
        elif intent.kind is Kind.HISTORY:
            card = await self.actions.history(caller, intent.scope)
            await context.send_activity(card_message(card))
        elif intent.kind is Kind.USAGE_REPORT:
            summary = await self.actions.service.usage_summary(caller.tenant_id)
            await context.send_activity(card_message(usage_card(summary)))
        elif intent.kind is Kind.RECHARGE_SETTINGS:
            await context.send_activity(card_message(await self.actions.recharge_form(caller)))
        elif intent.kind in (Kind.ALERTS_HERE, Kind.ALERTS_STOP, Kind.ALERTS):
            said = await alerts_reply(self.actions.service, caller, context.activity, intent.kind)
            await context.send_activity(said)
        elif intent.kind is Kind.USAGE_CONNECT:
            await context.send_activity(card_message(await self.actions.usage.connect(caller)))
        elif intent.kind is Kind.USAGE_STATUS:
            await context.send_activity(card_message(await self.actions.usage.status(caller)))
        elif intent.kind is Kind.ALERT_THRESHOLDS:  # at most 3: a fourth is refused, saying so
            said = await audit_guards.thresholds_reply(self.actions.service, caller, intent)
            await context.send_activity(said)
        else:
            return False
        return True

    async def _admin_flow(self, step: WaterfallStepContext, intent: Intent) -> DialogTurnResult:
        """An admin's request that shows a confirm card or asks for what is missing."""
        caller = get_caller(step.context)
        if intent.kind is Kind.RECHARGE_OFF:
            card = await self.actions.confirm_recharge(caller, False, None, None)
            return await self._show_confirm(step, card)
        if intent.kind is Kind.ADD_FUNDS:
            if intent.amount is not None:
                card = await self.actions.confirm_funds(caller, intent.amount)
                return await self._show_confirm(step, card)
            return await step.begin_dialog(ADD_FUNDS, {"error": intent.error})
        if intent.kind is Kind.RECHARGE:
            options = {
                "amount": intent.amount.plain() if intent.amount else None,
                "trigger": intent.trigger.plain() if intent.trigger else None,
                "error": intent.error,
                "error_field": intent.error_field,  # "trigger": the amount was fine, ask this
            }
            return await step.begin_dialog(RECHARGE, options)
        return await step.end_dialog()

    async def _finish(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await step.end_dialog()

    async def _press(self, context: TurnContext, press: Checked) -> dict[str, Any] | None:
        """An Action.Submit button: final actions update the card that was pressed. A confirm
        card sent in answer (a form's Review) gives what ConfirmWait holds for it."""
        result = await self.actions.handle(get_caller(context), press)
        reply_to = context.activity.reply_to_id
        if result.final and reply_to:
            update = card_message(result.card)
            update.id = reply_to
            await context.update_activity(update)
            return None
        sent = await context.send_activity(card_message(result.card))
        return confirm_wait(result.card, sent.id if sent is not None else None)

    # ------------------------------------------------------------------ add funds

    async def _ask_amount(self, step: WaterfallStepContext) -> DialogTurnResult:
        caller = get_caller(step.context)
        options = step.options if isinstance(step.options, dict) else {}
        error = options.get("error")
        await step.context.send_activity(
            card_message(await self.actions.add_funds_form(caller, error=error))
        )
        text = (
            t("{error} How much would you like to add?", error=error)
            if error
            else t("How much would you like to add? Type an amount or pick one on the card.")
        )
        return await step.prompt(
            AMOUNT_PROMPT,
            PromptOptions(
                prompt=MessageFactory.text(text),
                retry_prompt=MessageFactory.text(t("How much would you like to add?")),
            ),
        )

    async def _confirm_funds(self, step: WaterfallStepContext) -> DialogTurnResult:
        caller = get_caller(step.context)
        currency = await self.actions.service.currency_of(caller.tenant_id)
        amount = parse_chat(_as_amount(step.result), currency, self.actions.service.limits())
        assert amount is not None  # the validator let only an amount through
        return await self._show_confirm(step, await self.actions.confirm_funds(caller, amount))

    async def _valid_amount(self, prompt: PromptValidatorContext) -> bool:
        caller = get_caller(prompt.context)
        currency = await self.actions.service.currency_of(caller.tenant_id)
        try:
            amount = parse_chat(
                _as_amount(prompt.recognized.value), currency, self.actions.service.limits()
            )
        except AmountError as error:  # say why and ask again, in one message
            await prompt.context.send_activity(
                t("{error} How much would you like to add?", error=error)
            )
            return False
        if amount is None:
            allowed = self.actions.service.limits().describe(currency)
            await prompt.context.send_activity(
                t("Please type an amount, e.g. 50. {allowed}", allowed=allowed)
            )
            return False
        return True

    # ------------------------------------------------------------------ auto-recharge
    # The flow's options hold amounts as the bot writes them (Money.plain(), read back with
    # parse_strict); what the admin types at a prompt is read in the turn's language.

    async def _ask_recharge_amount(self, step: WaterfallStepContext) -> DialogTurnResult:
        options: dict[str, Any] = dict(step.options) if isinstance(step.options, dict) else {}
        step.values["recharge"] = options
        caller = get_caller(step.context)
        view = await self.actions.service.account(caller.tenant_id)
        if (
            options.get("amount") is None
            and view.recharge.amount is not None
            and not options.get("error")
        ):
            options["amount"] = view.recharge.amount.plain()
        if options.get("amount") is not None:
            return await step.next(options["amount"])
        text = t("How much should each recharge add? (e.g. 100)")
        if options.get("error"):
            text = t(
                "{error} How much should each recharge add? (e.g. 100)", error=options["error"]
            )
        return await step.prompt(
            AMOUNT_PROMPT,
            PromptOptions(prompt=MessageFactory.text(text), retry_prompt=MessageFactory.text(text)),
        )

    async def _ask_trigger(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = step.values["recharge"]
        caller = get_caller(step.context)
        view = await self.actions.service.account(caller.tenant_id)
        if options.get("amount") is None:  # typed at the prompt (the validator let it through)
            typed = parse_chat(
                _as_amount(step.result), view.currency, self.actions.service.limits()
            )
            assert typed is not None
            options["amount"] = typed.plain()
        refused = options.get("error") if options.get("error_field") == "trigger" else None
        if options.get("trigger") is None and view.recharge.trigger is not None and not refused:
            options["trigger"] = view.recharge.trigger.plain()
        if options.get("trigger") is not None:
            return await step.next(options["trigger"])
        text = t("Recharge when the balance falls below how much? (e.g. 20)")
        first = (
            t("{error} Recharge when the balance falls below?", error=refused) if refused else text
        )
        return await step.prompt(
            TRIGGER_PROMPT,
            PromptOptions(
                prompt=MessageFactory.text(first), retry_prompt=MessageFactory.text(text)
            ),
        )

    async def _confirm_recharge(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = step.values["recharge"]
        caller = get_caller(step.context)
        view = await self.actions.service.account(caller.tenant_id)
        limits = self.actions.service.limits()
        amount = parse_strict(options["amount"], view.currency, limits)
        if options.get("trigger") is not None:  # written by the bot
            trigger: Money | None = _plain_trigger(options["trigger"], view.currency)
        else:  # typed at the prompt
            trigger = parse_trigger(_as_amount(step.result), view.currency)
        caps.check_settings(view.recharge, enabled=True, amount=amount, trigger=trigger)
        card = await self.actions.confirm_recharge(caller, True, amount, trigger, view)
        return await self._show_confirm(step, card)

    async def _valid_trigger(self, prompt: PromptValidatorContext) -> bool:
        caller = get_caller(prompt.context)
        currency = await self.actions.service.currency_of(caller.tenant_id)
        try:
            trigger = parse_trigger(_as_amount(prompt.recognized.value), currency)
        except AmountError as error:
            await prompt.context.send_activity(
                t("{error} Recharge when the balance falls below?", error=error)
            )
            return False
        if trigger is None:
            await prompt.context.send_activity(t("Please type the trigger as an amount, e.g. 20."))
            return False
        return True


def _as_amount(value: Any) -> str:
    """A bare number typed at a prompt is an amount in the account's currency."""
    return str(value or "").strip()


def _plain_trigger(plain: str, cur: Currency) -> Money:
    """A trigger the bot wrote itself (``Money.plain()``); it may be zero."""
    if re.fullmatch(r"0+(?:\.0+)?", plain):
        return Money.zero(cur)
    return parse_strict(plain, cur)


async def _say_refused(context: TurnContext, error: Exception) -> None:
    """A domain refusal said as one sentence (it says what was wrong and what is allowed)."""
    message = str(error).strip()
    if not _says_nothing_changed(message):
        message = t(NOTHING_CHANGED, message=message)
    log.info("request refused", error_type=type(error).__name__, reason=message)
    await context.send_activity(message)


def _says_nothing_changed(message: str) -> bool:
    """Whether a refusal says already that nothing changed (in English or the turn's language)."""
    said = message.lower()
    if SAID_NOTHING in said or t(SAID_NOTHING).lower() in said:
        return True
    return _SAID_NOTHING_VI.search(said) is not None  # the words other catalogues use
