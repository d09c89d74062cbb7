"""Configuration from the environment, gateway selection, and the command line end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from credits.config import CreditsConfig, default_database_url
from credits.money import Money, currency
from credits.payments import ChargeRequest, ChargeResult, SandboxGateway, gateway_from_config


class ApprovingGateway:
    """A stand-in 'real' gateway, selected by import path as a deployment would."""

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        return ChargeResult.approve(f"real-{request.idempotency_key}")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDITS_ADMINS", " aad-1, aad-2 ,,")
    monkeypatch.setenv("CREDITS_DEFAULT_CURRENCY", "eur")
    monkeypatch.setenv("CREDITS_PURCHASE_MAX", "5000.50")
    monkeypatch.setenv("CREDITS_SANDBOX_DECLINE_TENANTS", "t1,t2")
    config = CreditsConfig(_env_file=None)  # type: ignore[call-arg]
    assert config.admins == ("aad-1", "aad-2")
    assert config.default_currency == "EUR"
    assert config.purchase_max == Decimal("5000.50")
    assert config.sandbox_decline_tenants == ("t1", "t2")


def test_bad_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDITS_DEFAULT_CURRENCY", "XYZ")
    with pytest.raises(ValidationError, match="currency"):
        CreditsConfig(_env_file=None)  # type: ignore[call-arg]


def test_default_database_is_a_file_in_the_user_data_folder() -> None:
    url = default_database_url()
    assert url.startswith("sqlite+aiosqlite:///") and url.endswith("credits-bot/credits.db")


async def test_gateway_is_chosen_by_configuration() -> None:
    sandbox = gateway_from_config(CreditsConfig(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(sandbox, SandboxGateway)
    real = gateway_from_config(
        CreditsConfig(_env_file=None, payment_gateway="test_config_cli:ApprovingGateway")  # type: ignore[call-arg]
    )
    request = ChargeRequest("t", 1, Money(Decimal("10"), currency("USD")), "k", "Purchase")
    assert (await real.charge(request)).reference == "real-k"
    with pytest.raises(ValueError, match="sandbox"):
        gateway_from_config(CreditsConfig(_env_file=None, payment_gateway="nonsense"))  # type: ignore[call-arg]


def run_cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CREDITS_DATABASE_URL=f"sqlite:///{db}")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_drives_the_ledger(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    added = run_cli("add-funds", "--tenant", "contoso", "--amount", "50", "--key", "k1", db=db)
    assert added.returncode == 0, added.stderr
    assert "Added $50.00. Balance: $50.00" in added.stdout
    again = run_cli("add-funds", "--tenant", "contoso", "--amount", "50", "--key", "k1", db=db)
    assert "already applied" in again.stdout and "Balance: $50.00" in again.stdout
    bad = run_cli("add-funds", "--tenant", "contoso", "--amount", "1e3", db=db)
    assert bad.returncode == 2 and "Exponents are not allowed" in bad.stderr
    recharge = run_cli(
        "auto-recharge", "--tenant", "contoso", "on", "--amount", "100", "--below", "20", db=db
    )
    assert "on: add $100.00 when below $20.00" in recharge.stdout
    history = run_cli("history", "--tenant", "contoso", db=db)
    assert "funding" in history.stdout and "$50.00" in history.stdout
    verify = run_cli("verify", "--tenant", "contoso", db=db)
    assert verify.returncode == 0 and verify.stdout.startswith("consistent")
    balance = run_cli("balance", "--tenant", "contoso", db=db)
    assert "Balance       $50.00" in balance.stdout
