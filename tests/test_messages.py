"""A card message: botbuilder deep-copies every reply it sends; the card is shared, not copied,
and the copy is posted exactly as botframework's own serialiser writes it."""

from __future__ import annotations

import copy

from botbuilder import schema
from botbuilder.schema import Activity
from msrest.serialization import Serializer

from bot.wire import activity_to_json
from cards import help_card
from dialogs.messages import card_message


def test_a_copied_card_message_shares_its_card_and_posts_the_same_json() -> None:
    card = help_card()
    message = card_message(card, "hello")
    copied = copy.deepcopy(message)
    assert copied is not message and copied.attachments[0] is not message.attachments[0]
    assert copied.attachments is not message.attachments
    copied.conversation = "elsewhere"  # what sending sets is the copy's own
    assert message.conversation is None
    assert copied.attachments[0].content is card  # shared: a card is never changed once made
    copied.attachments[0].content_type = "changed"  # the copy's own fields are its own
    assert message.attachments[0].content_type == "application/vnd.microsoft.card.adaptive"
    models = {name: value for name, value in vars(schema).items() if isinstance(value, type)}
    serializer = Serializer(models)  # type: ignore[no-untyped-call]
    expected = serializer.body(card_message(card, "hello"), "Activity")  # type: ignore[no-untyped-call]
    assert activity_to_json(card_message(card, "hello")) == expected
    assert isinstance(message, Activity) and expected["attachments"][0]["content"] == card
