"""Hypothesis strategies for tests/test_fuzz_turns.py: scripts of Teams turns.

A script is a cast (who may speak: two clean tenants and a third whose id ends in hostile text,
two admins, a non-admin and a sender with hostile identity fields, two personal chats, a channel,
and a chat whose id ends in hostile text), an opening line typed by the first admin, and steps:

- `Say`: a message typed by someone somewhere (admin commands, hostile text, or a mix);
- `Press`: a button of a card the bot sent earlier in the same example, by verb (Confirm,
  Cancel, quick amounts, history...), as an Action.Submit message or an adaptiveCard/action
  invoke, by anyone, anywhere, twice, out of order, possibly with its payload mutated;
- `Redeliver`: an activity posted earlier, posted again unchanged (Teams redelivers after 15 s);
- `ChannelRefuses`: the stub connector refuses the bot's calls in the next turn;
- None: nothing happens (what the shrinker cannot delete it blanks, and the repr leaves out).

Every turn may carry `Tweak`s: a field of the raw activity set to odd JSON, or removed.
The module also knows the few facts about raw activities the checks need (`tenant_of`,
`delivery_key`) and prints them short (`shorten`).
Everything shrinks toward the first admin, the newest button, no mutation and no tweak, so a
failure reads as a short story, and its repr is Python that builds the same script again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Literal

from hypothesis import strategies as st

# ---------------------------------------------------------------------- data


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines())


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


HOSTILE_SAMPLES = (
    *("", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "\u202eRTL\u202c", "\u200f", "\ufeff"),
    *("\x1b[31m", "\n\r\t", "\u2028", "😀", "👨‍👩‍👧", "Số dư", "nạp thêm 50 đô", "null"),
    *("NaN", "Infinity", "-1", "0", "1e309", "<at>Test Bot</at>", "%s%n{0}", "' OR 1=1 --"),
)
_UNITS = ("x", "é", "9", "\x00", "\ud800", "😀", "ệ")
_LENGTHS = (2, 50, 99, 100, 101, 200, 399, 401, 450, 1000)
_ODD_CHARS = ("\x00", "\ud800", "\udfff", "\u202e", "\u200f", "\x7f", "\x85")
HUGE_NUMBERS = (2**63, -(2**63) - 1, 2**64, 10**30, 10**400, -(10**400), 1e308, -0.0, 0.1)
FIELD_NAMES = _words(
    "verb amount request sig before enabled trigger version recharge_enabled recharge_amount "
    "recharge_trigger key"
)
ADMIN_TEXTS = _lines("""
    balance
    add $50 credits
    add $50 credits
    add $25 credits
    add 50 dollars
    top up 75 USD
    add credits
    set auto-recharge to $100 when below $20
    turn on auto-recharge
    turn off auto-recharge
    recharge settings
    history
    help
    cancel
    alert me when below $50 and $20
    send alerts here
    stop alerts here
    alerts
    50
    20
    hi
    xem số dư
    nạp 50 đô
    nạp thêm 45,5 đô
    nap 60 do
    tôi muốn nạp tiền
    tự động nạp 80 đô khi số dư dưới 15 đô
    khi còn dưới 15 đô thì nạp 80 đô
    tắt nạp tiền tự động
    cài đặt tự động nạp
    xem lịch sử
    gửi cảnh báo vào đây
    dừng cảnh báo ở đây
    cảnh báo tôi khi số dư dưới 40 đô và 15 đô
    giúp
    hủy
    rút 50 đô
""")
ODD_NUMBERS = (
    *("0", "-5", "0.001", "1e3", "10000.01", "9999.99", "1,000.50", "NaN", "Infinity"),
    *("\u0665\u0660", "50.5.5", str(2**64), "9" * 30, "9" * 400),  # Arabic-Indic 50
    *("1.000,50", "1,000", "2,5 triệu", "500k", "âm 5", "năm mươi", "1.000.000 ₫"),
)
TEMPLATES = _lines("""
    add ${} credits
    add {} dollars
    top up {} USD
    set auto-recharge to ${} when below ${}
    alert me when below ${} and ${}
    alert me when below ${}, ${}, ${} and ${}
    nạp {} đô
    tự động nạp {} đô khi số dư dưới {} đô
    cảnh báo tôi khi số dư dưới {} đô và {} đô
    {}
