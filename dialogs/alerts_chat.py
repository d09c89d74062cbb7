"""Alerts in chat: "send alerts here", "stop alerts here", "alerts" (where they go), and the
conversation reference alerts are posted to."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from babel.lists import format_list
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from cards.account import alert_reach_text, waiting_text
from credits.i18n import Lang, current, t, tn
from credits.money import Money
from credits.service import CreditsService
from dialogs.caller import Caller
from dialogs.intents import Kind


def alert_reference(activity: Activity) -> tuple[str, dict[str, Any]]:
    """The conversation alerts go to, and its serialised reference. In a channel, alerts are new
    posts in the channel, not replies in the thread the command came from."""
    reference = TurnContext.get_conversation_reference(activity)
    conversation_id = (reference.conversation.id or "").split(";messageid=")[0]
    reference.conversation.id = conversation_id
    reference.activity_id = None
    reference.locale = current().tag  # alerts there are written in the language of this turn
    serialised: dict[str, Any] = reference.serialize()
    return conversation_id, serialised


async def alerts_reply(
    service: CreditsService, caller: Caller, activity: Activity, kind: Kind
) -> str:
    """Subscribe or unsubscribe this conversation, or say where alerts go."""
    conversation_id, reference = alert_reference(activity)
    if kind is Kind.ALERTS_HERE:
        waiting = (await service.alert_reach(caller.tenant_id)).waiting
        new = await service.subscribe(caller.tenant_id, conversation_id, reference, caller.actor)
        if not new:
            return t("Alerts are already posted here.")
        said = t(
            "Alerts will be posted here: low balance, depleted, recharges, expiring funds "
            "and unusual spend."
        )
        if waiting:
            said += " " + tn(
                "The {n} alert that was waiting will be posted here shortly.",
                "The {n} alerts that were waiting will be posted here shortly.",
                waiting,
            )
        return said
    if kind is Kind.ALERTS_STOP:
        if await service.unsubscribe(caller.tenant_id, conversation_id, caller.actor):
            return t("Alerts will no longer be posted here.")
        return t("Alerts are not posted here; nothing changed.")
    return await _where_alerts_go(service, caller.tenant_id, conversation_id)


async def _where_alerts_go(service: CreditsService, tenant_id: str, conversation_id: str) -> str:
    subscriptions = await service.list_subscriptions(tenant_id)
    view = await service.account(tenant_id)
    here = any(sub.conversation_id == conversation_id for sub in subscriptions)
    others = len(subscriptions) - (1 if here else 0)
    waiting = view.alerts.waiting if view.alerts is not None else 0
    said = _alerts_go(here, others, waiting)
    watched = amount_list(view.effective_thresholds) or t("none set")
    if not subscriptions and view.alerts is not None:  # where they go instead, or nowhere
        return t(  # its sentence says "send alerts here" already
            '{said} Low-balance alerts below: {watched}. To change them, say e.g. "alert me '
            'when below $50 and $20".',
            said=alert_reach_text(view.alerts),
            watched=watched,
        )
    return t(
        '{said} Low-balance alerts below: {watched}. Say "send alerts here", '
        '"stop alerts here" or "alert me when below $50 and $20".',
        said=said,
        watched=watched,
    )


def amount_list(amounts: Iterable[Money]) -> str:
    """``"$50.00, $20.00"``; by Babel for other languages: ``"50,00 US$ và 20,00 US$"``."""
    shown = [m.format() for m in amounts]
    if current() is Lang.EN:
        return ", ".join(shown)  # as the English replies have always written it
    return str(format_list(shown, locale=current().babel)) if shown else ""


def _alerts_go(here: bool, others: int, waiting: int) -> str:
    """Where alerts go: here or not, how many other conversations, how many wait."""
    if others and here:
        where = tn(
            "Alerts go here and to {n} other conversation.",
            "Alerts go here and to {n} other conversations.",
            others,
        )
    elif others:
        where = tn(
            "Alerts go to {n} other conversation, not here.",
            "Alerts go to {n} other conversations, not here.",
            others,
        )
    else:
        where = t("Alerts go here.") if here else t("Alerts do not go here.")
    return f"{where} {waiting_text(waiting)}" if waiting else where
