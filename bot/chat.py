"""`credits-bot chat`: the same bot in a terminal, on the same store, with no server.

Cards print as text with numbered buttons; typing a button's number presses it (asking for the
card's inputs first, with their current values as defaults). Every activity the terminal sends
carries the session's locale (`--locale`, default en-US), so the whole session, its own words
included, is in that language (the `Speaking` middleware, as in Teams)."""

from __future__ import annotations

import asyncio
import getpass
import sys
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    ResourceResponse,
)

from bot.host_store import HostStore
from bot.settings import Settings
from bot.storage import SqlStorage
from bot.teams import CreditsBot
from cards.text import TextCard, TextInput, render_text
from credits.db import Database
from credits.i18n import N_, Lang, lang_of, speaking, t
from credits.service import CreditsService
from dialogs.language import Speaking

CARD = "application/vnd.microsoft.card.adaptive"
BOT = ChannelAccount(id="credits-bot", name="Credits bot")
CONVERSATION = ConversationAccount(id="console", conversation_type="personal")
DEFAULT_LOCALE = "en-US"
QUIT = ("quit", "exit", ":q", "thoát", "thoat")
TOGGLE_WORDS = N_('Type "on" or "off" ("yes" or "no"), or press Enter to keep it {state}.')


class ConsoleAdapter(BotAdapter):
    """Delivers the bot's replies to a terminal and remembers the last card's buttons."""

    def __init__(self, write: Callable[[str], None]) -> None:
        super().__init__()
        self.write = write
        self.last_card: TextCard | None = None
        self.last_card_id: str | None = None
        self.use(Speaking())

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            activity_id = uuid.uuid4().hex
            if activity.type == ActivityTypes.message:
                self._show(activity, activity_id)
            responses.append(ResourceResponse(id=activity_id))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> ResourceResponse:
        self._show(activity, activity.id, updated=True)
        return ResourceResponse(id=activity.id)

    async def delete_activity(self, context: TurnContext, reference: ConversationReference) -> None:
        return None

    def _show(self, activity: Activity, activity_id: str | None, updated: bool = False) -> None:
        if activity.text:
            self.write(f"bot> {activity.text}")
        for attachment in activity.attachments or []:
            if attachment.content_type == CARD and isinstance(attachment.content, dict):
                card = render_text(attachment.content)
                if updated:
                    self.write(t("bot> (the card above now reads:)"))
                self.write(card.render())
                if card.buttons:
                    self.last_card, self.last_card_id = card, activity_id


class Console:
    def __init__(
        self,
        bot: CreditsBot,
        user: ChannelAccount,
        write: Callable[[str], None],
        locale: str = DEFAULT_LOCALE,
    ) -> None:
        self.bot = bot
        self.user = user
        self.adapter = ConsoleAdapter(write)
        self.write = write
        self.locale = locale

    async def send(self, text: str | None = None, value: dict[str, Any] | None = None) -> None:
        activity = Activity(
            type=ActivityTypes.message,
            id=uuid.uuid4().hex,
            text=text,
            value=value,
            channel_id="console",
            service_url="console://local",
            from_property=self.user,
            recipient=BOT,
            conversation=CONVERSATION,
            reply_to_id=self.adapter.last_card_id if value is not None else None,
            locale=self.locale,
        )
        context = TurnContext(self.adapter, activity)
        await self.adapter.run_pipeline(context, self.bot.on_turn)

    async def install(self) -> None:
        activity = Activity(
            type=ActivityTypes.conversation_update,
            id=uuid.uuid4().hex,
            channel_id="console",
            service_url="console://local",
            from_property=self.user,
            recipient=BOT,
            conversation=CONVERSATION,
            members_added=[self.user],
            locale=self.locale,
        )
        await self.adapter.run_pipeline(TurnContext(self.adapter, activity), self.bot.on_turn)

    def button(self, line: str, ask: Callable[[str], str]) -> dict[str, Any] | None:
        """The data a numbered button sends, with the card's inputs filled in, or None."""
        card = self.adapter.last_card
        if card is None or not line.isdigit() or not 1 <= int(line) <= len(card.buttons):
            return None
        button = card.buttons[int(line) - 1]
        data = dict(button.data)
        if button.sends_inputs:
            with speaking(lang_of(self.locale) or Lang.EN):  # the terminal's own words
                for field in card.inputs:
                    data[field.id] = self._ask_input(field, ask)
        return data

    def _ask_input(self, field: TextInput, ask: Callable[[str], str]) -> str:
        """One input's value, asked with its current value as the default (a toggle's state as
        the card sends it in English, "true"/"false", in words in Vietnamese, "Bật"/"Tắt"); a
        toggle is asked again until a yes or no word of either language."""
        while True:
            answer = field.answer(ask(f"  {field.label} [{field.shown()}]: "))
            if answer is not None:
                return answer
            self.write(t(TOGGLE_WORDS, state=field.shown()))


async def run_chat(settings: Settings, lines: Any = None, locale: str = DEFAULT_LOCALE) -> int:
    """Read lines (stdin by default) until EOF or 'quit', as a person whose Teams speaks
    ``locale``."""
    config = settings.credits
    db = Database.of(config)
    user_name = getpass.getuser()
    user = ChannelAccount(id=f"console-{user_name}", name=user_name)
    try:
        await db.migrate()
        service = CreditsService(db, config)
        bot = CreditsBot(service, SqlStorage(db), settings, HostStore(db))
        console = Console(bot, user, print, locale)
        with speaking(lang_of(locale) or Lang.EN):  # the terminal's own words
            print(
                t(
                    'credits-bot chat: type what an admin would type ("help" to start, "quit" '
                    "to leave)."
                )
            )
            print(t("Database: {url}", url=db.engine.url.render_as_string(hide_password=True)))
        await console.install()
        source = lines if lines is not None else _stdin_lines()
        async for line in source:
            text = unicodedata.normalize("NFC", line.strip())  # some keyboards send NFD
            if text.lower() in QUIT:
                break
            if text:
                await _said(console, text)
        return 0
    finally:
        await db.dispose()


async def _said(console: Console, text: str) -> None:
    """A line typed: a button's number presses it, anything else is a message."""
    data = console.button(text, _ask)
    if data is not None and "verb" not in data and isinstance(data.get("url"), str):
        with speaking(lang_of(console.locale) or Lang.EN):  # an Action.OpenUrl
            print(t("Open this link in a browser: {url}", url=data["url"]))
    elif data is not None:
        await console.send(value=data)
    else:
        await console.send(text=text)


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        return ""


async def _stdin_lines() -> Any:
    loop = asyncio.get_running_loop()
    while True:
        if sys.stdin.isatty():
            sys.stdout.write("you> ")
            sys.stdout.flush()
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line
