"""Regional words (issue 16, item 4; knowledge_base/regional.yml): a question saying 小黄, 的士 or 悠遊卡 is searched in
the words the KB itself uses (出租车 or 计程车, 公交卡 or 悠游卡), by its embedding and by its keywords; and the greeting
and thanks around a question as a citizen types it ("您好，请问…谢谢") are left out of the search."""

from collections import Counter

import pytest

from hotline.text import normalize, question_core
from knowledge_base.keyword import KeywordIndex, in_kb_words, regional_groups, tokenize
from tests.test_regions import draft


def uses(*words):
    """A KB that uses these words (each in 5 chunks) and no other regional word."""
    return lambda word: 5 if word in words else 0


def test_the_groups_are_well_formed():
    groups = regional_groups()
    assert len(groups) >= 30
    members = Counter(m for g in groups for m in g)
    assert [m for m, n in members.items() if n > 1] == []  # a word in two groups would be ambiguous
    assert all(m == m.lower() and m.strip() == m for m in members)  # stored as questions are compared
    taxi = next(g for g in groups if "出租车" in g)
    assert {"小黄", "的士", "计程车"} <= set(taxi)  # 小黃 / 計程車 as typed in Traditional are normalised to these


@pytest.mark.parametrize(
    "question, kb_words, expected",
    [
        ("小黄拒载怎么投诉", ("出租车",), "出租车拒载怎么投诉"),
        ("小黄拒载怎么投诉", ("计程车",), "计程车拒载怎么投诉"),
        ("小黄可以刷悠游卡吗", ("出租车", "公交卡"), "出租车可以刷公交卡吗"),
        ("youbike怎么借", ("公共自行车",), "公共自行车怎么借"),
        ("残疾人坐公交有优惠吗", ("身心障碍者", "公交车"), "身心障碍者坐公交有优惠吗"),
        # a word the KB uses stays, even where an equivalent is used more
        ("的士拒载怎么投诉", ("的士", "出租车"), "的士拒载怎么投诉"),
        # no equivalent in the KB: nothing to gain, the question stays
        ("小黄拒载怎么投诉", (), "小黄拒载怎么投诉"),
        # whole words only: 机车 (a motorcycle in Taiwan) is no word of 司机车速
        ("司机车速太快", ("摩托车",), "司机车速太快"),
    ],
)
def test_a_regional_word_becomes_the_kbs_own(question, kb_words, expected):
    assert in_kb_words(question, uses(*kb_words)) == expected


def test_the_most_used_equivalent_wins():
    counts = {"出租车": 3, "出租汽车": 40}
    assert in_kb_words("小黄拒载", lambda w: counts.get(w, 0)) == "出租汽车拒载"


def test_frequency_counts_chunks_of_the_index():
    texts = ["乘坐计程车遭拒载可申诉", "计程车费率表", "捷运末班车时间", "悠游卡遗失挂失"]
    index = KeywordIndex(list(range(len(texts))), tokens=[tokenize(t) for t in texts])
    assert index.frequency("计程车") == 2
    assert index.frequency("捷运") == 1
    assert index.frequency("出租车") == 0
    assert index.frequency("悠游卡") == 1  # a word indexed whole or, indexed before jieba knew it, by its bigrams
    assert KeywordIndex([]).frequency("出租车") == 0


@pytest.fixture
def taiwan_kb(hkb):
    hkb.upsert_articles(
        [
            draft(
                "r:1",
                "計程車拒載如何申訴",
                "乘客搭乘計程車遭司機拒載，可記下車號向交通局申訴。",
                None,
                ["計程車拒載怎麼投訴"],
            ),
            draft("r:2", "悠遊卡遺失如何掛失", "悠遊卡遺失可至捷運站詢問處辦理掛失，記名卡餘額可退還。", None),
            draft("r:3", "捷運末班車時間", "捷運各線末班車約於午夜12時發車，各站時間不同。", None),
        ]
    )
    hkb.open_index()
    return hkb


