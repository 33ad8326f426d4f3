"""the web visitor's recent conversation (chat_turn), restored when the chat page is reloaded

Revision ID: 0015_chat_turn
Revises: 0014_handoff_urgent
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_chat_turn"
down_revision = "0014_handoff_urgent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_turn",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender", sa.String(160), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("work_order", sa.JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chat_turn_sender_id", "chat_turn", ["sender", "id"])
    op.create_index("ix_chat_turn_created_at", "chat_turn", ["created_at"])


def downgrade() -> None:
    op.drop_table("chat_turn")
