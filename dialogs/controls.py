"""The admin controls (caps, admins, audit, statements and receipts): their intents and card
buttons, routed here from dialogs/main.py and dialogs/actions.py to the module of each area.

Who may do what is decided here, once: a route is for billing admins unless it says `public`
(a claim code, which is how the first admin becomes one), and every press of a control's
button is an admin press (dialogs/card_data.py refuses the others before they get here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext

from credits.i18n import N_, t
from credits.service import CreditsService
from dialogs import admins_chat, caps_chat, statement_chat
from dialogs.admins_data import AdminConfirm, AdminPick, AdminsPress
from dialogs.caller import Caller
from dialogs.caps_data import CapsConfirm, CapsFormPress, CapsPress, CapsReview
from dialogs.card_kit import CardResult, Kit, Said
from dialogs.intents_core import Intent, Kind
from dialogs.statement_data import ReceiptPress, StatementPress

NOT_ALLOWED = N_("Only billing admins can see or change Communications Credits.")


IntentHandler = Callable[[Kit, TurnContext, Caller, Intent], Awaitable[Said]]
PressHandler = Callable[[Kit, Caller, Any], Awaitable[CardResult]]


@dataclass(frozen=True, slots=True)
class Route:
    handler: IntentHandler
    public: bool = False  # True: anyone may ask (the handler decides what they get)


def _routes() -> dict[Kind, Route]:
    """Each area's intents (imported when first asked for, so nothing is built at import)."""
    return {
        Kind.CAPS: Route(caps_chat.said_caps),
        Kind.CAPS_SHOW: Route(caps_chat.said_show),
        Kind.ADMINS: Route(admins_chat.said_admins),
        Kind.ADMIN_GRANT: Route(admins_chat.said_grant),
        Kind.ADMIN_REVOKE: Route(admins_chat.said_revoke),
        Kind.ADMIN_CLAIM: Route(admins_chat.said_claim, public=True),
        Kind.STATEMENT: Route(statement_chat.said_statement),
        Kind.RECEIPT: Route(statement_chat.said_receipt),
    }


def _presses() -> dict[type, PressHandler]:
    """Each area's buttons, by the type of their press (dialogs/card_data.py's union)."""
    return {
        CapsPress: caps_chat.show_pressed,
        CapsFormPress: caps_chat.form_pressed,
        CapsReview: caps_chat.review_pressed,
        CapsConfirm: caps_chat.confirm_pressed,
        AdminsPress: admins_chat.admins_pressed,
        AdminPick: admins_chat.pick_pressed,
        AdminConfirm: admins_chat.confirm_pressed,
        StatementPress: statement_chat.statement_pressed,
        ReceiptPress: statement_chat.receipt_pressed,
    }


def handles(kind: Kind) -> bool:
    """Whether ``kind`` is a control's intent (routed by `said`)."""
    return kind in _routes()


async def said(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """The answer to a control's intent; a non-admin asking an admin's control is refused."""
    route = _routes()[intent.kind]
    if not route.public and not caller.is_admin:
        return Said(text=await not_allowed(kit.service, caller))
    return await route.handler(kit, context, caller, intent)


async def not_allowed(service: CreditsService, caller: Caller) -> str:
    """What a non-admin asking for an admin's intent or button is told: that only admins may,
    and, in a tenant with no admin at all, how the first one claims it (one query, asked only
    for a non-admin; none when CREDITS_ADMINS names anyone)."""
    if await service.has_admin(caller.tenant_id):
        return t(NOT_ALLOWED)
    return f"{t(NOT_ALLOWED)} {t(admins_chat.NO_ADMIN_YET)}"


def pressed(press: object) -> PressHandler | None:
    """The handler of a control's button, None for a button of dialogs/actions.py's own."""
    return _presses().get(type(press))
