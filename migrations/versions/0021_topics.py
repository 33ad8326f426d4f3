"""supervision: problem list (sv_problem*), surge alerts (sv_alert), duplicate groups (sv_dup_*), job lease, cached text vectors

Revision ID: 0021_topics
Revises: 0019_kb_term
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_topics"
down_revision = "0019_kb_term"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sv_problem",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("region", sa.String(60), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("closed_at", TS),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_sv_problem_region_state", "sv_problem", ["region", "state"])
    op.create_table(
        "sv_problem_order",
        sa.Column("problem_id", sa.Integer, sa.ForeignKey("sv_problem.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("wo_order.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_sv_problem_order_order_id", "sv_problem_order", ["order_id"])
    op.create_table(
        "sv_problem_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("problem_id", sa.Integer, sa.ForeignKey("sv_problem.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_sv_problem_event_problem_id", "sv_problem_event", ["problem_id"])
    op.create_table(
        "sv_alert",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("region", sa.String(60), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("order_ids", sa.JSON, nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.Column("window_end", TS, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("acknowledged_by", sa.String(80), nullable=False),
        sa.Column("acknowledged_at", TS),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_sv_alert_region_status", "sv_alert", ["region", "status"])
    op.create_index("ix_sv_alert_key", "sv_alert", ["key"])
    op.create_table(
        "sv_dup_group",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("region", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "sv_dup_member",
        sa.Column("order_id", sa.Integer, sa.ForeignKey("wo_order.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("sv_dup_group.id", ondelete="CASCADE"), nullable=False),
        sa.Column("added_by", sa.String(80), nullable=False),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_index("ix_sv_dup_member_group_id", "sv_dup_member", ["group_id"])
    op.create_table(
        "sv_text_vector",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("used_at", TS, nullable=False),
    )
    op.create_index("ix_sv_text_vector_used_at", "sv_text_vector", ["used_at"])
    op.create_table(
        "sv_job_lease",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("next_run", TS, nullable=False),
        sa.Column("owner", sa.String(80), nullable=False),
    )


def downgrade() -> None:
    for table in ("sv_job_lease", "sv_text_vector", "sv_dup_member", "sv_dup_group", "sv_alert", "sv_problem_event"):
        op.drop_table(table)
    op.drop_table("sv_problem_order")
    op.drop_table("sv_problem")
