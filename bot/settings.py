"""Typed settings of the host, from the environment (and a .env file).

The Bot Framework credentials use the names users know from Azure and the samples
(MicrosoftAppId, ...); botbuilder's own attribute names are adapted in bot/adapter.py only.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from credits.config import CreditsConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, frozen=True
    )

    app_id: str = Field(default="", validation_alias=AliasChoices("MicrosoftAppId", "app_id"))
    app_password: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppPassword", "app_password")
    )
    app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "app_type")
    )
    app_tenant_id: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppTenantId", "app_tenant_id")
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        validation_alias=AliasChoices("CREDITS_MAX_BODY_BYTES", "max_body_bytes"),
    )
    usage_token: str = Field(
        default="", validation_alias=AliasChoices("CREDITS_USAGE_TOKEN", "usage_token")
    )
    usage_max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        validation_alias=AliasChoices("CREDITS_USAGE_MAX_BODY_BYTES", "usage_max_body_bytes"),
    )
    workers: bool = Field(default=True, validation_alias=AliasChoices("CREDITS_WORKERS", "workers"))
    recharge_interval_seconds: float = Field(
        default=5,
        gt=0,
        validation_alias=AliasChoices(
            "CREDITS_RECHARGE_INTERVAL_SECONDS", "recharge_interval_seconds"
        ),
    )
    alert_interval_seconds: float = Field(
        default=2,
        gt=0,
        validation_alias=AliasChoices("CREDITS_ALERT_INTERVAL_SECONDS", "alert_interval_seconds"),
    )
    check_interval_seconds: float = Field(
        default=300,
        gt=0,
        validation_alias=AliasChoices("CREDITS_CHECK_INTERVAL_SECONDS", "check_interval_seconds"),
    )
    reply_retry_seconds: float = Field(
        default=3,
        ge=0,
        le=10,
        validation_alias=AliasChoices("CREDITS_REPLY_RETRY_SECONDS", "reply_retry_seconds"),
        description=(
            "Seconds a turn may spend retrying replies the Bot Connector refuses (429, 5xx); "
            "a reply still refused then is kept and posted later by a worker. At most 10: "
            "Teams redelivers an activity the bot has not answered within 15 s."
        ),
    )
    signing_keys_timeout_seconds: float = Field(
        default=10,
        gt=0,
        validation_alias=AliasChoices(
            "CREDITS_SIGNING_KEYS_TIMEOUT_SECONDS", "signing_keys_timeout_seconds"
        ),
    )
    credits: CreditsConfig = Field(default_factory=CreditsConfig)

    @model_validator(mode="after")
    def _graph_defaults(self) -> Settings:
        """Usage is pulled from Graph with the bot's own app registration unless
        CREDITS_GRAPH_CLIENT_ID names another one (with its own secret or certificate)."""
        graph = self.credits
        if graph.graph_client_id or not self.app_id:
            return self
        update: dict[str, object] = {"graph_client_id": self.app_id}
        if not graph.graph_client_secret and graph.graph_certificate_path is None:
            update["graph_client_secret"] = self.app_password
        object.__setattr__(self, "credits", graph.model_copy(update=update))
        return self

    @property
    def local_mode(self) -> bool:
        """No app id: unauthenticated, loopback only, for the Playground, Emulator and chat."""
        return not self.app_id
