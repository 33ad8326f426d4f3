"""knowledge base v1: articles and chunks

Revision ID: 0001_kb
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_kb"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_article",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("origin_key", sa.String(200), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("doc_title", sa.String(200), nullable=False),
        sa.Column("clause_no", sa.String(20)),
        sa.Column("clause_index", sa.Integer),
        sa.Column("chapter", sa.String(100)),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("published_on", sa.Date),
        sa.Column("published_label", sa.String(50)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "kb_chunk",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("kb_article.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("embedding", sa.LargeBinary),
    )
    op.create_index("ix_kb_chunk_article_id", "kb_chunk", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_kb_chunk_article_id", "kb_chunk")
    op.drop_table("kb_chunk")
    op.drop_table("kb_article")
