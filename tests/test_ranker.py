"""The fitted ranker of a large KB (issue 16, item 2; knowledge_base.ranker)."""

import json

import numpy as np

from knowledge_base import calibration, ranker, service
from knowledge_base.keyword import bigrams
from knowledge_base.ranker import FEATURES, Ranker, default_ranker, fit, probabilities, title_overlap
from knowledge_base.seeds import ArticleDraft
from knowledge_base.service import KnowledgeBase


def test_the_fit_learns_which_evidence_decides():
    """Synthetic questions whose right candidate has the best 'cosine' while the best 'keyword' is a decoy: the fit
    must weigh the cosine above the keyword and rank the right one first on unseen questions."""
    rng = np.random.default_rng(7)

    def question():
        x = rng.uniform(0.3, 0.7, size=(8, len(FEATURES)))
        right, decoy = rng.choice(8, 2, replace=False)
        x[right, 1] += 0.3  # cosine
        x[decoy, 2] += 0.3  # keyword
        return x, int(right)

    weights = fit([question() for _ in range(150)])
    assert (weights >= 0).all()  # more evidence never counts against an entry
    assert weights[1] > 3 * weights[2]
    unseen = [question() for _ in range(50)]
    assert sum(int(np.argmax(x @ weights)) == right for x, right in unseen) >= 40
    # the keyword alone would mostly pick the decoy
    assert sum(int(np.argmax(x[:, 2])) == right for x, right in unseen) < 10


def test_probabilities_are_a_softmax():
    p = probabilities(np.array([2.0, 1.0, -3.0]))
    assert abs(p.sum() - 1) < 1e-9 and p[0] > p[1] > p[2]
    assert probabilities(np.array([])).size == 0


def test_title_overlap_counts_the_querys_bigrams_in_the_title():
    assert title_overlap(set(bigrams("货车通行")), "货车通行证怎么办") == 1.0
    assert title_overlap(set(bigrams("货车出租")), "货车通行证怎么办") == 1 / 3  # of 货车, 车出, 出租 only 货车
    assert title_overlap(set(), "任何标题") == 0.0


def test_the_shipped_weights_are_fitted_on_the_development_split_only():
    data = json.loads(ranker.WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert data["features"] == list(FEATURES)
    assert "dev" in data["fitted_on"] and "holdout" not in data["fitted_on"]
    r = default_ranker()
    assert len(r.weights) == len(FEATURES) and all(w >= 0 for w in r.weights)
    assert Ranker.from_json(r.to_json()) == r


def faq(i: int, title: str, body: str) -> ArticleDraft:
    return ArticleDraft(
        origin_key=f"r:{i}", title=title, kind="faq", doc_title=title, body=body, source="测试", chunks=[body]
    )


ARTICLES = [
    faq(1, "货车通行证怎么办理", "货车进城通行证在交警支队网上服务平台申请，审核通过后电子通行证即时生效。"),
    faq(2, "高速公路救援电话是多少", "高速公路上车辆故障或事故，可拨打12122高速救援电话。"),
    faq(3, "出租车拒载怎么投诉", "出租车拒载、绕路可拨打12328投诉，请记下车牌号和时间。"),
    faq(4, "网约车多收费怎么办", "网约车多收费可先向平台申诉，平台不处理可向12328反映。"),
    faq(5, "公交卡丢了怎么挂失", "公交卡丢失后可携带身份证到服务网点办理挂失和补卡。"),
]


def test_a_large_kb_ranks_with_the_fitted_ranker_and_a_small_one_by_score(db_url, embedder, tmp_path, monkeypatch):
    from hotline.db import Database

    db = Database(db_url)
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss", min_score=0.8)
    kb.upsert_articles(ARTICLES)
    small = kb.search("出租车不拉我怎么投诉", k=3, min_score=0.0)
    assert small[0].article_id == kb.search("出租车拒载怎么投诉", k=1)[0].article_id
    assert all(h.confidence is None for h in small)  # a small KB: the score decides

    monkeypatch.setattr(calibration, "SMALL_KB", 4)
    monkeypatch.setattr(service, "SMALL_KB", 4)
    ranked = kb.search("出租车不拉我怎么投诉", k=3, min_score=0.0)
    assert ranked[0].article_id == small[0].article_id
    probs = [h.confidence for h in ranked]
    assert all(p is not None for p in probs) and probs == sorted(probs, reverse=True) and sum(probs) <= 1.0001
    ids, features = kb.ranking_features("出租车不拉我怎么投诉")
    assert features.shape == (len(ids), len(FEATURES)) and ranked[0].article_id in ids
    assert kb.decide("出租车不拉我怎么投诉").confidence == probs[0]


def test_a_large_kbs_ranker_weighs_where_an_article_applies(db_url, embedder, tmp_path, monkeypatch):
    """Region is among the fitted features: the article of the place the question names (or the user shared)
    ranks first among near-identical regional ones; another region's article counts as not fitting."""
    from dataclasses import replace

    from hotline.db import Database

    monkeypatch.setattr(calibration, "SMALL_KB", 4)
    monkeypatch.setattr(service, "SMALL_KB", 4)
    db = Database(db_url)
    db.migrate()
    kb = KnowledgeBase(db, embedder, tmp_path / "kb.faiss", min_score=0.8)
    body = "出租车驾驶员绕道行驶多收费的，由交通运输主管部门责令退还多收费用，处200元罚款。"
    kb.upsert_articles(
        ARTICLES[:3]
        + [
            replace(faq(11, "出租车绕路怎么处罚", body), origin_key="r:hz", region="浙江省杭州市"),
            replace(faq(12, "出租车绕路怎么处罚", body), origin_key="r:zz", region="河南省郑州市"),
        ]
    )
    region_of = {h.article_id: h.region for h in kb.search("出租车绕路怎么处罚", k=5, min_score=0.0)}
    column = {name: i for i, name in enumerate(FEATURES)}
    ids, features = kb.ranking_features("杭州出租车绕路怎么处罚")
    rows = {region_of.get(a): features[i] for i, a in enumerate(ids)}
    assert rows["浙江省杭州市"][column["region_fits"]] == 1 and rows["浙江省杭州市"][column["region_named"]] == 1
    assert rows["河南省郑州市"][column["region_fits"]] == 0 and rows["河南省郑州市"][column["region_named"]] == 0
    assert kb.search("杭州出租车绕路怎么处罚", k=3, min_score=0.0)[0].region == "浙江省杭州市"
    # no place named: the user's shared location decides
    assert kb.search("出租车绕路怎么处罚", k=3, min_score=0.0, region="河南省郑州市")[0].region == "河南省郑州市"
