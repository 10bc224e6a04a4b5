"""Looking across columns: which could be segments, and their per-segment counts.

The ranking of columns (``insights.rank_columns``) and the Simpson's-paradox scan
(``insights.simpson_scan``) need the same counts for many columns at once; this module decides
which columns qualify (and why others do not) and counts each with the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from conversion.analysis import insights
from conversion.counting.count import count

if TYPE_CHECKING:
    from conversion.definition import Definition
    from conversion.roles import Roles

MAX_CANDIDATES = 12
QUANTILE_BINS = 5


@dataclass(frozen=True)
class Candidates:
    """Columns worth breaking the rate down by, and the reason each other column is left out."""

    columns: tuple[str, ...]
    excluded: dict[str, str]


def candidate_columns(frame: pl.LazyFrame, d: Definition, roles: Roles) -> Candidates:
    """Every column that could be a segment, in one cheap query of distinct counts.

    Ids, dates in a role, near-unique columns and columns that restate the outcome (the flag,
    the conversion date, a lifecycle stage beside the flag) are excluded with a reason.
    """
    names = frame.collect_schema().names()
    counts = frame.select(
        pl.len().alias("__rows"), *(pl.col(c).n_unique().alias(c) for c in names)
    ).collect()
    rows = int(counts["__rows"][0])
    role_columns = {
        column: role
        for column, role in (
            (d.id, "id"),
            (d.contact_date, "contact date"),
            (d.contacts_column, "contacts count"),
            (d.customers_column, "customers count"),
            (d.orders.key if d.orders else None, "orders key"),
        )
        if column
    }
    leaks = {c for c in (d.converted, d.converted_date, roles.converted_date) if c}
    if roles.converted and roles.customer_values:
        leaks.add(roles.converted)
    chosen: list[str] = []
    excluded: dict[str, str] = {}
    for column in names:
        distinct = int(counts[column][0])
        # Dates and binned numbers are grouped, so their raw distinct count does not matter.
        grouped = column in roles.date_columns or column in roles.binnable_columns
        reason = insights.exclusion_reason(
            column,
            distinct=min(distinct, 2) if grouped and distinct > 1 else distinct,
            rows=rows,
            role_columns=role_columns,
            leak_columns=leaks,
        )
        if reason is None and len(chosen) < MAX_CANDIDATES:
            chosen.append(column)
        elif reason is not None:
            excluded[column] = reason
    return Candidates(tuple(chosen), excluded)


def shaped(d: Definition, columns: tuple[str, ...], roles: Roles) -> Definition:
    """``d`` broken down by ``columns``: dates by month, many-valued numbers in quantile bins."""
    bins, buckets = dict(d.bins), dict(d.date_buckets)
    return d.with_changes(
        segments=columns,
        top_k=None,
        bins=tuple((c, bins.get(c, QUANTILE_BINS)) for c in columns if c in roles.binnable_columns),
        date_buckets=tuple(
            (c, buckets.get(c, "month")) for c in columns if c in roles.date_columns
        ),
    )


def column_tables(
    frame: pl.LazyFrame,
    d: Definition,
    columns: tuple[str, ...],
    roles: Roles,
    orders: pl.LazyFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """Contacts and customers per segment of each column, counted as ``d`` counts them."""
    return {column: count(frame, shaped(d, (column,), roles), orders).table for column in columns}


def cross_tables(
    frame: pl.LazyFrame,
    d: Definition,
    exposure: str,
    columns: tuple[str, ...],
    roles: Roles,
    orders: pl.LazyFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """For each other column B, contacts and customers per (exposure, B) combination."""
    return {
        column: count(frame, shaped(d, (exposure, column), roles), orders).table
        for column in columns
        if column != exposure
    }


LEAK_REASON = (
    "'{column}' restates the outcome: every one of its segments converts at 0 % or 100 %, so it "
    "records the conversion rather than explaining it."
)


def leaking(tables: dict[str, pl.DataFrame]) -> dict[str, str]:
    """Columns whose segments all convert at exactly 0 % or 100 % (they encode the outcome)."""
    found = {}
    for column, table in tables.items():
        counted = table.filter(pl.col("contacts") > 0)
        perfect = (pl.col("customers") == 0) | (pl.col("customers") == pl.col("contacts"))
        if counted.height >= 2 and counted.select(perfect.all()).item():
            found[column] = LEAK_REASON.format(column=column)
    return found


def usable_tables(
    frame: pl.LazyFrame,
    d: Definition,
    roles: Roles,
    orders: pl.LazyFrame | None = None,
) -> tuple[dict[str, pl.DataFrame], dict[str, str]]:
    """Per-segment counts of every usable column, and why each other column is left out."""
    found = candidate_columns(frame, d, roles)
    tables = column_tables(frame, d, found.columns, roles, orders)
    leaks = leaking(tables)
    kept = {c: t for c, t in tables.items() if c not in leaks}
    return kept, {**found.excluded, **leaks}
