"""The language of a turn: the activity's `locale` (BCP-47; Teams puts the Teams client's
language there), else the deprecated `clientInfo` entity's `locale`, else English. `vi`,
`vi-VN` and `vi-vn` are all Vietnamese; any language the bot does not speak is English.
`Speaking` is the middleware that writes the whole turn in that language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity

from credits.i18n import Lang, lang_of, speaking


def turn_lang(activity: Activity) -> Lang:
    """The language to answer ``activity`` in."""
    root = lang_of(activity.locale)
    if root is not None:
        return root
    if isinstance(activity.locale, str) and activity.locale.strip():
        return Lang.EN  # a language the bot does not speak: English, not the clientInfo guess
    for entity in activity.entities or []:
        if _entity_type(entity) == "clientInfo":
            found = lang_of(_entity_field(entity, "locale"))
            if found is not None:
                return found
    return Lang.EN


def _entity_type(entity: Any) -> object:
    return entity.get("type") if isinstance(entity, dict) else getattr(entity, "type", None)


def _entity_field(entity: Any, name: str) -> object:
    if isinstance(entity, dict):
        return entity.get(name)
    extra = getattr(entity, "additional_properties", None) or {}
    return getattr(entity, name, None) or extra.get(name)


class Speaking(Middleware):
    """Writes every reply, card and refusal of the turn in the turn's language."""

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        with speaking(turn_lang(context.activity)):
            await logic()
