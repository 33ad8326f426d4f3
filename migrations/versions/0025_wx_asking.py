"""wechat: the form question the bot asked last (wx_user.asking), asked again after a location shared mid-form

Revision ID: 0025_wx_asking
Revises: 0024_push
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_wx_asking"
down_revision = "0024_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wx_user") as batch:
        batch.add_column(sa.Column("asking", sa.String(300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("wx_user") as batch:
        batch.drop_column("asking")
