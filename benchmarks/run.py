"""Benchmark the ``conversion`` CLI against hand-written polars, DuckDB and pandas.

    python benchmarks/run.py --rows 1000000
    python benchmarks/run.py --sizes 1e6,3e6,1e7 --format both --repeat 2
    python benchmarks/run.py --check-only            # 20,000 rows, agreement only (CI)

For each size the data are generated when missing (``benchmarks/data/<rows>/`` or
``--data-dir``), then each contender runs as its own process on the same file:

- ``project``: ``python -m conversion rates FILE --segment source --segment region --segment
  device --id contact_id --contact-date contact_date --converted-date converted_date
  --window-days 90 --format csv --output OUT``;
- ``polars``: ``benchmarks/alt_polars.py`` (a hand-written lazy query);
- ``duckdb``: ``benchmarks/alt_duckdb.py`` (SQL on the same file);
- ``pandas``: ``benchmarks/alt_pandas.py``;
- ``engine-duckdb``, ``engine-spark``: the same ``conversion rates`` command with ``--engine
  duckdb`` or ``--engine spark --spark-master local[2]``: the project's one narwhals definition
  of the aggregation, run by DuckDB or by Spark in local mode instead of polars (Spark on the
  Parquet file only: its CSV reader types nothing without a second pass).

Time is the wall time of the whole process (start-up and imports included), measured around
``subprocess.Popen`` ... ``os.wait4``. Peak memory is the child's maximum resident set size
as the kernel reports it to ``os.wait4`` (``ru_maxrss``, per child, so no delta arithmetic
between runs is needed). With ``--repeat N`` each contender runs N times, interleaved, and the
fastest time and the largest peak are kept.

Every contender writes source, region, device, contacts, customers; the runner checks that
all of them agree on every count and exits with status 1 (printing the differences) if not.
Then it prints the tables and, unless ``--check-only``, writes ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEGMENTS = ["source", "region", "device"]
MISSING = "(missing)"
CONTENDERS = ("project", "polars", "duckdb", "pandas", "engine-duckdb", "engine-spark")
ENGINE_FLAGS = {
    "engine-duckdb": ["--engine", "duckdb"],
    "engine-spark": ["--engine", "spark", "--spark-master", "local[2]"],
}
CHECK_ROWS = 20_000
# SPEC section 6 (for the CSV file): project ≤ 1.2x hand polars, ≥ 1.5x faster than DuckDB,
# ≥ 3x faster than pandas, peak memory ≤ the file's size on disk.
MAX_VS_POLARS = 1.2
MIN_VS_DUCKDB = 1.5
MIN_VS_PANDAS = 3.0


@dataclass
class Run:
    contender: str
    fmt: str
    rows: int
    seconds: float
    peak_mb: float
    file_mb: float
    output: Path


def command(contender: str, data: Path, output: Path) -> list[str]:
    if contender in ENGINE_FLAGS:
        return [*command("project", data, output), *ENGINE_FLAGS[contender]]
    if contender == "project":
        return [
            sys.executable,
            "-m",
            "conversion",
            "rates",
            str(data),
            *("--segment", "source", "--segment", "region", "--segment", "device"),
            *("--id", "contact_id", "--contact-date", "contact_date"),
            *("--converted-date", "converted_date", "--window-days", "90"),
            *("--format", "csv", "--output", str(output)),
        ]
    script = HERE / f"alt_{contender}.py"
    return [sys.executable, str(script), str(data), "--output", str(output)]


def measure(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB). Raise if it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started = time.perf_counter()
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    # wait4 reaps the child and returns its own rusage (ru_maxrss in KiB on Linux).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"FAILED ({process.returncode}): {' '.join(cmd)}\n{stderr}")
    return seconds, usage.ru_maxrss / 1024


def ensure_data(rows: int, seed: int, data_dir: Path) -> Path:
    folder = data_dir / str(rows)
    if not ((folder / "contacts.csv").exists() and (folder / "contacts.parquet").exists()):
        print(f"generating {rows:,} rows in {folder} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate.py"),
                *("--rows", str(rows), "--seed", str(seed), "--out", str(folder)),
            ],
            check=True,
        )
    return folder


def read_counts(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema=False)
    return frame.select(
        *(pl.col(c).fill_null(MISSING) for c in SEGMENTS),
        pl.col("contacts").cast(pl.Int64),
        pl.col("customers").cast(pl.Int64),
    ).sort(SEGMENTS)


def check_agreement(runs: list[Run]) -> str:
    """Raise SystemExit unless every run has the same counts as the project's; a summary."""
    reference = next(r for r in runs if r.contender == "project")
    expected = read_counts(reference.output)
    for run in runs:
        got = read_counts(run.output)
        if got.equals(expected):
            continue
        joined = expected.join(got, on=SEGMENTS, how="full", coalesce=True, suffix="_other")
        diff = joined.filter(
            (pl.col("contacts") != pl.col("contacts_other"))
            | (pl.col("customers") != pl.col("customers_other"))
            | pl.col("contacts").is_null()
            | pl.col("contacts_other").is_null()
        )
        with pl.Config(tbl_rows=20, tbl_cols=-1):
            shown = str(diff.head(20))
        raise SystemExit(
            f"DISAGREEMENT: {run.contender} ({run.fmt}, {run.rows:,} rows) differs from the "
            f"project on {diff.height} segment(s) (project: {expected.height} segments, "
            f"{expected['contacts'].sum():,} contacts, {expected['customers'].sum():,} "
            f"customers; {run.contender}: {got.height} segments, {got['contacts'].sum():,} "
            f"contacts, {got['customers'].sum():,} customers)\n{shown}"
        )
    return (
        f"{expected.height} segments, {expected['contacts'].sum():,} contacts, "
        f"{expected['customers'].sum():,} customers"
    )


