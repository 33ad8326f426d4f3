"""work orders: handling units, orders, audit events, attachments, notices, calendar overrides;
unit and region of staff accounts

Revision ID: 0005_work_orders
Revises: 0004_login_lockout
Create Date: 2026-11-22 10:33:35.633116
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_work_orders"
down_revision = "0004_login_lockout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wo_calendar_override",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("workday", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "wo_sequence",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "wo_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("duties", sa.Text(), nullable=False),
        sa.Column("is_authority", sa.Boolean(), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "wo_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("order_type", sa.String(length=20), nullable=False),
        sa.Column("domain", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("caller_name", sa.String(length=60), nullable=False),
        sa.Column("caller_phone", sa.String(length=30), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("caller_user", sa.String(length=120), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("demand", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.String(length=60), nullable=False),
        sa.Column("safety", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.String(length=40), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("extension_days", sa.Integer(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=False),
        sa.Column("extension_used", sa.Boolean(), nullable=False),
        sa.Column("callback_required", sa.Boolean(), nullable=False),
        sa.Column("callback_result", sa.String(length=30), nullable=False),
        sa.Column("rating", sa.String(length=30), nullable=False),
        sa.Column("rating_comment", sa.Text(), nullable=False),
        sa.Column("lookup_failures", sa.Integer(), nullable=False),
        sa.Column("lookup_locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatch_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("callback_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("province_copied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("province_review_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("province_reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatch_overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("callback_overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["wo_unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("wo_order", schema=None) as batch_op:
        batch_op.create_index("ix_wo_caller_user", ["caller_user"], unique=False)
        batch_op.create_index("ix_wo_state_callback_due", ["state", "callback_due"], unique=False)
        batch_op.create_index("ix_wo_state_dispatch_due", ["state", "dispatch_due"], unique=False)
        batch_op.create_index("ix_wo_state_due", ["state", "due_at"], unique=False)
        batch_op.create_index("ix_wo_unit_state", ["unit_id", "state"], unique=False)

    op.create_table(
        "wo_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["wo_order.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wo_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wo_attachment_order_id"), ["order_id"], unique=False)

    op.create_table(
        "wo_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_state", sa.String(length=30), nullable=False),
        sa.Column("to_state", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["wo_order.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wo_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wo_event_order_id"), ["order_id"], unique=False)

    op.create_table(
        "wo_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["wo_order.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wo_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wo_notice_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_wo_notice_pending", ["recipient", "sent_at"], unique=False)

    with op.batch_alter_table("account_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("region", sa.String(length=60), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("account_user", schema=None) as batch_op:
        batch_op.drop_column("region")
        batch_op.drop_column("unit_id")

    with op.batch_alter_table("wo_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_wo_notice_pending")
        batch_op.drop_index(batch_op.f("ix_wo_notice_order_id"))

    op.drop_table("wo_notice")
    with op.batch_alter_table("wo_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wo_event_order_id"))

    op.drop_table("wo_event")
    with op.batch_alter_table("wo_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wo_attachment_order_id"))

    op.drop_table("wo_attachment")
    with op.batch_alter_table("wo_order", schema=None) as batch_op:
        batch_op.drop_index("ix_wo_unit_state")
        batch_op.drop_index("ix_wo_state_due")
        batch_op.drop_index("ix_wo_state_dispatch_due")
        batch_op.drop_index("ix_wo_state_callback_due")
        batch_op.drop_index("ix_wo_caller_user")

    op.drop_table("wo_order")
    op.drop_table("wo_unit")
    op.drop_table("wo_sequence")
    op.drop_table("wo_calendar_override")
