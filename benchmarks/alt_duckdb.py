"""Contender c: the benchmark definition in DuckDB SQL on the same file.

    python benchmarks/alt_duckdb.py FILE --output OUT.csv

Same definition as ``alt_polars.py``. The CSV is read with the column types given (dates as
DATE), so DuckDB does not sniff them; the Parquet file carries its own types. Ties on the
earliest contact date go to the first line of the file (the row number of the scan).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

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
        arg_min_null(source, (contact_date, line)) AS source,
        arg_min_null(region, (contact_date, line)) AS region,
        arg_min_null(device, (contact_date, line)) AS device,
        min(contact_date) AS contact_date,
        min(converted_date) AS converted_date
    FROM rows
    GROUP BY contact_id
),
as_of AS (
    SELECT greatest(max(contact_date), max(converted_date)) AS as_of FROM people
)
SELECT
    coalesce(source, '(missing)') AS source,
    coalesce(region, '(missing)') AS region,
    coalesce(device, '(missing)') AS device,
    count(*) AS contacts,
    count(*) FILTER (
        WHERE converted_date - contact_date BETWEEN 0 AND {window}
    ) AS customers
FROM people, as_of
WHERE contact_date <= as_of.as_of - {window}
GROUP BY ALL
ORDER BY source, region, device
"""


def main() -> int:
    parser = argparse.ArgumentParser(description="DuckDB contender")
    parser.add_argument("file", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--window-days", type=int, default=90)
    args = parser.parse_args()
    path = str(args.file).replace("'", "''")
    if args.file.suffix == ".parquet":
        scan = f"read_parquet('{path}')"
    else:
        scan = f"read_csv('{path}', header = true, columns = {COLUMNS})"
    sql = SQL.format(scan=scan, window=int(args.window_days))
    out = str(args.output).replace("'", "''")
    duckdb.sql(f"COPY ({sql}) TO '{out}' (HEADER, DELIMITER ',')")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
