"""The reports API over HTTP: roles and region scoping, generate → edit (a new version) → send with notices to
本级 and 上一级, downloads with their content types, structured errors, and the page."""

from __future__ import annotations

import io

import openpyxl
import pytest
from docx import Document
from pypdf import PdfReader

from reports.render import FORMATS
from tests import stats_world as w


@pytest.fixture
def app_env():
    return {"HOTLINE_SWEEP_INTERVAL": "0", "HOTLINE_CALLBACK_SAMPLE_RATE": "0"}


@pytest.fixture
def world(app):
    svc = app.extensions["hotline"]
    built = w.build(svc.work_orders)
    for name, roles, extra in (
        ("op", ["operator"], {}),
        ("admin1", ["admin"], {}),
        ("sup-xx", ["supervisor"], {"region": w.XINXIANG}),
        ("sup-hn", ["supervisor"], {"region": "河南省"}),
        ("sup-zz", ["supervisor"], {"region": w.ZHENGZHOU}),
        ("taxi", ["unit"], {"unit_id": built["units"]["taxi"]["id"]}),
        ("ed", ["editor"], {}),
    ):
        svc.accounts.create_user(name, f"{name}-pass-123", roles, name, **extra)
    return built


@pytest.fixture
def as_(client, login, world):
    return lambda name: login(client, name, f"{name}-pass-123")


NOVEMBER = {"kind": "monthly", "period": "2026-11"}


def test_who_may_use_reports(client, as_):
    assert client.get("/api/reports").status_code == 401
    assert client.post("/api/reports", json=NOVEMBER).status_code == 401
    for name in ("op", "taxi", "ed"):
        resp = client.get("/api/reports", headers=as_(name))
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden", name
        assert client.post("/api/reports", json=NOVEMBER, headers=as_(name)).status_code == 403


def test_generate_edit_send_and_download(client, as_):
    sup = as_("sup-xx")
    resp = client.post("/api/reports", json=NOVEMBER, headers=sup)
    assert resp.status_code == 201, resp.get_json()
    r = resp.get_json()
    assert (r["region"], r["state"], r["version"], r["due_date"]) == (w.XINXIANG, "draft", 1, "2026-12-07")
    assert r["current"]["data"]["metrics"]["total"]["count"] == 6
    assert r["current"]["narrative"]["overview"].startswith("2026年11月，河南省新乡市12328热线共受理群众诉求6件")

    resp = client.put(
        f"/api/reports/{r['id']}/narrative",
        json={"version": 1, "suggestions": "一、约谈末位单位。", "note": "补充建议"},
        headers=sup,
    )
    assert resp.status_code == 200 and resp.get_json()["version"] == 2
    stale = client.put(f"/api/reports/{r['id']}/narrative", json={"version": 1, "overview": "x"}, headers=sup)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "version_conflict"
    history = client.get(f"/api/reports/{r['id']}", headers=sup).get_json()["versions"]
    assert [(v["number"], v["note"]) for v in history] == [(2, "补充建议"), (1, "生成")]
    first = client.get(f"/api/reports/{r['id']}?version=1", headers=sup).get_json()
    assert first["current"]["narrative"]["suggestions"] != "一、约谈末位单位。"

    for fmt, content_type in FORMATS.items():
        resp = client.get(f"/api/reports/{r['id']}/download?format={fmt}", headers=sup)
        assert resp.status_code == 200 and resp.headers["Content-Type"] == content_type
        assert resp.headers["Content-Disposition"] == f"attachment; filename=report-{r['id']}-v2.{fmt}"
        if fmt == "docx":
            text = "\n".join(p.text for p in Document(io.BytesIO(resp.data)).paragraphs)
            assert "一、约谈末位单位。" in text
        elif fmt == "pdf":
            text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages)
            assert "约谈末位单位" in text and "新乡市" in text
        else:
            book = openpyxl.load_workbook(io.BytesIO(resp.data))
            assert "承办单位评分" in book.sheetnames

    resp = client.post(f"/api/reports/{r['id']}/send", headers=sup)
    assert resp.status_code == 200
    sent = resp.get_json()
    assert sent["state_label"] == "已发送"
    assert [x["region"] for x in sent["recipients"]] == [w.XINXIANG, "河南省"]
    again = client.post(f"/api/reports/{r['id']}/send", headers=sup)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_sent"
    regenerate = client.post("/api/reports", json=NOVEMBER, headers=sup)
    assert regenerate.status_code == 409

    upper = client.get("/api/reports/notices", headers=as_("sup-hn")).get_json()["items"]
    assert [(n["audience_label"], n["report_id"]) for n in upper] == [("上一级", r["id"])]
    assert client.get("/api/reports/notices", headers=as_("sup-zz")).get_json()["items"] == []


