"""knowledge base: similar questions (相似问法) per article, indexed as chunks of kind "question"

Revision ID: 0010_kb_questions
Revises: 0009_wo_indexes
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_kb_questions"
down_revision = "0009_wo_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_article") as batch:
        batch.add_column(sa.Column("questions", sa.JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("kb_chunk") as batch:
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="body"))


def downgrade() -> None:
    with op.batch_alter_table("kb_chunk") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("kb_article") as batch:
        batch.drop_column("questions")
