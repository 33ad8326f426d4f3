"""statistics (issue 17): when a unit accepted an order and when the callback was made, which unit returned an
order (wo_return), a supervisor's flag on a reply's quality, indexes for a period's intake and completions and a
unit's month, and the 评分办法

Revision ID: 0020_stats
Revises: 0019_kb_term
Create Date: 2026-11-30
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0020_stats"
down_revision = "0019_kb_term"
branch_labels = None
depends_on = None

RETURN_NOTE = re.compile(r"^单位(\d+)退回")


def upgrade() -> None:
    with op.batch_alter_table("wo_order") as batch:
        batch.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reply_flag", sa.String(10), nullable=False, server_default=""))
    op.create_index("ix_wo_received_at", "wo_order", ["received_at"])
    op.create_index("ix_wo_unit_dispatched", "wo_order", ["unit_id", "dispatched_at"])
    op.create_index("ix_wo_completed_at", "wo_order", ["completed_at"])  # the dashboard's completions per day
    op.create_table(
        "wo_return",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("wo_order.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", sa.Integer, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wo_return_order", "wo_return", ["order_id"])
    op.create_index("ix_wo_return_unit_at", "wo_return", ["unit_id", "at"])
    op.create_table(
        "stats_score_scheme",
        sa.Column("region", sa.String(60), primary_key=True),
        sa.Column("weights", sa.JSON, nullable=False),
        sa.Column("lowest", sa.Integer, nullable=False, server_default="3"),
        sa.Column("updated_by", sa.String(80), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    _backfill()


def _backfill() -> None:
    """Existing orders get their acceptance and callback moments and their returns from the audit trail."""
    conn = op.get_bind()
    for column, action in (("accepted_at", "accept"), ("callback_at", "callback")):
        conn.execute(
            sa.text(
                f"update wo_order set {column} = (select min(e.at) from wo_event e "
                f"where e.order_id = wo_order.id and e.action = :a) "
                f"where exists (select 1 from wo_event e where e.order_id = wo_order.id and e.action = :a)"
            ),
            {"a": action},
        )
    rows = conn.execute(sa.text("select order_id, at, note from wo_event where action = 'return' order by id")).all()
    returns = sa.table(
        "wo_return",
        sa.column("order_id", sa.Integer),
        sa.column("unit_id", sa.Integer),
        sa.column("at"),  # as read: a datetime on PostgreSQL, the stored text on SQLite
    )
    if rows:
        conn.execute(
            sa.insert(returns),
            [
                {
                    "order_id": r.order_id,
                    "unit_id": int(m.group(1)) if (m := RETURN_NOTE.match(r.note or "")) else None,
                    "at": r.at,
                }
                for r in rows
            ],
        )


def downgrade() -> None:
    op.drop_table("stats_score_scheme")
    op.drop_table("wo_return")
    op.drop_index("ix_wo_completed_at", "wo_order")
    op.drop_index("ix_wo_unit_dispatched", "wo_order")
    op.drop_index("ix_wo_received_at", "wo_order")
    with op.batch_alter_table("wo_order") as batch:
        batch.drop_column("reply_flag")
        batch.drop_column("callback_at")
        batch.drop_column("accepted_at")
