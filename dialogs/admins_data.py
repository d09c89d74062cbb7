"""What the admins' buttons send (cards/admins.py), checked once before any handler sees it;
joined into dialogs/card_data.py's union of every button (admins' buttons only). The person
a pick or a confirm names is the bot's own choice, signed: a client cannot swap in another."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, StringConstraints

from credits.admins import AdminChange
from credits.text import checked
from dialogs.card_fields import NAME_MAX, PERSON_MAX, Confirm, PressBase, Sig

Change = Literal["grant", "revoke"]  # the values of credits.admins.AdminChange


def _person(value: str) -> str:
    return checked(value, "person", PERSON_MAX)


PersonId = Annotated[str, AfterValidator(_person)]
Name = Annotated[str, StringConstraints(max_length=NAME_MAX)]


class AdminsPress(PressBase):
    """Show the billing admins."""

    verb: Literal["admins"]


class AdminPick(PressBase):
    """One of the people a name matched: the confirm card of the change for them."""

    verb: Literal["admin_pick"]
    change: Change
    person: PersonId
    name: Name = ""
    sig: Sig | None = None

    @property
    def admin_change(self) -> AdminChange:
        return AdminChange(self.change)

    def signed_data(self) -> dict[str, Any]:
        """The data the signature covers: the button's data as the card carried it."""
        return self.model_dump(exclude_unset=True, exclude={"sig"})


class AdminConfirm(Confirm):
    """Confirm on an admin change's card: the change and the person as the bot wrote them."""

    verb: Literal["admin_confirm"]
    change: Change
    person: PersonId
    name: Name = ""

    @property
    def admin_change(self) -> AdminChange:
        return AdminChange(self.change)
