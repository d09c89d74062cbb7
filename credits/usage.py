"""Usage records shaped like Microsoft Graph's PSTN call records (callRecords/getPstnCalls).

JSON callers must parse numbers as Decimal (json.loads(..., parse_float=Decimal)); a float
charge is refused rather than rounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from credits.errors import ValidationError
from credits.money import AmountError, Currency, Money, currency

MAX_ID = 200


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


def _text(record: Mapping[str, Any], name: str, limit: int = 300) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"'{name}' must be text")
    return value[:limit]


def _charge(value: Any, cur: Currency) -> Money:
    if isinstance(value, bool) or value is None:
        raise ValidationError("'charge' is required and must be a number")
    if isinstance(value, float):
        raise ValidationError("'charge' must be an exact decimal (parse JSON numbers as Decimal)")
    try:
        amount = Decimal(value) if isinstance(value, int | str | Decimal) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError("'charge' must be a finite decimal number")
    if amount < 0:
        raise ValidationError("'charge' cannot be negative")
    try:
        return Money(amount, cur)
    except AmountError as error:
        raise ValidationError(f"'charge': {error}") from error


def _start(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValidationError("'startDateTime' is required (ISO 8601, e.g. 2026-01-31T09:00:00Z)")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValidationError(
            "'startDateTime' must be ISO 8601, e.g. 2026-01-31T09:00:00Z"
        ) from error
    if when.tzinfo is None:
        raise ValidationError("'startDateTime' needs a time zone (e.g. a trailing Z)")
    return when.astimezone(UTC)


def parse_record(record: Any, default_tenant: str | None = None) -> UsageRecord:
    """Validate one call record; raises ValidationError saying what is wrong."""
    if not isinstance(record, Mapping):
        raise ValidationError("each record must be a JSON object")
    record_id = record.get("id")
    if not isinstance(record_id, str) or not record_id.strip() or len(record_id) > MAX_ID:
        raise ValidationError(f"'id' is required: text of 1 to {MAX_ID} characters")
    tenant = record.get("tenantId", default_tenant)
    if not isinstance(tenant, str) or not tenant.strip():
        raise ValidationError("'tenantId' is required")
    code = record.get("currency")
    if not isinstance(code, str):
        raise ValidationError("'currency' is required (ISO 4217, e.g. USD)")
    try:
        cur = currency(code)
    except AmountError as error:
        raise ValidationError(str(error)) from error
    duration = record.get("duration", 0)
    if isinstance(duration, bool) or not isinstance(duration, int) or duration < 0:
        raise ValidationError("'duration' must be a whole number of seconds, 0 or more")
    return UsageRecord(
        id=record_id,
        tenant_id=tenant.strip(),
        start=_start(record.get("startDateTime")),
        duration_seconds=duration,
        charge=_charge(record.get("charge"), cur),
        license_capability=_text(record, "licenseCapability", 100),
        call_type=_text(record, "callType", 100),
        user_principal_name=_text(record, "userPrincipalName"),
        destination_context=_text(record, "destinationContext", 100),
    )
