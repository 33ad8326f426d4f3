"""Editor API over HTTP: authentication, roles, 409 on stale edits, hit testing, bulk import."""

import dataclasses
import io
import json

import pytest

from knowledge_base.decision import Policy
from knowledge_base.service import KnowledgeBase

POLICY = {
    "title": "S227省道临时交通管制",
    "body": "12月5日起S227省道辉县段夜间22时至次日6时禁止货车通行。",
    "domain": "公路",
    "region": "河南省新乡市",
    "tags": ["交通管制"],
    "urgent": True,
}


@pytest.fixture
def app(app):
    svc = app.extensions["hotline"]
    svc.accounts.create_user("editor1", "editor-pass-1", ["editor"])
    svc.accounts.create_user("pub1", "publisher-pass-1", ["publisher"])
    return app


def test_auth_required_and_roles(app, login):
    client = app.test_client()
    assert client.get("/api/kb/articles").status_code == 401
    assert client.get("/api/kb/articles", headers={"Authorization": "Bearer nope"}).status_code == 401
    bad = client.post("/api/auth/login", json={"username": "editor1", "password": "wrong"})
    assert bad.status_code == 401 and bad.get_json()["error"]["message"] == "用户名或密码错误"
    editor = login(client, "editor1", "editor-pass-1")
    resp = client.post("/api/kb/articles", json={**POLICY, "publish": True}, headers=editor)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    draft = client.post("/api/kb/articles", json=POLICY, headers=editor).get_json()
    assert (
        client.post(f"/api/kb/articles/{draft['id']}/publish", json={"version": 1}, headers=editor).status_code == 403
    )
    client.post("/api/auth/logout", headers=editor)
    assert client.get("/api/kb/articles", headers=editor).status_code == 401


def test_editor_workflow_over_http(app, login):
    client = app.test_client()
    editor = login(client, "editor1", "editor-pass-1")
    publisher = login(client, "pub1", "publisher-pass-1")
    draft = client.post("/api/kb/articles", json=POLICY, headers=editor)
    assert draft.status_code == 201
    art = draft.get_json()
    assert art["status"] == "draft" and art["version"] == 1 and art["region"] == "河南省新乡市"
    resp = client.put(
        f"/api/kb/articles/{art['id']}",
        json={**POLICY, "body": POLICY["body"] + "客车不受影响。", "version": 1},
        headers=editor,
    )
    assert resp.status_code == 200 and resp.get_json()["version"] == 2
    stale = client.put(f"/api/kb/articles/{art['id']}", json={**POLICY, "version": 1}, headers=editor)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "version_conflict"
    assert "客车不受影响" in client.get(f"/api/kb/articles/{art['id']}", headers=editor).get_json()["body"]
    pub = client.post(f"/api/kb/articles/{art['id']}/publish", json={"version": 2}, headers=publisher)
    assert pub.status_code == 200 and pub.get_json()["status"] == "published"
    # published: plain editors may no longer change it
    assert client.put(f"/api/kb/articles/{art['id']}", json={**POLICY, "version": 3}, headers=editor).status_code == 403
    hits = client.get("/api/kb/search", query_string={"q": "S227晚上货车能走吗"}).get_json()["hits"]
    assert hits[0]["title"] == POLICY["title"]
    test = client.get("/api/kb/hit-test", query_string={"q": "S227晚上货车能走吗"}, headers=editor).get_json()
    top = test["hits"][0]
    assert top["title"] == POLICY["title"] and top["answers"] is True
    assert top["score"] == pytest.approx(hits[0]["score"], abs=1e-3)  # the hit test scores as the search does
    assert "向量相似度" in top["why"]
    versions = client.get(f"/api/kb/articles/{art['id']}/versions", headers=editor).get_json()["versions"]
    assert [v["action"] for v in versions] == ["create", "edit", "publish"]
    diff = client.get(f"/api/kb/articles/{art['id']}/diff", query_string={"version": 2}, headers=editor).get_json()
    assert diff["from"] == 1 and any("客车不受影响" in line for line in diff["diff"] if line.startswith("+"))
    listing = client.get("/api/kb/articles", query_string={"status": "published"}, headers=editor).get_json()
    assert [a["title"] for a in listing["items"]] == [POLICY["title"]]