def test_a_mainland_or_slang_question_finds_the_entry_in_the_kbs_words(taiwan_kb):
    # keywords: 小黄 and 公交卡 occur nowhere in this KB; searched as 计程车 and 悠游卡 they find their entries
    assert [h.title for h in taiwan_kb.search("小黃拒載", k=1, min_score=0.0, mode="keyword")] == ["計程車拒載如何申訴"]
    assert [h.title for h in taiwan_kb.search("公交卡丢了怎么挂失", k=1, min_score=0.0, mode="keyword")] == [
        "悠遊卡遺失如何掛失"
    ]
    assert taiwan_kb.search("地铁末班车", k=1, min_score=0.0, mode="keyword")[0].title == "捷運末班車時間"
    # the embedding: the hashing embedder gives equal vectors only to equal texts, so the similar question
    # "計程車拒載怎麼投訴" has cosine 1.0 only when "小黄拒载怎么投诉" is embedded as "计程车拒载怎么投诉"
    hit = taiwan_kb.search("小黄拒载怎么投诉", k=1, min_score=0.0, mode="dense")[0]
    assert hit.title == "計程車拒載如何申訴" and hit.dense == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    "said, core",
    [
        ("您好 麻烦问一下 公交卡丢了怎么办 谢谢", "公交卡丢了怎么办"),
        ("师傅您好，我想咨询一下，年检要带什么", "年检要带什么"),
        ("你好,请问12328是什么", "12328是什么"),
        ("嗯嗯 那个小黄拒载怎么办 麻烦了", "小黄拒载怎么办"),
        ("就是说货车能走吗", "就是说货车能走吗"),  # 就是 may be the question's own word
        ("你好", "你好"),  # nothing but a greeting: left as it is
        ("你好,请问", "你好,请问"),
        # as typed on WeChat: emoji, "在吗", English greetings and thanks
        ("在吗？请问公交卡丢了怎么办😭😭", "公交卡丢了怎么办"),
        ("hi 公交卡丢了怎么办 thx", "公交卡丢了怎么办"),
        ("Hello，公交卡❤️丢了怎么办🙏 谢啦", "公交卡丢了怎么办"),
        ("highway怎么走", "highway怎么走"),  # a Latin word that begins like a greeting is the question's
        ("etc卡怎么办理 pthanks", "etc卡怎么办理 pthanks"),
        ("您好！想问申请低收入户要准备哪些文件～谢谢🙏", "申请低收入户要准备哪些文件"),
        ("我想请问 公交卡 丢了 怎么办", "公交卡丢了怎么办"),
        ("etc 卡 怎么办理", "etc 卡怎么办理"),
        ("👍👍", "👍👍"),  # nothing but emoji: left as it is
        ("母亲坐公交有优惠吗", "母亲坐公交有优惠吗"),
        ("hi", "hi"),
    ],
)
def test_the_greeting_and_thanks_around_a_question_are_left_out_of_the_search(said, core):
    assert question_core(normalize(said)) == core


def test_a_greeted_question_finds_what_the_bare_question_finds(taiwan_kb):
    bare = [h.title for h in taiwan_kb.search("公交卡丢了怎么挂失", k=3, min_score=0.0)]
    assert [
        h.title for h in taiwan_kb.search("師傅您好，我想諮詢一下，公交卡丟了怎麼掛失，謝謝", k=3, min_score=0.0)
    ] == bare


def test_an_editors_term_adds_to_the_groups():
    editors = (("差头", ("的哥", "出租车")), ("小黄", ("黄的",)))
    assert in_kb_words("差头拒载", uses("出租车"), editors) == "出租车拒载"
    assert in_kb_words("差头拒载", uses("出租车", "的哥"), editors) == "的哥拒载"  # a tie: the editor's order
    # the editor's targets come before the group's members, which still count
    assert in_kb_words("小黄拒载", uses("黄的"), editors) == "黄的拒载"
    assert in_kb_words("小黄拒载", uses("的士"), editors) == "的士拒载"
    assert in_kb_words("差头拒载", uses("差头", "出租车"), editors) == "差头拒载"  # the KB's own word stays
    # a phrase jieba cuts into several words is still replaced whole, and only whole
    assert in_kb_words("我坐的差头拒载", uses("出租车"), editors) == "我坐的出租车拒载"
