"""The vocabulary (词表) over HTTP: staff read, editors write; validation and duplicate phrases answered in
Chinese; suggestions learnt, accepted and rejected; a term changes keyword search at once."""

import pytest

from tests.test_vocabulary import CARD, DELAY, TAXI, draft


@pytest.fixture
def app(app):
    svc = app.extensions["hotline"]
    svc.accounts.create_user("editor1", "editor-pass-1", ["editor"])
    svc.accounts.create_user("op1", "operator-pass-1", ["operator"])
    svc.kb.upsert_articles([draft(TAXI), draft(CARD), draft(DELAY)])
    return app


def test_roles(app, login):
    client = app.test_client()
    assert client.get("/api/kb/terms").status_code == 401
    operator = login(client, "op1", "operator-pass-1")
    listed = client.get("/api/kb/terms", headers=operator)
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["items"] == [] and body["counts"] == {"active": 0, "suggested": 0, "rejected": 0}
    assert body["base"] > 40 and body["regional"] >= 30  # the shipped files
    for method, path, payload in [
        ("post", "/api/kb/terms", {"phrase": "差头", "targets": ["出租车"]}),
        ("post", "/api/kb/terms/learn", None),
        ("post", "/api/kb/terms/1/reject", None),
        ("delete", "/api/kb/terms/1", None),
    ]:
        resp = getattr(client, method)(path, json=payload, headers=operator)
        assert resp.status_code == 403, path


def test_add_validate_edit_delete(app, login):
    client = app.test_client()
    editor = login(client, "editor1", "editor-pass-1")
    resp = client.post("/api/kb/terms", json={"phrase": "差頭", "targets": ["出租车", " 出租汽车 "]}, headers=editor)
    assert resp.status_code == 201
    term = resp.get_json()
    assert (term["phrase"], term["targets"], term["status"], term["author"]) == (
        "差头",
        ["出租车", "出租汽车"],
        "active",
        "editor1",
    )
    hits = app.extensions["hotline"].kb.search("乘客反映差头多收费", k=3, min_score=0.0, mode="keyword")
    assert hits[0].title == TAXI.title

    dup = client.post("/api/kb/terms", json={"phrase": "差头", "targets": ["的士"]}, headers=editor)
    assert dup.status_code == 409
    assert dup.get_json()["error"]["code"] == "duplicate_term" and "差头" in dup.get_json()["error"]["message"]
    for payload in [
        {"phrase": "", "targets": ["出租车"]},
        {"phrase": "的士", "targets": []},
        {"phrase": "的士", "targets": [""]},
        {"phrase": "的" * 21, "targets": ["出租车"]},
        {"phrase": "的士", "targets": ["出" * 21]},
        {"phrase": "的士"},
    ]:
        bad = client.post("/api/kb/terms", json=payload, headers=editor)
        assert bad.status_code == 422, payload
        assert bad.get_json()["error"]["message"]

    edited = client.put(f"/api/kb/terms/{term['id']}", json={"targets": ["出租车"]}, headers=editor)
    assert edited.status_code == 200 and edited.get_json()["targets"] == ["出租车"]
    assert client.put("/api/kb/terms/999", json={"targets": ["出租车"]}, headers=editor).status_code == 404
    assert client.delete(f"/api/kb/terms/{term['id']}", headers=editor).status_code == 204
    assert client.delete(f"/api/kb/terms/{term['id']}", headers=editor).status_code == 404
    assert client.get("/api/kb/terms", headers=editor).get_json()["items"] == []


def test_learn_accept_reject(app, login):
    client = app.test_client()
    editor = login(client, "editor1", "editor-pass-1")
    report = client.post("/api/kb/terms/learn", headers=editor).get_json()
    assert report["articles"] == 3 and report["created"] >= 2
    suggested = client.get("/api/kb/terms?status=suggested", headers=editor).get_json()["items"]
    by_phrase = {t["phrase"]: t for t in suggested}
    taxi = by_phrase["差头"]
    assert taxi["source"] == "learned" and taxi["hits"] == 2
    assert {e["article_id"] for e in taxi["evidence"]} and {e["title"] for e in taxi["evidence"]} == {TAXI.title}
    assert app.extensions["hotline"].kb.terms == ()

    accepted = client.post(f"/api/kb/terms/{taxi['id']}/accept", json={"targets": ["出租车"]}, headers=editor)
    assert accepted.status_code == 200
    assert (accepted.get_json()["status"], accepted.get_json()["targets"]) == ("active", ["出租车"])
    assert app.extensions["hotline"].kb.terms == (("差头", ("出租车",)),)
    again = client.post(f"/api/kb/terms/{taxi['id']}/accept", json={}, headers=editor)
    assert again.status_code == 409 and again.get_json()["error"]["message"]

    card = by_phrase["岭南通"]
    assert client.post(f"/api/kb/terms/{card['id']}/reject", headers=editor).get_json()["status"] == "rejected"
    assert client.post(f"/api/kb/terms/{card['id']}/reject", headers=editor).status_code == 409
    assert client.get("/api/kb/terms?status=bogus", headers=editor).status_code == 422
    counts = client.get("/api/kb/terms", headers=editor).get_json()["counts"]
    assert counts["active"] == 1 and counts["rejected"] == 1


def test_the_console_has_the_vocabulary_tab_and_renders_text_only(app):
    page = app.test_client().get("/console").get_data(as_text=True)
    assert 'data-tab="vocab">词表<' in page and 'id="tab-vocab"' in page
    for call in ("/api/kb/terms", "/accept", "/reject", "/api/kb/terms/learn"):
        assert call in page
    # editors' and learned text is shown through textContent (el()), never parsed as HTML
    assert "innerHTML" not in page and "insertAdjacentHTML" not in page