def test_hit_testing_shows_the_decision_and_why(app, login, monkeypatch):
    """Beside the hits, what the bot would do with the question — answer, ask the user to choose, or refuse — with
    the confidence and the reason (issue 16 item 3)."""
    client = app.test_client()
    editor, publisher = login(client, "editor1", "editor-pass-1"), login(client, "pub1", "publisher-pass-1")
    art = client.post("/api/kb/articles", json={**POLICY, "publish": True}, headers=publisher).get_json()
    sibling = {**POLICY, "title": "S227省道辉县段货车夜间禁行公告", "urgent": False}
    other = client.post("/api/kb/articles", json={**sibling, "publish": True}, headers=publisher).get_json()

    def hit_test(q):
        resp = client.get("/api/kb/hit-test", query_string={"q": q}, headers=editor)
        assert resp.status_code == 200
        return resp.get_json()

    # a small KB's policy: the hybrid score against the threshold; never a choice
    test = hit_test("S227晚上货车能走吗")
    decision = test["decision"]
    assert decision["kind"] == "answer" and decision["label"] == "直接答复"
    assert decision["article_ids"] == [test["hits"][0]["article_id"]]
    assert decision["confidence"] == pytest.approx(test["hits"][0]["score"], abs=1e-3)
    assert "≥" in decision["reason"]
    assert test["hits"][0]["confidence"] is None  # a search hit: its score decides
    refused = hit_test("明天会下雨吗")["decision"]  # (no place: "郑州" would hide the 新乡 notices)
    assert refused["kind"] == "refuse" and refused["label"] == "拒答" and refused["article_ids"] == []
    assert "低于" in refused["reason"]

    # a policy that clarifies (as a large KB's does when no entry leads clearly): the two S227 notices are offered
    policy = Policy(answer=0.8, margin=1.0, choice=0.5, clarify_total=1.0)
    monkeypatch.setattr(KnowledgeBase, "policy", property(lambda self: policy))
    decision = hit_test("S227晚上货车能走吗")["decision"]
    assert decision["kind"] == "clarify" and decision["label"] == "请用户选择"
    assert sorted(decision["article_ids"]) == sorted([art["id"], other["id"]])
    assert "请用户选择" in decision["reason"]
    # a large KB's policy also wants the meaning to match: each hit shows its semantic evidence and the floor
    # it is held to; with a floor above it, shared words alone neither answer nor offer
    policy = Policy(
        answer=0.8, margin=1.0, choice=0.5, clarify_total=1.0, certainty=0.8, floor_question=0.999, floor_body=0.999
    )
    test = hit_test("S227晚上货车能走吗")
    hit = test["hits"][0]
    assert 0.5 < hit["cosine"] < 0.999 and hit["meaning_floor"] == 0.999 and "未达标" in hit["why"]
    # ... unless nearly every word of the question matched: a score at keyword_sure is held to no floor
    policy = dataclasses.replace(policy, keyword_sure=round(hit["score"] - 0.001, 3))
    hit = hit_test("S227晚上货车能走吗")["hits"][0]
    assert hit["meaning_floor"] == 0 and "不设语义门槛" in hit["why"] and "未达标" not in hit["why"]


def test_invalid_article_gets_field_errors(app, login):
    client = app.test_client()
    editor = login(client, "editor1", "editor-pass-1")
    resp = client.post("/api/kb/articles", json={**POLICY, "domain": "铁路", "expires_at": "下周"}, headers=editor)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "invalid_article" and set(err["details"]) == {"domain", "expires_at"}
    resp = client.post("/api/kb/articles", json={"title": 1}, headers=editor)
    assert resp.status_code == 422


def upload(client, headers, name, data):
    return client.post(
        "/api/kb/import", data={"file": (io.BytesIO(data), name)}, headers=headers, content_type="multipart/form-data"
    )


def test_bulk_import_all_or_nothing(app, login):
    client = app.test_client()
    publisher = login(client, "pub1", "publisher-pass-1")
    good = [
        POLICY,
        {**POLICY, "title": "G107国道限行", "body": "G107国道新乡段12月限行货车。<script>alert(1)</script>"},
    ]
    resp = upload(client, publisher, "policies.json", json.dumps(good, ensure_ascii=False).encode())
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["created"] == 2
    bad = [{**POLICY, "title": "新政策一"}, {"title": "", "body": "x"}, {**POLICY, "effective_from": "明年"}]
    resp = upload(client, publisher, "bad.json", json.dumps(bad, ensure_ascii=False).encode())
    assert resp.status_code == 422
    report = resp.get_json()["error"]["details"]
    assert [e["row"] for e in report["errors"]] == [2, 3] and report["imported"] is False
    listing = client.get("/api/kb/articles", headers=publisher).get_json()
    assert listing["total"] == 2  # nothing of the bad file was written
    assert upload(client, publisher, "x.pdf", b"%PDF").status_code == 422
    assert upload(client, publisher, "broken.json", b"{not json").status_code == 422


def test_hit_test_shows_region_exclusions(app, login):
    """Hit testing says which region it searched and why another region's article was demoted or excluded."""
    client = app.test_client()
    publisher = login(client, "pub1", "publisher-pass-1")
    assert client.post("/api/kb/articles", json={**POLICY, "publish": True}, headers=publisher).status_code == 201

    def hit_test(q, region):
        resp = client.get("/api/kb/hit-test", query_string={"q": q, "region": region}, headers=publisher)
        assert resp.status_code == 200
        return resp.get_json()

    # strong, another region's (辉县 is in 新乡, the user in 济南): still answers, demoted, said why
    test = hit_test("S227晚上货车能走吗", "山东省济南市")
    assert test["region"] == "按用户所在地区检索：山东省济南市" and test["regions"] == ["山东省济南市"]
    top = test["hits"][0]
    assert top["title"] == POLICY["title"] and top["region_verdict"] == "other" and top["answers"] is True
    assert "不含检索地区山东省济南市" in top["region_reason"] and "本条适用于河南省新乡市" in top["region_reason"]
    assert top["region_reason"] in top["why"]
    # the public search marks it too
    hits = client.get("/api/kb/search", query_string={"q": "S227晚上货车能走吗", "region": "山东省济南市"}).get_json()
    assert hits["hits"][0]["region_applies"] is False

    # the place in the question wins over the user's region
    test = hit_test("辉县S227晚上货车能走吗", "山东省济南市")
    assert test["regions"] == ["河南省新乡市辉县市"] and "优先于用户所在地区山东省济南市" in test["region"]
    top = test["hits"][0]
    assert top["region_verdict"] == "applies" and top["answers"] is True
    assert top["region_reason"] == "适用地区河南省新乡市，与检索地区河南省新乡市辉县市相符"

    # weak and another region's: excluded, never answers, listed with the reason
    test = hit_test("出租车起步价多少", "山东省济南市")
    top = test["hits"][0]
    assert top["title"] == POLICY["title"] and top["region_verdict"] == "hidden" and top["answers"] is False
    assert "未达到答复阈值0.80" in top["region_reason"] and "按地区排除，不会答复" in top["region_reason"]
    # the users' search does not return it at all
    assert client.get(
        "/api/kb/search", query_string={"q": "出租车起步价多少", "region": "山东省济南市"}
    ).get_json() == {"hits": []}
