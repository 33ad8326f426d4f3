"""Alembic environment: runs on the connection handed over by hotline.db.migrate,
or on HOTLINE_DATABASE_URL when called from the alembic CLI."""

from alembic import context

import accounts.models  # noqa: F401  (registers the tables on Base.metadata)
import channels.history  # noqa: F401
import channels.wechat.models  # noqa: F401
import handoff.models  # noqa: F401
import knowledge_base.models  # noqa: F401
import reports.models  # noqa: F401
import stats.models  # noqa: F401
import supervision.models  # noqa: F401
import sync.models  # noqa: F401
import work_orders.models  # noqa: F401
from hotline.db import Base, make_engine

target_metadata = Base.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from hotline.settings import load_settings

        engine = make_engine(load_settings().database_url)
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
