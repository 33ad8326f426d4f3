"""wechat push: hot policies pushed to drivers (wx_push_campaign, wx_push_delivery), mini-program users' region (mp_user)

Revision ID: 0024_push
Revises: 0023_reports
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_push"
down_revision = "0023_reports"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mp_user",
        sa.Column("openid", sa.String(64), primary_key=True),
        sa.Column("region", sa.String(60), nullable=False),
        sa.Column("region_source", sa.String(20), nullable=False),
        sa.Column("region_at", TS),
    )
    op.create_table(
        "wx_push_campaign",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("kb_article.id", ondelete="CASCADE"), nullable=False),
        sa.Column("article_version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("region", sa.String(60), nullable=False),
        sa.Column("preview", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("article_id", "article_version", name="uq_wx_push_campaign_article"),
    )
    op.create_index("ix_wx_push_campaign_article_id", "wx_push_campaign", ["article_id"])
    op.create_table(
        "wx_push_delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("campaign_id", sa.Integer, sa.ForeignKey("wx_push_campaign.id", ondelete="CASCADE"), nullable=False),
        sa.Column("recipient", sa.String(120), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("campaign_id", "recipient", name="uq_wx_push_delivery_recipient"),
    )
    op.create_index("ix_wx_push_delivery_status_next", "wx_push_delivery", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_wx_push_delivery_status_next", table_name="wx_push_delivery")
    op.drop_table("wx_push_delivery")
    op.drop_index("ix_wx_push_campaign_article_id", table_name="wx_push_campaign")
    op.drop_table("wx_push_campaign")
    op.drop_table("mp_user")
