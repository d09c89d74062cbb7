"""The fields of an activity coming in at POST /api/messages that a turn needs, checked once at
the edge by one typed model, `ActivityIds`, before any turn runs or anything is stored; a problem
refuses the request with a 400 that names the field and says what is allowed (`ids_problem`).

Required, for every activity type (every activity runs `CreditsBot.on_turn`), as the Bot
Framework's activity spec requires channels to send them (A2020, A2060, A2070, A2080, A2300):
`channelId` and `conversation.id` (the conversation state's storage key: botbuilder's
ConversationState raises TypeError without them), `recipient.id` (the bot: replies come from it,
and TurnContext.remove_recipient_mention reads it on every message with text), `from.id` (who
acts: without it nobody can be told apart and a change would be attributed to no one), and
`serviceUrl` (where every reply goes). Absent, null or empty, each is "required". The other ids
(id, replyToId, the tenant ids, from.aadObjectId) may be absent.

Ids end up in the store (tenant, conversation and user ids, the redelivery key, conversation
references for alerts) and in URLs to the channel, so an id holding a NUL, a control character or
an unpaired surrogate (JSON "\\ud800"), or longer than where it is kept, is refused. A conversation
id must also be printable ASCII: botframework copies it into the `x-ms-conversation-id` header of
every reply, which http.client encodes as Latin-1, so a reply to "a:1ệ" failed with a
UnicodeEncodeError and the user got nothing (and past ASCII, header bytes are opaque: RFC 9110
gives them no character set). Every id Teams, the Emulator, Web Chat and the Agents Playground
make is ASCII ("19:…@thread.tacv2", "a:1…", "29:…", "<uuid>|livechat").

Invokes. An invoke must name what it asks for (spec A5401): without a name it is a 400. The only
invoke this bot answers is adaptiveCard/action (its cards' buttons, bot/teams.py); any other name
is refused here with a 400 that says so, deliberately, instead of botbuilder's answers: a 501
with a null body for every name its ActivityHandler does not know (task/fetch, config/fetch,
composeExtension/*, ...), the same 501 for signin/verifyState (this bot has no sign-in, so
on_sign_in_invoke is not overridden), and a failed turn, a 500 with the apology, for
signin/tokenExchange (4.17.1 calls on_teams_signin_token_exchange, which only
TeamsActivityHandler has). botbuilder 4.17.1's ActivityHandler handles no other name (no
healthCheck). The app manifest declares nothing that makes Teams send another invoke, so one
that comes is a request this bot refuses, like any activity it cannot take: a 4xx JSON problem,
never a 5xx (a 5xx is a bug here, and what monitoring counts as one).

After deserialisation `tidy` makes the activity fit for the turn, refusing nothing: display names
(from.name, recipient.name, conversation.name) are cleaned, so a name is fit to store and show;
entities the turn could not read are dropped (the spec: receivers ignore entities they cannot
process, A2104/A2105), that is, a null entity or one without a type, and a mention without a
`mentioned` object with an id, or without its text (botbuilder's remove_recipient_mention failed
on each of them).

The model reads only the fields it declares from the already parsed body, and the checks are
`credits.text.text_problem` on short strings: cheap enough to run on every turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from botbuilder.schema import Activity, ActivityTypes
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
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
CARD_ACTION = "adaptiveCard/action"
"""The one invoke this bot answers (Action.Execute on its cards, bot/teams.py)."""
INVOKE_NAMES = frozenset({CARD_ACTION})
_IDENTITY = "identity"
_REQUIRED = "is required"
_WHEN_ACTOR = " (without an aadObjectId, from.id is the user id)"
_NOT_IN_A_HEADER = re.compile(r"[^\x20-\x7e]")  # anything but printable ASCII


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


def _required(max_len: int, value: object) -> object:
    """The id when it is there and can be stored and sent as it is."""
    if value is None or value == "":
        raise _problem(_REQUIRED)
    return _identity(max_len, value)


def _present(value: object) -> object:
    if value is None:
        raise _problem(_REQUIRED)
    return value


def _conversation_id(value: object) -> object:
    checked = _required(CONVERSATION_ID_MAX, value)
    odd = _NOT_IN_A_HEADER.search(str(checked))
    if odd is not None:
        raise _problem(
            "must be printable ASCII, as the ids channels make are (it is sent back in an HTTP"
            f" header); it has U+{ord(odd.group()):04X}"
        )
    return checked


def _url(value: object) -> object:
    checked = _required(SERVICE_URL_MAX, value)
    parts = urlsplit(str(checked))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _problem("must be an http or https URL")
    return checked


ActivityId = Annotated[str | None, BeforeValidator(partial(_identity, ACTIVITY_ID_MAX))]
UserId = Annotated[str | None, BeforeValidator(partial(_identity, USER_ID_MAX))]
TenantId = Annotated[str | None, BeforeValidator(partial(_identity, TENANT_ID_MAX))]
AccountId = Annotated[str, BeforeValidator(partial(_required, ACCOUNT_ID_MAX))]
ConversationId = Annotated[str, BeforeValidator(_conversation_id)]
ChannelId = Annotated[str, BeforeValidator(partial(_required, CHANNEL_ID_MAX))]
ServiceUrl = Annotated[str, BeforeValidator(_url)]
Text = Annotated[str, StringConstraints(min_length=1)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Account(_Part):
    id: AccountId


class _Sender(_Part):
    id: AccountId
    aad_object_id: UserId = Field(default=None, alias="aadObjectId")

    @model_validator(mode="after")
    def _actor_id_fits(self, info: ValidationInfo) -> Self:
        """Unauthenticated, without an aadObjectId, from.id is the actor id (bot/teams.py)."""
        local = isinstance(info.context, EdgeContext) and info.context.local_mode
        if local and self.aad_object_id is None:
            problem = text_problem(self.id, USER_ID_MAX)
            if problem is not None:
                raise _problem(problem + _WHEN_ACTOR, field="id")
        return self


class _Conversation(_Part):
    id: ConversationId
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
    """The fields of an incoming activity a turn needs; every other field is ignored here."""

    type: str = ""  # POST /api/messages refused an activity without one already
    name: object = None
    id: ActivityId = None
    reply_to_id: ActivityId = Field(default=None, alias="replyToId")
    channel_id: ChannelId = Field(alias="channelId")
    service_url: ServiceUrl = Field(alias="serviceUrl")
    conversation: Annotated[_Conversation, BeforeValidator(_present)]
    channel_data: _ChannelData | None = Field(default=None, alias="channelData")
    sender: Annotated[_Sender, BeforeValidator(_present)] = Field(alias="from")
    recipient: Annotated[_Account, BeforeValidator(_present)]

    @model_validator(mode="after")
    def _an_invoke_this_bot_answers(self) -> Self:
        if self.type != ActivityTypes.invoke:
            return self
        if self.name is None or self.name == "":
            raise _problem(f"{_REQUIRED} on an invoke (what it asks for)", field="name")
        if not isinstance(self.name, str) or self.name not in INVOKE_NAMES:
            raise _problem(f"must be {CARD_ACTION}, the only invoke this bot answers", "name")
        return self


class _Mentioned(_Part):
    id: Text


class Mention(_Part):
    """A mention entity a turn can read: who is mentioned, and the text that mentions them."""

    mentioned: _Mentioned
    text: Text


def _describe(error: ErrorDetails) -> str:
    path = [str(part) for part in error["loc"]]
    context = error.get("ctx") or {}
    if error["type"] == _IDENTITY:
        if "field" in context:
            path.append(str(context["field"]))
        problem = str(context["problem"])
    elif error["type"] == "missing":
        problem = _REQUIRED
    elif error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        problem = "must be an object"
    else:  # no other error is expected: every field is checked by the validators above
        problem = error["msg"]
    return f"'{'.'.join(path)}' {problem}"


def ids_problem(body: dict[str, Any], *, local_mode: bool) -> str | None:
    """Why the fields a turn needs cannot be taken from this raw activity, or None if they can."""
    try:
        ActivityIds.model_validate(body, context=EdgeContext(local_mode=local_mode))
    except ValidationError as error:
        return "; ".join(_describe(detail) for detail in error.errors(include_url=False))
    return None


def _readable(entity: object) -> bool:
    """Whether botbuilder can read this entity: it has a type, and a mention says whom it
    mentions (an id) and with which text."""
    kind = getattr(entity, "type", None)
    if not isinstance(kind, str) or not kind:
        return False
    if kind.lower() != "mention":
        return True  # entities of other types are left as they are: nothing here reads them
    try:
        Mention.model_validate(getattr(entity, "additional_properties", None) or {})
    except ValidationError:
        return False
    return True


def tidy(activity: Activity) -> None:
    """The deserialised activity made fit for its turn: display names without control
    characters, unpaired surrogates or runs of white space; unreadable entities dropped."""
    for account in (activity.from_property, activity.recipient, activity.conversation):
        name = getattr(account, "name", None)
        if name is not None:
            account.name = clean_name(name, NAME_MAX)
    if activity.entities:
        activity.entities = [entity for entity in activity.entities if _readable(entity)]
