"""Reports (第三十二条): `report` generates one by hand (a monthly, annual or special report, with its progress
printed, optionally written as DOCX/PDF/XLSX files) and `report-due` drafts the regular reports that are due now
(what the daily job does; drafts that exist already are left alone)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from hotline.clock import utcnow
from hotline.errors import HotlineError
from hotline.settings import load_settings
from reports import schedule
from reports.service import SYSTEM
from webapp.services import build_services


def _say(message: str) -> None:
    click.echo(f"… {message}")


def _period(kind: str, period: str, start, end) -> tuple[date, date]:
    try:
        if kind in ("monthly", "annual"):
            parts = [int(p) for p in period.split("-")]
            if not 2000 <= parts[0] <= 2100 or len(parts) != (2 if kind == "monthly" else 1):
                raise ValueError(period)
            if kind == "monthly":
                return schedule.month_bounds(parts[0], parts[1])
            return date(parts[0], 1, 1), date(parts[0], 12, 31)
    except (ValueError, TypeError):
        sys.exit("期间格式：月报 YYYY-MM，年报 YYYY（2000–2100年）")
    if not (start and end):
        sys.exit("专报须给出 --start 和 --end")
    return start.date(), end.date()


@click.command("report")
@click.option("--kind", type=click.Choice(["monthly", "annual", "special"]), default="monthly", show_default=True)
@click.option("--period", default="", help="月报 YYYY-MM，年报 YYYY")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="专报开始日期（含）")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="专报结束日期（含）")
@click.option("--region", default="", help="地区，如 河南省新乡市（默认全辖区）")
@click.option("--domain", default="", help="业务领域（专报）")
@click.option("--title", default="", help="标题（默认按类型和期间）")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="把 DOCX、PDF、XLSX 写入该目录")
def report(kind, period, start, end, region, domain, title, out):
    """Generate a report now (a draft; an existing monthly/annual draft gets a new version)."""
    first, last = _period(kind, period, start, end)
    services = build_services(load_settings())
    try:
        result = services.reports.generate(SYSTEM, kind, first, last, region, domain, title, progress=_say)
        click.echo(f"报告 {result['id']}：《{result['title']}》第{result['version']}版（{result['state_label']}）")
        if result["due_date"]:
            click.echo(f"报送期限：{result['due_date']}")
        if out:
            out.mkdir(parents=True, exist_ok=True)
            for fmt in ("docx", "pdf", "xlsx"):
                _say(f"生成 {fmt.upper()} …")
                body, name = services.reports.download(result["id"], SYSTEM, fmt)
                (out / f"{name}.{fmt}").write_bytes(body)
                click.echo(f"已写入 {out / f'{name}.{fmt}'}")
    except HotlineError as exc:
        sys.exit(exc.message)


@click.command("report-due")
def report_due():
    """Draft the monthly and annual reports that are due now and do not exist yet (as the daily job does)."""
    services = build_services(load_settings())
    made = schedule.draft_due(services.db, services.reports, utcnow(), progress=_say)
    for r in made:
        click.echo(f"已生成草稿 {r['id']}：《{r['title']}》，报送期限 {r['due_date']}")
    click.echo(f"新生成 {len(made)} 份报告草稿")


COMMANDS = (report, report_due)
