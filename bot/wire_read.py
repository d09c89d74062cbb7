"""The reading side of bot/wire.py: an activity (or another botbuilder.schema model) from the Bot
Connector's JSON, as msrest's ``Deserializer`` reads it, through plans walked once per class
(see bot/wire.py's docstring); the pieces both sides share (``Convert``, ``_Fallback``,
``_supported``) live here too, so bot/wire.py imports this module and never the other way.

Keys are matched exactly; a ``str`` field takes ``str(value)`` of whatever came (a number
becomes "5", as msrest does), ``bool`` takes true/false, 1/0 and their strings, ``int`` takes
``int(value)``, a timestamp of the usual shape is read straight to what msrest's parser
(isodate) makes of it and any other through that parser, ``object`` is copied, lists and dicts
element by element, and unknown keys land in ``additional_properties`` as they are. What msrest
refuses is refused with the same exception types (``DeserializationError``; ``OverflowError``
for an infinite ``int``, which msrest lets through as it is).
"""

from __future__ import annotations

import contextlib
import functools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from azure.core.exceptions import DeserializationError  # what msrest raises (it depends on it)
from botbuilder.schema import Activity
from isodate.isotzinfo import build_tzinfo  # type: ignore[import-untyped]
from msrest.serialization import Deserializer as _Deserializer
from msrest.serialization import Model

Convert = Callable[[Any], Any]
Deserializer: Any = _Deserializer  # msrest's own parsers are used for datetimes and enums
_BOOLS = [True, False, 1, 0]  # a list: msrest's `in` compares with ==, so 1.0 counts


class _Fallback(Exception):
    """This value or class is left to msrest (see bot/wire.py's docstring)."""


def _supported(cls: type) -> bool:
    """Whether plans mirror msrest for ``cls``: plain attributes only."""
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        return False
    amap: dict[str, dict[str, Any]] = cls._attribute_map
    return not (
        cls._validation
        or getattr(cls, "_subtype_map", None)
        or hasattr(cls, "_xml_map")  # msrest's is_xml_model
        or "additional_properties" in amap
        or any("." in desc["key"] or not desc["key"] for desc in amap.values())
    )


def _failed(value: Any, data_type: str, error: BaseException) -> DeserializationError:
    """msrest's error for a value it cannot read as ``data_type`` (deserialize_data's)."""
    return DeserializationError(
        f"Unable to deserialize response data. Data: {value}, {data_type}, "
        f"{type(error).__name__}: {error}"
    )


def _read_str(value: Any) -> Any:
    if type(value) is str:
        return value
    try:  # msrest's deserialize_unicode: an enum member as it is, anything else str()
        return value if isinstance(value, Enum) else str(value)
    except (ValueError, TypeError, AttributeError) as error:
        raise _failed(value, "str", error) from error


def _read_bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    try:
        if value in _BOOLS:
            return bool(value)
        if isinstance(value, str):
            if value.lower() in ("true", "1"):
                return True
            if value.lower() in ("false", "0"):
                return False
        raise TypeError(f"Invalid boolean value: {value}")
    except (ValueError, TypeError, AttributeError) as error:
        raise _failed(value, "bool", error) from error


def _read_number(kind: type) -> Convert:
    def parse(value: Any) -> Any:  # True is an int, but int(True) is 1
        return value if type(value) is kind else kind(value)

    # OverflowError (int of an infinity) goes through, as in msrest
    return _read_typed(parse, (), kind.__name__)


def _read_object(value: Any) -> Any:
    """msrest's deserialize_object: JSON values copied, anything else refused."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value  # str(), int(), float() and bool() give back the very same object
    if kind is dict:
        copied: dict[Any, Any] = {}
        for key, item in value.items():
            try:
                copied[key] = _read_object(item)
            except ValueError:
                copied[key] = None
        return copied
    if kind is list:
        items: list[Any] = []
        for item in value:
            with contextlib.suppress(ValueError):
                items.append(_read_object(item))
        return items
    if isinstance(value, ET.Element):
        return value
    if isinstance(value, str):
        return value if isinstance(value, Enum) else str(value)
    raise TypeError(f"Cannot deserialize generic object with type: {kind}")


def _read_typed(parse: Convert, expected: type | tuple[type, ...], data_type: str) -> Convert:
    """A value msrest converts (numbers) or parses from text (datetimes, durations...), with
    deserialize_data's error handling; already of the ``expected`` type: as it is."""

    def read(value: Any) -> Any:
        if isinstance(value, expected):
            return value
        try:
            return parse(value)
        except (ValueError, TypeError, AttributeError) as error:
            raise _failed(value, data_type, error) from error

    return read


