"""The 12345 simulator as the stand-alone process it is meant to be, and the protocol file it serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests
import yaml

from devtools.stack import free_port
from hotline import procs
from sim12345 import data

ROOT = Path(__file__).resolve().parent.parent


def test_simulator_process_serves_the_protocol(tmp_path):
    port = free_port()
    proc = procs.start(
        [sys.executable, "-m", "sim12345", "--port", str(port), "--articles", "2500"],
        {**os.environ, "PYTHONPATH": str(ROOT)},
        tmp_path / "sim.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert procs.wait_http(base + "/_sim/state", 60, proc), (tmp_path / "sim.log").read_text()
        assert requests.get(base + "/api/v1/kb/changes", params={"cursor": 0}, timeout=5).status_code == 401
        resp = requests.get(
            base + "/api/v1/kb/changes",
            params={"cursor": 2490, "limit": 50},
            headers={"Authorization": "Bearer sim-token"},
            timeout=5,
        )
        page = resp.json()
        assert (page["since"], page["next_cursor"], page["has_more"], len(page["items"])) == (2490, 2500, False, 10)
        assert resp.headers["ETag"].startswith('"sha256:')
        item = page["items"][0]
        assert item["owner"] == "12345" and item["version"] == 1 and "12345" in item["source"]
    finally:
        procs.stop(proc)
    assert proc.returncode is not None


def test_generated_content_is_varied_and_chinese():
    articles = data.articles(3000)
    assert len({(a["title"], a["body"]) for a in articles}) > 2990
    assert all(150 <= len(a["body"]) <= 400 for a in articles)
    assert {a["domain"] for a in articles} >= {"城市客运", "道路运输", "公路", "水路", "综合"}
    orders = data.orders(200)
    assert {o["type"] for o in orders} == {"complaint", "suggestion", "consultation"}
    assert any(o["domain"] in ("铁路", "民航", "邮政") for o in orders)


def test_protocol_file_describes_what_the_simulator_serves():
    spec = yaml.safe_load((ROOT / "sync" / "protocol.openapi.yaml").read_text(encoding="utf-8"))
    assert spec["openapi"].startswith("3.")
    assert {
        "/api/v1/kb/changes",
        "/api/v1/kb/push",
        "/api/v1/orders/{id}/messages",
        "/api/v1/records",
        "/api/sync/12345/orders",
    } <= set(spec["paths"])
    page = spec["components"]["schemas"]["ChangePage"]
    assert set(page["required"]) == {"since", "next_cursor", "has_more", "items"}
    assert "sync/protocol.openapi.yaml" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (
        subprocess.run(
            [sys.executable, "-m", "sim12345", "--help"],
            cwd=ROOT,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        ).returncode
        == 0
    )