""")
TWEAK_PATHS = _words(
    "conversation.id channelData.tenant.id conversation.tenantId from.id from.aadObjectId "
    "from.name recipient.id id channelId replyToId text value type name from conversation "
    "channelData channelData.tenant recipient entities attachments timestamp locale "
    "membersAdded conversation.conversationType channelData.team"
)
ACTIVITY_TYPES = _words(
    "message invoke conversationUpdate installationUpdate messageReaction event typing "
    "endOfConversation somethingNew"
)
# the verbs of cards/actions.py, the money-moving ones more often, and one that no card has
PRESSED_VERBS = _words(
    "balance add_funds_confirm cancel add_funds_confirm cancel add_funds_confirm add_funds "
    "add_funds_review history recharge_form recharge_review recharge_confirm help refund"
)
OPENINGS = (
    None,
    *["add $50 credits"] * 3,
    "balance",
    "add credits",
    "history",
    "recharge settings",
)

# ---------------------------------------------------------------------- readable failures

_RUN = re.compile(r"(.)\1{15,}", re.DOTALL)


def _text(value: str) -> str:
    """repr() of a string, with long runs written as 'x' * 1000."""
    parts: list[str] = []
    position = 0
    for run in _RUN.finditer(value):
        if run.start() > position:
            parts.append(repr(value[position : run.start()]))
        parts.append(f"{run.group(1)!r} * {len(run.group(0))}")
        position = run.end()
    if position < len(value) or not parts:
        parts.append(repr(value[position:]))
    return parts[0] if len(parts) == 1 else f"({' + '.join(parts)})"


def _number(value: int) -> str:
    for base in (10, 2):
        for exponent in range(len(str(abs(value))) * 4):
            for sign in (1, -1):
                if sign * base**exponent == value:
                    return f"{'-' if sign < 0 else ''}{base}**{exponent}"
    return repr(value)


def compact(value: Any) -> str:
    """A repr that Python reads back, short enough to read (long runs, huge numbers)."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**18:
        return _number(value)
    if isinstance(value, list):
        return f"[{', '.join(compact(v) for v in value)}]"
    if isinstance(value, tuple):
        return f"({''.join(compact(v) + ', ' for v in value)})"
    if isinstance(value, dict):
        return f"{{{', '.join(f'{compact(k)}: {compact(v)}' for k, v in value.items())}}}"
    if is_dataclass(value) and not isinstance(value, type):
        shown = [
            f"{f.name}={compact(getattr(value, f.name))}"
            for f in fields(value)
            if getattr(value, f.name) != f.default
        ]
        return f"{type(value).__name__}({', '.join(shown)})"
    return repr(value)


class _Compact:
    def __repr__(self) -> str:
        return compact(self)


