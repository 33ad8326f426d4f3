"""Reports (第三十二条): figures and narrative from the hand-computed province of tests/stats_world.py, due dates on
the working-day calendar (National Day 2026, a year the calendar package does not know), versions, sending with
notices, region scoping, the idempotent scheduled draft, and the DOCX/PDF/XLSX files read back."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from docx import Document
from pypdf import PdfReader

from accounts.service import Principal
from hotline.clock import CHINA
from reports import render, schedule
from reports.errors import FontMissing, ReportError, ReportForbidden, ReportNotFound, StaleReport
from reports.models import Report, ReportNotice
from reports.service import Reports, upper_region
from supervision.topics import HighFrequency
from tests import stats_world as w
from tests.fakes import HashEmbedder
from work_orders.calendar import WorkCalendar
from work_orders.models import CalendarOverride
from work_orders.service import WorkOrders

ADMIN = Principal(1, "admin1", "管理员", ("admin",))
SUP_XX = Principal(2, "sup-xx", "新乡督办", ("supervisor",), None, w.XINXIANG)
SUP_HN = Principal(3, "sup-hn", "河南督办", ("supervisor",), None, "河南省")
SUP_ZZ = Principal(4, "sup-zz", "郑州督办", ("supervisor",), None, w.ZHENGZHOU)
OPERATOR = Principal(5, "op", "座席", ("operator",))
PHONE = "13912345678"


def fixed_topics(start, end, region):
    """A stand-in for the semantic grouping: one topic whose example quotes a caller's phone."""
    return {
        "total": 5,
        "topics": [
            {
                "label": "出租车拒载",
                "keywords": ["出租车", "拒载"],
                "count": 3,
                "previous": 1,
                "growth": 2.0,
                "examples": [f"出租车拒载，我的电话{PHONE}"],
                "places": [{"name": "新乡东站", "count": 2}],
                "targets": [{"name": w.PLATE, "count": 2}],
            }
        ],
    }


@pytest.fixture
def world(db):
    wo = WorkOrders(db, callback_sample_rate=0.0)
    built = w.build(wo)
    w.add_conversations(db)
    return db, built


@pytest.fixture
def reports(world):
    db, _ = world
    return Reports(db, topics_fn=fixed_topics)


def monthly(reports, viewer=ADMIN, region=w.XINXIANG):
    return reports.generate(viewer, "monthly", date(2026, 11, 1), date(2026, 11, 30), region, now=w.NOW)


# --- figures and narrative ----------------------------------------------------------------------------------------
def test_monthly_figures_and_narrative_are_the_hand_computed_ones(reports):
    r = monthly(reports)
    data, text = r["current"]["data"], r["current"]["narrative"]
    # November: A–F in Xinxiang; October (环比) only H; November 2025 (同比) I and J
    assert data["metrics"]["total"] == {"count": 6, "previous": 1, "last_year": 2, "mom": 5.0, "yoy": 2.0}
    assert r["title"] == "河南省新乡市12328交通运输服务监督热线2026年11月月报"
    assert text["overview"].startswith(
        "2026年11月，河南省新乡市12328热线共受理群众诉求6件，环比增长500.0%（上期1件），同比增长200.0%（去年同期2件）。"
        "其中投诉举报3件（占50.0%），信息咨询2件（占33.3%），意见建议1件（占16.7%）。"
    )
    # rates of tests/test_stats_metrics.py: dispatch 3/4, completion 2/4, instant 1/2, callback 1/2, satisfaction 1/2
    assert "按时转办率75.0%，按期办结率50.0%，即时答复率50.0%，按期回访率50.0%，满意率50.0%。" in text["overview"]
    assert "一是高频事项集中：“出租车拒载”3件（环比增长200.0%）。" in text["problems"]
    assert "按期办结率50.0%（低于90%）" in text["problems"]
    assert "超期办理2件，超期率50.0%；重复投诉1件。" in text["problems"]
    assert "督促承办单位严格落实办理时限" in text["suggestions"]
    # the caller's phone in a topic's example is masked in the snapshot
    example = data["topics"]["items"][0]["examples"][0]
    assert PHONE not in example and "出租车拒载" in example
    # the unit scores of the month: the taxi office and the bus company have orders; Zhengzhou is out of scope
    assert {u["name"] for u in data["scores"]["units"]} == {"新乡市出租汽车管理处", "新乡市公交集团"}
    assert r["due_date"] == "2026-12-07"  # 5th working day of December 2026 (1–4 Dec Tue–Fri, then Mon 7 Dec)
    assert r["state"] == "draft" and r["version"] == 1


