"""`credits-bot usage import` (JSON and the Teams PSTN usage report CSV) into a SQLite ledger, and
`credits-bot usage simulate` against a real aiohttp server moving a tenant's balance."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from helpers import local_settings

from bot.app import create_app
from bot.appkeys import SERVICE
from bot.usage_calls import synthetic_calls
from bot.usage_cli import add_usage_commands
from bot.usage_files import csv_record
from bot.usage_import import import_file
from credits.config import CreditsConfig
from credits.models import Actor, EntryKind
from credits.money import Money, currency
from credits.service import CreditsService
from credits.usage import parse_record

TENANT = "33333333-0000-4000-8000-000000000003"
USD = currency("USD")
# the columns of the Teams admin centre PSTN usage report export, in order
HEADER = [
    "UsageId",
    "Call ID",
    "Conference ID",
    "User Location",
    "AAD ObjectId",
    "UPN",
    "User Display Name",
    "Caller ID",
    "Call Type",
    "Number Type",
    "Domestic/International",
    "Destination Dialed",
    "Destination Number",
    "Start Time",
    "End Time",
    "Duration Seconds",
    "Connection Fee",
    "Charge",
    "Currency",
    "Capability",
]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="credits-bot")
    sub = parser.add_subparsers(dest="command", required=True)
    add_usage_commands(sub)
    args = parser.parse_args(argv)
    result: int = args.direct(args)
    return result


def row(usage_id: str, charge: str, **overrides: str) -> dict[str, str]:
    values = {
        "UsageId": usage_id,
        "Call ID": f"call-{usage_id}",
        "Conference ID": "",
        "User Location": "US",
        "AAD ObjectId": "00000000-0000-0000-0000-000000000020",
        "UPN": "alex.wilber@contoso.com",
        "User Display Name": "Alex Wilber",
        "Caller ID": "+14255550100",
        "Call Type": "user_out",
        "Number Type": "user",
        "Domestic/International": "International",
        "Destination Dialed": "United Kingdom",
        "Destination Number": "+442079460000",
        "Start Time": "2026-11-20T10:00:00Z",
        "End Time": "2026-11-20T10:05:00Z",
        "Duration Seconds": "300",
        "Connection Fee": "0.00",
        "Charge": charge,
        "Currency": "USD",
        "Capability": "MCOPSTN2",
    }
    values.update(overrides)
    return values


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # as Excel saves it
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The command's database, through the environment as a deployment sets it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CREDITS_DATABASE_URL", url)
    monkeypatch.delenv("CREDITS_DATABASE_SCHEMA", raising=False)
    monkeypatch.delenv("CREDITS_USAGE_TOKEN", raising=False)
    return url


@pytest.fixture
async def ledger(database: str) -> AsyncIterator[CreditsService]:
    service = await CreditsService.open(CreditsConfig(_env_file=None, database_url=database))  # type: ignore[call-arg]
    yield service
    await service.close()


async def usage_entries(service: CreditsService, tenant: str = TENANT) -> list[Any]:
    page = await service.history(tenant, limit=200)
    return [e for e in page.entries if e.kind == EntryKind.USAGE]


async def cli(argv: list[str]) -> int:
    """The command in a thread of its own: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(run, argv)


# ---------------------------------------------------------------------- usage import


