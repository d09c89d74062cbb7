"""A compact checker for the Adaptive Card 1.5 rules our cards rely on (and Teams enforces)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

__all__ = ["MAX_CARD_BYTES", "card_size", "validate_card"]

MAX_CARD_BYTES = 28_000
"""Teams refuses messages over about 28 KB; a card must leave room for the activity around it."""

ELEMENTS = frozenset(
    {
        "TextBlock",
        "RichTextBlock",
        "Image",
        "Media",
        "ActionSet",
        "Container",
        "ColumnSet",
        "FactSet",
        "ImageSet",
        "Table",
        "Input.Text",
        "Input.Number",
        "Input.Date",
        "Input.Time",
        "Input.Toggle",
        "Input.ChoiceSet",
    }
)
ACTIONS = frozenset(
    {
        "Action.Execute",
        "Action.Submit",
        "Action.OpenUrl",
        "Action.ShowCard",
        "Action.ToggleVisibility",
    }
)

_SPACING = {"none", "small", "default", "medium", "large", "extralarge", "padding"}
_ENUMS: dict[str, set[str]] = {
    "size": {"default", "small", "medium", "large", "extralarge"},
    "weight": {"default", "lighter", "bolder"},
    "color": {"default", "dark", "light", "accent", "good", "warning", "attention"},
    "fontType": {"default", "monospace"},
    "spacing": _SPACING,
    "horizontalAlignment": {"left", "center", "right"},
    "verticalContentAlignment": {"top", "center", "bottom"},
    "associatedInputs": {"auto", "none"},
    "height": {"auto", "stretch"},
}
_STYLES: dict[str, set[str]] = {
    "TextBlock": {"default", "heading"},
    "Container": {"default", "emphasis", "good", "attention", "warning", "accent"},
    "Column": {"default", "emphasis", "good", "attention", "warning", "accent"},
    "ColumnSet": {"default", "emphasis", "good", "attention", "warning", "accent"},
    "Table": {"default", "emphasis", "good", "attention", "warning", "accent"},
    "TableCell": {"default", "emphasis", "good", "attention", "warning", "accent"},
    "Image": {"default", "person"},
    "Input.Text": {"text", "tel", "url", "email", "password"},
    "Input.ChoiceSet": {"compact", "expanded", "filtered"},
    **{a: {"default", "positive", "destructive"} for a in ACTIONS},
}
_BOOLS = ("wrap", "isSubtle", "separator", "isRequired", "isVisible", "isMultiline")

RESERVED_DATA_NAMES = {
    "key": (
        "the Adaptive Cards JS SDK (Agents Playground, web clients) writes its own 'key' property "
        "into the data on every press, and throws on a frozen card, so the button does nothing"
    ),
}
"""Action data names that a client's renderer claims for itself (found in the Agents Playground
0.2.28: pressing a button whose data has 'key' raises "Cannot assign to read only property 'key'"
in the page and sends nothing)."""


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.ids: set[str] = set()

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    # ----------------------------------------------------------------- shared

    def common(self, node: Mapping[str, Any], kind: str, where: str) -> None:
        for name, allowed in _ENUMS.items():
            value = node.get(name)
            if value is not None and (not isinstance(value, str) or value.lower() not in allowed):
                self.add(where, f"{name} {value!r} is not allowed")
        style = node.get("style")
        if style is not None:
            styles = _STYLES.get(kind, set())
            if not isinstance(style, str) or style.lower() not in styles:
                self.add(where, f"style {style!r} is not allowed on {kind}")
        for name in _BOOLS:
            if name in node and not isinstance(node[name], bool):
                self.add(where, f"{name} must be true or false")
        ident = node.get("id")
        if ident is not None:
            if not isinstance(ident, str) or not ident:
                self.add(where, "id must be a non-empty string")
            elif ident in self.ids:
                self.add(where, f"duplicate id {ident!r}")
            else:
                self.ids.add(ident)
        if "selectAction" in node:
            self.action(node["selectAction"], f"{where}.selectAction", select=True)

    def string(self, node: Mapping[str, Any], name: str, where: str) -> None:
        if not isinstance(node.get(name), str) or not node[name].strip():
            self.add(where, f"{name} is required and must be a non-empty string")

    def list_of(
        self, node: Mapping[str, Any], name: str, where: str, *, required: bool = True
    ) -> list[Any]:
        value = node.get(name)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.add(where, f"{name} must be a list")
            return []
        return value

    # ----------------------------------------------------------------- cards

    def card(self, node: Any, where: str) -> None:
        if not isinstance(node, Mapping):
            self.add(where, "a card must be an object")
            return
        if node.get("type") != "AdaptiveCard":
            self.add(where, "type must be 'AdaptiveCard'")
        if where == "card":
            if node.get("version") != "1.5":
                self.add(where, "version must be '1.5'")
            if node.get("$schema") != "http://adaptivecards.io/schemas/adaptive-card.json":
                self.add(where, "$schema must be the Adaptive Card schema")
        self.elements(self.list_of(node, "body", where, required=False), f"{where}.body")
        for i, action in enumerate(self.list_of(node, "actions", where, required=False)):
            self.action(action, f"{where}.actions[{i}]")

    def elements(self, items: list[Any], where: str) -> None:
        for i, item in enumerate(items):
            self.element(item, f"{where}[{i}]")

    def element(self, node: Any, where: str) -> None:
        if not isinstance(node, Mapping):
            self.add(where, "an element must be an object")
            return
        kind = node.get("type")
        if kind not in ELEMENTS:
            self.add(where, f"unknown element type {kind!r}")
            return
        where = f"{where}({kind})"
        self.common(node, kind, where)
        check = self.CHECKS.get(kind)
        if check is not None:
            check(self, node, where)

    def action(self, node: Any, where: str, *, select: bool = False) -> None:
        if not isinstance(node, Mapping):
            self.add(where, "an action must be an object")
            return
        kind = node.get("type")
        if kind not in ACTIONS or (select and kind == "Action.ShowCard"):
            self.add(where, f"unknown or unsupported action type {kind!r}")
            return
        where = f"{where}({kind})"
        self.common(node, kind, where)
        if not select:
            self.string(node, "title", where)
        if kind == "Action.OpenUrl":
            self.string(node, "url", where)
        elif kind == "Action.ShowCard":
            self.card(node.get("card"), f"{where}.card")
        elif kind == "Action.ToggleVisibility":
            self.list_of(node, "targetElements", where)
        elif "data" in node:
            try:
                json.dumps(node["data"], allow_nan=False)
            except (TypeError, ValueError) as error:
                self.add(where, f"data is not JSON-serialisable ({error})")
            if kind == "Action.Execute" and not isinstance(node["data"], Mapping | str):
                self.add(where, "data must be an object or a string")
            if isinstance(node["data"], Mapping):
                for name in RESERVED_DATA_NAMES.keys() & set(node["data"]):
                    self.add(
                        where, f"data field {name!r} breaks clients: {RESERVED_DATA_NAMES[name]}"
                    )
        if "verb" in node and not isinstance(node["verb"], str):
            self.add(where, "verb must be a string")

    # ----------------------------------------------------------------- elements

    def _text_block(self, node: Mapping[str, Any], where: str) -> None:
        self.string(node, "text", where)

    def _rich_text(self, node: Mapping[str, Any], where: str) -> None:
        for i, run in enumerate(self.list_of(node, "inlines", where)):
            if isinstance(run, str):
                continue
            at = f"{where}.inlines[{i}]"
            if not isinstance(run, Mapping) or run.get("type") != "TextRun":
                self.add(at, "inlines must be TextRun objects or strings")
                continue
            self.common(run, "TextRun", at)
            if not isinstance(run.get("text"), str):
                self.add(at, "text is required")

    def _image(self, node: Mapping[str, Any], where: str) -> None:
        self.string(node, "url", where)

    def _image_set(self, node: Mapping[str, Any], where: str) -> None:
        for i, image in enumerate(self.list_of(node, "images", where)):
            if isinstance(image, Mapping) and image.get("type") == "Image":
                self.element(image, f"{where}.images[{i}]")
            else:
                self.add(f"{where}.images[{i}]", "must be an Image")

    def _media(self, node: Mapping[str, Any], where: str) -> None:
        sources = self.list_of(node, "sources", where)
        if not sources or not all(isinstance(s, Mapping) and s.get("url") for s in sources):
            self.add(where, "sources must be a non-empty list with url each")

    def _action_set(self, node: Mapping[str, Any], where: str) -> None:
        for i, action in enumerate(self.list_of(node, "actions", where)):
            self.action(action, f"{where}.actions[{i}]")

    def _container(self, node: Mapping[str, Any], where: str) -> None:
        self.elements(self.list_of(node, "items", where), f"{where}.items")

    def _column_set(self, node: Mapping[str, Any], where: str) -> None:
        for i, col in enumerate(self.list_of(node, "columns", where, required=False)):
            at = f"{where}.columns[{i}]"
            if not isinstance(col, Mapping) or col.get("type", "Column") != "Column":
                self.add(at, "columns must hold Column objects")
                continue
            at += "(Column)"
            self.common(col, "Column", at)
            self._width(col.get("width"), at)
            self.elements(self.list_of(col, "items", at, required=False), f"{at}.items")

    def _width(self, width: Any, where: str) -> None:
        if width is None or (isinstance(width, int | float) and not isinstance(width, bool)):
            return
        if isinstance(width, str) and (
            width in ("auto", "stretch")
            or (width.endswith("px") and width[:-2].isdigit())
            or width.isdigit()
        ):
            return
        self.add(where, f"width {width!r} is not allowed")

    def _fact_set(self, node: Mapping[str, Any], where: str) -> None:
        found = self.list_of(node, "facts", where)
        if not found:
            self.add(where, "facts must not be empty")
        for i, fact in enumerate(found):
            if not isinstance(fact, Mapping) or fact.get("type", "Fact") != "Fact":
                self.add(f"{where}.facts[{i}]", "must be a Fact")
                continue
            for name in ("title", "value"):
                if not isinstance(fact.get(name), str):
                    self.add(f"{where}.facts[{i}]", f"{name} must be a string")

    def _table(self, node: Mapping[str, Any], where: str) -> None:
        columns = self.list_of(node, "columns", where, required=False)
        for i, col in enumerate(columns):
            if not isinstance(col, Mapping):
                self.add(f"{where}.columns[{i}]", "must be an object")
            else:
                self._width(col.get("width"), f"{where}.columns[{i}]")
        for r, row in enumerate(self.list_of(node, "rows", where, required=False)):
            at = f"{where}.rows[{r}]"
            if not isinstance(row, Mapping) or row.get("type") != "TableRow":
                self.add(at, "rows must hold TableRow objects")
                continue
            self.common(row, "TableRow", at)
            cells = self.list_of(row, "cells", at, required=False)
            if columns and len(cells) > len(columns):
                self.add(at, "more cells than columns")
            for c, cell in enumerate(cells):
                cat = f"{at}.cells[{c}]"
                if not isinstance(cell, Mapping) or cell.get("type") != "TableCell":
                    self.add(cat, "cells must hold TableCell objects")
                    continue
                self.common(cell, "TableCell", cat)
                self.elements(self.list_of(cell, "items", cat), f"{cat}.items")

    def _input(self, node: Mapping[str, Any], where: str) -> None:
        self.string(node, "id", where)
        for name in ("label", "placeholder", "errorMessage"):
            if name in node and not isinstance(node[name], str):
                self.add(where, f"{name} must be a string")

    def _input_text(self, node: Mapping[str, Any], where: str) -> None:
        self._input(node, where)
        if "value" in node and not isinstance(node["value"], str):
            self.add(where, "value must be a string")
        if "maxLength" in node and not isinstance(node["maxLength"], int):
            self.add(where, "maxLength must be a number")

    def _input_toggle(self, node: Mapping[str, Any], where: str) -> None:
        self._input(node, where)
        self.string(node, "title", where)
        for name in ("value", "valueOn", "valueOff"):
            if name in node and not isinstance(node[name], str):
                self.add(where, f"{name} must be a string")

    def _input_choices(self, node: Mapping[str, Any], where: str) -> None:
        self._input(node, where)
        for i, choice in enumerate(self.list_of(node, "choices", where, required=False)):
            if not (
                isinstance(choice, Mapping)
                and isinstance(choice.get("title"), str)
                and isinstance(choice.get("value"), str)
            ):
                self.add(f"{where}.choices[{i}]", "a choice needs string title and value")

    CHECKS: ClassVar[dict[str, Callable[[_Checker, Mapping[str, Any], str], None]]] = {
        "TextBlock": _text_block,
        "RichTextBlock": _rich_text,
        "Image": _image,
        "ImageSet": _image_set,
        "Media": _media,
        "ActionSet": _action_set,
        "Container": _container,
        "ColumnSet": _column_set,
        "FactSet": _fact_set,
        "Table": _table,
        "Input.Text": _input_text,
        "Input.Number": _input,
        "Input.Date": _input,
        "Input.Time": _input,
        "Input.Toggle": _input_toggle,
        "Input.ChoiceSet": _input_choices,
    }


def card_size(card: Mapping[str, Any]) -> int:
    """Bytes of the card as UTF-8 JSON, as it travels in the activity."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def validate_card(card: dict[str, Any]) -> list[str]:
    """Problems with ``card`` as an Adaptive Card 1.5 for Teams; empty when it is fine."""
    checker = _Checker()
    checker.card(card, "card")
    try:
        size = card_size(card)
    except (TypeError, ValueError) as error:
        checker.add("card", f"is not JSON-serialisable ({error})")
    else:
        if size >= MAX_CARD_BYTES:
            checker.add("card", f"is {size} bytes; it must be under {MAX_CARD_BYTES}")
    return checker.problems
