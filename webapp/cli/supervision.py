"""Supervision: `topics` (high-frequency matters of a period, with a progress bar) and `surge-check` (one run of
the surge detection, outside its schedule)."""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta

import click
from tqdm import tqdm

from hotline.clock import CHINA, china_time, utcnow
from hotline.errors import HotlineError
from hotline.settings import load_settings
from supervision import surges
from supervision.service import Supervision
from webapp.services import build_services
from work_orders.service import System


class _Bars:
    """One tqdm bar per stage of the grouping (embedding, clustering)."""

    def __init__(self):
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc={"embed": "向量化", "cluster": "聚类"}.get(stage, stage))
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@click.command("topics")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="开始日期（含），默认本月1日")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="结束日期（含），默认今天")
@click.option("--region", default="", help="地区，如 河南省新乡市（默认全部）")
@click.option("--type", "types", multiple=True, default=("complaint", "consultation"), help="诉求类型（可多次）")
@click.option("--limit", default=20, show_default=True)
def topics(start, end, region, types, limit):
    """High-frequency matters (高频事项) of a period: topics ranked by count and growth."""
    today = china_time(utcnow()).date()
    first = start.date() if start else today.replace(day=1)
    last = end.date() if end else today
    services = build_services(load_settings())
    supervision: Supervision = services.supervision
    bars = _Bars()
    try:
        result = supervision.topics.topics(
            System(),
            datetime.combine(first, time(0), tzinfo=CHINA),
            datetime.combine(last, time(0), tzinfo=CHINA) + timedelta(days=1),
            tuple(types),
            region,
            limit,
            progress=bars,
        )
    except HotlineError as exc:
        sys.exit(exc.message)
    finally:
        bars.close()
    click.echo(
        f"{first} 至 {last} {result['region'] or '全部地区'}：本期{result['total']}件，上期{result['previous_total']}件"
    )
    for rank, topic in enumerate(result["topics"], 1):
        growth = "新出现" if topic["growth"] is None else f"{topic['growth']:+.0%}"
        places = "、".join(p["name"] for p in topic["places"][:3])
        click.echo(f"{rank:>2}. {topic['label']}  {topic['count']}件（上期{topic['previous']}，{growth}）  {places}")


@click.command("surge-check")
def surge_check():
    """Look for surges of complaints now (the scheduled job does this every few minutes)."""
    services = build_services(load_settings())
    raised = surges.detect(services.db, utcnow(), services.kb.embedder)
    for alert in raised:
        click.echo(
            f"预警 {alert['id']}：{alert['region'] or '全部地区'} {alert['kind_label']}“{alert['subject']}” {alert['count']}件"
        )
    click.echo(f"新增或更新预警 {len(raised)} 条")


COMMANDS = (topics, surge_check)
