"""Period over period per segment: both rates, the change with its interval, and who drove it.

Two per-segment tables (the previous period and the current one, mature contacts only) become
one table: each segment's two rates, the change in points with Newcombe's interval, a
two-proportion test of the two periods (pooled z, or Fisher's exact test when an expected count
is below 5) with p-values adjusted across segments (Benjamini–Hochberg by default), and each
segment's share of the change in the overall rate (the symmetric mix/rate split of
``insights.mix``), ranked by its size. ``drops`` picks the segments an alert should name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl

from conversion.analysis.insights._shared import check_columns, count_arrays
from conversion.analysis.insights.mix import TOTAL, mix_rate_decomposition
from conversion.analysis.multiple_testing import AdjustMethod, adjust_pvalues
from conversion.analysis.stats import _newcombe_arrays, float_series, two_proportion_test
from conversion.counting.engine import MISSING
from conversion.counting.result import OTHER

LABEL = "_segment"
"""A temporary column: the segment columns joined, the key of the mix/rate split."""

CHANGE_COLUMNS = (
    "previous_contacts",
    "previous_customers",
    "current_contacts",
    "current_customers",
    "previous_rate",
    "current_rate",
    "change",
    "change_low",
    "change_high",
    "test",
    "p_value",
    "p_adjusted",
    "mix_effect",
    "rate_effect",
    "contribution",
    "driver_rank",
)
"""The columns ``period_change`` adds after the segment columns, in order."""


def period_change(
    previous: pl.DataFrame,
    current: pl.DataFrame,
    segments: Sequence[str],
    adjust: AdjustMethod = "bh",
    top_k: int | None = None,
) -> pl.DataFrame:
    """Each segment's rate in two periods, the change with its interval, test and contribution.

    Parameters
    ----------
    previous, current
        Per-segment counts of the two periods: the ``segments`` columns, ``contacts`` and
        ``customers`` (one row per segment; a segment missing from a period has no contacts
        there).
    segments
        The segment columns.
    adjust
        The multiple-comparison adjustment of the p-values across segments.
    top_k
        Keep the K segments with most contacts over both periods per column, the rest summed
        as ``Other`` in both periods alike (``keep_top``); None keeps every segment.

    Returns
    -------
    polars.DataFrame
        The segment columns then ``CHANGE_COLUMNS``: counts per period, the two rates (null
        without contacts), ``change`` = current − previous rate with Newcombe's 95 % interval
        ``change_low``/``change_high`` (fractions; null unless both periods have contacts),
        ``test`` ("z" or "fisher"), ``p_value`` and ``p_adjusted``, the segment's
        ``mix_effect`` and ``rate_effect`` on the overall rate and their sum
        ``contribution``, and ``driver_rank`` (1 for the largest contribution in size).
        Sorted by ``driver_rank``.

    Raises
    ------
    InputError
        When a table lacks a column, holds impossible counts, or a period has no contacts.

    Examples
    --------
    >>> before = pl.DataFrame({"source": ["Ads", "Email"], "contacts": [200, 100],
    ...                        "customers": [20, 30]})
    >>> after = pl.DataFrame({"source": ["Ads", "Email"], "contacts": [200, 100],
    ...                       "customers": [10, 30]})
    >>> table = period_change(before, after, ["source"])
    >>> table.select("source", pl.col("change").round(3), "driver_rank").rows()
    [('Ads', -0.05, 1), ('Email', 0.0, 2)]
    """
    keys = list(segments)
    for table, name in ((previous, "previous"), (current, "current")):
        check_columns(table, [*keys, "contacts", "customers"], f"The {name} period's table")
        count_arrays(table, f"the {name} period's table")
    if top_k is not None:
        previous, current = keep_top(previous, current, keys, top_k)
    sides = []
    for table, name in ((previous, "previous"), (current, "current")):
        sides.append(
            table.group_by(keys).agg(
                pl.col("contacts").sum().cast(pl.Int64).alias(f"{name}_contacts"),
                pl.col("customers").sum().cast(pl.Int64).alias(f"{name}_customers"),
            )
        )
    joined = sides[0].join(sides[1], on=keys, how="full", coalesce=True, nulls_equal=True)
    joined = joined.with_columns(pl.col("^(previous|current)_.*$").fill_null(0)).sort(keys)
    joined = _with_tests(_with_rates(joined), adjust)
    return _with_contributions(joined, keys)


def keep_top(
    previous: pl.DataFrame, current: pl.DataFrame, segments: Sequence[str], k: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both periods with the K largest segments per column over both, the rest as ``Other``.

    Size is contacts over both periods; ties go to the first values in sort order, and
    ``(missing)`` is never folded (as ``counting.result.top_k``).

    Examples
    --------
    >>> before = pl.DataFrame({"s": ["A", "B", "C"], "contacts": [10, 1, 5],
    ...                        "customers": [1, 0, 1]})
    >>> after = pl.DataFrame({"s": ["A", "B"], "contacts": [10, 9], "customers": [2, 1]})
    >>> [t.sort("s").rows() for t in keep_top(before, after, ["s"], 2)]
    [[('A', 10, 1), ('B', 1, 0), ('Other', 5, 1)], [('A', 10, 2), ('B', 9, 1)]]
    """
    for column in segments:
        both = pl.concat([t.select(column, "contacts") for t in (previous, current)])
        totals = (
            both.filter(pl.col(column) != MISSING)
            .group_by(column)
            .agg(pl.col("contacts").sum())
            .sort(["contacts", column], descending=[True, False])
        )
        if totals.height <= k:
            continue
        keep = [*totals[column].head(k).to_list(), MISSING]
        label = pl.when(pl.col(column).is_in(keep)).then(pl.col(column)).otherwise(pl.lit(OTHER))
        previous, current = (t.with_columns(label.alias(column)) for t in (previous, current))
    return previous, current


