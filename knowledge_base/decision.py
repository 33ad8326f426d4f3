"""Answer, clarify or refuse (issue 16, item 3): what the bot does with a question, given the KB's hits.

A direct answer must be right; when two or three entries are plausible the user chooses ("您想问的是哪一个？"), and a
lone strong entry the bot is not sure enough of is offered for the user to confirm ("您想问的是这一条吗？"); below that
the bot says honestly that the KB has no answer. The decision rests on the top hit's score and on its
lead over the runners-up: :class:`Policy` holds the thresholds (knowledge_base.calibration sets them for the KB as
it is), :func:`decide` applies them. A small KB decides on the hybrid score (``Hit.score``, 1.0 for an entry the
user chose) and the top hit's lead; a large one, whose hits the fitted ranker ordered (knowledge_base.ranker), on
the top hit's score and its probability of being the right entry (``Hit.confidence``).

Pure domain code: no Flask, no Rasa.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

ANSWER, CLARIFY, REFUSE = "answer", "clarify", "refuse"
MAX_CHOICES = 3
KIND_LABELS = {ANSWER: "直接答复", CLARIFY: "请用户选择", REFUSE: "拒答"}  # for editors (hit testing)


@dataclass(frozen=True)
class Policy:
    """Thresholds on the confidence of the top hit (0..1) and of the runners-up."""

    answer: float = 0.80  # the top hit's score for a direct answer
    margin: float = 0.05  # ... and its lead over the second
    choice: float = 0.30  # a runner-up's confidence to be offered as a choice
    clarify_total: float = 0.60  # the offered choices together must be at least this likely to hold the answer
    # a ranked KB (knowledge_base.ranker): the top hit's probability of being the right entry needed for a direct
    # answer; 0 = the margin rule on scores (a small KB, or a calibration made before the ranker)
    certainty: float = 0.0
    # a ranked KB: a lone strong top hit (no runner-up to offer beside it) whose probability falls short of
    # ``certainty`` but reaches this is offered alone for the user to confirm ("您想问的是这一条吗？"); 0 = refused
    confirm: float = 0.0
    # the score rule: a top score this high answers whatever its lead over the runner-up (0 = the lead always counts)
    sure: float = 0.0
    # a ranked KB: the semantic evidence (Hit.cosine, the best cosine of the entry's chunks) an entry needs to be
    # answered, offered or confirmed at all, whatever its score: a keyword match of common words ("汽车", "规定")
    # lifts the score of an entry that means something else. An entry with a question (title as 标准问, 相似问法)
    # is held to ``floor_question`` (a paraphrase of a question reaches a high cosine), one with only body text (a
    # regulation clause) to ``floor_body``; 0 = no floor
    floor_question: float = 0.0
    floor_body: float = 0.0
    # the score rule (a small KB): the semantic evidence a direct answer from an entry with similar questions needs;
    # below it the entry is not answered ("公交卡丢了怎么办" scored 0.80 on 管理办法 第二条 from shared words, at a cosine
    # of 0.76); 0 = no floor
    answer_floor: float = 0.0
    # ... unless its score reaches this: rare words matched (S227, 安全生产) lift a score well above the threshold,
    # common ones barely ("涉及安全生产的问题怎么处理" scores 0.90 on 第二十一条 at a cosine of 0.78). The same holds for
    # a ranked KB's floors: a short query has a low cosine even to its own entry ("遊民滯留" 0.77, score 1.04); 0 =
    # always floored
    keyword_sure: float = 0.0
    # the score rule (a small KB): a direct answer from an entry that holds less than this share of the question's
    # words (Hit.coverage) needs a score of ``thin_sure``; below it the entry is offered for the user to confirm
    # ("网约车驾驶员证怎么办理" scored 0.815 on a news item about truck drivers' 通行证 from "怎么办理" and the shape of
    # the question, 1 of its 5 words shared); 0 = no such rule
    thin_coverage: float = 0.0
    thin_sure: float = 0.0
    # ... and for ``keyword_sure`` to lift the floor the hit must hold more than this share of the question's words
    # (Hit.coverage): one word of two matched is no strong keyword evidence ("公交车几点收班" scored 0.83 on 管理办法 第二条
    # from 公交车 alone, at a cosine of 0.75, and was answered with it); 0 = any share
    keyword_coverage: float = 0.0
    # a ranked KB: a top hit with a question (title as 标准问, 相似问法) that the ranker gives at least this probability
    # of being the right entry is offered alone for the user to confirm even when its score or its cosine falls short
    # (a short query is far from its own entry in cosine: "遊民滯留" 0.77 at a probability of 1.00, "防走失手環" 0.71);
    # 0 = no such rule
    confirm_question: float = 0.0

    def as_dict(self) -> dict:
        return {
            "answer": self.answer,
            "margin": self.margin,
            "choice": self.choice,
            "clarify_total": self.clarify_total,
            "certainty": self.certainty,
            "confirm": self.confirm,
            "sure": self.sure,
            "floor_question": self.floor_question,
            "floor_body": self.floor_body,
            "answer_floor": self.answer_floor,
            "keyword_sure": self.keyword_sure,
            "thin_coverage": self.thin_coverage,
            "thin_sure": self.thin_sure,
            "keyword_coverage": self.keyword_coverage,
            "confirm_question": self.confirm_question,
        }

    @property
    def ranked(self) -> bool:
        """Whether the policy decides on the fitted ranker's probabilities (a large KB) rather than on scores alone (a
        small KB, whose choices are scored on shared words as much as on meaning)."""
        return self.certainty > 0

    def floor_for(self, hit) -> float:
        """The semantic evidence ``hit`` needs: 0 when its cosine is unknown (a chosen entry, keyword mode); under the
        score rule (a small KB) that of a direct answer (``answer_floor``; its choices have none) for an entry with
        similar questions (``Hit.paraphrased``): a question that means one of them reaches it, where a short notice
        matched on its body does not ("S227晚上货车能走吗" reaches 0.75 on "12月5日起S227省道辉县段夜间22时至次日6时禁止货车
        通行"); under a ranked policy ``floor_question`` or ``floor_body``. None for a hit whose score reaches
        ``keyword_sure``."""
        if getattr(hit, "cosine", None) is None:
            return 0.0
        if self.keyword_sure and float(hit.score) >= self.keyword_sure and _coverage(hit) > self.keyword_coverage:
            return 0.0
        if self.certainty <= 0:  # the seed's kind of entry, whose paraphrases are written; not a notice's body
            return self.answer_floor if getattr(hit, "paraphrased", False) else 0.0
        return self.floor_question if getattr(hit, "has_questions", False) else self.floor_body

    def means_it(self, hit) -> bool:
        """Whether the hit's semantic evidence reaches its floor."""
        floor = self.floor_for(hit)
        return floor <= 0 or float(hit.cosine) >= floor


@dataclass
class Decision:
    kind: str  # ANSWER | CLARIFY | REFUSE
    hits: list = field(default_factory=list)  # ANSWER: [the hit]; CLARIFY: the choices, best first; REFUSE: []
    candidates: list = field(default_factory=list)  # every hit considered (for hit testing and knowledge gaps)
    confidence: float = 0.0  # of the top hit
    reason: str = ""  # why, in Chinese, for hit testing

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "article_ids": [h.article_id for h in self.hits],
            "confidence": round(self.confidence, 4),
            "reason": self.reason,
        }


