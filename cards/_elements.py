"""Small builders for Adaptive Card 1.5 elements, and the formatting the cards share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from typing import Any, Literal

from babel.numbers import format_decimal, get_decimal_symbol

from credits.i18n import Lang, current, fmt_number, t
from credits.i18n import fmt_date as fmt_date  # the cards' dates are Babel's, by language
from credits.i18n import fmt_datetime as fmt_datetime
from credits.money import AmountLimits, Currency, Money

Element = dict[str, Any]
Card = dict[str, Any]
Color = Literal["default", "good", "attention", "warning", "accent"]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"


def nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card (or any JSON tree), parent before its children, in document order:
    body, items, columns, actions, their data... The one walker over a card's tree."""
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from nodes(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from nodes(item)


def card(body: Iterable[Element], actions: Iterable[Element] = ()) -> Card:
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": [element for element in body],
        "actions": [action for action in actions],
    }


def heading(text: str, *, color: Color = "default") -> Element:
    block: Element = {
        "type": "TextBlock",
        "text": text,
        "style": "heading",
        "size": "Medium",
        "weight": "Bolder",
        "wrap": True,
    }
    if color != "default":
        block["color"] = color.capitalize()
    return block


def text(
    value: str,
    *,
    color: Color = "default",
    subtle: bool = False,
    size: str | None = None,
    weight: str | None = None,
    spacing: str | None = None,
    align: str | None = None,
) -> Element:
    block: Element = {"type": "TextBlock", "text": value, "wrap": True}
    if color != "default":
        block["color"] = color.capitalize()
    if subtle:
        block["isSubtle"] = True
    if size is not None:
        block["size"] = size
    if weight is not None:
        block["weight"] = weight
    if spacing is not None:
        block["spacing"] = spacing
    if align is not None:
        block["horizontalAlignment"] = align
    return block


def facts(pairs: Iterable[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def action_set(actions: Sequence[Element]) -> Element:
    return {"type": "ActionSet", "actions": list(actions)}


def column(items: Sequence[Element], width: str | int = "stretch") -> Element:
    return {"type": "Column", "width": width, "items": list(items)}


def column_set(columns: Sequence[Element], *, separator: bool = False) -> Element:
    element: Element = {"type": "ColumnSet", "columns": list(columns), "spacing": "Small"}
    if separator:
        element["separator"] = True
    return element


# --------------------------------------------------------------------------- formatting


def fmt_signed(money: Money) -> str:
    """``"+$50.00"``, ``"-$3.20"``, ``"$0.00"``."""
    return f"+{money.format()}" if money.is_positive else money.format()


def _bounds(limits: AmountLimits, cur: Currency) -> tuple[Money, Money]:
    context = Context(prec=64)
    low = limits.minimum.quantize(cur.quantum, rounding=ROUND_CEILING, context=context)
    high = limits.maximum.quantize(cur.quantum, rounding=ROUND_FLOOR, context=context)
    return Money(low, cur), Money(high, cur)


def amount_range(limits: AmountLimits, cur: Currency) -> str:
    """``"from $10.00 to $10,000.00"``: the same bounds as ``limits.describe(cur)``."""
    low, high = _bounds(limits, cur)
    return t("from {low} to {high}", low=low.format(), high=high.format())


def _typed(value: Decimal, exponent: int, *, grouped: bool, lang: Lang | None = None) -> str:
    """``value`` written the way a person of ``lang`` (default: the current language) types it:
    its decimal mark, ``exponent`` decimals, with or without the group separator."""
    digits = "#,##0" if grouped else "0"
    pattern = digits + ("." + "0" * exponent if exponent else "")
    return str(format_decimal(value, format=pattern, locale=(lang or current()).babel))


def _machine_like(lang: Lang | None = None) -> bool:
    """True when the language (default: the current one) writes decimals as the machine form
    does (``"1000.50"``)."""
    return str(get_decimal_symbol((lang or current()).babel)) == "."


def input_value(money: Money | None, lang: Lang | None = None) -> str:
    """What a card's amount input is prefilled with in ``lang`` (default: the current
    language): :meth:`Money.plain` (``"100.00"``) where the language writes decimals with
    ``"."``, else the same digits with the language's decimal mark and no grouping
    (``"100,00"`` in Vietnamese), the shape its card parser reads. A form is read back in the
    language it was written in (its Review button's ``lang``), whoever presses it."""
    if money is None:
        return ""
    if _machine_like(lang):
        return money.plain()
    return _typed(money.amount, money.currency.exponent, grouped=False, lang=lang)


def example_amount(cur: Currency, limits: AmountLimits, preferred: int) -> str:
    """A placeholder such as ``"e.g. 50"`` that lies within ``limits`` where possible. Where
    the language writes numbers unlike the machine form, a second example shows its separators
    (``"ví dụ 50 hoặc 1.000,50"``)."""
    value = Decimal(preferred)
    if value < limits.minimum or value > limits.maximum:
        value = limits.minimum.quantize(Decimal(1), rounding=ROUND_CEILING)
        if value <= 0:
            value = Decimal(1)
    amount = fmt_number(value)
    if _machine_like():
        return t("e.g. {amount}", amount=amount)
    other = Decimal(1000) + (Decimal("0.5") if cur.exponent else 0)
    shown = _typed(other, cur.exponent, grouped=True)
    if not limits.minimum <= other <= limits.maximum or shown == amount:
        return t("e.g. {amount}", amount=amount)
    return t("e.g. {amount} or {other}", amount=amount, other=shown)