_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(Z|([+-])([0-9]{2}):([0-9]{2}))"
)


def _iso(value: str) -> datetime | None:
    """The common shape of an ISO-8601 timestamp ("2026-11-24T03:21:10.538Z", or with an offset
    "+11:00"), read to exactly what msrest's parser (isodate) makes of it: isodate's own tzinfo
    objects, the fraction's digits as microseconds. None for any other shape, or a value msrest
    might refuse: msrest's parser decides those."""
    match = _ISO.fullmatch(value)
    if match is None:
        return None
    *fields, fraction, zone, sign, zone_hours, zone_minutes = match.groups()
    tzinfo = build_tzinfo(zone, sign, int(zone_hours or 0), int(zone_minutes or 0))
    microsecond = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        year, month, day, hour, minute, second = map(int, fields)
        parsed = datetime(year, month, day, hour, minute, second, microsecond, tzinfo)
        year_utc = parsed.utctimetuple().tm_year
    except (ValueError, OverflowError):
        return None
    return parsed if 1 <= year_utc <= 9999 else None


def _parse_iso(value: Any) -> Any:
    parsed = _iso(value) if type(value) is str else None
    return Deserializer.deserialize_iso(value) if parsed is None else parsed


def _read_list(item: Convert, data_type: str) -> Convert:
    def read(value: Any) -> list[Any]:
        try:
            if not isinstance(value, list | set):
                raise TypeError(f"Cannot deserialize as {data_type} an object of {type(value)}")
            return [None if element is None else item(element) for element in value]
        except (ValueError, TypeError, AttributeError) as error:
            raise _failed(value, data_type, error) from error

    return read


def _read_dict(item: Convert, data_type: str) -> Convert:
    def one(value: Any) -> Any:
        return None if value is None else item(value)

    def read(value: Any) -> dict[Any, Any]:
        try:  # a KeyError (a pair without "key") goes up to the model, as in msrest
            if isinstance(value, list):
                return {pair["key"]: one(pair["value"]) for pair in value}
            return {key: one(element) for key, element in value.items()}
        except (ValueError, TypeError, AttributeError) as error:
            raise _failed(value, data_type, error) from error

    return read


def _missing_type(data_type: str) -> Convert:
    def read(value: Any) -> Any:
        raise KeyError(data_type)  # msrest looks the type up, and fails, only for a value

    return read


@dataclass(frozen=True)
class _ReadPlan:
    cls: type
    fields: tuple[tuple[str, str, Convert], ...]  # (attribute, JSON key, converter)
    by_key: dict[str, tuple[str, Convert]]  # JSON key -> (attribute, converter)
    empty: dict[str, None]  # every attribute, None (and additional_properties when plain)
    plain: bool  # the class's __init__ only stores its arguments (see _plain_init)


def _plain_init(cls: type, names: list[str]) -> tuple[str, ...] | None:
    """The order of the instance attributes ``cls(**kwargs)`` makes, if its ``__init__`` (and
    Model's) only stores each argument as it is and ``additional_properties = {}``, as the
    generated models do: checked once with distinct objects and with Nones. None otherwise."""
    if any("__new__" in vars(k) or "__slots__" in vars(k) for k in cls.__mro__[:-1]):
        return None
    marks = {name: object() for name in names}
    try:
        marked, empty = cls(**marks), cls(**dict.fromkeys(names))
    except Exception:
        return None
    expected = {"additional_properties", *names}
    for probe, values in ((marked, marks), (empty, dict.fromkeys(names))):
        state = vars(probe)
        if set(state) != expected or state["additional_properties"] != {}:
            return None
        if any(state[name] is not value for name, value in values.items()):
            return None
    return tuple(vars(marked))


