"""Monthly cohorts side by side: which can be judged, p-chart limits and the chi-square test.

A cohort is judged only once it is mature (every contact has had its full conversion window)
and has contacts. ``p_chart`` gives each cohort Shewhart control limits around the pooled rate,
``outside_cohorts`` lists those beyond them, and ``cohort_chi_square`` tests whether the mature
cohorts share one rate at all.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from conversion.analysis.insights._shared import check_columns, count_arrays
from conversion.analysis.stats import MIN_CONTACTS, MIN_OUTCOMES, ChiSquare, chi_square

SIGMA = 3.0
"""Control limits of the p-chart sit this many standard errors from the centre line."""


_JUDGED = pl.col("mature") & (pl.col("contacts") > 0)
"""A cohort row that can be judged: it has had its full window and it has contacts."""


def mature_cohorts(cohorts: pl.DataFrame) -> pl.DataFrame:
    """The rows of a cohort table that comparisons may use: mature, with contacts.

    Examples
    --------
    >>> import datetime as dt
    >>> cohorts = pl.DataFrame({
    ...     "cohort": [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)],
    ...     "contacts": [100, 0, 80], "customers": [10, 0, 4], "mature": [True, True, False]})
    >>> mature_cohorts(cohorts)["contacts"].to_list()
    [100]
    """
    return cohorts.filter(_JUDGED)


def cohort_dates(cohorts: pl.DataFrame) -> list[Any]:
    """The distinct cohorts of a cohort table, oldest first.

    Examples
    --------
    >>> import datetime as dt
    >>> cohorts = pl.DataFrame({"cohort": [dt.date(2025, 2, 1), dt.date(2025, 1, 1),
    ...                                    dt.date(2025, 2, 1)]})
    >>> cohort_dates(cohorts)
    [datetime.date(2025, 1, 1), datetime.date(2025, 2, 1)]
    """
    return cohorts["cohort"].unique().sort().to_list()


def _segment_columns(cohorts: pl.DataFrame) -> list[str]:
    fixed = {"cohort", "contacts", "customers", "immature", "mature"}
    return [c for c in cohorts.columns if c not in fixed]


def p_chart(cohorts: pl.DataFrame) -> pl.DataFrame:
    """Shewhart p-chart limits for the cohort rates, from mature cohorts only.

    Parameters
    ----------
    cohorts
        From ``rates.cohorts``: ``cohort``, optional segment columns, ``contacts``,
        ``customers``, ``mature`` (and ``immature``, kept as is). With segment columns, each
        segment gets its own centre line.

    Returns
    -------
    polars.DataFrame
        The table with ``rate``, ``centre`` (pooled rate p̄ over the mature cohorts), ``lcl`` and
        ``ucl`` (p̄ ± 3·√(p̄(1−p̄)/nᵢ), clipped to [0, 1]), ``outside`` (the rate is beyond a
        limit) and ``thin`` (n < 30, or nᵢ·p̄ or nᵢ·(1−p̄) below 5, where the normal limits are
        rough). Immature cohorts and cohorts without contacts get null limits and null
        ``outside``; they are not judged.

    Examples
    --------
    >>> import datetime as dt
    >>> cohorts = pl.DataFrame({
    ...     "cohort": [dt.date(2025, m, 1) for m in (1, 2, 3, 4, 5)],
    ...     "contacts": [400, 410, 420, 430, 100], "customers": [40, 52, 38, 61, 5],
    ...     "immature": [0, 0, 0, 0, 300], "mature": [True, True, True, True, False]})
    >>> p_chart(cohorts)["outside"].to_list()
    [False, False, False, False, None]
    """
    check_columns(cohorts, ["cohort", "mature"], "The cohort table")
    count_arrays(cohorts, "the cohort table")
    segments = _segment_columns(cohorts)
    centre = _mature_total("customers") / _mature_total("contacts")
    if segments:
        centre = centre.over(segments)
    n = pl.col("contacts")
    rate = pl.col("customers") / n
    half = SIGMA * (pl.col("centre") * (1 - pl.col("centre")) / n).sqrt()
    return (
        cohorts.with_columns(
            pl.when(n > 0).then(rate).alias("rate"),
            pl.when(_JUDGED).then(centre).fill_nan(None).alias("centre"),
        )
        .with_columns(
            (pl.col("centre") - half).clip(0.0, 1.0).alias("lcl"),
            (pl.col("centre") + half).clip(0.0, 1.0).alias("ucl"),
        )
        .with_columns(
            ((pl.col("rate") < pl.col("lcl")) | (pl.col("rate") > pl.col("ucl"))).alias("outside"),
            pl.when(pl.col("centre").is_not_null())
            .then(
                (n < MIN_CONTACTS)
                | (n * pl.col("centre") < MIN_OUTCOMES)
                | (n * (1 - pl.col("centre")) < MIN_OUTCOMES)
            )
            .alias("thin"),
        )
    )


def _mature_total(name: str) -> pl.Expr:
    return pl.col(name).filter(pl.col("mature")).sum()


def cohort_chi_square(cohorts: pl.DataFrame) -> ChiSquare | None:
    """Chi-square test that the rate is the same in every mature cohort.

    Segment columns, if any, are summed over first: this tests the overall rate across cohorts.
    Immature cohorts are left out. Returns None with fewer than two mature cohorts (or no
    variation); ``small_expected`` on the result says when the p-value is only approximate.

    Examples
    --------
    >>> import datetime as dt
    >>> cohorts = pl.DataFrame({
    ...     "cohort": [dt.date(2025, m, 1) for m in (1, 2, 3, 4)],
    ...     "contacts": [400, 410, 420, 430], "customers": [40, 52, 38, 61],
    ...     "immature": [0, 0, 0, 0], "mature": [True, True, True, True]})
    >>> result = cohort_chi_square(cohorts)
    >>> round(result.statistic, 4), result.df, round(result.p_value, 4)
    (6.975, 3, 0.0727)
    """
    check_columns(cohorts, ["cohort", "mature"], "The cohort table")
    count_arrays(cohorts, "the cohort table")
    per_cohort = (
        cohorts.filter(pl.col("mature"))
        .group_by("cohort")
        .agg(pl.col("contacts").sum(), pl.col("customers").sum())
        .sort("cohort")
    )
    return chi_square(per_cohort["customers"].to_numpy(), per_cohort["contacts"].to_numpy())


def outside_cohorts(points: pl.DataFrame) -> list[Any]:
    """The cohorts whose rate lies beyond the p-chart's limits, in the order of ``points``.

    Parameters
    ----------
    points
        From ``p_chart``; cohorts that were not judged (null ``outside``) are not outside.

    Examples
    --------
    >>> import datetime as dt
    >>> points = pl.DataFrame({"cohort": [dt.date(2025, m, 1) for m in (1, 2, 3)],
    ...                        "outside": [False, True, None]})
    >>> outside_cohorts(points)
    [datetime.date(2025, 2, 1)]
    """
    return points.filter(pl.col("outside").fill_null(False))["cohort"].to_list()
