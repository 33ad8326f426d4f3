"""The suite passes at any hour of any day: the time-sensitive tests run again here, each time in a pytest of its
own whose whole session is travelled to one moment (HOTLINE_TEST_FROZEN_NOW, see tests/conftest.py; the clock
ticks on from there, so a moment just before 08:30 or midnight crosses it during the run).

The time-sensitive tests are those whose code reads the real clock, the China working-day calendar or the
service hours: handoffs and service hours, deadlines and the SLA sweep, the work-order API (every request is
stamped with the real time), WeChat windows and signatures, tokens and lock-outs, complaint drafts, the gaps'
retention and the 12345 link's signatures and retries. Each sets the moment it depends on (``now=``, a frozen
``clock``) or tests both sides; this proves it. Only SQLite: PostgreSQL's own clock cannot travel.

Processes started by tests (the real app and bot of tests/test_integration.py and the browser tests) keep the
real clock: they set service hours of 00:00-24:00 and mark the days around now as working days or not.
"""

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from hotline.settings import ROOT

TIME_SENSITIVE = [
    "tests/test_handoff.py",
    "tests/test_work_calendar.py",
    "tests/test_work_orders.py",
    "tests/test_work_orders_api.py::test_create_is_idempotent_and_walks_the_lifecycle",
    "tests/test_work_orders_api.py::test_calendar_overrides_and_overview",
    "tests/test_wechat_notify.py::test_inside_the_window_a_customer_service_message",
    "tests/test_wechat_notify.py::test_outside_the_window_a_template_message",
    "tests/test_wechat_notify.py::test_rate_limit_45009_is_retried_later",
    "tests/test_wechat_notify.py::test_operator_messages_of_a_handoff_reach_the_wechat_user",
    "tests/test_wechat_mp.py::test_url_verification",
    "tests/test_wechat_mp.py::test_forged_replayed_or_downgraded_requests_are_refused_before_parsing",
    "tests/test_wechat_mp.py::test_photos_wait_for_the_complaint_then_join_the_order",
    "tests/test_wechat_mp.py::test_messages_during_a_handoff_go_to_the_operator",
    "tests/test_wechat_miniprogram.py::test_requests_without_a_valid_unexpired_token_are_refused",
    "tests/test_wechat_miniprogram.py::test_operator_replies_reach_the_miniprogram_user_by_polling",
    "tests/test_accounts.py",
    "tests/test_intake.py::test_complaint_conversation_creates_one_order",
    "tests/test_intake.py::test_draft_is_restored_when_the_user_comes_back",
    "tests/test_sync_orders.py::test_transfers_must_be_signed",
    "tests/test_sync_orders.py::test_outbox_is_retried_with_backoff_until_acknowledged",
    "tests/test_gaps.py::test_adding_a_question_that_already_failed_is_refused_and_old_gaps_are_purged",
    "tests/test_editing.py::test_validity_window_and_region",
    "tests/test_stats_api.py",
]

CLOCKS = {
    "a working day at 12:45": "2026-11-30T12:45:00+08:00",
    "a working day at 20:00": "2026-11-30T20:00:00+08:00",
    "a Saturday": "2026-12-05T10:00:00+08:00",
    "National Day (a holiday on a Friday)": "2026-10-02T12:45:00+08:00",
    "the Sunday worked in lieu of National Day (调休)": "2026-09-20T12:45:00+08:00",
    "a working day across 08:30": "2026-11-30T08:29:57+08:00",
    "a working day across 17:30": "2026-11-30T17:29:57+08:00",
    "across midnight China time": "2026-11-30T23:59:57+08:00",
    "31 December in UTC, New Year's Day in China": "2025-12-31T16:30:00+00:00",
}


def run_under(moment: str, basetemp: Path) -> str:
    """Run the time-sensitive tests in a pytest of their own travelled to ``moment``; '' when they pass."""
    env = {**os.environ, "HOTLINE_TEST_FROZEN_NOW": moment, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(basetemp),
            "-k",
            "not postgresql",
            *TIME_SENSITIVE,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or not re.search(r"\b\d+ passed\b", out) or " skipped" in out:
        return out[-6000:]
    # the session really ran at that moment (the header is printed once the clock has travelled)
    travelled = re.search(r"clock: now (\S+) \(HOTLINE_TEST_FROZEN_NOW\)", out)
    if not travelled:
        return "the clock did not travel:\n" + out[:2000]
    lag = (datetime.fromisoformat(travelled.group(1)) - datetime.fromisoformat(moment)).total_seconds()
    if not 0 <= lag <= time.monotonic() - started:
        return f"the session started at {travelled.group(1)}"
    return ""


def test_time_sensitive_tests_pass_under_every_clock(tmp_path):
    # two at a time: the runs mostly wait on SQLite and the fake servers, and make test has the machine to itself
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = {
            name: pool.submit(run_under, moment, tmp_path / f"clock{i}")
            for i, (name, moment) in enumerate(CLOCKS.items())
        }
    failures = {name: run.result() for name, run in runs.items() if run.result()}
    assert not failures, "\n\n".join(f"=== {name} ({CLOCKS[name]}):\n{out}" for name, out in failures.items())
