"""The vocabulary (词表): how people say things -> the words the documents use, kept in the DB (kb_term).

knowledge_base/thesaurus.yml is the shipped base; the terms here add to it or override its phrases (keyword
search expands a query's phrases into their targets, knowledge_base.keyword). Editors add and edit terms; the KB
also suggests some from its own similar questions (相似问法) — :func:`learn` — which stay "suggested" until an
editor accepts them (采纳) or rejects them (忽略; a rejected phrase is never suggested again).

Every change bumps a version in kb_meta: the process that made it reads the terms again at once, the other
replicas on their change-log poll (KnowledgeBase.load_db_state).
"""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import jieba
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from tqdm import tqdm

from hotline.errors import NotFound

from .errors import TermExists, TermInvalid, TermStateError
from .keyword import (
    CJK_RUN,
    STOP_CHARS,
    STOPWORDS,
    Terms,
    _init_jieba,
    _jieba_lock,
    regional_groups,
    term_key,
    thesaurus,
    words,
)
from .models import TERM_STATUSES, Article, KbTerm

if TYPE_CHECKING:
    from .service import KnowledgeBase

VERSION_KEY = "vocab_version"
MAX_PHRASE = 20
MAX_TARGET = 20
MAX_TARGETS = 10
MAX_EVIDENCE = 10
MIN_SUPPORT = 2  # a learned phrase recurs in at least this many similar questions
MAX_TITLE_TARGETS = 3
CONTENT_RE = re.compile(r"[\u4e00-\u9fffa-z0-9]")
# clause numbers and the like are no one's vocabulary (第二十八条, 十八条, 2026)
NUMBERING_RE = re.compile(r"^[第条章节款项号年月日\d一二三四五六七八九十百千零〇两]+$")
# how callers ask, not what about: colloquial question words general Chinese uses rarely enough to pass MIN_IDF
COLLOQUIAL = set("为啥 啥时候 咋办 咋 啥 怎么回事 回事 多会儿 能不能 行不行 可不可以 有没有 是不是".split())
# general Chinese words (jieba's IDF table) below this are everyday words (一直, 已经, 自己, 通知), not slang
MIN_IDF = 7.0


# ---------------------------------------------------------------------- what keyword search reads


def vocabulary_version(session: Session) -> str:
    return session.execute(text("select value from kb_meta where key = :k"), {"k": VERSION_KEY}).scalar() or ""


def _bump(session: Session) -> None:
    """A new random version (not a counter: two writers at once still leave a value no replica has seen)."""
    value = uuid.uuid4().hex
    done = session.execute(text("update kb_meta set value = :v where key = :k"), {"v": value, "k": VERSION_KEY})
    if not done.rowcount:
        session.execute(text("insert into kb_meta (key, value) values (:k, :v)"), {"k": VERSION_KEY, "v": value})


def active_terms(session: Session) -> Terms:
    rows = session.execute(select(KbTerm.phrase, KbTerm.targets).where(KbTerm.status == "active")).all()
    return tuple(sorted((phrase, tuple(targets)) for phrase, targets in rows if targets))


# ---------------------------------------------------------------------- learning from the KB


class Source(NamedTuple):
    """What learning reads of an article."""

    id: int
    title: str
    body: str
    questions: list[str]


@dataclass
class Suggestion:
    phrase: str
    targets: list[str]
    hits: int  # similar questions that use the phrase
    evidence: list[dict] = field(default_factory=list)  # [{"article_id", "title", "question"}]


@lru_cache(maxsize=1)
def _general_idf() -> dict[str, float]:
    import jieba.analyse

    return jieba.analyse.default_tfidf.idf_loader.get_idf()[0]


def _content_words(sentence: str) -> list[str]:
    return [
        w
        for w in dict.fromkeys(words(term_key(sentence)))
        if len(w) >= 2 and w not in STOPWORDS and CONTENT_RE.search(w) and not NUMBERING_RE.match(w)
    ]