def confidence_of(hit) -> float:
    """What the score rule compares: the hit's hybrid score (1.0 for an entry the user chose)."""
    return float(hit.score)


def decide(hits: Sequence, policy: Policy) -> Decision:
    """The decision for hits sorted best first (each with ``confidence`` or ``score``)."""
    hits = list(hits)
    if not hits:
        return Decision(REFUSE, [], [], 0.0, "没有候选条目")
    if policy.ranked and hits[0].confidence is not None:
        return _decide_ranked(hits, policy)
    return _decide_on_scores(hits, policy)


def _decide_ranked(hits: list, policy: Policy) -> Decision:
    """Hits ordered by the ranker, each with its probability of being the right entry (``confidence``): a direct
    answer needs a top hit both strong (score) and likely (probability); else the strong ones are offered."""
    top = hits[0]
    score, p = float(top.score), float(top.confidence)
    meant = policy.means_it(top)
    if meant and score >= policy.answer and p >= policy.certainty:
        return Decision(
            ANSWER,
            [top],
            hits,
            p,
            f"第一名为正确条目的概率{p:.0%}≥{policy.certainty:.0%}，得分{score:.2f}≥{policy.answer:.2f}",
        )
    strong = [i for i, h in enumerate(hits[:MAX_CHOICES]) if float(h.score) >= policy.choice and policy.means_it(h)]
    if len(strong) >= 2:
        # two strong entries make it a choice; then the ranker's first three are offered, in its order: the
        # ranker weighed the score among the rest of the evidence, and an entry it puts first must not be left
        # out for a score just under the threshold (the FAQ benchmark's dev split lost 3 right entries that way)
        choices = hits[:MAX_CHOICES]
        return Decision(
            CLARIFY,
            choices,
            hits,
            p,
            f"第一名的概率{p:.0%}不足以直接答复，前{MAX_CHOICES}条中{len(strong)}条得分≥{policy.choice:.2f}且语义相符，"
            f"按排序列出{len(choices)}条请用户选择",
        )
    if policy.confirm_question > 0 and getattr(top, "has_questions", False) and p >= policy.confirm_question:
        return Decision(
            CLARIFY,
            [top],
            hits,
            p,
            f"第一名是问句条目，为正确条目的概率{p:.0%}≥{policy.confirm_question:.0%}，但得分{score:.2f}"
            + ("" if top.cosine is None else f"或语义相似度{float(top.cosine):.2f}")
            + "不足以直接答复，请用户确认",
        )
    if score < policy.answer:
        return Decision(REFUSE, [], hits, p, f"最高得分{score:.2f}低于{policy.answer:.2f}")
    if not meant:  # a strong score from shared words ("汽车", "规定"), not shared meaning
        return Decision(
            REFUSE,
            [],
            hits,
            p,
            f"第一名的语义相似度{float(top.cosine):.2f}低于{policy.floor_for(top):.2f}，得分{score:.2f}主要来自共有的词语，"
            "且无可供选择的相近条目",
        )
    if policy.confirm > 0 and p >= policy.confirm:
        return Decision(
            CLARIFY,
            [top],
            hits,
            p,
            f"第一名的概率{p:.0%}低于{policy.certainty:.0%}但≥{policy.confirm:.0%}，且无相近条目，请用户确认",
        )
    return Decision(REFUSE, [], hits, p, f"第一名的概率{p:.0%}低于{policy.certainty:.0%}，且无可供选择的相近条目")


