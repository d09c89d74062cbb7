"""Usage records shaped like Microsoft Graph's PSTN call records (callRecords/getPstnCalls).

`parse_record` checks every field of a record once, here, against what the store can hold
(credits/schema.py) and what makes sense for a call; a refusal names the field and says what is
allowed, and nothing is ever cut to fit. JSON callers read bodies with `load_json` (the records
of a body, an array or a Graph page, with `load_records`, for both `POST /api/usage` and
`credits-bot usage import`): numbers are exact Decimals, never floats, and a number no Decimal or
int can hold becomes a value that every check refuses (so one such number rejects its record, not
the whole body). `summarize` and `summary_line` count outcomes by status, for the API's answer and
the command line alike.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from credits.errors import ValidationError
from credits.models import UsageOutcome, UsageStatus
from credits.money import AmountError, Currency, Money, currency
from credits.text import (
    RECORD_ID_MAX,
    SHORT_TEXT_MAX,
    TENANT_ID_MAX,
    UPN_MAX,
    checked,
    clean_name,
    text_problem,
)

# the ledger keeps "usage:<id>" as the entry's idempotency key, a String(200)
LEDGER_KEY_PREFIX = "usage:"
ID_MAX = RECORD_ID_MAX - len(LEDGER_KEY_PREFIX)  # 194
START_FIRST_YEAR, START_LAST_YEAR = 2000, 2100  # in UTC
DURATION_MAX = 31 * 24 * 60 * 60  # 31 days, in seconds: fits the Integer column many times over
CHARGE_MAX_MINOR = 10**12  # per call: $10,000,000,000.00 in USD
# No usage may take a balance below this (checked per record in credits/ingest.py):
# far below any real balance, and far enough above -2**63 that no balance, no sum of entries
# (SQLite's SUM() raises on overflow) and no debt can overflow a 64-bit integer.
BALANCE_FLOOR_MINOR = -(2**62)

_START_MIN = datetime(START_FIRST_YEAR, 1, 1, tzinfo=UTC)
_START_END = datetime(START_LAST_YEAR + 1, 1, 1, tzinfo=UTC)
_START_HINT = "ISO 8601 with a time zone, e.g. 2026-01-31T09:00:00Z"
_TEXT_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SHORT_INPUT_MAX = 64  # a date or a number written as text: longer is no date or number
_CHARGE_HINT = "a finite decimal number, 0 or more, e.g. 1.25"
_JSON_INT_DIGITS_MAX = 4000  # Python refuses to read ints of over 4,300 digits


@dataclass(frozen=True, slots=True)
class UsageRecord:
    id: str
    tenant_id: str
    start: datetime
    duration_seconds: int
    charge: Money
    license_capability: str | None
    call_type: str | None
    user_principal_name: str | None
    destination_context: str | None
    user_display_name: str | None = None
    destination_name: str | None = None


def ledger_key(record_id: str) -> str:
    """The idempotency key of the ledger entry a call record makes (at most 200 characters)."""
    return f"{LEDGER_KEY_PREFIX}{record_id}"


def parse_record(record: Any, default_tenant: str | None = None) -> UsageRecord:
    """Validate one call record; raises ValidationError naming the field and what is allowed."""
    if not isinstance(record, Mapping):
        raise ValidationError("each record must be a JSON object")
    record_id = _id(record.get("id"))
    tenant_id = _tenant(record.get("tenantId"), default_tenant)
    cur = _currency(record.get("currency"))
    return UsageRecord(
        id=record_id,
        tenant_id=tenant_id,
        start=_start(record.get("startDateTime")),
        duration_seconds=_duration(record.get("duration")),
        charge=_charge(record.get("charge"), cur),
        license_capability=_optional_text(record, "licenseCapability", SHORT_TEXT_MAX),
        call_type=_optional_text(record, "callType", SHORT_TEXT_MAX),
        user_principal_name=_optional_text(record, "userPrincipalName", UPN_MAX),
        destination_context=_optional_text(record, "destinationContext", SHORT_TEXT_MAX),
        user_display_name=_name(record.get("userDisplayName")),
        destination_name=_name(record.get("destinationName")),
    )


def sent_id(record: Any) -> str | None:
    """The id a rejected record was sent with, to echo back: only text fit to show, else None."""
    sent = record.get("id") if isinstance(record, Mapping) else None
    return sent if isinstance(sent, str) and text_problem(sent, RECORD_ID_MAX) is None else None


def load_json(raw: str | bytes) -> Any:
    """JSON as usage must be read: numbers as exact Decimals (never float); NaN and Infinity
    refused. A number beyond what a Decimal holds (an exponent of over 18 digits) is read as
    Decimal NaN and an integer of over 4,000 digits as a Decimal, so the field's check refuses
    it. Raises ValueError (not JSON) or RecursionError (nested too deeply)."""
    return json.loads(
        raw, parse_float=_json_decimal, parse_int=_json_int, parse_constant=_json_constant
    )


class BodyProblem(StrEnum):
    """Why a body holds no call records."""

    TOO_DEEP = "too_deep"  # nested too deeply to read
    NOT_JSON = "not_json"  # not JSON (or not UTF-8, or NaN/Infinity)
    NOT_RECORDS = "not_records"  # JSON, but neither an array nor {"value": [...]}


class RecordsError(Exception):
    """A body that holds no call records: `problem` says why; `detail` is the JSON reader's
    message for NOT_JSON. Each caller words it for its own reader (API client, CLI user)."""

    def __init__(self, problem: BodyProblem, detail: str = "") -> None:
        super().__init__(detail or problem.value)
        self.problem = problem
        self.detail = detail


def load_records(raw: str | bytes) -> list[Any]:
    """The call records of a body, read by `load_json`: a JSON array of records or a Graph page
    `{"value": [...]}` (`@odata.nextLink` is ignored). Raises RecordsError."""
    try:
        body = load_json(raw)
    except RecursionError as error:
        raise RecordsError(BodyProblem.TOO_DEEP) from error
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
        raise RecordsError(BodyProblem.NOT_JSON, str(error)) from error
    if isinstance(body, dict):
        body = body.get("value")
    if not isinstance(body, list):
        raise RecordsError(BodyProblem.NOT_RECORDS)
    return body


def summarize(outcomes: Iterable[UsageOutcome]) -> dict[str, int]:
    """How many records ended in each status: every status, in `UsageStatus` order."""
    counts = Counter(outcome.status for outcome in outcomes)
    return {status.value: counts.get(status, 0) for status in UsageStatus}


def summary_line(counts: Mapping[str, object]) -> str:
    """``"3 applied, 1 duplicate, 0 conflict, 2 rejected"``: each status's count, 0 if absent."""
    return ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in UsageStatus)


