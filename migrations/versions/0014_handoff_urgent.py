"""urgent handoffs (safety hazards, 层层加码 / 一刀切 / 劝返 reports) are queued before the others

Revision ID: 0014_handoff_urgent
Revises: 0013_throttle
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_handoff_urgent"
down_revision = "0013_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ho_handoff") as batch:
        batch.add_column(sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("ho_handoff") as batch:
        batch.drop_column("urgent")
