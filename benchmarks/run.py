"""Benchmark the ``conversion`` CLI against hand-written and simple polars, DuckDB and pandas.

    python benchmarks/run.py --sizes 2e6,1e7 --format both   # the SPEC section 6 measurement
    python benchmarks/run.py --rows 1000000                  # CSV, 1M rows, 3 runs each
    python benchmarks/run.py --check-only                    # 20,000 rows, agreement only (CI)

The definition every contender counts (``DEFINITION``): segments source × region, one contact
per ``contact_id``, a 90-day window, as-of 2024-12-30 (the generator's last contact day). The
data are the ``generate.py --repeat-rows`` variant (``benchmarks/data/<rows>-repeat/`` or
``--data-dir``), where a repeated id repeats its row exactly, so the simple distinct-count
queries are exact and every contender must agree on every count. Each contender runs as its
own process on the same file:

- ``project``: ``python -m conversion rates FILE --segment source --segment region --id
  contact_id --contact-date contact_date --converted-date converted_date --window-days 90
  --as-of 2024-12-30 --format csv --output OUT``;
- ``polars``, ``polars-streaming``: ``alt_polars.py``, a hand-written earliest-row lazy query
  (exact on any data), collected in memory or with the streaming engine;
- ``simple-polars``, ``simple-polars-streaming``: ``simple_polars.py``, the analyst's query
  (scan, filter, ``group_by``, ``n_unique``), in memory or streaming;
- ``duckdb``, ``simple-duckdb``: ``alt_duckdb.py`` (earliest row) and ``simple_duckdb.py``
  (``count(distinct ...)``);
- ``pandas``, ``simple-pandas``: ``alt_pandas.py`` (earliest row) and ``simple_pandas.py``
  (``groupby().nunique()``);
- ``engine-duckdb``, ``engine-spark``: the project's command with ``--engine duckdb`` or
  ``--engine spark --spark-master local[2]`` (Spark on the Parquet file only, and only when
  pyspark and Java are installed).

Time is the wall time of the whole process (start-up and imports included), measured around
``subprocess.Popen`` ... ``os.wait4``. Peak memory is the child's maximum resident set size
as the kernel reports it to ``os.wait4`` (``ru_maxrss``). With ``--repeat N`` (at least 3)
the contenders run N times, interleaved, and the median time and median peak are reported.
The SPEC targets (``TARGETS``, ``STARTUP``) are evaluated per size and format and printed
with PASS/FAIL; the report goes to ``benchmarks/RESULTS.md`` (or ``--results``), rewritten
after each size and format so that a stopped run keeps what it finished.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.metadata
import importlib.util
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MISSING = "(missing)"
CHECK_ROWS = 20_000
MIN_REPEAT = 3


@dataclass(frozen=True)
class Definition:
    """What every contender counts: the segment columns, the window and the as-of date."""

    segments: tuple[str, ...]
    window_days: int
    as_of: dt.date


DEFINITION = Definition(("source", "region"), 90, dt.date(2024, 12, 30))

CONTENDERS = (
    "project",
    "polars",
    "polars-streaming",
    "simple-polars",
    "simple-polars-streaming",
    "duckdb",
    "simple-duckdb",
    "pandas",
    "simple-pandas",
    "engine-duckdb",
    "engine-spark",
)
SCRIPTS = {
    "polars": ["alt_polars.py", "--engine", "in-memory"],
    "polars-streaming": ["alt_polars.py", "--engine", "streaming"],
    "simple-polars": ["simple_polars.py", "--engine", "in-memory"],
    "simple-polars-streaming": ["simple_polars.py", "--engine", "streaming"],
    "duckdb": ["alt_duckdb.py"],
    "simple-duckdb": ["simple_duckdb.py"],
    "pandas": ["alt_pandas.py"],
    "simple-pandas": ["simple_pandas.py"],
}
ENGINE_FLAGS = {
    "engine-duckdb": ["--engine", "duckdb"],
    "engine-spark": ["--engine", "spark", "--spark-master", "local[2]"],
}
NEEDS_DUCKDB = ("duckdb", "simple-duckdb", "engine-duckdb")
PARQUET_ONLY = ("engine-spark",)  # Spark's CSV reader types nothing without a second pass


@dataclass(frozen=True)
class Target:
    """A SPEC ratio between the project and one contender, on time or on peak memory.

    ``at_most``: project / contender must not exceed ``bound``; ``at_least``: contender /
    project (how many times faster the project is) must reach ``bound``.
    """

    contender: str
    metric: Literal["seconds", "peak_mb"]
    kind: Literal["at_most", "at_least"]
    bound: float

    @property
    def text(self) -> str:
        if self.kind == "at_least":
            return f"project ≥ {self.bound:g}× faster than {self.contender}"
        what = "time" if self.metric == "seconds" else "peak memory"
        return f"project {what} ≤ {self.bound:g}× {self.contender}"

    def ratio(self, project: Run, other: Run) -> float:
        mine, theirs = project.median(self.metric), other.median(self.metric)
        return mine / theirs if self.kind == "at_most" else theirs / mine

    def met(self, ratio: float) -> bool:
        return ratio <= self.bound if self.kind == "at_most" else ratio >= self.bound


# SPEC section 6, per size and format, CSV and Parquet alike.
TARGETS = (
    Target("simple-polars-streaming", "seconds", "at_most", 1.2),
    Target("simple-polars-streaming", "peak_mb", "at_most", 1.2),
    Target("simple-duckdb", "seconds", "at_least", 1.5),
    Target("simple-pandas", "seconds", "at_least", 3.0),
)
SAMPLE = "sample_data/newsletter_signups.csv"
# Start-up (whole process, median of the runs): seconds at most.
STARTUP = {
    f"conversion rates {SAMPLE} --segment source --format csv": (
        ["rates", SAMPLE, "--segment", "source", "--format", "csv"],
        0.35,
    ),
    "conversion --help": (["--help"], 0.2),
}
SLOWEST_IMPORTS = 10


@dataclass
class Run:
    """One contender on one file: the time and peak of each of its runs."""

    contender: str
    fmt: str
    rows: int
    file_mb: float
    seconds: list[float]
    peak_mb: list[float]

    def median(self, metric: Literal["seconds", "peak_mb"]) -> float:
        return statistics.median(getattr(self, metric))


def command(contender: str, data: Path, output: Path) -> list[str]:
    if contender in ENGINE_FLAGS:
        return [*command("project", data, output), *ENGINE_FLAGS[contender]]
    if contender == "project":
        segments = [arg for column in DEFINITION.segments for arg in ("--segment", column)]
        return [
            *(sys.executable, "-m", "conversion", "rates", str(data), *segments),
            *("--id", "contact_id", "--contact-date", "contact_date"),
            *("--converted-date", "converted_date"),
            *("--window-days", str(DEFINITION.window_days)),
            *("--as-of", DEFINITION.as_of.isoformat()),
            *("--format", "csv", "--output", str(output)),
        ]
    script, *options = SCRIPTS[contender]
    return [
        *(sys.executable, str(HERE / script), str(data), "--output", str(output), *options),
        *("--segments", ",".join(DEFINITION.segments)),
        *("--window-days", str(DEFINITION.window_days)),
        *("--as-of", DEFINITION.as_of.isoformat()),
    ]


def measure(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB). Raise if it fails.

    Linux starts a child's ``ru_maxrss`` at the high-water mark of the process that spawned
    it (the address space left at exec counts), so this runner never imports polars, pandas
    or DuckDB and reads the contenders' small outputs with ``csv``: its own peak (printed in
    the report) stays far below any contender's.
    """
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
    """The repeated-rows variant's folder, generated when missing (never the default's)."""
    folder = data_dir / f"{rows}-repeat"
    if not ((folder / "contacts.csv").exists() and (folder / "contacts.parquet").exists()):
        print(f"generating {rows:,} rows in {folder} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(HERE / "generate.py"),
                *("--rows", str(rows), "--seed", str(seed), "--out", str(folder)),
                "--repeat-rows",
            ],
            check=True,
        )
    return folder


