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
    assert "Recharges a day   5: 0 today, 5 left" in out
    assert "Monthly cap       none" in out and "Largest recharge  none" in out
    assert await cli("--per-day", "3", "--monthly", "500", "--max-recharge", "150") == 0
    out = capsys.readouterr().out
    assert "Caps saved." in out
    assert "Recharges a day   3: 0 today, 3 left" in out
    assert "Monthly cap       $500.00: $0.00 recharged this month, $500.00 left" in out
    assert "Largest recharge  $150.00" in out
    view = await ledger.account(T)
    assert (view.recharge.daily_limit, str(view.recharge.monthly_cap)) == (3, "$500.00")
    async with ledger.db.read() as conn:
        row = (await conn.execute(select(operations))).one()
    user = getpass.getuser()
    assert (row.action, row.actor_id, row.actor_name) == ("recharge_caps", f"cli:{user}", user)
    assert await cli("--no-monthly", "--no-max-recharge") == 0
    assert "Monthly cap       none" in capsys.readouterr().out
    view = await ledger.account(T)
    assert view.recharge.monthly_cap is None and view.recharge.max_recharge is None


async def test_the_stop_is_said(ledger: CreditsService, capsys: pytest.CaptureFixture[str]) -> None:
    ada = Actor("aad-ada", "Ada")
    await ledger.set_recharge_caps(T, ada, daily_limit=1)
    await ledger.set_auto_recharge(T, ada, enabled=True, amount="60", trigger="50")
    await ledger.ingest_usage([call("c1", "100.00", tenantId=T)])
    assert await cli() == 0
    out = capsys.readouterr().out
    assert "Auto-recharge     on: add $60.00 when below $50.00" in out
    stopped = r"Stopped           the limit of 1 recharge a day was reached; resumes "
    assert re.search(stopped + r"\d{4}-\d\d-\d\d 00:00 UTC", out), out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--per-day", "0"], "The daily recharge limit must be from 1 to 100."),
        (["--monthly", "5"], "The monthly cap must be from $10.00 to $1,000,000.00."),
        (["--max-recharge", "abc"], "credits-bot: "),
    ],
)
async def test_a_refused_change_exits_2_and_changes_nothing(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    assert await cli(*argv) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert (await ledger.account(T)).recharge.daily_limit == 5


def test_both_ways_at_once_is_a_usage_error(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["caps", "--tenant", T, "--monthly", "500", "--no-monthly"])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
