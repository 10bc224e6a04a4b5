"""How fast the app answers on a big upload: the first chart, then each changed control.

Drives the real app headless with ``streamlit.testing.v1.AppTest``: uploads a generated contacts
file once and times the server's work from the end of the upload to the first chart on Segments
(target ≤ 1.5 s for 1 million rows); the first count is cached by content hash for the session.
Then it changes one control at a time and times the page run that follows (SPEC: < 300 ms).
The peak memory of the whole process (the app, the test harness and the upload's bytes) is
printed beside the file's size.

    python benchmarks/rerender.py --rows 1000000 [--data-dir benchmarks/data]
    python benchmarks/rerender.py --rows 10000000 --lean --repeat 1

``--lean`` leaves out the ``device`` column, so that 10 million rows (about 440 MB) fit the
500 MB upload limit of ``.streamlit/config.toml``.

Prints a table and appends nothing by itself; copy the table into RESULTS.md.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300
FIRST_CHART_MS = 1500
LEAN_COLUMNS = ["contact_id", "source", "region", "contact_date", "converted_date"]


def data_file(rows: int, data_dir: Path) -> Path:
    folder = data_dir / str(rows)
    path = folder / "contacts.csv"
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "generate.py"),
                "--rows",
                str(rows),
                "--out",
                str(folder),
            ],
            check=True,
        )
    return path


def lean_file(path: Path) -> Path:
    """The same rows without the device column (written once, beside the full file)."""
    lean = path.with_name("contacts-lean.csv")
    if not lean.exists():
        pl.scan_csv(path, infer_schema=False).select(LEAN_COLUMNS).sink_csv(lean)
    return lean


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise SystemExit(f"the app raised: {at.exception[0].value}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lean", action="store_true", help="leave out the device column")
    args = parser.parse_args()
    path = data_file(args.rows, args.data_dir)
    if args.lean:
        path = lean_file(path)
    before = peak_mb()

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((path.name, path.read_bytes(), "text/csv"))
    first_load = timed(at)
    at.switch_page("pages/segments.py")
    first_count = timed(at)
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    if picker.value != ["source"]:
        picker.set_value(["source"])
        first_count += timed(at)
    first_chart = first_load + first_count
    after_first_chart = peak_mb()

    def top(k: int) -> None:
        next(n for n in at.number_input if n.label.startswith("Top segments")).set_value(k)

    changes = {
        "top K 3 / 0": lambda i: top(3 if i % 2 == 0 else 0),
        "bands preset": lambda i: at.selectbox(key="bands").set_value(
            "ecommerce" if i % 2 == 0 else "default"
        ),
        "sort order": lambda i: at.selectbox(key="sort").set_value(
            "rate" if i % 2 == 0 else "lower_bound"
        ),
        "pie / donut": lambda i: at.toggle(key="donut").set_value(i % 2 == 0),
    }
    timed(at)  # settle: every cache filled
    results = {}
    for name, change in changes.items():
        runs = []
        for i in range(args.repeat):
            change(i)
            runs.append(timed(at))
        results[name] = runs

    size_mb = path.stat().st_size / 2**20
    verdict = "PASS" if first_chart <= FIRST_CHART_MS else "FAIL"
    print(f"Rows: {args.rows:,} ({size_mb:,.0f} MB CSV{', no device column' if args.lean else ''})")
    print(
        f"Upload to first chart on Segments: {first_chart:,.0f} ms of server time "
        f"(target <= {FIRST_CHART_MS:,} ms: {verdict}); reading the upload on the Data page "
        f"{first_load:,.0f} ms, then the first count by source {first_count:,.0f} ms"
    )
    print(
        f"Peak memory of the process: {after_first_chart:,.0f} MB at the first chart "
        f"({before:,.0f} MB before the upload's bytes were read; the file is {size_mb:,.0f} MB)"
    )
    print()
    print(f"| control changed | median ms | max ms | < {TARGET_MS} ms |")
    print("|---|---:|---:|---|")
    for name, runs in results.items():
        verdict = "PASS" if statistics.median(runs) < TARGET_MS else "FAIL"
        print(f"| {name} | {statistics.median(runs):,.0f} | {max(runs):,.0f} | {verdict} |")


if __name__ == "__main__":
    main()
