"""The load test (``tests/load/run_load.py``) in small: three analysts at once, in CI.

Each session uploads its own file at the same moment and must read back exactly its own
numbers: no errors, no wrong numbers. The full-size run (20 sessions) is measured by hand and
recorded in ``tests/load/REPORT.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parent / "load" / "run_load.py"
SESSIONS = 3
TIMEOUT_SECONDS = 240


def test_three_concurrent_sessions_each_see_their_own_numbers(browser_requirements, tmp_path):
    report, raw = tmp_path / "REPORT.md", tmp_path / "load.json"
    command = [
        sys.executable, str(SCRIPT),
        "--sessions", str(SESSIONS),
        "--timeout", str(TIMEOUT_SECONDS),
        "--chromium", browser_requirements,
        "--report", str(report),
        "--json", str(raw),
    ]  # fmt: skip
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS + 60, check=False
    )
    assert raw.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
    result = json.loads(raw.read_text(encoding="utf-8"))
    details = report.read_text(encoding="utf-8")
    assert result["sessions"] == SESSIONS
    assert result["errors"] == 0, details
    assert result["wrong_numbers"] == 0, details
    assert len(result["results"]) == SESSIONS
    assert all(r["first_chart_seconds"] for r in result["results"]), details
    assert finished.returncode == 0, details
