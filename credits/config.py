"""Typed configuration of the money domain, read from CREDITS_* environment variables.

The host (bot/) composes this into its own settings; tests construct it directly.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from credits.i18n import t


def default_database_url() -> str:
    """SQLite file in the user's data directory (created on first use)."""
    folder = Path(platformdirs.user_data_dir("credits-bot", appauthor=False))
    return f"sqlite+aiosqlite:///{folder / 'credits.db'}"


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class CreditsConfig(BaseSettings):
    """Everything the ledger needs to know about the deployment."""

    model_config = SettingsConfigDict(
        env_prefix="CREDITS_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(default_factory=default_database_url)
    database_schema: str | None = None  # PostgreSQL only: the schema (search_path) to use
    # PostgreSQL only: connections kept per process (and 10 more at a peak); docs/deploy.md
    database_pool_size: int = Field(default=20, ge=1, le=500)
    default_currency: str = "USD"
    purchase_min: Decimal = Decimal("10")
    purchase_max: Decimal = Decimal("10000")
    admins: Annotated[tuple[str, ...], NoDecode] = ()
    # auto-recharge guards
    daily_recharge_limit: int = Field(default=5, ge=1, le=100)
    declines_before_pause: int = Field(default=3, ge=1, le=20)
    recharge_lease_seconds: float = Field(default=120, gt=0)
    gateway_timeout_seconds: float = Field(default=30, gt=0)
    # a payment still unsettled this long after it was made is reported, not retried blindly
    stuck_payment_seconds: float = Field(default=900, gt=0)
    # funds and alerts
    lot_lifetime_months: int = Field(default=12, ge=1, le=120)
    expiry_warning_days: int = Field(default=30, ge=1, le=365)
    runway_alert_days: int = Field(default=7, ge=1, le=365)
    unusual_spend_factor: Decimal = Decimal("5")
    unusual_spend_minimum: Decimal = Decimal("50")
    alert_lease_seconds: float = Field(default=60, gt=0)
    # payments: "sandbox", or "package.module:ClassName" for a real gateway
    payment_gateway: str = "sandbox"
    sandbox_decline_tenants: Annotated[tuple[str, ...], NoDecode] = ()
    sandbox_hang_tenants: Annotated[tuple[str, ...], NoDecode] = ()
    sandbox_journal: Path | None = None
    # alerts no conversation can receive wait this long for one, then are marked expired
    alert_expire_hours: float = Field(default=72, gt=0, le=24 * 90)
    # usage from Microsoft Graph (docs/graph-usage.md). The client id and secret default to the
    # bot's own MicrosoftAppId and MicrosoftAppPassword (filled in by the host's Settings).
    graph_client_id: str = ""
    graph_client_secret: str = Field(default="", repr=False)
    graph_certificate_path: Path | None = None  # a PEM with the private key and certificate
    graph_certificate_thumbprint: str = ""  # SHA-1 thumbprint (hex) of that certificate
    graph_authority_url: str = "https://login.microsoftonline.com"
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    graph_ca_bundle: Path | None = None  # extra trusted CAs (a proxy, or the tests' server)
    graph_interval_seconds: float = Field(default=900, gt=0)
    graph_trailing_hours: float = Field(default=72, ge=0, le=24 * 89)
    graph_timeout_seconds: float = Field(default=30, gt=0, le=300)
    # which rows draw on Communications Credits: their licenseCapability (docs/graph-usage.md §2)
    graph_debit_capabilities: Annotated[tuple[str, ...], NoDecode] = ("MCOPSTNPP",)
    graph_add_connection_charge: bool = False
    # where Microsoft sends an admin back after consent: https://<bot host>/api/graph/consent,
    # registered as a Web redirect URI of the app; empty: the consent link carries none
    graph_consent_redirect_url: str = ""

    @field_validator(
        "admins",
        "sandbox_decline_tenants",
        "sandbox_hang_tenants",
        "graph_debit_capabilities",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @field_validator("default_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        from credits.money import currency

        return currency(value).code

    @property
    def recharge_lease(self) -> timedelta:
        return timedelta(seconds=self.recharge_lease_seconds)

    @property
    def stuck_after(self) -> timedelta:
        return timedelta(seconds=self.stuck_payment_seconds)

    @property
    def alert_lease(self) -> timedelta:
        return timedelta(seconds=self.alert_lease_seconds)

    @property
    def alert_expiry(self) -> timedelta:
        return timedelta(hours=self.alert_expire_hours)

    @property
    def graph_trailing(self) -> timedelta:
        return timedelta(hours=self.graph_trailing_hours)

    def graph_off_reason(self) -> str:
        """Why usage is not pulled from Graph (for the start-up log and "usage status")."""
        if not self.graph_client_id:
            return t("no app registration: set MicrosoftAppId or CREDITS_GRAPH_CLIENT_ID")
        return t(
            "no client secret or certificate: set MicrosoftAppPassword, "
            "CREDITS_GRAPH_CLIENT_SECRET or CREDITS_GRAPH_CERTIFICATE_PATH"
        )

    @property
    def graph_configured(self) -> bool:
        """A client id and a secret or certificate: usage can be pulled from Graph."""
        has_key = bool(self.graph_client_secret) or self.graph_certificate_path is not None
        return bool(self.graph_client_id) and has_key
