"""`credits-bot admins`: list, grant and revoke a tenant's billing admins as chat does (audited
with the person at the terminal, the same refusals: exit 2 and one line, nothing changed), and
the first-run claim code that the first admin types in Teams; `credits-bot chat` says how to
make an admin when it has no Teams roster to look a name up in."""

from __future__ import annotations

import asyncio
import getpass
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dialog_helpers import chat
from sqlalchemy import select

from bot.cli import main
from credits.config import CreditsConfig
from credits.models import Actor
from credits.schema import claim_codes, operations
from credits.service import CreditsService

T = "contoso"
ME = f"cli:{getpass.getuser()}"
EVE = "00000000-0000-4000-8000-0000000000e5"
ADA = "00000000-0000-4000-8000-0000000000a1"
CFG = "00000000-0000-4000-8000-0000000000c0"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("CREDITS_DATABASE_URL", url)
    for name in ("CREDITS_DATABASE_SCHEMA", "CREDITS_ADMINS", "MicrosoftAppId"):
        monkeypatch.delenv(name, raising=False)
    return url


@pytest.fixture
async def ledger(database: str) -> AsyncIterator[CreditsService]:
    config = CreditsConfig(_env_file=None, database_url=database)  # type: ignore[call-arg]
    service = await CreditsService.open(config)
    yield service
    await service.close()


async def cli(*argv: str) -> int:
    """The command in a thread of its own: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(main, ["admins", *argv])


async def test_the_first_admin_from_a_claim_code_then_grants_and_revokes(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli("list", "--tenant", T) == 0
    out = capsys.readouterr().out
    assert "has no billing admin" in out and f"claim-code --tenant {T}" in out
    assert await cli("claim-code", "--tenant", T) == 0
    out = capsys.readouterr().out
    code = re.search(r"claim ([A-Z0-9]{4}-[A-Z0-9]{4})", out)
    assert code is not None, out
    assert "for 24 hours" in out and "in Teams" in out
    assert "local mode" in out  # no MicrosoftAppId here
    async with ledger.db.read() as conn:
        [row] = (await conn.execute(select(claim_codes))).all()
    assert code.group(1) not in str(tuple(row))
    await ledger.claim_admin(T, code.group(1), Actor(EVE, "Eve Example"))

    # a tenant with an admin gets no code
    assert await cli("claim-code", "--tenant", T) == 2
    assert "has a billing admin already" in capsys.readouterr().err
    # the last admin is not revoked
    assert await cli("revoke", "--tenant", T, "--aad-id", EVE) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("credits-bot: Eve Example is the last billing admin here")
        and err.count("\n") == 1
    )
    assert await cli("grant", "--tenant", T, "--aad-id", ADA.upper(), "--name", "Ada Lovelace") == 0
    assert "Ada Lovelace is now a billing admin." in capsys.readouterr().out
    assert await cli("grant", "--tenant", T, "--aad-id", ADA.upper(), "--name", "Ada Lovelace") == 0
    assert "an admin already" in capsys.readouterr().out
    assert await cli("list", "--tenant", T) == 0
    out = capsys.readouterr().out
    assert re.search(rf"{EVE}\s+Eve Example\s+claimed with a claim code", out), out
    assert re.search(rf"{ADA}\s+Ada Lovelace\s+granted by {getpass.getuser()}", out), out
    assert await cli("revoke", "--tenant", T, "--aad-id", EVE) == 0
    assert await cli("revoke", "--tenant", T, "--aad-id", "aad-nobody") == 2
    assert "not a billing admin here" in capsys.readouterr().err
    assert [a.aad_object_id for a in await ledger.list_admins(T)] == [ADA]
    async with ledger.db.read() as conn:
        rows = (await conn.execute(select(operations).order_by(operations.c.id))).all()
    assert [(r.action, r.actor_id, r.details.get("aad_object_id")) for r in rows] == [
        ("claim_code_issued", ME, None),
        ("admin_claimed", EVE, EVE),
        ("admin_granted", ME, ADA),  # in lower case, as Teams sends ids
        ("admin_revoked", ME, EVE),
    ]


async def test_an_admin_of_the_configuration_is_not_revoked(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITS_ADMINS", CFG.upper())
    assert await cli("revoke", "--tenant", T, "--aad-id", CFG) == 2
    assert "CREDITS_ADMINS" in capsys.readouterr().err
    assert await cli("claim-code", "--tenant", T) == 2
    assert await cli("list", "--tenant", T) == 0
    assert re.search(
        rf"{CFG.upper()}\s+{CFG.upper()}\s+configured \(CREDITS_ADMINS\)", capsys.readouterr().out
    )


def test_the_terminal_chat_says_how_to_make_an_admin(tmp_path: Path) -> None:
    """No Bot Connector, so no roster: the name cannot be looked up, and it says so."""
    lines = ["make Ada Lovelace an admin", "admins", "claim ABCD-EFGH", "remove Ada as admin"]
    out = chat(lines, tmp_path / "c.db")
    assert "can't look up the members of this conversation here" in out
    assert "credits-bot admins grant --tenant local --aad-id ID --name NAME" in out
    assert "Billing admins" in out and "There is no billing admin here yet." in out
    assert "nothing to claim" in out  # locally, without CREDITS_ADMINS, everyone is an admin
    assert "There is no billing admin here to remove." in out


@pytest.mark.parametrize("typed", ["ADA-UPPER", "aad-ada", "not a guid", "{" + ADA + "}x"])
async def test_an_object_id_must_be_a_guid(
    ledger: CreditsService, capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    assert await cli("grant", "--tenant", T, "--aad-id", typed, "--name", "Ada") == 2
    err = capsys.readouterr().err
    assert "a GUID such as 00000000-0000-0000-0000-000000000000" in err
    assert err.endswith("Nothing was changed.\n") and err.count("\n") == 1
    assert await ledger.list_admins(T) == []
    # a claim code can still be printed: nobody was made an admin
    assert await cli("claim-code", "--tenant", T) == 0
