"""The benchmark's contenders (project CLI, hand-written and simple queries) agree.

Runs ``benchmarks/run.py --check-only`` on 20,000 generated rows of the repeated-rows variant
(CSV and Parquet): no timing is asserted here (SPEC section 6: performance is measured by the
benchmark script, never by a timed unit test), only that every contender reports the same
counts.

The DuckDB contenders are skipped only when DuckDB is not installed and ``CI`` is unset; under
CI it must be installed (it is a dev dependency of the benchmark).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLARS_AND_PANDAS = [
    "polars",
    "polars-streaming",
    "simple-polars",
    "simple-polars-streaming",
    "pandas",
    "simple-pandas",
]
DUCKDB = ["duckdb", "simple-duckdb", "engine-duckdb"]


def test_benchmark_contenders_agree(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "run.py"),
        "--check-only",
        "--data-dir",
        str(tmp_path),
    ]
    has_duckdb = importlib.util.find_spec("duckdb") is not None or bool(os.environ.get("CI"))
    if not has_duckdb:
        for contender in DUCKDB:
            command += ["--skip", contender]  # locally only; CI must run them all
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "DISAGREEMENT" not in output
    agreements = [line for line in output.splitlines() if line.startswith("agree: project, ")]
    assert len(agreements) == 2, output  # CSV and Parquet
    expected = POLARS_AND_PANDAS + (DUCKDB if has_duckdb else [])
    for line in agreements:
        agreed = line.removeprefix("agree: ").split(" (")[0].split(", ")
        assert set(expected) <= set(agreed), line
    assert (tmp_path / "20000-repeat" / "contacts.csv").exists()  # the repeated-rows variant