async def test_import_a_pstn_usage_report_csv(
    ledger: CreditsService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await ledger.add_funds(TENANT, "50", Actor("aad-1", "Admin"), "fund-1")
    path = write_csv(
        tmp_path / "PSTN.calls.2026-11-24.csv",
        [
            row("u1", "1.20"),
            row("u2", "0.35", **{"Start Time": "2026-11-20 11:00:00"}),  # no zone: UTC
            row("u3", "2.05", **{"Start Time": "11/20/2026 1:30:00 PM"}),  # as Excel rewrote it
            row("u4", "0", **{"Call Type": "user_in"}),  # free: recorded, no ledger entry
            row("u1", "1.20"),  # the same call again: a duplicate
            row("u5", "abc"),
            row("u6", "1.00", Currency="EUR"),
            row("", "1.00", **{"Call ID": ""}),
            row("u7", "0.60", **{"Duration Seconds": "ten"}),
        ],
    )
    assert await cli(["usage", "import", str(path), "--tenant", TENANT]) == 0
    out = capsys.readouterr().out
    assert f"Read 9 call records from {path}" in out
    assert "4 applied, 1 duplicate, 0 conflict, 4 rejected" in out
    assert "line 7: rejected: 'charge'" in out  # the row's line in the file
    assert "line 8: rejected: the account is in USD, not EUR" in out
    assert "line 9: rejected: 'id' is required" in out

    assert (await ledger.account(TENANT)).balance == Money(Decimal("46.40"), USD)
    entries = await usage_entries(ledger)
    assert sorted(e.amount for e in entries) == [
        Money(Decimal(v), USD) for v in ("-2.05", "-1.20", "-0.35")
    ]
    assert {e.actor.name for e in entries} == {"alex.wilber@contoso.com"}
    by_amount = {e.amount.amount: e for e in entries}
    assert by_amount[Decimal("-2.05")].occurred_at.replace(tzinfo=UTC) == datetime(
        2026, 11, 20, 13, 30, tzinfo=UTC
    )
    assert "user_out, 5 min to International (u1)" in by_amount[Decimal("-1.20")].reason

    # importing the same file again changes nothing
    assert await cli(["usage", "import", str(path), "--tenant", TENANT]) == 0
    assert "0 applied, 5 duplicate" in capsys.readouterr().out
    assert (await ledger.account(TENANT)).balance == Money(Decimal("46.40"), USD)


async def test_import_a_json_file_of_call_records(
    ledger: CreditsService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "44444444-0000-4000-8000-000000000004"
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    calls = synthetic_calls(TENANT, 5, now, random.Random(7))
    calls[0]["charge"] = "12.34"
    calls.append(dict(calls[0], charge="99.00"))  # same id, other charge: a conflict
    calls.append({k: v for k, v in calls[1].items() if k != "tenantId"} | {"id": "untenanted"})
    calls.append(dict(synthetic_calls(other, 1, now, random.Random(8))[0], charge="3.00"))
    path = tmp_path / "calls.json"
    path.write_text(json.dumps({"value": calls, "@odata.nextLink": "https://example/next"}))

    assert await cli(["usage", "import", str(path), "--tenant", TENANT]) == 0
    out = capsys.readouterr().out
    assert "7 applied, 0 duplicate, 1 conflict, 0 rejected" in out
    assert "record 6: conflict: already recorded with charge" in out

    spent = sum((Decimal(c["charge"]) for c in calls[:5]), Decimal(0)) + Decimal(calls[6]["charge"])
    assert (await ledger.account(TENANT)).balance == Money(-spent, USD)
    assert len(await usage_entries(ledger)) == 6
    assert (await ledger.account(other)).balance == Money(Decimal("-3.00"), USD)


async def test_import_reports_poison_rows_and_applies_the_rest(
    ledger: CreditsService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(
        tmp_path / "PSTN.calls.2026-11-25.csv",
        [
            row("g1", "1.00"),
            row("p1", "1.00", **{"Start Time": "0001-01-01T00:00:00+05:00"}),
            row("p2", "1.00", **{"Duration Seconds": "1e400"}),
            row("p3", "1.00", UPN="u" * 250 + "@contoso.com"),  # longer than an actor name
            row("p4", "90000000000000000"),  # 9e18 cents: two of them overflow 64 bits
            row("p5", "1.00", **{"Call Type": "c" * 101}),  # cut to 100 before
            row("g2", "2.00"),
        ],
    )
    assert await cli(["usage", "import", str(path), "--tenant", TENANT]) == 0
    out = capsys.readouterr().out
    assert "2 applied, 0 duplicate, 0 conflict, 5 rejected" in out
    for line, field in [
        (3, "startDateTime"),
        (4, "duration"),
        (5, "userPrincipalName"),
        (6, "charge"),
        (7, "callType"),
    ]:
        assert f"line {line}: rejected: '{field}'" in out
    assert (await ledger.account(TENANT)).balance == Money(Decimal("-3.00"), USD)
    check = await ledger.verify(TENANT)
    assert check["stored"] == check["entries"] == check["lots_minus_debt"] == -300


async def test_import_reports_poison_json_records_and_applies_the_rest(
    ledger: CreditsService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad_id, huge, too_long = synthetic_calls(TENANT, 4, datetime.now(UTC), random.Random(3))
    bad_id["id"] = "call\ud800"
    huge["charge"] = "HUGE"
    too_long["tenantId"] = "t" * 101
    path = tmp_path / "calls.json"
    raw = json.dumps([good, bad_id, huge, too_long]).replace('"HUGE"', "1e99999999999999999999")
    path.write_text(raw)
    assert await cli(["usage", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 applied, 0 duplicate, 0 conflict, 3 rejected" in out
    assert "record 2: rejected: 'id'" in out
    assert "record 3: rejected: 'charge'" in out
    assert "record 4: rejected: 'tenantId'" in out
    assert len(await usage_entries(ledger)) == 1


async def test_import_json_numbers_are_exact(
    ledger: CreditsService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "calls.data"  # no telling suffix: sniffed
    record = synthetic_calls(TENANT, 1, datetime.now(UTC), random.Random(1))[0]
    path.write_text(json.dumps([record]).replace(f'"{record["charge"]}"', "0.10"))
    assert await cli(["usage", "import", str(path)]) == 0
    assert "1 applied" in capsys.readouterr().out
    assert (await ledger.account(TENANT)).balance == Money(Decimal("-0.10"), USD)


async def test_import_shows_progress_on_long_files(database: str, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    write_csv(path, [row(f"p{i}", "0.01") for i in range(25)])

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    tally = await import_file(path, TENANT, terminal, batch=10)
    assert tally.counts["applied"] == 25
    drawn = terminal.getvalue()
    assert drawn.count("\r[") == 3 and "100% 25/25 records" in drawn and drawn.endswith("\n")

    log = io.StringIO()  # not a terminal: plain lines
    tally = await import_file(path, TENANT, log, batch=10, every=0)
    assert tally.counts["duplicate"] == 25
    assert log.getvalue().splitlines() == ["10/25 records", "20/25 records", "25/25 records"]


@pytest.mark.parametrize(
    ("name", "content", "argv", "says"),
    [
        ("missing.json", None, [], "cannot read"),
        ("bad.json", "[{", [], "is not valid JSON"),
        ("shape.json", '{"rows": []}', [], "expected a JSON array of call records"),
        ("nan.json", '[{"charge": NaN}]', [], "is not valid JSON"),
        ("plain.csv", "a,b\n1,2\n", ["--tenant", TENANT], "not a PSTN usage report"),
        ("report.csv", ",".join(HEADER) + "\n", [], "--tenant"),
        ("broken.csv", ",".join(HEADER) + '\n"u1,\n', ["--tenant", TENANT], "line"),
        ("header.csv", '"UsageId,Call ID\n', ["--tenant", TENANT], "line 1"),
        ("binary.csv", b"\xff\xfe\x00\x01", ["--tenant", TENANT], "not UTF-8"),
    ],
)
async def test_import_refuses_a_file_it_cannot_read(
    ledger: CreditsService,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str | bytes | None,
    argv: list[str],
    says: str,
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert await cli(["usage", "import", str(path), *argv]) == 2
    assert says in capsys.readouterr().err
    assert await usage_entries(ledger) == []


def test_a_csv_row_becomes_a_graph_call_record() -> None:
    record = csv_record(row("u1", " 1.20 ", **{"Conference ID": "4711"}), TENANT)
    assert record["id"] == "u1" and record["tenantId"] == TENANT
    assert record["charge"] == "1.20" and record["duration"] == 300
    assert record["startDateTime"] == "2026-11-20T10:00:00+00:00"
    assert record["callType"] == "user_out" and record["licenseCapability"] == "MCOPSTN2"
    assert record["destinationContext"] == "International"
    assert record["userPrincipalName"] == "alex.wilber@contoso.com"
    assert record["conferenceId"] == "4711" and "Conference ID" not in record
    parsed = parse_record(record)
    assert parsed.charge == Money(Decimal("1.20"), USD)
    assert csv_record(row("", "1", **{"Call ID": "c-9"}), None)["id"] == "c-9"
    assert csv_record(row("u", "1", **{"Duration Seconds": "61.0"}), None)["duration"] == 61


# ---------------------------------------------------------------------- synthetic calls


def test_synthetic_calls_are_realistic_and_valid() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    calls = synthetic_calls(TENANT, 400, now, random.Random(42))
    assert calls == synthetic_calls(TENANT, 400, now, random.Random(42))  # pure
    assert len({c["id"] for c in calls}) == 400
    records = [parse_record(c) for c in calls]
    assert all(isinstance(c["charge"], str) for c in calls)
    assert all(30 <= r.duration_seconds <= 2400 for r in records)
    assert all(r.charge.is_positive and r.tenant_id == TENANT for r in records)
    assert all(c["endDateTime"] == "2026-11-24T12:00:00Z" for c in calls)
    assert {c["callType"] for c in calls} == {"conf_out", "user_out", "ucap_in"}
    assert {c["destinationContext"] for c in calls} == {"Domestic", "International"}
    assert len({c["destinationName"] for c in calls}) > 4
    assert len({r.charge for r in records}) > 50
    durations = sorted(r.duration_seconds for r in records)
    assert durations[200] < 600 < durations[-1]  # mostly short, some long
    # the same minutes cost more abroad
    rate = {
        (c["callType"], c["destinationContext"]): Decimal(c["charge"]) / -(-c["duration"] // 60)
        for c in calls
    }
    assert rate[("user_out", "International")] > rate[("user_out", "Domestic")]


# ---------------------------------------------------------------------- usage simulate

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


async def test_simulate_moves_the_balance(
    aiohttp_server: ServerFactory,
    tmp_path: Path,
    database: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = create_app(local_settings(tmp_path, usage_token="s3cret", workers=False))

    server = await aiohttp_server(app)
    service = app[SERVICE]
    await service.add_funds(TENANT, "100", Actor("aad-1", "Admin"), "fund-1")
    url = str(server.make_url("/api/usage"))

    argv = ["usage", "simulate", "--tenant", TENANT, "--per-minute", "120", "--minutes", "0.04"]
    assert await cli([*argv, "--url", url, "--token", "s3cret"]) == 0
    out = capsys.readouterr().out
    batches = [line for line in out.splitlines() if " USD): " in line]
    assert len(batches) >= 2  # spread over the time, not all at once
    assert all("0 duplicate, 0 conflict, 0 rejected" in line for line in batches)
    assert f"Posted 5 calls for {TENANT}: 5 applied" in out

    view = await service.account(TENANT)
    assert view.balance < Money(Decimal("100"), USD)
    entries = await usage_entries(service)
    assert len(entries) == 5
    charged = sum((-e.amount.amount for e in entries), Decimal(0))
    assert view.balance == Money(Decimal("100") - charged, USD)
    assert f"charged {charged}." in out


async def test_simulate_says_what_is_wrong(
    aiohttp_server: ServerFactory,
    tmp_path: Path,
    database: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["usage", "simulate", "--tenant", TENANT, "--per-minute", "60", "--minutes", "0.01"]
    assert await cli(argv) == 2
    assert "CREDITS_USAGE_TOKEN" in capsys.readouterr().err

    app = create_app(local_settings(tmp_path, usage_token="s3cret", workers=False))

    server = await aiohttp_server(app)
    url = str(server.make_url("/api/usage"))
    assert await cli([*argv, "--url", url, "--token", "wrong"]) == 1
    assert "refused the token" in capsys.readouterr().err

    off = create_app(local_settings(tmp_path / "off", workers=False))
    (tmp_path / "off").mkdir()

    off_url = str((await aiohttp_server(off)).make_url("/api/usage"))
    assert await cli([*argv, "--url", off_url, "--token", "s3cret"]) == 1
    assert "usage API is off" in capsys.readouterr().err

    await server.close()
    assert await cli([*argv, "--url", url, "--token", "s3cret"]) == 1
    assert "cannot reach" in capsys.readouterr().err
