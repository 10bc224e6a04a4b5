"""The row frame every source hands to the engine, written once in narwhals for all of them.

A source first makes its columns typed: a database's already are; a file's text dates are read
by polars into ``DAY + column`` (and its numbers to bin into ``NUMBER + column``, its week
starts into ``WEEK + column``), with a check column for each value that could not be read.
From there one reading serves every source: segments as trimmed text or date-bucket labels, the
id and orders key as text, the flag as a boolean, dates as days, and the time of day of a
contact date that carries one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals as nw

from conversion.errors import InputError
from conversion.reading.values import flag, text
from conversion.sources.base import (
    CONTACT_DATE,
    CONTACT_SECONDS,
    CONVERTED_DATE,
    FLAG,
    ID,
    KEY,
    ORDER_DATE,
    Check,
    Rows,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import polars as pl

    from conversion.definition import DateBucket, Definition

# Where a source that reads text puts the typed value of a column.
DAY = "__cbs_day_"
NUMBER = "__cbs_number_"
WEEK = "__cbs_week_"
BAD = "__cbs_bad_"
BAD_FLAG = BAD + "flag"
_PRESENT = "__cbs_present_flag"


def day(column: str, schema: Any, name: str) -> nw.Expr:
    """The day of a date column: its typed reading (``DAY + column``) or the typed column."""
    if DAY + column in schema:
        return nw.col(DAY + column)
    dtype = schema[column]
    if dtype == nw.Date:
        return nw.col(column)
    if dtype == nw.Datetime:
        return nw.col(column).dt.date()
    raise InputError(
        f"Column '{column}' in {name} is {dtype}, not a date. Convert it where the data are, "
        f'for example --query "select *, cast({column} as date) as {column}_day from ..." '
        "(for day-first or other text, the engine's strptime or to_date with the format), "
        "and use the new column."
    )


def seconds(moment: nw.Expr) -> nw.Expr:
    """Seconds since midnight of a datetime."""
    return (
        moment.dt.hour().cast(nw.Int64) * 3600
        + moment.dt.minute().cast(nw.Int64) * 60
        + moment.dt.second().cast(nw.Int64)
    )


def bucket_label(column: str, schema: Any, bucket: DateBucket, name: str) -> nw.Expr:
    """Text labels for date buckets that also sort in time order: 2025-01-27, 2025-01, 2025-Q1.

    A week is labelled by its Monday, which the source worked out (``WEEK + column``).
    """
    if bucket == "week":
        if WEEK + column not in schema:
            raise InputError(
                "Weekly buckets are worked out on files only; on a database or Spark use month, "
                "quarter or year."
            )
        return nw.col(WEEK + column).dt.to_string("%Y-%m-%d")
    date = day(column, schema, name)
    if bucket == "month":
        return date.dt.to_string("%Y-%m")
    if bucket == "quarter":
        quarter = ((date.dt.month() + 2) // 3).cast(nw.String)
        return nw.concat_str([date.dt.year().cast(nw.String), nw.lit("-Q"), quarter])
    return date.dt.year().cast(nw.String)


def contact_rows(
    frame: nw.LazyFrame,
    d: Definition,
    name: str,
    checks: Sequence[Check] = (),
    *,
    fast: bool = False,
) -> Rows:
    """One row per input row: segment values, id, flag, dates and keys, read and cleaned.

    ``frame`` holds the source's typed columns and ``checks`` its check columns; the flag's
    check is added here. Each flag is read once: whether a non-empty value was unreadable is
    then read off the flag column.
    """
    schema = frame.collect_schema()
    columns: list[nw.Expr] = []
    for column in d.segments:
        bucket = d.date_bucket(column)
        if bucket is not None:
            columns.append(bucket_label(column, schema, bucket, name).alias(column))
        elif d.bin_count(column) is not None:
            columns.append(nw.col(NUMBER + column).alias(column))
        else:
            columns.append(text(column).alias(column))
    flag_checks: list[Check] = []
    if d.id:
        columns.append(text(d.id).alias(ID))
    if d.converted:
        columns.append(flag(d.converted, schema[d.converted], d.customer_values).alias(FLAG))
        columns.append((~text(d.converted).is_null()).alias(_PRESENT))
        flag_checks.append(Check(BAD_FLAG, d.converted, "flag"))
    for role, dated in ((CONTACT_DATE, d.contact_date), (CONVERTED_DATE, d.converted_date)):
        if dated:
            columns.append(day(dated, schema, name).alias(role))
    if d.id and d.contact_date:
        if CONTACT_SECONDS in schema:
            columns.append(nw.col(CONTACT_SECONDS))
        elif DAY + d.contact_date not in schema and schema[d.contact_date] == nw.Datetime:
            columns.append(seconds(nw.col(d.contact_date)).alias(CONTACT_SECONDS))
    if d.orders is not None:
        columns.append(text(d.orders.key).alias(KEY))
    columns += [nw.col(check.name) for check in checks]
    rows = frame.select(*columns)
    if flag_checks:
        unreadable = nw.col(_PRESENT) & nw.col(FLAG).is_null()
        rows = rows.with_columns(unreadable.alias(BAD_FLAG)).drop(_PRESENT)
    return Rows(rows, _in_role_order(d, [*checks, *flag_checks]), fast)


def _in_role_order(d: Definition, checks: Sequence[Check]) -> tuple[Check, ...]:
    """Checks in the order their roles are read: segments, flag, contact and conversion date.

    The first failing check is the one reported, so the order decides which message an
    analyst sees first when several columns have unreadable values.
    """
    order = [*d.segments, d.converted, d.contact_date, d.converted_date]

    def rank(check: Check) -> int:
        if check.what == "flag":
            return len(d.segments)
        return next(i for i, column in enumerate(order) if column == check.column)

    return tuple(sorted(checks, key=rank))


def order_rows(frame: nw.LazyFrame, d: Definition, name: str, checks: Sequence[Check] = ()) -> Rows:
    """The orders table read like the contacts: the key as text, the order date as a day."""
    join = d.orders
    assert join is not None
    schema = frame.collect_schema()
    columns = [text(join.right_key).alias(KEY)]
    if join.orders_date:
        columns.append(day(join.orders_date, schema, name).alias(ORDER_DATE))
    columns += [nw.col(check.name) for check in checks]
    return Rows(frame.select(*columns), tuple(checks))


def missing_values(
    frame: nw.LazyFrame, columns: Sequence[str], fetch: Callable[[nw.LazyFrame], pl.DataFrame]
) -> dict[str, int]:
    """Empty values per column (nulls and blank text), counted in one query where the data are."""
    wanted = list(dict.fromkeys(c for c in columns if c))
    if not wanted:
        return {}
    empty = [
        nw.when(text(c).is_null()).then(nw.lit(1)).otherwise(nw.lit(0)).sum().alias(c)
        for c in wanted
    ]
    row = fetch(frame.select(*empty)).row(0, named=True)
    return {c: int(row[c] or 0) for c in wanted}
