"""work-order indexes measured at 1,000,000 orders: callbacks filtered on callback_required, supervisors'
region prefix

Revision ID: 0009_wo_indexes
Revises: 0008_sync
Create Date: 2026-11-22
"""

from alembic import op

revision = "0009_wo_indexes"
down_revision = "0008_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wo_order") as batch:
        batch.drop_index("ix_wo_state_callback_due")
        batch.create_index("ix_wo_state_callback_required_due", ["state", "callback_required", "callback_due"])
        batch.create_index("ix_wo_region_prefix", ["region"], postgresql_ops={"region": "varchar_pattern_ops"})


def downgrade() -> None:
    with op.batch_alter_table("wo_order") as batch:
        batch.drop_index("ix_wo_region_prefix")
        batch.drop_index("ix_wo_state_callback_required_due")
        batch.create_index("ix_wo_state_callback_due", ["state", "callback_due"])
