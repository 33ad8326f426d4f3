"""Turn KB hits into the consultation reply a citizen reads: the best passage, quoted, with its citation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import REGION_NATIONWIDE
from .service import Hit

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


def compose_answer(hits: list[Hit], user_region: str | None = None) -> Answer:
    if not hits:
        return Answer(text=NO_MATCH)
    best = hits[0]
    text = ("【热点政策】" if best.urgent else "") + f"根据{best.citation}：\n{_passage(best)}"
    if best.region and best.region != REGION_NATIONWIDE and not user_region:
        text += f"\n（本条适用于{best.region}。）"
    related = [h.citation for h in hits[1:3] if h.citation != best.citation]
    if related:
        text += "\n相关规定：" + "、".join(related)  # one message: Rasa splits replies at blank lines
    sources = [{"article_id": h.article_id, "title": h.title, "score": h.score, "citation": h.citation} for h in hits]
    return Answer(text=text, sources=sources, matched=True)
