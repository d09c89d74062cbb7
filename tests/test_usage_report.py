"""What the admin sees of usage: spend by caller and by destination (this month, the last 7 days)
from the stored call records on SQLite and PostgreSQL, the usage card (and in the terminal), who
may ask for it, `credits-bot usage report --csv` for finance, and the unusual-spend alert that
names the hour's top callers and offers to pause auto-recharge (confirmed)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from card_helpers import button, texts
from dialog_helpers import ADMIN, TENANT, VIEWER, card_of, chat, client, press
from records import OMIT
from records import call as record_call

from bot.usage_cli import add_usage_commands
from bot.usage_report import CSV_HEADER
from cards import (
    MAX_CARD_BYTES,
    alert_card,
    card_size,
    coalesced_card,
    render_text,
    usage_card,
    validate_card,
)
from cards import actions as verbs
from credits import usage_report
from credits.alert_payloads import SpendShare, UnusualSpend, read_payload
from credits.clock import ManualClock
from credits.config import CreditsConfig
from credits.errors import NotFoundError
from credits.models import Alert, AlertKind, AlertStatus, UsageStatus
from credits.money import Money, currency
from credits.service import CreditsService
from credits.usage_report import Others, Period, UsageLine, parse_month
from dialogs.actions import NOT_ALLOWED, CardActions, CardSigner
from dialogs.card_data import parse_card_data

USD = currency("USD")
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
MEGAN = {"userPrincipalName": "megan@contoso.com", "userDisplayName": "Megan Bowen"}
ALEX = {"userPrincipalName": "alex@contoso.com", "userDisplayName": "Alex Wilber"}
UK = {"destinationName": "United Kingdom", "destinationContext": "International"}
US = {"destinationName": "United States", "destinationContext": "Domestic"}
call = partial(record_call, tenantId=TENANT)


def usd(text_: str) -> Money:
    return Money.from_minor(int(text_.replace(".", "")), USD)


def at(text_: str) -> str:
    return f"{text_}Z"


# November 10 is in neither period; November 28 only in the last 7 days; December in both
CALLS = [
    call("n10", "5.00", startDateTime=at("2026-11-10T09:00:00"), duration=600, **MEGAN, **UK),
    call("n28", "2.00", startDateTime=at("2026-11-28T10:00:00"), duration=61, **MEGAN, **UK),
    call("d1a", "3.00", startDateTime=at("2026-12-01T09:00:00"), duration=120, **MEGAN, **UK),
    call("d1b", "1.50", startDateTime=at("2026-12-01T10:00:00"), duration=59, **ALEX, **US),
    call(
        "d2a",
        "0.75",
        startDateTime=at("2026-12-02T08:00:00"),
        duration=30,
        userPrincipalName="noname@contoso.com",
        destinationContext="International",
    ),
    call(
        "d2b",
        "0.25",
        startDateTime=at("2026-12-02T09:00:00"),
        duration=10,
        userPrincipalName=OMIT,
        destinationContext=OMIT,
    ),
    call("d2c", "0", startDateTime=at("2026-12-02T10:00:00"), duration=300, **ALEX, **US),
]


async def ingest(service: CreditsService, records: list[dict[str, Any]]) -> None:
    outcomes = await service.ingest_usage(records)
    assert {o.status for o in outcomes} == {UsageStatus.APPLIED}, outcomes


@pytest.fixture
async def calls(service: CreditsService, clock: ManualClock) -> CreditsService:
    clock.set(NOW)
    await ingest(service, CALLS)
    return service


# ---------------------------------------------------------------------- the domain


async def test_spend_by_caller_and_destination_this_month_and_last_7_days(
    calls: CreditsService,
) -> None:
    summary = await calls.usage_summary(TENANT)
    month, week = summary.month, summary.week
    assert summary.as_of == NOW and summary.currency == USD
    assert month.period == Period(
        datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert week.period == Period(NOW - timedelta(days=7), None, 7)
    # minutes are rounded up per call: 2 + 1 + 1 + 1 + 5
    assert (month.calls, month.minutes, month.spend) == (5, 10, usd("5.50"))
    assert month.users == (
        UsageLine("Megan Bowen", "megan@contoso.com", 1, 2, usd("3.00")),
        UsageLine("Alex Wilber", "alex@contoso.com", 2, 6, usd("1.50")),  # a free call counts
        UsageLine("noname@contoso.com", None, 1, 1, usd("0.75")),  # no display name: the UPN
        UsageLine(None, None, 1, 1, usd("0.25")),  # the record names no caller
    )
    assert month.destinations == (
        UsageLine("United Kingdom", "International", 1, 2, usd("3.00")),
        UsageLine("United States", "Domestic", 2, 6, usd("1.50")),
        UsageLine("International", None, 1, 1, usd("0.75")),  # only the context is known
        UsageLine(None, None, 1, 1, usd("0.25")),
    )
    assert month.other_users is None and month.other_destinations is None
    assert (week.calls, week.minutes, week.spend) == (6, 12, usd("7.50"))
    assert week.users[0] == UsageLine("Megan Bowen", "megan@contoso.com", 2, 4, usd("5.00"))


async def test_the_rest_is_folded_into_others(calls: CreditsService) -> None:
    month = (await calls.usage_summary(TENANT, top=2)).month
    assert [line.name for line in month.users] == ["Megan Bowen", "Alex Wilber"]
    assert month.other_users == Others(count=2, calls=2, minutes=2, spend=usd("1.00"))
    assert month.other_destinations == Others(count=2, calls=2, minutes=2, spend=usd("1.00"))


async def test_a_month_of_calls_for_finance_and_an_unknown_tenant(calls: CreditsService) -> None:
    november = parse_month("2026-11")
    rows = [row async for row in calls.usage_calls(TENANT, november)]
    assert [row.record_id for row in rows] == ["n10", "n28"]  # oldest first
    assert rows[1].minutes == 2 and rows[1].charge == usd("2.00")
    assert (
        rows[1].user_display_name == "Megan Bowen" and rows[1].destination_name == "United Kingdom"
    )
    breakdown = await calls.usage_breakdown(TENANT, november)
    assert (breakdown.calls, breakdown.spend) == (2, usd("7.00"))
    with pytest.raises(NotFoundError, match="No account for tenant 'nobody'"):
        await calls.usage_breakdown("nobody", november)
    with pytest.raises(NotFoundError):
        [row async for row in calls.usage_calls("nobody", november)]


async def test_calls_are_read_page_by_page_in_order(
    service: CreditsService, clock: ManualClock
) -> None:
    clock.set(NOW)
    same = at("2026-12-01T09:00:00")  # many calls at one moment: the pages must not lose any
    await ingest(service, [call(f"p{n:02}", "0.10", startDateTime=same) for n in range(7)])
    rows = [r async for r in usage_report.calls(service.deps, TENANT, Period.month_of(NOW), 3)]
    assert sorted(r.record_id for r in rows) == [f"p{n:02}" for n in range(7)]
    assert len(rows) == 7


@pytest.mark.parametrize("bad", ["2026-13", "26-11", "2026/11", "", "1999-12", "november"])
def test_a_month_must_be_yyyy_mm(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(bad)


# ---------------------------------------------------------------------- the card


async def test_the_usage_card(calls: CreditsService) -> None:
    card = usage_card(await calls.usage_summary(TENANT, top=2))
    assert validate_card(card) == []
    shown = texts(card)
    assert "December 2026" in shown and "Last 7 days" in shown
    assert "Megan Bowen" in shown and "megan@contoso.com" in shown and "$5.50" in shown
    assert "Others (2 callers)" in shown and "Others (2 destinations)" in shown
    lines = render_text(card).render().splitlines()  # as `credits-bot chat` prints it
    assert "Megan Bowen · megan@contoso.com | $3.00 · 1 call · 2 min" in lines
    assert "United States · Domestic | $1.50 · 2 calls · 6 min" in lines
    assert "Others (2 callers) | $1.00 · 2 calls · 2 min" in lines
    assert "Spend:   $5.50" in lines


async def test_an_empty_period_says_so(service: CreditsService, clock: ManualClock) -> None:
    clock.set(NOW)
    nothing = usage_card(await service.usage_summary(TENANT))
    assert validate_card(nothing) == []
    assert "No calls were recorded this month or in the last 7 days." in texts(nothing)
    await ingest(service, [CALLS[1]])  # 28 November: the last 7 days, not this month
    card = usage_card(await service.usage_summary(TENANT))
    assert "No calls this month." in texts(card) and "Megan Bowen" in texts(card)


async def test_the_card_stays_small_with_long_names(
    service: CreditsService, clock: ManualClock
) -> None:
    clock.set(NOW)
    long = [
        call(
            f"l{n}",
            f"{n + 1}.00",
            startDateTime=at("2026-12-02T09:00:00"),
            userPrincipalName=f"{'u' * 180}{n}@contoso.com",
            userDisplayName="\U0001f4de" * 200,  # 4 bytes each in UTF-8
            destinationName="\u570b" * 190 + str(n),
            destinationContext="\U0001f30d" * 100,
        )
        for n in range(9)
    ]
    await ingest(service, long)
    card = usage_card(await service.usage_summary(TENANT))
    assert validate_card(card) == [] and card_size(card) < MAX_CARD_BYTES * 3 // 4
    assert "Others (4 callers)" in texts(card)


# ---------------------------------------------------------------------- who may ask


@pytest.mark.parametrize("said", ["usage", "top callers", "who is calling?", "spend by user"])
async def test_an_admin_asks_for_usage(calls: CreditsService, said: str) -> None:
    card = card_of(await client(calls).send_activity(said))
    assert "Calls and spend" in texts(card) and "Megan Bowen" in texts(card)


async def test_a_viewer_is_refused(calls: CreditsService) -> None:
    reply = await client(calls, VIEWER).send_activity("top callers")
    assert (reply.text or "").startswith(NOT_ALLOWED) and not reply.attachments  # (+ claiming)


async def test_usage_in_the_terminal_chat(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    record = call("t1", "4.20", tenantId="local", startDateTime=datetime.now(UTC).isoformat())
    config = CreditsConfig(_env_file=None, database_url=f"sqlite:///{db}")  # type: ignore[call-arg]
    service = await CreditsService.open(config)
    try:
        await ingest(service, [dict(record, **MEGAN, **UK)])
    finally:
        await service.close()
    out = await asyncio.to_thread(chat, ["top callers", "quit"], db)
    assert "Calls and spend" in out
    assert "Megan Bowen · megan@contoso.com | $4.20 · 1 call · 2 min" in out


# ---------------------------------------------------------------------- the finance CSV


@pytest.fixture
async def cli_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CreditsService]:
    """The command's database, through the environment as a deployment sets it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CREDITS_DATABASE_URL", url)
    monkeypatch.delenv("CREDITS_DATABASE_SCHEMA", raising=False)
    service = await CreditsService.open(CreditsConfig(_env_file=None, database_url=url))  # type: ignore[call-arg]
    yield service
    await service.close()


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="credits-bot")
    add_usage_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.direct(args)
    return result


