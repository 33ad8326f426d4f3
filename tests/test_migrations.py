"""Upgrading a database that already holds data loses nothing (SQLite and PostgreSQL)."""
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from hotline.db import ROOT, Database


def test_upgrade_from_first_revision_keeps_articles_and_chunks(db_url):
    db = Database(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_kb")
    with db.engine.begin() as conn:
        conn.execute(text(
            "insert into kb_article (id, origin_key, title, kind, doc_title, source, body, content_hash, created_at,"
            " updated_at) values (1, 'seed:x:第一条', '办法 第一条', 'regulation', '办法', '交通运输部', '正文', 'h',"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text("insert into kb_chunk (id, article_id, position, text) values (7, 1, 0, '第一条 正文')"))
    db.migrate()
    with db.engine.connect() as conn:
        assert conn.execute(text("select count(*) from kb_chunk")).scalar() == 1
        row = conn.execute(text("select status, region, domain, version from kb_article where id = 1")).one()
        assert tuple(row) == ("published", "全国", "综合", 1)