class _Delete:
    """Remove the field (instead of setting it)."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()

# ---------------------------------------------------------------------- raw activities


def tenant_of(activity: dict[str, Any]) -> str:
    """The tenant the bot must act for (docs/design.md §2), as the store keeps it; local mode:
    'local'."""
    data = activity.get("channelData")
    tenant = data.get("tenant") if isinstance(data, dict) else None
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str) and tenant["id"]:
        return str(tenant["id"]).strip()
    conversation = activity.get("conversation")
    if isinstance(conversation, dict):
        tenant_id = conversation.get("tenantId")
        if isinstance(tenant_id, str) and tenant_id:
            return tenant_id.strip()
    return "local"


def delivery_key(activity: dict[str, Any]) -> tuple[str, str, str] | None:
    """What makes an activity the same delivery (channel, conversation, id), or None when it
    has no usable id (then every delivery is new)."""
    conversation = activity.get("conversation")
    parts = (
        activity.get("channelId"),
        conversation.get("id") if isinstance(conversation, dict) else None,
        activity.get("id"),
    )
    if not isinstance(parts[2], str) or not parts[2]:
        return None
    channel, conversation_id, activity_id = (
        p if isinstance(p, str) else json.dumps(p) for p in parts
    )
    return channel, conversation_id, activity_id


def shorten(value: Any, limit: int = 1500) -> str:
    """JSON to read in a failure message, long runs written <x * 1000>."""
    text = json.dumps(value, default=repr)
    text = re.sub(r"(.)\1{15,}", lambda run: f"<{run.group(1)} * {len(run.group(0))}>", text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


# ---------------------------------------------------------------------- the steps


@dataclass(frozen=True, repr=False)
class Tweak(_Compact):
    """Set a field of the raw activity (a dotted path) to `value`, or remove it (DELETE)."""

    path: str
    value: Any

    def apply(self, activity: dict[str, Any]) -> None:
        *parents, last = self.path.split(".")
        node = activity
        for name in parents:
            child = node.get(name)
            if not isinstance(child, dict):
                child = node[name] = {}
            node = child
        if self.value is DELETE:
            node.pop(last, None)
        else:
            node[last] = self.value


@dataclass(frozen=True, repr=False)
class Who(_Compact):
    """Indexes into the cast (wrapping around): tenant 0/1 clean, 2 hostile; user 0/1 admins,
    2 not an admin, 3 hostile; conversation 0/1 personal chats, 2 a channel, 3 hostile."""

    tenant: int = 0
    user: int = 0
    conversation: int = 0


@dataclass(frozen=True, repr=False)
class Mutation(_Compact):
    """How a pressed button's payload is changed before it is sent.

    field: data[name] = value; drop: del data[name]; data: the whole data replaced;
    value: activity.value replaced; action: value.action replaced (invokes);
    action_verb: value.action.verb replaced (invokes). On Action.Submit, where the data is
    the value, action and action_verb replace the value."""

    kind: Literal["field", "drop", "data", "value", "action", "action_verb"]
    name: str = ""
    value: Any = None

    def data(self, data: dict[str, Any]) -> Any:
        if self.kind == "field":
            data[self.name] = self.value
        elif self.kind == "drop":
            data.pop(self.name, None)
        return self.value if self.kind == "data" else data

    def envelope(self, activity: dict[str, Any]) -> None:
        submitted = activity["type"] != "invoke"  # the data is the value itself
        if self.kind == "value" or (submitted and self.kind in ("action", "action_verb")):
            activity["value"] = self.value
        elif self.kind == "action":
            activity["value"]["action"] = self.value
        elif self.kind == "action_verb":
            activity["value"]["action"]["verb"] = self.value


@dataclass(frozen=True, repr=False)
class Say(_Compact):
    who: Who
    text: str
    tweaks: tuple[Tweak, ...] = ()


@dataclass(frozen=True, repr=False)
class Press(_Compact):
    """Press the `nth` newest button with this verb on the cards the bot sent in this example
    (wrapping around; a bare {"verb": verb} when no card has one)."""

    who: Who
    verb: str = "balance"
    nth: int = 0
    via: Literal["execute", "submit"] = "execute"
    mutation: Mutation | None = None
    tweaks: tuple[Tweak, ...] = ()


@dataclass(frozen=True, repr=False)
class Redeliver(_Compact):
    """Post the `back`-th newest activity again, unchanged (wrapping around)."""

    back: int = 0


@dataclass(frozen=True, repr=False)
class ChannelRefuses(_Compact):
    """The connector answers the bot's calls in the next turn with `status`, over and over:
    503 and 429 are passing troubles (the reply must arrive or be kept for later), 403 and
    404 say the conversation is gone, 400 refuses the message itself."""

    status: int = 503


Op = Say | Press | Redeliver | ChannelRefuses


@dataclass(frozen=True, repr=False)
class Cast(_Compact):
    """The hostile members of this example's cast (the clean ones are fixed)."""

    tenant_suffix: str = ""
    user_id: str = "29:hostile"
    user_aad: str | None = None  # None: the first admin's object id (with the name below)
    user_name: str = ""
    conversation_suffix: str = ""


@dataclass(frozen=True, repr=False)
class Script:
    """What the first admin types first in the first chat (None: nothing), then the steps."""

    cast: Cast
    opening: str | None
    steps: tuple[Op | None, ...]  # None: nothing happens

    @property
    def ops(self) -> tuple[Op, ...]:
        return tuple(op for op in self.steps if op is not None)

    def __repr__(self) -> str:
        lines = [f"Script(cast={self.cast!r}, opening={self.opening!r}, steps=("]
        lines += [f"    {op!r}," for op in self.ops]
        return "\n".join([*lines, "))"])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        for number, line in enumerate(repr(self).split("\n")):
            if number:
                printer.break_()
            printer.text(line)


