"""knowledge gaps count clarifications as well as refusals: the latest outcome (kind) and how many askings were
answered with choices (clarified); existing gaps were all refusals

Numbered 0017 although it follows 0015: another branch may add 0016 (its down_revision is re-chained at merge).

Revision ID: 0017_kb_gap_kind
Revises: 0015_chat_turn
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_kb_gap_kind"
down_revision = "0015_chat_turn"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_gap") as batch:
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="refuse"))
        batch.add_column(sa.Column("clarified", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("kb_gap") as batch:
        batch.drop_column("clarified")
        batch.drop_column("kind")
