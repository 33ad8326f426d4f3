"""HTTP API of the app: validation, errors, OpenAPI, the Rasa round trip (with a scripted fake Rasa)."""

import json

import pytest


@pytest.fixture
def app(seeded_dir, fake_rasa, make_app):
    return make_app(seeded_dir, HOTLINE_RASA_URL=fake_rasa.url, HOTLINE_RASA_TIMEOUT="1")


def test_chat_round_trip(client, fake_rasa):
    resp = client.post("/api/chat", json={"sender": "abc-1", "text": "  投诉以后多久能有结果？ "})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["replies"] == [
        {"text": "根据《办法》第二十三条：……", "buttons": [{"title": "继续", "payload": "继续"}]}
    ]
    assert body["sources"][0]["citation"] == "《办法》第二十三条"
    assert body["intent"] == {"name": "consult", "confidence": 0.41}  # never Rasa's internal nlu_fallback
    assert body["work_order"] is None
    assert fake_rasa.received[-1]["sender"] == "web:abc-1"
    assert fake_rasa.received[-1]["message"] == "投诉以后多久能有结果？"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"sender": "a", "text": ""}, "text"),
        ({"sender": "a", "text": "   \n\t "}, "text"),
        ({"sender": "a", "text": "长" * 10000}, "text"),
        ({"sender": "a", "text": 123}, "text"),
        ({"sender": "a"}, "text"),
        ({"sender": "", "text": "你好"}, "sender"),
        ({"sender": "<script>", "text": "你好"}, "sender"),
        ({"sender": ["a"], "text": "你好"}, "sender"),
    ],
)
def test_bad_chat_input_is_a_clear_4xx(client, fake_rasa, payload, field):
    resp = client.post("/api/chat", json=payload)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "validation_error" and err["message"] == "请求参数有误"
    assert field in err["details"]["json"]
    assert fake_rasa.received == []


def test_invalid_json_and_wrong_shapes(client):
    resp = client.post("/api/chat", data="{not json", content_type="application/json")
    assert 400 <= resp.status_code < 500 and "error" in resp.get_json()
    resp = client.post("/api/chat", json=["a", "b"])
    assert 400 <= resp.status_code < 500 and "error" in resp.get_json()
    resp = client.post("/api/chat", data="sender=a&text=b", content_type="application/x-www-form-urlencoded")
    assert 400 <= resp.status_code < 500 and "error" in resp.get_json()


def test_long_text_gets_chinese_message(client):
    resp = client.post("/api/chat", json={"sender": "a", "text": "长" * 10000})
    assert "2000" in json.dumps(resp.get_json()["error"]["details"], ensure_ascii=False)


def test_bot_down_gives_503_with_busy_reply(seeded_dir, make_app):
    client = make_app(seeded_dir, HOTLINE_RASA_URL="http://127.0.0.1:9").test_client()
    resp = client.post("/api/chat", json={"sender": "a", "text": "你好"})
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["error"]["code"] == "bot_unavailable"
    assert "系统繁忙" in body["replies"][0]["text"]


def test_bot_slow_or_failing_gives_503_then_recovers(client, fake_rasa):
    fake_rasa.delay = 2.0  # client timeout is 1 s
    resp = client.post("/api/chat", json={"sender": "a", "text": "你好"})
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "bot_timeout"
    fake_rasa.delay = 0
    fake_rasa.fail = True
    assert client.post("/api/chat", json={"sender": "a", "text": "你好"}).status_code == 503
    fake_rasa.fail = False
    assert client.post("/api/chat", json={"sender": "a", "text": "你好"}).status_code == 200


def test_kb_search_api(client):
    resp = client.get("/api/kb/search", query_string={"q": "投诉以后多久能有结果？", "k": 3})
    assert resp.status_code == 200
    hits = resp.get_json()["hits"]
    assert len(hits) == 3
    assert hits[0]["title"] == "12328交通运输服务监督热线管理办法 第二十三条"
    assert hits[0]["source"] == "交通运输部"
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert "工作日" in hits[0]["snippet"]
    assert set(hits[0]) >= {"article_id", "title", "source", "score", "snippet"}


@pytest.mark.parametrize("query", [{}, {"q": ""}, {"q": "x", "k": 0}, {"q": "x", "k": "many"}, {"q": "x" * 600}])
def test_kb_search_bad_input(client, query):
    resp = client.get("/api/kb/search", query_string=query)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "validation_error"


def test_openapi_describes_the_api(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/chat", "/api/kb/search", "/api/health"} <= set(spec["paths"])
    chat = spec["paths"]["/api/chat"]["post"]
    assert {"200", "422", "503"} <= set(chat["responses"])
    schemas = spec["components"]["schemas"]
    assert {"sender", "text"} <= set(schemas["ChatIn"]["properties"])
    assert {"replies", "intent", "sources", "work_order"} <= set(schemas["ChatOut"]["properties"])


def test_chat_page_is_chinese_and_mobile_ready(client):
    html = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html
    assert "12328交通运输服务监督热线" in html
    assert ".innerHTML" not in html  # replies are rendered with textContent only


def test_every_page_has_an_icon(client):
    """Browsers ask for /favicon.ico on every page: it answers (no 404 in the console of every visit)."""
    for path in ("/favicon.ico", "/favicon.svg"):
        resp = client.get(path)
        assert resp.status_code == 200 and resp.mimetype == "image/svg+xml" and b"12328" in resp.data
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)


def test_unknown_route_is_json_404(client):
    resp = client.get("/api/nope")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_chat_work_order_has_the_deadline_as_a_date_and_in_words(client, monkeypatch):
    from channels.conversation import parse_rasa_output
    from work_orders import messages
    from work_orders.calendar import WorkCalendar

    order = {
        "number": "20260930-00001",
        "order_type": "complaint",
        "state": "received",
        "dispatch_due": "2026-10-08T15:00:00+08:00",
    }
    due = messages.answer_due(order, WorkCalendar())
    meta = messages.work_order_meta(order, due)  # what action_submit_intake sends along
    reply = messages.intake_registered(order, due, safety=False)
    rasa = client.application.extensions["hotline"].rasa
    monkeypatch.setattr(
        rasa,
        "send",
        lambda sender, text, metadata=None: parse_rasa_output(
            [{"text": reply}, {"custom": {"hotline_meta": {"work_order": meta}}}], {}
        ),
    )
    body = client.post("/api/chat", json={"sender": "abc-2", "text": "确认"}).get_json()
    assert body["work_order"] == {
        "number": "20260930-00001",
        "type": "complaint",
        "state": "received",
        "deadline": "2026-10-21T23:59:59+08:00",
        "deadline_text": "10月21日（周三）前答复（转办后10个工作日内，管理办法第二十三条）",
    }
    assert "最迟将于10月21日（周三）前答复您" in body["replies"][0]["text"]
