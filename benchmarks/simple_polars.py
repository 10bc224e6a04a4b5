"""Baseline: the polars query an analyst would write for this file.

    python benchmarks/simple_polars.py FILE --output OUT.csv --as-of 2024-12-30 \
        [--segments source,region] [--window-days 90] [--engine in-memory|streaming]

Scan, keep the mature sign-ups, group by the segments, count distinct ids: all contacts, and
those converted 0 to ``--window-days`` days after their contact date. Exact on the
``generate.py --repeat-rows`` data, where a repeated id repeats its whole row; on data where a
person's rows differ it would count that person once in each of their segments.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from contender_args import parser


def count(path: Path, segments: list[str], window_days: int, as_of: dt.date) -> pl.LazyFrame:
    if path.suffix == ".parquet":
        rows = pl.scan_parquet(path)
    else:
        rows = pl.scan_csv(path, try_parse_dates=True)
    contact_id = pl.col("contact_id")
    lag_days = (pl.col("converted_date") - pl.col("contact_date")).dt.total_days()
    return (
        rows.filter(pl.col("contact_date") <= as_of - dt.timedelta(days=window_days))
        .group_by(segments)
        .agg(
            contacts=contact_id.n_unique(),
            customers=contact_id.filter(lag_days.is_between(0, window_days)).n_unique(),
        )
        .sort(segments)
    )


def main() -> int:
    arguments = parser("simple polars baseline", as_of_required=True)
    arguments.add_argument("--engine", choices=["in-memory", "streaming"], default="in-memory")
    args = arguments.parse_args()
    table = count(args.file, args.segments, args.window_days, args.as_of)
    table.collect(engine=args.engine).write_csv(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
