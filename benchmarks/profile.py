"""Where the seconds of one ``conversion rates`` run go, phase by phase, beside the simple query.

    python benchmarks/profile.py benchmarks/data/2000000-repeat/contacts.csv

Each phase is timed in one process, in the order the command runs it: importing the engine,
reading the file (format, encoding and field checks), deciding how dates are written, the row
frame (every text value read), one row per contact, the summary (window, maturity, tallies),
then the statistics. The simple streaming polars query (``simple_polars.py``'s definition) is
timed in the same process for comparison. Phases are collected separately, so their sum is
more than one ``count`` (which runs the whole plan once); the point is their proportions.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import simple_polars  # the benchmark's contender, beside this script


def phases(path: Path, segments: list[str], as_of: date, window: int) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    started = time.perf_counter()

    def mark(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        out.append((name, now - started))
        started = now

    import narwhals as nw
    import polars  # noqa: F401  (timed here, apart from the engine)

    mark("import polars, narwhals")
    from conversion import counting, reading, sources
    from conversion.analysis import stats
    from conversion.counting import engine
    from conversion.definition import Definition

    mark("import the engine")
    table = reading.load(path)
    mark("read the file (format, encoding, field checks)")
    d = Definition(
        segments=tuple(segments),
        id="contact_id",
        contact_date="contact_date",
        converted_date="converted_date",
        window_days=window,
        as_of=as_of,
    )
    source = sources.of(table)
    rows = source.rows(d)
    mark("decide how each date column is written")
    nw.to_native(rows.frame).collect()
    mark("row frame: every value read (collected)")
    bad = [check.name for check in rows.checks]
    contacts = engine.per_contact(rows.frame, d, bad=bad)
    nw.to_native(contacts).collect()
    mark("one row per contact (collected, from the file)")
    summary = engine.summarise(engine.classify(contacts, d), d, bad=bad)
    nw.to_native(summary).collect()
    mark("summary (collected, from the file)")
    counts = counting.count(source, d)
    mark("count(): the whole plan once")
    stats.describe(counts.table, d.bands)
    mark("statistics")

    simple_polars.count(path, segments, window, as_of).collect(engine="streaming")
    mark("simple streaming polars query, whole")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--segments", default="source,region")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2024, 12, 30))
    parser.add_argument("--window-days", type=int, default=90)
    args = parser.parse_args()
    segments = [s for s in args.segments.split(",") if s]
    results = phases(args.file, segments, args.as_of, args.window_days)
    width = max(len(name) for name, _ in results)
    print(f"{'phase':<{width}}  seconds")
    for name, seconds in results:
        print(f"{name:<{width}}  {seconds:7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
