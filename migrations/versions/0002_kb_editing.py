"""knowledge base v2: metadata, versions, change log

Revision ID: 0002_kb_editing
Revises: 0001_kb
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_kb_editing"
down_revision = "0001_kb"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_article") as batch:
        batch.add_column(sa.Column("domain", sa.String(20), nullable=False, server_default="综合"))
        batch.add_column(sa.Column("region", sa.String(50), nullable=False, server_default="全国"))
        batch.add_column(sa.Column("effective_from", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("origin", sa.String(20), nullable=False, server_default="seed"))
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="published"))
        batch.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("updated_by", sa.String(80)))
        batch.create_index("ix_kb_article_status", ["status"])
    with op.batch_alter_table("kb_chunk") as batch:
        batch.add_column(sa.Column("text_hash", sa.String(64)))
        batch.create_index("ix_kb_chunk_text_hash", ["text_hash"])
    op.create_table(
        "kb_article_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("kb_article.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("article_id", "version"),
    )
    op.create_index("ix_kb_article_version_article_id", "kb_article_version", ["article_id"])
    op.create_table(
        "kb_change_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kb_change_log_article_id", "kb_change_log", ["article_id"])
    op.create_table(
        "kb_meta",
        sa.Column("key", sa.String(50), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kb_meta")
    op.drop_index("ix_kb_change_log_article_id", "kb_change_log")
    op.drop_table("kb_change_log")
    op.drop_index("ix_kb_article_version_article_id", "kb_article_version")
    op.drop_table("kb_article_version")
    with op.batch_alter_table("kb_chunk") as batch:
        batch.drop_index("ix_kb_chunk_text_hash")
        batch.drop_column("text_hash")
    with op.batch_alter_table("kb_article") as batch:
        batch.drop_index("ix_kb_article_status")
        for col in (
            "updated_by",
            "version",
            "urgent",
            "tags",
            "status",
            "origin",
            "expires_at",
            "effective_from",
            "region",
            "domain",
        ):
            batch.drop_column(col)
