"""Turn KB hits into the consultation reply a citizen reads: the best passage, quoted, with its citation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import REGION_NATIONWIDE
from .regions import RegionChoice
from .service import REGION_APPLIES, REGION_HIDDEN, REGION_MARGIN, REGION_OTHER, Hit

NO_MATCH = (
    "抱歉，知识库里暂时没有与您的问题相符的内容，为免误导，我不作猜测性答复。"
    "您可以换个说法再问，或拨打12328电话咨询话务员。"
)
KB_DOWN = "抱歉，知识库暂时无法查询，请稍后再试，或拨打12328电话咨询。"


@dataclass
class Answer:
    text: str
    sources: list[dict] = field(default_factory=list)
    matched: bool = False


def _passage(hit: Hit) -> str:
    # A regulation chunk starts with its own clause number; the citation already names it.
    return re.sub(r"^第[一二三四五六七八九十百零〇两]+条\s*", "", hit.text).strip()


def region_note(hit: Hit) -> str:
    """Where a region-scoped article applies; for another region's than the one asked about or shared (a strong
    match the search did not hide: knowledge_base.service.REGION_OTHER), a caution too."""
    if not hit.region or hit.region == REGION_NATIONWIDE:
        return ""
    if hit.region_verdict == REGION_OTHER:
        return f"（本条适用于{hit.region}，与您所问或所在的地区不同，仅供参考，请以当地规定为准。）"
    return f"（本条适用于{hit.region}。）"


def region_reason(hit: Hit, choice: RegionChoice, threshold: float) -> str:
    """For the editors' hit test: how the article's region weighed in, in Chinese ('' for a nationwide one)."""
    if not hit.region or hit.region == REGION_NATIONWIDE:
        return ""
    if hit.region_verdict == REGION_APPLIES:
        if not choice.regions:
            return f"适用地区{hit.region}；用户地区未知，答复时注明适用地区"
        return f"适用地区{hit.region}，与检索地区{choice.label}相符"
    differs = f"适用地区{hit.region}，不含检索地区{choice.label}"
    if hit.region_verdict == REGION_OTHER:
        ranked = (  # a large KB's ranker weighs the region among its features (knowledge_base.ranker)
            "排序模型已计入地区不符" if hit.confidence is not None else f"排序时扣减{REGION_MARGIN:.2f}"
        )
        return (
            f"{differs}：匹配度{hit.score:.3f}达到答复阈值{threshold:.2f}，仍可答复并注明“本条适用于{hit.region}”；"
            f"{ranked}，排在同等匹配度的本地区和全国条目之后"
        )
    if hit.region_verdict == REGION_HIDDEN:
        return f"{differs}：匹配度{hit.score:.3f}未达到答复阈值{threshold:.2f}，按地区排除，不会答复"
    return ""


def compose_answer(hits: list[Hit]) -> Answer:
    if not hits:
        return Answer(text=NO_MATCH)
    best = hits[0]
    text = ("【热点政策】" if best.urgent else "") + f"根据{best.citation}：\n{_passage(best)}"
    note = region_note(best)
    if note:
        text += "\n" + note
    related = [h.citation for h in hits[1:3] if h.citation != best.citation]
    if related:
        text += "\n相关规定：" + "、".join(related)  # one message: Rasa splits replies at blank lines
    sources = [{"article_id": h.article_id, "title": h.title, "score": h.score, "citation": h.citation} for h in hits]
    return Answer(text=text, sources=sources, matched=True)
