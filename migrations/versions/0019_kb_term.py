"""kb_term: the vocabulary (词表) editors keep and the KB's similar questions suggest

Revision ID: 0019_kb_term
Revises: 0018_kb_calibration
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_kb_term"
down_revision = "0018_kb_calibration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_term",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("phrase", sa.String(40), nullable=False, unique=True),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("author", sa.String(80)),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kb_term_status", "kb_term", ["status"])


def downgrade() -> None:
    op.drop_index("ix_kb_term_status", table_name="kb_term")
    op.drop_table("kb_term")
