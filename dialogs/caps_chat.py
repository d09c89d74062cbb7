"""The auto-recharge caps in chat: "caps" shows them with what is left; a change ("at most 3
recharges a day", "a monthly cap of $500", "remove the monthly cap") is checked, then asked for
on a confirm card (before → after) that applies once; the caps card's buttons (show, form,
review, confirm). Routed here by dialogs/controls.py (admins only)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

from botbuilder.core import TurnContext

from cards._elements import Card
from cards.account import access_denied_card, balance_card, outcome_card
from cards.caps import caps_card, caps_form, confirm_caps_card
from credits import caps
from credits.errors import CreditsError, ValidationError
from credits.i18n import N_, Lang, t
from credits.models import AccountView, CapsChange, CapStatus
from credits.money import AmountError, Currency, Money, parse_card_input, parse_strict
from dialogs.caller import Caller
from dialogs.caps_data import CapsConfirm, CapsFormPress, CapsPress, CapsReview
from dialogs.card_kit import CardResult, Kit, Said, show_balance
from dialogs.intents_core import Intent

FORGED = N_("That card can't be used. Nothing was changed; open the balance to start again.")
SAVED_ALREADY = N_("These settings were saved already; nothing was changed again.")
AS_THEY_ARE = N_("The limits are like that already; nothing was changed.")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


# ---------------------------------------------------------------------- said in chat


async def said_caps(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """A change to the caps: refused with the reason, or a confirm card."""
    if intent.error or intent.caps is None:
        return Said(text=intent.error or t(caps.NOTHING_SAID))
    view = await kit.service.account(caller.tenant_id)
    try:
        card = _confirm(kit, caller, view, intent.caps)
    except (CreditsError, AmountError) as error:
        return Said(text=str(error))
    if card is None:
        return Said(text=t(AS_THEY_ARE))
    return Said(card=card)


async def said_show(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """ "caps", "limits", "giới hạn nạp": the caps card."""
    return Said(card=caps_card(await kit.service.account(caller.tenant_id)))


def _confirm(kit: Kit, caller: Caller, view: AccountView, said: CapsChange) -> Card | None:
    """The signed confirm card of what ``said`` changes (a cap said as it is already is left
    out), checked as the store will check it; None when it changes nothing."""
    plan = caps.plan(kit.service.config, view.recharge, said, view.currency)
    change = _only_changes(view, said)
    if change == CapsChange():
        return None
    card = confirm_caps_card(view, change, uuid.uuid4().hex, _after(kit, view, plan))
    return kit.signer.sign_buttons(caller.tenant_id, card)


def _money(minor: int | None, cur: Currency) -> Money | None:
    return None if minor is None else Money.from_minor(minor, cur)


def _only_changes(view: AccountView, said: CapsChange) -> CapsChange:
    """``said`` without the caps it would leave as they are."""
    now = view.recharge
    monthly = said.monthly_cap is not None or said.clear_monthly_cap
    largest = said.max_recharge is not None or said.clear_max_recharge
    keep_monthly = monthly and said.monthly_cap != now.monthly_cap
    keep_largest = largest and said.max_recharge != now.max_recharge
    return CapsChange(
        daily_limit=said.daily_limit if said.daily_limit != now.daily_limit else None,
        monthly_cap=said.monthly_cap if keep_monthly else None,
        clear_monthly_cap=said.clear_monthly_cap and keep_monthly,
        max_recharge=said.max_recharge if keep_largest else None,
        clear_max_recharge=said.clear_max_recharge and keep_largest,
    )


def _after(kit: Kit, view: AccountView, plan: caps.Plan) -> CapStatus | None:
    """The caps as they would be right after the change (to warn when it stops recharges)."""
    if view.caps is None:
        return None
    now = view.recharge
    settings = replace(
        now,
        daily_limit=plan.daily_limit if plan.daily_limit is not None else now.daily_limit,
        monthly_cap=_money(plan.monthly_cap_minor, view.currency),
        max_recharge=_money(plan.max_recharge_minor, view.currency),
    )
    used = caps.Used(view.caps.used_today, view.caps.recharged_this_month.minor)
    return caps.status(settings, used, kit.service.clock.now(), view.currency)


# ---------------------------------------------------------------------- buttons


async def show_pressed(kit: Kit, caller: Caller, press: CapsPress) -> CardResult:
    return CardResult(caps_card(await kit.service.account(caller.tenant_id)))


async def form_pressed(kit: Kit, caller: Caller, press: CapsFormPress) -> CardResult:
    view = await kit.service.account(caller.tenant_id)
    return CardResult(caps_form(view, kit.service.limits()))


async def review_pressed(kit: Kit, caller: Caller, press: CapsReview) -> CardResult:
    """The form's values as a change (only what differs), then its confirm card; a value that
    cannot be used shows the form again with the reason."""
    view = await kit.service.account(caller.tenant_id)
    try:
        change = _typed(press, view)
        card = None if change == CapsChange() else _confirm(kit, caller, view, change)
    except (CreditsError, AmountError) as error:
        return CardResult(caps_form(view, kit.service.limits(), error=str(error)))
    if card is None:
        return CardResult(
            outcome_card(t("Nothing to change"), t(AS_THEY_ARE), actions=[show_balance()])
        )
    return CardResult(card)


async def confirm_pressed(kit: Kit, caller: Caller, press: CapsConfirm) -> CardResult:
    """Apply the change once; a second click says it was saved, a stale card is out of date
    (StaleError, answered by dialogs/actions.py), a forged one is refused."""
    if not kit.signer.verify(caller.tenant_id, press):
        return CardResult(access_denied_card(t(FORGED)), final=True)
    if await kit.service.was_applied(caller.tenant_id, press.request_key):
        said = outcome_card(t("Already saved"), t(SAVED_ALREADY), actions=[show_balance()])
        return CardResult(said, final=True)
    cur = await kit.service.currency_of(caller.tenant_id)
    change = CapsChange(
        daily_limit=int(press.per_day) if press.per_day else None,
        monthly_cap=parse_strict(press.monthly_cap, cur) if press.monthly_cap else None,
        clear_monthly_cap=press.clear_monthly_cap == "true",
        max_recharge=parse_strict(press.max_recharge, cur) if press.max_recharge else None,
        clear_max_recharge=press.clear_max_recharge == "true",
    )
    view = await kit.service.set_recharge_caps(
        caller.tenant_id,
        caller.actor,
        change,
        expected_version=press.version,
        idempotency_key=press.request_key,
    )
    return CardResult(balance_card(view, caller.is_admin), final=True)


def _typed(press: CapsReview, view: AccountView) -> CapsChange:
    """What the caps form says, as a change of what differs from now (an empty amount: no such
    cap); read with the number convention of the form's language."""
    now, lang = view.recharge, press.form_lang
    text = press.caps_per_day.strip()
    if not re.fullmatch(r"[0-9]{1,3}", text):
        raise ValidationError(t(caps.DAILY_RANGE))
    daily = int(text)
    monthly = _amount(press.caps_monthly_cap, view.currency, lang)
    largest = _amount(press.caps_max_recharge, view.currency, lang)
    return CapsChange(
        daily_limit=daily if daily != now.daily_limit else None,
        monthly_cap=monthly if monthly != now.monthly_cap else None,
        clear_monthly_cap=monthly is None and now.monthly_cap is not None,
        max_recharge=largest if largest != now.max_recharge else None,
        clear_max_recharge=largest is None and now.max_recharge is not None,
    )


def _amount(typed: str, cur: Currency, lang: Lang) -> Money | None:
    """An amount typed into the form (None: left empty); English numbers may be grouped."""
    text = typed.strip()
    if not text:
        return None
    if lang is Lang.EN and _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return parse_card_input(text, cur, None, lang)
