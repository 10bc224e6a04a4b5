"""Contender: the benchmark definition as a hand-written polars lazy query.

    python benchmarks/alt_polars.py FILE --output OUT.csv [--segments source,region]
        [--window-days 90] [--as-of YYYY-MM-DD] [--engine in-memory|streaming]

One contact per ``contact_id`` (segment values from its earliest row by contact date, ties to
the first line; contact date = min, converted date = min); as-of = ``--as-of``, or else the
latest contact or converted date; contacts with contact date > as-of - window left out;
customer iff 0 <= converted - contact <= window days. Writes the segment columns (empty
values as ``(missing)``), contacts, customers, sorted. Exact on any data, repeated rows or not.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from contender_args import parser

MISSING = "(missing)"
SCHEMA = {
    "contact_id": pl.String,
    "source": pl.String,
    "region": pl.String,
    "device": pl.String,
    "contact_date": pl.Date,
    "converted_date": pl.Date,
}


def query(
    path: Path, segments: list[str], window: int, as_of: dt.date | None = None
) -> pl.LazyFrame:
    parquet = path.suffix == ".parquet"
    rows = pl.scan_parquet(path) if parquet else pl.scan_csv(path, schema=SCHEMA)
    contact, converted = pl.col("contact_date"), pl.col("converted_date")
    first = contact.arg_min()  # first row with the earliest contact date
    people = rows.group_by("contact_id").agg(
        *(pl.col(c).get(first) for c in segments), contact.min(), converted.min()
    )
    latest = pl.max_horizontal(contact.max(), converted.max())
    mature_until = (pl.lit(as_of) if as_of else latest) - pl.duration(days=window)
    lag = (converted - contact).dt.total_days()
    return (
        people.filter(contact <= mature_until)
        .group_by(pl.col(segments).fill_null(MISSING))
        .agg(
            pl.len().alias("contacts"),
            lag.is_between(0, window).sum().alias("customers"),
        )
        .sort(segments)
    )


def main() -> int:
    arguments = parser("hand-written polars contender", as_of_required=False)
    arguments.add_argument("--engine", choices=["in-memory", "streaming"], default="in-memory")
    args = arguments.parse_args()
    table = query(args.file, args.segments, args.window_days, args.as_of)
    table.collect(engine=args.engine).write_csv(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