Counts = dict[tuple[str, ...], tuple[int, int]]


def read_counts(path: Path) -> Counts:
    """A contender's output as {segment values: (contacts, customers)}; empty = MISSING."""
    with path.open(newline="", encoding="utf-8") as file:
        return {
            tuple(row[c] or MISSING for c in DEFINITION.segments): (
                int(row["contacts"]),
                int(row["customers"]),
            )
            for row in csv.DictReader(file)
        }


def totals(counts: Counts) -> str:
    contacts = sum(c for c, _ in counts.values())
    customers = sum(c for _, c in counts.values())
    return f"{len(counts)} segments, {contacts:,} contacts, {customers:,} customers"


def check_agreement(outputs: dict[str, Path], fmt: str, rows: int) -> str:
    """Raise SystemExit unless every output has the project's counts; else a summary."""
    expected = read_counts(outputs["project"])
    for contender, output in outputs.items():
        got = read_counts(output)
        if got == expected:
            continue
        differing = sorted(
            key for key in expected.keys() | got.keys() if expected.get(key) != got.get(key)
        )
        shown = "\n".join(
            f"  {' × '.join(key)}: project {expected.get(key)}, {contender} {got.get(key)}"
            for key in differing[:20]
        )
        raise SystemExit(
            f"DISAGREEMENT: {contender} ({fmt}, {rows:,} rows) differs from the project on "
            f"{len(differing)} segment(s) (project: {totals(expected)}; {contender}: "
            f"{totals(got)}); (contacts, customers) per segment:\n{shown}"
        )
    return totals(expected)


