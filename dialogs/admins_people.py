"""Who an admin means by "make @Ada an admin" or "make Ada Lovelace an admin": the people of the
turn's @mentions, or the members of the conversation whose name (or e-mail) matches, read from
the Teams roster through the Bot Connector (`TeamsInfo.get_member`, `get_paged_members`: a
channel's team, else the chat's members). Their Microsoft Entra object id comes from the roster,
never from anything typed or sent by a card.

Where there is no roster (`credits-bot chat` has no Bot Connector; an emulator may not serve
one) or it cannot be read, the lookup says so (`Roster.unreachable`) and the answer tells the
admin to @mention the person in Teams or to use the command line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.teams import TeamsInfo

from credits import admins
from credits.admins import Person
from credits.text import clean_name
from dialogs.intents_core import lowered, plain

log = structlog.get_logger(__name__)
PAGE_SIZE = 500
MAX_PAGES = 20  # 10,000 members: a bigger team is searched no further (an @mention finds anyone)


@dataclass(frozen=True, slots=True)
class Roster:
    """The people a lookup found (none, one, or several), or that no roster could be read."""

    people: tuple[Person, ...] = ()
    unreachable: bool = False


async def mentioned(context: TurnContext, typed: str | None) -> Roster:
    """The people the turn @mentions (the bot itself aside), resolved through the roster; when
    several are mentioned, those whose name is ``typed``."""
    ids = _mentions(context.activity)
    if typed is not None and len(ids) > 1:
        ids = {i: n for i, n in ids.items() if fold(n) == fold(typed)} or ids
    if not ids or not _has_connector(context):
        return Roster(unreachable=not _has_connector(context))
    people: list[Person] = []
    try:
        for member_id in ids:
            member = await TeamsInfo.get_member(context, member_id)
            person = _person(member)
            if person is not None:
                people.append(person)
    except Exception as error:  # the roster is outside: any failure means "not reachable"
        log.warning("roster lookup failed", error_type=type(error).__name__)
        return Roster(unreachable=True)
    return Roster(tuple(people))


async def named(context: TurnContext, typed: str) -> Roster:
    """The members of the conversation (a channel's team) whose name or e-mail ``typed`` is,
    or whose name's words start with its words; exact matches only, when there are any."""
    if not _has_connector(context):
        return Roster(unreachable=True)
    members: list[Person] = []
    try:
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = await TeamsInfo.get_paged_members(context, token, PAGE_SIZE)
            members.extend(p for p in map(_person, page.members or []) if p is not None)
            token = page.continuation_token
            if not token:
                break
    except Exception as error:  # the roster is outside: any failure means "not reachable"
        log.warning("roster lookup failed", error_type=type(error).__name__)
        return Roster(unreachable=True)
    return Roster(tuple(matching(members, typed)))


def matching(people: Iterable[Person], typed: str) -> list[Person]:
    """The people ``typed`` names: by whole name or e-mail address (ignoring case and
    diacritics), else by the start of each word of their name ("ada" or "ada lov" for Ada
    Lovelace) or their address's mailbox ("ada" for ada@contoso.com), sorted by name."""
    want = fold(typed)
    if not want:
        return []
    people = list(people)
    exact = [p for p in people if want in (fold(p.name), (p.email or "").lower())]
    if exact:
        return exact
    words = want.split()
    return sorted(
        (p for p in people if _starts_words(words, fold(p.name).split()) or want == _mailbox(p)),
        key=lambda p: fold(p.name),
    )


def _starts_words(typed: Sequence[str], name: Sequence[str]) -> bool:
    """Whether each typed word starts a word of the name, in order."""
    at = 0
    for word in typed:
        while at < len(name) and not name[at].startswith(word):
            at += 1
        if at == len(name):
            return False
        at += 1
    return True


def _mailbox(person: Person) -> str | None:
    """The part of their e-mail address before the "@" ("ada" of ada@contoso.com)."""
    return person.email.lower().split("@", 1)[0] if person.email else None


def fold(text: str) -> str:
    """``text`` as names are compared: lower case, no diacritics, single spaces."""
    return re.sub(r"\s+", " ", plain(lowered(text))).strip()


def _has_connector(context: TurnContext) -> bool:
    return context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY) is not None


def _mentions(activity: Any) -> dict[str, str]:
    """The mentioned member ids of the activity and their names, the bot's own left out (in
    order, each once: Teams may mention one person once per word of their name)."""
    bot = getattr(activity.recipient, "id", None)
    found: dict[str, str] = {}
    for entity in activity.entities or []:
        if str(getattr(entity, "type", "")).lower() != "mention":
            continue
        props = getattr(entity, "additional_properties", None) or {}
        who = props.get("mentioned")
        if not isinstance(who, dict):
            continue
        member_id, name = who.get("id"), who.get("name")
        if isinstance(member_id, str) and member_id and member_id != bot:
            found.setdefault(member_id, name if isinstance(name, str) else "")
    return found


def _person(member: Any) -> Person | None:
    """A roster member as a person; None without a Microsoft Entra object id (a bot, a guest
    the roster does not name)."""
    aad = getattr(member, "aad_object_id", None)
    if not isinstance(aad, str) or not aad.strip():
        return None
    person = aad.strip()[: admins.ID_MAX]
    name = getattr(member, "name", None)
    email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
    return Person(
        person,
        admins.person_name(name if isinstance(name, str) else "", person),
        (clean_name(email, admins.ID_MAX) or None) if isinstance(email, str) else None,
    )