def _phrases(question: str) -> set[str]:
    """What a question may say in the callers' own words: its content words, and the 2-4 character runs of its
    Chinese that cut no word jieba knows (jieba splits words it does not know anywhere: "坐小黄", "悠游" + "卡掉";
    "人信息" would cut 个人), none starting or ending with a function character (了, 吗, 能 …)."""
    sentence = term_key(question)
    found = set(_content_words(sentence))
    _init_jieba()
    with _jieba_lock:
        tokens = list(jieba.tokenize(sentence))
    freq = jieba.dt.FREQ
    # positions a phrase must not begin or end at: inside a dictionary word
    inside = set()
    for word, start, end in tokens:
        if len(word) > 1 and freq.get(word):
            inside.update(range(start + 1, end))
    for run in CJK_RUN.finditer(sentence):
        for size in range(2, 5):
            for i in range(run.start(), run.end() - size + 1):
                gram = sentence[i : i + size]
                if i in inside or i + size in inside:
                    continue
                if gram[0] not in STOP_CHARS and gram[-1] not in STOP_CHARS and not NUMBERING_RE.match(gram):
                    found.add(gram)
    return found


def _callers_word(word: str) -> bool:
    """A word that can be vocabulary: not an everyday word of general Chinese (unknown ones are rare)."""
    return word not in COLLOQUIAL and _general_idf().get(word, math.inf) >= MIN_IDF