def _json_decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal("NaN")


def _json_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= _JSON_INT_DIGITS_MAX else Decimal(text)


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _id(value: object) -> str:
    if value is None:
        raise ValidationError(f"'id' is required: text of 1 to {ID_MAX} characters")
    problem = text_problem(value, ID_MAX)
    if problem is not None:
        raise ValidationError(f"'id' {problem}")
    assert isinstance(value, str)
    return value  # as sent: the id is what makes a replay a duplicate


def _tenant(value: object, default: str | None) -> str:
    value = default if value is None else value
    if value is None:
        raise ValidationError(f"'tenantId' is required: text of 1 to {TENANT_ID_MAX} characters")
    return checked(value, "tenantId", TENANT_ID_MAX)


def _currency(value: object) -> Currency:
    if value is None:
        raise ValidationError("'currency' is required (ISO 4217, e.g. USD)")
    problem = text_problem(value, SHORT_TEXT_MAX)
    if problem is not None:
        raise ValidationError(f"'currency' {problem} (ISO 4217, e.g. USD)")
    assert isinstance(value, str)
    try:
        return currency(value)
    except AmountError as error:
        raise ValidationError(f"'currency': {error}") from error


def _start(value: object) -> datetime:
    if value is None:
        raise ValidationError(f"'startDateTime' is required: {_START_HINT}")
    if not isinstance(value, str) or len(value) > _SHORT_INPUT_MAX:
        raise ValidationError(f"'startDateTime' must be {_START_HINT}")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ValidationError(f"'startDateTime' must be {_START_HINT}") from error
    if when.tzinfo is None:
        raise ValidationError("'startDateTime' needs a time zone (e.g. a trailing Z)")
    # the local year first: converting year 1 or 9999 to UTC can overflow
    if START_FIRST_YEAR - 1 <= when.year <= START_LAST_YEAR + 1:
        when = when.astimezone(UTC)
        if _START_MIN <= when < _START_END:
            return when
    raise ValidationError(
        f"'startDateTime' must be in the years {START_FIRST_YEAR} to {START_LAST_YEAR} (UTC)"
    )


def _duration(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= DURATION_MAX:
        raise ValidationError(
            f"'duration' must be a whole number of seconds from 0 to {DURATION_MAX} (31 days)"
        )
    return value


def _amount(value: object) -> Decimal:
    """The charge as an exact, finite Decimal (not yet checked for sign or size)."""
    if value is None:
        raise ValidationError(f"'charge' is required: {_CHARGE_HINT}")
    if isinstance(value, float):
        raise ValidationError("'charge' must be an exact decimal (parse JSON numbers as Decimal)")
    amount: Decimal | None = None
    if isinstance(value, bool):
        amount = None
    elif isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, str) and len(value) <= _SHORT_INPUT_MAX:
        text = value.strip()
        if _TEXT_NUMBER.fullmatch(text):
            try:
                amount = Decimal(text)
            except InvalidOperation:  # an exponent beyond what a Decimal holds
                amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(f"'charge' must be {_CHARGE_HINT}")
    return amount


def _charge(value: object, cur: Currency) -> Money:
    amount = _amount(value)
    if amount < 0:
        raise ValidationError("'charge' cannot be negative")
    top = Money.from_minor(CHARGE_MAX_MINOR, cur)
    if amount > top.amount:
        raise ValidationError(f"'charge' must be at most {top.format()} for one call")
    try:
        return Money(amount, cur)
    except AmountError as error:  # more decimals than the currency has
        raise ValidationError(f"'charge': {error}") from error


def _name(value: object) -> str | None:
    """A display name (the caller's, the destination's): shown only, so cleaned, never refused."""
    return clean_name(value) or None


def _optional_text(record: Mapping[str, Any], name: str, limit: int) -> str | None:
    """Descriptive text: absent, null or blank is no value; anything else must fit, uncut."""
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return checked(value, name, limit)
