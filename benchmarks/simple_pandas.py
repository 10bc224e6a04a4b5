"""Baseline: the pandas code an analyst would write for this file.

    python benchmarks/simple_pandas.py FILE --output OUT.csv --as-of 2024-12-30 \
        [--segments source,region] [--window-days 90]

Read with the dates parsed, keep the mature rows, ``groupby(...).agg(nunique)`` of the id for
the contacts and of the id kept only where the lag is 0 to ``--window-days`` days for the
customers. Exact on the ``generate.py --repeat-rows`` data (see ``simple_polars.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from contender_args import parser

DATES = ["contact_date", "converted_date"]


def count(path: Path, segments: list[str], window_days: int, as_of: dt.date) -> pd.DataFrame:
    if path.suffix == ".parquet":
        rows = pd.read_parquet(path)
        rows[DATES] = rows[DATES].apply(pd.to_datetime)  # Parquet dates arrive as objects
    else:
        rows = pd.read_csv(path, parse_dates=DATES)
    mature = rows[rows["contact_date"] <= pd.Timestamp(as_of) - pd.Timedelta(days=window_days)]
    lag_days = (mature["converted_date"] - mature["contact_date"]).dt.days
    mature = mature.assign(customer_id=mature["contact_id"].where(lag_days.between(0, window_days)))
    table = mature.groupby(segments, dropna=False).agg(
        contacts=("contact_id", "nunique"), customers=("customer_id", "nunique")
    )
    return table.reset_index()


def main() -> int:
    args = parser("simple pandas baseline", as_of_required=True).parse_args()
    count(args.file, args.segments, args.window_days, args.as_of).to_csv(args.output, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
