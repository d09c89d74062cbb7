"""admin controls: the largest single recharge, numbered receipts, claim codes

- accounts.max_recharge_minor: the largest single auto-recharge an admin allows (None: no cap);
- accounts.last_receipt_no: the account's last receipt number (each purchase and recharge that
  succeeds takes the next one);
- payments.receipt_no: a succeeded payment's receipt number, unique per account (the payments
  that succeeded before this revision are numbered by it, in the order they were credited);
- claim_codes: one-time codes the command line prints so the first admin of a tenant can claim
  the bot in chat (only a hash of the code is kept).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from credits.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("max_recharge_minor", sa.BigInteger(), nullable=True))
    op.add_column(
        "accounts",
        sa.Column("last_receipt_no", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("payments", sa.Column("receipt_no", sa.BigInteger(), nullable=True))
    op.create_index(
        "uq_payments_account_receipt", "payments", ["account_id", "receipt_no"], unique=True
    )
    op.create_table(
        "claim_codes",
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("used_by", sa.String(length=100), nullable=True),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_claim_codes")),
    )
    _number_receipts()


def _number_receipts() -> None:
    """Receipt numbers for the payments that succeeded before there were any: per account, 1, 2,
    3... in the order they were credited (their ledger entry; a payment without one after those,
    by id), as they would have been numbered live; and each account's last number. One
    statement with a window function (UPDATE ... FROM: SQLite 3.33+ and PostgreSQL), not a count
    of the earlier payments for each payment."""
    op.execute(
        "UPDATE payments SET receipt_no = numbered.n FROM ("
        " SELECT id, ROW_NUMBER() OVER ("
        "  PARTITION BY account_id"
        "  ORDER BY CASE WHEN entry_seq IS NULL THEN 1 ELSE 0 END, entry_seq, id"
        " ) AS n FROM payments WHERE status = 'succeeded'"
        ") AS numbered WHERE numbered.id = payments.id"
    )
    op.execute(
        "UPDATE accounts SET last_receipt_no = COALESCE(("
        " SELECT MAX(payments.receipt_no) FROM payments WHERE payments.account_id = accounts.id"
        "), 0)"
    )


def downgrade() -> None:
    op.drop_table("claim_codes")
    op.drop_index("uq_payments_account_receipt", table_name="payments")
    # plain DROP COLUMN on both backends: a batch rebuild of `accounts` on SQLite would break
    # the ledger's triggers, which name it
    op.drop_column("payments", "receipt_no")
    op.drop_column("accounts", "last_receipt_no")
    op.drop_column("accounts", "max_recharge_minor")
