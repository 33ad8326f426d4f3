"""High-frequency matters (高频事项, 第三十二–三十三条): the complaints and consultations of a period grouped into
topics by meaning, each with a keyword label, examples, the places and targets named, and its growth against the
previous period of the same length.

What is grouped: work orders of the chosen types (投诉举报 and 信息咨询 by default) received in the period, within
the viewer's region (a supervisor's own; admins see all), and the consultations the assistant could not answer
(knowledge gaps, kb_gap), weighted by how often they were asked. A gap carries no region of its own: it counts for
a supervisor only where its words name a place in their region (knowledge_base.regions: "卫辉检查站…" is
河南省新乡市卫辉市), for viewers of every region always. Both periods are grouped together, so a topic of this period
is compared with the same topic before. Places come from the order's location, else the text (a station or a
checkpoint: work_orders.intake.find_place; else the division it names); targets from the order's 投诉对象 or the text
(plates, platforms, bus routes, firms, checkpoints: intake.find_target).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select

from hotline.clock import aware
from hotline.db import Database
from hotline.privacy import mask_pii
from knowledge_base.errors import EmbeddingModelMissing
from knowledge_base.models import KnowledgeGap
from knowledge_base.regions import named_regions
from work_orders import intake
from work_orders.lifecycle import TYPES
from work_orders.models import WorkOrder

from . import grouping
from .errors import SupervisionError
from .scope import region_filter, viewer_region
from .vectors import VectorCache

log = logging.getLogger(__name__)

DEFAULT_TYPES = ("complaint", "consultation")
MAX_ITEMS = 20000  # per period: a month of a busy province; beyond it the newest are taken (and said so)
EXAMPLES = 3
MAX_ORDERS_SHOWN = 500  # a topic's order numbers listed (as many as one problem-list item links at once)


@dataclass
class Item:
    """One complaint or consultation to group."""

    text: str
    kind: str  # complaint | consultation | suggestion
    current: bool  # in the period asked for (else in the one before)
    weight: int = 1
    number: str = ""  # the order number; "" for a knowledge gap
    region: str = ""
    place: str = ""
    target: str = ""
    source: str = "order"  # order | gap


@dataclass
class Topic:
    label: str
    keywords: list[str]
    count: int
    previous: int
    growth: float | None  # (count - previous) / previous; None when there was nothing before
    kinds: dict[str, int]
    examples: list[str]
    places: list[dict]
    targets: list[dict]
    regions: list[dict]
    orders: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "keywords": self.keywords,
            "count": self.count,
            "previous": self.previous,
            "growth": self.growth,
            "kinds": self.kinds,
            "examples": self.examples,
            "places": self.places,
            "targets": self.targets,
            "regions": self.regions,
            "orders": self.orders,
        }


def order_text(order: WorkOrder) -> str:
    title, facts = (order.title or "").strip(), (order.facts or "").strip()
    text = facts if facts.startswith(title) else f"{title}。{facts}" if facts else title
    return text[:300]


def _place(text: str, location: str, named: list[str]) -> str:
    """The order's location, else the place the text names (a station, a checkpoint), else the division it names
    (卫辉: knowledge_base.regions)."""
    return (location or "").strip()[:60] or intake.find_place(text) or "、".join(named)


def _named(text: str) -> tuple[str, list[str]]:
    """The most specific region the text names and the words that named it (("河南省新乡市卫辉市", ["卫辉"]))."""
    regions, words = named_regions(text)
    return (regions[0] if len(regions) == 1 else ""), words


def _target(text: str, target: str) -> str:
    return (target or "").strip()[:60] or intake.find_target(text) or ""


def _top(values, n: int = 5) -> list[dict]:
    counts = Counter(mask_pii(v) for v in values if v)  # a location or target may hold a phone number
    return [{"name": name, "count": count} for name, count in counts.most_common(n)]


def _weighted_kinds(items: list[Item]) -> dict[str, int]:
    kinds: Counter = Counter()
    for item in items:
        kinds[TYPES.get(item.kind, item.kind)] += item.weight
    return dict(kinds)


def build_topics(
    items: list[Item], embedder, threshold: float = grouping.THRESHOLD, progress=None, cache=None
) -> list[Topic]:
    """Group the items and describe each group that has items in the current period, ranked by count then
    growth."""
    progress = progress or grouping._quiet
    if not items:
        return []
    texts = [i.text for i in items]
    features = grouping.features(texts, embedder, progress, cache)
    labels = grouping.cluster(features, threshold, progress=progress)
    df = grouping.document_frequency(texts)
    groups: dict[int, list[Item]] = {}
    for item, label in zip(items, labels.tolist(), strict=True):
        groups.setdefault(label, []).append(item)
    topics = []
    for members in groups.values():
        now = [m for m in members if m.current]
        if not now:
            continue
        count = sum(m.weight for m in now)
        previous = sum(m.weight for m in members if not m.current)
        keys = grouping.keywords([m.text for m in members], df, len(texts))
        ranked = sorted(now, key=lambda m: -m.weight)
        topics.append(
            Topic(
                label=mask_pii("、".join(keys) or ranked[0].text[:20]),
                keywords=[mask_pii(k) for k in keys],
                count=count,
                previous=previous,
                growth=round((count - previous) / previous, 3) if previous else None,
                kinds=_weighted_kinds(now),
                examples=[mask_pii(m.text[:120]) for m in ranked[:EXAMPLES]],
                places=_top(m.place for m in now),
                targets=_top(m.target for m in now),
                regions=_top(m.region for m in now),
                orders=[m.number for m in now if m.number][:MAX_ORDERS_SHOWN],
            )
        )
    # by count, then growth (a topic new in this period first), then label for a stable order
    topics.sort(key=lambda t: (-t.count, -(t.growth if t.growth is not None else math.inf), t.label))
    return topics


class HighFrequency:
    """The high-frequency matters of a period, as one viewer may see them."""

    def __init__(self, db: Database, embedder):
        self.db = db
        self.embedder = embedder
        self.cache = VectorCache(db)

    def items(self, viewer, start: datetime, end: datetime, types=DEFAULT_TYPES, region: str = "") -> list[Item]:
        """The orders and knowledge gaps of [start, end) and of the period of the same length before it, within the
        viewer's region."""
        if end <= start:
            raise SupervisionError("统计期间的结束时间须晚于开始时间", code="invalid_period")
        unknown = [t for t in types if t not in TYPES]
        if unknown:
            raise SupervisionError(f"未知的诉求类型：{'、'.join(unknown)}", code="invalid_field")
        scope = viewer_region(viewer, region)
        before = start - (end - start)
        items: list[Item] = []
        with self.db.session() as s:
            query = (
                select(WorkOrder)
                .where(WorkOrder.received_at >= before, WorkOrder.received_at < end, WorkOrder.order_type.in_(types))
                .where(region_filter(WorkOrder.region, scope))
                .order_by(WorkOrder.received_at.desc())
                .limit(2 * MAX_ITEMS)
            )
            for order in s.scalars(query):
                text = order_text(order)
                region, words = _named(text)
                items.append(
                    Item(
                        text=text,
                        kind=order.order_type,
                        current=aware(order.received_at) >= start,
                        number=order.number,
                        region=order.region or region,
                        place=_place(text, order.location, words),
                        target=_target(text, order.target) if order.order_type == "complaint" else "",
                    )
                )
            if "consultation" in types:
                gaps = s.scalars(
                    select(KnowledgeGap).where(
                        or_(
                            and_(KnowledgeGap.last_seen >= start, KnowledgeGap.last_seen < end),
                            and_(KnowledgeGap.last_seen >= before, KnowledgeGap.last_seen < start),
                        )
                    )
                )
                for gap in gaps:
                    region, words = _named(gap.text)
                    if scope and not region.startswith(scope):  # a gap has a region only where its words name one
                        continue
                    items.append(
                        Item(
                            text=gap.text,
                            kind="consultation",
                            current=aware(gap.last_seen) >= start,
                            weight=max(1, gap.count),
                            source="gap",
                            region=region,
                            place=_place(gap.text, "", words),
                        )
                    )
        return items

    def topics(
        self,
        viewer,
        start: datetime,
        end: datetime,
        types=DEFAULT_TYPES,
        region: str = "",
        limit: int = 20,
        progress=None,
    ) -> dict:
        items = self.items(viewer, start, end, types, region)
        log.info("high-frequency matters: grouping %d complaints and consultations", len(items))
        try:
            topics = build_topics(items, self.embedder, progress=progress, cache=self.cache)
        except EmbeddingModelMissing:
            raise SupervisionError(
                "未安装向量模型，暂时无法按语义归类高频事项", code="model_missing", status=503
            ) from None
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "region": viewer_region(viewer, region),
            "total": sum(i.weight for i in items if i.current),
            "previous_total": sum(i.weight for i in items if not i.current),
            "topics": [t.as_dict() for t in topics[:limit]],
        }