def test_the_real_grouping_feeds_the_high_frequency_section(world):
    db, _ = world
    hf = HighFrequency(db, HashEmbedder())
    viewer = schedule_viewer = Principal(0, "system", "系统", ("admin",))
    fn = lambda start, end, region: hf.topics(schedule_viewer, start, end, region=region, limit=10)  # noqa: E731
    r = Reports(db, topics_fn=fn).generate(
        viewer, "monthly", date(2026, 11, 1), date(2026, 11, 30), w.XINXIANG, now=w.NOW
    )
    topics = r["current"]["data"]["topics"]
    assert topics["available"] is True
    # 3 complaints and 2 consultations of November in Xinxiang (the knowledge gap names no place in the region)
    assert topics["total"] == 5 and sum(t["count"] for t in topics["items"]) == 5


def test_without_a_grouping_model_the_section_says_why(world):
    db, _ = world
    r = Reports(db).generate(ADMIN, "monthly", date(2026, 11, 1), date(2026, 11, 30), w.XINXIANG, now=w.NOW)
    topics = r["current"]["data"]["topics"]
    assert topics["available"] is False and "未配置" in topics["reason"]
    assert "高频事项" not in r["current"]["narrative"]["problems"]


def test_a_special_report_on_any_period_and_domain(reports):
    r = reports.generate(ADMIN, "special", w.START, w.END, w.XINXIANG, domain="公路", title="公路通行专报", now=w.NOW)
    m = r["current"]["data"]["metrics"]
    assert (m["total"]["count"], m["total"]["last_year"]) == (2, 1)  # C and D; J a year ago
    assert r["title"] == "公路通行专报" and r["due_date"] is None
    assert r["current"]["narrative"]["overview"].startswith("2026年11月2日至11月15日，河南省新乡市公路领域")
    # special reports have no slot: a second one is another report
    again = reports.generate(ADMIN, "special", w.START, w.END, w.XINXIANG, domain="公路", now=w.NOW)
    assert again["id"] != r["id"]


def test_a_monthly_report_must_cover_a_calendar_month(reports):
    with pytest.raises(ReportError):
        reports.generate(ADMIN, "monthly", date(2026, 11, 2), date(2026, 11, 30), now=w.NOW)
    with pytest.raises(ReportError):
        reports.generate(ADMIN, "annual", date(2026, 1, 1), date(2026, 11, 30), now=w.NOW)


# --- versions, sending, notices -----------------------------------------------------------------------------------
def test_each_edit_makes_a_version_and_sending_notifies_both_levels(reports, world):
    db, _ = world
    r = monthly(reports, SUP_XX)
    edited = reports.edit(
        r["id"], SUP_XX, {"overview": "分析人员改写的概述。"}, base_version=1, note="改概述", now=w.NOW
    )
    assert edited["version"] == 2
    assert edited["current"]["narrative"]["overview"] == "分析人员改写的概述。"
    assert edited["current"]["narrative"]["problems"] == r["current"]["narrative"]["problems"]
    assert edited["current"]["data"] == r["current"]["data"]  # the figures stay those of the version edited
    assert [v["number"] for v in edited["versions"]] == [2, 1]
    assert edited["versions"][0]["note"] == "改概述" and edited["versions"][0]["author"] == "sup-xx"
    # the first version is still there, unchanged
    assert reports.get(r["id"], SUP_XX, version=1)["current"]["narrative"] == r["current"]["narrative"]
    with pytest.raises(StaleReport):  # based on a version that is no longer current
        reports.edit(r["id"], SUP_XX, {"overview": "旧版本上的修改"}, base_version=1)
    # regenerating a draft adds a version with the figures computed afresh
    again = monthly(reports, SUP_XX)
    assert (again["id"], again["version"]) == (r["id"], 3)
    assert again["current"]["narrative"]["overview"] == r["current"]["narrative"]["overview"]

    sent = reports.send(r["id"], SUP_XX, now=w.NOW)
    assert sent["state"] == "sent" and sent["state_label"] == "已发送"
    assert [(x["audience"], x["region"]) for x in sent["recipients"]] == [
        ("same_level", w.XINXIANG),
        ("upper_level", "河南省"),
    ]
    with pytest.raises(ReportError):
        reports.edit(r["id"], SUP_XX, {"overview": "发送后修改"}, base_version=3)
    with pytest.raises(ReportError):
        reports.send(r["id"], SUP_XX)
    mine = reports.notices(SUP_XX)["items"]
    assert [n["audience"] for n in mine] == ["same_level", "analysts"]
    assert "草稿已生成" in mine[1]["message"] and "12月7日前报送" in mine[1]["message"]
    upper = reports.notices(SUP_HN)["items"]
    assert [n["audience"] for n in upper] == ["upper_level"] and "新乡督办" in upper[0]["message"]
    assert reports.notices(SUP_ZZ)["items"] == []


