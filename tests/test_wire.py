"""bot/wire.py reads and writes activities exactly as msrest does: the same objects (attribute
values, their types, nested models, datetimes and their tzinfo, additional_properties) from the
same JSON, the same JSON from the same activity, and the same kind of refusal for what msrest
refuses. Table tests for the shapes Teams sends and the bot posts, then Hypothesis comparing
both directions on generated activities with odd values in every field."""

from __future__ import annotations

import copy
import math
import re
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import pytest
from azure.core.exceptions import DeserializationError
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    Entity,
    ResourceResponse,
)
from botframework.connector import models as connector_models
from helpers import ALEX, BOT_ACCOUNT, TENANT, personal_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msrest.serialization import Model, Serializer

from bot import wire

SERVICE = "https://smba.trafficmanager.net/amer/"
EST = timezone(timedelta(hours=-5))
ADDRESS = re.compile(r" at 0x[0-9a-f]+")
CLASSES = {k: v for k, v in vars(connector_models).items() if isinstance(v, type)}


# --------------------------------------------------------------------------- comparing


def same(a: Any, b: Any, path: str = "") -> None:
    """``a`` and ``b`` are the same: types, values, attribute order, nested alike."""
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, Model):
        assert list(vars(a)) == list(vars(b)), path
        for name in vars(a):
            same(getattr(a, name), getattr(b, name), f"{path}.{name}")
    elif isinstance(a, dict):
        if path.endswith("additional_properties"):  # msrest builds it from a set: any order
            assert set(a) == set(b), path
        else:
            assert list(a) == list(b), path
        for key in a:
            same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, datetime):
        assert a == b and repr(a) == repr(b), path
        assert type(a.tzinfo) is type(b.tzinfo), path
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    elif isinstance(a, str):  # str() of an object names its address: two copies differ there
        assert ADDRESS.sub("", a) == ADDRESS.sub("", b), f"{path}: {a!r} != {b!r}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def outcome(call: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "value", call(*args)
    except Exception as error:  # the kind of refusal is what must match
        return "error", type(error)


def reads_alike(body: Any) -> tuple[str, Any]:
    expected = outcome(Activity().deserialize, copy.deepcopy(body))
    got = outcome(wire.activity_from_json, copy.deepcopy(body))
    assert expected[0] == got[0], (expected, got)
    if expected[0] == "error":
        assert got[1] is expected[1]
    else:
        same(expected[1], got[1])
    return got


def writes_alike(make: Any) -> tuple[str, Any]:
    """msrest's body and wire's JSON for two copies of ``make()`` (msrest may change its copy)."""
    expected = outcome(Serializer(CLASSES).body, make(), "Activity")
    got = outcome(wire.activity_to_json, make())
    assert expected[0] == got[0], (expected, got)
    if expected[0] == "error":
        assert got[1] is expected[1]
    else:
        same(expected[1], got[1])
    return got


def fast(call: Any) -> Any:
    """``call()``, asserting that wire did it without handing anything to msrest."""
    before = wire.counts()
    result = call()
    assert wire.counts() == before
    return result


# --------------------------------------------------------------------------- reading: tables


def teams_message(**extra: Any) -> dict[str, Any]:
    body = personal_message(SERVICE, "balance")
    body.update(
        localTimestamp="2026-11-24T14:21:10.538+11:00",
        id="1732418470538",
        localTimezone="Australia/Sydney",
        conversation={"conversationType": "personal", "tenantId": TENANT, "id": "a:1x"},
    )
    body.update(extra)
    return body


def test_a_teams_message_reads_as_msrest_reads_it_without_msrest() -> None:
    body = teams_message()
    fast(lambda: reads_alike(body))
    activity = wire.activity_from_json(body)
    assert isinstance(activity.from_property, ChannelAccount)
    assert isinstance(activity.conversation, ConversationAccount)
    assert activity.conversation.additional_properties == {"tenantId": TENANT}  # msrest's key
    assert isinstance(activity.entities[0], Entity)
    assert activity.entities[0].additional_properties == {"locale": "en-US", "country": "US"}
    assert activity.timestamp == datetime(2026, 11, 24, 3, 21, 10, 538000, tzinfo=UTC)
    assert activity.local_timestamp.utcoffset() == timedelta(hours=11)


