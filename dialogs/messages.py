"""A card as a message: the attachment the bot sends, made once and shared by its copies."""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity, Attachment


class SharedCard(Attachment):
    """An Adaptive Card attachment whose copies share its card: botbuilder deep-copies every
    reply it sends (TurnContext.send_activities), which for a card is most of the turn's
    copying, and a card is never changed once made. Its card is plain JSON already (cards/
    builds it from str, int, bool, lists and dicts), so bot/wire.py writes it as it is."""

    json_as_is = frozenset({"content"})

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedCard:
        return copy.copy(self)


class CardReply(Activity):
    """A message carrying a card. botbuilder deep-copies every activity it sends, so that
    sending cannot change the caller's; sending only sets an activity's own fields (its
    conversation reference, type, input hint and id), so a copy of the fields and of the
    attachment list does that job at a fraction of a deep copy's cost."""

    def __deepcopy__(self, memo: dict[int, Any]) -> CardReply:
        copied = copy.copy(self)
        if self.attachments is not None:
            copied.attachments = [copy.deepcopy(item, memo) for item in self.attachments]
        copied.additional_properties = dict(self.additional_properties or {})
        return copied


def card_message(card: dict[str, Any], text: str | None = None) -> Activity:
    made = CardFactory.adaptive_card(card)
    shared = SharedCard(content_type=made.content_type, content=made.content)
    reply = CardReply()
    reply.__dict__.update(MessageFactory.attachment(shared).__dict__)  # botbuilder's defaults
    if text:
        reply.text = text
    return reply
