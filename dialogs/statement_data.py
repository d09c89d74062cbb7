"""What the statement's and receipts' buttons send (cards/statement.py), checked once before any
handler sees it; joined into dialogs/card_data.py's union of every button (admins' buttons only).
Both only show things, so neither is signed: what they show is the presser's own tenant's."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from dialogs.card_fields import INT64_MAX, PressBase

StatementMonthField = Annotated[
    str, StringConstraints(pattern=r"^(?:20[0-9]{2}|2100)-(?:0[1-9]|1[0-2])$")
]
"""A month as "2026-11": a year from 2000 to 2100, a two-digit month."""
ReceiptNumber = Annotated[int, Field(ge=1, le=INT64_MAX)]


class StatementPress(PressBase):
    """Show a month's statement (absent: this month's)."""

    verb: Literal["statement"]
    month: StatementMonthField | None = None


class ReceiptPress(PressBase):
    """Show one of the tenant's receipts again."""

    verb: Literal["receipt"]
    number: ReceiptNumber
