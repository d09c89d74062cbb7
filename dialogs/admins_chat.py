"""The billing admins in chat: "admins" shows them; "make @Ada an admin" and "remove Ada as
admin" find the person (an @mention, a name among the conversation's members, or among the
admins) and ask on a confirm card that applies once (or a card to choose among several people
first, or among those whose name only starts so); "claim ABCD-EFGH" makes the sender the first
admin of a tenant that has none. Routed here by dialogs/controls.py: admins only, but for the
claim; a tenant with no admin at all tells a non-admin how to claim it (`NO_ADMIN_YET`). In a 1:1
chat a name cannot be looked up (its roster is the user alone): the answer says where to ask."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from botbuilder.core import TurnContext

from cards import actions as verbs
from cards._elements import Card, Element
from cards.account import access_denied_card, outcome_card
from cards.actions import execute
from cards.admins import admins_card, choose_person_card, confirm_admin_card
from credits import admins
from credits.admins import AdminChange, Person, same_id
from credits.errors import CreditsError
from credits.i18n import N_, t
from credits.models import AdminSource
from dialogs import admins_people
from dialogs.admins_data import AdminConfirm, AdminPick, AdminsPress
from dialogs.caller import Caller
from dialogs.card_kit import CardResult, Kit, Said
from dialogs.intents_core import Intent

FORGED = N_("That card can't be used. Nothing was changed; open the balance to start again.")
SAY_WHO = N_(
    'Say who, e.g. "make @Ada an admin" (type @ and choose the person) or "make Ada Lovelace '
    'an admin". Nothing was changed.'
)
SAY_WHICH = N_('Say which admin, e.g. "remove Ada as admin". Nothing was changed.')
NO_ROSTER = N_(
    "I can't look up the members of this conversation here, so I can't tell who '{name}' is. "
    "In Teams, @mention them (type @ and choose the person); or, where the bot runs: "
    "credits-bot admins grant --tenant {tenant} --aad-id ID --name NAME. Nothing was changed."
)
PERSONAL_CHAT = N_(
    "In a 1:1 chat I can only see you, so I can't look up '{name}'. Ask in a channel or group "
    'chat where they are a member ("make @Name an admin": type @ and choose them), or, where '
    "the bot runs: credits-bot admins grant --tenant {tenant} --aad-id ID --name NAME. Nothing "
    "was changed."
)
NO_ADMIN_YET = N_(
    "This organisation has no billing admin yet: ask whoever runs the bot for a claim code "
    "(credits-bot admins claim-code), then type claim CODE."
)
NOBODY = N_(
    "I found nobody called '{name}' among the members of this conversation. @mention them "
    "(type @ and choose the person), or check the name. Nothing was changed."
)
NOT_ADMIN = N_(
    "'{name}' is not a billing admin here; the admins are {admins}. Nothing was changed."
)
NO_ADMINS = N_("There is no billing admin here to remove. Nothing was changed.")
ALREADY = N_("{name} is a billing admin already. Nothing was changed.")
SELF = frozenset({"me", "myself", "toi", "minh", "tui"})  # "make me an admin"
NOTHING_TO_CLAIM = N_(
    "You are a billing admin already, so there is nothing to claim. (Without an app id and "
    "without CREDITS_ADMINS, as when the bot runs locally, everyone is an admin.)"
)
TYPE_THE_CODE = N_(
    "Type the claim code printed by credits-bot admins claim-code, e.g. claim ABCD-EFGH."
)
CLAIMED = N_(
    'You are now a billing admin here. Make others admins with "make @Name an admin"; "admins" '
    "shows who they are."
)


# ---------------------------------------------------------------------- said in chat


async def said_admins(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """ "admins", "who are the admins": the admins card."""
    return Said(card=admins_card(await kit.service.list_admins(caller.tenant_id)))


async def said_grant(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """ "make @Ada an admin": the person from the mention or the roster, then a confirm card
    (or a choice among several people, or why not)."""
    typed = intent.person
    if typed is None:
        return Said(text=t(SAY_WHO))
    if admins_people.fold(typed) in SELF:
        return Said(text=t(ALREADY, name=caller.name))
    roster = admins_people.Roster()
    if intent.mentioned:
        roster = await admins_people.mentioned(context, typed)
        if roster.looked_up and not roster.people:  # not a member of this conversation
            return Said(text=t(NOBODY, name=typed))
    if not roster.people and not roster.unreachable:
        if admins_people.personal(context) and admins_people.has_roster(context):
            return Said(text=t(PERSONAL_CHAT, name=typed, tenant=caller.tenant_id))
        roster = await admins_people.named(context, typed)
    if roster.unreachable:
        return Said(text=t(NO_ROSTER, name=typed, tenant=caller.tenant_id))
    if not roster.people:
        return Said(text=t(NOBODY, name=typed))
    return await _offer(kit, caller, AdminChange.GRANT, typed, roster)


async def said_revoke(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """ "remove Ada as admin": the admin named (by mention, name or e-mail), then a confirm
    card, or why not."""
    typed = intent.person
    if typed is None:
        return Said(text=t(SAY_WHICH))
    listed = await kit.service.list_admins(caller.tenant_id)
    people = [Person(a.aad_object_id, a.name) for a in listed]
    if admins_people.fold(typed) in SELF:
        me = [p for p in people if same_id(p.aad_object_id, caller.aad_object_id)]
        found = admins_people.Roster(tuple(me))
    else:
        found = await _admins_meant(context, intent, typed, people)
    if not listed:  # (locally, without CREDITS_ADMINS, everyone acts as one)
        return Said(text=t(NO_ADMINS))
    if not found.people:
        names = ", ".join(a.name for a in listed)
        return Said(text=t(NOT_ADMIN, name=typed, admins=names))
    return await _offer(kit, caller, AdminChange.REVOKE, typed, found)


async def _admins_meant(
    context: TurnContext, intent: Intent, typed: str, people: Sequence[Person]
) -> admins_people.Roster:
    """The admins ``typed`` means: the mentioned person's (resolved through the roster), else
    those whose object id, name or e-mail it is (`admins_people.matching`)."""
    if intent.mentioned:
        roster = await admins_people.mentioned(context, typed)
        ids = [p.aad_object_id for p in roster.people]
        if ids:
            meant = (p for p in people if any(same_id(p.aad_object_id, i) for i in ids))
            return admins_people.Roster(tuple(meant))
    by_id = tuple(p for p in people if same_id(p.aad_object_id, typed))
    return admins_people.Roster(by_id) if by_id else admins_people.matching(people, typed)


async def _offer(
    kit: Kit, caller: Caller, change: AdminChange, typed: str, found: admins_people.Roster
) -> Said:
    """One person by their name (or a mention): the change's confirm card (or why it cannot
    be); several, or anyone found only by the start of their name: a choice."""
    people = found.people
    if len(people) > 1 or found.by_start:
        choose = choose_person_card(change, typed, people, by_start=found.by_start)
        return Said(card=kit.signer.sign_buttons(caller.tenant_id, choose))
    refusal = await _refusal(kit, caller, change, people[0])
    if refusal is not None:
        return Said(text=refusal)
    return Said(card=_confirm_card(kit, caller, change, people[0]))


def _confirm_card(kit: Kit, caller: Caller, change: AdminChange, person: Person) -> Card:
    card = confirm_admin_card(change, person, uuid.uuid4().hex)
    return kit.signer.sign_buttons(caller.tenant_id, card)


async def _refusal(kit: Kit, caller: Caller, change: AdminChange, person: Person) -> str | None:
    """Why the change cannot be made now (the store checks again at Confirm), else None."""
    listed = await kit.service.list_admins(caller.tenant_id)
    admin = next((a for a in listed if same_id(a.aad_object_id, person.aad_object_id)), None)
    if change is AdminChange.GRANT:
        return None if admin is None else t(ALREADY, name=admin.name)
    if admin is None:
        return t(NOT_ADMIN, name=person.name, admins=", ".join(a.name for a in listed))
    if admin.source is AdminSource.CONFIG:
        return t(admins.CONFIGURED)
    if len(listed) <= 1:  # (the configuration's admins are listed: none, here)
        return t(admins.LAST_ADMIN, name=admin.name)
    return None


async def said_claim(kit: Kit, context: TurnContext, caller: Caller, intent: Intent) -> Said:
    """ "claim ABCD-EFGH": the sender (their object id from the activity) becomes the tenant's
    first admin; a refusal says why and what to do."""
    if caller.is_admin:
        return Said(text=t(NOTHING_TO_CLAIM))
    if intent.code is None:
        return Said(text=t(TYPE_THE_CODE))
    try:
        await kit.service.claim_admin(caller.tenant_id, intent.code, caller.actor)
    except CreditsError as error:
        return Said(text=str(error))
    return Said(text=t(CLAIMED))


# ---------------------------------------------------------------------- buttons


def _show_admins() -> Element:
    return execute(t("Billing admins"), verbs.ADMINS)


async def admins_pressed(kit: Kit, caller: Caller, press: AdminsPress) -> CardResult:
    return CardResult(admins_card(await kit.service.list_admins(caller.tenant_id)))


async def pick_pressed(kit: Kit, caller: Caller, press: AdminPick) -> CardResult:
    """A person chosen on the choice card: the confirm card of the change for them."""
    if not kit.signer.verify(caller.tenant_id, press):
        return CardResult(access_denied_card(t(FORGED)), final=True)
    person = Person(press.person, press.name or press.person)
    refusal = await _refusal(kit, caller, press.admin_change, person)
    if refusal is not None:
        card = outcome_card(t("Not done"), refusal, style="attention", actions=[_show_admins()])
        return CardResult(card, final=True)
    return CardResult(_confirm_card(kit, caller, press.admin_change, person))


async def confirm_pressed(kit: Kit, caller: Caller, press: AdminConfirm) -> CardResult:
    """Apply the change once, then show the admins; a second click says it was done, a card
    cancelled says so (RequestCancelled), a refusal of the store says why."""
    if not kit.signer.verify(caller.tenant_id, press):
        return CardResult(access_denied_card(t(FORGED)), final=True)
    service, tenant, key = kit.service, caller.tenant_id, press.request_key
    if await service.was_applied(tenant, key):
        said = t("This change was made already; nothing was changed again.")
        card = outcome_card(t("Already saved"), said, actions=[_show_admins()])
        return CardResult(card, final=True)
    name = press.name or press.person
    if press.admin_change is AdminChange.GRANT:
        done = await service.grant_admin(
            tenant, press.person, name, caller.actor, idempotency_key=key
        )
        note = t("{name} is now a billing admin.", name=name) if done else t(ALREADY, name=name)
    else:
        await service.revoke_admin(tenant, press.person, caller.actor, idempotency_key=key)
        note = t("{name} is no longer a billing admin.", name=name)
    return CardResult(admins_card(await service.list_admins(tenant), note), final=True)
