"""Statements and receipts in chat: "statement for November" shows the month's statement card,
"export history" the same with how to get it as a file, "receipt 42" a numbered receipt again;
and their buttons (another month, a receipt). Routed here by dialogs/controls.py (admins only).

A month named without a year is the latest such month not in the future, by the service's clock.
A month that cannot have a statement, or a receipt number the tenant does not have, is answered
with the sentence saying why and what there is; nothing is ever changed here."""

from __future__ import annotations

from botbuilder.core import TurnContext

from cards._elements import Card
from cards.account import outcome_card
from cards.statement import receipt_shown_card, statement_card
from credits.errors import CreditsError
from credits.i18n import N_, t
from credits.statement import month_asked, month_label
from credits.statement_models import StatementMonth
from credits.statement_receipts import not_there
from dialogs.caller import Caller
from dialogs.card_kit import CardResult, Kit, Said, show_balance
from dialogs.intents_core import Intent
from dialogs.statement_data import ReceiptPress, StatementPress

EXPORT = N_(
    "Here is the statement for {month}. For a file for finance, whoever runs the bot can write it "
    "on its server: credits-bot statement --tenant {tenant} --month {key} --csv (or --pdf)."
)
WHICH_RECEIPT = N_('Say which receipt, e.g. "receipt {last}". Receipts here run from 1 to {last}.')
NO_RECEIPTS = N_(
    "There are no receipts here yet: each purchase and auto-recharge that succeeds gets the next "
    "number."
)


async def said_statement(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """ "statement for November", "export history": the month's statement card (and, for an
    export, how to get the file); a month that has none is refused with the months that do."""
    if intent.error:
        return Said(text=intent.error)
    try:
        month = month_asked(kit.service.clock.now(), intent.month, intent.year, intent.months_ago)
        statement = await kit.service.statement(caller.tenant_id, month.year, month.month)
    except CreditsError as error:
        return Said(text=str(error))
    card = statement_card(statement)
    if not intent.export:
        return Said(card=card)
    said = t(EXPORT, month=month_label(month, title=False), tenant=caller.tenant_id, key=month.key)
    return Said(text=said, card=card)


async def said_receipt(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """ "receipt 42": that receipt's card; a number the tenant does not have says the range."""
    numbers = await kit.service.receipt_range(caller.tenant_id)
    if intent.number is None:
        if numbers.empty:
            return Said(text=t(NO_RECEIPTS))
        return Said(text=t(WHICH_RECEIPT, last=str(numbers.last)))
    if not numbers.holds(intent.number):
        return Said(text=not_there(intent.number, numbers))
    try:
        receipt = await kit.service.receipt(caller.tenant_id, intent.number)
    except CreditsError as error:
        return Said(text=str(error))
    return Said(card=receipt_shown_card(receipt, numbers))


# ---------------------------------------------------------------------- buttons


async def statement_pressed(kit: Kit, caller: Caller, press: StatementPress) -> CardResult:
    """Another month's statement (this month's without one)."""
    now = kit.service.clock.now()
    month = StatementMonth.parse(press.month) if press.month else StatementMonth.of(now)
    assert month is not None  # the press's pattern allows only months that parse
    try:
        statement = await kit.service.statement(caller.tenant_id, month.year, month.month)
    except CreditsError as error:
        return CardResult(_refusal(str(error)))
    return CardResult(statement_card(statement))


async def receipt_pressed(kit: Kit, caller: Caller, press: ReceiptPress) -> CardResult:
    """A receipt of the presser's own tenant (a number from another tenant's card is refused as
    one this tenant does not have)."""
    numbers = await kit.service.receipt_range(caller.tenant_id)
    try:
        receipt = await kit.service.receipt(caller.tenant_id, press.number)
    except CreditsError as error:
        return CardResult(_refusal(str(error)))
    return CardResult(receipt_shown_card(receipt, numbers))


def _refusal(message: str) -> Card:
    return outcome_card(t("Not available"), message, style="warning", actions=[show_balance()])