def available(contenders: list[str]) -> list[str]:
    """``contenders`` minus Spark when pyspark or Java is missing; raise if DuckDB is."""
    if importlib.util.find_spec("duckdb") is None:
        wanted = [c for c in contenders if c in NEEDS_DUCKDB]
        if wanted:
            raise SystemExit(
                f"duckdb is not installed: pip install duckdb, or pass --skip for each of "
                f"{', '.join(wanted)}"
            )
    if "engine-spark" in contenders and (
        importlib.util.find_spec("pyspark") is None or shutil.which("java") is None
    ):
        print("engine-spark left out: it needs pyspark and Java", flush=True)
        contenders = [c for c in contenders if c != "engine-spark"]
    return contenders


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

    def version(package: str) -> str:
        try:  # the metadata, not an import: the runner must stay small (see ``measure``)
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

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


def runner_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ok(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}"


def group_of(runs: list[Run], rows: int, fmt: str) -> dict[str, Run]:
    return {r.contender: r for r in runs if (r.rows, r.fmt) == (rows, fmt)}


def keys_of(runs: list[Run]) -> list[tuple[int, str]]:
    """(size, format) pairs measured, CSV first, each by size."""
    return sorted({(r.rows, r.fmt) for r in runs}, key=lambda k: (k[1] != "csv", k[1], k[0]))


def target_lines(group: dict[str, Run]) -> list[str]:
    """The SPEC targets for one size and format: ratio, target, PASS/FAIL."""
    project = group["project"]
    out = ["| target | ratio | result |", "|---|---:|---|"]
    for target in TARGETS:
        if target.contender not in group:
            out.append(f"| {target.text} | – | not measured |")
            continue
        ratio = target.ratio(project, group[target.contender])
        out.append(f"| {target.text} | {ratio:.2f}× | {ok(target.met(ratio))} |")
    return out