def machine() -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass

    def version(module: str) -> str:
        if importlib.util.find_spec(module) is None:
            return "not installed"
        return __import__(module).__version__

    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    git = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--short", "conversion"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()[1::2]
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores (load average 1/5/15 min at the end of "
        f"the run: {load})",
        f"- RAM: {ram}; OS: {platform.platform()}",
        f"- Python {platform.python_version()}, polars {version('polars')}, duckdb "
        f"{version('duckdb')}, pandas {version('pandas')}, pyarrow {version('pyarrow')}",
        f"- Date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- Code: commit {git or 'unknown'}"
        + (f"; uncommitted changes in {', '.join(changed)}" if changed else ""),
    ]


def ok(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def tables(runs: list[Run], contenders: list[str]) -> list[str]:
    """Markdown tables: one per (size, format), then the per-million-rows summary."""
    out: list[str] = []
    keys = sorted({(r.rows, r.fmt) for r in runs}, key=lambda k: (k[1] != "csv", k[1], k[0]))
    for rows, fmt in keys:
        group = {r.contender: r for r in runs if r.rows == rows and r.fmt == fmt}
        project = group["project"]
        file_mb = project.file_mb
        out += [
            f"### {rows:,} rows, {fmt.upper()} ({file_mb:,.1f} MB on disk)",
            "",
            "| contender | seconds | peak MB | time / project | peak / file size | "
            "s per M rows | SPEC target |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for name in contenders:
            if name not in group:
                continue
            run = group[name]
            ratio = run.seconds / project.seconds
            target = ""
            if name == "polars":
                target = f"project ≤ {MAX_VS_POLARS}× polars: {ok(1 / ratio <= MAX_VS_POLARS)}"
                target += f" ({1 / ratio:.2f}×)"
            elif name == "duckdb":
                target = f"project ≥ {MIN_VS_DUCKDB}× faster: {ok(ratio >= MIN_VS_DUCKDB)}"
                target += f" ({ratio:.2f}×)"
            elif name == "pandas":
                target = f"project ≥ {MIN_VS_PANDAS}× faster: {ok(ratio >= MIN_VS_PANDAS)}"
                target += f" ({ratio:.2f}×)"
            elif name.startswith("engine-"):
                target = "same counts as polars (checked); time is the engine's, not a target"
            else:
                target = f"peak ≤ file size: {ok(run.peak_mb <= file_mb)}"
            out.append(
                f"| {name} | {run.seconds:.2f} | {run.peak_mb:,.0f} | {ratio:.2f} | "
                f"{run.peak_mb / file_mb:.2f} | {run.seconds / (rows / 1e6):.2f} | {target} |"
            )
        out.append("")
    sizes = sorted({r.rows for r in runs})
    fmts = sorted({r.fmt for r in runs})
    out += [
        "### Seconds per million rows",
        "",
        "| contender | format | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---|---|" + "---:|" * len(sizes),
    ]
    for fmt in fmts:
        for name in contenders:
            cells = []
            for size in sizes:
                match = [r for r in runs if (r.contender, r.fmt, r.rows) == (name, fmt, size)]
                cells.append(f"{match[0].seconds / (size / 1e6):.2f}" if match else "–")
            out.append(f"| {name} | {fmt} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def parse_sizes(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(float(s)), default=1_000_000)
    parser.add_argument("--sizes", type=parse_sizes, help="comma-separated, e.g. 1e6,3e6,1e7")
    parser.add_argument("--format", choices=["csv", "parquet", "both"], default=None)
    parser.add_argument("--check-only", action="store_true", help="agreement only, small data")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender (min time)")
    parser.add_argument("--skip", action="append", default=[], choices=CONTENDERS[1:])
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)

    contenders = [c for c in CONTENDERS if c not in args.skip]
    if "duckdb" in contenders and importlib.util.find_spec("duckdb") is None:
        raise SystemExit("duckdb is not installed: pip install duckdb, or pass --skip duckdb")
    if args.check_only:
        sizes = args.sizes or [CHECK_ROWS if args.rows == 1_000_000 else args.rows]
        fmt = args.format or "both"
        repeat = 1
    else:
        sizes = args.sizes or [args.rows]
        fmt = args.format or "csv"
        repeat = max(1, args.repeat)
    formats = ["csv", "parquet"] if fmt == "both" else [fmt]

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="cbs-bench-") as scratch:
        for rows in sizes:
            folder = ensure_data(rows, args.seed, args.data_dir)
            for fmt_name in formats:
                data = folder / f"contacts.{fmt_name}"
                file_mb = data.stat().st_size / 2**20
                best: dict[str, Run] = {}
                for attempt in range(repeat):
                    for name in contenders:
                        if name == "engine-spark" and fmt_name == "csv":
                            continue
                        output = Path(scratch) / f"{name}-{fmt_name}-{rows}-{attempt}.csv"
                        seconds, peak = measure(command(name, data, output))
                        print(
                            f"{rows:>11,} {fmt_name:<8} {name:<8} {seconds:7.2f} s {peak:8,.0f} MB",
                            flush=True,
                        )
                        run = Run(name, fmt_name, rows, seconds, peak, file_mb, output)
                        if name in best:
                            previous = best[name]
                            run.seconds = min(run.seconds, previous.seconds)
                            run.peak_mb = max(run.peak_mb, previous.peak_mb)
                        best[name] = run
                    summary = check_agreement(list(best.values()))
                runs += best.values()
                print(f"agree: {', '.join(contenders)} ({summary})", flush=True)
                if not args.check_only:  # after each size and format: a long run can be cut
                    lines = tables(runs, contenders)
                    write_results(args.results, runs, lines, repeat, sizes, formats)

    if args.check_only:
        print("check-only: all contenders agree on every count (no timing claims).")
        return 0
    lines = tables(runs, contenders)
    print("\n".join(lines))
    write_results(args.results, runs, lines, repeat, sizes, formats)
    print(f"wrote {args.results}")
    return 0


def write_results(
    path: Path,
    runs: list[Run],
    lines: list[str],
    repeat: int,
    sizes: list[int],
    formats: list[str],
) -> None:
    command_line = (
        f"python benchmarks/run.py --sizes {','.join(str(s) for s in sizes)} "
        f"--format {'both' if len(formats) == 2 else formats[0]} --repeat {repeat}"
    )
    text = [
        "# Benchmark results",
        "",
        f"Produced by `{command_line}` (see `benchmarks/README.md`). All contenders agreed on "
        "every count of every run below.",
        "",
        "## Machine",
        "",
        *machine(),
        "",
        "## How it was measured",
        "",
        "Whole process per contender (interpreter start-up and imports included): wall time "
        "around `subprocess.Popen` … `os.wait4`; peak memory = the child's `ru_maxrss` from "
        f"`os.wait4`. {repeat} run(s) per contender, interleaved; fastest time and largest peak "
        "kept. Data from `benchmarks/generate.py --seed 7`. The SPEC targets are defined for "
        "the CSV file; for Parquet they are shown for information (a compressed Parquet file is "
        "far smaller than the data in memory, so the memory target cannot mean the same there).",
        "",
        "## Results",
        "",
        *lines,
    ]
    path.write_text("\n".join(text).rstrip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
