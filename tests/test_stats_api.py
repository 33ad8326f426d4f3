"""The statistics API over HTTP: who may see what (a supervisor only their region, the public page nothing
personal), the score scheme and reply flags, and the exports' contents (every field, China time, masked per role).

Figures that depend on the moment (what is overdue now) are checked in tests/test_stats_*.py with a frozen clock;
here only what the real clock cannot change."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from hotline.tabular import XLSX_TYPE
from tests import stats_world as w

PERIOD = f"start={w.START}&end={w.END}"


@pytest.fixture
def app_env():
    return {"HOTLINE_SWEEP_INTERVAL": "0", "HOTLINE_CALLBACK_SAMPLE_RATE": "0"}


@pytest.fixture
def world(app):
    svc = app.extensions["hotline"]
    built = w.build(svc.work_orders)
    taxi = built["units"]["taxi"]["id"]
    for name, roles, extra in (
        ("op", ["operator"], {}),
        ("admin1", ["admin"], {}),
        ("sup-xx", ["supervisor"], {"region": w.XINXIANG}),
        ("sup-hn", ["supervisor"], {"region": "河南省"}),
        ("taxi", ["unit"], {"unit_id": taxi}),
        ("ed", ["editor"], {}),
    ):
        svc.accounts.create_user(name, f"{name}-pass-123", roles, name, **extra)
    return built


@pytest.fixture
def as_(client, login, world):
    return lambda name: login(client, name, f"{name}-pass-123")


def test_who_may_see_the_statistics(client, as_):
    assert client.get(f"/api/stats/metrics?{PERIOD}").status_code == 401
    for name in ("taxi", "ed"):
        resp = client.get(f"/api/stats/metrics?{PERIOD}", headers=as_(name))
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"
    totals = {}
    for name in ("op", "admin1", "sup-xx", "sup-hn"):
        body = client.get(f"/api/stats/metrics?{PERIOD}", headers=as_(name)).get_json()
        totals[name] = (body["scope"]["region"], body["total"]["count"])
    assert totals == {"op": ("", 7), "admin1": ("", 7), "sup-xx": (w.XINXIANG, 6), "sup-hn": ("河南省", 7)}


def test_a_supervisor_sees_only_their_region(client, as_):
    sup = as_("sup-xx")
    for path in ("metrics", "dashboard", "weekly-bulletin", "scores", "metrics/export", "scores/export"):
        resp = client.get(f"/api/stats/{path}?region={w.ZHENGZHOU}", headers=sup)
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden", path
    narrower = client.get(f"/api/stats/metrics?{PERIOD}&region={w.XINXIANG}红旗区", headers=sup).get_json()
    assert narrower["total"]["count"] == 0
    board = client.get("/api/stats/dashboard", headers=sup).get_json()
    assert board["scope"]["region"] == w.XINXIANG
    scores = client.get("/api/stats/scores?month=2026-11", headers=sup).get_json()
    assert {u["name"] for u in scores["units"]} == {"新乡市出租汽车管理处", "新乡市公交集团"}
    province = client.get("/api/stats/scores?month=2026-11", headers=as_("sup-hn")).get_json()
    assert "郑州市交通运输局" in {u["name"] for u in province["units"]}


def test_the_public_bulletin_needs_no_login_and_shows_nothing_personal(client, world):
    resp = client.get("/api/public/scores?month=2026-11&region=河南省")
    assert resp.status_code == 200
    body = resp.get_json()
    assert [u["name"] for u in body["units"]] == ["新乡市公交集团", "新乡市出租汽车管理处"]
    text = json.dumps(body, ensure_ascii=False)
    for private in (w.CALLER, "138****0001", w.PLATE, "反映的问题", "的经过", "已处理", "taxi-staff", "number"):
        assert private not in text
    page = client.get("/bulletin")
    assert page.status_code == 200 and w.CALLER not in page.get_data(as_text=True)
    assert client.get("/api/public/scores?month=2026-13").status_code == 422


def test_the_score_scheme_and_reply_flags(client, as_, world):
    sup = as_("sup-xx")
    body = {"region": w.XINXIANG, "weights": {"completion": 60, "satisfaction": 40}, "lowest": 2}
    resp = client.put("/api/stats/score-scheme", json=body, headers=sup)
    assert resp.status_code == 200 and resp.get_json()["weights"]["completion"] == 60
    assert client.get(f"/api/stats/score-scheme?region={w.XINXIANG}", headers=sup).get_json()["lowest"] == 2
    elsewhere = client.put("/api/stats/score-scheme", json={**body, "region": w.ZHENGZHOU}, headers=sup)
    assert elsewhere.status_code == 403
    assert client.put("/api/stats/score-scheme", json=body, headers=as_("op")).status_code == 403
    bad = client.put("/api/stats/score-scheme", json={**body, "weights": {"speed": 5}}, headers=sup)
    assert bad.status_code == 422
    number = world["numbers"]["A"]
    flagged = client.put(f"/api/orders/{number}/reply-flag", json={"flag": "poor"}, headers=sup)
    assert flagged.status_code == 200 and flagged.get_json()["reply_flag_label"] == "不合格"
    assert client.put(f"/api/orders/{number}/reply-flag", json={"flag": "ok"}, headers=as_("taxi")).status_code == 403
    detail = client.get(f"/api/orders/{number}", headers=as_("op")).get_json()
    assert detail["reply_flag"] == "poor" and detail["accepted_at"] and detail["callback_at"]


def _xlsx(resp) -> dict[str, list[list]]:
    assert resp.status_code == 200 and resp.mimetype == XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def test_queue_exports_carry_every_field_in_china_time_masked_per_role(client, as_, world):
    numbers = world["numbers"]
    sheets = _xlsx(client.get("/api/orders/export?queue=all&format=xlsx", headers=as_("op")))
    (rows,) = sheets.values()
    header, records = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    for column in ("办结时间", "评价", "回访结果", "回访时间", "是否延期", "延期天数", "签收时间", "转办时间"):
        assert column in header
    a, e = records[numbers["A"]], records[numbers["E"]]
    assert (a["受理时间"], a["转办时间"], a["签收时间"]) == ("2026-11-02 09:00", "2026-11-02 11:00", "2026-11-02 12:00")
    assert (a["办结时间"], a["回访时间"], a["回访结果"], a["评价"]) == (
        "2026-11-03 10:00",
        "2026-11-05 10:00",
        "满意",
        "满意",
    )
    assert (a["联系电话"], a["类型"], a["承办单位"]) == (w.CALLER, "投诉举报", "新乡市出租汽车管理处")
    assert (e["是否延期"], e["延期天数"], e["办理期限"]) == ("是", 3, "2026-11-13 23:59")
    assert records[numbers["B"]]["评价"] == "不满意"

    csv_resp = client.get("/api/orders/export?queue=all", headers=as_("sup-xx"))
    assert csv_resp.status_code == 200 and csv_resp.mimetype == "text/csv"
    text = csv_resp.data.decode("utf-8-sig")
    masked = {r["工单编号"]: r for r in csv.DictReader(io.StringIO(text))}
    assert numbers["G"] not in masked  # Zhengzhou's
    assert masked[numbers["A"]]["联系电话"] == "138****0001" and w.CALLER not in text
    assert masked[numbers["A"]]["办结时间"] == "2026-11-03 10:00" and "T09:" not in text
    assert masked[numbers["F"]]["来电人"] == "匿名"


def test_metric_exports(client, as_):
    sheets = _xlsx(client.get(f"/api/stats/metrics/export?{PERIOD}", headers=as_("sup-xx")))
    assert list(sheets) == ["概览", "按诉求类型", "按业务领域", "按渠道", "按地区", "分类明细", "智能助手"]
    overview = {row[0]: row for row in sheets["概览"]}
    assert overview["受理总量"][1:4] == [6, 1, 2] and overview["地区"][1] == w.XINXIANG
    assert overview["退回率"][1:4] == ["25.0%", 1, 4]
    by_type = {row[0]: row for row in sheets["按诉求类型"]}
    assert by_type["投诉举报"][1:6] == [3, 1, 1, "增长200.0%", "增长200.0%"]
    csv_text = client.get(f"/api/stats/metrics/export?{PERIOD}&format=csv", headers=as_("sup-xx")).data.decode(
        "utf-8-sig"
    )
    assert "概览" in csv_text and "受理总量,6,1,2" in csv_text
    scores = _xlsx(client.get("/api/stats/scores/export?month=2026-11", headers=as_("sup-xx")))
    assert {row[1] for row in scores["承办单位评分"][1:]} == {"新乡市出租汽车管理处", "新乡市公交集团"}


def test_spreadsheet_cells_are_never_formulas_or_illegal_characters():
    from hotline.tabular import csv_text, xlsx_bytes

    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([("表", ["名称"], [["=HYPERLINK(1)"], ["单位\x0b名\x01"]])])))
    cells = [c for row in book["表"].iter_rows(min_row=2) for c in row]
    assert [(c.value, c.data_type) for c in cells] == [("=HYPERLINK(1)", "s"), ("单位名", "s")]
    assert csv_text(["名称"], [["=1+1"], ["@x"]]).splitlines()[1:] == ["'=1+1", "'@x"]
