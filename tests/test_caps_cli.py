"""`credits-bot caps`: shows a tenant's caps and what is left, changes them as chat does (audited
with the person at the terminal), and refuses a change it cannot save with exit 2 and one line."""

from __future__ import annotations

import asyncio
import getpass
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from records import call
from sqlalchemy import select

from bot.cli import main
from credits.config import CreditsConfig
from credits.models import Actor
from credits.schema import operations
from credits.service import CreditsService

T = "contoso"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CREDITS_DATABASE_URL", url)
    monkeypatch.delenv("CREDITS_DATABASE_SCHEMA", raising=False)
    return url


@pytest.fixture
async def ledger(database: str) -> AsyncIterator[CreditsService]:
    config = CreditsConfig(_env_file=None, database_url=database)  # type: ignore[call-arg]
    service = await CreditsService.open(config)
    yield service
    await service.close()


async def cli(*argv: str) -> int:
    """The command in a thread of its own: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(main, ["caps", "--tenant", T, *argv])


async def test_caps_are_shown_and_changed(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli() == 0
    out = capsys.readouterr().out
    assert "Recharges a day          5: 0 today, 5 left" in out
    assert "Monthly cap              none" in out and "Largest single recharge  none" in out
    assert await cli("--per-day", "3", "--monthly", "500", "--max-recharge", "150") == 0
    out = capsys.readouterr().out
    assert "Caps saved." in out
    assert "Recharges a day          3: 0 today, 3 left" in out
    assert "Monthly cap              $500.00: $0.00 recharged this month, $500.00 left" in out
    assert "Largest single recharge  $150.00" in out
    view = await ledger.account(T)
    assert (view.recharge.daily_limit, str(view.recharge.monthly_cap)) == (3, "$500.00")
    async with ledger.db.read() as conn:
        row = (await conn.execute(select(operations))).one()
    user = getpass.getuser()
    assert (row.action, row.actor_id, row.actor_name) == ("recharge_caps", f"cli:{user}", user)
    assert await cli("--no-monthly", "--no-max-recharge") == 0
    assert "Monthly cap              none" in capsys.readouterr().out
    view = await ledger.account(T)
    assert view.recharge.monthly_cap is None and view.recharge.max_recharge is None


async def test_the_stop_is_said(ledger: CreditsService, capsys: pytest.CaptureFixture[str]) -> None:
    ada = Actor("aad-ada", "Ada")
    await ledger.set_recharge_caps(T, ada, daily_limit=1)
    await ledger.set_auto_recharge(T, ada, enabled=True, amount="60", trigger="50")
    await ledger.ingest_usage([call("c1", "100.00", tenantId=T)])
    assert await cli() == 0
    out = capsys.readouterr().out
    assert "Auto-recharge            on: add $60.00 when below $50.00" in out
    stopped = r"Stopped                  the limit of 1 recharge a day was reached; resumes "
    assert re.search(stopped + r"\d{4}-\d\d-\d\d 00:00 UTC", out), out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["--per-day", "0"],
            "credits-bot: The daily recharge limit must be a whole number from 1 to 100. "
            "Nothing was changed.",
        ),
        (
            ["--monthly", "5"],
            "credits-bot: The monthly cap must be from $10.00 to $1,000,000.00. Nothing was "
            "changed.",
        ),
        (
            ["--max-recharge", "abc"],
            "credits-bot: That is not an amount; use digits and an optional decimal point, e.g. "
            "1000.50. The largest single recharge must be from $10.00 to $10,000.00, as a "
            "recharge is a purchase. Nothing was changed.",
        ),
        (
            ["--monthly", "-5"],
            "credits-bot: Amounts must be more than zero. The monthly cap must be from $10.00 to "
            "$1,000,000.00. Nothing was changed.",
        ),
        (
            ["--monthly", "500", "--max-recharge", "600"],
            "credits-bot: The largest single recharge ($600.00) cannot be more than the monthly "
            "cap ($500.00)",
        ),
        (["--per-day", "3", "--monthly", "5"], "The monthly cap must be from $10.00"),
    ],
)
async def test_a_refused_change_exits_2_and_changes_nothing(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    """One line on stderr saying why and what is allowed; every cap and the audit unchanged."""
    ada = Actor("aad-ada", "Ada")
    await ledger.set_recharge_caps(T, ada, monthly_cap="900", max_recharge="300")
    before = await ledger.account(T)
    assert await cli(*argv) == 2
    err = capsys.readouterr().err
    assert says in err, err
    assert len(err.strip().splitlines()) == 1
    after = await ledger.account(T)
    assert after.recharge == before.recharge and after.version == before.version
    async with ledger.db.read() as conn:
        assert len((await conn.execute(select(operations))).all()) == 1  # the setup's only


def test_both_ways_at_once_is_a_usage_error(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["caps", "--tenant", T, "--monthly", "500", "--no-monthly"])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
