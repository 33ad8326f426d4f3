"""Editor API and console: articles, versions, diffs, publishing, hit testing, bulk import, vocabulary."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import File

from knowledge_base.answer import region_reason
from knowledge_base.decision import KIND_LABELS, decide
from knowledge_base.importer import import_file
from knowledge_base.regions import search_regions
from knowledge_base.service import REGION_HIDDEN

from ..auth import EDITORS, PUBLISHERS, auth
from ..errors import error_docs
from ..schemas import (
    ArticleCreateIn,
    ArticleListOut,
    ArticleListQuery,
    ArticleOut,
    ArticleUpdateIn,
    DiffOut,
    DiffQuery,
    FormBoolean,
    GapAttachIn,
    GapListOut,
    GapListQuery,
    GapOut,
    HitTestOut,
    HitTestQuery,
    ImportOut,
    LearnOut,
    StatusChangeIn,
    TermAcceptIn,
    TermIn,
    TermListOut,
    TermListQuery,
    TermOut,
    TermUpdateIn,
    VersionListOut,
)
from .common import services
from .console import render_page

bp = APIBlueprint("kb_admin", __name__, tag="知识库编辑 KB editing")
FIELDS = (
    "title",
    "body",
    "domain",
    "region",
    "kind",
    "source",
    "tags",
    "questions",
    "effective_from",
    "expires_at",
    "urgent",
)


class ImportIn(Schema):
    file = File(required=True, metadata={"description": "JSON / CSV / XLSX / DOCX"})
    publish = FormBoolean(load_default=True)


def _user():
    return auth.current_user


def _fields(body: dict) -> dict:
    return {k: body.get(k) for k in FIELDS}


@bp.get("/console")
@bp.doc(hide=True)
def console():
    return render_page("console.html", "kb")


@bp.get("/api/kb/articles")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(ArticleListQuery, location="query", arg_name="query")
@bp.output(ArticleListOut)
@bp.doc(summary="文章列表 List articles")
def list_articles(query):
    return services().editor.list(query.get("status"), query.get("q"), query["page"])


@bp.post("/api/kb/articles")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(ArticleCreateIn, arg_name="body")
@bp.output(ArticleOut, status_code=201)
@bp.doc(
    summary="新建文章（草稿，或发布者直接发布热点政策） Create an article",
    responses=error_docs(403, 422, notes={403: "无发布权限", 422: "内容有误"}),
)
def create_article(body):
    user = _user()
    if body["publish"] and not user.has("publisher"):
        abort(403, "只有发布者可以直接发布")
    return services().editor.create(_fields(body), author=user.username, publish=body["publish"], note=body.get("note"))


@bp.get("/api/kb/articles/<int:article_id>")
@bp.auth_required(auth, roles=EDITORS)
@bp.output(ArticleOut)
@bp.doc(summary="文章详情 Get an article", responses=error_docs(404))
def get_article(article_id):
    return services().editor.get(article_id)


@bp.put("/api/kb/articles/<int:article_id>")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(ArticleUpdateIn, arg_name="body")
@bp.output(ArticleOut)
@bp.doc(
    summary="修改文章（须带版本号，过期版本返回409） Edit an article",
    responses=error_docs(403, 404, 409, 422, notes={403: "编辑只能修改草稿", 409: "版本冲突", 422: "内容有误"}),
)
def update_article(article_id, body):
    user = _user()
    editor = services().editor
    if not user.has("publisher") and editor.get(article_id)["status"] != "draft":
        abort(403, "已发布或已下线的文章只能由发布者修改")
    return editor.update(article_id, _fields(body), body["version"], author=user.username, note=body.get("note"))


@bp.post("/api/kb/articles/<int:article_id>/publish")
@bp.auth_required(auth, roles=PUBLISHERS)
@bp.input(StatusChangeIn, arg_name="body")
@bp.output(ArticleOut)
@bp.doc(summary="发布 Publish", responses=error_docs(404, 409, notes={409: "版本冲突或状态不允许"}))
def publish_article(article_id, body):
    return services().editor.publish(article_id, body["version"], _user().username, body.get("note"))


@bp.post("/api/kb/articles/<int:article_id>/retire")
@bp.auth_required(auth, roles=PUBLISHERS)
@bp.input(StatusChangeIn, arg_name="body")
@bp.output(ArticleOut)
@bp.doc(summary="下线 Retire", responses=error_docs(404, 409, notes={409: "版本冲突或状态不允许"}))
def retire_article(article_id, body):
    return services().editor.retire(article_id, body["version"], _user().username, body.get("note"))


@bp.get("/api/kb/articles/<int:article_id>/versions")
@bp.auth_required(auth, roles=EDITORS)
@bp.output(VersionListOut)
@bp.doc(summary="版本历史 Versions", responses=error_docs(404))
def versions(article_id):
    return {"versions": services().editor.versions(article_id)}


@bp.get("/api/kb/articles/<int:article_id>/diff")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(DiffQuery, location="query", arg_name="query")
@bp.output(DiffOut)
@bp.doc(summary="版本差异 Diff of two versions", responses=error_docs(404))
def diff(article_id, query):
    d = services().editor.diff(article_id, query["version"], query.get("against"))
    return {"article_id": d["article_id"], "to": d["to"], "from_": d["from"], "diff": d["diff"]}


@bp.get("/api/kb/hit-test")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(HitTestQuery, location="query", arg_name="query")
@bp.output(HitTestOut)
@bp.doc(summary="命中测试：问句的排序结果与得分构成 Hit testing")
def hit_test(query):
    kb = services().kb
    region = query.get("region") or None
    # hidden=True: also the other regions' weak matches the search hides from users, to show why
    hits = kb.search(query["q"], k=query["k"], min_score=0.0, region=region, hidden=True)
    choice = search_regions(query["q"], region)
    out = []
    for h in hits:
        why = [f"相似问法“{h.question}”" if h.question else "正文", f"向量相似度 {h.dense:.3f}"]
        if h.keyword:
            why.append(f"关键词 BM25 {h.keyword:.2f} × 覆盖率 {h.coverage:.0%}")
        else:
            why.append("无关键词命中")
        if abs(h.score - (h.dense + 0.3 * h.keyword * h.coverage)) > 1e-3:
            why.append(f"综合本文最佳三条证据（加权平均）{h.score:.3f}")
        policy = kb.policy
        floor = policy.floor_for(h)
        if floor > 0:  # the meaning must match too, not only the words (knowledge_base.decision)
            if policy.ranked:  # a large KB: to be answered or offered
                kind = "问句条目" if h.has_questions else "正文条目"
            else:  # a small KB: an entry with similar questions, to be answered directly
                kind = "有相似问法的条目直接答复"
            verdict = "达标" if h.cosine >= floor else "未达标，仅凭共有词语不作答"
            why.append(f"语义相似度（最佳一段）{h.cosine:.3f}，{kind}门槛 {floor:.2f}，{verdict}")
        elif policy.keyword_sure and h.cosine is not None and h.score >= policy.keyword_sure:
            why.append(f"得分 {h.score:.2f}≥{policy.keyword_sure:.2f}，关键词证据足够强，不设语义门槛")
        region_why = region_reason(h, choice, kb.min_score)
        if region_why:
            why.append(region_why)
        out.append(
            {
                "article_id": h.article_id,
                "title": h.title,
                "source": h.source,
                "citation": h.citation,
                "score": h.score,
                "snippet": h.snippet,
                "dense": h.dense,
                "keyword": h.keyword,
                "coverage": h.coverage,
                "region": h.region,
                "urgent": h.urgent,
                "question": h.question,
                "why": "；".join(why),
                "answers": h.score >= kb.min_score and h.region_verdict != REGION_HIDDEN,
                "confidence": h.confidence,
                "cosine": h.cosine,
                "meaning_floor": floor,
                "region_verdict": h.region_verdict,
                "region_reason": region_why,
            }
        )
    # what the bot would do with these hits (the same decision as in the chat, on this search's hits; the other
    # regions' weak matches listed here are hidden from it)
    decision = decide([h for h in hits if h.region_verdict != REGION_HIDDEN], kb.policy)
    return {
        "threshold": kb.min_score,
        "region": choice.explain(),
        "regions": list(choice.regions),
        "hits": out,
        "decision": {**decision.as_dict(), "label": KIND_LABELS[decision.kind]},
    }


@bp.post("/api/kb/import")
@bp.auth_required(auth, roles=PUBLISHERS)
@bp.input(ImportIn, location="files", arg_name="form")
@bp.output(ImportOut)
@bp.doc(
    summary="批量导入（全部成功才写入） Bulk import, all or nothing",
    responses=error_docs(422, notes={422: "文件有误，逐行报告"}),
)
def bulk_import(form):
    upload = form["file"]
    data = upload.read()
    report = import_file(
        services().kb, upload.filename or "upload", data, author=_user().username, publish=form["publish"]
    )
    return report.as_dict()


@bp.get("/api/kb/gaps")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(GapListQuery, location="query", arg_name="query")
@bp.output(GapListOut)
@bp.doc(summary="未命中问题：知识库没能直接答复的咨询（拒答或请用户选择），按次数排序 Knowledge gaps")
def list_gaps(query):
    return services().gaps.list(query["status"], query["page"], kind=query.get("kind"))


@bp.post("/api/kb/gaps/<int:gap_id>/attach")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(GapAttachIn, arg_name="body")
@bp.output(GapOut)
@bp.doc(
    summary="把未命中问题加为某篇文章的相似问法（文章新版本，立即生效） Close a gap with a similar question",
    responses=error_docs(
        403, 404, 409, notes={403: "编辑只能修改草稿", 404: "问题或文章不存在", 409: "版本冲突或已处理"}
    ),
)
def attach_gap(gap_id, body):
    user = _user()
    svc = services()
    if not user.has("publisher") and svc.editor.get(body["article_id"])["status"] != "draft":
        abort(403, "已发布或已下线的文章只能由发布者修改")
    return svc.gaps.attach(gap_id, svc.editor, body["article_id"], body["version"], author=user.username)


@bp.post("/api/kb/gaps/<int:gap_id>/dismiss")
@bp.auth_required(auth, roles=EDITORS)
@bp.output(GapOut)
@bp.doc(
    summary="忽略未命中问题（不属于知识库范围） Dismiss a gap", responses=error_docs(404, 409, notes={409: "已处理"})
)
def dismiss_gap(gap_id):
    return services().gaps.dismiss(gap_id, author=_user().username)


# ---------------------------------------------------------------------- vocabulary (词表)


@bp.get("/api/kb/terms")
@bp.auth_required(auth)
@bp.input(TermListQuery, location="query", arg_name="query")
@bp.output(TermListOut)
@bp.doc(summary="词表：群众说法 → 文档用词（已启用、待审核的建议、已忽略） List vocabulary terms")
def list_terms(query):
    return services().vocabulary.list(query.get("status"))


@bp.post("/api/kb/terms")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(TermIn, arg_name="body")
@bp.output(TermOut, status_code=201)
@bp.doc(
    summary="添加词条（立即生效） Add a term",
    responses=error_docs(409, 422, notes={409: "已有相同说法", 422: "说法或文档用词有误"}),
)
def add_term(body):
    return services().vocabulary.add(body["phrase"], body["targets"], author=_user().username)


@bp.put("/api/kb/terms/<int:term_id>")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(TermUpdateIn, arg_name="body")
@bp.output(TermOut)
@bp.doc(
    summary="修改词条 Edit a term",
    responses=error_docs(404, 409, 422, notes={409: "已有相同说法", 422: "说法或文档用词有误"}),
)
def update_term(term_id, body):
    return services().vocabulary.update(
        term_id, _user().username, phrase=body.get("phrase"), targets=body.get("targets")
    )


@bp.post("/api/kb/terms/<int:term_id>/accept")
@bp.auth_required(auth, roles=EDITORS)
@bp.input(TermAcceptIn, arg_name="body")
@bp.output(TermOut)
@bp.doc(
    summary="采纳建议（立即生效） Accept a suggestion",
    responses=error_docs(404, 409, 422, notes={409: "该词条已启用", 422: "文档用词有误"}),
)
def accept_term(term_id, body):
    return services().vocabulary.accept(term_id, _user().username, targets=body.get("targets"))


@bp.post("/api/kb/terms/<int:term_id>/reject")
@bp.auth_required(auth, roles=EDITORS)
@bp.output(TermOut)
@bp.doc(
    summary="忽略建议（以后不再建议） Reject a suggestion",
    responses=error_docs(404, 409, notes={409: "只能忽略待审核的建议"}),
)
def reject_term(term_id):
    return services().vocabulary.reject(term_id, _user().username)


@bp.delete("/api/kb/terms/<int:term_id>")
@bp.auth_required(auth, roles=EDITORS)
@bp.output({}, status_code=204)
@bp.doc(summary="删除词条（立即生效） Delete a term", responses=error_docs(404))
def delete_term(term_id):
    services().vocabulary.delete(term_id)
    return ""


@bp.post("/api/kb/terms/learn")
@bp.auth_required(auth, roles=EDITORS)
@bp.output(LearnOut)
@bp.doc(summary="从相似问法学习词表建议（待编辑采纳） Learn suggestions from similar questions")
def learn_terms():
    return services().vocabulary.learn()
