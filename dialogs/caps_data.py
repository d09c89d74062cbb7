"""What the caps' buttons send (cards/caps.py), checked once before any handler sees it; joined
into dialogs/card_data.py's union of every button (admins' buttons only)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from dialogs.card_fields import Amount, Confirm, FormPress, PressBase, TrueFalse, Version

PerDay = Annotated[str, StringConstraints(pattern=r"^[0-9]{0,3}$")]


class CapsPress(PressBase):
    """Show the caps and what is left of them."""

    verb: Literal["caps"]


class CapsFormPress(PressBase):
    """Show the form that changes the caps."""

    verb: Literal["caps_form"]


class CapsReview(FormPress):
    """The caps form's Review: what was typed, read in the form's language."""

    verb: Literal["caps_review"]
    caps_per_day: Amount = ""
    caps_monthly_cap: Amount = ""
    caps_max_recharge: Amount = ""


class CapsConfirm(Confirm):
    """Confirm on a caps change's card: the change as the bot wrote it, signed."""

    verb: Literal["caps_confirm"]
    per_day: PerDay = ""
    monthly_cap: Amount = ""
    clear_monthly_cap: TrueFalse = "false"
    max_recharge: Amount = ""
    clear_max_recharge: TrueFalse = "false"
    version: Version
