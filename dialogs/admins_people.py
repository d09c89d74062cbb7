"""Who an admin means by "make @Ada an admin" or "make Ada Lovelace an admin": the people of the
turn's @mentions, or the members of the conversation whose name (or e-mail) matches, read from
the Teams roster through the Bot Connector (`TeamsInfo.get_member`, `get_paged_members`: a
channel's team, else the chat's members). Their Microsoft Entra object id comes from the roster,
never from anything typed or sent by a card.

A name finds people by their whole name or e-mail, or by whole words of their name ("Ada" is
Ada Lovelace's first name, "Lovelace" her last); only then may one match go straight to a
confirm card. Failing that, the start of their name's words ("Lov", three characters at least)
finds people only to choose from (`Roster.by_start`): "Ada" must never become Adam Smith without
the admin choosing him. An @mention of someone who is not a member of the conversation (the
connector answers 404) finds nobody.

Where there is no roster (`credits-bot chat` has no Bot Connector; an emulator may not serve
one) or it cannot be read, the lookup says so (`Roster.unreachable`) and the answer tells the
admin to @mention the person in Teams or to use the command line. A 1:1 chat's roster is the
user alone (and nobody else can be @mentioned there): `personal` says when the turn is in one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
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


MIN_START = 3
"""The fewest characters of a name's start that find anyone ("Ad" finds nobody)."""
PERSONAL = "personal"  # conversation.conversationType of a 1:1 chat


@dataclass(frozen=True, slots=True)
class Roster:
    """The people a lookup found (none, one, or several), or that no roster could be read;
    `by_start`: found only by the start of their name (offered to choose, never confirmed at
    once); `looked_up`: the turn's mentions were looked up (none found: not members here)."""

    people: tuple[Person, ...] = ()
    unreachable: bool = False
    by_start: bool = False
    looked_up: bool = False


def personal(context: TurnContext) -> bool:
    """Whether the turn is in a 1:1 chat with the bot (whose roster is the user alone)."""
    conversation = context.activity.conversation
    return getattr(conversation, "conversation_type", None) == PERSONAL


async def mentioned(context: TurnContext, typed: str | None) -> Roster:
    """The people the turn @mentions (the bot itself aside), resolved through the roster; when
    several are mentioned, those whose name is ``typed``."""
    ids = _mentions(context.activity)
    if typed is not None and len(ids) > 1:
        ids = {i: n for i, n in ids.items() if fold(n) == fold(typed)} or ids
    if not ids or not has_roster(context):
        return Roster(unreachable=not has_roster(context))
    people: list[Person] = []
    try:
        for member_id in ids:
            person = await _member(context, member_id)
            if person is not None:
                people.append(person)
    except Exception as error:  # the roster is outside: any failure means "not reachable"
        log.warning("roster lookup failed", error_type=type(error).__name__)
        return Roster(unreachable=True)
    return Roster(tuple(people), looked_up=True)


async def _member(context: TurnContext, member_id: str) -> Person | None:
    """A mentioned member as a person; None when they are not a member of the conversation
    (the connector's 404 MemberNotFoundInConversation) or have no object id."""
    try:
        member = await TeamsInfo.get_member(context, member_id)
    except Exception as error:
        if _status(error) == 404:
            log.info("mentioned member not in the conversation")
            return None
        raise
    return _person(member)


def _status(error: Exception) -> int | None:
    """The HTTP status of a Bot Connector error (msrest's ErrorResponseException), if any."""
    status = getattr(getattr(error, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


async def named(context: TurnContext, typed: str) -> Roster:
    """The members of the conversation (a channel's team) ``typed`` names (`matching`)."""
    if not has_roster(context):
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
    return matching(members, typed)


def matching(people: Iterable[Person], typed: str) -> Roster:
    """The people ``typed`` names, ignoring case and diacritics, sorted by name: by their whole
    name or e-mail address; else by whole words of their name ("ada" or "lovelace" for Ada
    Lovelace) or their address's mailbox ("ada" for ada@contoso.com); else, from `MIN_START`
    characters on, by the start of their name's words ("lov", "ada lov"), `by_start`."""
    want = fold(typed)
    if not want:
        return Roster()
    people = sorted(people, key=lambda p: fold(p.name))
    exact = [p for p in people if want in (fold(p.name), (p.email or "").lower())]
    if exact:
        return Roster(tuple(exact))
    typed_words = want.split()
    whole = [
        p
        for p in people
        if _words_in(typed_words, _words(p.name), str.__eq__) or want == _mailbox(p)
    ]
    if whole:
        return Roster(tuple(whole))
    if len(want.replace(" ", "")) < MIN_START:
        return Roster()
    started = [p for p in people if _words_in(typed_words, _words(p.name), str.startswith)]
    return Roster(tuple(started), by_start=bool(started))


def _words(name: str) -> list[str]:
    """A name's words as compared: folded, without the punctuation around them."""
    return [w for w in (w.strip(_PUNCTUATION) for w in fold(name).split()) if w]


_PUNCTUATION = ",.;:()[]\"'"


def _words_in(typed: Sequence[str], name: Sequence[str], fits: Callable[[str, str], bool]) -> bool:
    """Whether each typed word fits a word of the name (`fits(name_word, typed_word)`), in
    order."""
    at = 0
    for word in typed:
        while at < len(name) and not fits(name[at], word):
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


def has_roster(context: TurnContext) -> bool:
    """Whether the turn has a Bot Connector to read the Teams roster from (`credits-bot chat`
    has none)."""
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
