"""Baseline: the DuckDB SQL an analyst would write for this file.

    python benchmarks/simple_duckdb.py FILE --output OUT.csv --as-of 2024-12-30 \
        [--segments source,region] [--window-days 90]

``count(distinct contact_id)`` per segment over the mature rows, with a ``filter (where ...)``
for the customers; DuckDB sniffs the CSV's types itself. Exact on the ``generate.py
--repeat-rows`` data (see ``simple_polars.py``).
"""

from __future__ import annotations

import duckdb
from contender_args import parser

SQL = """
SELECT
    {segments},
    count(DISTINCT contact_id) AS contacts,
    count(DISTINCT contact_id) FILTER (
        WHERE converted_date - contact_date BETWEEN 0 AND $window_days
    ) AS customers
FROM {scan}
WHERE contact_date <= $as_of - $window_days
GROUP BY ALL
ORDER BY ALL
"""


def quoted(text: str, quote: str) -> str:
    return quote + text.replace(quote, quote * 2) + quote


def main() -> int:
    args = parser("simple DuckDB baseline", as_of_required=True).parse_args()
    reader = "read_parquet" if args.file.suffix == ".parquet" else "read_csv"
    sql = SQL.format(
        segments=", ".join(quoted(column, '"') for column in args.segments),
        scan=f"{reader}({quoted(str(args.file), chr(39))})",
    )
    params = {"as_of": args.as_of, "window_days": args.window_days}
    duckdb.sql(sql, params=params).write_csv(str(args.output))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
