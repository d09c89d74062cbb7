"""Text from outside (ids, names, user principal names): checked once, where it comes in.

Identifiers (tenant, conversation, user and record ids, UPNs) are refused when they cannot be
stored as they are: empty, longer than the store's column, or holding a NUL, another control
character or an unpaired surrogate (text that is not valid Unicode; PostgreSQL refuses NUL and
every UTF-8 encoder refuses surrogates). Display names are not refused but cleaned: such
characters dropped, white space collapsed, cut to length.

The limits are the store's column sizes (credits/schema.py).
"""

from __future__ import annotations

import re
import unicodedata

from credits.errors import ValidationError
from credits.i18n import N_, Lang, current, fmt_number, t

TENANT_ID_MAX = 100
USER_ID_MAX = 100  # AAD object ids, channel account ids (actor_id, admins.aad_object_id)
NAME_MAX = 200  # display names (actor_name, admins.name)
CONVERSATION_ID_MAX = 500  # subscriptions.conversation_id
RECORD_ID_MAX = 200  # usage_records.record_id
UPN_MAX = 200  # stored as the usage entry's actor name too
SHORT_TEXT_MAX = 100  # licenseCapability, callType, destinationContext

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


# Why a text cannot be stored: as a reason (English, for logs and the HTTP APIs) and as a
# sentence naming the field, translated where it is raised.
_REASONS = {
    "text": "must be text",
    "empty": "must not be empty",
    "long": "must be at most {max} characters (it has {n})",
    "nul": "must not contain a NUL character",
    "surrogate": "must be valid Unicode (it has an unpaired surrogate)",
    "control": "must not contain control characters",
}
_SENTENCES = {
    "text": N_("'{name}' must be text"),
    "empty": N_("'{name}' must not be empty"),
    "long": N_("'{name}' must be at most {max} characters (it has {n})"),
    "nul": N_("'{name}' must not contain a NUL character"),
    "surrogate": N_("'{name}' must be valid Unicode (it has an unpaired surrogate)"),
    "control": N_("'{name}' must not contain control characters"),
}


def _problem_kind(value: object, max_len: int) -> str | None:
    if not isinstance(value, str):
        return "text"
    if not value.strip():
        return "empty"
    if len(value) > max_len:
        return "long"
    if "\x00" in value:
        return "nul"
    if _SURROGATE.search(value):
        return "surrogate"
    if _CONTROL.search(value):
        return "control"
    return None


def text_problem(value: object, max_len: int) -> str | None:
    """Why `value` cannot be stored as an identifier of at most `max_len` characters, or None
    (in English: a reason for logs and the HTTP APIs)."""
    kind = _problem_kind(value, max_len)
    if kind is None:
        return None
    size = len(value) if isinstance(value, str) else 0
    return _REASONS[kind].format(max=max_len, n=size)


def _count(n: int) -> str:
    """A count in a sentence: as a program writes it in English (unchanged), else Babel's."""
    return str(n) if current() is Lang.EN else fmt_number(n)


def checked(value: object, name: str, max_len: int) -> str:
    """`value` as an identifier, stripped; ValidationError naming `name` and what is allowed,
    in the language of the moment."""
    kind = _problem_kind(value, max_len)
    if kind is not None:
        size = len(value) if isinstance(value, str) else 0
        sentence = t(_SENTENCES[kind], name=name, max=_count(max_len), n=_count(size))
        raise ValidationError(sentence)
    assert isinstance(value, str)
    return value.strip()


def clean_name(value: object, max_len: int = NAME_MAX, default: str = "") -> str:
    """A display name fit to store and show: control characters, unpaired surrogates and
    format characters dropped, white space collapsed, at most `max_len` characters."""
    if not isinstance(value, str):
        return default
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in _SURROGATE.sub("", value)
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )
    cleaned = " ".join(kept.split())[:max_len].strip()
    return cleaned or default
