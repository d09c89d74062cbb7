"""Activities to and from the Bot Connector's JSON, as msrest does it, without msrest's cost.

botbuilder reads every inbound activity with msrest (``Activity().deserialize(body)``) and
botframework serialises every reply with it (``Serializer.body(activity, "Activity")`` in
``ConversationsOperations``). msrest is generic: each call builds a (de)serializer, copies every
attribute's description, tries each key extractor on each of an activity's 42 attributes, and
before serialising rebuilds the whole model through its deserializer; profiles show it as a
large part of a turn (about 0.2 ms to read a Teams message, 0.4 ms to write a reply with a card).

Here each model class's ``_attribute_map`` is walked once into a plan (attribute, JSON key,
converter) cached per class, and the converters mirror msrest 0.7.1's rules for each type
(``msrest/serialization.py``), so the results are the same values of the same types:

- reading (``activity_from_json``, msrest's ``Deserializer``; the plans in bot/wire_read.py):
  keys matched exactly, each value converted by msrest's rules for its type, unknown keys kept
  in ``additional_properties``, and what msrest refuses refused with the same exceptions.
- writing (``activity_to_json``, msrest's ``Serializer.body``): the attributes that are not None,
  in the map's order, under their JSON keys; enum members by value; datetimes by msrest's own
  ISO-8601 writer; an attachment's ``content`` (an Adaptive Card) the same JSON. A value that is
  not of its attribute's plain type (a dict where a model belongs, a tuple for a list...) is
  rare and msrest's handling of it is intricate (it rebuilds, coerces, may refuse or even change
  the activity), so such an activity is handed to msrest itself: the result is msrest's by
  construction. The same goes for a model class using a feature the plans do not mirror
  (validation rules, read-only or flattened attributes, polymorphism, XML).
"""

from __future__ import annotations

import functools
from datetime import datetime
from enum import Enum
from typing import Any

import structlog
from botbuilder.schema import Activity
from botframework.connector import models as connector_models
from msrest.serialization import Model
from msrest.serialization import Serializer as _Serializer

from bot.wire_read import Convert, _Fallback, _reader, _supported
from bot.wire_read import _plain_init as _plain_init  # tests reach it as wire._plain_init

__all__ = ["activity_from_json", "activity_to_json", "counts", "model_from_json"]

log = structlog.get_logger(__name__)

Serializer: Any = _Serializer


def model_from_json(cls: type[Any], data: Any) -> Any:
    """``cls.deserialize(data)`` (a botbuilder.schema model from parsed JSON), as msrest does."""
    reader = _reader()
    if data is None:
        return None
    if cls in reader.models:
        try:
            return reader.read(cls, data)
        except _Fallback:
            pass
    reader.fallbacks += 1
    return cls.deserialize(data)


def activity_from_json(body: dict[str, Any]) -> Activity:
    """What ``Activity().deserialize(body)`` gives for a JSON object ``body``, or raises."""
    if type(body) is not dict:
        _reader().fallbacks += 1
        return Activity.deserialize(body)
    activity: Activity = model_from_json(Activity, body)
    return activity


# --------------------------------------------------------------------------- writing


def _write_str(value: Any) -> Any:
    if type(value) is str:
        return value
    if isinstance(value, Enum) and type(value.value) is str:
        return value.value  # msrest's serialize_unicode: an enum member's value
    raise _Fallback(type(value).__name__)


def _write_exact(kind: type) -> Convert:
    def write(value: Any) -> Any:
        if type(value) is kind:
            return value
        raise _Fallback(type(value).__name__)

    return write


def _write_datetime(value: Any) -> Any:
    if type(value) is not datetime:
        raise _Fallback(type(value).__name__)
    try:
        return Serializer.serialize_iso(value)
    except Exception as error:  # msrest's own refusal, from msrest
        raise _Fallback("a datetime msrest refuses") from error