class _Reader:
    """Read plans for one set of model classes (what msrest calls its dependencies)."""

    def __init__(self, classes: dict[str, type]) -> None:
        self.classes = classes
        self.models = frozenset(classes.values())
        self.plans: dict[type, _ReadPlan] = {}
        self.fallbacks = 0
        self._deserializer = Deserializer(classes)
        self._parsers: dict[str, Any] = self._deserializer.deserialize_type
        self._expected: dict[str, Any] = self._deserializer.deserialize_expected_types

    def plan(self, cls: type) -> _ReadPlan:
        plan = self.plans.get(cls)
        if plan is None:
            if not _supported(cls):
                raise _Fallback(f"{cls.__name__} uses what the plans leave to msrest")
            amap: dict[str, dict[str, Any]] = cls._attribute_map  # type: ignore[attr-defined]
            fields = tuple((name, d["key"], self.converter(d["type"])) for name, d in amap.items())
            order = _plain_init(cls, list(amap))
            plan = _ReadPlan(
                cls,
                fields,
                {key: (name, convert) for name, key, convert in fields},
                dict.fromkeys(order or amap),
                order is not None,
            )
            self.plans[cls] = plan
        return plan

    def converter(self, data_type: str) -> Convert:
        """msrest's deserialize_data for ``data_type``, chosen once."""
        if not data_type:
            return lambda value: value
        if data_type == "str":
            return _read_str
        if data_type == "bool":
            return _read_bool
        if data_type in ("int", "float"):
            return _read_number(int if data_type == "int" else float)
        if data_type == "object":
            return _read_typed(_read_object, (), data_type)
        if data_type == "iso-8601":
            return _read_typed(_parse_iso, datetime, data_type)
        if data_type in self._parsers:
            expected = self._expected.get(data_type, ())
            return _read_typed(self._parsers[data_type], expected, data_type)
        if data_type[0] + data_type[-1] == "[]":
            return _read_list(self.converter(data_type[1:-1]), data_type)
        if data_type[0] + data_type[-1] == "{}":
            return _read_dict(self.converter(data_type[1:-1]), data_type)
        cls = self.classes.get(data_type)
        if cls is None:
            return _missing_type(data_type)
        if issubclass(cls, Enum):
            enum = cls
            return _read_typed(lambda v: Deserializer.deserialize_enum(v, enum), (), data_type)
        return lambda value: self.read(cls, value)

    def read(self, cls: type, data: Any) -> Any:
        """msrest's _deserialize of one model from JSON data: each key of ``data`` looked up in
        the plan (a message has a dozen keys, an Activity 42 attributes). On any error the
        attributes are read again in msrest's order, so the error is the one msrest meets first."""
        plan = self.plan(cls)
        if type(data) is not dict:
            if hasattr(data, "_attribute_map"):
                raise _Fallback("an already built model")
            return self._read_in_order(plan, data)
        values = plan.empty.copy()
        extra = {}
        by_key = plan.by_key
        try:
            for key, raw in data.items():
                field = by_key.get(key)
                if field is None:
                    extra[key] = raw
                elif raw is not None:
                    values[field[0]] = field[1](raw)
        except _Fallback:
            raise
        except Exception:
            return self._read_in_order(plan, data)
        return self._build(plan, values, extra)

    def _read_in_order(self, plan: _ReadPlan, data: Any) -> Any:
        try:
            get = data.get
            values = plan.empty.copy()
            for name, key, convert in plan.fields:
                raw = get(key)
                values[name] = None if raw is None else convert(raw)
        except (AttributeError, TypeError, KeyError) as error:
            raise DeserializationError(
                f"Unable to deserialize to object: {plan.cls.__name__}, "
                f"{type(error).__name__}: {error}"
            ) from error
        return self._build(plan, values, {key: data[key] for key in data if key not in plan.by_key})

    @staticmethod
    def _build(plan: _ReadPlan, values: dict[str, Any], extra: dict[str, Any]) -> Any:
        """msrest's _instantiate_model: the class built with every attribute, then the keys
        it does not know as ``additional_properties`` (left ``{}`` when there are none). A
        plain class gets the very ``__dict__`` its ``__init__`` would have made."""
        if plan.plain:
            values["additional_properties"] = extra
            model: Any = object.__new__(plan.cls)
            model.__dict__ = values
            return model
        try:
            model = plan.cls(**values)
        except TypeError as error:
            message = f"Unable to deserialize into model {plan.cls}. {error}"
            raise DeserializationError(message) from error
        if extra:
            model.additional_properties = extra
        return model


@functools.cache
def _reader() -> _Reader:
    return _Reader(Activity._infer_class_models())
