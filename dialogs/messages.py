"""A card as a message: the attachment the bot sends, made once and shared by its copies."""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment


class SharedCard(Attachment):
    """An Adaptive Card attachment whose copies share its card: botbuilder deep-copies every
    reply it sends (TurnContext.send_activities), which for a card is most of the turn's
    copying, and a card is never changed once made."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedCard:
        return copy.copy(self)


def card_message(card: dict[str, Any], text: str | None = None) -> Activity:
    made = CardFactory.adaptive_card(card)
    shared = SharedCard(content_type=made.content_type, content=made.content)
    activity: Activity = MessageFactory.attachment(shared)
    if text:
        activity.text = text
    return activity
