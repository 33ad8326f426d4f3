"""Who sees a caller's phone and ID numbers, table-driven (管理办法 第七条; issue 13): every order view × every
role × every way of writing a phone or ID number, through the real HTTP API with real tokens.

Only operators and the unit handling an order see its contact data, and for an anonymous caller only operators.
Everyone else sees masked numbers (139****5678), no phone at all for an anonymous caller, and cannot find an
order by the digits it does not see. Handoff conversations are masked while they wait in the queue and for
staff who are not operators. Notices (wo_notice) are an outbox for the channels, not shown to staff.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from urllib.parse import urlencode

import pytest

from hotline.clock import CHINA
from tests.conftest import make_settings
from webapp import create_app
from work_orders.orders import PHONE_RE

FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA)  # a working day inside service hours

# (name, as written, digits that must stay hidden, as written; a 7-digit local number hides 3) — each hidden
# part occurs nowhere else in the order
FORMATS = [
    ("mobile", "13946015678", "4601"),
    ("mobile with spaces", "139 4602 5678", "4602"),
    ("mobile with hyphens", "139-4603-5678", "4603"),
    ("+86 mobile", "+8613746045678", "4604"),
    ("86 mobile", "8613746050000", "4605"),
    ("full-width mobile", "１３９４６０６５６７８", "４６０６"),
    ("landline with hyphen", "0373-4607234", "460"),
    ("landline in brackets", "(0373)4618234", "461"),
    ("landline in full-width brackets", "（0373）4628234", "462"),
    ("landline with space", "0373 4638234", "463"),
    ("Beijing landline", "010-46491234", "4649"),
    ("ID number", "410102197003071234", "19700307"),
    ("ID number with spaces", "410102 19710408 1234", "19710408"),
    ("ID number with x", "41010219720509123x", "19720509"),
    ("ID number in groups", "4101 0219 7306 1012 3X", "7306"),
    ("mobile in Chinese digits", "一三九四六五零五六七八", "四六五零"),
    ("mobile with 幺", "幺三九四六六幺五六七八", "四六六幺"),
    ("mobile mixed", "139四六七二5678", "四六七二"),
]
ROLES = ["operator", "handling unit", "other unit", "supervisor of the region", "supervisor elsewhere", "admin"]
USERS = {
    "operator": ("op", ["operator"], {}),
    "handling unit": ("bus", ["unit"], {"unit": "bus"}),
    "other unit": ("taxi", ["unit"], {"unit": "taxi"}),
    "supervisor of the region": ("sup", ["supervisor"], {"region": "河南省"}),
    "supervisor elsewhere": ("sup-bj", ["supervisor"], {"region": "北京市"}),
    "admin": ("root", ["admin"], {}),
}
SEES_ORDERS = {"operator", "handling unit", "supervisor of the region", "admin"}
SEES_HANDOFFS = {"operator", "admin"}


def entitled(role: str, anonymous: bool) -> bool:
    """May this role see the caller's numbers in an order (all orders here are handled by the bus unit)?"""
    return role == "operator" or (role == "handling unit" and not anonymous)


