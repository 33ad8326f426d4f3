"""work orders: title and target with phone and ID numbers masked, searched by roles that do not see contact data

Revision ID: 0012_wo_search_masked
Revises: 0011_kb_gaps
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_wo_search_masked"
down_revision = "0011_kb_gaps"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    from hotline.privacy import mask_pii

    with op.batch_alter_table("wo_order") as batch:
        batch.add_column(sa.Column("search_masked", sa.Text, nullable=False, server_default=""))
    conn = op.get_bind()
    orders = sa.table(
        "wo_order",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("target", sa.String),
        sa.column("search_masked", sa.Text),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(orders.c.id, orders.c.title, orders.c.target)
            .where(orders.c.id > last)
            .order_by(orders.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            sa.update(orders).where(orders.c.id == sa.bindparam("oid")).values(search_masked=sa.bindparam("masked")),
            [{"oid": r.id, "masked": mask_pii(r.title or "") + "\n" + mask_pii(r.target or "")} for r in rows],
        )
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("wo_order") as batch:
        batch.drop_column("search_masked")
