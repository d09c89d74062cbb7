"""The fields of card buttons' data and the base models of a press, shared by every module
that defines presses (dialogs/card_data.py and the areas' own, which it joins into one union).
Each field a button may send has its bounds here and a sentence saying what it allows."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from credits.i18n import N_, Lang, fmt_number, t
from credits.text import checked

AMOUNT_MAX = 32  # the forms' Input.Text maxLength
REQUEST_MAX = 150  # the store's idempotency keys
SIG_MAX = 64
INT64_MAX = 2**63 - 1
VERB_MAX = 40
PERSON_MAX = 100  # a Microsoft Entra object id, as the store keeps it
NAME_MAX = 200

_TEXT_ID = N_("text of 1 to {max} characters, without control characters")
_TRUE_FALSE = N_('"true" or "false"')
ALLOWED = {
    "verb": N_("the name of one of this bot's buttons"),
    "amount": N_('an amount as text, e.g. "50", of at most {max} characters'),
    "trigger": N_('an amount as text, e.g. "20", or "", of at most {max} characters'),
    "request": _TEXT_ID,
    "key": _TEXT_ID,
    "sig": N_("the card's signature: hexadecimal, at most {max} characters"),
    "version": N_("a whole number from 0 to {max}"),
    "before": N_("a whole number from 1 to {max}"),
    "before_change": N_("a whole number from 1 to {max}"),
    "scope": N_('what the history shows: "all", "money" or "settings"'),
    "enabled": _TRUE_FALSE,
    "recharge_enabled": _TRUE_FALSE,
    "recharge_amount": N_('an amount as text, e.g. "100", of at most {max} characters'),
    "recharge_trigger": N_('an amount as text, e.g. "20", of at most {max} characters'),
    "lang": N_('the language the form is written in: "en" or "vi"'),
    "per_day": N_('a number of recharges a day as text, e.g. "3", or ""'),
    "monthly_cap": N_('an amount as text, e.g. "500", or "", of at most {max} characters'),
    "max_recharge": N_('an amount as text, e.g. "150", or "", of at most {max} characters'),
    "clear_monthly_cap": _TRUE_FALSE,
    "clear_max_recharge": _TRUE_FALSE,
    "caps_per_day": N_("a number from 1 to 100 as text, of at most {max} characters"),
    "caps_monthly_cap": N_('an amount as text, e.g. "500", or "", of at most {max} characters'),
    "caps_max_recharge": N_('an amount as text, e.g. "150", or "", of at most {max} characters'),
    "change": N_('what the card changes: "grant" or "revoke"'),
    "person": N_("a Microsoft Entra object id: text of 1 to {max} characters"),
    "name": N_("a name of at most {max} characters"),
    "month": N_('a month as "YYYY-MM", e.g. "2026-11", from 2000-01 to 2100-12'),
    "number": N_("a receipt number: a whole number, 1 or more"),  # no 19-digit maximum to read
}
_MAX = {
    "request": REQUEST_MAX,
    "key": REQUEST_MAX,
    "sig": SIG_MAX,
    "person": PERSON_MAX,
    "name": NAME_MAX,
}
_SEMANTIC_MAX = {
    "version": INT64_MAX,
    "before": INT64_MAX,
    "before_change": INT64_MAX,
}


def allowed(field: str) -> str | None:
    """What a field of a button's data may hold, in the turn's language; None for a field no
    button has."""
    message = ALLOWED.get(field)
    if message is None:
        return None
    if field in _SEMANTIC_MAX:  # the whole digits, as in a program (no grouping)
        return t(message, max=str(_SEMANTIC_MAX[field]))
    return t(message, max=fmt_number(_MAX.get(field, AMOUNT_MAX)))


def with_allowed(said: str, field: str) -> str:
    """``"<said>; allowed: <what>"``."""
    return t("{said}; allowed: {allowed}", said=said, allowed=allowed(field))


def _request(value: str) -> str:
    return checked(value, "request", REQUEST_MAX)


def _legacy_key(value: str) -> str:
    return checked(value, "key", REQUEST_MAX)


def _toggle(value: object) -> object:
    """An Input.Toggle's value; typed at a terminal it may come in another case."""
    return value.strip().lower() if isinstance(value, str) else value


Amount = Annotated[str, StringConstraints(max_length=AMOUNT_MAX)]
Request = Annotated[str, AfterValidator(_request)]
LegacyKey = Annotated[str, AfterValidator(_legacy_key)]
Sig = Annotated[str, StringConstraints(pattern=rf"^[0-9a-f]{{1,{SIG_MAX}}}$")]
Version = Annotated[int, Field(ge=0, le=INT64_MAX)]
Seq = Annotated[int, Field(ge=1, le=INT64_MAX)]
Scope = Literal["all", "money", "settings"]  # the values of credits.models.HistoryScope
TrueFalse = Literal["true", "false"]
Toggle = Annotated[TrueFalse, BeforeValidator(_toggle)]
FormLang = Literal["en", "vi"]  # the values of credits.i18n.Lang


class PressBase(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class FormPress(PressBase):
    """A form's Review button: ``lang`` is the language the form was written in, whose number
    convention reads what was typed into it. Absent: an English form (English forms carry
    none, and every card sent before there was another language was English), or a quick
    amount, whose data are machine values."""

    lang: FormLang | None = None

    @property
    def form_lang(self) -> Lang:
        """The convention of the form's inputs: its own language, else English."""
        return Lang(self.lang) if self.lang is not None else Lang.EN


class Confirm(PressBase):
    """A confirm button: the request (its idempotency key) and a signature of its data."""

    request: Request | None = None
    key: LegacyKey | None = None  # cards sent before the rename to `request`
    sig: Sig | None = None

    @model_validator(mode="after")
    def _has_request(self) -> Confirm:
        if self.request is None and self.key is None:
            raise ValueError(with_allowed(t("'{field}' is missing", field="request"), "request"))
        return self

    @property
    def request_key(self) -> str:
        found = self.request if self.request is not None else self.key
        assert found is not None  # _has_request checked it
        return found

    def signed_data(self) -> dict[str, Any]:
        """The data the signature covers: the button's data as the card carried it."""
        return self.model_dump(exclude_unset=True, exclude={"sig"})