@pytest.mark.parametrize(
    "extra",
    [
        {"type": "invoke", "name": "adaptiveCard/action", "value": {"action": {"verb": "x"}}},
        {"type": "conversationUpdate", "membersAdded": [BOT_ACCOUNT, ALEX], "membersRemoved": []},
        {"attachments": [{"contentType": "a/b", "content": {"k": [1, 2.5, None, True]}}]},
        {"suggestedActions": {"to": ["a", "b"], "actions": [{"type": "imBack", "value": 1}]}},
        {"textHighlights": [{"text": "t", "occurrence": 2}], "listenFor": ["x"]},
        {"semanticAction": {"id": "s", "entities": {"e": {"type": "t"}}, "state": "start"}},
        {"relatesTo": {"user": ALEX, "conversation": {"isGroup": True}, "activityId": "9"}},
        {"reactionsAdded": [{"type": "like"}], "historyDisclosed": False, "expiration": None},
        {"channelData": {"tenant": {"id": TENANT}, "eventType": None}, "unknownKey": [1]},
        {"timestamp": "2026-11-24T03:21:10Z", "localTimestamp": "2026-11-24T03:21:10-03:30"},
        {"timestamp": "2026-11-24T03:21:10.1Z", "localTimestamp": "2026-11-24T03:21:10.123456Z"},
    ],
)
def test_the_shapes_teams_sends(extra: dict[str, Any]) -> None:
    fast(lambda: reads_alike(teams_message(**extra)))


@pytest.mark.parametrize(
    ("extra", "check"),
    [
        # msrest does not refuse a number where a string belongs: it takes str() of it
        ({"text": 5}, lambda a: a.text == "5"),
        ({"text": 1.5, "locale": True}, lambda a: (a.text, a.locale) == ("1.5", "True")),
        ({"text": {"a": 1}}, lambda a: a.text == "{'a': 1}"),
        ({"historyDisclosed": "TRUE"}, lambda a: a.history_disclosed is True),
        ({"historyDisclosed": 0}, lambda a: a.history_disclosed is False),
        ({"historyDisclosed": 1.0}, lambda a: a.history_disclosed is True),
        ({"textHighlights": [{"occurrence": "7"}]}, lambda a: a.text_highlights[0].occurrence == 7),
        ({"textHighlights": [{"occurrence": 7.9}]}, lambda a: a.text_highlights[0].occurrence == 7),
        (
            {"textHighlights": [{"occurrence": True}]},
            lambda a: type(a.text_highlights[0].occurrence) is int,
        ),
        ({"textHighlights": [None]}, lambda a: a.text_highlights == [None]),
        ({"listenFor": {"a", "b"}}, lambda a: sorted(a.listen_for) == ["a", "b"]),
        (
            {"semanticAction": {"entities": [{"key": "k", "value": {"type": "t"}}]}},
            lambda a: a.semantic_action.entities["k"].type == "t",
        ),
        ({"timestamp": "2026-11-24t03:21:10.1234567z"}, lambda a: a.timestamp.microsecond),
        ({"timestamp": "2026-11-24T03:21:10"}, lambda a: a.timestamp.tzinfo is None),
        ({"timestamp": "2026-11-24T03:21:10+0530"}, lambda a: a.timestamp.utcoffset()),
        ({"timestamp": datetime(2026, 1, 1)}, lambda a: a.timestamp == datetime(2026, 1, 1)),
    ],
)
def test_what_msrest_coerces_is_coerced_alike(extra: dict[str, Any], check: Any) -> None:
    kind, activity = reads_alike(teams_message(**extra))
    assert kind == "value" and check(activity)


@pytest.mark.parametrize(
    "extra",
    [
        {"from": "alex"},
        {"from": ["alex"]},
        {"conversation": 5},
        {"entities": {"type": "mention"}},
        {"entities": ["mention"]},
        {"entities": "mention"},
        {"membersAdded": [BOT_ACCOUNT, "x"]},
        {"timestamp": "yesterday"},
        {"timestamp": 1732418470},
        {"timestamp": "2026-13-24T03:21:10Z"},
        {"timestamp": "0001-01-01T00:30:00+01:00"},
        {"historyDisclosed": "yes"},
        {"historyDisclosed": [True]},
        {"textHighlights": [{"occurrence": "seven"}]},
        {"textHighlights": [{"occurrence": float("nan")}]},
        {"textHighlights": [{"occurrence": float("inf")}]},  # OverflowError, as msrest lets it
        {"textHighlights": [{"occurrence": [1]}]},
        {"semanticAction": {"entities": [{"value": {}}]}},
        {"semanticAction": {"entities": ["x"]}},
        {"semanticAction": {"entities": 5}},
        {"channelData": {"when": datetime(2026, 1, 1)}},
        {"timestamp": "yesterday", "textHighlights": [{"occurrence": float("inf")}]},
        {"textHighlights": [{"occurrence": float("inf")}], "timestamp": "yesterday"},
    ],
)
def test_what_msrest_refuses_is_refused_alike(extra: dict[str, Any]) -> None:
    kind, _ = reads_alike(teams_message(**extra))
    assert kind == "error"


