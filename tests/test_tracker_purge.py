"""The nightly purge of the bot's tracker store (Rasa's `events`, issue 20): conversations silent for the chat
history's 30 days are deleted whole, in batches; a conversation still going keeps all of its history. On a
hand-made `events` table shaped like Rasa's SQLTrackerStore's, on PostgreSQL (scale mode) and SQLite (the embedded
default's var/tracker.db)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import create_engine, event, text

from channels.tracker_store import TrackerPurge, tracker_url
from hotline.settings import load_settings

NOW = datetime(2026, 11, 30, 19, 0, tzinfo=UTC)  # 03:00 the next day in China
DAY = 86400.0

# rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent (Rasa 3.6)
EVENTS_PG = """create table events (
    id serial primary key,
    sender_id varchar(255) not null,
    type_name varchar(255) not null,
    timestamp double precision,
    intent_name varchar(255),
    action_name varchar(255),
    data text
)"""
EVENTS_SQLITE = EVENTS_PG.replace("serial primary key", "integer primary key autoincrement").replace(
    "double precision", "float"
)


def _fill(url: str, ddl: str, conversations: dict[str, list[float]]) -> None:
    """Each sender's events, `ages` in days before NOW (a user event, an action and a bot utterance for each)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(ddl))
        conn.execute(text("create index ix_events_sender_id on events (sender_id)"))
        for sender, ages in conversations.items():
            for age in ages:
                at = NOW.timestamp() - age * DAY
                for type_name, intent, action in (
                    ("user", "complain", None),
                    ("action", None, "action_listen"),
                    ("bot", None, None),
                ):
                    conn.execute(
                        text(
                            "insert into events (sender_id, type_name, timestamp, intent_name, action_name, data)"
                            " values (:s, :t, :ts, :i, :a, :d)"
                        ),
                        {
                            "s": sender,
                            "t": type_name,
                            "ts": at,
                            "i": intent,
                            "a": action,
                            "d": json.dumps({"event": type_name, "timestamp": at}),
                        },
                    )
    engine.dispose()


def _remaining(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("select sender_id, count(*) from events group by sender_id")).all())
    engine.dispose()
    return rows


CONVERSATIONS = {
    **{f"web:gone-{i}": [45, 40, 35] for i in range(7)},  # silent for 35 days: deleted whole
    "web:just-over": [30.01],
    "web:still-going": [60, 45, 1],  # began 60 days ago, wrote yesterday: kept whole, its first turns too
    "web:recent": [2, 0.1],
    "wechat:o-just-under": [29.9],
}


def test_silent_conversations_are_deleted_whole_and_live_ones_kept_whole_on_postgresql(pg_url):
    _fill(pg_url, EVENTS_PG, CONVERSATIONS)
    purge = TrackerPurge(pg_url, batch=3)  # 8 expired conversations: three batches
    purge.clock = lambda: NOW
    try:
        assert purge.purge() == 7 * 3 * 3 + 3  # the seven with 3 turns, "just-over" with 1; 3 events a turn
        assert _remaining(pg_url) == {"web:still-going": 9, "web:recent": 6, "wechat:o-just-under": 3}
        assert purge.purge() == 0  # deleting by age acts once: a second run (another worker) finds nothing
    finally:
        purge.close()


def test_a_conversation_that_wakes_up_during_the_purge_is_kept(pg_url):
    _fill(pg_url, EVENTS_PG, {"web:a": [40], "web:b": [40], "web:c": [40]})
    purge = TrackerPurge(pg_url, batch=1)
    purge.clock = lambda: NOW
    engine = purge._reachable()
    woke = []

    @event.listens_for(engine, "before_cursor_execute")
    def b_writes_again(conn, cursor, statement, *args):
        # after the list of silent conversations was read, before the batches: the bot stores a turn of "web:b"
        if statement.lstrip().startswith("delete") and not woke:
            woke.append(True)
            with create_engine(pg_url).begin() as other:
                other.execute(
                    text("insert into events (sender_id, type_name, timestamp) values ('web:b', 'user', :ts)"),
                    {"ts": NOW.timestamp()},
                )

    try:
        assert purge.purge() == 6
        assert _remaining(pg_url) == {"web:b": 4}  # its old turn stays with the new one
    finally:
        purge.close()


def test_the_embedded_default_purges_the_bots_sqlite_file_when_it_is_there(tmp_path):
    settings = load_settings({"HOTLINE_VAR_DIR": str(tmp_path)})
    url = tracker_url(settings)
    assert url == f"sqlite:///{tmp_path / 'tracker.db'}"  # where hotline/procs.py points the bot (HOTLINE_TRACKER_DB)
    purge = TrackerPurge(url)
    purge.clock = lambda: NOW
    assert purge.purge() == 0 and not (tmp_path / "tracker.db").exists()  # no bot ran here: nothing made
    _fill(url, EVENTS_SQLITE, CONVERSATIONS)
    try:
        assert purge.purge() == 7 * 3 * 3 + 3
        assert _remaining(url) == {"web:still-going": 9, "web:recent": 6, "wechat:o-just-under": 3}
    finally:
        purge.close()


def test_scale_mode_purges_the_tracker_store_url_with_the_apps_driver(tmp_path):
    settings = load_settings(
        {"HOTLINE_VAR_DIR": str(tmp_path), "HOTLINE_TRACKER_STORE_URL": "postgresql://rasa:pw@db.internal:5432/tracker"}
    )
    assert tracker_url(settings) == "postgresql+psycopg://rasa:pw@db.internal:5432/tracker"


def test_a_store_without_rasas_table_yet_is_left_alone(pg_url):
    purge = TrackerPurge(pg_url)
    try:
        assert purge.purge() == 0
    finally:
        purge.close()