async def cli(argv: list[str]) -> int:
    """The command in a thread of its own: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(run, argv)


INJECTED = call(
    "=1+1",
    "12.345",
    startDateTime=at("2026-11-20T10:00:00.250000"),
    duration=61,
    userPrincipalName="+441234@contoso.com",
    userDisplayName='=HYPERLINK("http://evil","click"), "quoted"',
    destinationName="@SUM(A1)",
    destinationContext="-International",
    callType="=cmd|' /C calc'!A0",
    currency="BHD",
)


async def test_report_csv_for_finance(
    cli_ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = "finance-tenant"
    cli_ledger.deps.store.default_currency = currency("BHD")  # an account in BHD: 3 decimals
    await ingest(cli_ledger, [dict(r, tenantId=tenant, currency="BHD") for r in CALLS[:2]])
    await ingest(cli_ledger, [dict(INJECTED, tenantId=tenant)])
    assert await cli(["usage", "report", "--tenant", tenant, "--month", "2026-11", "--csv"]) == 0
    captured = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(captured.out, newline="")))
    assert rows[0] == list(CSV_HEADER) and len(rows) == 4
    assert captured.out.count("\r\n") == 4  # a header and three calls, and nothing else
    by_id = {row[-1]: dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]}
    assert by_id["n10"] == {
        "start_utc": "2026-11-10T09:00:00Z",
        "user_principal_name": "megan@contoso.com",
        "user_display_name": "Megan Bowen",
        "destination": "United Kingdom",
        "destination_context": "International",
        "call_type": "ucap_out",
        "license_capability": "MCOPSTN1",
        "duration_seconds": "600",
        "minutes": "10",
        "charge": "5.000",
        "currency": "BHD",
        "record_id": "n10",
    }
    injected = by_id["'=1+1"]  # every cell a spreadsheet would run starts with an apostrophe
    assert injected["user_principal_name"] == "'+441234@contoso.com"
    assert injected["user_display_name"] == '\'=HYPERLINK("http://evil","click"), "quoted"'
    assert injected["destination"] == "'@SUM(A1)"
    assert injected["destination_context"] == "'-International"
    assert injected["call_type"] == "'=cmd|' /C calc'!A0"
    assert injected["start_utc"] == "2026-11-20T10:00:00.250000Z"
    assert (injected["charge"], injected["minutes"]) == ("12.345", "2")
    assert [row[0] for row in rows[1:]] == sorted(row[0] for row in rows[1:])  # oldest first
    assert "Wrote 3 call records of November 2026" in captured.err


async def test_report_to_a_file_an_empty_month_and_refusals(
    cli_ledger: CreditsService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await ingest(cli_ledger, CALLS)
    out = tmp_path / "november.csv"
    argv = ["usage", "report", "--tenant", TENANT, "--csv"]
    assert await cli([*argv, "--month", "2026-11", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    written = await asyncio.to_thread(out.read_bytes)
    assert len(list(csv.reader(io.StringIO(written.decode(), newline="")))) == 3
    assert await cli([*argv, "--month", "2026-10"]) == 0  # an empty month: the header alone
    assert capsys.readouterr().out == ",".join(CSV_HEADER) + "\r\n"
    # an unknown tenant or a bad month: exit 2, a sentence, nothing written
    for bad in (["--tenant", "nobody"], ["--month", "2026-13"]):
        gone = tmp_path / "refused.csv"
        args = ["usage", "report", "--tenant", TENANT, "--csv", "--out", str(gone), *bad]
        assert await cli(args) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and not gone.exists()
        assert "No account for tenant 'nobody'" in captured.err or "YYYY-MM" in captured.err
    files = await asyncio.to_thread(tmp_path.iterdir)
    assert sorted(p.name for p in files if not p.name.startswith("cli.db")) == ["november.csv"]


async def test_report_as_text(
    cli_ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    await ingest(cli_ledger, CALLS)
    assert await cli(["usage", "report", "--tenant", TENANT, "--month", "2026-12"]) == 0
    out = capsys.readouterr().out
    assert "December 2026: 5 calls, 10 minutes, $5.50" in out
    assert "Megan Bowen (megan@contoso.com)" in out and "United States (Domestic)" in out


# ---------------------------------------------------------------------- the unusual-spend alert


async def unusual_alert(service: CreditsService, clock: ManualClock, recharge: bool) -> Alert:
    clock.set(NOW)
    await service.add_funds(TENANT, "1000", ADMIN.actor, "fund")
    if recharge:
        await service.set_auto_recharge(
            TENANT, ADMIN.actor, enabled=True, amount="100", trigger="20"
        )
    quiet = [
        call(f"q{day}", "10.00", startDateTime=(NOW - timedelta(days=day, hours=2)).isoformat())
        for day in range(7)
    ]
    await ingest(service, quiet)

    def burst(who: dict[str, str], where: dict[str, str], n: int, charge: str) -> list[Any]:
        return [
            call(
                f"{who['userPrincipalName']}-{i}",
                charge,
                startDateTime=(NOW - timedelta(minutes=5 + i)).isoformat(),
                **who,
                **where,
            )
            for i in range(n)
        ]

    eve = {"userPrincipalName": "eve@contoso.com", "userDisplayName": "Eve"}
    zed = {"userPrincipalName": "zed@contoso.com", "userDisplayName": "Zed"}
    cuba = {"destinationName": "Cuba", "destinationContext": "International"}
    chile = {"destinationName": "Chile", "destinationContext": "International"}
    await ingest(
        service,
        burst(MEGAN, UK, 4, "20.00")
        + burst(ALEX, US, 3, "20.00")
        + burst(eve, cuba, 2, "20.00")
        + burst(zed, chile, 1, "5.00"),
    )
    [alert] = [a for a in await service.list_alerts(TENANT) if a.kind is AlertKind.UNUSUAL_SPEND]
    return alert


async def test_the_alert_names_the_top_callers_and_pauses_auto_recharge_once(
    service: CreditsService, clock: ManualClock
) -> None:
    alert = await unusual_alert(service, clock, recharge=True)
    payload = alert.payload
    assert isinstance(payload, UnusualSpend) and payload.recharge_on is True
    assert payload.top_callers == (  # up to three, most spend first
        SpendShare("Megan Bowen", 8000, 4),
        SpendShare("Alex Wilber", 6000, 3),
        SpendShare("Eve", 4000, 2),
    )
    assert [s.name for s in payload.top_destinations] == ["United Kingdom", "United States", "Cuba"]
    card = alert_card(alert)
    assert validate_card(card) == []
    assert "Megan Bowen $80.00 (4 calls), Alex Wilber $60.00 (3 calls), Eve $40.00" in texts(card)
    assert card["actions"][0]["title"] == "Pause auto-recharge"
    pause = button(card, verbs.RECHARGE_REVIEW)
    assert verbs.RECHARGE_REVIEW in [
        a["verb"] for a in coalesced_card([alert, alert]).get("actions", [])
    ]

    # a viewer's press changes nothing
    actions = CardActions(service, CardSigner(b"test-secret"))
    refused = await actions.handle(VIEWER, parse_card_data(pause))
    assert NOT_ALLOWED in texts(refused.card)
    # the admin's press opens the confirmation for turning auto-recharge off; nothing changed yet
    talk = client(service)
    confirm = card_of(await talk.send_activity(press(pause)))
    assert "Turn off auto-recharge?" in texts(confirm)
    before = await service.account(TENANT)
    assert before.recharge.enabled
    yes = button(confirm, verbs.RECHARGE_CONFIRM)
    assert yes["enabled"] == "false"
    done = card_of(await talk.send_activity(press(yes)))
    assert "Off" in texts(done)
    again = card_of(await talk.send_activity(press(yes)))  # a double click
    assert "saved already" in texts(again)
    after = await service.account(TENANT)
    assert not after.recharge.enabled and after.version == before.version + 1


async def test_no_pause_button_when_auto_recharge_is_off(
    service: CreditsService, clock: ManualClock
) -> None:
    alert = await unusual_alert(service, clock, recharge=False)
    assert isinstance(alert.payload, UnusualSpend) and alert.payload.recharge_on is False
    card = alert_card(alert)
    assert validate_card(card) == []
    assert verbs.RECHARGE_REVIEW not in [a["verb"] for a in card["actions"]]
    assert "Auto-recharge is off" in texts(card) and "Megan Bowen" in texts(card)


def stored(data: object) -> Alert:
    return Alert(
        id=1,
        tenant_id=TENANT,
        kind=AlertKind.UNUSUAL_SPEND,
        dedupe_key="unusual_spend:1",
        payload=read_payload(AlertKind.UNUSUAL_SPEND, data),
        status=AlertStatus.CLAIMED,
        attempts=1,
        created_at=NOW,
    )


def test_an_old_alert_without_the_new_fields_still_renders() -> None:
    old = {"tenant_id": TENANT, "currency": "USD", "balance_minor": 1500, "last_hour_minor": 9000}
    alert = stored(old)
    card = alert_card(alert)
    assert validate_card(card) == [] and "$90.00" in texts(card)
    assert "Top callers" not in texts(card) and "Auto-recharge is" not in texts(card)
    assert verbs.RECHARGE_REVIEW not in [a["verb"] for a in card["actions"]]
    assert "Pause" not in texts(coalesced_card([alert, stored(old)]))


def test_the_new_fields_read_back_and_malformed_ones_are_left_out() -> None:
    payload = UnusualSpend(last_hour_minor=9000).with_context(
        [SpendShare("Megan", 5000, 2)], [SpendShare("Cuba", 5000)], recharge_on=True
    )
    data = json.loads(json.dumps(payload.to_json()))
    assert read_payload(AlertKind.UNUSUAL_SPEND, data) == payload
    junk = {
        "last_hour_minor": 9000,
        "top_callers": [
            {"name": "", "spend_minor": 5},
            {"name": "no spend"},
            3,
            {"name": "ok", "spend_minor": "12", "calls": "many"},
            {"name": "a", "spend_minor": 1, "calls": 1},
            {"name": "b", "spend_minor": 1},
            {"name": "c", "spend_minor": 1},
        ],
        "top_destinations": "Cuba",
        "recharge_on": "yes",
    }
    read = read_payload(AlertKind.UNUSUAL_SPEND, junk)
    assert isinstance(read, UnusualSpend)
    assert read.top_callers == (SpendShare("ok", 12), SpendShare("a", 1, 1), SpendShare("b", 1))
    assert read.top_destinations == () and read.recharge_on is None
    assert validate_card(alert_card(stored(junk))) == []
