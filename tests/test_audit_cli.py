"""`credits-bot audit` (the settings changes, with who and when) and `credits-bot history
--scope all|money|settings`: the default stays the ledger alone, printed as it always was; a
refusal is exit 2 with one line."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from credits.config import CreditsConfig
from credits.models import Actor
from credits.schema import accounts
from credits.service import CreditsService

T = "contoso"
ADA = Actor("aad-ada", "Ada Admin")


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
    return await asyncio.to_thread(main, list(argv))


async def some_of_everything(ledger: CreditsService) -> None:
    await ledger.adjust(T, "42.50", ADA, "opening deposit", "open")
    await ledger.set_auto_recharge(T, ADA, enabled=True, amount="100", trigger="20")
    await ledger.grant_admin(T, "aad-bob", "Bob Builder", ADA)
    await ledger.subscribe(T, "19:ops", {"conversation": {"conversationType": "channel"}}, ADA)


async def test_audit_lists_the_settings_changes(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    await some_of_everything(ledger)
    assert await cli("audit", "--tenant", T) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(
        r"\s*#\d+  \d{4}-\d\d-\d\d \d\d:\d\d UTC  alerts_subscribed\s+Ada Admin turned on "
        r"alerts in a channel  \[Ada Admin, aad-ada\]",
        lines[0],
    )
    assert "admin_granted" in lines[1] and "Ada Admin made Bob Builder an admin" in lines[1]
    assert "Ada Admin set auto-recharge to $100.00 when below $20.00" in lines[2]
    assert "opening deposit" not in "\n".join(lines)


async def test_audit_pages(ledger: CreditsService, capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(5):
        await ledger.set_alert_thresholds(T, ADA, [str(30 + n)])
    assert await cli("audit", "--tenant", T, "--limit", "2") == 0
    out = capsys.readouterr().out
    assert "below $34.00" in out and "below $33.00" in out and "below $32.00" not in out
    found = re.search(r"\(older: --before-change (\d+)\)", out)
    assert found is not None
    assert await cli("audit", "--tenant", T, "--limit", "9", "--before-change", found[1]) == 0
    out = capsys.readouterr().out
    assert [f"below ${30 + n}.00" in out for n in range(5)] == [True] * 3 + [False] * 2
    assert "older" not in out


async def test_an_empty_audit_and_a_bad_limit(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    await ledger.adjust(T, "1", ADA, "opening", "open")  # an account, with no settings changed
    assert await cli("audit", "--tenant", T) == 0
    assert capsys.readouterr().out == "No settings changes.\n"
    assert await cli("audit", "--tenant", T, "--limit", "0") == 2
    err = capsys.readouterr().err
    assert err == "credits-bot: Ask for 1 to 200 entries at a time.\n"


async def test_history_by_scope(ledger: CreditsService, capsys: pytest.CaptureFixture[str]) -> None:
    await some_of_everything(ledger)
    assert await cli("history", "--tenant", T) == 0
    plain = capsys.readouterr().out
    assert await cli("history", "--tenant", T, "--scope", "money") == 0
    assert capsys.readouterr().out == plain  # the default is the ledger, as it always printed
    [line] = plain.splitlines()
    assert re.fullmatch(
        r"     1  \S+ \S+  adjustment\s+\$42\.50\s+\$42\.50  Ada Admin: opening deposit", line
    )
    assert await cli("history", "--tenant", T, "--scope", "all") == 0
    every = capsys.readouterr().out.splitlines()
    assert len(every) == 4  # newest first: the deposit was made first
    assert re.fullmatch(
        r"     1  \S+ \S+ UTC  adjustment\s+\$42\.50\s+\$42\.50  Ada Admin: opening deposit",
        every[-1],
    )
    assert "Ada Admin made Bob Builder an admin" in every[1]
    assert await cli("history", "--tenant", T, "--scope", "settings") == 0
    settings = capsys.readouterr().out
    assert await cli("audit", "--tenant", T) == 0
    assert capsys.readouterr().out == settings


async def test_history_all_pages(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(3):
        await ledger.adjust(T, str(10 + n), ADA, f"entry {n}", f"k{n}")
        await ledger.set_alert_thresholds(T, ADA, [str(30 + n)])
    assert await cli("history", "--tenant", T, "--scope", "all", "--limit", "4") == 0
    out = capsys.readouterr().out
    found = re.search(r"\(older: --before (\d+) --before-change (\d+)\)", out)
    assert found is not None
    argv = ["--before", found[1], "--before-change", found[2]]
    assert await cli("history", "--tenant", T, "--scope", "all", *argv) == 0
    rest = capsys.readouterr().out
    for n in range(3):
        assert (out + rest).count(f"entry {n}") == 1
        assert (out + rest).count(f"below ${30 + n}.00") == 1


@pytest.mark.parametrize("bound", ["-3", "0"])
async def test_an_older_page_before_a_bad_number_is_refused(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], bound: str
) -> None:
    await some_of_everything(ledger)
    assert await cli("audit", "--tenant", T, "--before-change", bound) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("credits-bot: An older page starts from a number of 1")
    argv = ["history", "--tenant", T, "--scope", "all", "--before-change", bound]
    assert await cli(*argv) == 2
    assert "1 or more" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "--tenant", "contso"],
        ["history", "--tenant", "contso", "--scope", "settings"],
        ["history", "--tenant", "contso", "--scope", "all"],
    ],
)
async def test_an_unknown_tenant_is_refused_and_not_made(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    await some_of_everything(ledger)
    assert await cli(*argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "credits-bot: No account for tenant 'contso': nothing was ever recorded for it, so it "
        "has no history. Check the tenant id.\n"
    )
    async with ledger.deps.db.read() as conn:
        tenants = (await conn.execute(select(accounts.c.tenant_id))).scalars().all()
    assert list(tenants) == [T]
