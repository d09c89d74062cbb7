"""The identity fields of an activity coming in at POST /api/messages, checked once at the edge.

Ids end up in the store (tenant, conversation and user ids, the redelivery key, conversation
references for alerts) and in URLs to the channel, so the ones an activity carries are checked by
one typed model, `ActivityIds`, before any turn runs or anything is stored: an id holding a NUL,
a control character or an unpaired surrogate (JSON "\\ud800"), or longer than where it is kept,
refuses the request with a 400 that names the field and says what is allowed (`ids_problem`).
A field that is absent, null or empty is left to the turn, as before.

Display names (from.name, recipient.name, conversation.name) are not refused but cleaned on the
deserialised activity (`clean_names`), so the turn goes on with a name fit to store and show.

The model reads only the fields it declares from the already parsed body, and the checks are
`credits.text.text_problem` on short strings: cheap enough to run on every turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from botbuilder.schema import Activity
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from credits.text import (
    CONVERSATION_ID_MAX,
    NAME_MAX,
    TENANT_ID_MAX,
    USER_ID_MAX,
    clean_name,
    text_problem,
)

# fields that are not kept in a column of their own: generous limits, far above what Teams sends
ACTIVITY_ID_MAX = 1000  # id, replyToId (the redelivery key is a hash of the whole id)
ACCOUNT_ID_MAX = 1000  # from.id (with an aadObjectId, or with authentication), recipient.id
CHANNEL_ID_MAX = 100  # "msteams", "emulator", "webchat", ...
SERVICE_URL_MAX = 2048
_IDENTITY = "identity"
_WHEN_ACTOR = " (without an aadObjectId, from.id is the user id)"


def _problem(problem: str, field: str | None = None) -> PydanticCustomError:
    context = {"problem": problem} if field is None else {"problem": problem, "field": field}
    return PydanticCustomError(_IDENTITY, "{problem}", context)


def _identity(max_len: int, value: object) -> object:
    """None for an absent or empty id; the id when it can be stored and sent as it is."""
    if value is None or value == "":
        return None
    problem = text_problem(value, max_len)
    if problem is not None:
        raise _problem(problem)
    return value


def _url(value: object) -> object:
    checked = _identity(SERVICE_URL_MAX, value)
    if isinstance(checked, str):
        parts = urlsplit(checked)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _problem("must be an http or https URL")
    return checked


ActivityId = Annotated[str | None, BeforeValidator(partial(_identity, ACTIVITY_ID_MAX))]
AccountId = Annotated[str | None, BeforeValidator(partial(_identity, ACCOUNT_ID_MAX))]
UserId = Annotated[str | None, BeforeValidator(partial(_identity, USER_ID_MAX))]
TenantId = Annotated[str | None, BeforeValidator(partial(_identity, TENANT_ID_MAX))]
ConversationId = Annotated[str | None, BeforeValidator(partial(_identity, CONVERSATION_ID_MAX))]
ChannelId = Annotated[str | None, BeforeValidator(partial(_identity, CHANNEL_ID_MAX))]
ServiceUrl = Annotated[str | None, BeforeValidator(_url)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Account(_Part):
    id: AccountId = None


class _Sender(_Part):
    id: AccountId = None
    aad_object_id: UserId = Field(default=None, alias="aadObjectId")

    @model_validator(mode="after")
    def _actor_id_fits(self, info: ValidationInfo) -> Self:
        """Unauthenticated, without an aadObjectId, from.id is the actor id (bot/teams.py)."""
        local = isinstance(info.context, EdgeContext) and info.context.local_mode
        if local and self.aad_object_id is None and self.id is not None:
            problem = text_problem(self.id, USER_ID_MAX)
            if problem is not None:
                raise _problem(problem + _WHEN_ACTOR, field="id")
        return self


class _Conversation(_Part):
    id: ConversationId = None
    tenant_id: TenantId = Field(default=None, alias="tenantId")  # as Teams sends it
    tenant_id_upper: TenantId = Field(default=None, alias="tenantID")  # as botbuilder writes it


class _Tenant(_Part):
    id: TenantId = None


class _ChannelData(_Part):
    tenant: _Tenant | None = None


@dataclass(frozen=True, slots=True)
class EdgeContext:
    """How the host runs: in local mode (no MicrosoftAppId) from.id can be the actor id."""

    local_mode: bool


class ActivityIds(_Part):
    """The identity fields of an incoming activity; every other field is ignored here."""

    id: ActivityId = None
    reply_to_id: ActivityId = Field(default=None, alias="replyToId")
    channel_id: ChannelId = Field(default=None, alias="channelId")
    service_url: ServiceUrl = Field(default=None, alias="serviceUrl")
    conversation: _Conversation | None = None
    channel_data: _ChannelData | None = Field(default=None, alias="channelData")
    sender: _Sender | None = Field(default=None, alias="from")
    recipient: _Account | None = None


def _describe(error: ErrorDetails) -> str:
    path = [str(part) for part in error["loc"]]
    context = error.get("ctx") or {}
    if error["type"] == _IDENTITY:
        if "field" in context:
            path.append(str(context["field"]))
        problem = str(context["problem"])
    elif error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        problem = "must be an object"
    else:  # no other error is expected: every field is checked by `_identity`
        problem = error["msg"]
    return f"'{'.'.join(path)}' {problem}"


def ids_problem(body: dict[str, Any], *, local_mode: bool) -> str | None:
    """Why the identity fields of this raw activity cannot be taken in, or None if they can."""
    try:
        ActivityIds.model_validate(body, context=EdgeContext(local_mode=local_mode))
    except ValidationError as error:
        return "; ".join(_describe(detail) for detail in error.errors(include_url=False))
    return None


def clean_names(activity: Activity) -> None:
    """Display names without control characters, unpaired surrogates or runs of white space."""
    for account in (activity.from_property, activity.recipient, activity.conversation):
        name = getattr(account, "name", None)
        if name is not None:
            account.name = clean_name(name, NAME_MAX)
