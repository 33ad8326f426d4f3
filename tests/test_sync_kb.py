"""KB sync with the 12345 simulator over HTTP, on SQLite and PostgreSQL: incremental by cursor, only changed text
embedded, idempotent on repeated pages, tombstones, bad input logged with the KB unchanged, the conflict policy,
pushes, and a sync killed mid-page that resumes with nothing lost or doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from knowledge_base.editing import Editor
from knowledge_base.models import Article, ArticleVersion, ChangeLog, Chunk
from sync import ledger as st
from sync import review
from sync.connectors import HttpConnector
from sync.errors import Busy
from sync.kb import KbSync, SyncOptions
from sync.models import SyncEvent, SyncRun, SyncState
from tests.fakes import control, faults, make_sync

ROOT = Path(__file__).resolve().parent.parent


def counts(kb) -> dict:
    with kb.db.session() as s:
        return {
            "articles": s.scalar(select(func.count(Article.id))),
            "versions": s.scalar(select(func.count(ArticleVersion.id))),
            "log": s.scalar(select(func.count(ChangeLog.id))),
            "chunks": s.scalar(select(func.count(Chunk.id))),
            "cursor": s.scalar(select(SyncState.cursor).where(SyncState.name == "kb:12345")),
        }


def article(kb, origin_id: str) -> Article:
    with kb.db.session() as s:
        return s.scalar(select(Article).where(Article.origin_id == origin_id))


def events(kb, run_id: int | None = None, kind: str | None = None) -> list[SyncEvent]:
    with kb.db.session() as s:
        query = select(SyncEvent).order_by(SyncEvent.id)
        if run_id is not None:
            query = query.where(SyncEvent.run_id == run_id)
        if kind:
            query = query.where(SyncEvent.kind == kind)
        return list(s.scalars(query))


def test_initial_sync_then_only_changes(hkb, sim):
    run = make_sync(hkb, sim).run("test")
    assert run["status"] == "ok", run
    assert (run["received"], run["created"], run["pages"]) == (60, 60, 3)
    # each entry: its body and its title (indexed as its standard question); a text shared by several is embedded once
    assert counts(hkb) == {"articles": 60, "versions": 60, "log": 60, "chunks": 120, "cursor": 60}
    with hkb.db.session() as s:
        assert run["chunks_embedded"] == s.scalar(select(func.count(func.distinct(Chunk.text_hash))))
    a = article(hkb, "ZSK0000001")
    assert (a.origin_system, a.origin_version, a.synced_version, a.origin_key) == (
        "12345",
        1,
        a.version,
        "12345:ZSK0000001",
    )
    assert a.status == "published" and a.synced_at is not None and a.source.endswith("12345政务服务便民热线")

    again = make_sync(hkb, sim).run("test")
    assert (again["received"], again["chunks_embedded"], again["pushed"]) == (0, 0, 0)

    texts_before = hkb.embedder.texts
    edited = control(sim, "/_sim/edit", {"count": 3})["ids"]
    gone = control(sim, "/_sim/delete", {"ids": ["ZSK0000002"]})["ids"]
    run = make_sync(hkb, sim).run("test")
    assert (run["updated"], run["retired"], run["chunks_embedded"]) == (3, 1, 3)
    assert hkb.embedder.texts - texts_before == 3  # only the changed text was embedded
    for rid in edited:
        changed = article(hkb, rid)
        assert changed.origin_version == 2 and changed.version == 2 and "更新" in changed.body
    assert article(hkb, gone[0]).status == "retired"
    assert counts(hkb)["cursor"] == 64


def test_repeated_reordered_and_failing_pages_end_in_the_same_state(hkb, sim):
    control(sim, "/_sim/edit", {"count": 10})  # the feed now has 70 entries, 10 articles twice
    faults(
        sim,
        {"mode": "error500"},
        {"mode": "timeout", "seconds": 1.5},
        {"mode": "garbage"},
        {"mode": "shuffle"},
        {"mode": "duplicate"},
        {"mode": "overlap"},
        {"mode": "reorder"},
        {"mode": "truncate"},
        {"mode": "bad_etag"},
        {"mode": "duplicate"},
    )
    run = make_sync(hkb, sim, retries=6).run("test")
    assert run["status"] == "ok", run
    assert run["warnings"] >= 8
    assert control(sim, "/_sim/state")["faults"] == []  # every fault was met
    c = counts(hkb)
    assert (c["articles"], c["chunks"], c["cursor"]) == (60, 120, 70)
    with hkb.db.session() as s:  # each article once, each version once
        rows = s.execute(
            select(ArticleVersion.article_id, ArticleVersion.version, func.count()).group_by(
                ArticleVersion.article_id, ArticleVersion.version
            )
        ).all()
    assert all(n == 1 for *_, n in rows)
    kinds = {e.kind for e in events(hkb, run["id"])}
    assert {"remote_unavailable", "page_rejected", "stale_page", "page_warning"} <= kinds


def test_bad_articles_are_rejected_one_by_one_and_html_is_stripped(hkb, sim):
    make_sync(hkb, sim).run("test")
    control(
        sim,
        "/_sim/raw",
        {
            "items": [
                {"id": "NOTITLE", "version": 1, "body": "没有标题的文章"},
                {"id": "HUGE", "version": 1, "title": "超长正文", "body": "长" * 30000},
                {"id": "BADVER", "version": 0, "title": "版本", "body": "版本号为零"},
                {"version": 1, "title": "无编号", "body": "缺少编号"},
                {"id": "LIAR", "version": 1, "title": "校验", "body": "正文", "content_hash": "sha256:00"},
                {
                    "id": "HTML1",
                    "version": 1,
                    "title": "<b>临时</b>交通管制",
                    "domain": "公路",
                    "body": "<p>G4京港澳高速封闭。</p><script>alert('x')</script><img src=x onerror=alert(1)>请绕行 &amp; 注意安全",
                },
                {"id": "ZSK0000003", "version": 1, "title": "旧版本重发", "body": "同一版本再次发送"},
            ]
        },
    )
    before = counts(hkb)
    run = make_sync(hkb, sim).run("test")
    assert run["status"] == "partial" and run["rejected"] == 5 and run["created"] == 1 and run["unchanged"] == 1
    html = article(hkb, "HTML1")
    assert html.title == "临时交通管制"
    assert "<" not in html.body and "alert" not in html.body and "请绕行 & 注意安全" in html.body
    assert article(hkb, "ZSK0000003").title != "旧版本重发"  # a version we had already is a no-op
    rejected = {e.remote_id for e in events(hkb, run["id"], "item_rejected")}
    assert rejected == {"NOTITLE", "HUGE", "BADVER", "", "LIAR"}
    assert events(hkb, run["id"], "html_stripped")[0].remote_id == "HTML1"
    assert counts(hkb)["articles"] == before["articles"] + 1

    control(sim, "/_sim/edit", {"ids": ["ZSK0000004"]})
    control(sim, "/_sim/edit", {"ids": ["ZSK0000004"]})
    make_sync(hkb, sim).run("test")
    control(sim, "/_sim/raw", {"items": [{"id": "ZSK0000004", "version": 2, "title": "倒退", "body": "旧版本"}]})
    run = make_sync(hkb, sim).run("test")
    assert run["status"] == "partial" and events(hkb, run["id"], "version_regression")
    assert article(hkb, "ZSK0000004").origin_version == 3 and article(hkb, "ZSK0000004").title != "倒退"


@pytest.mark.parametrize(
    "mode, times, code",
    [
        ("backwards", 1, "feed_backwards"),
        ("dupid", 9, "page_rejected"),
        ("lie_empty", 9, "page_rejected"),
        ("garbage", 9, "page_rejected"),
        ("reset_feed", 1, "feed_backwards"),
    ],
)
def test_untrustworthy_pages_change_nothing(hkb, sim, mode, times, code):
    make_sync(hkb, sim).run("test")
    control(sim, "/_sim/edit", {"count": 5})
    before = counts(hkb)
    faults(sim, {"mode": mode, "times": times})
    run = make_sync(hkb, sim, retries=2).run("test")
    assert run["status"] == "failed"
    assert events(hkb, run["id"], code)[-1].level == "error"
    assert counts(hkb) == before  # nothing of it applied, the cursor where it was
    control(sim, "/_sim/faults", method="DELETE")
    if mode == "reset_feed":
        from sync.kb import reset_cursor

        reset_cursor(hkb.db, "kb:12345")  # a person checked 12345 and starts over: what we have is a no-op
    run = make_sync(hkb, sim).run("test")
    assert run["status"] == "ok" and run["updated"] == 5
    assert counts(hkb)["versions"] == before["versions"] + 5


def test_dead_or_refusing_remote(hkb, sim):
    dead = KbSync(
        hkb,
        HttpConnector("http://127.0.0.1:9", "sim-token", timeout=0.5),
        SyncOptions(retries=2, backoff=0),
        sleep=lambda s: None,
    )
    run = dead.run("test")
    assert run["status"] == "failed" and "无法连接" in run["message"]
    assert len(events(hkb, run["id"], "remote_unavailable")) == 3  # two retries, then the error
    wrong = KbSync(hkb, HttpConnector(sim.url, "wrong-token", timeout=1), SyncOptions(retries=2, backoff=0))
    run = wrong.run("test")
    assert run["status"] == "failed" and "401" in run["message"]
    assert len(events(hkb, run["id"])) == 1  # refused: not retried
    assert counts(hkb)["articles"] == 0


def test_one_run_at_a_time(hkb, sim):
    st.ensure_state(hkb.db, "kb:12345")
    assert st.acquire(hkb.db, "kb:12345", "otherhost:1:x", 60)
    with pytest.raises(Busy):
        make_sync(hkb, sim).run("test")
    st.release(hkb.db, "kb:12345", "otherhost:1:x")
    assert make_sync(hkb, sim).run("test")["status"] == "ok"


def test_owner_wins_for_12345_articles_and_the_local_edit_is_kept(hkb, sim):
    make_sync(hkb, sim).run("test")
    editor = Editor(hkb)
    local = article(hkb, "ZSK0000005")
    fields = {k: getattr(local, k) for k in ("title", "domain", "region", "kind", "source", "tags", "urgent")}
    editor.update(local.id, {**fields, "body": "本地编辑的版本：办理地点已搬迁。"}, local.version, "editor1")
    control(sim, "/_sim/edit", {"ids": ["ZSK0000005"], "fields": {"body": "12345 的新版本：工作时间调整。"}})

    run = make_sync(hkb, sim).run("test")
    assert run["conflicts"] == 1 and run["pushed"] == 0
    now = article(hkb, "ZSK0000005")
    assert now.body == "12345 的新版本：工作时间调整。" and now.synced_version == now.version
    proposals = review.list_proposals(hkb.db)["items"]
    assert len(proposals) == 1 and proposals[0]["side"] == "12328"
    assert proposals[0]["fields"]["body"] == "本地编辑的版本：办理地点已搬迁。"
    conflict = events(hkb, run["id"], "conflict")[0]
    assert conflict.details["proposal_id"] == proposals[0]["id"]

    # the editor accepts the kept edit: it becomes a new version and goes to 12345
    review.accept(editor, proposals[0]["id"], "editor1")
    run = make_sync(hkb, sim).run("test")
    assert run["pushed"] == 1
    remote = control(sim, "/_sim/article/ZSK0000005")
    assert remote["body"] == "本地编辑的版本：办理地点已搬迁。" and remote["version"] == 3
    run = make_sync(hkb, sim).run("test")  # our push comes back in the feed: nothing changes
    assert (run["received"], run["unchanged"], run["updated"], run["conflicts"]) == (1, 1, 0, 0)
    assert review.list_proposals(hkb.db)["total"] == 0


def test_our_articles_are_pushed_and_we_win_their_conflicts(hkb, sim):
    make_sync(hkb, sim).run("test")
    editor = Editor(hkb)
    ours = editor.create(
        {
            "title": "G107国道新乡段临时交通管制",
            "body": "11月1日至3日夜间封闭。",
            "domain": "公路",
            "region": "河南省新乡市",
        },
        "pub",
        publish=True,
    )
    draft = editor.create({"title": "未发布的草稿", "body": "草稿不外发。"}, "ed")
    run = make_sync(hkb, sim).run("test")
    assert run["pushed"] == 1
    rid = f"12328-{ours['id']}"
    remote = control(sim, f"/_sim/article/{rid}")
    assert (remote["owner"], remote["version"], remote["title"]) == ("12328", 1, "G107国道新乡段临时交通管制")
    with hkb.db.session() as s:
        assert s.get(Article, draft["id"]).origin_id is None
    run = make_sync(hkb, sim).run("test")  # the echo of our push
    assert (run["unchanged"], run["updated"], run["pushed"]) == (1, 0, 0)

    # 12345 alone edits our article: applied here
    control(sim, "/_sim/edit", {"ids": [rid], "fields": {"body": "11月1日至5日夜间封闭。"}})
    run = make_sync(hkb, sim).run("test")
    assert run["updated"] == 1 and run["conflicts"] == 0 and run["pushed"] == 0
    assert editor.get(ours["id"])["body"] == "11月1日至5日夜间封闭。"

    # both edit: we own it, our edit stays and goes back; theirs is kept as a proposal
    cur = editor.get(ours["id"])
    editor.update(
        ours["id"],
        {**{k: cur[k] for k in ("title", "domain", "region")}, "body": "11月1日至7日全天封闭。"},
        cur["version"],
        "pub",
    )
    control(sim, "/_sim/edit", {"ids": [rid], "fields": {"body": "11月2日起解除封闭。"}})
    run = make_sync(hkb, sim).run("test")
    assert run["conflicts"] == 1 and run["pushed"] == 1
    assert editor.get(ours["id"])["body"] == "11月1日至7日全天封闭。"
    assert control(sim, f"/_sim/article/{rid}")["body"] == "11月1日至7日全天封闭。"
    kept = review.list_proposals(hkb.db)["items"][0]
    assert kept["side"] == "12345" and kept["fields"]["body"] == "11月2日起解除封闭。"
    review.dismiss(hkb.db, kept["id"], "pub")

    # only the owner deletes: 12345's delete is kept as a proposal and our copy restored there
    control(sim, "/_sim/delete", {"ids": [rid]})
    run = make_sync(hkb, sim).run("test")
    assert run["retired"] == 0 and run["pushed"] == 1 and editor.get(ours["id"])["status"] == "published"
    assert not control(sim, f"/_sim/article/{rid}").get("deleted")
    assert review.list_proposals(hkb.db)["items"][0]["reason"] == "delete_by_non_owner"

    # we retire it: a tombstone goes out
    cur = editor.get(ours["id"])
    editor.retire(ours["id"], cur["version"], "pub")
    run = make_sync(hkb, sim).run("test")
    assert run["pushed"] == 1 and control(sim, f"/_sim/article/{rid}")["deleted"] is True


def test_push_is_retried_and_a_refusal_is_logged(hkb, sim):
    make_sync(hkb, sim).run("test")
    editor = Editor(hkb)
    local = article(hkb, "ZSK0000007")
    editor.retire(local.id, local.version, "pub")  # 12345 owns it: it refuses our delete
    faults(sim, {"mode": "error500", "path": "/api/v1/kb/push", "times": 2})
    run = make_sync(hkb, sim).run("test")
    assert run["status"] == "partial" and run["pushed"] == 0
    assert len(events(hkb, run["id"], "remote_unavailable")) == 2
    assert "只有文章的归属方可以删除" in events(hkb, run["id"], "push_rejected")[0].message
    assert make_sync(hkb, sim).run("test")["pushed"] == 0  # not sent again


def test_killed_mid_page_resumes_without_loss_or_doubles(hkb, sim, db_url):
    """SIGKILL inside the transaction of the second page (after its rows were flushed), then sync again."""
    control(sim, "/_sim/edit", {"count": 15})
    helper = ROOT / "tests" / "sync_crash_helper.py"
    proc = subprocess.run(
        [sys.executable, str(helper), db_url, sim.url, "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    c = counts(hkb)
    assert c["cursor"] == 25 and c["articles"] == 25  # the first page only
    with hkb.db.session() as s:
        assert s.scalar(select(SyncRun.status)) == "running"  # killed: nobody could close it

    run = make_sync(hkb, sim).run("test")  # the dead process's lease is taken over at once
    assert run["status"] == "ok" and run["cursor_from"] == 25
    c = counts(hkb)
    assert (c["articles"], c["chunks"], c["cursor"]) == (60, 120, 75)
    with hkb.db.session() as s:
        dup = s.execute(
            select(ArticleVersion.article_id, ArticleVersion.version, func.count())
            .group_by(ArticleVersion.article_id, ArticleVersion.version)
            .having(func.count() > 1)
        ).all()
        assert dup == []
        assert s.scalar(select(func.count(ChangeLog.id))) == s.scalar(select(func.count(ArticleVersion.id)))
        statuses = [r.status for r in s.scalars(select(SyncRun).order_by(SyncRun.id))]
    assert statuses == ["interrupted", "ok"]
    assert make_sync(hkb, sim).run("test")["received"] == 0


def test_synced_change_is_answerable(tmp_path, embedder, sim):
    """With the real model: what 12345 publishes is found by the chat's search after one sync."""
    from hotline.db import Database
    from knowledge_base.service import KnowledgeBase

    db = Database(f"sqlite:///{tmp_path / 'kb.db'}")
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss", min_score=0.0)
    kb.open_index()
    make_sync(kb, sim).run("test")
    control(
        sim,
        "/_sim/edit",
        {
            "ids": ["ZSK0000009"],
            "fields": {
                "title": "S312省道焦作段冬季除雪期间货车限行",
                "body": "12月至次年2月降雪时，S312省道焦作段禁止货车通行，请绕行G207国道。",
            },
        },
    )
    run = make_sync(kb, sim).run("test")
    assert run["updated"] == 1 and run["chunks_embedded"] == 2  # the new body and the new title
    hits = kb.search("下雪的时候S312焦作段货车能走吗", k=3)
    assert hits and hits[0].title == "S312省道焦作段冬季除雪期间货车限行"


