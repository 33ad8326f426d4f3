"""Keyword side of retrieval: BM25 (bm25s) over jieba tokens of normalised text.

Drivers ask "多久" where the 管理办法 says "3个工作日内"; a small domain thesaurus expands
such question words into the words the documents use.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

import bm25s
import jieba
import numpy as np

from .text import normalize

# question word -> words the regulations and notices use for the same thing
EXPANSIONS: dict[str, tuple[str, ...]] = {
    "多久": ("工作日", "期限", "日内", "限时"),
    "多长时间": ("工作日", "期限", "日内", "限时"),
    "几天": ("工作日", "日内"),
    "时限": ("工作日", "期限"),
    "结果": ("回复", "办理意见"),
    "处理": ("办理",),
    "答复": ("回复",),
    "延期": ("延长", "期限"),
    "推迟": ("延长",),
    "回访": ("回访", "抽查"),
    "不受理": ("不予受理",),
    "不管": ("不予受理", "职责"),
    "保存": ("存档", "归档"),
    "超载": ("超限",),
    "超员": ("超载",),
    "大巴": ("长途客车", "客运"),
    "网约车": ("网络预约出租汽车",),
    "货车": ("货运车辆", "货车司机"),
    "打车": ("出租汽车", "出租车"),
}

STOPWORDS = set("的 了 吗 呢 吧 啊 呀 么 嘛 是 我 你 他 她 它 我们 你们 有 在 和 与 及 或 就 都 也 还 要 会 能 可以 怎么 怎样 "
                "什么 哪些 哪里 如何 为什么 请问 一下 这个 那个 这 那 个 以后 之后 后 对 把 被 给 让 从 到 吗？ 呢？".split())
TOKEN_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")

_jieba_lock = threading.Lock()


@lru_cache(maxsize=1)
def _init_jieba() -> None:
    jieba.setLogLevel(60)
    jieba.initialize()
    for word in ("12328", "12345", "工单", "承办单位", "回访", "不予受理", "工作日", "网约车", "货拉拉", "通行证",
                 "层层加码", "一刀切", "投诉举报", "办理意见", "办理期限", "信息咨询", "意见建议", "超限超载"):
        jieba.add_word(word)


def tokenize(text: str) -> list[str]:
    _init_jieba()
    with _jieba_lock:
        words = jieba.lcut_for_search(normalize(text))
    return [w for w in words if TOKEN_RE.search(w) and w not in STOPWORDS]


def query_groups(text: str) -> list[list[str]]:
    """One group per distinct query word: the word and the document words it stands for."""
    groups: dict[str, list[str]] = {}
    for word in tokenize(text):
        groups.setdefault(word, [word, *EXPANSIONS.get(word, ())])
    return list(groups.values())


class KeywordIndex:
    """A static BM25 index over chunk texts; ids are kb_chunk ids."""

    def __init__(self, ids: list[int], texts: list[str]):
        self.ids = np.asarray(ids, dtype="int64")
        self._bm25 = bm25s.BM25()
        self._vocab: set[str] = set()
        if texts:
            corpus = [tokenize(t) or ["\u2205"] for t in texts]
            self._vocab = {tok for doc in corpus for tok in doc}
            self._bm25.index(corpus, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[int, float, float]]:
        """Top chunks as (chunk id, BM25 score, coverage): coverage is the share of the query's
        words that the chunk contains (directly or through the thesaurus)."""
        if not len(self.ids):
            return []
        groups = [[t for t in g if t in self._vocab] for g in query_groups(query)]
        if not any(groups):
            return []
        scores = self._bm25.get_scores([t for g in groups for t in g])
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        top = [i for i in best[np.argsort(-scores[best])] if scores[i] > 0]
        covered = np.zeros(len(top))
        for group in groups:
            if group:
                covered += self._bm25.get_scores(group)[top] > 0
        total = len(groups)
        return [(int(self.ids[i]), float(scores[i]), float(c / total)) for i, c in zip(top, covered)]


class LiveKeywordIndex:
    """BM25 that follows KB changes without a full rebuild: a large static main index, a small
    delta index over chunks added since, and the set of main entries that are gone or stale."""

    def __init__(self, ids: list[int], texts: list[str]):
        self.main = KeywordIndex(ids, texts)
        self._main_ids = set(int(i) for i in ids)
        self._stale: set[int] = set()
        self._delta_texts: dict[int, str] = {}
        self.delta = KeywordIndex([], [])
        self._lock = threading.Lock()

    @property
    def delta_size(self) -> int:
        return len(self._delta_texts) + len(self._stale)

    def apply(self, removed: list[int], added: dict[int, str]) -> None:
        with self._lock:
            for chunk_id in removed:
                self._delta_texts.pop(chunk_id, None)
                if chunk_id in self._main_ids:
                    self._stale.add(chunk_id)
            for chunk_id, text in added.items():
                if chunk_id in self._main_ids:  # an id reused by the DB: the main entry is stale
                    self._stale.add(chunk_id)
                self._delta_texts[chunk_id] = text
            ids = list(self._delta_texts)
            self.delta = KeywordIndex(ids, [self._delta_texts[i] for i in ids])

    def search(self, query: str, k: int) -> list[tuple[int, float, float]]:
        with self._lock:
            main, delta, stale = self.main, self.delta, set(self._stale)
        hits = [h for h in main.search(query, k + len(stale)) if h[0] not in stale] + delta.search(query, k)
        hits.sort(key=lambda h: -h[1])
        return hits[:k]
