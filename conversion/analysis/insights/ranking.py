"""Which candidate columns separate conversion most, and which should not be segments at all.

``exclusion_reason`` says in a sentence why a column is no segment (an id, a leak of the
outcome, a single value, nearly unique); ``rank_columns`` tests every other column's
per-segment counts with a chi-square test (Benjamini–Hochberg across columns), measures the
strength with Cramér's V and compares the best and worst segments' Wilson intervals;
``column_verdict`` reads one ranked row as the sentence the app shows.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import polars as pl

from conversion.analysis.insights._shared import check_columns, count_arrays, segment_text
from conversion.analysis.multiple_testing import adjust_pvalues
from conversion.analysis.stats import MIN_CONTACTS, chi_square, wilson_bounds

MAX_SEGMENTS = 200
NEAR_UNIQUE_SHARE = 0.5
CLEAR_ALPHA = 0.05
"""Adjusted p-value below which (with a positive spread) a column "separates conversion clearly"."""


def exclusion_reason(
    column: str,
    *,
    distinct: int,
    rows: int,
    role_columns: Mapping[str, str] | Collection[str] = (),
    leak_columns: Collection[str] = (),
) -> str | None:
    """Why a column should not be offered as a segment column, or None when it is fine.

    Parameters
    ----------
    column
        The column's name.
    distinct, rows
        Number of distinct values in the column and number of rows in the table.
    role_columns
        Columns already playing a role (id, contact date, ...): a set of names, or a mapping from
        name to role so the reason can name it.
    leak_columns
        Columns that restate the outcome: the conversion flag or conversion date, and anything
        derived from it (e.g. a lifecycle-stage column when the flag is another column).

    Returns
    -------
    str or None
        A sentence for the analyst; the first reason that applies, leaks first.

    Examples
    --------
    >>> print(exclusion_reason("email", distinct=980, rows=1000))
    ... # doctest: +NORMALIZE_WHITESPACE
    'email' is nearly unique (980 distinct values in 1,000 rows): each segment would be one or
    two contacts.
    >>> exclusion_reason("lead_id", distinct=9, rows=9, role_columns={"lead_id": "id"})
    "'lead_id' is the id column, not a segment."
    >>> exclusion_reason("source", distinct=5, rows=1000) is None
    True
    """
    if column in leak_columns:
        return (
            f"'{column}' restates the outcome (it is, or is derived from, the conversion flag "
            "or date): every segment's rate would be 0 % or 100 %."
        )
    if column in role_columns:
        role = role_columns[column] if isinstance(role_columns, Mapping) else "a role"
        article = "" if role == "a role" else "the "
        suffix = "" if role == "a role" else " column"
        return f"'{column}' is {article}{role}{suffix}, not a segment."
    if distinct <= 1:
        return f"'{column}' has a single value: there is nothing to compare."
    if distinct > MAX_SEGMENTS or (rows > 0 and distinct / rows > NEAR_UNIQUE_SHARE):
        return (
            f"'{column}' is nearly unique ({distinct:,} distinct values in {rows:,} rows): "
            "each segment would be one or two contacts."
        )
    return None


def rank_columns(
    tables: Mapping[str, pl.DataFrame], excluded: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """Rank candidate segment columns by how strongly they separate conversion.

    Parameters
    ----------
    tables
        For each candidate column, its per-segment table: the segment column (named as the key),
        ``contacts`` and ``customers``.
    excluded
        Columns left out, with the reason (see ``exclusion_reason``); they are listed last with
        null statistics so the result accounts for every column.

    Returns
    -------
    polars.DataFrame
        One row per column: ``column``, ``segments`` (with contacts), ``test``
        (``"chi-square"``), ``chi2``, ``df``, ``p_value``, ``p_adjusted`` (Benjamini–Hochberg over
        the ranked columns), ``cramers_v`` (√(χ² / (n·(min(r, 2) − 1))), no bias correction),
        ``best_segment``/``best_lower`` (the highest Wilson lower bound), ``worst_segment``/
        ``worst_upper`` (the lowest Wilson upper bound), ``spread`` (best lower − worst upper:
        above 0 means the best and worst segments' intervals do not overlap), ``thin``,
        ``note`` and ``excluded_reason``. Segments with fewer than 30 contacts are left out of
        the best/worst comparison unless fewer than two segments would remain. Sorted by
        p-value, then Cramér's V (highest first).

    Examples
    --------
    >>> tables = {
    ...     "source": pl.DataFrame({"source": ["Ads", "Web"], "contacts": [500, 500],
    ...                             "customers": [50, 100]}),
    ...     "region": pl.DataFrame({"region": ["N", "S"], "contacts": [500, 500],
    ...                             "customers": [74, 76]}),
    ... }
    >>> rank_columns(tables, {"email": "nearly unique"})["column"].to_list()
    ['source', 'region', 'email']
    """
    excluded = excluded or {}
    rows = [_rank_row(name, table) for name, table in tables.items() if name not in excluded]
    tested = [p if isinstance(p, float) else math.nan for p in (row["p_value"] for row in rows)]
    for row, adjusted in zip(rows, adjust_pvalues(tested), strict=True):
        row["p_adjusted"] = None if math.isnan(adjusted) else float(adjusted)
    rows += [
        dict.fromkeys(_RANK_SCHEMA) | {"column": name, "excluded_reason": reason}
        for name, reason in excluded.items()
    ]
    ranked = pl.DataFrame(rows, schema=_RANK_SCHEMA)
    return ranked.sort(
        [pl.col("excluded_reason").is_not_null(), "p_value", "cramers_v"],
        descending=[False, False, True],
        nulls_last=True,
        maintain_order=True,
    )


_RANK_SCHEMA = {
    "column": pl.String,
    "segments": pl.Int64,
    "test": pl.String,
    "chi2": pl.Float64,
    "df": pl.Int64,
    "p_value": pl.Float64,
    "p_adjusted": pl.Float64,
    "cramers_v": pl.Float64,
    "best_segment": pl.String,
    "best_lower": pl.Float64,
    "worst_segment": pl.String,
    "worst_upper": pl.Float64,
    "spread": pl.Float64,
    "thin": pl.Boolean,
    "note": pl.String,
    "excluded_reason": pl.String,
}


def _rank_row(name: str, table: pl.DataFrame) -> dict[str, object]:
    check_columns(table, [name], f"The table for column '{name}'")
    customers, contacts = count_arrays(table, f"the table for column '{name}'")
    labels = np.array(table.select(segment_text(name)).to_series().to_list(), dtype=object)
    keep = contacts > 0
    customers, contacts, labels = customers[keep], contacts[keep], labels[keep]
    row: dict[str, object] = dict.fromkeys(_RANK_SCHEMA) | {
        "column": name,
        "segments": int(keep.sum()),
    }
    test = chi_square(customers, contacts)
    notes = []
    if test is None:
        notes.append("no test: fewer than two segments, or no variation in conversion")
    else:
        row |= {
            "test": "chi-square",
            "chi2": test.statistic,
            "df": test.df,
            "p_value": test.p_value,
            "cramers_v": math.sqrt(test.statistic / contacts.sum()),
        }
        if test.small_expected:
            notes.append("expected counts below 5: the p-value is approximate")
    big = contacts >= MIN_CONTACTS
    if big.sum() < 2:
        big = np.ones_like(big)
        if contacts.size:
            notes.append(f"fewer than two segments have {MIN_CONTACTS} contacts")
    if contacts.size:
        low, high = wilson_bounds(customers[big], contacts[big])
        best, worst = int(np.argmax(low)), int(np.argmin(high))
        row |= {
            "best_segment": str(labels[big][best]),
            "best_lower": float(low[best]),
            "worst_segment": str(labels[big][worst]),
            "worst_upper": float(high[worst]),
            "spread": float(low[best] - high[worst]),
        }
    row["thin"] = bool(notes) or contacts.sum() < MIN_CONTACTS
    row["note"] = "; ".join(notes) or None
    return row


def split_excluded(ranked: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of ``rank_columns`` output that were ranked, and those left out, in order.

    Examples
    --------
    >>> tables = {"source": pl.DataFrame({"source": ["Ads", "Web"], "contacts": [500, 500],
    ...                                   "customers": [50, 100]})}
    >>> ranked, left_out = split_excluded(rank_columns(tables, {"email": "nearly unique"}))
    >>> ranked["column"].to_list(), left_out["excluded_reason"].to_list()
    (['source'], ['nearly unique'])
    """
    left_out = pl.col("excluded_reason").is_not_null()
    return ranked.filter(~left_out), ranked.filter(left_out)


def separates_clearly(p_adjusted: float | None, spread: float | None) -> bool:
    """True when a column's adjusted p is below 0.05 and its best segment is surely the better.

    A missing p-value or spread (no test) never separates clearly. An adjusted p that
    underflowed to exactly 0.0 is read as missing too, as the app always has.

    Examples
    --------
    >>> separates_clearly(0.001, 0.02), separates_clearly(0.001, -0.01)
    (True, False)
    >>> separates_clearly(None, 0.1)
    False
    """
    return (p_adjusted or 1) < CLEAR_ALPHA and (spread or 0) > 0


def column_verdict(row: Mapping[str, Any]) -> str:
    """One ranked column (a row of ``rank_columns``) in a line: the verdict and its numbers.

    Examples
    --------
    >>> tables = {"source": pl.DataFrame({"source": ["Ads", "Web"], "contacts": [500, 500],
    ...                                   "customers": [50, 100]})}
    >>> print(column_verdict(rank_columns(tables).row(0, named=True)))
    separates conversion clearly: V = 0.14, p = 9.5e-06, spread +3.8 pp
    """
    if row["cramers_v"] is None:
        return "not enough data to test"
    verdict = (
        "separates conversion clearly"
        if separates_clearly(row["p_adjusted"], row["spread"])
        else "no clear separation"
    )
    thin = " (thin data: approximate)" if row["thin"] else ""
    return (
        f"{verdict}{thin}: V = {row['cramers_v']:.2f}, p = {row['p_adjusted']:.2g}, "
        f"spread {row['spread'] * 100:+.1f} pp"
    )
