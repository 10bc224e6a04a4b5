"""Contender d: the benchmark definition in pandas, reading the same file.

    python benchmarks/alt_pandas.py FILE --output OUT.csv

Same definition as ``alt_polars.py``, written the way a pandas user would: read, parse the
dates, a stable sort by contact date so the earliest row (ties: first line) comes first,
``drop_duplicates`` for the segment values and ``groupby().min()`` for the dates.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

SEGMENTS = ["source", "region", "device"]
MISSING = "(missing)"


def count(path: Path, window: int) -> pd.DataFrame:
    rows = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
    for column in ("contact_date", "converted_date"):
        rows[column] = pd.to_datetime(rows[column], format="%Y-%m-%d")
    earliest = (
        rows.sort_values("contact_date", kind="stable")
        .drop_duplicates("contact_id")
        .set_index("contact_id")[SEGMENTS]
    )
    dates = rows.groupby("contact_id")[["contact_date", "converted_date"]].min()
    people = earliest.join(dates)
    as_of = max(people["contact_date"].max(), people["converted_date"].max())
    people = people[people["contact_date"] <= as_of - pd.Timedelta(days=window)]
    lag = (people["converted_date"] - people["contact_date"]).dt.days
    people = people.assign(customer=lag.between(0, window)).fillna({c: MISSING for c in SEGMENTS})
    table = people.groupby(SEGMENTS).agg(
        contacts=("customer", "size"), customers=("customer", "sum")
    )
    return table.reset_index().sort_values(SEGMENTS)


def main() -> int:
    parser = argparse.ArgumentParser(description="pandas contender")
    parser.add_argument("file", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--window-days", type=int, default=90)
    args = parser.parse_args()
    count(args.file, args.window_days).to_csv(args.output, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
