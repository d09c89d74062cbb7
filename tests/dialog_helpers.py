"""Shared by the tests that drive the dialogs without HTTP: a DialogTestClient speaking as a given
caller (an admin or a viewer of the tenant), the card of a reply and the press of one of its
buttons; and `credits-bot chat`, driven through stdin as a person would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityTypes
from botbuilder.testing import DialogTestClient

from credits.service import CreditsService
from dialogs.actions import CardActions, CardSigner
from dialogs.caller import Caller, set_caller
from dialogs.language import Speaking
from dialogs.main import MainDialog

TENANT = "tenant-a"
ADMIN = Caller(TENANT, "aad-ada", "Ada Admin", is_admin=True)
VIEWER = Caller(TENANT, "aad-bob", "Bob Viewer", is_admin=False)
CARD = "application/vnd.microsoft.card.adaptive"


class AsCaller(Middleware):  # type: ignore[misc]
    """Stands in for the host: decides who is speaking from the activity's sender."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        set_caller(context, self.caller)
        await logic()


def client(service: CreditsService, caller: Caller = ADMIN) -> DialogTestClient:
    dialog = MainDialog(CardActions(service, CardSigner(b"test-secret")))
    return DialogTestClient("msteams", dialog, middlewares=[AsCaller(caller), Speaking()])


EN, VI = "en-US", "vi-VN"


def said(text: str, locale: str = EN) -> Activity:
    """A message typed in a Teams of ``locale``."""
    return Activity(type=ActivityTypes.message, text=text, locale=locale)


def pressed(data: dict[str, Any], locale: str = EN) -> Activity:
    """An Action.Submit press of a button with ``data``, from a Teams of ``locale``."""
    return Activity(type=ActivityTypes.message, value=data, locale=locale)


async def turn(talk: DialogTestClient, activity: Activity) -> list[Activity]:
    """Every reply of one turn."""
    replies = [await talk.send_activity(activity)]
    while (more := talk.get_next_reply()) is not None:
        replies.append(more)
    return [r for r in replies if r is not None]


def cards_in(replies: list[Activity]) -> list[dict[str, Any]]:
    """The Adaptive Cards of the replies, in order."""
    return [a.content for r in replies for a in r.attachments or [] if a.content_type == CARD]


def card_of(activity: Activity) -> dict[str, Any]:
    assert activity is not None, "the bot sent nothing"
    [attachment] = [a for a in activity.attachments or [] if a.content_type == CARD]
    content: dict[str, Any] = attachment.content
    return content


def press(data: dict[str, Any], reply_to: str | None = None) -> Activity:
    return Activity(type=ActivityTypes.message, value=data, reply_to_id=reply_to)


def chat(lines: list[str], db: Path, **settings: str) -> str:
    env = dict(os.environ, CREDITS_DATABASE_URL=f"sqlite:///{db}", **settings)
    env.pop("MicrosoftAppId", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="\n".join(lines) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
