"""Which of Graph's PSTN call rows draw on Communications Credits, as a pure function.

`getPstnCalls` returns every PSTN call of a tenant: calls covered by a Calling Plan's minutes,
Audio Conferencing dial-outs, toll-free calls, and those paid from Communications Credits. What we
found in Microsoft's documentation (docs/graph-usage.md §2): a row is paid from Communications
Credits when its `licenseCapability` is `MCOPSTNPP` ("Communications Credits" in the Teams PSTN
usage report's Capability column); its `charge` is what was charged. Both parts are configurable
(`CREDITS_GRAPH_DEBIT_CAPABILITIES`, `CREDITS_GRAPH_ADD_CONNECTION_CHARGE`), because the
documentation leaves room: whether `charge` includes `connectionCharge` is not stated. A charge
finer than the currency's minor unit is rounded half up to it (Graph types it as a Double).

A row that draws on credits becomes a usage record for the ingest (tenant set to the tenant it
was pulled for, whatever the row says); a row that does not is skipped and counted, never
debited. A row the ingest would refuse (a bad field) is passed on as it is, so the ingest's one
set of checks judges it and reports why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from credits.money import AmountError, currency


@dataclass(frozen=True, slots=True)
class DebitRule:
    capabilities: frozenset[str]  # upper case
    add_connection_charge: bool

    @classmethod
    def of(cls, capabilities: Sequence[str], add_connection_charge: bool) -> DebitRule:
        return cls(frozenset(c.strip().upper() for c in capabilities), add_connection_charge)


@dataclass(frozen=True, slots=True)
class SortedRows:
    records: list[Any]  # for the ingest: rows that draw on credits, and rows it must judge
    skipped: int  # not paid from Communications Credits, or free


def sort_rows(rows: Sequence[Any], tenant_id: str, rule: DebitRule) -> SortedRows:
    records: list[Any] = []
    skipped = 0
    for row in rows:
        record = to_record(row, tenant_id, rule)
        if record is None:
            skipped += 1
        else:
            records.append(record)
    return SortedRows(records, skipped)


def to_record(row: Any, tenant_id: str, rule: DebitRule) -> Any | None:
    """The usage record a row makes, or None when it does not draw on credits."""
    if not isinstance(row, Mapping):
        return row  # the ingest refuses it, with its reason
    capability = row.get("licenseCapability")
    if not isinstance(capability, str) or capability.strip().upper() not in rule.capabilities:
        return None
    charge = row.get("charge")
    if rule.add_connection_charge:
        charge = _sum(charge, row.get("connectionCharge"))
    charge = _to_minor_units(charge, row.get("currency"))
    if _is_zero(charge):
        return None  # free: nothing drawn
    return {**row, "tenantId": tenant_id, "charge": charge}


def _to_minor_units(charge: Any, code: Any) -> Any:
    """Graph types `charge` as a Double: a charge finer than the currency's minor unit (a rate
    times the minutes) is rounded half up to it, the same way every time for the same row, so a
    row read again is still a duplicate. Anything else goes on as it is, for the ingest."""
    if not _number(charge) or not isinstance(code, str):
        return charge
    try:
        exponent = currency(code).exponent
    except AmountError:
        return charge  # the ingest refuses the currency, with its reason
    quantum = Decimal(1).scaleb(-exponent)
    try:
        return Decimal(charge).quantize(quantum, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # too large to hold: the ingest refuses it
        return charge


def _sum(charge: Any, connection: Any) -> Any:
    if connection is None or _is_zero(connection):
        return charge
    if _number(charge) and _number(connection):
        return charge + connection
    return charge if not _number(charge) else connection  # let the ingest refuse the bad one


def _number(value: Any) -> bool:
    return (
        isinstance(value, Decimal | int)
        and not isinstance(value, bool)
        and (not isinstance(value, Decimal) or value.is_finite())
    )


def _is_zero(value: Any) -> bool:
    return _number(value) and value == 0