def test_our_seed_articles_go_out_once_and_their_echo_changes_nothing(hkb, sim):
    from knowledge_base.seeds import load_seed_drafts

    seeds = hkb.upsert_articles(load_seed_drafts()).created
    before = counts(hkb)
    run = make_sync(hkb, sim).run("test")
    assert run["pushed"] == seeds and run["created"] == 60
    echo = make_sync(hkb, sim).run("test")  # every seed comes back in the feed, formatted as 12345 keeps it
    assert (echo["received"], echo["unchanged"], echo["updated"], echo["conflicts"], echo["pushed"]) == (
        seeds,
        seeds,
        0,
        0,
        0,
    )
    assert counts(hkb)["versions"] == before["versions"] + 60
    with hkb.db.session() as s:
        clause = s.scalar(select(Article).where(Article.kind == "regulation").limit(1))
    assert clause.origin_system == "12328" and clause.origin_id == f"12328-{clause.id}"
    assert Editor(hkb).get(clause.id)["provenance"]["pending"] is False


def test_scheduled_jobs_pick_up_changes(hkb, sim):
    """The jobs the app/worker runs: a change on 12345 arrives without anyone asking."""
    import time

    from apscheduler.schedulers.background import BackgroundScheduler

    from sync.jobs import add_jobs
    from sync.orders import OrderExchange
    from sync.service import SyncService
    from work_orders.service import WorkOrders

    service = SyncService(
        db=hkb.db,
        kb=hkb,
        exchange=OrderExchange(WorkOrders(hkb.db)),
        url=sim.url,
        token="sim-token",
        secret="",
        timeout=2.0,
        page_size=25,
    )
    scheduler = BackgroundScheduler()
    assert add_jobs(scheduler, service, interval=0.3, outbox_interval=0.3)
    scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while counts(hkb)["articles"] < 60 and time.monotonic() < deadline:
            time.sleep(0.1)
        control(sim, "/_sim/edit", {"ids": ["ZSK0000012"], "fields": {"title": "定时同步到达的新标题"}})
        while article(hkb, "ZSK0000012").title != "定时同步到达的新标题" and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=True)
    assert article(hkb, "ZSK0000012").title == "定时同步到达的新标题"
    assert not add_jobs(BackgroundScheduler(), SyncService(hkb.db, hkb, None, "", "", "", 1, 1), 1, 1)