def test_the_error_is_msrests_first_in_attribute_order() -> None:
    """Two bad fields: msrest meets `timestamp` before `textHighlights`, in any JSON order."""
    for order in (("timestamp", "textHighlights"), ("textHighlights", "timestamp")):
        bad = {"timestamp": "yesterday", "textHighlights": [{"occurrence": float("inf")}]}
        body = {"type": "message", **{key: bad[key] for key in order}}
        assert reads_alike(body) == ("error", DeserializationError)


def test_unknown_keys_keep_their_values_as_msrest_does() -> None:
    body = teams_message(mystery={"deep": [1]})
    activity = wire.activity_from_json(body)
    assert activity.additional_properties["mystery"] is body["mystery"]  # msrest: not copied
    assert activity.channel_data == body["channelData"]
    assert activity.channel_data is not body["channelData"]  # `object` values are copied
    assert wire.activity_from_json({"type": "message"}).additional_properties == {}


def test_a_response_model_reads_alike() -> None:
    for data in ({"id": "1"}, {"id": 5}, {}, {"id": None, "x": 1}):
        same(ResourceResponse.deserialize(data), wire.model_from_json(ResourceResponse, data))
    with pytest.raises(DeserializationError):
        wire.model_from_json(ResourceResponse, ["id"])
    assert wire.model_from_json(ResourceResponse, None) is None


class Defaults(Model):
    """A model whose __init__ does more than store its arguments."""

    _attribute_map = {"items": {"key": "items", "type": "[str]"}}  # noqa: RUF012

    def __init__(self, *, items: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.items = items or []


def test_only_plain_classes_are_built_without_their_init() -> None:
    assert wire._plain_init(Defaults, ["items"]) is None  # built by calling it, as msrest does
    order = wire._plain_init(Activity, list(Activity._attribute_map))
    assert order == tuple(vars(Activity()))


# --------------------------------------------------------------------------- writing: tables


def reply_to(inbound: Activity, activity: Activity) -> Activity:
    """``activity`` as TurnContext sends it: addressed by the inbound activity's reference."""
    reference = TurnContext.get_conversation_reference(inbound)
    return TurnContext.apply_conversation_reference(activity, reference)


def card() -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Balance", "weight": "Bolder"},
            {"type": "TextBlock", "text": "$1,000.50", "size": "ExtraLarge", "wrap": True},
            {"type": "FactSet", "facts": [{"title": "Auto-recharge", "value": "Off"}]},
            {"type": "TextBlock", "text": "Số dư: 1.000,50 $ — “đ”", "isVisible": False},
        ],
        "actions": [
            {"type": "Action.Execute", "title": "Add funds", "verb": "x", "data": {"n": 1.5}}
        ],
    }


def inbound() -> Activity:
    return Activity().deserialize(teams_message())


WRITES = {
    "text": lambda: reply_to(inbound(), MessageFactory.text("Hello *there*")),
    "card": lambda: reply_to(
        inbound(), MessageFactory.attachment(CardFactory.adaptive_card(card()))
    ),
    "typing": lambda: reply_to(inbound(), Activity(type=ActivityTypes.typing)),
    "update": lambda: reply_to(
        inbound(), Activity(id="1:2", type="message", attachments=[Attachment(content=card())])
    ),
    "everything": lambda: Activity().deserialize(
        teams_message(
            attachments=[{"contentType": "a/b", "content": card()}],
            suggestedActions={"to": ["a"], "actions": [{"type": "imBack", "value": [1]}]},
            textHighlights=[{"text": "t", "occurrence": 2}],
            semanticAction={"id": "s", "entities": {"e": {"type": "t"}}},
            relatesTo={"user": ALEX, "conversation": {"isGroup": True}},
            membersAdded=[ALEX, None],
            listenFor=["x", None],
            expiration="2026-11-24T03:21:10.000001Z",
        )
    ),
    "naive time": lambda: Activity(type="message", timestamp=datetime(2026, 1, 2, 3, 4, 5)),
    "other zone": lambda: Activity(
        type="message",
        timestamp=datetime(2026, 1, 2, 3, 4, 5, 120000, EST),
    ),
    "datetime in a card": lambda: Activity(
        type="message", value={"at": datetime(2026, 1, 2, tzinfo=UTC), "n": [None, {}]}
    ),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_what_the_bot_posts_is_msrests_json_without_msrest(name: str) -> None:
    fast(lambda: writes_alike(WRITES[name]))


def test_the_card_passes_through_as_the_same_json() -> None:
    body = wire.activity_to_json(WRITES["card"]())
    assert body["attachments"] == [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": card()}
    ]
    assert body["type"] == "message" and body["replyToId"] == inbound().id


class Colour(Enum):
    RED = 1


ODD_WRITES = {
    "a dict for a model": lambda: Activity(type="message", from_property={"ID": "x", "name": 5}),
    "a dict in a list of models": lambda: Activity(
        type="message", attachments=[{"contentType": "a", "content": {"x": 1}}]
    ),
    "a tuple for a list": lambda: Activity(type="message", listen_for=("a", "b")),
    "a str for a list": lambda: Activity(type="message", listen_for="ab"),
    "a number for a str": lambda: Activity(type="message", text=5),
    "a str for a bool": lambda: Activity(type="message", history_disclosed="false"),
    "a str for a datetime": lambda: Activity(type="message", timestamp="2026-01-02T03:04:05Z"),
    "a bad str for a datetime": lambda: Activity(type="message", timestamp="soon"),
    "a date for a datetime": lambda: Activity(type="message", timestamp=date(2026, 1, 2)),
    "a str for a model": lambda: Activity(type="message", conversation="c"),
    "a str for a dict": lambda: Activity(type="message", semantic_action={"entities": "x"}),
    "an int enum": lambda: Activity(type=Colour.RED),
    "a set in a card": lambda: Activity(type="message", value={"s": {1}}),
    "a tuple in a card": lambda: Activity(type="message", value={"s": (1, 2)}),
    "a number key in a card": lambda: Activity(type="message", value={1: "x"}),
    "a model in a card": lambda: Activity(type="message", value=ChannelAccount(id="x")),
    "a year msrest cannot write": lambda: Activity(
        type="message", timestamp=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    ),
    "no activity": lambda: None,
    "not an activity": lambda: {"type": "message"},
}


@pytest.mark.parametrize("name", sorted(ODD_WRITES))
def test_odd_values_are_written_by_msrest_itself(name: str) -> None:
    writes_alike(ODD_WRITES[name])


# --------------------------------------------------------------------------- generated


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
TIMES = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
        r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?",
        fullmatch=True,
    ),
)
GOOD = {
    "str": st.text(max_size=8),
    "bool": st.booleans() | st.sampled_from(["true", "False", "1", "0", 1, 0]),
    "int": st.integers() | st.integers().map(str) | st.booleans() | st.floats(),
    "iso-8601": TIMES,
    "object": JSON,
}


