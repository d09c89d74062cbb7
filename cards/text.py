"""Cards as plain text, for the terminal chat (``credits-bot chat``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from credits.i18n import N_, Lang, current, t

__all__ = ["TextButton", "TextCard", "TextInput", "render_text"]

ON = N_("On")
OFF = N_("Off")
# What a person may type for a toggle, in either language (with or without diacritics).
_YES = frozenset({"yes", "y", "on", "true", "có", "co", "bật", "bat"})
_NO = frozenset({"no", "n", "off", "false", "không", "khong", "ko", "tắt", "tat"})


@dataclass(frozen=True, slots=True)
class TextButton:
    title: str
    data: dict[str, Any]
    sends_inputs: bool = True  # False when the action's associatedInputs is "none"


@dataclass(frozen=True, slots=True)
class TextInput:
    id: str
    label: str
    kind: Literal["text", "toggle"]
    value: str | None  # what the card sends as it is (a toggle's valueOn or valueOff)
    value_on: str = "true"
    value_off: str = "false"

    def shown(self) -> str:
        """The value as a person reads it: in English the value as the card sends it ("true",
        as it always was); in another language a toggle's state in words ("Bật", "Tắt")."""
        if self.kind == "toggle" and current() is not Lang.EN:
            return t(ON) if self.value == self.value_on else t(OFF)
        return self.value or ""

    def answer(self, typed: str) -> str | None:
        """What the card sends for ``typed`` at a prompt: the value as it is for nothing typed;
        for a toggle, its valueOn or valueOff for a yes or no word of either language ("có",
        "tắt", "yes", "off", "true"...), None for anything else."""
        typed = typed.strip()
        if not typed:
            return self.value or ""
        if self.kind != "toggle":
            return typed
        word = unicodedata.normalize("NFC", typed).casefold().strip(" .!")
        if word in _YES or word == self.value_on.casefold():
            return self.value_on
        if word in _NO or word == self.value_off.casefold():
            return self.value_off
        return None


@dataclass(slots=True)
class TextCard:
    lines: list[str] = field(default_factory=list)
    buttons: list[TextButton] = field(default_factory=list)
    inputs: list[TextInput] = field(default_factory=list)

    def render(self) -> str:
        out = list(self.lines)
        if self.inputs:
            out.append("")
            for item in self.inputs:
                shown = f"[{item.id}] {item.label}:"
                if value := item.shown():
                    shown += f" {value}"
                out.append(shown)
        if self.buttons:
            out.append("")
            out.append("  ".join(f"[{i}] {b.title}" for i, b in enumerate(self.buttons, 1)))
        return "\n".join(out)


def _text_of(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if kind == "TextBlock":  # its Markdown emphasis does not show in a terminal
        return str(node.get("text", "")).replace("**", "")
    if kind == "RichTextBlock":
        return "".join(
            run if isinstance(run, str) else str(run.get("text", ""))
            for run in node.get("inlines", [])
        )
    return ""


def _is_text(node: Mapping[str, Any]) -> bool:
    return node.get("type") in ("TextBlock", "RichTextBlock")


class _Renderer:
    def __init__(self) -> None:
        self.result = TextCard()

    def card(self, node: Mapping[str, Any]) -> None:
        self.items(node.get("body", []))
        self.actions(node.get("actions", []))

    def items(self, items: list[Any], indent: str = "") -> None:
        for item in items:
            if isinstance(item, Mapping) and item.get("isVisible", True) is not False:
                self.element(item, indent)

    def actions(self, actions: list[Any]) -> None:
        for action in actions:
            if not isinstance(action, Mapping):
                continue
            kind = action.get("type")
            title = str(action.get("title", ""))
            if kind == "Action.OpenUrl":
                self.result.buttons.append(TextButton(title, {"url": action.get("url")}, False))
            elif kind == "Action.ShowCard":
                self.result.buttons.append(TextButton(title, {}, False))
            elif kind in ("Action.Execute", "Action.Submit"):
                raw = action.get("data")
                data = dict(raw) if isinstance(raw, Mapping) else {}
                if "verb" not in data and isinstance(action.get("verb"), str):
                    data["verb"] = action["verb"]
                sends = action.get("associatedInputs", "auto") != "none"
                self.result.buttons.append(TextButton(title, data, sends))

    def row(self, cells: list[list[Any]], indent: str) -> None:
        """One line for a ColumnSet or TableRow: cell texts separated by " | "."""
        parts = []
        for cell in cells:
            texts = [_text_of(i) for i in cell if isinstance(i, Mapping) and _is_text(i)]
            parts.append(" · ".join(t for t in texts if t))
        line = " | ".join(parts).rstrip()
        if line.strip(" |"):
            self.result.lines.append(indent + line)
        for cell in cells:  # anything that is not text inside the cells
            self.items([i for i in cell if isinstance(i, Mapping) and not _is_text(i)], indent)

    def element(self, node: Mapping[str, Any], indent: str) -> None:
        kind = node.get("type")
        lines = self.result.lines
        if kind in ("TextBlock", "RichTextBlock"):
            if node.get("separator"):
                lines.append("")
            lines.extend(indent + line for line in _text_of(node).splitlines() or [""])
        elif kind == "FactSet":
            facts = [f for f in node.get("facts", []) if isinstance(f, Mapping)]
            width = max((len(str(f.get("title", ""))) for f in facts), default=0) + 1
            for fact in facts:
                label = f"{fact.get('title', '')}:"
                lines.append(f"{indent}{label:<{width}} {fact.get('value', '')}".rstrip())
        elif kind == "ColumnSet":
            columns = [c for c in node.get("columns", []) if isinstance(c, Mapping)]
            self.row([list(c.get("items", [])) for c in columns], indent)
        elif kind == "Container":
            self.items(node.get("items", []), indent)
        elif kind == "Table":
            for row in node.get("rows", []):
                if isinstance(row, Mapping):
                    cells = [c for c in row.get("cells", []) if isinstance(c, Mapping)]
                    self.row([list(c.get("items", [])) for c in cells], indent)
        elif kind == "ActionSet":
            self.actions(node.get("actions", []))
        elif kind == "Input.Toggle":
            on, off = str(node.get("valueOn", "true")), str(node.get("valueOff", "false"))
            self.result.inputs.append(
                TextInput(
                    str(node.get("id", "")),
                    str(node.get("label") or node.get("title", "")),
                    "toggle",
                    str(node.get("value", off)),
                    on,
                    off,
                )
            )
        elif kind is not None and str(kind).startswith("Input."):
            value = node.get("value")
            self.result.inputs.append(
                TextInput(
                    str(node.get("id", "")),
                    str(node.get("label") or node.get("placeholder") or node.get("id", "")),
                    "text",
                    None if value is None else str(value),
                )
            )
        elif kind == "Image":
            lines.append(indent + t("[image: {description}]", description=node.get("altText", "")))
        elif kind == "ImageSet":
            self.items(node.get("images", []), indent)


def render_text(card: dict[str, Any]) -> TextCard:
    """The card's text, inputs and buttons, in document order (body first, then actions)."""
    renderer = _Renderer()
    renderer.card(card)
    return renderer.result
