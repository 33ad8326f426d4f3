"""knowledge gaps (未命中问题): unanswered consultations, counted per wording, for editors to close

Revision ID: 0011_kb_gaps
Revises: 0010_kb_questions
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_kb_gaps"
down_revision = "0010_kb_questions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_gap",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(20)),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("best_article_id", sa.Integer),
        sa.Column("best_title", sa.String(300)),
        sa.Column("best_score", sa.Float),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("article_id", sa.Integer),
        sa.Column("resolved_by", sa.String(80)),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_kb_gap_last_seen", "kb_gap", ["last_seen"])
    op.create_index("ix_kb_gap_status", "kb_gap", ["status"])


def downgrade() -> None:
    op.drop_table("kb_gap")
