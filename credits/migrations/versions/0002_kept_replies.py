"""kept replies: replies the Bot Connector refused during a turn, posted later

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from credits.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_replies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("conversation_id", sa.String(length=500), nullable=False),
        sa.Column("activity", sa.JSON(), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("not_before", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'delivered', 'failed')",
            name=op.f("ck_kept_replies_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_replies")),
    )
    with op.batch_alter_table("kept_replies", schema=None) as batch_op:
        batch_op.create_index("ix_kept_replies_status", ["status", "id"], unique=False)
        batch_op.create_index(
            "ix_kept_replies_conversation",
            ["tenant_id", "conversation_id", "status", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("kept_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_kept_replies_conversation")
        batch_op.drop_index("ix_kept_replies_status")
    op.drop_table("kept_replies")
