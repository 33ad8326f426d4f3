"""The domains and the shared conversation path: importable without the web app or the bot; one version conflict."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest

from accounts.service import Principal
from hotline.clock import CHINA
from hotline.db import Database
from hotline.errors import VersionConflict
from work_orders.service import WorkOrders

ROOT = __file__.rsplit("/tests/", 1)[0]
WEB_AND_BOT = {"flask", "apiflask", "werkzeug", "rasa", "rasa_sdk", "sanic", "webapp", "bot"}


@pytest.mark.parametrize(
    "modules",
    [
        "handoff",
        "work_orders.service, work_orders.queues, work_orders.sweep",
        "knowledge_base.service, accounts.service, sync.service",
        "channels.conversation, channels.turn",
        "stats.metrics, stats.scores, stats.monitoring, stats.exports, stats.scope",
        "supervision.service, supervision.jobs",
        "reports.service, reports.schedule, reports.render, reports.content",
    ],
)
def test_domain_packages_load_neither_flask_nor_rasa(modules):
    code = f"import sys, {modules}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert set(loaded.stdout.split()) & WEB_AND_BOT == set()


def test_a_stale_work_order_write_is_the_shared_version_conflict(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'wo.db'}")
    db.migrate()
    orders = WorkOrders(db, callback_sample_rate=0.0)
    operator = Principal(1, "op1", "李座席", ("operator",))
    now = datetime(2026, 9, 29, 10, 0, tzinfo=CHINA)
    order, _ = orders.create(
        {
            "order_type": "complaint",
            "channel": "web",
            "title": "出租车拒载",
            "facts": "拒载",
            "caller_phone": "13800138000",
        },
        now=now,
    )
    version = orders.get(order["number"], operator)["version"]
    orders.act(order["number"], "classify", operator, {"domain": "城市客运"}, version=version, now=now)
    with pytest.raises(VersionConflict) as exc:  # one code for every stale write: knowledge base and work orders
        orders.act(order["number"], "classify", operator, {"domain": "公路"}, version=version, now=now)
    assert (exc.value.code, exc.value.status) == ("version_conflict", 409)
