"""The reports service (webapp/services.py builds it): generate, list, view, edit the narrative (each edit a new
version), send to 本级 and 上一级 with console notices, render a version as DOCX, PDF or XLSX.

Who: admins and supervisors. A supervisor works the reports of their own region and the regions under it (a
prefix: 河南省 covers 河南省新乡市) and receives those sent up to their region; admins see every report.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.clock import utcnow
from hotline.db import Database
from stats.errors import StatsError
from stats.periods import Period
from supervision.scope import region_filter

from . import content, render
from .errors import ReportError, ReportForbidden, ReportNotFound, StaleReport
from .models import Report, ReportNotice, ReportVersion
from .schedule import calendar, due_date

log = logging.getLogger(__name__)

STATES = {"draft": "草稿", "sent": "已发送"}
AUDIENCES = {"analysts": "分析人员", "same_level": "本级", "upper_level": "上一级"}
ROLES = ("admin", "supervisor")
MAX_SECTION = 20000
_DIVISION = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|地区|省|市|州|盟|县|区|旗)")


@dataclass(frozen=True)
class SystemViewer:
    """The scheduled job acting for the whole service."""

    username: str = "system"
    display_name: str = "系统"
    roles: tuple[str, ...] = ("system",)
    region: str = ""


SYSTEM = SystemViewer()


def upper_region(region: str) -> str:
    """The region one level up: 河南省新乡市卫辉市 → 河南省新乡市 → 河南省 → "" (the ministry level)."""
    parts = _DIVISION.findall(region or "")
    if not parts or "".join(parts) != region:
        return ""
    return "".join(parts[:-1])


def _own(viewer) -> str:
    return (getattr(viewer, "region", "") or "").strip()


def _is_admin(viewer) -> bool:
    return "admin" in viewer.roles or "system" in viewer.roles


def _check_role(viewer) -> None:
    if not any(r in viewer.roles for r in (*ROLES, "system")):
        raise ReportForbidden("只有督办人员和管理员可以使用报告")


def _visible(viewer, report: Report) -> bool:
    if _is_admin(viewer):
        return True
    own = _own(viewer)
    if not own or report.region.startswith(own):
        return True
    # a report sent up to the viewer's region
    return report.state == "sent" and upper_region(report.region) == own


def _period(kind: str, start: date, end: date) -> Period:
    if not (2000 <= start.year <= 2100 and 2000 <= end.year <= 2100):
        raise ReportError("统计期间须在2000年至2100年之间", code="invalid_period")
    try:
        period = Period(start, end)
    except StatsError as exc:
        raise ReportError(exc.message, code="invalid_period", details=exc.details) from None
    whole_month = start.day == 1 and (start.year, start.month) == (end.year, end.month)
    if kind == "monthly" and not (whole_month and date.fromordinal(end.toordinal() + 1).day == 1):
        raise ReportError("月报的统计期间须为一个自然月", code="invalid_period")
    if kind == "annual" and not (start == date(start.year, 1, 1) and end == date(start.year, 12, 31)):
        raise ReportError("年报的统计期间须为一个自然年", code="invalid_period")
    return period


def slot_of(kind: str, start: date, region: str) -> str | None:
    if kind == "monthly":
        return f"monthly:{start:%Y-%m}:{region}"
    if kind == "annual":
        return f"annual:{start.year}:{region}"
    return None


def _summary(report: Report) -> dict:
    return {
        "id": report.id,
        "kind": report.kind,
        "kind_label": content.KINDS[report.kind],
        "title": report.title,
        "region": report.region,
        "region_label": content.region_label(report.region),
        "domain": report.domain,
        "period": {"start": report.period_start.isoformat(), "end": report.period_end.isoformat()},
        "due_date": report.due_date.isoformat() if report.due_date else None,
        "state": report.state,
        "state_label": STATES[report.state],
        "version": report.current_version,
        "created_by": report.created_by,
        "created_at": content.china_text(report.created_at),
        "updated_at": content.china_text(report.updated_at),
        "sent_at": content.china_text(report.sent_at),
        "sent_by": report.sent_by,
        "recipients": report.recipients or [],
    }


def _version_dict(v: ReportVersion, with_data: bool = True) -> dict:
    out = {
        "number": v.number,
        "author": v.author,
        "note": v.note,
        "created_at": content.china_text(v.created_at),
        "narrative": v.narrative,
    }
    if with_data:
        out["data"] = v.data
    return out


class Reports:
    def __init__(self, db: Database, topics_fn: content.TopicsFn | None = None):
        self.db = db
        self.topics_fn = topics_fn

    # --- generating -------------------------------------------------------------------------------------------
    def _build(self, s: Session, kind, start, end, region, domain, now, progress) -> tuple[dict, dict]:
        say = progress or (lambda message: None)
        say(f"统计{content.period_label(kind, start, end)}{content.region_label(region)}的工单指标和承办单位评分…")
        data = content.build_data(s, kind, start, end, region, domain, now, topics_fn=None)
        say("归类高频事项…")
        data["topics"] = content._topics(self.topics_fn, start, end, region)
        say("生成概述、主要问题和工作建议…")
        return data, content.narrative(data)

    def _new(self, s, kind, start, end, region, domain, title, author, now, progress) -> Report:
        _period(kind, start, end)
        data, text = self._build(s, kind, start, end, region, domain, now, progress)
        cal = calendar(s)
        due = due_date(kind, end, cal)
        data["calendar_warnings"] = cal.warnings()  # a due date counted without the State Council's holidays
        report = Report(
            kind=kind,
            slot=slot_of(kind, start, region) if not domain else None,
            title=title or content.default_title(kind, start, end, region),
            region=region,
            domain=domain,
            period_start=start,
            period_end=end,
            due_date=due,
            state="draft",
            current_version=1,
            created_by=author,
            created_at=now,
            updated_at=now,
            recipients=[],
        )
        s.add(report)
        s.flush()
        s.add(
            ReportVersion(
                report_id=report.id, number=1, data=data, narrative=text, note="生成", author=author, created_at=now
            )
        )
        return report

    def _notify_analysts(self, s, report: Report, now: datetime) -> None:
        due = f"，应于{report.due_date.month}月{report.due_date.day}日前报送（第三十二条）" if report.due_date else ""
        version = s.scalar(select(ReportVersion).where(ReportVersion.report_id == report.id))
        warnings = (version.data.get("calendar_warnings") or []) if version is not None else []
        if warnings:
            due += "。注意：" + warnings[0]
        s.add(
            ReportNotice(
                report_id=report.id,
                region=report.region,
                audience="analysts",
                message=f"《{report.title}》草稿已生成，请审核修改后发送{due}。",
                created_at=now,
            )
        )

    def draft_regular(
        self, kind: str, start: date, end: date, region: str = "", now=None, progress=None
    ) -> dict | None:
        """The scheduled draft of a monthly or annual report: made once (None when it exists already)."""
        now = now or utcnow()
        slot = slot_of(kind, start, region)
        with self.db.session() as s:
            if s.scalar(select(Report.id).where(Report.slot == slot)) is not None:
                return None
        try:
            with self.db.session() as s:
                report = self._new(s, kind, start, end, region, "", "", "system", now, progress)
                self._notify_analysts(s, report, now)
                s.flush()
                result = _summary(report)
        except IntegrityError:  # another replica drafted it at the same moment
            return None
        log.info("report drafted: %s", result["title"])
        return result

    def generate(
        self,
        viewer,
        kind: str,
        start: date,
        end: date,
        region: str = "",
        domain: str = "",
        title: str = "",
        now=None,
        progress=None,
    ) -> dict:
        """A report generated by hand. A monthly or annual report that exists already gets a new version with the
        figures computed afresh (and the narrative written again) while it is a draft."""
        _check_role(viewer)
        if kind not in content.KINDS:
            raise ReportError("报告类型无效", code="invalid_field", details={"kind": list(content.KINDS)})
        now = now or utcnow()
        region = self._scope(viewer, region)
        title = (title or "").strip()[:200]
        slot = slot_of(kind, start, region) if not domain else None
        with self.db.session() as s:
            existing = s.scalar(select(Report).where(Report.slot == slot)) if slot else None
            if existing is None:
                report = self._new(s, kind, start, end, region, domain, title, viewer.username, now, progress)
                self._notify_analysts(s, report, now)
                s.flush()
                return self._full(s, report)
            if existing.state != "draft":
                raise ReportError("该报告已发送，不能重新生成", code="already_sent", status=409)
            data, text = self._build(s, kind, start, end, region, domain, now, progress)
            self._add_version(s, existing, data, text, viewer.username, "重新生成", now)
            return self._full(s, existing)

    def _scope(self, viewer, region: str) -> str:
        region = (region or "").strip()
        own = _own(viewer)
        if _is_admin(viewer) or not own:
            return region
        if not region:
            return own
        if not region.startswith(own):
            raise ReportForbidden(f"只能生成本辖区（{own}）的报告")
        return region

    # --- reading ----------------------------------------------------------------------------------------------
    def _load(self, s: Session, report_id: int, viewer) -> Report:
        _check_role(viewer)
        report = s.get(Report, report_id)
        if report is None or not _visible(viewer, report):
            raise ReportNotFound("报告不存在")
        return report

    def _version(self, s: Session, report: Report, number: int | None = None) -> ReportVersion:
        v = s.scalar(
            select(ReportVersion).where(
                ReportVersion.report_id == report.id, ReportVersion.number == (number or report.current_version)
            )
        )
        if v is None:
            raise ReportNotFound("该版本不存在")
        return v

    def _full(self, s: Session, report: Report, number: int | None = None) -> dict:
        versions = s.scalars(
            select(ReportVersion).where(ReportVersion.report_id == report.id).order_by(ReportVersion.number.desc())
        ).all()
        current = self._version(s, report, number)
        return {
            **_summary(report),
            "current": _version_dict(current),
            "versions": [_version_dict(v, with_data=False) | {"narrative": None} for v in versions],
            "sections": content.SECTIONS,
        }

    def list(self, viewer, kind: str = "", state: str = "", page: int = 1, per_page: int = 50) -> dict:
        _check_role(viewer)
        with self.db.session() as s:
            query = select(Report)
            if kind:
                query = query.where(Report.kind == kind)
            if state:
                query = query.where(Report.state == state)
            own = _own(viewer)
            if not _is_admin(viewer) and own:
                upper_of_children = Report.state == "sent"
                query = query.where(or_(region_filter(Report.region, own), upper_of_children))
            rows = s.scalars(query.order_by(Report.period_start.desc(), Report.id.desc())).all()
            visible = [r for r in rows if _visible(viewer, r)]
            start = (max(page, 1) - 1) * per_page
            return {
                "total": len(visible),
                "page": page,
                "items": [_summary(r) for r in visible[start : start + per_page]],
                "kinds": content.KINDS,
                "states": STATES,
            }

    def get(self, report_id: int, viewer, version: int | None = None) -> dict:
        with self.db.session() as s:
            return self._full(s, self._load(s, report_id, viewer), version)

    # --- editing and sending ----------------------------------------------------------------------------------
    def _add_version(self, s, report: Report, data: dict, text: dict, author: str, note: str, now) -> None:
        number = report.current_version + 1
        s.add(
            ReportVersion(
                report_id=report.id, number=number, data=data, narrative=text, note=note, author=author, created_at=now
            )
        )
        report.current_version = number
        report.updated_at = now
        s.flush()

    def edit(self, report_id: int, viewer, narrative: dict, base_version: int, note: str = "", now=None) -> dict:
        """A new version with the analyst's narrative (the figures stay those of the version edited)."""
        now = now or utcnow()
        with self.db.session() as s:
            report = self._load(s, report_id, viewer)
            if not _is_admin(viewer) and not report.region.startswith(_own(viewer)):
                raise ReportForbidden("只能修改本辖区的报告")
            if report.state != "draft":
                raise ReportError("该报告已发送，不能修改", code="already_sent", status=409)
            if base_version != report.current_version:
                raise StaleReport(
                    f"报告已有更新的版本（第{report.current_version}版），请刷新后再修改",
                    details={"current_version": report.current_version},
                )
            current = self._version(s, report)
            text = dict(current.narrative)
            for key in content.SECTIONS:
                if key in narrative and narrative[key] is not None:
                    text[key] = str(narrative[key]).strip()[:MAX_SECTION]
            self._add_version(s, report, current.data, text, viewer.username, (note or "修改").strip()[:200], now)
            return self._full(s, report)

    def send(self, report_id: int, viewer, now=None) -> dict:
        """草稿 → 已发送: to the same level (the report's region) and the level above, with a notice for each."""
        now = now or utcnow()
        with self.db.session() as s:
            report = self._load(s, report_id, viewer)
            if not _is_admin(viewer) and not report.region.startswith(_own(viewer)):
                raise ReportForbidden("只能发送本辖区的报告")
            if report.state != "draft":
                raise ReportError("该报告已发送", code="already_sent", status=409)
            upper = upper_region(report.region)
            recipients = [
                {"audience": "same_level", "label": AUDIENCES["same_level"], "region": report.region},
                {"audience": "upper_level", "label": AUDIENCES["upper_level"], "region": upper},
            ]
            for r in recipients:
                s.add(
                    ReportNotice(
                        report_id=report.id,
                        region=r["region"],
                        audience=r["audience"],
                        message=f"收到《{report.title}》（第{report.current_version}版），"
                        f"由{viewer.display_name}于{content.china_text(now)}发送。",
                        created_at=now,
                    )
                )
            report.state, report.sent_at, report.sent_by = "sent", now, viewer.username
            report.recipients = [
                {**r, "region_label": content.region_label(r["region"]) if r["region"] else "交通运输部（全国）"}
                for r in recipients
            ]
            report.updated_at = now
            s.flush()
            return self._full(s, report)

    def notices(self, viewer, limit: int = 50) -> dict:
        """The console notices for the viewer's region (admins: all)."""
        _check_role(viewer)
        with self.db.session() as s:
            query = select(ReportNotice, Report.title).join(Report, Report.id == ReportNotice.report_id)
            if not _is_admin(viewer):
                own = _own(viewer)
                if own:
                    query = query.where(ReportNotice.region == own)
            rows = s.execute(query.order_by(ReportNotice.created_at.desc(), ReportNotice.id.desc()).limit(limit)).all()
            return {
                "items": [
                    {
                        "id": n.id,
                        "report_id": n.report_id,
                        "title": title,
                        "region": n.region,
                        "audience": n.audience,
                        "audience_label": AUDIENCES[n.audience],
                        "message": n.message,
                        "created_at": content.china_text(n.created_at),
                    }
                    for n, title in rows
                ]
            }

    # --- files ------------------------------------------------------------------------------------------------
    def download(self, report_id: int, viewer, fmt: str, version: int | None = None) -> tuple[bytes, str]:
        """The file and its name (without the extension)."""
        with self.db.session() as s:
            report = self._load(s, report_id, viewer)
            v = self._version(s, report, version)
            meta = _summary(report) | {"version": v.number}
            data, text = v.data, v.narrative
        body = render.render(fmt, meta, data, text)
        return body, f"report-{report.id}-v{v.number}"
