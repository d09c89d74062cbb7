"""usage from Microsoft Graph, alerts that wait for a conversation

- usage_sources: the tenants whose PSTN calls are pulled from Graph, with a cursor and status;
- usage_records: the caller's display name and the destination's name (for "top callers");
- personal_chats: admins' 1:1 chats with the bot, where alerts go when no channel takes them;
- alerts.expired_at: when an alert that no conversation could receive was given up;
- an index of usage_records by account and start, for spend by caller and destination.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from credits.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_sources",
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("connected_by", sa.String(length=100), nullable=False),
        sa.Column("connected_at", UTCDateTime(), nullable=False),
        sa.Column("cursor_at", UTCDateTime(), nullable=True),
        sa.Column("next_run_at", UTCDateTime(), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_ok_at", UTCDateTime(), nullable=True),
        *(
            sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)
            for name in (
                "last_read",
                "last_applied",
                "last_duplicates",
                "last_conflicts",
                "last_rejected",
                "last_skipped",
            )
        ),
        sa.Column("last_problem", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('idle', 'claimed')", name=op.f("ck_usage_sources_status")),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_usage_sources")),
    )
    with op.batch_alter_table("usage_sources", schema=None) as batch_op:
        batch_op.create_index("ix_usage_sources_due", ["status", "next_run_at"], unique=False)
    op.create_table(
        "personal_chats",
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("aad_object_id", sa.String(length=100), nullable=False),
        sa.Column("conversation_id", sa.String(length=500), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "aad_object_id", name=op.f("pk_personal_chats")),
    )
    # plain ADD COLUMN on both backends (no table rebuild on SQLite)
    op.add_column("usage_records", sa.Column("user_display_name", sa.String(200), nullable=True))
    op.add_column("usage_records", sa.Column("destination_name", sa.String(200), nullable=True))
    op.add_column("alerts", sa.Column("expired_at", UTCDateTime(), nullable=True))
    op.create_index(
        "ix_usage_records_account_start", "usage_records", ["account_id", "start_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_usage_records_account_start", table_name="usage_records")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("expired_at")
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_column("destination_name")
        batch_op.drop_column("user_display_name")
    op.drop_table("personal_chats")
    with op.batch_alter_table("usage_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_sources_due")
    op.drop_table("usage_sources")