@pytest.fixture(scope="module")
def world(tmp_path_factory, embedder):
    app = create_app(make_settings(tmp_path_factory.mktemp("matrix"), HOTLINE_SWEEP_INTERVAL="0"))
    svc = app.extensions["hotline"]
    svc.kb.embedder = embedder
    svc.handoffs.clock = lambda: FRIDAY_10
    units = {
        "bus": svc.work_orders.add_unit("新乡市公交集团", "河南省新乡市", ["城市客运"])["id"],
        "taxi": svc.work_orders.add_unit("郑州市出租汽车管理处", "河南省郑州市", ["城市客运"])["id"],
    }
    client = app.test_client()
    tokens = {}
    for role, (name, roles, extra) in USERS.items():
        svc.accounts.create_user(
            name,
            f"{name}-pass-12345",
            roles,
            name,
            unit_id=units.get(extra.get("unit")),
            region=extra.get("region", ""),
        )
        resp = client.post("/api/auth/login", json={"username": name, "password": f"{name}-pass-12345"})
        tokens[role] = {"Authorization": "Bearer " + resp.get_json()["token"]}
    op, bus = tokens["operator"], tokens["handling unit"]

    orders, handoffs = {}, {}
    for i, (name, raw, _) in enumerate(FORMATS):
        phone = re.sub(r"\s", "", raw) if PHONE_RE.match(re.sub(r"\s", "", raw)) else f"1370000{i:04d}"
        for anonymous in (False, True):
            body = {
                "order_type": "complaint",
                "channel": "phone",
                "domain": "城市客运",
                "region": "河南省新乡市",
                "title": f"司机电话{raw}拒载",
                "target": f"车主{raw}",
                "facts": f"司机留的号码是{raw}",
                "demand": f"请回电{raw}",
                "location": f"{raw}附近的站台",
                "caller_name": "刘女士",
                "caller_phone": phone,
                "anonymous": anonymous,
            }
            resp = client.post("/api/orders", json=body, headers=op)
            assert resp.status_code == 201, resp.get_json()
            number = resp.get_json()["number"]
            steps = [
                (op, "classify", {"note": f"来电人手机{raw}"}),
                (op, "dispatch", {"unit_id": units["bus"]}),
                (bus, "accept", {}),
                (bus, "reply", {"reply": f"已联系{raw}核实"}),
                (op, "callback", {"result": "satisfied", "note": f"回访{raw}满意"}),
            ]
            for headers, action, params in steps:
                resp = client.post(f"/api/orders/{number}/actions/{action}", json={"params": params}, headers=headers)
                assert resp.status_code == 200, (action, resp.get_json())
            resp = client.post(
                f"/api/orders/{number}/attachments",
                headers=op,
                data={"file": (io.BytesIO(b"\xff\xd8\xff" + b"0" * 100), f"{raw}.jpg", "image/jpeg")},
            )
            assert resp.status_code == 201
            orders[name, anonymous] = number
        for taken in (False, True):
            sender = f"web:m{i:02d}{int(taken)}abcdef0123456789"
            handoff_id = svc.handoffs.request(sender, "user_request", [{"who": "user", "text": f"电话{raw}"}])[
                "handoff_id"
            ]
            svc.handoffs.user_message(sender, f"我的号码是{raw}")
            if taken:
                assert client.post(f"/api/handoffs/{handoff_id}/take", headers=op).status_code == 200
            handoffs[name, taken] = handoff_id

    cache: dict = {}

    def get(role: str, path: str):
        if (role, path) not in cache:
            cache[role, path] = client.get(path, headers=tokens[role])
        return cache[role, path]

    return {"client": client, "tokens": tokens, "orders": orders, "handoffs": handoffs, "get": get}


def _text(value) -> str:
    """The content as text, without timestamps (their microseconds could hold any digits)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return re.sub(r"\d{4}-\d{2}-\d{2}T[\d:.]+(?:[+-]\d{2}:\d{2})?", "<time>", text)


def order_views(world, role: str, number: str) -> dict:
    """Each view's part about one order, as this role gets it (None: the role does not get the order)."""
    get = world["get"]
    detail = get(role, f"/api/orders/{number}")
    items = {o["number"]: o for o in get(role, "/api/orders?queue=all").get_json()["items"]}
    rows = {
        r["工单编号"]: r
        for r in csv.DictReader(io.StringIO(get(role, "/api/orders/export?queue=all").data.decode("utf-8-sig")))
    }
    ok = detail.status_code == 200
    return {
        "detail": detail.get_json() if ok else None,
        "timeline": detail.get_json()["events"] if ok else None,
        "list": items.get(number),
        "export": rows.get(number),
    }


@pytest.mark.parametrize("name, raw, hidden", FORMATS, ids=[f[0] for f in FORMATS])
@pytest.mark.parametrize("role", ROLES)
def test_order_views(world, role, name, raw, hidden):
    for anonymous in (False, True):
        number = world["orders"][name, anonymous]
        views = order_views(world, role, number)
        for view, content in views.items():
            if role not in SEES_ORDERS:
                assert content is None, (view, content)
                continue
            assert content is not None, view
            text = _text(content)
            if entitled(role, anonymous):
                assert raw in text, (view, text)  # who contacts the caller sees the number
            else:
                assert raw not in text and hidden not in text, (view, text)
                assert "****" in text or "***" in text, (view, text)
        if role not in SEES_ORDERS:
            assert world["get"](role, f"/api/orders/{number}").status_code == 403
            continue
        detail, row = views["detail"], views["export"]
        if entitled(role, anonymous):
            assert detail["caller_phone"] and "*" not in detail["caller_phone"] and detail["caller_name"] == "刘女士"
        elif anonymous:  # nothing of an anonymous caller outside the operators, not even masked (第七条)
            assert (detail["caller_phone"], detail["caller_name"]) == ("", "匿名")
            assert (row["联系电话"], row["来电人"]) == ("", "匿名")
        else:
            assert "****" in detail["caller_phone"] and detail["caller_name"] == "刘**"
        for field in ("title", "target", "facts", "demand", "location", "reply", "rating_comment"):
            assert (raw in detail[field]) == entitled(role, anonymous), (field, detail[field])
        assert (raw in detail["attachments"][0]["name"]) == entitled(role, anonymous)