def test_upper_region():
    assert upper_region("河南省新乡市卫辉市") == "河南省新乡市"
    assert upper_region("河南省新乡市") == "河南省"
    assert upper_region("河南省") == ""
    assert upper_region("广西壮族自治区南宁市") == "广西壮族自治区"
    assert upper_region("") == ""


# --- role scoping -------------------------------------------------------------------------------------------------
def test_a_supervisor_sees_their_regions_reports_only(reports):
    xx = monthly(reports, SUP_XX)
    zz = reports.generate(SUP_ZZ, "monthly", date(2026, 11, 1), date(2026, 11, 30), now=w.NOW)
    province = monthly(reports, ADMIN, region="")
    assert zz["region"] == w.ZHENGZHOU  # a supervisor's report is of their own region by default
    assert zz["current"]["data"]["metrics"]["total"]["count"] == 1  # G
    assert {r["id"] for r in reports.list(SUP_XX)["items"]} == {xx["id"]}
    assert {r["id"] for r in reports.list(SUP_HN)["items"]} == {xx["id"], zz["id"]}  # 河南省 covers both cities
    assert {r["id"] for r in reports.list(ADMIN)["items"]} == {xx["id"], zz["id"], province["id"]}
    with pytest.raises(ReportNotFound):
        reports.get(zz["id"], SUP_XX)
    with pytest.raises(ReportNotFound):
        reports.get(province["id"], SUP_HN)
    with pytest.raises(ReportForbidden):
        reports.generate(SUP_XX, "monthly", date(2026, 10, 1), date(2026, 10, 31), w.ZHENGZHOU)
    with pytest.raises(ReportForbidden):
        reports.list(OPERATOR)
    # the province's supervisor reads (and may work) the reports of the cities under it
    assert reports.get(xx["id"], SUP_HN)["id"] == xx["id"]
    with pytest.raises(ReportNotFound):
        reports.download(zz["id"], SUP_XX, "xlsx")


# --- due dates ----------------------------------------------------------------------------------------------------
def test_due_dates_across_national_day_2026():
    cal = WorkCalendar()
    # September's report: 1–7 October are holidays (chinesecalendar; tests/test_work_calendar.py), Saturday
    # 10 October an adjusted working day (调休), Sunday 11 October off: working days 8, 9, 10, 12, 13 → the 13th
    assert schedule.due_date("monthly", date(2026, 9, 30), cal) == date(2026, 10, 13)
    # with the 8th taken off as well by an override, the 14th
    eighth_off = WorkCalendar({date(2026, 10, 8): False})
    assert schedule.due_date("monthly", date(2026, 9, 30), eighth_off) == date(2026, 10, 14)
    # October's report: 2, 3, 4, 5, 6 November (Mon–Fri) → the 6th
    assert schedule.due_date("monthly", date(2026, 10, 31), cal) == date(2026, 11, 6)
    assert schedule.due_date("special", date(2026, 10, 31), cal) is None


def test_due_dates_in_a_year_the_calendar_does_not_know_follow_the_overrides():
    plain = WorkCalendar()
    # 2031: no State Council data, Monday to Friday: 1 January 2031 is a Wednesday → 1, 2, 3, 6, 7 … 14
    assert schedule.due_date("annual", date(2030, 12, 31), plain) == date(2031, 1, 14)
    assert schedule.due_date("monthly", date(2030, 12, 31), plain) == date(2031, 1, 7)
    assert 2031 in plain.unknown_years
    # the operators enter 1–2 January as holidays and Saturday 4 January as an adjusted working day:
    # 3, 4, 6, 7, 8 → the 8th; for the annual report 9, 10, 13, 14, 15 follow → the 15th
    cal = WorkCalendar({date(2031, 1, 1): False, date(2031, 1, 2): False, date(2031, 1, 4): True})
    assert schedule.due_date("monthly", date(2030, 12, 31), cal) == date(2031, 1, 8)
    assert schedule.due_date("annual", date(2030, 12, 31), cal) == date(2031, 1, 15)


def test_the_database_overrides_reach_the_due_date(world, reports):
    db, _ = world
    with db.session() as s:
        s.add(CalendarOverride(day=date(2026, 12, 7), workday=False, note="测试", author="t"))
    r = monthly(reports)
    assert r["due_date"] == "2026-12-08"


