"""kb_calibration: how sure the KB must be to answer, as last calibrated; title questions for old articles

Revision ID: 0018_kb_calibration
Revises: 0017_kb_gap_kind
Create Date: 2026-11-30
"""

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0018_kb_calibration"
down_revision = "0017_kb_gap_kind"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_calibration",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("articles", sa.Integer, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )
    _title_questions()


def _title_questions() -> None:
    """Articles written before titles were indexed as questions get theirs (without a vector: the search cache
    embeds chunks that lack one when it catches up); a change-log row per article makes every replica re-read it."""
    from hotline.text import normalize  # the application's own normalisation, as chunks are hashed

    conn = op.get_bind()
    articles = conn.execute(sa.text("select id, title, kind, version from kb_article where kind != 'regulation'")).all()
    if not articles:
        return
    now = datetime.now(UTC)
    for article_id, title, _kind, version in articles:
        key = normalize(title or "")
        if not key:
            continue
        rows = conn.execute(
            sa.text("select text, kind, position from kb_chunk where article_id = :a"), {"a": article_id}
        ).all()
        if any(kind == "question" and normalize(text) == key for text, kind, _ in rows):
            continue
        position = max((p for _, _, p in rows), default=-1) + 1
        conn.execute(
            sa.text(
                "insert into kb_chunk (article_id, position, text, text_hash, kind, embedding) "
                "values (:a, :p, :t, :h, 'question', null)"
            ),
            {"a": article_id, "p": position, "t": title, "h": hashlib.sha256(key.encode("utf-8")).hexdigest()},
        )
        conn.execute(
            sa.insert(
                sa.table("kb_change_log", sa.column("article_id"), sa.column("version"), sa.column("created_at"))
            ),
            {"article_id": article_id, "version": version, "created_at": now},
        )


def downgrade() -> None:
    op.drop_table("kb_calibration")
