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

TENANT_ID_MAX = 100
USER_ID_MAX = 100  # AAD object ids, channel account ids (actor_id, admins.aad_object_id)
NAME_MAX = 200  # display names (actor_name, admins.name)
CONVERSATION_ID_MAX = 500  # subscriptions.conversation_id
RECORD_ID_MAX = 200  # usage_records.record_id
UPN_MAX = 200  # stored as the usage entry's actor name too
SHORT_TEXT_MAX = 100  # licenseCapability, callType, destinationContext

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def text_problem(value: object, max_len: int) -> str | None:
    """Why `value` cannot be stored as an identifier of at most `max_len` characters, or None."""
    if not isinstance(value, str):
        return "must be text"
    if not value.strip():
        return "must not be empty"
    if len(value) > max_len:
        return f"must be at most {max_len} characters (it has {len(value)})"
    if "\x00" in value:
        return "must not contain a NUL character"
    if _SURROGATE.search(value):
        return "must be valid Unicode (it has an unpaired surrogate)"
    if _CONTROL.search(value):
        return "must not contain control characters"
    return None


def checked(value: object, name: str, max_len: int) -> str:
    """`value` as an identifier, stripped; ValidationError naming `name` and what is allowed."""
    problem = text_problem(value, max_len)
    if problem is not None:
        raise ValidationError(f"'{name}' {problem}")
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
