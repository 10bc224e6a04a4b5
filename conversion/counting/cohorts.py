"""Cohorts: contacts and customers per contact-date period, and the days each period spans."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from conversion.counting.count import count
from conversion.counting.engine import IMMATURE, MISSING
from conversion.counting.result import EXCLUSION
from conversion.errors import InputError

if TYPE_CHECKING:
    from conversion.counting.result import Counts
    from conversion.definition import DateBucket, Definition


def cohorts(
    contacts: object,
    definition: Definition,
    orders: object | None = None,
    *,
    period: DateBucket = "month",
) -> tuple[pl.DataFrame, Counts]:
    """Contacts and customers per cohort (contact-date period), optionally per segment.

    ``contacts`` and ``orders`` are anything ``count`` takes: files, frames or database tables.
    Returns the cohort table — ``cohort`` (the period's first day), the definition's segment
    columns, ``contacts``, ``customers``, ``immature`` (contacts left out because their window
    is not over) and ``mature`` (the whole period has had its window by the as-of date) — and
    the ``Counts`` it came from.
    """
    if definition.contact_date is None:
        raise InputError("Trends need the contact date: say which column holds it.")
    date_column = definition.contact_date
    segments = tuple(s for s in definition.segments if s != date_column)
    buckets = tuple(b for b in definition.date_buckets if b[0] != date_column)
    cohort_definition = definition.with_changes(
        segments=(date_column, *segments),
        date_buckets=((date_column, period), *buckets),
        top_k=None,
    )
    counts = count(contacts, cohort_definition, orders)
    keys = [date_column, *segments]
    immature = counts.excluded.filter(pl.col(EXCLUSION) == IMMATURE).select(
        *keys, pl.col("contacts").alias("immature")
    )
    table = counts.table.join(immature, on=keys, how="full", coalesce=True).with_columns(
        pl.col("contacts").fill_null(0),
        pl.col("customers").fill_null(0),
        pl.col("immature").fill_null(0),
    )
    table = table.filter(pl.col(date_column) != MISSING)
    as_of, window = counts.quality.as_of, definition.window_days
    labels = table[date_column].to_list()
    starts = [bucket_start(label, period) for label in labels]
    mature = [
        window is None
        or as_of is None
        or bucket_end(label, period) + timedelta(days=window) <= as_of
        for label in labels
    ]
    table = (
        table.with_columns(
            pl.Series("cohort", starts, dtype=pl.Date),
            pl.Series("mature", mature, dtype=pl.Boolean),
        )
        .drop(date_column)
        .select("cohort", *segments, "contacts", "customers", "immature", "mature")
        .sort(["cohort", *segments])
    )
    return table, counts


def bucket_start(label: str, bucket: DateBucket) -> date:
    """The first day of the bucket a label names (inverse of ``bucket_label``)."""
    if bucket == "week":
        return date.fromisoformat(label)
    if bucket == "month":
        return date.fromisoformat(label + "-01")
    if bucket == "quarter":
        year, quarter = label.split("-Q")
        return date(int(year), 3 * int(quarter) - 2, 1)
    return date(int(label), 1, 1)


def bucket_end(label: str, bucket: DateBucket) -> date:
    """The last day of the bucket a label names."""
    start = bucket_start(label, bucket)
    if bucket == "week":
        return start + timedelta(days=6)
    if bucket == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if bucket == "quarter":
        last_month = start.month + 2
        return start.replace(month=last_month, day=calendar.monthrange(start.year, last_month)[1])
    return date(start.year, 12, 31)
