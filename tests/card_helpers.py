"""Reading cards in tests: the text a card shows, and the data of its buttons."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

TEXT_KEYS = ("text", "title", "value", "label", "placeholder")


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from _nodes(item)


def texts(card: dict[str, Any]) -> str:
    """All the text a card shows, one piece a line."""
    return "\n".join(
        node[key] for node in _nodes(card) for key in TEXT_KEYS if isinstance(node.get(key), str)
    )


def button(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The data of the first button with this verb (a copy)."""
    for node in _nodes(card):
        if str(node.get("type", "")).startswith("Action.") and node.get("verb") == verb:
            return dict(node["data"])
    raise AssertionError(f"no {verb} button on the card")