def _with_rates(table: pl.DataFrame) -> pl.DataFrame:
    """The two rates and the change with Newcombe's interval (current against previous)."""
    x0, n0 = table["previous_customers"].to_numpy(), table["previous_contacts"].to_numpy()
    x1, n1 = table["current_customers"].to_numpy(), table["current_contacts"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        change, low, high = _newcombe_arrays(x1, n1, x0, n0)
        previous_rate, current_rate = x0 / n0, x1 / n1
    return table.with_columns(
        float_series("previous_rate", previous_rate),
        float_series("current_rate", current_rate),
        float_series("change", change),
        float_series("change_low", low),
        float_series("change_high", high),
    )


def _with_tests(table: pl.DataFrame, adjust: AdjustMethod) -> pl.DataFrame:
    """The test of the two periods per segment and its adjusted p-value (segments in both)."""
    tests: list[str | None] = []
    p_values = []
    for row in table.iter_rows(named=True):
        n0, n1 = row["previous_contacts"], row["current_contacts"]
        if n0 == 0 or n1 == 0:
            tests.append(None)
            p_values.append(np.nan)
            continue
        test, p = two_proportion_test(row["current_customers"], n1, row["previous_customers"], n0)
        tests.append(test)
        p_values.append(p)
    return table.with_columns(
        pl.Series("test", tests, dtype=pl.String),
        float_series("p_value", np.array(p_values, dtype=float)),
        float_series("p_adjusted", adjust_pvalues(p_values, adjust)),
    )


def _with_contributions(table: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Each segment's mix and rate effect on the overall change, and its rank by size."""
    label = pl.concat_str(
        [pl.col(k).cast(pl.String).fill_null("(missing)") for k in keys], separator=" · "
    )
    labelled = table.with_columns(label.alias(LABEL))

    def period(name: str) -> pl.DataFrame:
        return labelled.select(
            LABEL,
            pl.col(f"{name}_contacts").alias("contacts"),
            pl.col(f"{name}_customers").alias("customers"),
        )

    parts = mix_rate_decomposition(period("previous"), period("current"), LABEL)
    parts = parts.filter(pl.col("segment") != TOTAL).select(
        pl.col("segment").alias(LABEL),
        "mix_effect",
        "rate_effect",
        pl.col("total_effect").alias("contribution"),
    )
    ranked = labelled.join(parts, on=LABEL, how="left").with_columns(
        pl.col("contribution").abs().rank("ordinal", descending=True).cast(pl.Int64)
        .alias("driver_rank")
    )  # fmt: skip
    return ranked.sort("driver_rank").select(*keys, *CHANGE_COLUMNS)


def between_cohorts(
    cohorts: pl.DataFrame,
    segments: Sequence[str],
    previous: date,
    current: date,
    adjust: AdjustMethod = "bh",
    top_k: int | None = None,
) -> pl.DataFrame:
    """``period_change`` of two cohorts of a ``counting.cohorts`` table (values of ``cohort``).

    The cohort table's counts hold mature contacts only (immature ones are counted apart, in
    ``immature``), so neither period carries contacts whose window is not over.

    Examples
    --------
    >>> import datetime as dt
    >>> jan, feb = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
    >>> cohorts = pl.DataFrame({"cohort": [jan, feb], "s": ["A", "A"],
    ...                         "contacts": [10, 10], "customers": [1, 3]})
    >>> between_cohorts(cohorts, ["s"], jan, feb)["change"].round(2).to_list()
    [0.2]
    """
    return between_spans(cohorts, segments, (previous, previous), (current, current), adjust, top_k)


def between_spans(
    cohorts: pl.DataFrame,
    segments: Sequence[str],
    previous: tuple[date, date],
    current: tuple[date, date],
    adjust: AdjustMethod = "bh",
    top_k: int | None = None,
) -> pl.DataFrame:
    """``period_change`` of two runs of cohorts, each ``(first, last)`` cohort, counts summed.

    Examples
    --------
    >>> import datetime as dt
    >>> jan, feb, mar = (dt.date(2025, m, 1) for m in (1, 2, 3))
    >>> cohorts = pl.DataFrame({"cohort": [jan, feb, mar], "s": ["A", "A", "A"],
    ...                         "contacts": [10, 10, 10], "customers": [1, 3, 4]})
    >>> between_spans(cohorts, ["s"], (jan, feb), (mar, mar))["change"].round(2).to_list()
    [0.2]
    """

    def within(span: tuple[date, date]) -> pl.DataFrame:
        return cohorts.filter(pl.col("cohort").is_between(span[0], span[1]))

    return period_change(within(previous), within(current), segments, adjust, top_k)


def overall_change(table: pl.DataFrame) -> tuple[float, float]:
    """The overall rate in the previous and the current period, from ``period_change`` output.

    Examples
    --------
    >>> before = pl.DataFrame({"s": ["A", "B"], "contacts": [100, 100], "customers": [10, 30]})
    >>> after = pl.DataFrame({"s": ["A", "B"], "contacts": [100, 100], "customers": [10, 10]})
    >>> overall_change(period_change(before, after, ["s"]))
    (0.2, 0.1)
    """
    sums = table.select(pl.col("^(previous|current)_(contacts|customers)$").sum()).row(
        0, named=True
    )
    return (
        sums["previous_customers"] / sums["previous_contacts"],
        sums["current_customers"] / sums["current_contacts"],
    )


def drops(
    table: pl.DataFrame,
    *,
    min_contacts: int = 100,
    drop: float = 0.03,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """The segments whose rate fell by at least ``drop`` and significantly after adjustment.

    Parameters
    ----------
    table
        From ``period_change``.
    min_contacts
        A segment with fewer contacts than this in either period never counts as a drop.
    drop
        The smallest fall, as a fraction (0.03 = 3 points).
    alpha
        The level the adjusted p-value must be below.

    Returns
    -------
    polars.DataFrame
        The rows of ``table`` that qualify, largest fall first.

    Examples
    --------
    >>> before = pl.DataFrame({"s": ["A", "B"], "contacts": [1000, 1000],
    ...                        "customers": [200, 200]})
    >>> after = pl.DataFrame({"s": ["A", "B"], "contacts": [1000, 1000],
    ...                       "customers": [100, 195]})
    >>> drops(period_change(before, after, ["s"]))["s"].to_list()
    ['A']
    """
    return table.filter(
        (pl.col("previous_contacts") >= min_contacts)
        & (pl.col("current_contacts") >= min_contacts)
        & (pl.col("change") <= -drop + 1e-12)
        & (pl.col("p_adjusted") < alpha)
    ).sort("change")
