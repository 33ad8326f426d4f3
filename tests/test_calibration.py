"""How sure the KB must be to answer, recalibrated as it grows (issue 16, item 3; knowledge_base.calibration)."""

import dataclasses
from types import SimpleNamespace

import pytest

from knowledge_base import calibration, service
from knowledge_base.calibration import LARGE_KB_POLICY, SMALL_KB, Calibration, calibrate, legacy_policy
from knowledge_base.decision import ANSWER, CLARIFY, decide
from knowledge_base.ranker import Ranker, default_ranker
from knowledge_base.seeds import ArticleDraft
from knowledge_base.service import KnowledgeBase


def hits(*pairs):
    """Ranked hits: (score, probability of being the right one), best first."""
    return [SimpleNamespace(article_id=i + 1, score=s, confidence=p) for i, (s, p) in enumerate(pairs)]


def scored(*scores):
    return [SimpleNamespace(article_id=i + 1, score=s, confidence=None) for i, s in enumerate(scores)]


def test_a_small_kb_answers_at_the_fixed_threshold():
    result = calibrate(45, 0.8, lambda: pytest.fail("a small KB asks itself nothing"))
    assert result.policy == legacy_policy(0.8)
    assert decide(scored(0.85, 0.78), result.policy).kind == ANSWER
    assert decide(scored(0.85, 0.84), result.policy).kind == CLARIFY  # two alike at the threshold: the user chooses


def test_a_large_kb_needs_a_likely_leader_and_offers_strong_entries():
    policy = calibrate(SMALL_KB, 0.8, lambda: []).policy
    assert policy == LARGE_KB_POLICY
    assert decide(hits((1.02, 0.9), (0.80, 0.1)), policy).kind == ANSWER
    close = decide(hits((1.02, 0.45), (0.97, 0.4), (0.83, 0.1), (0.5, 0.05)), policy)
    assert close.kind == CLARIFY and [h.article_id for h in close.hits] == [1, 2, 3]


def test_a_kb_dense_with_near_duplicates_raises_the_certainty_it_needs():
    """Questions whose article was taken out must not get a direct answer more than 5 % of the time: where
    siblings leave the wrong entry a likely leader, the required probability grows until they no longer do."""
    absent = [hits((1.10, 0.9), (0.9, 0.1))] * 10 + [hits((1.0, 0.5), (0.99, 0.5))] * 90  # 10 % answered by default
    result = calibrate(5000, 0.8, lambda: absent)
    assert result.policy.certainty > 0.9 and result.absent_answered <= 0.05
    assert result.questions == 100 and "直接答复所需概率" in "".join(result.notes)
    # a sparse KB keeps the default
    assert calibrate(5000, 0.8, lambda: [hits((0.85, 0.6), (0.5, 0.4))] * 50).policy == LARGE_KB_POLICY
    assert Calibration.from_json(result.to_json()) == result


def test_a_calibration_from_before_the_ranker_gives_way_to_the_default():
    """Stored on the margin rule (no certainty): it does not judge probabilities; the large-KB default does."""
    old = Calibration.from_json(
        '{"policy": {"answer": 0.88, "margin": 0.16, "choice": 0.8, "clarify_total": 0.0}, "articles": 3000}'
    )
    assert old.policy.certainty == 0.0
    kb = SimpleNamespace(cache=SimpleNamespace(articles=dict.fromkeys(range(SMALL_KB))), calibration=old, min_score=0.8)
    assert KnowledgeBase.policy.fget(kb) == LARGE_KB_POLICY
    # made with the ranker but before confirmation existed: confirms as the default does
    ranked = Calibration.from_json(
        '{"policy": {"answer": 0.82, "margin": 0, "choice": 0.8, "clarify_total": 0, "certainty": 0.97}, '
        '"articles": 3000}'
    )
    assert ranked.policy.certainty == 0.97 and ranked.policy.confirm == LARGE_KB_POLICY.confirm > 0
    # ... and before the semantic floors: floored as the default is, its own thresholds kept
    assert ranked.policy.floor_question == LARGE_KB_POLICY.floor_question > ranked.policy.floor_body > 0
    assert ranked.policy.floor_body == LARGE_KB_POLICY.floor_body
    # a stored calibration keeps the floors it was made with
    stored = Calibration.from_json(Calibration(ranked.policy, 3000).to_json())
    assert stored.policy == ranked.policy


def faq(i: int, title: str, body: str) -> ArticleDraft:
    return ArticleDraft(
        origin_key=f"t:{i}", title=title, kind="faq", doc_title=title, body=body, source="测试", chunks=[body]
    )


def test_the_kb_recalibrates_itself_and_every_replica_follows(db_url, embedder, tmp_path, monkeypatch):
    """Past SMALL_KB articles the KB switches to the large-KB policy, asks itself its own titles with their
    articles taken out, stores the result, and another process uses it; due again after growing by a tenth."""
    monkeypatch.setattr(calibration, "SMALL_KB", 4)
    monkeypatch.setattr(service, "SMALL_KB", 4)
    from hotline.db import Database

    db = Database(db_url)
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss", min_score=0.8)
    kb.upsert_articles([faq(1, "货车通行证怎么办", "货车通行证在交警支队网上办理。")])
    assert kb.policy == legacy_policy(0.8) and not kb.calibration_due()
    kb.upsert_articles(
        [
            faq(2, "高速公路救援电话是多少", "高速公路救援可拨打12122。"),
            faq(3, "出租车拒载怎么投诉", "出租车拒载可拨打12328投诉。"),
            faq(4, "网约车多收费怎么办", "网约车多收费可向平台和12328反映。"),
            faq(5, "公交卡丢了怎么挂失", "公交卡可在服务网点挂失。"),
        ]
    )
    assert kb.policy == LARGE_KB_POLICY and kb.calibration_due()
    result = kb.recalibrate()
    assert result.articles == 5 and result.questions == 5  # each title asked with its article taken out
    # five unrelated topics: none may answer another's question (the certainty is raised until none does)
    assert result.absent_answered <= 0.05 and result.policy.certainty >= LARGE_KB_POLICY.certainty
    assert not kb.calibration_due()
    other = KnowledgeBase(db, embedder, tmp_path / "replica.faiss", min_score=0.8)
    assert other.policy == result.policy and other.calibration.notes == result.notes
    assert result.ranker == default_ranker().fingerprint
    # an upgrade that ships a refitted ranker: the calibration no longer describes the KB's probabilities
    refitted = Ranker(tuple(w * 1.5 for w in default_ranker().weights))
    monkeypatch.setattr(service, "default_ranker", lambda: refitted)
    assert refitted.fingerprint != result.ranker and kb.calibration_due()
    assert kb.recalibrate().ranker == refitted.fingerprint and not kb.calibration_due()
    # ... or another base policy (a threshold refitted): every replica's calibration was made on the old one
    shipped = dataclasses.replace(LARGE_KB_POLICY, keyword_sure=LARGE_KB_POLICY.keyword_sure + 0.05)
    monkeypatch.setattr(service, "LARGE_KB_POLICY", shipped)
    assert kb.calibration_due()
    # ... and used at once, with the certainty of the KB's calibration until it is redone
    assert kb.policy == dataclasses.replace(shipped, certainty=kb.calibration.policy.certainty)
    assert kb.recalibrate().policy.keyword_sure == shipped.keyword_sure and not kb.calibration_due()
    kb.upsert_articles([faq(6, "驾驶证到期怎么换", "驾驶证到期前90日内申请换证。")])
    assert kb.calibration_due()  # grew by a fifth
