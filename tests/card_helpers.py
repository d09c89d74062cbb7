"""Reading cards in tests: the one walker over a card's tree, the text a card shows, and the data
of its buttons."""

from __future__ import annotations

from typing import Any

from cards._elements import nodes

TEXT_KEYS = ("text", "title", "value", "label", "placeholder")


def texts(card: dict[str, Any]) -> str:
    """All the text a card shows, one piece a line."""
    return "\n".join(
        node[key] for node in nodes(card) for key in TEXT_KEYS if isinstance(node.get(key), str)
    )


def button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The data of the first button with this verb (a copy)."""
    for node in nodes(card):
        if str(node.get("type", "")).startswith("Action.") and node.get("verb") == verb:
            return dict(node["data"])
    raise AssertionError(f"no {verb} button on the card")


def open_url(card: dict[str, Any], title: str) -> str:
    """The URL of the card's Action.OpenUrl with this title."""
    for node in nodes(card):
        if node.get("type") == "Action.OpenUrl" and node.get("title") == title:
            return str(node["url"])
    raise AssertionError(f"no {title!r} link on the card")