def tables(runs: list[Run], contenders: list[str]) -> list[str]:
    """Markdown: the target summary, one table per (size, format), seconds per M rows."""
    keys = keys_of(runs)
    if not keys:
        return []
    out = [
        "### SPEC targets",
        "",
        "| target | " + " | ".join(f"{rows:,} {fmt.upper()}" for rows, fmt in keys) + " |",
        "|---|" + "---|" * len(keys),
    ]
    for target in TARGETS:
        cells = []
        for rows, fmt in keys:
            group = group_of(runs, rows, fmt)
            if target.contender not in group:
                cells.append("–")
                continue
            ratio = target.ratio(group["project"], group[target.contender])
            cells.append(f"{ratio:.2f}× {ok(target.met(ratio))}")
        out.append(f"| {target.text} | " + " | ".join(cells) + " |")
    out.append("")
    for rows, fmt in keys:
        group = group_of(runs, rows, fmt)
        project = group["project"]
        out += [
            f"### {rows:,} rows, {fmt.upper()} ({project.file_mb:,.1f} MB on disk)",
            "",
            "| contender | median s | min–max s | median peak MB | time / project | "
            "peak / project | s per M rows |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name in contenders:
            if name not in group:
                continue
            run = group[name]
            seconds, peak = run.median("seconds"), run.median("peak_mb")
            out.append(
                f"| {name} | {seconds:.2f} | {spread(run.seconds)} | {peak:,.0f} | "
                f"{seconds / project.median('seconds'):.2f} | "
                f"{peak / project.median('peak_mb'):.2f} | {seconds / (rows / 1e6):.2f} |"
            )
        out += ["", *target_lines(group), ""]
    sizes = sorted({r.rows for r in runs})
    fmts = sorted({r.fmt for r in runs})
    out += [
        "### Seconds per million rows (median)",
        "",
        "| contender | format | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---|---|" + "---:|" * len(sizes),
    ]
    for fmt in fmts:
        for name in contenders:
            cells = []
            for size in sizes:
                run = group_of(runs, size, fmt).get(name)
                cells.append(f"{run.median('seconds') / (size / 1e6):.2f}" if run else "–")
            if any(cell != "–" for cell in cells):
                out.append(f"| {name} | {fmt} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def startup(repeat: int) -> list[str]:
    """Time the ``STARTUP`` commands (interleaved, median); markdown with PASS/FAIL."""
    times: dict[str, list[float]] = {label: [] for label in STARTUP}
    for _ in range(repeat):
        for label, (arguments, _limit) in STARTUP.items():
            seconds, _peak = measure([sys.executable, "-m", "conversion", *arguments])
            times[label].append(seconds)
    out = [
        "| command (whole process) | median s | min–max s | target | result |",
        "|---|---:|---:|---|---|",
    ]
    for label, (_arguments, limit) in STARTUP.items():
        median = statistics.median(times[label])
        out.append(
            f"| `python -m {label}` | {median:.3f} | {spread(times[label])} | "
            f"≤ {limit:g} s | {ok(median <= limit)} |"
        )
    return out


def slowest_imports() -> list[str]:
    """The ``SLOWEST_IMPORTS`` largest cumulative times of ``import conversion.cli``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import conversion.cli"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    imports = []
    for line in result.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[0].strip().isdigit():
            imports.append((int(fields[1]), int(fields[0]), fields[2].strip()))
    out = ["| module | cumulative ms | self ms |", "|---|---:|---:|"]
    for cumulative, own, module in sorted(imports, reverse=True)[:SLOWEST_IMPORTS]:
        out.append(f"| `{module}` | {cumulative / 1000:.1f} | {own / 1000:.1f} |")
    return out


def parse_sizes(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def measure_file(
    data: Path, rows: int, contenders: list[str], repeat: int, scratch: Path
) -> list[Run]:
    """Run every contender ``repeat`` times on ``data``, interleaved, checking agreement."""
    fmt = data.suffix.removeprefix(".")
    file_mb = data.stat().st_size / 2**20
    names = [c for c in contenders if fmt == "parquet" or c not in PARQUET_ONLY]
    runs = {name: Run(name, fmt, rows, file_mb, [], []) for name in names}
    for attempt in range(repeat):
        outputs: dict[str, Path] = {}
        for name in names:
            outputs[name] = scratch / f"{name}-{fmt}-{rows}-{attempt}.csv"
            seconds, peak = measure(command(name, data, outputs[name]))
            print(f"{rows:>11,} {fmt:<8} {name:<24} {seconds:7.2f} s {peak:8,.0f} MB", flush=True)
            runs[name].seconds.append(seconds)
            runs[name].peak_mb.append(peak)
        summary = check_agreement(outputs, fmt, rows)
    print(f"agree: {', '.join(names)} ({summary})", flush=True)
    return list(runs.values())


@dataclass
class Report:
    """What ``RESULTS.md`` says: the start-up section and the runs measured so far."""

    path: Path
    repeat: int
    sizes: list[int]
    formats: list[str]
    contenders: list[str]
    startup: list[str] | None = None
    imports: list[str] | None = None
    runs: list[Run] = field(default_factory=list)

    def write(self) -> None:
        command_line = (
            f"python benchmarks/run.py --sizes {','.join(str(s) for s in self.sizes)} "
            f"--format {'both' if len(self.formats) == 2 else self.formats[0]} "
            f"--repeat {self.repeat}"
        )
        definition = DEFINITION
        text = [
            "# Benchmark results",
            "",
            f"Produced by `{command_line}` (see `benchmarks/README.md`). All contenders agreed "
            "on every count of every run below.",
            "",
            "## Machine",
            "",
            *machine(),
            "",
            "## How it was measured",
            "",
            "Data: `benchmarks/generate.py --seed 7 --repeat-rows` (a repeated id repeats its "
            f"row exactly). Definition: segments {' × '.join(definition.segments)}, one contact "
            f"per `contact_id`, {definition.window_days}-day window, as-of "
            f"{definition.as_of.isoformat()}. Whole process per contender (interpreter "
            "start-up and imports included): wall time around `subprocess.Popen` … "
            "`os.wait4`; peak memory = the child's `ru_maxrss` from `os.wait4`. "
            f"{self.repeat} runs per contender, interleaved; median time and median peak "
            f"reported (the runner's own peak, {runner_peak_mb():.0f} MB, is a floor under "
            "every peak: see `measure` in `run.py`). The SPEC targets apply to every size and "
            "format, CSV and Parquet alike.",
            "",
            "## Start-up",
            "",
            *(self.startup or ["(not measured)"]),
            "",
            f'The {SLOWEST_IMPORTS} slowest imports of `python -X importtime -c "import '
            'conversion.cli"` (cumulative, one run):',
            "",
            *(self.imports or ["(not measured)"]),
            "",
            "## Results",
            "",
            *tables(self.runs, self.contenders),
        ]
        self.path.write_text("\n".join(text).rstrip() + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(float(s)), default=1_000_000)
    parser.add_argument("--sizes", type=parse_sizes, help="comma-separated, e.g. 2e6,1e7")
    parser.add_argument("--format", choices=["csv", "parquet", "both"], default=None)
    parser.add_argument("--check-only", action="store_true", help="agreement only, small data")
    parser.add_argument("--data-dir", type=Path, default=HERE / "data")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat", type=int, default=MIN_REPEAT, help="runs per contender (median)"
    )
    parser.add_argument("--skip", action="append", default=[], choices=CONTENDERS[1:])
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)

    contenders = available([c for c in CONTENDERS if c not in args.skip])
    if args.check_only:
        sizes = args.sizes or [CHECK_ROWS if args.rows == 1_000_000 else args.rows]
        fmt = args.format or "both"
        repeat = 1
    else:
        if args.repeat < MIN_REPEAT:
            parser.error(f"--repeat must be at least {MIN_REPEAT}: the report is a median")
        sizes = args.sizes or [args.rows]
        fmt = args.format or "csv"
        repeat = args.repeat
    formats = ["csv", "parquet"] if fmt == "both" else [fmt]

    report = Report(args.results, repeat, sizes, formats, contenders)
    if not args.check_only:
        print(f"start-up, {repeat} runs each ...", flush=True)
        report.startup = startup(repeat)
        report.imports = slowest_imports()
        print("\n".join(report.startup), flush=True)
    with tempfile.TemporaryDirectory(prefix="cbs-bench-") as scratch:
        for rows in sizes:
            folder = ensure_data(rows, args.seed, args.data_dir)
            for fmt_name in formats:
                runs = measure_file(
                    folder / f"contacts.{fmt_name}", rows, contenders, repeat, Path(scratch)
                )
                report.runs += runs
                if not args.check_only:  # after each size and format: a long run can be cut
                    print("\n".join(target_lines({r.contender: r for r in runs})), flush=True)
                    report.write()

    if args.check_only:
        print("check-only: all contenders agree on every count (no timing claims).")
        return 0
    print("\n".join(tables(report.runs, contenders)))
    report.write()
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
