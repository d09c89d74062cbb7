"""What a card button sends, checked once, before any handler sees it.

A button press arrives as an Action.Execute invoke (``value.action{type, verb, data}``) or as an
Action.Submit message (``activity.value``, the button's data plus the card's inputs). Either way
its data is checked by one model, `CardData`: one pydantic model per verb (cards/actions.py
documents each verb's data), a union discriminated on ``verb``. Every field is bounded; fields a
verb does not use are ignored. The answer is the typed press, an `UnknownButton` (a verb this bot
does not have) or a `BadButton` saying which field was wrong and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import ErrorDetails

from cards import actions as verbs
from credits.i18n import N_, Lang, current, fmt_number, t
from credits.text import clean_name
from dialogs.admins_data import AdminConfirm, AdminPick, AdminsPress
from dialogs.caps_data import CapsConfirm, CapsFormPress, CapsPress, CapsReview
from dialogs.card_fields import (
    ALLOWED,
    VERB_MAX,
    Amount,
    Confirm,
    FormPress,
    LegacyKey,
    PressBase,
    Request,
    Scope,
    Seq,
    Toggle,
    TrueFalse,
    Version,
    with_allowed,
)
from dialogs.statement_data import ReceiptPress, StatementPress

_IT_WAS = N_("(it was {kind})")


class BalancePress(PressBase):
    verb: Literal["balance"]


class AddFundsPress(PressBase):
    verb: Literal["add_funds"]


class AddFundsReview(FormPress):
    verb: Literal["add_funds_review"]
    amount: Amount = ""


class AddFundsConfirm(Confirm):
    verb: Literal["add_funds_confirm"]
    amount: Amount


class RechargeFormPress(PressBase):
    verb: Literal["recharge_form"]


class RechargeReview(FormPress):
    verb: Literal["recharge_review"]
    recharge_enabled: Toggle = "false"
    recharge_amount: Amount = ""
    recharge_trigger: Amount = ""


class RechargeConfirm(Confirm):
    verb: Literal["recharge_confirm"]
    enabled: TrueFalse
    amount: Amount = ""
    trigger: Amount = ""
    version: Version


class HistoryPress(PressBase):
    """A page of the history: ``scope`` (absent: all, or the ledger alone for an Older button
    sent before there were scopes, which carries only ``before``), and where an older page
    starts: money entries below ``before``, settings changes below ``before_change``."""

    verb: Literal["history"]
    before: Seq | None = None
    before_change: Seq | None = None
    scope: Scope | None = None


class CancelPress(PressBase):
    verb: Literal["cancel"]
    request: Request | None = None
    key: LegacyKey | None = None  # cards sent before the rename to `request`

    @property
    def request_key(self) -> str | None:
        """The request of the confirm card cancelled; None on a form."""
        return self.request if self.request is not None else self.key


class HelpPress(PressBase):
    verb: Literal["help"]


class UsageConnectPress(PressBase):
    verb: Literal["usage_connect"]


class UsageStatusPress(PressBase):
    verb: Literal["usage_status"]


class UsageCheckPress(PressBase):
    verb: Literal["usage_check"]


AdminPress = (
    BalancePress
    | AddFundsPress
    | AddFundsReview
    | AddFundsConfirm
    | RechargeFormPress
    | RechargeReview
    | RechargeConfirm
    | HistoryPress
    | UsageConnectPress
    | UsageStatusPress
    | UsageCheckPress
    | CapsPress
    | CapsFormPress
    | CapsReview
    | CapsConfirm
    | AdminsPress
    | AdminPick
    | AdminConfirm
    | StatementPress
    | ReceiptPress
)
"""The buttons only billing admins may press."""
Press = AdminPress | CancelPress | HelpPress
CardData = Annotated[Press, Field(discriminator="verb")]
"""Every button this bot has, by verb."""


@dataclass(frozen=True, slots=True)
class UnknownButton:
    """A button with a verb this bot does not have (a card from another version, say)."""

    verb: str


@dataclass(frozen=True, slots=True)
class BadButton:
    """A press whose data cannot be used; `problem` names the field and what is allowed."""

    problem: str


Checked = Press | UnknownButton | BadButton


class _InvokeAction(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    type: str | None = None
    verb: Annotated[str, StringConstraints(max_length=VERB_MAX)] | None = None
    data: dict[str, Any] | None = None


class _InvokeValue(BaseModel):
    """The value of an ``adaptiveCard/action`` invoke."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)
    action: _InvokeAction