def _decide_on_scores(hits: list, policy: Policy) -> Decision:
    """The score rule: a top score above the threshold and a lead over the runner-up — and, for a direct answer, the
    semantic evidence of ``answer_floor``: a high score from shared words alone is refused."""
    decision = _score_rule(hits, policy)
    top = hits[0]
    if decision.kind == ANSWER and not policy.means_it(top):
        return Decision(
            REFUSE,
            [],
            hits,
            decision.confidence,
            f"第一名的语义相似度{float(top.cosine):.2f}低于{policy.answer_floor:.2f}，"
            f"得分{decision.confidence:.2f}主要来自共有的词语，不直接答复",
        )
    if decision.kind == ANSWER and _thin(top, policy):
        return Decision(
            CLARIFY,
            [top],
            hits,
            decision.confidence,
            f"问句的词语只有{_coverage(top):.0%}见于该条目，得分{decision.confidence:.2f}低于{policy.thin_sure:.2f}，"
            "请用户确认",
        )
    return decision


def _thin(hit, policy: Policy) -> bool:
    """Whether the hit shares few of the question's words and scores too low to make up for it (Policy.thin_sure): not
    answered directly. (Leaving such hits out of the choices too cost the tuning set one right entry offered.)"""
    return _coverage(hit) < policy.thin_coverage and confidence_of(hit) < policy.thin_sure


def _coverage(hit) -> float:
    """The share of the question's words the hit holds (1 where it is not known: a chosen entry, a test's hit)."""
    return float(getattr(hit, "coverage", 1.0) or 0.0)


def _score_rule(hits: list, policy: Policy) -> Decision:
    top = confidence_of(hits[0])
    second = confidence_of(hits[1]) if len(hits) > 1 else 0.0
    if top >= policy.answer and top - second >= policy.margin:
        return Decision(
            ANSWER, [hits[0]], hits, top, f"得分{top:.2f}≥{policy.answer:.2f}，领先第二名{top - second:.2f}"
        )
    if policy.sure and top >= policy.sure:
        return Decision(ANSWER, [hits[0]], hits, top, f"得分{top:.2f}≥{policy.sure:.2f}，足以直接答复")
    choices = [h for h in hits[:MAX_CHOICES] if confidence_of(h) >= policy.choice]
    total = sum(confidence_of(h) for h in choices)
    if len(choices) >= 2 and total >= policy.clarify_total:
        return Decision(CLARIFY, choices, hits, top, f"{len(choices)}条相近（合计{total:.2f}），请用户选择")
    if top >= policy.answer:  # a lone strong hit whose runner-up is close but too weak to offer
        return Decision(ANSWER, [hits[0]], hits, top, f"得分{top:.2f}≥{policy.answer:.2f}")
    return Decision(REFUSE, [], hits, top, f"最高得分{top:.2f}低于{policy.answer:.2f}，且无可供选择的相近条目")