@pytest.mark.parametrize("name, raw, hidden", FORMATS, ids=[f[0] for f in FORMATS])
@pytest.mark.parametrize("role", ROLES)
def test_search_finds_nothing_by_digits_the_role_does_not_see(world, role, name, raw, hidden):
    """The probe recovered 139****5678 with q=1391, q=1392, …: a query finds an order by digits only where the
    role sees them, in the list and in the export alike."""
    get = world["get"]
    for q in (hidden, raw):
        query = urlencode({"queue": "all", "q": q})
        listed = {o["number"] for o in get(role, f"/api/orders?{query}").get_json()["items"]}
        exported = {
            r["工单编号"]
            for r in csv.DictReader(io.StringIO(get(role, f"/api/orders/export?{query}").data.decode("utf-8-sig")))
        }
        for anonymous in (False, True):
            number = world["orders"][name, anonymous]
            assert (number in listed) == (number in exported) == entitled(role, anonymous), (q, anonymous)


@pytest.mark.parametrize("name, raw, hidden", FORMATS, ids=[f[0] for f in FORMATS])
@pytest.mark.parametrize("role", ROLES)
def test_handoff_views(world, role, name, raw, hidden):
    get = world["get"]
    queue = get(role, "/api/handoffs")
    if role not in SEES_HANDOFFS:
        assert queue.status_code == 403
    else:
        items = {h["id"]: h for h in queue.get_json()["items"]}
        for taken in (False, True):
            item = items[world["handoffs"][name, taken]]
            assert item["masked"] is True and raw not in _text(item) and hidden not in _text(item), item
    for taken in (False, True):
        handoff_id = world["handoffs"][name, taken]
        detail = get(role, f"/api/handoffs/{handoff_id}")
        messages = get(role, f"/api/handoffs/{handoff_id}/messages?after=0")
        if role not in SEES_HANDOFFS:
            assert detail.status_code == messages.status_code == 403
            continue
        serving = taken and role == "operator"  # the operators talking to the user see what the user wrote
        for body in (detail.get_json(), messages.get_json()):
            text = _text(body)
            if serving:
                assert raw in text, text
            else:
                assert raw not in text and hidden not in text, text
        assert detail.get_json()["masked"] is not serving


def test_notices_are_not_shown_to_staff(world):
    paths = world["client"].get("/api/openapi.json").get_json()["paths"]
    # if one is added, add it to the matrix above (the report notices are: test_reports_mask_every_number)
    assert not [p for p in paths if "notice" in p.lower() and p != "/api/reports/notices"]


def _report_text(client, headers, report: dict) -> str:
    """A report as its viewer gets it: the JSON (figures, topics, narrative) and the DOCX, PDF and XLSX text."""
    import openpyxl
    from docx import Document
    from pypdf import PdfReader

    parts = [_text(report)]
    for fmt in ("docx", "pdf", "xlsx"):
        resp = client.get(f"/api/reports/{report['id']}/download?format={fmt}", headers=headers)
        assert resp.status_code == 200, resp.get_json()
        if fmt == "docx":
            doc = Document(io.BytesIO(resp.data))
            parts += [p.text for p in doc.paragraphs]
            parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
        elif fmt == "pdf":
            parts += [page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages]
        else:
            book = openpyxl.load_workbook(io.BytesIO(resp.data))
            parts += [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v]
    return "\n".join(parts)


@pytest.mark.parametrize("role", ["supervisor of the region", "admin"])
def test_reports_mask_every_number(world, role):
    """A monthly report of the orders above — topics with their examples, the narrative, the files — holds no
    caller's phone or ID number in any of the ways it was written; nor do the report notices."""
    from hotline.clock import local_date, utcnow

    client, headers = world["client"], world["tokens"][role]
    month = local_date(utcnow()).strftime("%Y-%m")
    resp = client.post("/api/reports", json={"kind": "monthly", "period": month}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    report = resp.get_json()
    assert report["current"]["data"]["metrics"]["total"]["count"] == 2 * len(FORMATS)
    topics = report["current"]["data"]["topics"]
    assert topics["available"] and topics["items"][0]["examples"]  # the callers' own words are in the report
    text = _report_text(client, headers, report)
    notices = _text(client.get("/api/reports/notices", headers=headers).get_json())
    for name, raw, hidden in FORMATS:
        assert raw not in text and hidden not in text, name
        assert hidden not in notices, name


@pytest.mark.parametrize("role", ROLES)
def test_hot_policy_push_reports_are_for_publishers_and_admins_only(world, role):
    """The delivery reports name drivers' WeChat accounts (masked openids): no operator, unit or supervisor
    reads them (tests/test_wechat_push_api.py covers publishers and the masking)."""
    resp = world["get"](role, "/api/push/campaigns")
    assert resp.status_code == (200 if role == "admin" else 403)
