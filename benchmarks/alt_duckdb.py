"""Contender: the benchmark definition in DuckDB SQL on the same file.

    python benchmarks/alt_duckdb.py FILE --output OUT.csv [--segments source,region]
        [--window-days 90] [--as-of YYYY-MM-DD]

Same definition as ``alt_polars.py``. The CSV is read with the column types given (dates as
DATE), so DuckDB does not sniff them; the Parquet file carries its own types. Ties on the
earliest contact date go to the first line of the file (the row number of the scan).
"""

from __future__ import annotations

import duckdb
from contender_args import parser

COLUMNS = (
    "{'contact_id': 'VARCHAR', 'source': 'VARCHAR', 'region': 'VARCHAR', "
    "'device': 'VARCHAR', 'contact_date': 'DATE', 'converted_date': 'DATE'}"
)

SQL = """
WITH rows AS (
    SELECT *, row_number() OVER () AS line FROM {scan}
),
people AS (
    SELECT
        {earliest},
        min(contact_date) AS contact_date,
        min(converted_date) AS converted_date
    FROM rows
    GROUP BY contact_id
),
as_of AS (
    {as_of}
)
SELECT
    {missing},
    count(*) AS contacts,
    count(*) FILTER (
        WHERE converted_date - contact_date BETWEEN 0 AND $window_days
    ) AS customers
FROM people, as_of
WHERE contact_date <= as_of.as_of - $window_days
GROUP BY ALL
ORDER BY ALL
"""
FIXED_AS_OF = "SELECT $as_of::DATE AS as_of"
LATEST_AS_OF = "SELECT greatest(max(contact_date), max(converted_date)) AS as_of FROM people"


def quoted(text: str, quote: str) -> str:
    return quote + text.replace(quote, quote * 2) + quote


def main() -> int:
    args = parser("DuckDB contender", as_of_required=False).parse_args()
    path = quoted(str(args.file), "'")
    if args.file.suffix == ".parquet":
        scan = f"read_parquet({path})"
    else:
        scan = f"read_csv({path}, header = true, columns = {COLUMNS})"
    columns = [quoted(column, '"') for column in args.segments]
    sql = SQL.format(
        scan=scan,
        earliest=",\n        ".join(
            f"arg_min_null({c}, (contact_date, line)) AS {c}" for c in columns
        ),
        as_of=FIXED_AS_OF if args.as_of else LATEST_AS_OF,
        missing=",\n    ".join(f"coalesce({c}, '(missing)') AS {c}" for c in columns),
    )
    params = {"window_days": args.window_days}
    if args.as_of:
        params["as_of"] = args.as_of
    duckdb.sql(sql, params=params).write_csv(str(args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
