"""wechat: official-account users, seen message ids, notice deliveries; mini-program sessions and subscriptions

Revision ID: 0007_wechat
Revises: 0006_handoff
Create Date: 2026-11-22 11:08:43.783137
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_wechat"
down_revision = "0006_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mp_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("unionid", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("mp_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mp_session_openid"), ["openid"], unique=False)

    op.create_table(
        "mp_subscription",
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("openid", "template_id"),
    )
    op.create_table(
        "wx_seen",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("wx_seen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wx_seen_seen_at"), ["seen_at"], unique=False)

    op.create_table(
        "wx_user",
        sa.Column("sender", sa.String(length=120), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location_label", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("location_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("wants_location", sa.Boolean(), nullable=False),
        sa.Column("pending_media", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender"),
    )
    op.create_table(
        "wx_delivery",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["wo_notice.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("notice_id"),
    )
    with op.batch_alter_table("wx_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_wx_delivery_status_next", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wx_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_wx_delivery_status_next")
    op.drop_table("wx_delivery")
    op.drop_table("wx_user")
    with op.batch_alter_table("wx_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wx_seen_seen_at"))
    op.drop_table("wx_seen")
    op.drop_table("mp_subscription")
    with op.batch_alter_table("mp_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mp_session_openid"))
    op.drop_table("mp_session")
