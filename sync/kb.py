"""Knowledge-base sync with 12345: pull its change feed page by page, push our changes, log everything.

Guarantees (each has a test in tests/test_sync_kb.py):

* **Atomic pages.** A page is applied in one transaction together with the cursor that follows it, so a
  crash or a network failure leaves the KB and the cursor at the last whole page: a restart fetches the
  next page again, nothing is lost and nothing is applied twice. Bad pages change nothing.
* **Idempotent.** An item whose (id, version) we already have is a no-op, so a page delivered twice, or
  items repeated in the next page, change nothing.
* **Only changed text is embedded.** Chunks are matched by the hash of their text; the embedding of a page
  is done before its transaction, which then only writes.
* **Conflict policy: the owner wins, the other side's edit is kept.** Every article has an owner (12345 for
  articles from its KB, 12328 for ours). An edit made on one side only since the last sync is applied on the
  other. When both sides edited since the last sync, the owner's version becomes current and the other edit
  is kept as an open proposal (sync_proposal) for an editor to accept or dismiss. Only the owner may delete.
  A local editor's work is never overwritten without being kept: an edit made while a page is being
  applied makes that page start over (compare-and-set on the article version).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from tqdm import tqdm

from hotline.clock import aware, local_date, utcnow
from hotline.text import normalize
from knowledge_base.chunking import chunk_article
from knowledge_base.editing import to_draft
from knowledge_base.models import Article, Chunk
from knowledge_base.seeds import ArticleDraft
from knowledge_base.service import KnowledgeBase, pieces, snapshot, text_hash, to_blob

from . import ledger
from .connectors import Connector
from .errors import Busy, FeedBackwards, PageRejected, SyncError
from .models import SyncProposal, SyncRun, SyncState
from .protocol import Item, ItemRejected, Page, clean_text, item_hash, parse_item

log = logging.getLogger(__name__)
AUTHOR = "12345同步"


@dataclass
class SyncOptions:
    page_size: int = 200
    retries: int = 4  # per page, for failures worth retrying (timeouts, 5xx, bad or stale pages)
    backoff: float = 0.5  # seconds before the first retry, doubled each time, at most 10 s
    lease_ttl: float = 300.0  # a run that stops renewing its lease (killed) frees the feed after this
    push: bool = True
    push_batch: int = 100
    progress: bool = False


class _Raced(Exception):
    """A local article changed between planning a page and writing it: plan again."""


@dataclass
class _Link:
    origin_system: str
    origin_id: str
    origin_version: int
    synced: bool = True  # False: our version stays pending, to be pushed (the owner's copy must follow ours)


@dataclass
class _Plan:
    drafts: list[ArticleDraft] = field(default_factory=list)
    links: dict[str, _Link] = field(default_factory=dict)  # by origin_key, applied after the upsert
    retire: dict[int, str] = field(default_factory=dict)  # article id -> remote id
    seen: dict[int, int] = field(default_factory=dict)  # article id -> version planned on
    proposals: list[dict] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)  # (level, kind, message, remote_id, article_id)
    unchanged: int = 0
    conflicts: int = 0


def _iso(value) -> str | None:
    value = aware(value)
    return value.isoformat() if value is not None else None


def editable_of_article(a: Article) -> tuple:
    """What an edit can change, in the form the feed carries it (texts cleaned like incoming ones), so that
    our own push coming back compares equal."""
    if a.status == "retired":
        return ("retired",)
    return (
        clean_text(a.title or "", multiline=False)[0],
        clean_text(a.body or "")[0],
        a.domain,
        clean_text(a.region or "", multiline=False)[0],
        tuple(a.tags or ()),
        _iso(a.effective_from),
        _iso(a.expires_at),
        bool(a.urgent),
        clean_text(a.source or "", multiline=False)[0],
        tuple(clean_text(q, multiline=False)[0] for q in a.questions or ()),
    )


def editable_of_item(item: Item) -> tuple:
    if item.deleted:
        return ("retired",)
    f = item.fields
    return (
        f["title"],
        f["body"],
        f["domain"],
        f["region"],
        tuple(f["tags"]),
        _iso(f["effective_from"]),
        _iso(f["expires_at"]),
        bool(f["urgent"]),
        f["source"],
        None if f.get("questions") is None else tuple(f["questions"]),
    )


def same_content(item: Item, local: Article) -> bool:
    """The item carries what the article already holds; a feed without similar questions leaves ours alone."""
    mine, theirs = editable_of_article(local), editable_of_item(item)
    if len(mine) == len(theirs) and theirs[-1] is None:
        return mine[:-1] == theirs[:-1]
    return mine == theirs


def item_fields_json(item: Item) -> dict:
    if item.deleted:
        return {"deleted": True}
    return {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in item.fields.items()}


def draft_from_item(item: Item, origin_key: str) -> ArticleDraft:
    """A 12345 article as our draft: published at once (open sharing, 第十三条)."""
    draft = to_draft(item.fields, origin_key, "12345", "published")
    when = item.updated_at
    if when is not None:
        local = local_date(when)
        draft.published_on, draft.published_label = local, local.isoformat()
    else:
        draft.published_label = None
    return draft


def draft_for_existing(article: Article, fields: dict) -> ArticleDraft:
    """Another side's edit of one of our articles: the editable fields change, what it is stays (a clause of
    the 管理办法 stays that clause), like knowledge_base.editing.Editor.update."""
    draft = to_draft(fields, article.origin_key, article.origin, article.status)
    if article.kind == "regulation":
        draft.kind, draft.doc_title = "regulation", article.doc_title
        draft.clause_no, draft.clause_index, draft.chapter = article.clause_no, article.clause_index, article.chapter
    draft.chunks = chunk_article(draft.kind, draft.body, draft.clause_no)
    if fields.get("questions") is None:  # the feed does not carry our editors' similar questions: keep them
        draft.questions = list(article.questions or [])
    draft.published_on, draft.published_label = article.published_on, article.published_label
    return draft


def is_dirty(a: Article) -> bool:
    """Changed here since the last sync (or never synced)."""
    return a.synced_version is None or a.synced_version != a.version


class KbSync:
    def __init__(self, kb: KnowledgeBase, connector: Connector, options: SyncOptions | None = None, sleep=time.sleep):
        self.kb = kb
        self.db = kb.db
        self.connector = connector
        self.options = options or SyncOptions()
        self.sleep = sleep
        self.feed = connector.name
        self._replay = False

    # ------------------------------------------------------------------ a run

    def run(self, trigger: str = "schedule") -> dict:
        """Pull, then push; returns the run's log entry. Raises Busy if another process is syncing."""
        owner = ledger.new_owner()
        if not ledger.acquire(self.db, self.feed, owner, self.options.lease_ttl):
            raise Busy(f"同步 {self.feed} 正在另一进程中运行，请稍后再试")
        status, message = "ok", ""
        run_id = ledger.start_run(self.db, self.feed, owner, trigger, ledger.state(self.db, self.feed).cursor)
        try:
            self._pull(run_id, owner)
            if self.options.push and self.connector.can_push:
                self._push(run_id, owner)
        except SyncError as exc:
            status, message = "failed", exc.message
            ledger.event(self.db, run_id, "error", exc.code, exc.message, details=exc.details)
        except Exception as exc:  # a bug must still end up in the sync log, with the cursor safe
            log.exception("KB sync failed")
            status, message = "failed", f"内部错误：{type(exc).__name__}: {exc}"
            ledger.event(self.db, run_id, "error", "internal_error", message)
        finally:
            ledger.release(self.db, self.feed, owner, ok=status == "ok")
        with self.db.session() as s:
            run = s.get(SyncRun, run_id)
            if status == "ok" and (run.rejected or run.errors):
                status = "partial"
        return ledger.finish_run(self.db, run_id, status, message or self._summary(run_id))

    def _summary(self, run_id: int) -> str:
        with self.db.session() as s:
            r = s.get(SyncRun, run_id)
            return (
                f"收到 {r.received} 条：新增 {r.created}、更新 {r.updated}、下线 {r.retired}、未变 {r.unchanged}、"
                f"拒收 {r.rejected}、冲突 {r.conflicts}；推送 {r.pushed}；向量化 {r.chunks_embedded} 段"
            )

    # ------------------------------------------------------------------ pull

    def _fetch(self, run_id: int, cursor: int) -> Page:
        attempt = 0
        while True:
            try:
                page = self.connector.changes(cursor, self.options.page_size)
            except SyncError as exc:
                if not getattr(exc, "retry", False) or attempt >= self.options.retries:
                    raise
                attempt += 1
                ledger.event(
                    self.db,
                    run_id,
                    "warning",
                    exc.code,
                    f"{exc.message}（第 {attempt} 次重试）",
                    details={**exc.details, "cursor": cursor},
                )
                self.sleep(min(self.options.backoff * 2 ** (attempt - 1), 10.0))
                continue
            for warning in page.warnings:
                ledger.event(self.db, run_id, "warning", "page_warning", warning, details={"cursor": cursor})
            return page

    def _pull(self, run_id: int, owner: str) -> None:
        current = ledger.state(self.db, self.feed)
        cursor, feed_id = current.cursor, current.feed_id
        # read from the start (first sync, or after --reset), the feed's older versions of what we already have
        # are expected and skipped; beyond our cursor, an older version than ours is a remote going backwards
        self._replay = cursor == 0
        bar = tqdm(desc="同步 12345 知识库 (sync)", unit="条", disable=not self.options.progress)
        pool = ThreadPoolExecutor(1, thread_name_prefix="sync-fetch")
        empty_pages = 0
        try:
            future = pool.submit(self._fetch, run_id, cursor)
            while True:
                page = future.result()
                if feed_id and page.feed_id and page.feed_id != feed_id:
                    raise FeedBackwards(
                        f"12345 的变更流已被替换（原 {feed_id}，现 {page.feed_id}），游标不再有效；"
                        "请核实后用 `sync-kb --reset` 从头同步",
                        details={"feed_id": page.feed_id},
                    )
                if not page.items and page.next_cursor == cursor:
                    if not page.has_more:
                        break
                    empty_pages += 1
                    if empty_pages >= 3:
                        raise PageRejected("12345 声称还有变更（has_more），却连续 3 次返回空页面且游标不前进")
                    future = pool.submit(self._fetch, run_id, cursor)
                    continue
                empty_pages = 0
                # fetch the next page while this one is embedded and written
                following = pool.submit(self._fetch, run_id, page.next_cursor) if page.has_more else None
                self._apply(run_id, owner, cursor, page)
                cursor, feed_id = page.next_cursor, feed_id or page.feed_id
                bar.update(len(page.items))
                if following is None:
                    break
                future = following
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            bar.close()

    def _apply(self, run_id: int, owner: str, cursor: int, page: Page) -> None:
        ledger.renew(self.db, self.feed, owner, self.options.lease_ttl)  # embedding a page may take a while
        items: dict[str, Item] = {}
        rejected: list[ItemRejected] = []
        for raw in page.items:
            try:
                item = parse_item(raw, raw["seq"])
            except ItemRejected as exc:
                rejected.append(exc)
                continue
            items[item.id] = item  # successive versions in one page: the last one counts
        sanitized = [(i.id, i.sanitized) for i in items.values() if i.sanitized]
        for _ in range(3):
            plan = self._plan(list(items.values()))
            vectors = self._embed(plan.drafts)
            try:
                self._write(run_id, owner, cursor, page, plan, rejected, sanitized, vectors)
                return
            except _Raced:
                ledger.event(
                    self.db,
                    run_id,
                    "info",
                    "page_raced",
                    "本页涉及的文章刚被编辑修改，重新核对后再写入",
                    details={"cursor": cursor},
                )
        raise SyncError("本页文章在写入时反复被同时修改，稍后重试", details={"cursor": cursor})

    # ------------------------------------------------------------------ deciding (read only)

    def _plan(self, items: list[Item]) -> _Plan:
        plan = _Plan()
        with self.db.session() as s:
            theirs = {
                a.origin_id: a
                for a in s.scalars(
                    select(Article).where(Article.origin_id.in_([i.id for i in items if i.owner == "12345"]))
                )
            }
            ours = {
                a.id: a
                for a in s.scalars(
                    select(Article).where(Article.id.in_([i.local_id for i in items if i.owner == "12328"]))
                )
            }
            for item in items:
                if item.owner == "12345":
                    self._plan_theirs(plan, item, theirs.get(item.id))
                else:
                    self._plan_ours(plan, item, ours.get(item.local_id))
        return plan

    def _plan_theirs(self, plan: _Plan, item: Item, local: Article | None) -> None:
        """An article 12345 owns."""
        key = f"12345:{item.id}"
        if local is None:
            if item.deleted:
                plan.unchanged += 1  # a tombstone of something we never had
                return
            plan.drafts.append(draft_from_item(item, key))
            plan.links[key] = _Link("12345", item.id, item.version)
            return
        if not self._newer(plan, item, local):
            return
        plan.seen[local.id] = local.version
        same = same_content(item, local)
        if is_dirty(local) and not same:  # both sides edited: 12345 owns it, our edit becomes a proposal
            self._propose(plan, local, item, side="12328", fields=_json(snapshot(local)), reason="conflict")
        if item.deleted:
            if local.status != "retired":
                plan.retire[local.id] = item.id
            plan.links[local.origin_key] = _Link("12345", item.id, item.version)
        elif same:
            plan.unchanged += 1
            plan.links[local.origin_key] = _Link("12345", item.id, item.version)
        else:
            draft = draft_from_item(item, local.origin_key)
            if item.fields.get("questions") is None:  # the feed does not carry similar questions: keep ours
                draft.questions = list(local.questions or [])
            plan.drafts.append(draft)
            plan.links[local.origin_key] = _Link("12345", item.id, item.version)

    def _plan_ours(self, plan: _Plan, item: Item, local: Article | None) -> None:
        """One of our articles as 12345 has it (our own push coming back, or 12345's edit of it)."""
        if local is None or local.origin_system == "12345":
            plan.events.append(
                ("error", "item_rejected", f"12345 发来编号 {item.id} 的文章，但本地没有这篇 12328 文章", item.id, None)
            )
            return
        if not self._newer(plan, item, local):
            return
        plan.seen[local.id] = local.version
        same = same_content(item, local)
        link = _Link("12328", item.id, item.version)
        if same:  # our own push echoed back (also after a crash between push and its record)
            plan.unchanged += 1
            plan.links[local.origin_key] = link
        elif item.deleted:  # only the owner deletes: keep it as a proposal, restore 12345's copy
            self._propose(plan, local, item, side="12345", fields={"deleted": True}, reason="delete_by_non_owner")
            plan.links[local.origin_key] = _Link("12328", item.id, item.version, synced=False)
        elif is_dirty(local):  # both edited: we own it, 12345's edit becomes a proposal, ours goes back
            self._propose(plan, local, item, side="12345", fields=item_fields_json(item), reason="conflict")
            plan.links[local.origin_key] = _Link("12328", item.id, item.version, synced=False)
        else:  # edited on 12345 only: apply
            plan.drafts.append(draft_for_existing(local, item.fields))
            plan.links[local.origin_key] = link

    def _newer(self, plan: _Plan, item: Item, local: Article) -> bool:
        known = local.origin_version or 0
        if item.version > known:
            return True
        if item.version < known and not self._replay:
            plan.events.append(
                (
                    "error",
                    "version_regression",
                    f"12345 发来文章 {item.id} 的第 {item.version} 版，但本地已同步第 {known} 版：已拒收",
                    item.id,
                    local.id,
                )
            )
        else:
            plan.unchanged += 1  # delivered before: idempotent
        return False

    def _propose(self, plan: _Plan, local: Article, item: Item, side: str, fields: dict, reason: str) -> None:
        plan.conflicts += 1
        plan.proposals.append(
            {
                "article_id": local.id,
                "origin_id": item.id,
                "side": side,
                "reason": reason,
                "remote_version": item.version,
                "local_version": local.version,
                "fields": fields,
            }
        )
        who = "12345" if side == "12345" else "本地编辑"
        winner = "本地" if side == "12345" else "12345"
        plan.events.append(
            (
                "warning",
                "conflict",
                f"文章《{local.title}》两边都有修改：以归属方（{winner}）为准，{who}的修改已保留为待审核的提议版本",
                item.id,
                local.id,
            )
        )

    # ------------------------------------------------------------------ embedding (no transaction open)

    def _embed(self, drafts: list[ArticleDraft]) -> dict[str, bytes]:
        texts = {text_hash(p.embed): p.embed for d in drafts for p in pieces(d)}
        if not texts:
            return {}
        known: set[str] = set()
        hashes = list(texts)
        with self.db.session() as s:
            for start in range(0, len(hashes), 500):
                known.update(
                    s.scalars(
                        select(Chunk.text_hash).where(
                            Chunk.text_hash.in_(hashes[start : start + 500]), Chunk.embedding.is_not(None)
                        )
                    )
                )
        todo = [h for h in hashes if h not in known]
        vectors = self.kb.encode([normalize(texts[h]) for h in todo])
        return {h: to_blob(v) for h, v in zip(todo, vectors)}

    # ------------------------------------------------------------------ writing (one transaction)

    def _write(
        self,
        run_id: int,
        owner: str,
        cursor: int,
        page: Page,
        plan: _Plan,
        rejected: list[ItemRejected],
        sanitized: list[tuple[str, list[str]]],
        vectors: dict[str, bytes],
    ) -> None:
        now = utcnow()
        try:
            with self.db.session() as s:
                # the cursor moves with the page, only from where we read it and only while we hold the lease;
                # the UPDATE comes first so that SQLite's write lock (PostgreSQL's row lock) is ours from here
                moved = s.execute(
                    update(SyncState)
                    .where(SyncState.name == self.feed, SyncState.cursor == cursor, SyncState.lease_owner == owner)
                    .values(
                        cursor=page.next_cursor,
                        feed_id=page.feed_id or SyncState.feed_id,
                        updated_at=now,
                        lease_until=now + timedelta(seconds=self.options.lease_ttl),
                    )
                ).rowcount
                if moved != 1:
                    raise SyncError("同步游标已被其他进程移动或租约已失效，本页未写入")
                if plan.seen:
                    current = dict(
                        s.execute(
                            select(Article.id, Article.version).where(Article.id.in_(list(plan.seen))).with_for_update()
                        ).all()
                    )
                    if any(current.get(aid) != version for aid, version in plan.seen.items()):
                        raise _Raced()
                report = self.kb.upsert_articles(
                    plan.drafts, author=AUTHOR, action="sync", session=s, known_vectors=vectors
                )
                for article_id, remote_id in plan.retire.items():
                    article = s.get(Article, article_id)
                    article.status = "retired"
                    article.version += 1
                    article.updated_by = AUTHOR
                    self.kb.log_change(s, article, "retire", AUTHOR, f"12345 已删除文章 {remote_id}")
                s.flush()
                self._link(s, plan.links, now)
                ids = {}
                for p in plan.proposals:
                    row = SyncProposal(**p, run_id=run_id, created_at=now)
                    s.add(row)
                    s.flush()
                    ids[p["article_id"]] = row.id
                for exc in rejected:
                    ledger.event(
                        self.db,
                        run_id,
                        "error",
                        "item_rejected",
                        f"拒收文章 {exc.remote_id}：{exc.reason}",
                        remote_id=exc.remote_id,
                        details=exc.details,
                        session=s,
                    )
                for level, kind, message, remote_id, article_id in plan.events:
                    details = {"proposal_id": ids[article_id]} if kind == "conflict" and article_id in ids else {}
                    ledger.event(self.db, run_id, level, kind, message, remote_id, article_id, details, session=s)
                for remote_id, names in sanitized:
                    ledger.event(
                        self.db,
                        run_id,
                        "warning",
                        "html_stripped",
                        f"文章 {remote_id} 的{'、'.join(names)}含 HTML 标记（含脚本），已去除标记只保留文字",
                        remote_id,
                        details={"fields": names},
                        session=s,
                    )
                rejected_count = len(rejected) + sum(1 for e in plan.events if e[0] == "error")
                s.execute(
                    update(SyncRun)
                    .where(SyncRun.id == run_id)
                    .values(
                        pages=SyncRun.pages + 1,
                        received=SyncRun.received + len(page.items),
                        created=SyncRun.created + report.created,
                        updated=SyncRun.updated + report.updated,
                        retired=SyncRun.retired + len(plan.retire),
                        unchanged=SyncRun.unchanged + plan.unchanged + report.unchanged,
                        rejected=SyncRun.rejected + rejected_count,
                        conflicts=SyncRun.conflicts + plan.conflicts,
                        chunks_embedded=SyncRun.chunks_embedded + len(vectors),
                        cursor_to=page.next_cursor,
                    )
                )
        except IntegrityError:
            raise _Raced() from None  # an article appeared meanwhile (another writer): plan again
        if report.created or report.updated or plan.retire:
            self.kb.refresh_if_open()

    def _link(self, s, links: dict[str, _Link], now: datetime) -> None:
        if not links:
            return
        rows = s.execute(
            select(Article.id, Article.origin_key, Article.version).where(Article.origin_key.in_(list(links)))
        ).all()
        set_provenance(
            s,
            [
                {
                    "b_id": article_id,
                    "b_system": links[key].origin_system,
                    "b_origin": links[key].origin_id,
                    "b_remote": links[key].origin_version,
                    "b_synced": version if links[key].synced else None,
                    "b_at": now,
                }
                for article_id, key, version in rows
            ],
        )

    # ------------------------------------------------------------------ push

    def pending_query(self):
        ours = and_(
            or_(Article.origin_system.is_(None), Article.origin_system == "12328"),
            Article.status != "draft",
            or_(Article.status == "published", Article.origin_version.is_not(None)),
        )
        theirs = Article.origin_system == "12345"
        dirty = or_(Article.synced_version.is_(None), Article.synced_version != Article.version)
        return select(Article).where(dirty, or_(ours, theirs)).order_by(Article.id)

    def _push(self, run_id: int, owner: str) -> None:
        after = 0
        while True:
            with self.db.session() as s:
                batch = s.scalars(self.pending_query().where(Article.id > after).limit(self.options.push_batch)).all()
                items = [push_item(a) for a in batch]
                versions = {a.id: a.version for a in batch}
            if not batch:
                return
            after = batch[-1].id
            results = self._send(run_id, items)
            ledger.renew(self.db, self.feed, owner, self.options.lease_ttl)
            self._record_push(run_id, batch, versions, items, results)

    def _send(self, run_id: int, items: list[dict]) -> list[dict]:
        attempt = 0
        while True:
            try:
                return self.connector.push(items)
            except SyncError as exc:
                if not getattr(exc, "retry", False) or attempt >= self.options.retries:
                    raise
                attempt += 1
                ledger.event(self.db, run_id, "warning", exc.code, f"推送失败：{exc.message}（第 {attempt} 次重试）")
                self.sleep(min(self.options.backoff * 2 ** (attempt - 1), 10.0))

    def _record_push(self, run_id, batch, versions, items, results) -> None:
        now = utcnow()
        done, refused = [], []
        with self.db.session() as s:
            for article, item, result in zip(batch, items, results):
                status, version = result.get("status"), result.get("version")
                ok_version = isinstance(version, int) and not isinstance(version, bool) and version >= 1
                if status in ("applied", "unchanged") and ok_version:
                    done.append(
                        {
                            "b_id": article.id,
                            "b_version": versions[article.id],
                            "b_system": item["owner"],
                            "b_origin": item["id"],
                            "b_remote": version,
                            "b_synced": versions[article.id],
                            "b_at": now,
                        }
                    )
                elif status == "conflict":
                    ledger.event(
                        self.db,
                        run_id,
                        "warning",
                        "push_conflict",
                        f"推送《{article.title}》时 12345 已有更新的版本（{version}）：下次拉取时按冲突规则处理",
                        item["id"],
                        article.id,
                        {"remote_version": version},
                        session=s,
                    )
                elif status == "rejected":
                    # 12345 refuses this version for good (e.g. only the owner may delete): do not resend it
                    refused.append(
                        {
                            "b_id": article.id,
                            "b_version": versions[article.id],
                            "b_system": article.origin_system or item["owner"],
                            "b_origin": item["id"],
                            "b_remote": article.origin_version,
                            "b_synced": versions[article.id],
                            "b_at": now,
                        }
                    )
                    ledger.event(
                        self.db,
                        run_id,
                        "error",
                        "push_rejected",
                        f"12345 拒绝了《{article.title}》：{result.get('message') or '未说明原因'}",
                        item["id"],
                        article.id,
                        session=s,
                    )
                else:
                    ledger.event(
                        self.db,
                        run_id,
                        "warning",
                        "push_unconfirmed",
                        f"12345 未确认《{article.title}》（{status}）：下次再推送",
                        item["id"],
                        article.id,
                        session=s,
                    )
            # only if nobody edited the article while it was on its way (else it stays pending)
            set_provenance(s, done + refused, check_version=True)
            s.execute(update(SyncRun).where(SyncRun.id == run_id).values(pushed=SyncRun.pushed + len(done)))


