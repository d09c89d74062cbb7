"""The billing admins on cards: who they are (configured, granted by whom and when, or claimed
with a code), the confirm card of a grant or a revoke, and the card to choose among the people
a name matched."""

from __future__ import annotations

from collections.abc import Sequence

import cards.actions as act
from cards._elements import Card, Element, card, heading, text
from cards._elements import facts as fact_set
from credits.admins import AdminChange, Person
from credits.i18n import N_, fmt_date, fmt_number, t, tn
from credits.models import Admin, AdminSource

__all__ = ["MAX_CHOICES", "admins_card", "choose_person_card", "confirm_admin_card"]

MAX_CHOICES = 8
"""The most people a choice card lists (more: type more of the name, or @mention)."""
HOW_TO = N_(
    'To add an admin, say "make @Name an admin" (an @mention) or "make Ada Lovelace an admin"; '
    'to remove one, "remove Ada as admin".'
)


def _how(admin: Admin) -> str:
    """How someone is an admin, in a phrase."""
    if admin.source is AdminSource.CONFIG:
        return t("Set in the bot's configuration (CREDITS_ADMINS)")
    when = fmt_date(admin.granted_at) if admin.granted_at is not None else ""
    if admin.source is AdminSource.CLAIMED:
        return t("Claimed the bot with a claim code on {date}", date=when)
    if admin.granted_by_name:
        return t("Made an admin by {who} on {date}", who=admin.granted_by_name, date=when)
    return t("Made an admin on {date}", date=when)


def admins_card(admins: Sequence[Admin], note: str | None = None) -> Card:
    """Every admin of the tenant, with how they are one; ``note`` (what was just done) first."""
    body: list[Element] = [heading(t("Billing admins"))]
    if note:
        body.append(text(note, color="good"))
    if not admins:
        body.append(text(t("There is no billing admin here yet.")))
    else:
        body.append(fact_set((a.name, _how(a)) for a in admins))
    body.append(text(t(HOW_TO), subtle=True))
    return card(body, [act.execute(t("Show balance"), act.BALANCE)])


def _person_facts(person: Person) -> list[tuple[str, str]]:
    rows = [(t("Name"), person.name)]
    if person.email:
        rows.append((t("E-mail"), person.email))
    rows.append((t("Microsoft Entra object id"), person.aad_object_id))
    return rows


def confirm_admin_card(change: AdminChange, person: Person, request: str) -> Card:
    """Make ``person`` an admin, or remove them as one: who, what it means, Confirm or Cancel
    (the change's request: Confirm applies it once, Cancel voids it)."""
    if change is AdminChange.GRANT:
        title = t("Make {name} a billing admin?", name=person.name)
        meaning = t(
            "{name} will be able to see the balance, add funds, change auto-recharge, its caps "
            "and the alerts, and add or remove admins.",
            name=person.name,
        )
    else:
        title = t("Remove {name} as a billing admin?", name=person.name)
        meaning = t(
            "{name} will no longer be able to see or change Communications Credits.",
            name=person.name,
        )
    confirm = act.execute(
        t("Confirm"),
        act.ADMIN_CONFIRM,
        "positive" if change is AdminChange.GRANT else "destructive",
        change=change.value,
        person=person.aad_object_id,
        name=person.name,
        request=request,
    )
    cancel = act.execute(t("Cancel"), act.CANCEL, associated_inputs="none", request=request)
    body = [heading(title), text(meaning), fact_set(_person_facts(person))]
    return card(body, [confirm, cancel])


def choose_person_card(
    change: AdminChange, typed: str, people: Sequence[Person], *, by_start: bool = False
) -> Card:
    """Several people match ``typed`` (or, `by_start`, nobody is called so and these names
    start with it): a button for each (the first `MAX_CHOICES`), each leading to the confirm
    card of the change for that person."""
    if change is AdminChange.GRANT:
        title = t("Who should be a billing admin?")
    else:
        title = t("Which admin should be removed?")
    if by_start:
        said = tn(
            'Nobody is called "{name}"; {n} name starts with it. Choose them if they are meant.',
            'Nobody is called "{name}"; {n} names start with it. Choose the one meant.',
            len(people),
            name=typed,
        )
    else:
        said = tn(
            '{n} person matches "{name}"; choose them.',
            '{n} people match "{name}"; choose one.',
            len(people),
            name=typed,
        )
    body: list[Element] = [heading(title), text(said)]
    if len(people) > MAX_CHOICES:
        more = t(
            "Only the first {n} are listed: type more of the name, or @mention the person.",
            n=fmt_number(MAX_CHOICES),
        )
        body.append(text(more, subtle=True))
    buttons = [
        act.execute(
            f"{p.name} ({p.email})" if p.email else p.name,
            act.ADMIN_PICK,
            change=change.value,
            person=p.aad_object_id,
            name=p.name,
        )
        for p in people[:MAX_CHOICES]
    ]
    body.append({"type": "ActionSet", "actions": buttons})
    return card(body, [act.execute(t("Cancel"), act.CANCEL, associated_inputs="none")])