# ---------------------------------------------------------------------- strategies

long_strings = st.builds(
    lambda unit, n: unit * n, st.sampled_from(_UNITS), st.sampled_from(_LENGTHS)
)
hostile_strings = st.one_of(
    st.sampled_from(HOSTILE_SAMPLES),
    st.text(st.one_of(st.characters(), st.sampled_from(_ODD_CHARS)), max_size=20),
    long_strings,
)
numbers = st.one_of(st.sampled_from(ODD_NUMBERS), st.integers().map(str))
filled = st.builds(
    lambda template, values: template.format(*values[: template.count("{}")]),
    st.sampled_from(TEMPLATES),
    st.lists(numbers, min_size=4, max_size=4),
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, chosen in proportion to its weight; shrinks toward the first.
    (st.one_of picks equal strategies once: one_of(none(), none(), x) is half x.)"""
    indexes = [index for index, (weight, _) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indexes).flatmap(lambda index: choices[index][1])


def json_values(strings: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Any JSON: null, booleans, integers (huge ones too), floats, hostile text, nested."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(HUGE_NUMBERS),
        st.floats(allow_nan=False, allow_infinity=False),
        strings,
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.sampled_from(FIELD_NAMES) | strings, children, max_size=3),
        ),
        max_leaves=6,
    )


def message_texts(strings: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    admin = st.sampled_from(ADMIN_TEXTS)
    mixed = st.builds(lambda a, b: f"{a} {b}", admin, strings)
    return weighted((3, admin), (1, filled), (1, strings), (1, mixed))


def _changes(
    strings: st.SearchStrategy[str], activity_types: tuple[str, ...]
) -> tuple[st.SearchStrategy[tuple[Tweak, ...]], st.SearchStrategy[Mutation]]:
    values = json_values(strings)
    tweak = st.one_of(
        st.builds(Tweak, st.sampled_from(TWEAK_PATHS), st.one_of(st.just(DELETE), values)),
        st.builds(Tweak, st.just("type"), st.sampled_from(activity_types)),
    )
    tweaks = weighted((6, st.just(())), (1, st.lists(tweak, min_size=1, max_size=2).map(tuple)))
    mutations = st.one_of(
        st.builds(Mutation, st.just("field"), st.sampled_from(FIELD_NAMES), values),
        st.builds(Mutation, st.just("drop"), st.sampled_from(FIELD_NAMES)),
        *[
            st.builds(Mutation, st.just(kind), value=values)
            for kind in ("data", "value", "action", "action_verb")
        ],
    )
    return tweaks, mutations


def build_scripts(
    strings: st.SearchStrategy[str] = hostile_strings,
    activity_types: tuple[str, ...] = ACTIVITY_TYPES,
) -> st.SearchStrategy[Script]:
    """Scripts whose hostile text comes from `strings`, `type` tweaks from `activity_types`."""
    small = st.integers(0, 3)
    # two turns in three come from the first admin of the first tenant in the first chat
    whos = weighted((2, st.just(Who())), (1, st.builds(Who, st.integers(0, 2), small, small)))
    tweaks, mutations = _changes(strings, activity_types)
    says = st.builds(Say, whos, message_texts(strings), tweaks)
    presses = st.builds(
        Press,
        whos,
        st.sampled_from(PRESSED_VERBS),
        weighted((1, st.just(0)), (1, small)),  # mostly the newest such button
        st.sampled_from(("execute", "submit")),
        weighted((4, st.none()), (1, mutations)),
        tweaks,
    )
    refusals = st.builds(ChannelRefuses, st.sampled_from((503, 429, 403, 404, 400)))
    steps = weighted(
        (1, st.none()), (4, says), (4, presses), (1, st.builds(Redeliver, small)), (1, refusals)
    )
    casts = st.builds(
        Cast,
        strings,
        st.one_of(st.just("29:hostile"), strings),
        st.one_of(st.none(), strings),
        strings,
        strings,
    )
    return st.builds(
        Script,
        casts,
        st.sampled_from(OPENINGS),
        st.lists(steps, min_size=2, max_size=16).map(tuple),
    )


scripts = build_scripts()