def test_region_scoping_over_http(client, as_):
    xx = client.post("/api/reports", json=NOVEMBER, headers=as_("sup-xx")).get_json()
    zz = client.post("/api/reports", json=NOVEMBER, headers=as_("sup-zz")).get_json()
    assert zz["current"]["data"]["metrics"]["total"]["count"] == 1
    out = client.post("/api/reports", json={**NOVEMBER, "region": w.ZHENGZHOU}, headers=as_("sup-xx"))
    assert out.status_code == 403 and out.get_json()["error"]["code"] == "forbidden"
    for path in (f"/api/reports/{zz['id']}", f"/api/reports/{zz['id']}/download?format=xlsx"):
        resp = client.get(path, headers=as_("sup-xx"))
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    assert client.post(f"/api/reports/{zz['id']}/send", headers=as_("sup-xx")).status_code == 404
    ids = lambda name: {r["id"] for r in client.get("/api/reports", headers=as_(name)).get_json()["items"]}  # noqa: E731
    assert ids("sup-xx") == {xx["id"]}
    assert ids("sup-hn") == ids("admin1") == {xx["id"], zz["id"]}


def test_invalid_requests_answer_structured_errors(client, as_):
    admin = as_("admin1")
    cases = [
        {"kind": "monthly", "period": "2026"},
        {"kind": "annual", "period": "2026-11"},
        {"kind": "special"},
        {"kind": "special", "start": "2026-11-15", "end": "2026-11-01"},
        {"kind": "weekly", "period": "2026-11"},
        {"kind": "monthly", "period": "2026-13"},
    ]
    for body in cases:
        resp = client.post("/api/reports", json=body, headers=admin)
        assert resp.status_code == 422, (body, resp.get_json())
        assert resp.get_json()["error"]["message"], body
    assert client.get("/api/reports/999999", headers=admin).status_code == 404
    assert client.get("/api/reports/1/download?format=html", headers=admin).status_code == 422


def test_an_annual_and_a_special_report(client, as_):
    admin = as_("admin1")
    annual = client.post("/api/reports", json={"kind": "annual", "period": "2026"}, headers=admin).get_json()
    assert annual["title"] == "全辖区12328交通运输服务监督热线2026年年报"
    assert annual["current"]["data"]["metrics"]["total"]["count"] == 8  # A–G in November, H in October
    # a year the calendar package does not know (2031 in chinesecalendar 1.11): Monday to Friday until the
    # overrides come — 1–3, 6–10, 13–14 January — and the report and its notice say so
    later = client.post("/api/reports", json={"kind": "annual", "period": "2030"}, headers=admin).get_json()
    assert later["due_date"] == "2031-01-14"
    assert "2031年的法定节假日和调休安排尚未收录" in later["current"]["data"]["calendar_warnings"][0]
    notice = client.get("/api/reports/notices", headers=admin).get_json()["items"][0]
    assert notice["report_id"] == later["id"] and "尚未收录" in notice["message"]
    special = client.post(
        "/api/reports",
        json={"kind": "special", "start": "2026-11-02", "end": "2026-11-15", "domain": "公路", "title": "公路专报"},
        headers=admin,
    ).get_json()
    assert special["title"] == "公路专报" and special["due_date"] is None
    assert special["current"]["data"]["metrics"]["total"]["count"] == 2


def test_the_page_is_served(client):
    resp = client.get("/console/reports")
    assert resp.status_code == 200 and "12328 报告" in resp.get_data(as_text=True)
