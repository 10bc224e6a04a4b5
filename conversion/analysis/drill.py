"""Drilling down a breakdown by several columns: one column at a time, within a chosen path.

A count by segments (A, B, C) has one row per combination, and every contact sits in exactly
one. The level under a path — a value of A, then of B — is the rows whose first columns hold the
path's values, summed by the next column; so its contacts and customers add up to the row of
the level above that the path picked, by construction. Top K is applied per level, within it:
the largest values of that column there, the rest summed as ``Other``.

Examples
--------
>>> table = pl.DataFrame({
...     "source": ["Ads", "Ads", "Web"], "region": ["EU", "US", "EU"],
...     "contacts": [10, 30, 20], "customers": [1, 6, 5],
... })
>>> level(table, ["source", "region"], ["Ads"]).rows()
[('EU', 10, 1), ('US', 30, 6)]
>>> level(table, ["source", "region"], []).rows()
[('Ads', 40, 7), ('Web', 20, 5)]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from conversion.counting import OTHER, top_k
from conversion.counting.aggregated import summed
from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence


def level(
    table: pl.DataFrame,
    segments: Sequence[str],
    path: Sequence[str],
    k: int | None = None,
) -> pl.DataFrame:
    """Contacts and customers by ``segments[len(path)]`` among the rows on ``path``.

    ``table`` is a count's per-combination table (without Top K, so no path value is hidden
    in ``Other``); ``path`` holds one value for each of the first columns. With ``k``, the
    level keeps its ``k`` largest values and sums the rest as ``Other``.

    Raises
    ------
    InputError
        When the path is as long as the segments (there is no column left to show), or a value
        on it is not in the table (the data changed under a stale path).
    """
    depth = len(path)
    if depth >= len(segments):
        raise InputError("Every segment column is on the path already: there is no level below.")
    rows = table
    for column, value in zip(segments, path, strict=False):
        rows = rows.filter(pl.col(column) == value)
        if rows.is_empty():
            raise InputError(f"No segment has {column} = {value!r} on this path any more.")
    column = segments[depth]
    out = summed(rows.select(column, "contacts", "customers"), [column])
    return top_k(out, [column], k) if k else out


def valid_path(table: pl.DataFrame, segments: Sequence[str], path: Sequence[str]) -> list[str]:
    """The longest start of ``path`` that still exists in ``table`` (and leaves a level below).

    A path stays in the session while the analyst changes other controls; after the data or
    the columns change, the part that no longer leads anywhere is dropped.
    """
    kept: list[str] = []
    rows = table
    for column, value in zip(segments[:-1], path, strict=False):
        rows = rows.filter(pl.col(column) == value)
        if rows.is_empty() or value == OTHER:
            break
        kept.append(value)
    return kept
