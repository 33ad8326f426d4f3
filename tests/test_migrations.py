"""Upgrading a database that already holds data loses nothing (SQLite and PostgreSQL)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, Table, text
from sqlalchemy.exc import IntegrityError

from hotline.db import Database
from tests.db_templates import upgrade_to


def test_upgrade_from_first_revision_keeps_articles_and_chunks(db_url):
    db = Database(db_url)
    upgrade_to(db.engine, "0001_kb")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "insert into kb_article (id, origin_key, title, kind, doc_title, source, body, content_hash, created_at,"
                " updated_at) values (1, 'seed:x:第一条', '办法 第一条', 'regulation', '办法', '交通运输部', '正文', 'h',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(text("insert into kb_chunk (id, article_id, position, text) values (7, 1, 0, '第一条 正文')"))
    db.migrate()
    with db.engine.connect() as conn:
        assert conn.execute(text("select count(*) from kb_chunk")).scalar() == 1
        row = conn.execute(text("select status, region, domain, version from kb_article where id = 1")).one()
        assert tuple(row) == ("published", "全国", "综合", 1)


def test_upgrade_masks_the_search_text_of_existing_orders(db_url):
    db = Database(db_url)
    upgrade_to(db.engine, "0011_kb_gaps")
    with db.engine.begin() as conn:
        orders = Table("wo_order", MetaData(), autoload_with=conn)
        now = datetime.now(UTC)
        blank = {str: "", int: 0, bool: False, datetime: now}
        row = {c.name: blank[c.type.python_type] for c in orders.columns if not c.nullable and c.name != "id"}
        conn.execute(
            orders.insert().values(
                {**row, "id": 1, "number": "20260930-00001", "title": "司机电话139 1234 5678", "target": "豫G·T1234"}
            )
        )
    db.migrate()
    with db.engine.connect() as conn:
        masked = conn.execute(text("select search_masked from wo_order where id = 1")).scalar()
    assert masked == "司机电话139 **** 5678\n豫G·T1234"


def test_upgrade_keeps_knowledge_gaps_as_refusals(db_url):
    """Gaps recorded before clarifications existed were all refusals (0017_kb_gap_kind)."""
    db = Database(db_url)
    upgrade_to(db.engine, "0015_chat_turn")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "insert into kb_gap (id, key, text, count, first_seen, last_seen, status) values"
                " (1, 'k', '明天郑州下雨吗', 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'open')"
            )
        )
    db.migrate()
    from knowledge_base.gaps import KnowledgeGaps

    gap = KnowledgeGaps(db).list()["items"][0]
    assert (gap["text"], gap["count"], gap["kind"], gap["clarified"], gap["refused"]) == (
        "明天郑州下雨吗",
        3,
        "refuse",
        0,
        3,
    )


def test_upgrade_adds_an_empty_vocabulary(db_url):
    """0019_kb_term: the vocabulary table starts empty (the shipped thesaurus file stays the base)."""
    db = Database(db_url)
    upgrade_to(db.engine, "0018_kb_calibration")
    db.migrate()
    from knowledge_base.vocabulary import active_terms, vocabulary_version

    with db.session() as s:
        assert active_terms(s) == ()
        assert vocabulary_version(s) == ""
    with db.engine.connect() as conn:
        assert conn.execute(text("select count(*) from kb_term")).scalar() == 0


def test_upgrade_takes_acceptance_callbacks_and_returns_from_the_audit_trail(db_url):
    """0020_stats: existing orders get accepted_at / callback_at and their returns (with the unit) from wo_event."""
    db = Database(db_url)
    upgrade_to(db.engine, "0019_kb_term")
    t = [datetime(2026, 11, 2, h, 0, tzinfo=UTC) for h in range(1, 6)]
    with db.engine.begin() as conn:
        orders = Table("wo_order", MetaData(), autoload_with=conn)
        events = Table("wo_event", MetaData(), autoload_with=conn)
        blank = {str: "", int: 0, bool: False, datetime: t[0]}
        row = {c.name: blank[c.type.python_type] for c in orders.columns if not c.nullable and c.name != "id"}
        conn.execute(orders.insert().values({**row, "id": 1, "number": "20261102-00001", "title": "甲"}))
        conn.execute(orders.insert().values({**row, "id": 2, "number": "20261102-00002", "title": "乙"}))
        for i, (order_id, action, note) in enumerate(
            [
                (1, "return", "单位7退回：不属于本单位职责"),
                (1, "accept", ""),
                (1, "callback", "回访：满意"),
                (2, "create", ""),
            ]
        ):
            conn.execute(
                events.insert().values(
                    order_id=order_id,
                    at=t[i + 1],
                    actor="x",
                    action=action,
                    from_state="",
                    to_state="",
                    note=note,
                    data={},
                )
            )
    db.migrate()
    with db.engine.connect() as conn:
        rows = conn.execute(text("select id, accepted_at, callback_at, reply_flag from wo_order order by id")).all()
        returns = conn.execute(text("select order_id, unit_id from wo_return")).all()
    accepted, called = (v if isinstance(v, datetime) else datetime.fromisoformat(str(v)) for v in rows[0][1:3])
    assert (accepted.replace(tzinfo=UTC), called.replace(tzinfo=UTC)) == (t[2], t[3])
    assert rows[0][3] == "" and rows[1][1:] == (None, None, "")
    assert [tuple(r) for r in returns] == [(1, 7)]


def test_upgrade_adds_push_tables_and_keeps_followers_and_consents(db_url):
    """0024_push: hot-policy campaigns and deliveries (one per recipient) and mini-program users' regions; the
    followers and subscribe-message consents already recorded stay as they were."""
    db = Database(db_url)
    upgrade_to(db.engine, "0023_reports")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "insert into wx_user (sender, subscribed, location_label, region, choices, wants_location,"
                " pending_media, updated_at) values ('wechat:oA', true, '', '河南省新乡市', '[]', false, '[]',"
                " CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "insert into mp_subscription (openid, template_id, remaining, updated_at)"
                " values ('oM', 'SUB-POLICY', 2, CURRENT_TIMESTAMP)"
            )
        )
    db.migrate()
    with db.engine.connect() as conn:
        assert conn.execute(text("select region from wx_user where sender = 'wechat:oA'")).scalar() == "河南省新乡市"
        assert conn.execute(text("select remaining from mp_subscription")).scalar() == 2
        for table in ("wx_push_campaign", "wx_push_delivery", "mp_user"):
            assert conn.execute(text(f"select count(*) from {table}")).scalar() == 0
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "insert into kb_article (id, origin_key, title, kind, doc_title, source, body, content_hash, created_at,"
                " updated_at) values (1, 'local:x', '管制', 'policy', '管制', '局', '正文', 'h', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "insert into wx_push_campaign (id, article_id, article_version, title, region, preview, created_by,"
                " created_at) values (1, 1, 1, '管制', '河南省新乡市', '{}', 'pub', CURRENT_TIMESTAMP)"
            )
        )
    row = (
        "insert into wx_push_delivery (campaign_id, recipient, channel, status, via, attempts, last_error, updated_at)"
        " values (1, 'wechat:oA', 'official', 'pending', '', 0, '', CURRENT_TIMESTAMP)"
    )
    with db.engine.begin() as conn:
        conn.execute(text(row))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # one delivery per recipient of a campaign
        conn.execute(text(row))
    db.engine.dispose()
