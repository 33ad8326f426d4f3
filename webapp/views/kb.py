"""Knowledge-base search API."""

from __future__ import annotations

from apiflask import APIBlueprint

from knowledge_base.service import REGION_APPLIES

from ..schemas import SearchOut, SearchQuery
from .common import services

bp = APIBlueprint("kb", __name__, tag="知识库 Knowledge base")


@bp.get("/api/kb/search")
@bp.input(SearchQuery, location="query", arg_name="query")
@bp.output(SearchOut)
@bp.doc(summary="检索知识库 Search the knowledge base", responses={422: "输入有误 Invalid input"})
def search(query):
    hits = services().kb.search(
        query["q"],
        k=query["k"],
        min_score=0.0,
        region=query.get("region"),
        domain=query.get("domain"),
        tag=query.get("tag"),
    )
    return {
        "hits": [
            {
                "article_id": h.article_id,
                "title": h.title,
                "source": h.source,
                "citation": h.citation,
                "score": h.score,
                "snippet": h.snippet,
                "region": h.region,
                "region_applies": h.region_verdict == REGION_APPLIES,
            }
            for h in hits
        ]
    }