def test_similar_questions_travel_with_the_article_and_a_feed_without_them_keeps_ours(hkb, sim):
    make_sync(hkb, sim).run("test")
    editor = Editor(hkb)
    # 12345 keeps similar questions for one of its articles: they arrive, cleaned like every text
    control(sim, "/_sim/edit", {"ids": ["ZSK0000007"], "fields": {"questions": ["办这个要带啥<b>材料</b>", "在哪办"]}})
    make_sync(hkb, sim).run("test")
    assert article(hkb, "ZSK0000007").questions == ["办这个要带啥材料", "在哪办"]

    # our editor adds questions to another 12345 article; 12345 then edits its body with a feed that carries no
    # questions: 12345 wins the body, our questions stay
    local = article(hkb, "ZSK0000005")
    fields = {k: getattr(local, k) for k in ("title", "body", "domain", "region", "kind", "source", "tags", "urgent")}
    editor.update(local.id, {**fields, "questions": ["大车能办不"]}, local.version, "editor1")
    control(sim, "/_sim/edit", {"ids": ["ZSK0000005"], "fields": {"body": "12345 的新版本：工作时间调整。"}})
    make_sync(hkb, sim).run("test")
    now = article(hkb, "ZSK0000005")
    assert now.body == "12345 的新版本：工作时间调整。" and now.questions == ["大车能办不"]

    # our own article goes out with its questions, and their echo changes nothing
    ours = editor.create(
        {
            "title": "G107国道新乡段临时交通管制",
            "body": "11月1日至3日夜间封闭。",
            "domain": "公路",
            "questions": ["新乡那段国道晚上能走不"],
        },
        "pub",
        publish=True,
    )
    assert make_sync(hkb, sim).run("test")["pushed"] >= 1
    assert control(sim, f"/_sim/article/12328-{ours['id']}")["questions"] == ["新乡那段国道晚上能走不"]
    run = make_sync(hkb, sim).run("test")
    assert (run["updated"], run["conflicts"]) == (0, 0)
