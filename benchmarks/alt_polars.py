"""Contender b: the benchmark definition as a hand-written polars lazy query.

    python benchmarks/alt_polars.py FILE --output OUT.csv

Segments source x region x device; one contact per ``contact_id`` (segment values from its
earliest row by contact date, ties to the first line; contact date = min, converted date =
min); as-of = the latest contact or converted date; contacts with contact date > as-of - 90
days left out; customer iff 0 <= converted - contact <= 90 days. Writes source, region,
device, contacts, customers (empty segment values as ``(missing)``), sorted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

SEGMENTS = ["source", "region", "device"]
MISSING = "(missing)"


def query(path: Path, window: int) -> pl.LazyFrame:
    if path.suffix == ".parquet":
        rows = pl.scan_parquet(path)
    else:
        rows = pl.scan_csv(
            path,
            schema={
                "contact_id": pl.String,
                "source": pl.String,
                "region": pl.String,
                "device": pl.String,
                "contact_date": pl.Date,
                "converted_date": pl.Date,
            },
        )
    contact, converted = pl.col("contact_date"), pl.col("converted_date")
    first = contact.arg_min()  # first row with the earliest contact date
    people = rows.group_by("contact_id").agg(
        *(pl.col(c).get(first) for c in SEGMENTS), contact.min(), converted.min()
    )
    as_of = pl.max_horizontal(contact.max(), converted.max())
    lag = (converted - contact).dt.total_days()
    return (
        people.filter(contact <= as_of - pl.duration(days=window))
        .group_by(pl.col(SEGMENTS).fill_null(MISSING))
        .agg(
            pl.len().alias("contacts"),
            lag.is_between(0, window).sum().alias("customers"),
        )
        .sort(SEGMENTS)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="hand-written polars contender")
    parser.add_argument("file", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--window-days", type=int, default=90)
    args = parser.parse_args()
    query(args.file, args.window_days).collect().write_csv(args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
