"""The turn after a confirm card: `ConfirmWait` holds the card's Cancel-button data, so that a
cancel typed next voids the card's request as its Cancel button does."""

from __future__ import annotations

from typing import Any

from botbuilder.dialogs import Dialog, DialogContext, DialogReason

from cards import actions as verbs
from cards._elements import nodes
from credits.i18n import t

CONFIRM_WAIT = "confirm_wait"


class ConfirmWait(Dialog):
    """The turn after a confirm card: holds the card's Cancel data (``{"cancel": data, "card":
    the card's activity id or None}``) so that a typed cancel voids the card's request as its
    Cancel button does. MainDialog._interrupt decides what the next message does; a dialog
    started on top of this one (a non-admin's request in a channel) leaves it waiting."""

    def __init__(self) -> None:
        super().__init__(CONFIRM_WAIT)

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> Any:
        dialog_context.active_dialog.state["wait"] = options
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> Any:
        return await dialog_context.end_dialog()

    async def resume_dialog(
        self, dialog_context: DialogContext, reason: DialogReason, result: object
    ) -> Any:
        return Dialog.end_of_turn


def waiting_cancel(inner_dc: DialogContext) -> dict[str, Any] | None:
    """The confirm card waited on (ConfirmWait's options), when that is the active step."""
    active = inner_dc.active_dialog
    if active is None or active.id != CONFIRM_WAIT:
        return None
    wait = active.state.get("wait")
    return wait if isinstance(wait, dict) and isinstance(wait.get("cancel"), dict) else None


def confirm_wait(card: dict[str, Any], card_id: str | None) -> dict[str, Any] | None:
    """What ConfirmWait holds for a card just sent: its Cancel button's data when the card is a
    confirmation (a Cancel that names a request), else None (a form, a balance card...)."""
    for node in nodes(card):
        data = node.get("data")
        if (
            str(node.get("type", "")).startswith("Action.")
            and isinstance(data, dict)
            and data.get("verb") == verbs.CANCEL
            and (data.get("request") or data.get("key"))
        ):
            return {"cancel": dict(data), "card": card_id}
    return None


def said_cancelled(card: dict[str, Any]) -> bool:
    """Whether a Cancel's outcome card says it is cancelled (not "already done", not refused)."""
    shown = {node.get("text") for node in nodes(card)}
    return t("Cancelled") in shown and t("Nothing was changed.") in shown
