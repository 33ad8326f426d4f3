"""handoff to a human operator: queued conversations, their messages, the outbox of channels that cannot poll

Revision ID: 0006_handoff
Revises: 0005_work_orders
Create Date: 2026-11-22 10:48:03.361532
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_handoff"
down_revision = "0005_work_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ho_handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=160), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("open_sender", sa.String(length=160), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("operator", sa.String(length=80), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=False),
        sa.Column("close_note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_sender"),
    )
    with op.batch_alter_table("ho_handoff", schema=None) as batch_op:
        batch_op.create_index("ix_ho_sender", ["sender"], unique=False)
        batch_op.create_index("ix_ho_state_id", ["state", "id"], unique=False)

    op.create_table(
        "ho_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=160), nullable=False),
        sa.Column("who", sa.String(length=10), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["ho_handoff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ho_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ho_message_handoff_id"), ["handoff_id"], unique=False)
        batch_op.create_index("ix_ho_message_sender_id", ["sender", "id"], unique=False)

    op.create_table(
        "ho_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=160), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["ho_message.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ho_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ho_outbox_message_id"), ["message_id"], unique=False)
        batch_op.create_index("ix_ho_outbox_pending", ["channel", "sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ho_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_ho_outbox_pending")
        batch_op.drop_index(batch_op.f("ix_ho_outbox_message_id"))

    op.drop_table("ho_outbox")
    with op.batch_alter_table("ho_message", schema=None) as batch_op:
        batch_op.drop_index("ix_ho_message_sender_id")
        batch_op.drop_index(batch_op.f("ix_ho_message_handoff_id"))

    op.drop_table("ho_message")
    with op.batch_alter_table("ho_handoff", schema=None) as batch_op:
        batch_op.drop_index("ix_ho_state_id")
        batch_op.drop_index("ix_ho_sender")

    op.drop_table("ho_handoff")
