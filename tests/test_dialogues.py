"""Test stories (`rasa test core`) for every dialogue: intake forms with corrections, interruptions and
abandoning, status and rating, handoff, referrals. The report is kept in var/story_report."""

import subprocess
from pathlib import Path

from hotline.procs import BOT_PYTHON_ENV, MODEL_PATH
from hotline.settings import ROOT


def test_test_stories_predict_every_action():
    out = ROOT / "var" / "story_report"
    proc = subprocess.run(
        [
            str(BOT_PYTHON_ENV / "bin" / "rasa"),
            "test",
            "core",
            "--model",
            str(MODEL_PATH),
            "--stories",
            "tests/stories",
            "--out",
            str(out),
            "--fail-on-prediction-errors",
            "--endpoints",
            str(ROOT / "tests" / "stories" / "endpoints.yml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            "PATH": "/usr/bin:/bin",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "HOME": str(Path.home()),
        },
    )
    failed = out / "failed_test_stories.yml"
    report = failed.read_text() if failed.exists() else ""
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:] + report[-3000:]
    assert "story:" not in report.replace("# None of the test stories failed - all good!", "")
