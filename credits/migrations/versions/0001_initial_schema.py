"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 00:33:07.526751
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from credits import triggers
from credits.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("debt_minor", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("settings_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "recharge_enabled", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column("recharge_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("recharge_trigger_minor", sa.BigInteger(), nullable=True),
        sa.Column(
            "recharge_paused", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column("recharge_armed", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column(
            "consecutive_declines", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("daily_recharge_limit", sa.Integer(), nullable=True),
        sa.Column("monthly_recharge_cap_minor", sa.BigInteger(), nullable=True),
        sa.Column("alert_thresholds", sa.JSON(), nullable=False),
        sa.Column("alert_armed", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "consecutive_declines >= 0", name=op.f("ck_accounts_declines_not_negative")
        ),
        sa.CheckConstraint("debt_minor >= 0", name=op.f("ck_accounts_debt_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_accounts_tenant_id")),
    )
    op.create_table(
        "admins",
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("aad_object_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("granted_by", sa.String(length=100), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "aad_object_id", name=op.f("pk_admins")),
    )
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_state")),
    )
    op.create_table(
        "deployment_secrets",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_deployment_secrets")),
    )
    op.create_table(
        "processed_activities",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_processed_activities")),
    )
    with op.batch_alter_table("processed_activities", schema=None) as batch_op:
        batch_op.create_index("ix_processed_activities_created", ["created_at"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("conversation_id", sa.String(length=500), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint(
            "tenant_id", "conversation_id", name="uq_subscriptions_tenant_conversation"
        ),
    )
    op.create_table(
        "alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("not_before", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'delivered', 'failed')", name=op.f("ck_alerts_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_alerts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_alerts_dedupe_key")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_status", ["status", "id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_minor", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('funding', 'auto_recharge', 'usage', 'expiry', 'adjustment')",
            name=op.f("ck_ledger_entries_kind"),
        ),
        sa.CheckConstraint("amount_minor <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_ledger_entries_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("account_id", "idempotency_key", name="uq_ledger_entries_account_key"),
        sa.UniqueConstraint("account_id", "seq", name="uq_ledger_entries_account_seq"),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entries_account_kind_occurred",
            ["account_id", "kind", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "lots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("original_minor", sa.BigInteger(), nullable=False),
        sa.Column("remaining_minor", sa.BigInteger(), nullable=False),
        sa.Column("purchased_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("expiry_warned", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.CheckConstraint(
            "remaining_minor >= 0 AND remaining_minor <= original_minor",
            name=op.f("ck_lots_remaining"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_lots_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
    )
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.create_index("ix_lots_account_expires", ["account_id", "expires_at"], unique=False)

    op.create_table(
        "operations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_operations_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint("account_id", "idempotency_key", name="uq_operations_account_key"),
    )
    op.create_table(
        "payments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("cause_seq", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("entry_seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('purchase', 'auto_recharge')", name=op.f("ck_payments_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'charging', 'succeeded', 'declined', 'cancelled')",
            name=op.f("ck_payments_status"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payments_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_account_created", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_payments_status", ["status", "lease_until"], unique=False)
        batch_op.create_index(
            "uq_payments_one_open_recharge",
            ["account_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'auto_recharge' AND status IN ('pending', 'charging')"),
            postgresql_where=sa.text(
                "kind = 'auto_recharge' AND status IN ('pending', 'charging')"
            ),
        )

    op.create_table(
        "usage_records",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("charge_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("license_capability", sa.String(length=100), nullable=True),
        sa.Column("call_type", sa.String(length=100), nullable=True),
        sa.Column("user_principal_name", sa.String(length=300), nullable=True),
        sa.Column("destination_context", sa.String(length=100), nullable=True),
        sa.Column("entry_seq", sa.BigInteger(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("charge_minor >= 0", name=op.f("ck_usage_records_charge_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_usage_records_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_records")),
        sa.UniqueConstraint("account_id", "record_id", name="uq_usage_records_account_record"),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("conversation_id", sa.String(length=500), nullable=False),
        sa.Column("activity_id", sa.String(length=200), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("alert_id", "conversation_id", name=op.f("pk_alert_deliveries")),
    )

    for statement in triggers.create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in triggers.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("alert_deliveries")
    op.drop_table("usage_records")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_payments_one_open_recharge",
            sqlite_where=sa.text("kind = 'auto_recharge' AND status IN ('pending', 'charging')"),
            postgresql_where=sa.text(
                "kind = 'auto_recharge' AND status IN ('pending', 'charging')"
            ),
        )
        batch_op.drop_index("ix_payments_status")
        batch_op.drop_index("ix_payments_account_created")

    op.drop_table("payments")
    op.drop_table("operations")
    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_index("ix_lots_account_expires")

    op.drop_table("lots")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_account_kind_occurred")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_status")

    op.drop_table("alerts")
    op.drop_table("subscriptions")
    with op.batch_alter_table("processed_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_processed_activities_created")

    op.drop_table("processed_activities")
    op.drop_table("deployment_secrets")
    op.drop_table("bot_state")
    op.drop_table("admins")
    op.drop_table("accounts")
