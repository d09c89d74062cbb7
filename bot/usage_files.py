"""Reading a usage file for `credits-bot usage import`: a JSON file of call records (an array of
Graph PSTN call records, or a Graph page `{"value": [...]}`, read by `credits.usage.load_records`)
or the CSV that the Teams admin centre exports from its PSTN usage report (Analytics & reports >
Usage reports > PSTN and SMS usage > Export to Excel, file `PSTN.calls.<date>.csv`), each row
turned into a Graph-shaped record. The whole file is checked first, so a bad one applies nothing;
then it is read in batches."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from credits.usage import BodyProblem, RecordsError, load_records

# ---------------------------------------------------------------------- the CSV export

# Columns of the Teams admin centre PSTN usage report export (Calling Plans), as documented in
# "Microsoft Teams PSTN usage report" > "Fields in the export".
ID_COLUMNS = ("UsageId", "Call ID")
REQUIRED_COLUMNS = ("Start Time", "Charge", "Currency")
# (CSV column, record field) copied as text when present and not empty
TEXT_COLUMNS = (
    ("Call ID", "callId"),
    ("Conference ID", "conferenceId"),
    ("User Location", "usageCountryCode"),
    ("AAD ObjectId", "userId"),
    ("UPN", "userPrincipalName"),
    ("User Display Name", "userDisplayName"),
    ("Caller ID", "callerNumber"),
    ("Call Type", "callType"),
    ("Number Type", "numberType"),
    ("Domestic/International", "destinationContext"),
    ("Destination Dialed", "destinationName"),
    ("Destination Number", "calleeNumber"),
    ("End Time", "endDateTime"),
    ("Connection Fee", "connectionCharge"),
    ("Capability", "licenseCapability"),
)
# forms Excel may have rewritten the report's ISO 8601 times into (UTC, per the report)
EXCEL_TIMES = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")
WHOLE_DIGITS_MAX = 18  # larger numbers of seconds stay text (and are rejected as such)


class FormatError(Exception):
    """The file cannot be read as usage: the message says why and what is expected."""


def _cell(row: Mapping[str, str | None], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _iso_utc(text: str | None) -> str | None:
    """The report's start time as ISO 8601 with a zone (the report's times are UTC); text that
    is no time at all is passed on, so the record is rejected with the reason."""
    if text is None:
        return None
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for form in EXCEL_TIMES:
            try:
                when = datetime.strptime(text, form)
                break
            except ValueError:
                continue
    if when is None:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat()


def _whole(text: str | None) -> int | str | None:
    """A whole number of seconds as an int; anything else is passed on as text, so the record
    is rejected with the reason."""
    if text is None:
        return None
    try:  # "125.0": a whole number Excel wrote with a decimal point
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite() or value.adjusted() > WHOLE_DIGITS_MAX:  # "1e999999999": no int
        return text
    return int(value) if value == value.to_integral_value() else text


def csv_record(row: Mapping[str, str | None], tenant: str | None) -> dict[str, Any]:
    """One row of the PSTN usage report export as a Graph-shaped call record."""
    record: dict[str, Any] = {}
    record_id = next((v for v in (_cell(row, c) for c in ID_COLUMNS) if v), None)
    if record_id is not None:
        record["id"] = record_id
    if tenant:
        record["tenantId"] = tenant
    start = _iso_utc(_cell(row, "Start Time"))
    if start is not None:
        record["startDateTime"] = start
    duration = _whole(_cell(row, "Duration Seconds"))
    if duration is not None:
        record["duration"] = duration
    charge = _cell(row, "Charge")
    if charge is not None:
        record["charge"] = charge  # text: parsed exactly by the domain, never as a float
    code = _cell(row, "Currency")
    if code is not None:
        record["currency"] = code.upper()
    for column, name in TEXT_COLUMNS:
        value = _cell(row, column)
        if value is not None and name not in record:
            record[name] = value
    return record


def _csv_reader(handle: TextIO, path: Path) -> csv.DictReader[str]:
    reader = csv.DictReader(handle, strict=True)
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if not any(c in columns for c in ID_COLUMNS):
        missing.insert(0, " or ".join(ID_COLUMNS))
    if missing:
        raise FormatError(
            f"{path} is not a PSTN usage report export (CSV): it has no column "
            + ", ".join(repr(m) for m in missing)
            + ". Export it from the Teams admin centre (Usage reports > PSTN usage > Export), "
            "or give a JSON file of call records."
        )
    return reader


@dataclass
class Source:
    """The records of a file, with a label per record for messages ("line 7", "record 3")."""

    total: int
    batches: Callable[[int], Iterator[list[tuple[str, Any]]]]


def _open_text(path: Path) -> TextIO:
    return path.open(encoding="utf-8-sig", newline="")  # Excel writes a BOM


def _is_json(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return True
    if suffix == ".csv":
        return False
    with _open_text(path) as handle:
        start = handle.read(4096).lstrip()
    return start[:1] in ("[", "{")


def read_source(path: Path, tenant: str | None) -> Source:
    """Check the whole file (so a bad one applies nothing) and say how to read it in batches.
    Raises FormatError (bad content) or OSError (unreadable)."""
    try:
        is_json = _is_json(path)
    except UnicodeDecodeError as error:
        raise FormatError(f"{path} is not UTF-8 text: {error}") from error
    if is_json:
        return _json_source(path)
    if not tenant:
        raise FormatError(
            "The PSTN usage report has no tenant column: name the tenant with --tenant."
        )
    return _csv_source(path, tenant)


def _json_source(path: Path) -> Source:
    with _open_text(path) as handle:
        try:
            records = load_records(handle.read())
        except UnicodeDecodeError as error:
            raise FormatError(f"{path} is not valid JSON: {error}") from error
        except RecordsError as error:
            raise FormatError(_json_problem(path, error)) from error

    def batches(size: int) -> Iterator[list[tuple[str, Any]]]:
        for start in range(0, len(records), size):
            chunk = records[start : start + size]
            yield [(f"record {start + i + 1}", r) for i, r in enumerate(chunk)]

    return Source(len(records), batches)


def _json_problem(path: Path, error: RecordsError) -> str:
    match error.problem:
        case BodyProblem.TOO_DEEP:
            return f"{path}: the JSON is nested too deeply"
        case BodyProblem.NOT_JSON:
            return f"{path} is not valid JSON: {error.detail}"
        case BodyProblem.NOT_RECORDS:
            return (
                f'{path}: expected a JSON array of call records or {{"value": [call records...]}}'
            )


def _csv_source(path: Path, tenant: str) -> Source:
    total = 0
    reader: csv.DictReader[str] | None = None
    with _open_text(path) as handle:
        try:
            reader = _csv_reader(handle, path)
            for _ in reader:
                total += 1
        except csv.Error as error:
            line = reader.line_num if reader is not None else 1
            raise FormatError(f"{path}, line {line}: {error}") from error
        except UnicodeDecodeError as error:
            raise FormatError(f"{path} is not UTF-8 text: {error}") from error

    def batches(size: int) -> Iterator[list[tuple[str, Any]]]:
        with _open_text(path) as handle:
            reader = _csv_reader(handle, path)
            batch: list[tuple[str, Any]] = []
            for row in reader:
                batch.append((f"line {reader.line_num}", csv_record(row, tenant)))
                if len(batch) >= size:
                    yield batch
                    batch = []
            if batch:
                yield batch

    return Source(total, batches)
