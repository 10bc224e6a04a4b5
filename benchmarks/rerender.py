"""How fast the Segments page re-renders after a changed control, on a 1-million-row upload.

Drives the real app headless with ``streamlit.testing.v1.AppTest``: uploads a generated contacts
file once (the first count is the expensive part, cached by content hash for the session), then
changes one control at a time and times the page run that follows. The SPEC target is < 300 ms.

    python benchmarks/rerender.py --rows 1000000 [--data-dir benchmarks/data]

Prints a table and appends nothing by itself; copy the table into RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300


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
    args = parser.parse_args()
    path = data_file(args.rows, args.data_dir)

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

    print(f"Rows: {args.rows:,} ({path.stat().st_size / 1e6:.0f} MB CSV)")
    print(
        f"First load of the upload: {first_load:,.0f} ms; first count by source: "
        f"{first_count:,.0f} ms (then cached for the session)"
    )
    print()
    print(f"| control changed | median ms | max ms | < {TARGET_MS} ms |")
    print("|---|---:|---:|---|")
    for name, runs in results.items():
        verdict = "PASS" if statistics.median(runs) < TARGET_MS else "FAIL"
        print(f"| {name} | {statistics.median(runs):,.0f} | {max(runs):,.0f} | {verdict} |")


if __name__ == "__main__":
    main()