# --- the scheduled draft ------------------------------------------------------------------------------------------
def test_the_daily_job_drafts_each_report_once(world, reports, monkeypatch):
    db, _ = world
    from accounts.models import User

    with db.session() as s:
        s.add(User(username="sup-xx", display_name="督办", password_hash="x", roles=["supervisor"], region=w.XINXIANG))
    lines = []
    day = datetime(2026, 12, 1, 1, 0, tzinfo=CHINA)
    made = schedule.run(db, reports, now=day, progress=lines.append, owner="a")
    assert sorted((m["kind"], m["region"]) for m in made) == [("monthly", ""), ("monthly", w.XINXIANG)]
    assert any("归类高频事项" in line for line in lines)
    # another replica in the same turn: the lease is taken
    assert schedule.run(db, reports, now=day, owner="b") is None
    # the next day: the lease is free again, but the reports exist
    assert schedule.run(db, reports, now=datetime(2026, 12, 2, 1, 0, tzinfo=CHINA), owner="b") == []
    # and two replicas that both got past the check: the slot keeps one
    assert reports.draft_regular("monthly", date(2026, 11, 1), date(2026, 11, 30), w.XINXIANG, now=day) is None
    with db.session() as s:
        assert s.query(Report).count() == 2
        notices = s.query(ReportNotice).filter_by(audience="analysts").all()
        assert len(notices) == 2 and all("草稿已生成" in n.message for n in notices)
    # in January the annual report of the year just ended is drafted as well
    made = schedule.run(db, reports, now=datetime(2027, 1, 4, 1, 0, tzinfo=CHINA), owner="a")
    assert sorted((m["kind"], m["period"]["start"]) for m in made if m["region"] == "") == [
        ("annual", "2026-01-01"),
        ("monthly", "2026-12-01"),
    ]


def test_the_slot_rejects_a_second_draft_at_the_same_moment(world, reports):
    db, _ = world
    first = reports.draft_regular("monthly", date(2026, 11, 1), date(2026, 11, 30), "", now=w.NOW)
    assert first is not None
    with db.session() as s:
        assert s.query(Report).filter_by(slot="monthly:2026-11:").count() == 1


# --- files --------------------------------------------------------------------------------------------------------
def test_docx_pdf_and_xlsx_hold_the_chinese_text_and_the_charts(reports):
    r = monthly(reports, SUP_XX)
    reports.edit(r["id"], SUP_XX, {"suggestions": f"联系人电话{PHONE}，请加强督办。"}, base_version=1)

    body, name = reports.download(r["id"], SUP_XX, "docx")
    assert name == f"report-{r['id']}-v2"
    doc = Document(io.BytesIO(body))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "河南省新乡市12328交通运输服务监督热线2026年11月月报" in text
    assert "共受理群众诉求6件" in text and "一、概述" in text and "三、工作建议" in text
    assert "请加强督办" in text
    assert len(doc.inline_shapes) >= 3  # the charts
    assert any(rel.reltype.endswith("/image") for rel in doc.part.rels.values())
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert {"投诉举报", "新乡市出租汽车管理处", "出租车拒载"} <= cells

    body, _ = reports.download(r["id"], SUP_XX, "pdf")
    pdf = PdfReader(io.BytesIO(body))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "2026年11月月报" in text and "共受理群众诉求6件" in text and "按期办结率" in text
    images = [img for page in pdf.pages for img in page.images]
    assert len(images) >= 3
    fonts = {str(f) for page in pdf.pages for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values()}
    assert fonts  # the embedded CJK font

    body, _ = reports.download(r["id"], SUP_XX, "xlsx", version=1)
    book = openpyxl.load_workbook(io.BytesIO(body))
    assert {"报告", "概览", "按诉求类型", "高频事项", "问题清单", "承办单位评分"} <= set(book.sheetnames)
    overview = {row[0]: row[1] for row in book["概览"].iter_rows(min_row=2, values_only=True)}
    assert overview["受理总量"] == 6
    topics = list(book["高频事项"].iter_rows(min_row=2, values_only=True))
    assert topics[0][1] == "出租车拒载" and PHONE not in topics[0][8]
    first = {row[0]: row[1] for row in book["报告"].iter_rows(min_row=2, values_only=True)}
    assert "请加强督办" not in first["工作建议"]  # version 1: before the edit


def test_rendering_fails_clearly_without_the_font(reports, monkeypatch):
    r = monthly(reports)
    monkeypatch.setattr(render, "FONT_CANDIDATES", ("/nonexistent/font.ttc",))
    monkeypatch.setenv("HOTLINE_CJK_FONT", "/nonexistent/other.ttc")
    with pytest.raises(FontMissing) as caught:
        reports.download(r["id"], ADMIN, "pdf")
    assert "fonts-wqy-zenhei" in caught.value.message and caught.value.status == 503
