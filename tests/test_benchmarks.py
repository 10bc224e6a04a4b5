"""The benchmark's four contenders (project CLI, hand polars, DuckDB, pandas) agree.

Runs ``benchmarks/run.py --check-only`` on 20,000 generated rows (CSV and Parquet): no
timing is asserted here (SPEC section 6: performance is measured by the benchmark script,
never by a timed unit test), only that every contender reports the same counts.

DuckDB is skipped only when it is not installed and ``CI`` is unset; under CI it must be
installed (it is a dev dependency of the benchmark).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_contenders_agree(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "run.py"),
        "--check-only",
        "--data-dir",
        str(tmp_path),
    ]
    has_duckdb = importlib.util.find_spec("duckdb") is not None
    if not has_duckdb and not os.environ.get("CI"):
        command += ["--skip", "duckdb"]  # locally only; CI must run all four
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "DISAGREEMENT" not in output
    assert output.count("agree: project, polars") == 2, output  # CSV and Parquet
    if has_duckdb or os.environ.get("CI"):
        assert "duckdb" in output.split("agree:")[1]
