"""throttle guessable secrets per client, per (target, client) and per target instead of locking accounts

Replaces the account lockout of 0004 (anyone could lock any account with 5 bad passwords). The counters of
the callers' look-up on work_order (lookup_failures, lookup_locked_until) are no longer read.

Revision ID: 0013_throttle
Revises: 0012_wo_search_masked
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_throttle"
down_revision = "0012_wo_search_masked"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_throttle_expires_at", "throttle", ["expires_at"])
    with op.batch_alter_table("account_user") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("account_user") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True)))
    op.drop_table("throttle")