@cache
def _card_data() -> TypeAdapter[Press]:
    """The one model of every button's data, built on first use (not at import)."""
    return TypeAdapter(CardData)


def parse_card_data(data: object) -> Checked:
    """The typed press for a button's data (Action.Submit's value, Action.Execute's data)."""
    if not isinstance(data, dict):
        return BadButton(t("the button's data must be an object {was}", was=_was(data)))
    verb = data.get("verb")
    if verb is None:
        return BadButton(with_allowed(t("'{field}' is missing", field="verb"), "verb"))
    if not isinstance(verb, str):
        return BadButton(t("'{field}' must be text {was}", field="verb", was=_was(verb)))
    if verb not in verbs.VERBS:
        return UnknownButton(clean_name(verb, VERB_MAX, "?"))
    try:
        return _card_data().validate_python(data)
    except ValidationError as error:
        return BadButton(_problem(error.errors(include_url=False)[0], skip=1))


def parse_invoke(value: object) -> Checked:
    """The typed press of an ``adaptiveCard/action`` invoke's value: its ``action.data``, whose
    ``verb`` is the action's ``verb`` when the data has none (a card may send no data)."""
    try:
        action = _InvokeValue.model_validate(value).action
    except ValidationError as error:
        return BadButton(_invoke_problem(error.errors(include_url=False)[0]))
    data = dict(action.data or {})
    if action.verb is not None and data.setdefault("verb", action.verb) != action.verb:
        return BadButton(t("the action's 'verb' and its data's 'verb' differ"))
    return parse_card_data(data)


_KINDS = {
    dict: N_("an object"),
    list: N_("a list"),
    str: N_("text"),
    bool: N_("true or false"),
}


def _kind(value: object) -> str:
    if value is None:
        return t("null")
    kind = _KINDS.get(type(value))
    if kind is None:
        kind = N_("a number") if isinstance(value, int | float) else N_("other")
    return t(kind)


def _was(value: object) -> str:
    """``"(it was text)"``."""
    return t(_IT_WAS, kind=_kind(value))


def _problem(error: ErrorDetails, skip: int) -> str:
    """One sentence: which field, what was wrong with it, what is allowed."""
    fields = [str(part) for part in error["loc"][skip:] if isinstance(part, str)]
    field = fields[0] if fields else None
    if error["type"] == "value_error":  # our own checks: the message names the field
        said = str(error.get("ctx", {}).get("error", error["msg"]))
    elif field is None:  # pydantic's own words are English
        said = error["msg"] if current() is Lang.EN else t("the button's data is not valid")
    elif error["type"] == "missing":
        said = t("'{field}' is missing", field=field)
    else:
        said = t("'{field}' is not valid {was}", field=field, was=_was(error.get("input")))
    if field is None or field not in ALLOWED or _says_allowed(said):
        return said
    return with_allowed(said, field)


def _says_allowed(said: str) -> bool:
    return "allowed:" in said or t("allowed:") in said


def _invoke_problem(error: ErrorDetails) -> str:
    loc = [str(part) for part in error["loc"]]
    was = _was(error.get("input"))
    if not loc:
        return t("the invoke's value must be an object with an 'action' {was}", was=was)
    if loc == ["action"]:
        if error["type"] == "missing":
            return t("the invoke has no 'action' (allowed: an object with a 'verb' and 'data')")
        return t("'action' must be an object with a 'verb' and 'data' {was}", was=was)
    if loc[1] == "data":
        return t("'data' must be an object {was}", was=was)
    if loc[1] == "verb":
        return t(
            "'verb' must be text of at most {max} characters {was}",
            max=fmt_number(VERB_MAX),
            was=was,
        )
    return t("'{field}' must be text {was}", field=loc[1], was=was)