def set_provenance(s, rows: list[dict], check_version: bool = False) -> None:
    """Provenance columns of many articles in one executemany. Provenance is not an edit: updated_at and
    version stay as they are."""
    if not rows:
        return
    t = Article.__table__
    where = [t.c.id == bindparam("b_id")]
    if check_version:
        where.append(t.c.version == bindparam("b_version"))
    stmt = (
        t.update()
        .where(*where)
        .values(
            origin_system=bindparam("b_system"),
            origin_id=bindparam("b_origin"),
            origin_version=bindparam("b_remote"),
            synced_version=bindparam("b_synced"),
            synced_at=bindparam("b_at"),
            updated_at=t.c.updated_at,
        )
    )
    s.connection().execute(stmt, rows)


def push_item(a: Article) -> dict:
    """Our article in the protocol's shape (PushItem in sync/protocol.openapi.yaml)."""
    item = {
        "id": a.origin_id or f"12328-{a.id}",
        "owner": a.origin_system or "12328",
        "base_version": a.origin_version,
        "deleted": a.status == "retired",
        "updated_at": _iso(a.updated_at),
    }
    if not item["deleted"]:
        item.update(
            {
                "title": a.title,
                "body": a.body,
                "kind": a.kind,
                "domain": a.domain,
                "region": a.region,
                "tags": list(a.tags or []),
                "source": a.source,
                "effective_from": _iso(a.effective_from),
                "expires_at": _iso(a.expires_at),
                "urgent": bool(a.urgent),
                "questions": list(a.questions or []),
                "content_hash": item_hash(a.title, a.body),
            }
        )
    return item


def _json(snap: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in snap.items()}


def reset_cursor(db, feed: str) -> None:
    """Start the feed from the beginning (after 12345 replaced its feed); items we have are no-ops."""
    ledger.ensure_state(db, feed)
    with db.session() as s:
        s.execute(update(SyncState).where(SyncState.name == feed).values(cursor=0, feed_id="", updated_at=utcnow()))