def strategy(data_type: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for an msrest type: mostly the right shape, sometimes any JSON at all."""
    odd = JSON | st.none()
    if data_type in GOOD:
        return st.one_of(GOOD[data_type], odd) if data_type != "object" else JSON
    if data_type.startswith("["):
        return st.one_of(st.lists(strategy(data_type[1:-1], depth), max_size=2), odd)
    if data_type.startswith("{"):
        inner = strategy(data_type[1:-1], depth)
        pairs = st.lists(st.fixed_dictionaries({"key": st.text(max_size=3), "value": inner}))
        return st.one_of(st.dictionaries(st.text(max_size=3), inner, max_size=2), pairs, odd)
    return st.one_of(model(CLASSES[data_type], depth + 1), odd)


def model(cls: type, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    amap: dict[str, dict[str, str]] = cls._attribute_map  # type: ignore[attr-defined]
    fields = {d["key"]: strategy(d["type"], depth) for d in amap.values()}
    optional = fields if depth < 3 else {k: st.none() for k in fields}
    extra = st.dictionaries(st.text(max_size=4), JSON, max_size=2)
    return st.tuples(st.fixed_dictionaries({}, optional=optional), extra).map(
        lambda parts: {**parts[1], **parts[0]}
    )


ACTIVITIES = model(Activity).map(lambda body: {"type": "message", **body})
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ACTIVITIES)
def test_generated_activities_read_alike(body: dict[str, Any]) -> None:
    reads_alike(body)


@SETTINGS
@given(ACTIVITIES)
def test_generated_activities_write_alike(body: dict[str, Any]) -> None:
    kind, _ = outcome(Activity.deserialize, body)
    if kind == "value":
        writes_alike(lambda: Activity.deserialize(copy.deepcopy(body)))


ODD_VALUES = st.one_of(
    JSON,
    st.tuples(st.integers()),
    st.sets(st.integers(), max_size=2),
    st.sampled_from([ActivityTypes.message, Colour.RED, date(2026, 1, 2), datetime(2026, 1, 2)]),
    st.builds(ChannelAccount, id=st.text(max_size=3)),
    st.lists(st.builds(Entity, type=st.text(max_size=3)), max_size=2),
)


@SETTINGS
@given(ACTIVITIES, st.dictionaries(st.sampled_from(sorted(Activity._attribute_map)), ODD_VALUES))
def test_activities_with_odd_python_values_write_alike(
    body: dict[str, Any], changes: dict[str, Any]
) -> None:
    if outcome(Activity.deserialize, body)[0] != "value":
        return

    def make() -> Activity:
        activity = Activity.deserialize(copy.deepcopy(body))
        for name, value in copy.deepcopy(changes).items():
            setattr(activity, name, value)
        return activity

    writes_alike(make)