def _write_object(value: Any) -> Any:
    """msrest's serialize_object for JSON values (and datetimes)."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _Fallback("a key that is not a str")
            copied[key] = _write_object(item)
        return copied
    if kind is list:
        return [_write_object(item) for item in value]
    if kind is datetime:
        return _write_datetime(value)
    raise _Fallback(kind.__name__)


def _write_list(item: Convert) -> Convert:
    def write(value: Any) -> Any:
        if type(value) is not list:
            raise _Fallback(type(value).__name__)
        return [None if element is None else item(element) for element in value]

    return write


def _write_dict(item: Convert) -> Convert:
    def write(value: Any) -> Any:
        if type(value) is not dict:
            raise _Fallback(type(value).__name__)
        written = {}
        for key, element in value.items():
            if type(key) is not str:
                raise _Fallback("a key that is not a str")
            written[key] = None if element is None else item(element)
        return written

    return write


def _write_never(value: Any) -> Any:
    raise _Fallback("a type the plans leave to msrest")


_MISSING = object()


def _as_is(value: Any) -> Any:
    return value


class _Writer:
    """Write plans per model class; msrest's Serializer for what they leave to it."""

    def __init__(self, classes: dict[str, type]) -> None:
        self.classes = classes
        self.plans: dict[type, tuple[tuple[str, str, Convert], ...]] = {}
        self.fallbacks = 0
        self._serializer = Serializer(classes)

    def converter(self, data_type: str) -> Convert:
        if data_type == "str":
            return _write_str
        if data_type in ("bool", "int", "float"):
            return _write_exact({"bool": bool, "int": int, "float": float}[data_type])
        if data_type == "iso-8601":
            return _write_datetime
        if data_type == "object":
            return _write_object
        if data_type and data_type[0] + data_type[-1] == "[]":
            return _write_list(self.converter(data_type[1:-1]))
        if data_type and data_type[0] + data_type[-1] == "{}":
            return _write_dict(self.converter(data_type[1:-1]))
        cls = self.classes.get(data_type)
        if isinstance(cls, type) and issubclass(cls, Model):
            return self.model  # whatever model is there is written by its own class's map
        return _write_never

    def plan(self, cls: type) -> tuple[tuple[str, str, Convert], ...]:
        plan = self.plans.get(cls)
        if plan is None:
            if not _supported(cls):
                raise _Fallback(f"{cls.__name__} uses what the plans leave to msrest")
            amap: dict[str, dict[str, Any]] = cls._attribute_map  # type: ignore[attr-defined]
            # fields a model class says hold plain JSON already (a card the bot built: its
            # copy would be equal) are written as they are
            as_is: frozenset[str] = getattr(cls, "json_as_is", frozenset())
            plan = tuple(
                (name, d["key"], _as_is if name in as_is else self.converter(d["type"]))
                for name, d in amap.items()
            )
            self.plans[cls] = plan
        return plan

    def model(self, obj: Any) -> dict[str, Any]:
        if not isinstance(obj, Model):
            raise _Fallback(type(obj).__name__)
        written: dict[str, Any] = {}
        for name, key, convert in self.plan(type(obj)):
            value = getattr(obj, name, _MISSING)
            if value is None:
                continue
            if value is _MISSING:
                raise _Fallback(f"no attribute {name}")
            written[key] = convert(value)
        return written

    def body(self, activity: Activity) -> dict[str, Any]:
        try:
            return self.model(activity)
        except _Fallback as reason:
            self.fallbacks += 1
            log.debug("activity serialised by msrest", reason=str(reason))
        body: dict[str, Any] = self._serializer.body(activity, "Activity")
        return body


@functools.cache
def _writer() -> _Writer:
    # the classes botframework's ConnectorClient serialises with
    return _Writer({k: v for k, v in vars(connector_models).items() if isinstance(v, type)})


def activity_to_json(activity: Activity) -> dict[str, Any]:
    """The JSON botframework posts for ``activity`` (``Serializer.body(activity, "Activity")``
    in ConversationsOperations), or what that raises."""
    return _writer().body(activity)


def counts() -> dict[str, int]:
    """How many activities were left to msrest since start (tests, diagnostics)."""
    return {"read_fallbacks": _reader().fallbacks, "write_fallbacks": _writer().fallbacks}
