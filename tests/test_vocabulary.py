"""The vocabulary (词表): learning suggestions from the KB's similar questions, DB terms in keyword search, live
at once here and on another replica after its poll."""

import pytest

from knowledge_base.errors import TermExists, TermInvalid, TermStateError
from knowledge_base.keyword import query_groups, thesaurus
from knowledge_base.seeds import ArticleDraft
from knowledge_base.service import KnowledgeBase
from knowledge_base.vocabulary import Source, Vocabulary, learn
from tests.fakes import HashEmbedder

TAXI = Source(
    1,
    "出租车乱收费如何投诉",
    "乘坐出租汽车遇到不打表、绕路多收费的，可拨打12328投诉，请保留发票。",
    ["坐差头被多收钱怎么办", "差头司机不打表能投诉吗", "打车被绕路了找谁"],
)
CARD = Source(
    2,
    "公交卡丢失如何补办",
    "公交卡遗失后，持本人身份证到服务网点挂失补办，余额可转入新卡。",
    ["嶺南通掉了怎么补", "岭南通丢了里面的钱还在吗"],
)
DELAY = Source(
    3,
    "长途客车晚点退票规定",
    "客运班车晚点超过2小时，旅客可要求全额退票。",
    ["大巴晚点了一直不发车怎么办", "客车一直晚点能退票吗"],
)


def test_learning_suggests_callers_words_for_the_articles_own_words():
    found = {s.phrase: s for s in learn([TAXI, CARD, DELAY])}
    # 差头 (two of the taxi article's questions, nowhere in its text) -> the words its title uses
    assert "出租车" in found["差头"].targets
    assert found["差头"].hits == 2
    assert {e["question"] for e in found["差头"].evidence} == {"坐差头被多收钱怎么办", "差头司机不打表能投诉吗"}
    # Traditional and Simplified spellings are one phrase
    assert "公交" in found["岭南通"].targets and found["岭南通"].hits == 2
    # an everyday word (一直) and a word in one question only (绕路 is in the body anyway; 掉了 once) are not terms
    assert "一直" not in found
    assert not any(s.hits < 2 for s in found.values())
    # nothing the documents themselves say
    assert not any(s.phrase in TAXI.body + CARD.body + DELAY.body for s in found.values())


def test_learning_skips_known_phrases_and_unrelated_articles():
    assert "差头" not in {s.phrase for s in learn([TAXI, CARD], known=["差頭"])}
    # a phrase used for two unrelated articles is no synonym of either's words
    other = Source(4, "地铁末班车时间", "地铁末班车一般在23点发出。", ["差头能坐到几点"])
    lone_taxi = TAXI._replace(questions=["差头怎么投诉"])
    assert "差头" not in {s.phrase for s in learn([lone_taxi, other, CARD])}


def draft(source: Source) -> ArticleDraft:
    return ArticleDraft(
        origin_key=f"test:{source.id}",
        title=source.title,
        kind="news",
        doc_title=source.title,
        body=source.body,
        source="测试",
        chunks=[source.body],
        questions=list(source.questions),
    )


def titles(kb, query):
    return [h.title for h in kb.search(query, k=3, min_score=0.0, mode="keyword")]


@pytest.fixture
def vkb(hkb):
    hkb.upsert_articles([draft(TAXI._replace(questions=[])), draft(CARD), draft(DELAY)])
    hkb.open_index()
    return hkb


def test_a_db_term_changes_keyword_search_at_once(vkb):
    query = "乘客反映黄的多收费"
    assert "黄的" not in {g[0] for g in query_groups(query, vkb.terms)}
    vocab = Vocabulary(vkb)
    term = vocab.add("黃的", ["出租车", "出租汽车"], author="ed")
    assert term["phrase"] == "黄的" and term["status"] == "active" and term["source"] == "editor"
    assert vkb.terms == (("黄的", ("出租车", "出租汽车")),)
    assert titles(vkb, query)[0] == TAXI.title
    assert titles(vkb, "黃的")[:1] == [TAXI.title]  # Traditional as typed
    vocab.delete(term["id"])
    assert vkb.terms == ()
    assert TAXI.title not in titles(vkb, "黄的")


def test_another_replica_follows_within_its_poll(vkb, tmp_path):
    other = KnowledgeBase(vkb.db, HashEmbedder(), tmp_path / "other.faiss")
    other.open_index()
    Vocabulary(vkb).add("黄的", ["出租车"], author="ed")
    other.load_db_state(every=3600)  # polled a moment ago: not read again yet
    assert other.terms == ()
    other.load_db_state(every=0)
    assert other.terms == (("黄的", ("出租车",)),)


def test_db_term_overrides_the_files_phrase(vkb):
    assert "打车" in thesaurus()
    Vocabulary(vkb).add("打车", ["出租车", "网约车"], author="ed")
    groups = query_groups("打车被绕路", vkb.terms)
    assert "网约车" in groups[0] and "出租汽车" not in groups[0]


def test_validation(vkb):
    vocab = Vocabulary(vkb)
    vocab.add("的士", "出租车，出租汽车", author="ed")
    with pytest.raises(TermExists):
        vocab.add("的士", ["出租车"], author="ed")
    for phrase, targets in [
        ("", ["出租车"]),
        ("差头", []),
        ("差头", ["  "]),
        ("x" * 21, ["出租车"]),
        ("差头", ["差头"]),
    ]:
        with pytest.raises(TermInvalid):
            vocab.add(phrase, targets, author="ed")


def test_learning_stores_suggestions_an_editor_accepts_or_rejects(vkb):
    vkb.upsert_articles([draft(TAXI)])  # the taxi article now has its similar questions
    vocab = Vocabulary(vkb)
    report = vocab.learn()
    assert report["created"] >= 2
    suggested = {t["phrase"]: t for t in vocab.list("suggested")["items"]}
    assert {"差头", "岭南通"} <= set(suggested)
    assert all(t["source"] == "learned" for t in suggested.values())
    assert vkb.terms == ()  # never active until accepted
    assert not any("出租车" in g for g in query_groups("差头被多收费", vkb.terms))
    with pytest.raises(TermStateError):
        vocab.reject(vocab.accept(suggested["差头"]["id"], author="ed")["id"], author="ed")
    assert any("出租车" in g for g in query_groups("差头被多收费", vkb.terms))
    vocab.reject(suggested["岭南通"]["id"], author="ed")
    # learning again keeps the decisions: nothing re-suggested, nothing duplicated
    again = vocab.learn()
    assert again["created"] == 0
    statuses = {t["phrase"]: t["status"] for t in vocab.list()["items"]}
    assert statuses["差头"] == "active" and statuses["岭南通"] == "rejected"


def test_an_editors_term_puts_the_question_in_the_kbs_words_for_the_embedding_too(vkb):
    # the hashing embedder gives cosine 1.0 only to equal texts: the title "出租车乱收费如何投诉" (indexed as a
    # question) is met exactly only when "差头乱收费如何投诉" is embedded as "出租车乱收费如何投诉"
    def dense():
        return vkb.search("差頭亂收費如何投訴", k=1, min_score=0.0, mode="dense")[0]

    assert dense().dense < 0.99
    vocab = Vocabulary(vkb)
    term = vocab.add("差头", ["的哥", "出租车"], author="ed")  # 的哥 is no word of this KB: the one it uses wins
    hit = dense()
    assert hit.title == TAXI.title and hit.dense == pytest.approx(1.0, abs=1e-3)
    vocab.delete(term["id"])
    assert dense().dense < 0.99
