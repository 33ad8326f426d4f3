"""High-frequency matters (supervision.grouping, supervision.topics): the grouping by meaning on two labelled sets
of complaints and consultations written as drivers and citizens write them — topics_dev.yml (tuned on) and
topics_unseen.yml (written apart, never tuned on) — and the ranked topics of a period, region-scoped."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from accounts.service import Principal
from hotline.clock import CHINA, china_time, utcnow
from supervision import grouping
from supervision.errors import SupervisionForbidden
from supervision.topics import HighFrequency, Item, build_topics
from work_orders.service import WorkOrders

DATA = Path(__file__).parent / "data"
PURITY_FLOOR = 0.8
INVERSE_FLOOR = 0.75  # purity alone is 1.0 for singletons: the topics must also keep each matter together
ADMIN = Principal(1, "root", "管理员", ("admin",))
HENAN = Principal(2, "sup", "王督办", ("supervisor",), region="河南省")
BEIJING = Principal(3, "sup-bj", "赵督办", ("supervisor",), region="北京市")
MARCH = datetime(2026, 3, 1, tzinfo=CHINA)


def labelled(name: str) -> tuple[list[str], list[str]]:
    data = yaml.safe_load((DATA / f"topics_{name}.yml").read_text(encoding="utf-8"))
    texts = [text for topic in data["topics"] for text in topic["texts"]]
    labels = [topic["label"] for topic in data["topics"] for _ in topic["texts"]]
    return texts, labels


@pytest.mark.parametrize("name", ["dev", "unseen"])
def test_topic_grouping_is_pure_on_labelled_complaints(embedder, name):
    texts, labels = labelled(name)
    assert len(texts) >= (150 if name == "dev" else 80) and len(set(labels)) >= 10
    predicted = grouping.cluster(grouping.features(texts, embedder)).tolist()
    purity, inverse = grouping.purity(predicted, labels)
    print(
        f"{name}: {len(texts)} texts, {len(set(labels))} topics -> {len(set(predicted))} groups, "
        f"purity {purity:.3f}, inverse purity {inverse:.3f}"
    )
    assert purity >= PURITY_FLOOR and inverse >= INVERSE_FLOOR


def test_the_sampled_path_for_large_periods_groups_as_well(embedder):
    """Above DIRECT_LIMIT a sample is clustered and the rest join their nearest group: forced here on the dev set
    with a sample of a third."""
    texts, labels = labelled("dev")
    steps = []
    predicted = grouping.cluster(
        grouping.features(texts, embedder), direct_limit=60, progress=lambda *a: steps.append(a)
    ).tolist()
    purity, inverse = grouping.purity(predicted, labels)
    print(f"sampled: purity {purity:.3f}, inverse purity {inverse:.3f}")
    assert purity >= PURITY_FLOOR and inverse >= 0.7
    assert steps[0] == ("cluster", 0, len(texts)) and steps[-1] == ("cluster", len(texts), len(texts))


def test_purity_counts_majorities():
    assert grouping.purity([0, 0, 1, 1], ["a", "a", "b", "b"]) == (1.0, 1.0)
    assert grouping.purity([0, 0, 0, 0], ["a", "a", "b", "b"]) == (0.5, 1.0)
    assert grouping.purity([0, 1, 2, 3], ["a", "a", "b", "b"]) == (1.0, 0.5)


def _complaint(orders: WorkOrders, text: str, region: str, now: datetime, phone: str, location: str = "") -> str:
    order, _ = orders.create(
        {
            "order_type": "complaint",
            "channel": "phone",
            "region": region,
            "title": text[:30],
            "facts": text,
            "location": location,
            "caller_phone": phone,
        },
        now=now,
    )
    return order["number"]


def test_topics_of_a_period_are_ranked_scoped_and_compared_with_the_period_before(db, embedder):
    texts, labels = labelled("dev")
    by_label: dict[str, list[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        by_label.setdefault(label, []).append(text)
    orders = WorkOrders(db)
    phone = iter(f"1390000{i:04d}" for i in range(1000))
    # March: 10 checkpoint complaints in 河南 (4 in February), 6 taxi refusals in 河南, 5 ETC complaints in 北京
    for i, text in enumerate(by_label["检查站劝返货车"][:10]):
        _complaint(orders, text, "河南省新乡市", MARCH + timedelta(days=i, hours=9), next(phone))
    for i, text in enumerate(by_label["检查站劝返货车"][10:12] + by_label["检查站劝返货车"][:2]):
        _complaint(orders, text, "河南省新乡市", MARCH - timedelta(days=i + 2), next(phone))
    for i, text in enumerate(by_label["出租车拒载"][:6]):
        _complaint(orders, text, "河南省郑州市", MARCH + timedelta(days=i, hours=10), next(phone))
    for i, text in enumerate(by_label["收费站ETC多扣费"][:5]):
        _complaint(orders, text, "北京市", MARCH + timedelta(days=i, hours=11), next(phone))
    _complaint(
        orders, "出租车拒载，司机电话13912345678，态度恶劣", "河南省郑州市", MARCH + timedelta(hours=12), "13900001111"
    )

    steps = []
    service = HighFrequency(db, embedder)
    henan = service.topics(HENAN, MARCH, MARCH + timedelta(days=31), progress=lambda *a: steps.append(a))
    assert henan["region"] == "河南省" and henan["total"] == 17 and henan["previous_total"] == 4
    first, second = henan["topics"][:2]
    assert first["count"] == 10 and first["previous"] == 4 and first["growth"] == 1.5
    assert "卫辉" in first["label"] or "检查站" in first["label"] or "劝返" in first["label"], first["label"]
    assert any("卫辉检查站" in p["name"] for p in first["places"]), first["places"]
    assert second["count"] == 7 and second["previous"] == 0 and second["growth"] is None
    assert "拒载" in second["label"], second["label"]
    shown = str(henan)
    assert "13912345678" not in shown  # examples are masked
    alone = build_topics([Item("出租车拒载，司机电话13912345678，态度恶劣", "complaint", True)], embedder)
    assert alone[0].examples == ["出租车拒载，司机电话139****5678，态度恶劣"]
    assert all(r["name"].startswith("河南省") for t in henan["topics"] for r in t["regions"])
    assert ("embed", 1 + 10 + 4 + 6, 21) in steps or steps[0][0] == "embed"

    everywhere = service.topics(ADMIN, MARCH, MARCH + timedelta(days=31))
    assert everywhere["total"] == 22 and everywhere["topics"][0]["count"] == 10
    assert service.topics(BEIJING, MARCH, MARCH + timedelta(days=31))["total"] == 5
    with pytest.raises(SupervisionForbidden):
        service.topics(BEIJING, MARCH, MARCH + timedelta(days=31), region="河南省")
    narrowed = service.topics(HENAN, MARCH, MARCH + timedelta(days=31), region="河南省郑州市")
    assert narrowed["total"] == 7 and len(narrowed["topics"]) == 1


def test_consultations_the_assistant_could_not_answer_count_for_viewers_of_every_region(db, embedder):
    from sqlalchemy import update

    from knowledge_base.gaps import KnowledgeGaps
    from knowledge_base.models import KnowledgeGap

    gaps = KnowledgeGaps(db)
    for text, times in (("货车通行证怎么办理", 4), ("新乡货车进城通行证在哪里申请", 3), ("今天天气怎么样", 1)):
        for _ in range(times):
            gaps.record(text, "wechat")
    with db.session() as s:  # asked in March
        s.execute(update(KnowledgeGap).values(last_seen=MARCH + timedelta(days=2)))
    service = HighFrequency(db, embedder)
    everywhere = service.topics(ADMIN, MARCH, MARCH + timedelta(days=31), types=("consultation",))
    assert everywhere["total"] == 8
    top = everywhere["topics"][0]
    assert top["count"] == 7 and "通行证" in top["label"] and top["kinds"] == {"信息咨询": 7}
    # for a supervisor, only the gaps whose words name a place of their region
    henan = service.topics(HENAN, MARCH, MARCH + timedelta(days=31), types=("consultation",))
    assert henan["total"] == 3 and henan["topics"][0]["regions"] == [{"name": "河南省新乡市", "count": 1}]
    assert henan["topics"][0]["places"] == [{"name": "新乡", "count": 1}]
    assert service.topics(BEIJING, MARCH, MARCH + timedelta(days=31), types=("consultation",))["total"] == 0


def test_the_topics_and_surge_check_commands(tmp_path):
    from click.testing import CliRunner

    from tests.conftest import make_settings
    from webapp.cli import cli
    from webapp.services import build_services

    env = {"HOTLINE_VAR_DIR": str(tmp_path), "HOTLINE_RASA_URL": "http://127.0.0.1:9"}
    orders = build_services(make_settings(tmp_path)).work_orders
    texts, labels = labelled("dev")
    checkpoint = [t for t, label in zip(texts, labels, strict=True) if label == "检查站劝返货车"][:6]
    for i, text in enumerate(checkpoint):
        _complaint(orders, text, "河南省新乡市", utcnow(), f"1390000{i:04d}")
    today = china_time(utcnow()).date()  # yesterday too: the orders may have been made just before midnight
    period = ["--start", str(today - timedelta(days=1)), "--end", str(today)]
    out = CliRunner().invoke(cli, ["topics", "--region", "河南省", *period], env=env)
    assert out.exit_code == 0, out.output
    assert "河南省：本期6件，上期0件" in out.output and " 1. " in out.output and "6件（上期0，新出现）" in out.output
    out = CliRunner().invoke(cli, ["surge-check"], env=env)
    assert out.exit_code == 0 and "地点“卫辉检查站” 6件" in out.output, out.output
    out = CliRunner().invoke(cli, ["topics", "--start", "2026-12-31", "--end", "2026-01-01"], env=env)
    assert out.exit_code == 1 and "结束时间须晚于开始时间" in out.output


def test_a_period_grouped_again_embeds_only_what_is_new(db):
    from supervision.vectors import KEEP, VectorCache
    from tests.fakes import HashEmbedder

    orders = WorkOrders(db)
    texts, _ = labelled("dev")
    for i, text in enumerate(texts[:30]):
        _complaint(orders, text, "河南省新乡市", MARCH + timedelta(days=i % 28), f"1390000{i:04d}")
    embedder = HashEmbedder()
    service = HighFrequency(db, embedder)
    first = service.topics(ADMIN, MARCH, MARCH + timedelta(days=31))
    background = embedder.texts - 30
    assert background > 0  # the background sentences, once
    assert service.topics(ADMIN, MARCH, MARCH + timedelta(days=31)) == first
    assert embedder.texts == 30 + background  # nothing embedded again
    _complaint(orders, "新的一件：服务区泡面太贵", "河南省新乡市", MARCH + timedelta(days=3), "13700000001")
    steps = []
    service.topics(ADMIN, MARCH, MARCH + timedelta(days=31), progress=lambda *a: steps.append(a))
    assert embedder.texts == 31 + background and ("embed", 31, 31) in steps
    cache = VectorCache(db)
    assert cache.purge(now=MARCH) == 0
    assert cache.purge(now=utcnow() + KEEP + timedelta(days=1)) == 31  # unused for long: gone


def test_without_a_model_the_topics_say_so(db):
    from knowledge_base.errors import EmbeddingModelMissing
    from supervision.errors import SupervisionError

    class NoModel:
        def encode(self, texts, progress=False):
            raise EmbeddingModelMissing("no embedding model")

    _complaint(WorkOrders(db), "出租车拒载", "河南省新乡市", MARCH + timedelta(days=1), "13900000001")
    with pytest.raises(SupervisionError) as missing:
        HighFrequency(db, NoModel()).topics(ADMIN, MARCH, MARCH + timedelta(days=31))
    assert (missing.value.status, missing.value.code) == (503, "model_missing")
