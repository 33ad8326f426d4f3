"""lock an account for a while after repeated failed logins

Revision ID: 0004_login_lockout
Revises: 0003_accounts
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_login_lockout"
down_revision = "0003_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account_user") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("account_user") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
