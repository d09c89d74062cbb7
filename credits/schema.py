"""The store's tables (SQLAlchemy Core). Alembic migrations in credits/migrations create them.

Money is always integer minor units (BigInteger). Times are UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite only auto-increments an INTEGER PRIMARY KEY.
Id = BigInteger().with_variant(Integer(), "sqlite")
_WORD = re.compile(r"[a-z_]+")


def is_state(column: ColumnElement[str], state: str) -> ColumnElement[bool]:
    """`column = 'state'` with the state written into the SQL. SQLite compiles a statement
    anew at every run when a bound value could change its plan, as a payment's kind can (the
    partial index `uq_payments_one_open_recharge`): 25 µs each time, more than the query."""
    return one_of(column, (state,))


def one_of(column: ColumnElement[str], states: Iterable[str]) -> ColumnElement[bool]:
    """`column IN ('a', 'b')` for a fixed set of our own state names, written into the SQL:
    `in_()` makes an "expanding" parameter that is rendered anew at every execution."""
    words = tuple(states)
    assert words and all(_WORD.fullmatch(word) for word in words), words
    return column.in_([literal_column(f"'{word}'") for word in words])


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ENTRY_KINDS = ("funding", "auto_recharge", "usage", "expiry", "adjustment")
PAYMENT_STATES = ("pending", "charging", "succeeded", "declined", "cancelled")
ALERT_STATES = ("pending", "claimed", "delivered", "failed")

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(100), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    # maintained by the ledger's insert trigger only; always the last entry's balance_after
    Column("balance_minor", BigInteger, nullable=False, server_default=text("0")),
    Column("last_seq", BigInteger, nullable=False, server_default=text("0")),
    # usage not covered by any lot (balance = open lots - debt)
    Column("debt_minor", BigInteger, nullable=False, server_default=text("0")),
    Column("settings_version", Integer, nullable=False, server_default=text("1")),
    Column("recharge_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("recharge_amount_minor", BigInteger, nullable=True),
    Column("recharge_trigger_minor", BigInteger, nullable=True),
    Column("recharge_paused", Boolean, nullable=False, server_default=text("false")),
    Column("recharge_armed", Boolean, nullable=False, server_default=text("true")),
    Column("consecutive_declines", Integer, nullable=False, server_default=text("0")),
    Column("daily_recharge_limit", Integer, nullable=True),
    Column("monthly_recharge_cap_minor", BigInteger, nullable=True),
    Column("max_recharge_minor", BigInteger, nullable=True),  # the largest single auto-recharge
    # the last receipt number given (a succeeded purchase or recharge takes the next one)
    Column("last_receipt_no", BigInteger, nullable=False, server_default=text("0")),
    Column("alert_thresholds", JSON, nullable=False),
    Column("alert_armed", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("debt_minor >= 0", name="debt_not_negative"),
    CheckConstraint("consecutive_declines >= 0", name="declines_not_negative"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("balance_after_minor", BigInteger, nullable=False),
    Column("actor_id", String(100), nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "seq", name="uq_ledger_entries_account_seq"),
    UniqueConstraint("account_id", "idempotency_key", name="uq_ledger_entries_account_key"),
    CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
    CheckConstraint(
        "kind IN ('funding', 'auto_recharge', 'usage', 'expiry', 'adjustment')", name="kind"
    ),
    Index("ix_ledger_entries_account_kind_occurred", "account_id", "kind", "occurred_at"),
)

lots = Table(
    "lots",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("entry_seq", BigInteger, nullable=False),
    Column("original_minor", BigInteger, nullable=False),
    Column("remaining_minor", BigInteger, nullable=False),
    Column("purchased_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("expiry_warned", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("remaining_minor >= 0 AND remaining_minor <= original_minor", name="remaining"),
    Index("ix_lots_account_expires", "account_id", "expires_at"),
)

usage_records = Table(
    "usage_records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("record_id", String(200), nullable=False),
    Column("charge_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("duration_seconds", Integer, nullable=False),
    Column("license_capability", String(100), nullable=True),
    Column("call_type", String(100), nullable=True),
    Column("user_principal_name", String(300), nullable=True),
    Column("destination_context", String(100), nullable=True),
    Column("user_display_name", String(200), nullable=True),
    Column("destination_name", String(200), nullable=True),
    Column("entry_seq", BigInteger, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "record_id", name="uq_usage_records_account_record"),
    CheckConstraint("charge_minor >= 0", name="charge_not_negative"),
    # spend by caller and destination for a period, the unusual-spend alert's last hour
    Index("ix_usage_records_account_start", "account_id", "start_at"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    # purchase: an admin's "add funds"; auto_recharge: a job made by a crossing of the trigger
    Column("kind", String(20), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    # sent to the gateway and used as the ledger entry's key: a retry can never charge twice
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("request_hash", String(64), nullable=False),
    Column("actor_id", String(100), nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("cause_seq", BigInteger, nullable=True),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("reason", String(500), nullable=True),
    Column("reference", String(200), nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("entry_seq", BigInteger, nullable=True),
    Column("receipt_no", BigInteger, nullable=True),  # numbered per account when it succeeds
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("kind IN ('purchase', 'auto_recharge')", name="kind"),
    CheckConstraint(
        "status IN ('pending', 'charging', 'succeeded', 'declined', 'cancelled')", name="status"
    ),
    # at most one open auto-recharge per account: one recharge per crossing, on every backend
    Index(
        "uq_payments_one_open_recharge",
        "account_id",
        unique=True,
        sqlite_where=text("kind = 'auto_recharge' AND status IN ('pending', 'charging')"),
        postgresql_where=text("kind = 'auto_recharge' AND status IN ('pending', 'charging')"),
    ),
    Index("ix_payments_status", "status", "lease_until"),
    Index("uq_payments_account_receipt", "account_id", "receipt_no", unique=True),
    Index("ix_payments_account_created", "account_id", "created_at"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("tenant_id", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("not_before", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    # an alert no conversation could receive in time: status 'failed' with this set (migration
    # 0003 adds a column rather than widen the status check, which SQLite cannot alter in place)
    Column("expired_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('pending', 'claimed', 'delivered', 'failed')", name="status"),
    Index("ix_alerts_status", "status", "id"),
)

admins = Table(
    "admins",
    metadata,
    Column("tenant_id", String(100), primary_key=True),
    Column("aad_object_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("granted_by", String(100), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(100), nullable=False),
    Column("conversation_id", String(500), nullable=False),
    Column("reference", JSON, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("tenant_id", "conversation_id", name="uq_subscriptions_tenant_conversation"),
)

# settings changes: the audit trail, and the idempotency record of confirms that move no money
operations = Table(
    "operations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("accounts.id"), nullable=False),
    Column("action", String(40), nullable=False),
    Column("actor_id", String(100), nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("details", JSON, nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "idempotency_key", name="uq_operations_account_key"),
)

# the conversation layer's state (dialog stacks), as a key-value store with optimistic etags
bot_state = Table(
    "bot_state",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("etag", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# activities already handled: Teams redelivers after 15 s, possibly to another replica
processed_activities = Table(
    "processed_activities",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_processed_activities_created", "created_at"),
)

# secrets the deployment makes for itself once and shares across replicas (e.g. card signing)
deployment_secrets = Table(
    "deployment_secrets",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# one row per alert and conversation it reached: a retried send never posts the same alert twice
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("alert_id", Id, ForeignKey("alerts.id"), primary_key=True),
    Column("conversation_id", String(500), primary_key=True),
    Column("activity_id", String(200), nullable=True),
    Column("delivered_at", UTCDateTime, nullable=False),
)

# replies the Bot Connector would not take during a turn, posted later by a worker in order per
# conversation (credits/replies.py); the activity and its conversation reference as JSON
kept_replies = Table(
    "kept_replies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tenant_id", String(100), nullable=False),
    Column("conversation_id", String(500), nullable=False),
    Column("activity", JSON, nullable=False),
    Column("reference", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("not_before", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('pending', 'claimed', 'delivered', 'failed')", name="status"),
    Index("ix_kept_replies_status", "status", "id"),
    Index("ix_kept_replies_conversation", "tenant_id", "conversation_id", "status", "id"),
)

# the 1:1 chats the bot has with a tenant's admins: where alerts go when no channel takes them
personal_chats = Table(
    "personal_chats",
    metadata,
    Column("tenant_id", String(100), primary_key=True),
    Column("aad_object_id", String(100), primary_key=True),
    Column("conversation_id", String(500), nullable=False),
    Column("reference", JSON, nullable=False),
    Column("name", String(200), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# tenants whose usage is pulled from Microsoft Graph: the cursor (the end of the last window
# read in full), the worker's claim, and what the last pull did (credits/sources.py)
usage_sources = Table(
    "usage_sources",
    metadata,
    Column("tenant_id", String(100), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("connected_by", String(100), nullable=False),
    Column("connected_at", UTCDateTime, nullable=False),
    Column("cursor_at", UTCDateTime, nullable=True),
    Column("next_run_at", UTCDateTime, nullable=True),
    Column("requested_at", UTCDateTime, nullable=True),  # a pull asked for during one
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("last_run_at", UTCDateTime, nullable=True),
    Column("last_ok_at", UTCDateTime, nullable=True),
    Column("last_read", Integer, nullable=False, server_default=text("0")),
    Column("last_applied", Integer, nullable=False, server_default=text("0")),
    Column("last_duplicates", Integer, nullable=False, server_default=text("0")),
    Column("last_conflicts", Integer, nullable=False, server_default=text("0")),
    Column("last_rejected", Integer, nullable=False, server_default=text("0")),
    Column("last_skipped", Integer, nullable=False, server_default=text("0")),
    Column("last_problem", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
    CheckConstraint("status IN ('idle', 'claimed')", name="status"),
    Index("ix_usage_sources_due", "status", "next_run_at"),
)

# one-time codes printed by `credits-bot admins claim-code`: the first admin of a tenant types it
# in chat to become its admin; only the code's SHA-256 is kept, and it is used once
claim_codes = Table(
    "claim_codes",
    metadata,
    Column("tenant_id", String(100), primary_key=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("failures", Integer, nullable=False, server_default=text("0")),  # wrong codes typed
    Column("used_by", String(100), nullable=True),
    Column("used_at", UTCDateTime, nullable=True),
)
