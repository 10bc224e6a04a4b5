"""Contender: the benchmark definition in pandas, reading the same file.

    python benchmarks/alt_pandas.py FILE --output OUT.csv [--segments source,region]
        [--window-days 90] [--as-of YYYY-MM-DD]

Same definition as ``alt_polars.py``, written the way a pandas user would: read, parse the
dates, a stable sort by contact date so the earliest row (ties: first line) comes first,
``drop_duplicates`` for the segment values and ``groupby().min()`` for the dates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from contender_args import parser

MISSING = "(missing)"


def count(
    path: Path, segments: list[str], window: int, as_of: dt.date | None = None
) -> pd.DataFrame:
    rows = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
    for column in ("contact_date", "converted_date"):
        rows[column] = pd.to_datetime(rows[column], format="%Y-%m-%d")
    earliest = (
        rows.sort_values("contact_date", kind="stable")
        .drop_duplicates("contact_id")
        .set_index("contact_id")[segments]
    )
    dates = rows.groupby("contact_id")[["contact_date", "converted_date"]].min()
    people = earliest.join(dates)
    if as_of is None:
        as_of = max(people["contact_date"].max(), people["converted_date"].max())
    people = people[people["contact_date"] <= pd.Timestamp(as_of) - pd.Timedelta(days=window)]
    lag = (people["converted_date"] - people["contact_date"]).dt.days
    people = people.assign(customer=lag.between(0, window)).fillna({c: MISSING for c in segments})
    table = people.groupby(segments).agg(
        contacts=("customer", "size"), customers=("customer", "sum")
    )
    return table.reset_index().sort_values(segments)


def main() -> int:
    args = parser("pandas contender", as_of_required=False).parse_args()
    table = count(args.file, args.segments, args.window_days, args.as_of)
    table.to_csv(args.output, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
