"""12345 link: KB sync provenance on articles, feed state, sync log, proposals, work-order outbox

Revision ID: 0008_sync
Revises: 0007_wechat
Create Date: 2026-11-22 11:11:06.378217
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_sync"
down_revision = "0007_wechat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed", sa.String(length=120), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor_from", sa.Integer(), nullable=False),
        sa.Column("cursor_to", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("pushed", sa.Integer(), nullable=False),
        sa.Column("chunks_embedded", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.create_index("ix_sync_run_feed", ["feed", "id"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.String(length=100), nullable=False),
        sa.Column("lease_owner", sa.String(length=120), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "sync_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["sync_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_event_run_id"), ["run_id"], unique=False)

    op.create_table(
        "sync_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("origin_id", sa.String(length=100), nullable=False),
        sa.Column("side", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("remote_version", sa.Integer(), nullable=True),
        sa.Column("local_version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_article.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_proposal_article_id"), ["article_id"], unique=False)
        batch_op.create_index("ix_sync_proposal_status", ["status", "id"], unique=False)

    op.create_table(
        "sync_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["wo_order.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_outbox_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_sync_outbox_pending", ["acked_at", "next_attempt_at"], unique=False)

    with op.batch_alter_table("kb_article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_system", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("origin_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("origin_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("synced_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_kb_article_origin_id", ["origin_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("kb_article", schema=None) as batch_op:
        batch_op.drop_index("ix_kb_article_origin_id")
        batch_op.drop_column("synced_at")
        batch_op.drop_column("synced_version")
        batch_op.drop_column("origin_version")
        batch_op.drop_column("origin_id")
        batch_op.drop_column("origin_system")

    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_outbox_pending")
        batch_op.drop_index(batch_op.f("ix_sync_outbox_order_id"))

    op.drop_table("sync_outbox")
    with op.batch_alter_table("sync_proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_proposal_status")
        batch_op.drop_index(batch_op.f("ix_sync_proposal_article_id"))

    op.drop_table("sync_proposal")
    with op.batch_alter_table("sync_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_event_run_id"))

    op.drop_table("sync_event")
    op.drop_table("sync_state")
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_run_feed")

    op.drop_table("sync_run")
