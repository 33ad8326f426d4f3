import pytest

from knowledge_base.chunking import chunk_paragraphs
from knowledge_base.seeds import cn_number, load_seed_drafts, parse_news


def test_cn_number():
    assert [cn_number(x) for x in ("一", "十", "十九", "二十三", "四十一", "一百零二")] == [1, 10, 19, 23, 41, 102]


def test_regulation_becomes_one_article_per_clause():
    drafts = [d for d in load_seed_drafts() if d.kind == "regulation"]
    assert len(drafts) == 41
    assert [d.clause_index for d in drafts] == list(range(1, 42))
    art23 = drafts[22]
    assert art23.title == "12328交通运输服务监督热线管理办法 第二十三条"
    assert "10个工作日内回复办理意见" in art23.body
    assert "3个工作日" in art23.body and "5个工作日" in art23.body
    assert art23.chapter == "第三章 业务办理"
    # sub-items stay with their clause; chapter headings do not leak into bodies
    art19 = drafts[18]
    assert "（六）违反社会公序良俗的" in art19.body
    assert not any("第三章" in d.body for d in drafts)


def test_news_is_cleaned_and_dated():
    news = {d.origin_key: d for d in load_seed_drafts() if d.kind == "news"}
    assert len(news) == 4
    first = news["seed:000_7348a3e7381b4036"]
    assert first.title == "交通运输部：发挥12328热线作用 对层层加码即报即查"
    assert first.published_label == "2022-04-20" and first.source == "新浪财经"
    assert "<p" not in first.body and "cms-style" not in first.body
    trad = news["seed:003_ff79fd085bf6672c"]
    assert trad.source == "焦作網"
    assert "新聞中心首頁" not in trad.body and "總值班" not in trad.body and "![]()" not in trad.body
    daily = news["seed:004_1412a80fb05cd84a"]
    assert daily.title.startswith("开行交通便民直通车")
    assert daily.source == "中国日报"
    assert "手机报" not in daily.body and "热门推荐" not in daily.body and "奥斯卡" not in daily.body


def test_news_without_front_matter_or_html():
    draft = parse_news("首页\n某市12328热线开通\n今天起，市民可拨打12328反映交通问题。\n责任编辑：张三\n", "t:1")
    assert draft.title == "某市12328热线开通"
    assert draft.body == "今天起，市民可拨打12328反映交通问题。"


def test_chunking_keeps_paragraphs_and_splits_long_ones():
    long = "。".join(["这是一句很长的话" * 5] * 20) + "。"
    chunks = chunk_paragraphs(["短段一。", "短段二。", long], target=300)
    assert chunks[0].startswith("短段一。\n短段二。\n")
    assert len(chunks) > 2
    assert all(len(c) <= 300 for c in chunks)
    assert "".join(c.replace("\n", "") for c in chunks) == "短段一。短段二。" + long


def test_every_seed_article_has_similar_questions():
    drafts = load_seed_drafts()
    assert all(len(d.questions) >= 4 for d in drafts)
    assert sum(len(d.questions) for d in drafts) >= 250
    bodies = "".join(d.body for d in drafts)
    assert not [q for d in drafts for q in d.questions if q in bodies]  # the callers' words, not copied sentences


def test_questions_for_an_unknown_article_are_refused(tmp_path):
    from knowledge_base.seeds import QUESTIONS_FILE, SEED_DIR

    (tmp_path / "004_1412a80fb05cd84a.txt").write_text(
        (SEED_DIR / "004_1412a80fb05cd84a.txt").read_text("utf-8"), encoding="utf-8"
    )
    (tmp_path / QUESTIONS_FILE).write_text("seed:nope:第一条:\n  - 问题\n", encoding="utf-8")
    with pytest.raises(ValueError, match="seed:nope"):
        load_seed_drafts(tmp_path)