def learn(
    articles: Iterable[Source], known: Iterable[str] = (), min_support: int = MIN_SUPPORT, progress: bool = False
) -> list[Suggestion]:
    """Phrases callers use that the documents do not: a word of an article's similar questions that occurs
    nowhere in that article's title or body, in at least ``min_support`` questions (of one or more articles), and
    rare in the KB's documents at large (a word the documents use widely is theirs, not the callers'). Each maps
    to its articles' distinctive title words (those few other titles share). Latin words are compared
    case-folded, as search compares them. ``known``: phrases the vocabulary already has (file or DB, any status)."""
    articles = list(articles)
    known = {term_key(k) for k in known}
    texts = {a.id: term_key(f"{a.title}\n{a.body}") for a in articles}
    title_words = {a.id: _content_words(a.title) for a in articles}
    title_df = Counter(w for ws in title_words.values() for w in set(ws))
    rare_title = max(2, len(articles) // 10)
    body_df: Counter[str] = Counter()
    body_words: dict[int, Counter[str]] = {}

    def distinctive(a: Source, phrase: str) -> list[str]:
        """The article's own words: its title's words few other titles share, else its body's by tf-idf."""
        usable = [w for w in title_words[a.id] if phrase not in w and w not in phrase]
        own = sorted((w for w in usable if title_df[w] <= rare_title), key=lambda w: (title_df[w], -len(w)))
        if own:
            return own[:MAX_TITLE_TARGETS]
        if not body_words:  # once, for the articles whose titles say nothing of their own (clauses)
            for b in articles:
                body_words[b.id] = Counter(_content_words(b.body))
                body_df.update(body_words[b.id].keys())
        n = len(articles)
        ranked = sorted(
            (w for w in body_words[a.id] if phrase not in w and w not in phrase and _general_idf().get(w, 99) >= 6),
            key=lambda w: -body_words[a.id][w] * math.log((n + 1) / (body_df[w] + 0.5)),
        )
        return ranked[:MAX_TITLE_TARGETS]

    support: dict[str, dict[tuple[int, str], Source]] = defaultdict(dict)
    for a in tqdm(articles, desc="学习词表 learning", unit="篇", disable=not progress):
        own = texts[a.id]
        for question in a.questions or ():
            for word in _phrases(question):
                if word not in own and _callers_word(word):
                    support[word][(a.id, question)] = a
    candidates = {p: s for p, s in support.items() if len(s) >= min_support}
    # the longest of the phrases the same questions share ("悠游卡", not also "悠游")
    candidates = {
        p: s
        for p, s in candidates.items()
        if not any(o != p and p in o and s.keys() == t.keys() for o, t in candidates.items())
    }
    candidates = {p: s for p, s in candidates.items() if p not in known}
    # a word the documents use widely is not a gap in their vocabulary
    widely = max(2, len(articles) // 20)
    out: list[Suggestion] = []
    for phrase, uses in sorted(candidates.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        in_docs = sum(1 for t in texts.values() if phrase in t)
        if in_docs > widely:
            continue
        sources = {a.id: a for a in uses.values()}
        votes: Counter[str] = Counter()
        for a in sources.values():
            votes.update(distinctive(a, phrase))
        # one article: its words; several: words most of them share (a phrase used for unrelated articles is
        # no synonym of any of their words)
        needed = 1 if len(sources) == 1 else max(2, math.ceil(len(sources) / 2))
        targets = [w for w, n in votes.most_common() if n >= needed][:MAX_TITLE_TARGETS]
        if not targets:
            continue
        evidence = [
            {"article_id": a.id, "title": a.title, "question": question}
            for (_, question), a in sorted(uses.items(), key=lambda kv: kv[0])
        ][:MAX_EVIDENCE]
        out.append(Suggestion(phrase, targets, len(uses), evidence))
    return out


# ---------------------------------------------------------------------- the editors' service


def term_dict(term: KbTerm) -> dict:
    return {
        "id": term.id,
        "phrase": term.phrase,
        "targets": list(term.targets or ()),
        "status": term.status,
        "source": term.source,
        "author": term.author,
        "hits": term.hits,
        "evidence": list(term.evidence or ()),
        "created_at": term.created_at.isoformat(),
        "updated_at": term.updated_at.isoformat(),
    }


def clean_phrase(phrase: object) -> str:
    value = term_key(str(phrase or ""))
    if not value:
        raise TermInvalid("说法不能为空", details={"phrase": ["不能为空"]})
    if len(value) > MAX_PHRASE:
        raise TermInvalid(f"说法最长 {MAX_PHRASE} 个字", details={"phrase": [f"最长 {MAX_PHRASE} 个字"]})
    return value


def clean_targets(targets: object, phrase: str) -> list[str]:
    if isinstance(targets, str):
        targets = re.split(r"[,，、;；\s]+", targets)
    values = list(dict.fromkeys(term_key(str(t)) for t in (targets or ()) if term_key(str(t))))
    problem = None
    if not values:
        problem = "至少填写一个文档用词"
    elif len(values) > MAX_TARGETS:
        problem = f"文档用词最多 {MAX_TARGETS} 个"
    elif any(len(v) > MAX_TARGET for v in values):
        problem = f"每个文档用词最长 {MAX_TARGET} 个字"
    elif values == [phrase]:
        problem = "文档用词不能只是说法本身"
    if problem:
        raise TermInvalid(problem, details={"targets": [problem]})
    return values


class Vocabulary:
    """Terms in the DB: list, add, edit, accept / reject suggestions, delete, learn. Every write is live at once
    in this process (the KB re-reads its terms) and on the other replicas within their poll."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.db = kb.db

    def _changed(self) -> None:
        self.kb.load_db_state(force=True)

    @staticmethod
    def _get(session: Session, term_id: int) -> KbTerm:
        term = session.get(KbTerm, term_id)
        if term is None:
            raise NotFound("词条不存在")
        return term

    @staticmethod
    def _no_duplicate(session: Session, phrase: str, other_than: int | None = None) -> None:
        found = session.scalars(select(KbTerm).where(KbTerm.phrase == phrase)).first()
        if found is not None and found.id != other_than:
            labels = {"active": "已启用", "suggested": "待审核", "rejected": "已忽略"}
            raise TermExists(
                f"词表中已有“{phrase}”（{labels.get(found.status, found.status)}）",
                details={"phrase": ["重复"], "id": found.id},
            )

    def list(self, status: str | None = None) -> dict:
        with self.db.session() as s:
            query = select(KbTerm).order_by(KbTerm.hits.desc(), KbTerm.phrase)
            if status:
                query = query.where(KbTerm.status == status)
            items = [term_dict(t) for t in s.scalars(query)]
            counts = dict(s.execute(select(KbTerm.status, func.count()).group_by(KbTerm.status)).all())
        return {
            "items": items,
            "counts": {st: counts.get(st, 0) for st in TERM_STATUSES},
            "base": len(thesaurus()),
            "regional": len(regional_groups()),
        }

    def add(self, phrase: object, targets: object, author: str) -> dict:
        value = clean_phrase(phrase)
        goals = clean_targets(targets, value)
        with self.db.session() as s:
            self._no_duplicate(s, value)
            term = KbTerm(phrase=value, targets=goals, status="active", source="editor", author=author, hits=0)
            term.evidence = []
            s.add(term)
            _bump(s)
            s.flush()
            out = term_dict(term)
        self._changed()
        return out

    def update(self, term_id: int, author: str, phrase: object = None, targets: object = None) -> dict:
        with self.db.session() as s:
            term = self._get(s, term_id)
            value = clean_phrase(phrase) if phrase is not None else term.phrase
            goals = clean_targets(targets if targets is not None else term.targets, value)
            self._no_duplicate(s, value, other_than=term.id)
            term.phrase, term.targets, term.author = value, goals, author
            _bump(s)
            s.flush()
            out = term_dict(term)
        self._changed()
        return out

    def _set_status(self, term_id: int, status: str, author: str, allowed: tuple[str, ...], targets=None) -> dict:
        with self.db.session() as s:
            term = self._get(s, term_id)
            if term.status not in allowed:
                raise TermStateError(f"该词条当前状态为 {term.status}，不能执行此操作")
            if targets is not None:
                term.targets = clean_targets(targets, term.phrase)
            term.status, term.author = status, author
            _bump(s)
            s.flush()
            out = term_dict(term)
        self._changed()
        return out

    def accept(self, term_id: int, author: str, targets: object = None) -> dict:
        """采纳: a suggestion (or a rejected one, reconsidered) becomes active; the editor may correct its targets."""
        return self._set_status(term_id, "active", author, ("suggested", "rejected"), targets)

    def reject(self, term_id: int, author: str) -> dict:
        """忽略: the suggestion stays as rejected, so learning never suggests the phrase again."""
        return self._set_status(term_id, "rejected", author, ("suggested",))

    def delete(self, term_id: int) -> None:
        with self.db.session() as s:
            s.delete(self._get(s, term_id))
            _bump(s)
        self._changed()

    def learn(self, progress: bool = False, min_support: int = MIN_SUPPORT) -> dict:
        """Suggestions from the published articles' similar questions, stored as "suggested" (an earlier
        learned suggestion is refreshed, or dropped when nothing supports it any more; editors' terms, active and
        rejected ones are left alone)."""
        with self.db.session() as s:
            sources = [
                Source(a.id, a.title, a.body, list(a.questions or ()))
                for a in s.execute(
                    select(Article.id, Article.title, Article.body, Article.questions).where(
                        Article.status == "published"
                    )
                )
            ]
            existing = {t.phrase: t for t in s.scalars(select(KbTerm))}
        held = {p for p, t in existing.items() if not (t.status == "suggested" and t.source == "learned")}
        found = learn(sources, known=set(thesaurus()) | held, min_support=min_support, progress=progress)
        created = updated = dropped = 0
        with self.db.session() as s:
            stale = {
                t.phrase: t
                for t in s.scalars(select(KbTerm).where(KbTerm.status == "suggested", KbTerm.source == "learned"))
            }
            for sug in found:
                term = stale.pop(sug.phrase, None)
                if term is None:
                    s.add(
                        KbTerm(
                            phrase=sug.phrase,
                            targets=sug.targets,
                            status="suggested",
                            source="learned",
                            author="learned",
                            hits=sug.hits,
                            evidence=sug.evidence,
                        )
                    )
                    created += 1
                elif (term.targets, term.hits, term.evidence) != (sug.targets, sug.hits, sug.evidence):
                    term.targets, term.hits, term.evidence = sug.targets, sug.hits, sug.evidence
                    updated += 1
            for term in stale.values():
                s.delete(term)
                dropped += 1
            if created or updated or dropped:
                _bump(s)
        return {
            "articles": len(sources),
            "suggested": len(found),
            "created": created,
            "updated": updated,
            "dropped": dropped,
        }
