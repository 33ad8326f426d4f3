"""reports: rp_report, rp_report_version, rp_notice (monthly, annual and special reports, 第三十二条)

Revision ID: 0023_reports
Revises: 0021_topics
Create Date: 2026-11-30

It merges the two heads of this branch (0020_stats and main's 0021_topics); the lead re-chains it at merge.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_reports"
down_revision = "0021_topics"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rp_report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("slot", sa.String(120), unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("region", sa.String(60), nullable=False),
        sa.Column("domain", sa.String(40), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.Column("sent_by", sa.String(80), nullable=False),
        sa.Column("recipients", sa.JSON, nullable=False),
    )
    op.create_index("ix_rp_report_region_period", "rp_report", ["region", "period_start"])
    op.create_table(
        "rp_report_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("rp_report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("narrative", sa.JSON, nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("report_id", "number", name="uq_rp_report_version"),
    )
    op.create_index("ix_rp_report_version_report_id", "rp_report_version", ["report_id"])
    op.create_table(
        "rp_notice",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("rp_report.id", ondelete="CASCADE"), nullable=False),
        sa.Column("region", sa.String(60), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_rp_notice_report_id", "rp_notice", ["report_id"])
    op.create_index("ix_rp_notice_region_created", "rp_notice", ["region", "created_at"])


def downgrade() -> None:
    op.drop_table("rp_notice")
    op.drop_table("rp_report_version")
    op.drop_table("rp_report")
