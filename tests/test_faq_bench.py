"""The FAQ benchmark harness (benchmarks/faq.py): data sets are well formed, and the harness measures what it says
on a tiny corpus imported through the product's importer (the full benchmark is `make bench-faq`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchmarks.faq import (
    Decision,
    datasets,
    evaluate,
    length_bucket,
    load_questions,
    open_kb,
    outcome,
    script_of,
    tables,
    validate,
)

ENTRIES = [
    {
        "id": "a1",
        "title": "如何申请出租车营运资格证？",
        "body": "携带身份证、驾驶证到交通运输主管部门窗口申请，考试合格后发证。",
    },
    {
        "id": "a2",
        "title": "公交卡丢失了怎么办？",
        "body": "实名公交卡可凭身份证到服务网点挂失补办，记名余额可转入新卡。",
    },
    {
        "id": "a3",
        "title": "货车通行费有优惠吗？",
        "body": "安装ETC的货车在高速公路享受通行费优惠，具体折扣以各省规定为准。",
    },
    {"id": "a4", "title": "驾驶证到期如何换证？", "body": "驾驶证有效期满前九十日内，持身体条件证明到车管所申请换证。"},
]


def write_set(folder: Path, dev: dict, holdout: dict, entries=ENTRIES, source="Licence: CC BY 4.0\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kb.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    (folder / "questions_dev.yaml").write_text(yaml.safe_dump(dev, allow_unicode=True), encoding="utf-8")
    (folder / "questions_holdout.yaml").write_text(yaml.safe_dump(holdout, allow_unicode=True), encoding="utf-8")
    if source is not None:
        (folder / "SOURCE.md").write_text(source, encoding="utf-8")
    return folder


DEV = {
    "answerable": [{"q": "公交卡丢了咋办", "id": "a2"}, {"q": "開計程車要什麼資格證", "id": "a1"}],
    "unanswerable": ["图书馆几点开门"],
}
HOLDOUT = {"answerable": [{"q": "驾照过期怎么换", "id": "a4"}], "unanswerable": ["医保卡怎么激活"]}


def test_every_data_set_in_the_repository_is_well_formed():
    for folder in datasets():
        assert validate(folder) == [], folder.name


def test_a_well_formed_set_passes(tmp_path):
    assert validate(write_set(tmp_path / "s", DEV, HOLDOUT), min_answerable=3, min_unanswerable=2) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"holdout": {"answerable": [{"q": "公交卡丢了咋办", "id": "a2"}], "unanswerable": []}}, "in both dev"),
        ({"dev": {"answerable": [{"q": "地铁几点收车", "id": "z9"}], "unanswerable": []}}, "unknown entry"),
        ({"entries": ENTRIES + [ENTRIES[0]]}, "duplicate id"),
        ({"entries": [{"id": "a1", "title": "只有标题"}]}, "title and body"),
        ({"source": None}, "SOURCE.md missing"),
        ({"source": "从某处下载。\n"}, "no licence"),
    ],
)
def test_malformed_sets_are_caught(tmp_path, change, expected):
    folder = write_set(
        tmp_path / "s",
        change.get("dev", DEV),
        change.get("holdout", HOLDOUT),
        entries=change.get("entries", ENTRIES),
        source=change.get("source", "Licence: CC BY 4.0\n"),
    )
    problems = validate(folder, min_answerable=1, min_unanswerable=1)
    assert any(expected in p for p in problems), problems


def test_too_few_questions_is_a_problem(tmp_path):
    problems = validate(write_set(tmp_path / "s", DEV, HOLDOUT))
    assert any("answerable questions" in p for p in problems)
    assert any("unanswerable questions" in p for p in problems)


def test_script_and_length_groups():
    assert script_of("開計程車要什麼資格證") == "traditional"
    assert script_of("开出租车要什么资格证") == "simplified"
    assert script_of("ETC") == "either"
    assert [length_bucket(q) for q in ("良民证", "公交卡丢了咋办呢", "我上个月在高速公路上被收了两次通行费怎么退")] == [
        "≤6",
        "7–15",
        ">15",
    ]


def test_outcomes():
    assert outcome(Decision("answer", (7,)), 7) == "right"
    assert outcome(Decision("answer", (8,)), 7) == "wrong"
    assert outcome(Decision("clarify", (8, 7, 9)), 7) == "clarified"
    assert outcome(Decision("clarify", (8, 9)), 7) == "clarified_miss"
    assert outcome(Decision("refuse"), 7) == "refused"
    assert outcome(Decision("answer", (8,)), None) == "wrong"  # an unanswerable question answered


def test_tiny_corpus_end_to_end(tmp_path):
    """Imported with the product's importer, cached by content hash, measured; a clarifying decision plugs in."""
    folder = write_set(tmp_path / "tiny", DEV, HOLDOUT)
    cache = tmp_path / "cache"
    kb, key_of = open_kb(folder, cache)
    assert sorted(key_of.values()) == ["a1", "a2", "a3", "a4"]
    built = next(cache.glob("tiny-*/imported"))
    stamp = built.stat().st_mtime_ns
    assert json.loads(built.read_text())["created"] == 4

    res = evaluate(kb, key_of, folder, "dev")
    assert res["all"]["n"] == 2 and res["unanswerable"]["n"] == 1
    assert res["all"]["hybrid"]["hit@3"] == 1.0  # 4 entries: the right one is always among the first three
    assert sum(res["all"]["outcomes"].values()) == pytest.approx(1.0)
    assert res["all"]["outcomes"]["clarified"] == 0  # today's decision never clarifies
    assert {"script:traditional", "script:simplified", "length:7–15"} <= set(res)

    def offer_three(hits, min_score):
        return Decision("clarify", tuple(h.article_id for h in hits[:3]))

    clarified = evaluate(kb, key_of, folder, "dev", decide=offer_three)
    assert clarified["all"]["outcomes"]["clarified"] == 1.0
    assert clarified["unanswerable"]["refused"] == 0.0

    res = {"min_score": kb.min_score, "dev": res, "holdout": evaluate(kb, key_of, folder, "holdout")}
    assert [t[0].split(": ")[1] for t in tables("tiny", res)] == [
        "retrieval (n = 2, 1)",
        f"the bot's decision (answer at score ≥ {kb.min_score} with a lead ≥ 0; else offer close entries; else refuse), "
        "answerable questions — answered right, answered wrong, right entry offered among choices, choices without "
        "it, refused",
        "unanswerable questions and score separation",
    ]

    again, _ = open_kb(folder, cache)  # the second run reuses the cached KB
    assert built.stat().st_mtime_ns == stamp and len(list(cache.glob("tiny-*"))) == 1
    assert again.search("公交卡丢失", k=1)[0].title == "公交卡丢失了怎么办？"

    entries = [*ENTRIES, {"id": "a5", "title": "网约车怎么投诉？", "body": "可拨打12328或平台客服投诉。"}]
    (folder / "kb.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    _, key_of = open_kb(folder, cache)  # a changed corpus is a new KB
    assert len(key_of) == 5 and len(list(cache.glob("tiny-*"))) == 2


def test_gov_mixed_meets_its_brief():
    """The gov-mixed set (benchmarks/data/gov-mixed, issue 16 item 1) holds what its SOURCE.md promises, without
    building its KB: 2,000-4,000 entries under 6 MB that the product's importer accepts row by row, clauses and FAQ
    entries; splits of the promised size, about 60 % on the regulations, in both scripts and with short queries; no
    question is an entry's title copied."""
    from knowledge_base.editing import validate as validate_row
    from knowledge_base.importer import ImportReport, read_rows

    folder = next(f for f in datasets() if f.name == "gov-mixed")
    data = (folder / "kb.json").read_bytes()
    assert len(data) < 6_000_000
    report = ImportReport("kb.json")
    rows = read_rows("kb.json", data, report)
    assert report.errors == [] and 2000 <= len(rows) <= 4000
    for _, row in rows:
        validate_row(row)  # raises ArticleInvalid on a row the importer would reject
    kinds = {row["id"]: row["kind"] for _, row in rows}
    assert set(kinds.values()) == {"regulation", "faq"}
    titles = {"".join(row["title"].split()).rstrip("?？") for _, row in rows}

    for split, answerable, unanswerable in (("holdout", 60, 20), ("dev", 110, 25)):
        items, unans = load_questions(folder, split)
        assert len(items) >= answerable and len(unans) >= unanswerable, split
        on_rules = sum(kinds[str(i["id"])] == "regulation" for i in items) / len(items)
        assert 0.5 <= on_rules <= 0.7, (split, on_rules)
        questions = [i["q"] for i in items] + unans
        assert {"simplified", "traditional"} <= {script_of(q) for q in questions}, split
        assert sum(length_bucket(q) == "≤6" for q in questions) >= 5, split
        assert not [q for q in questions if "".join(q.split()).rstrip("?？") in titles], split


def test_the_chat_bench_reads_each_kind_of_reply():
    """How benchmarks/faq_chat.py reads a chat reply; an out-of-scope reply (utter_out_of_scope) is a refusal:
    it answered nothing and guessed nothing (it was counted as "did not reach the KB")."""
    from benchmarks.faq_chat import OUT_OF_SCOPE, read_reply

    domain = yaml.safe_load(Path("bot/domain.yml").read_text(encoding="utf-8"))
    out_of_scope = domain["responses"]["utter_out_of_scope"][0]["text"]
    assert OUT_OF_SCOPE in out_of_scope
    assert read_reply({"replies": [{"text": out_of_scope}]}) == ("refused", [])
    chosen = {"replies": [{"text": "您想问的是哪一个？", "buttons": [{"payload": '/consult{"article_id": 7}'}]}]}
    assert read_reply(chosen) == ("offered", [7])
    assert read_reply({"replies": [{"text": "根据……"}], "sources": [{"article_id": 3}]}) == ("answered", [3])
    assert read_reply({"replies": [{"text": "您好！"}]}) == ("other", [])
