"""The monthly review: the latest mature cohort against the previous one, overall and per segment.

The overall change gets a two-proportion test; each segment's change gets one too, adjusted
for multiple testing (Benjamini–Hochberg), and a segment "moved" only when its adjusted p is
small and neither cohort is thin for it. The result carries the numbers and a few plain
sentences for the analyst.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from conversion.analysis.insights._shared import (
    TEST_NAMES,
    check_columns,
    count_arrays,
    points,
    segment_text,
)
from conversion.analysis.insights.cohorts import cohort_dates, mature_cohorts
from conversion.analysis.multiple_testing import adjust_pvalues
from conversion.analysis.stats import float_series, low_sample, two_proportion_test


@dataclass(frozen=True)
class Review:
    """The latest mature cohort against the previous one, in numbers and in sentences.

    ``segments`` has one row per segment (empty without a segment column): ``segment``,
    ``contacts_before``, ``customers_before``, ``rate_before``, ``contacts_after``,
    ``customers_after``, ``rate_after``, ``change``, ``test``, ``p_value``, ``p_adjusted``
    (Benjamini–Hochberg), ``thin`` and ``significant``.
    """

    latest: date | None
    previous: date | None
    rate_latest: float
    rate_previous: float
    change: float
    test: str | None
    p_value: float
    thin: bool
    segments: pl.DataFrame
    sentences: tuple[str, ...]


_REVIEW_SCHEMA = {
    "segment": pl.String,
    "contacts_before": pl.Int64,
    "customers_before": pl.Int64,
    "rate_before": pl.Float64,
    "contacts_after": pl.Int64,
    "customers_after": pl.Int64,
    "rate_after": pl.Float64,
    "change": pl.Float64,
    "test": pl.String,
    "p_value": pl.Float64,
    "p_adjusted": pl.Float64,
    "thin": pl.Boolean,
    "significant": pl.Boolean,
}


def _cohort_name(cohort: object) -> str:
    return cohort.strftime("%B %Y") if hasattr(cohort, "strftime") else str(cohort)


def monthly_review(
    cohorts_by_segment: pl.DataFrame, segment: str | None = None, *, alpha: float = 0.05
) -> Review:
    """Compare the latest mature cohort with the previous mature one, overall and per segment.

    Parameters
    ----------
    cohorts_by_segment
        From ``rates.cohorts``: ``cohort``, optional segment column, ``contacts``,
        ``customers``, ``mature``.
    segment
        The segment column to look inside, or None for the overall change only.
    alpha
        Level below which a Benjamini–Hochberg adjusted p-value counts as a real move.

    Returns
    -------
    Review
        The overall change with its two-proportion test (z-test, or Fisher's exact test when an
        expected count is below 5), the segments table, and a few plain sentences. A segment
        "moved" only when its adjusted p is below ``alpha`` and neither cohort is low-sample
        for it (fewer than 30 contacts, fewer than 5 customers or non-customers, or an interval
        wider than ±10 points). With fewer than two mature cohorts, the sentences say so.

    Examples
    --------
    >>> import datetime as dt
    >>> cohorts = pl.DataFrame({
    ...     "cohort": [dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)],
    ...     "contacts": [1000, 1000, 200], "customers": [100, 150, 10],
    ...     "immature": [0, 0, 800], "mature": [True, True, False]})
    >>> review = monthly_review(cohorts)
    >>> review.test, round(review.change, 2)
    ('pooled two-proportion z-test', 0.05)
    >>> print(review.sentences[0])
    April 2025: 15.0% of 1,000 contacts converted, up from 10.0% in March 2025 (+5.0 points).
    """
    check_columns(cohorts_by_segment, ["cohort", "mature"], "The cohort table")
    count_arrays(cohorts_by_segment, "the cohort table")
    if segment is not None:
        check_columns(cohorts_by_segment, [segment], "The cohort table")
    mature = mature_cohorts(cohorts_by_segment)
    months = cohort_dates(mature)
    newer = cohort_dates(cohorts_by_segment.filter(~pl.col("mature")))
    waiting = (
        f"Newer cohorts ({', '.join(_cohort_name(c) for c in newer)}) have not had their full "
        "window yet and are left out."
        if newer
        else None
    )
    if len(months) < 2:
        return _no_review(months[-1] if months else None, waiting)
    previous, latest = months[-2], months[-1]
    totals = {
        month: mature.filter(pl.col("cohort") == month).select("customers", "contacts").sum().row(0)
        for month in (previous, latest)
    }
    (x0, n0), (x1, n1) = totals[previous], totals[latest]
    test, p_value = two_proportion_test(x1, n1, x0, n0)
    thin = bool(low_sample(np.array([x0, x1], float), np.array([n0, n1], float)).any())
    rate0, rate1 = x0 / n0, x1 / n1
    change = rate1 - rate0
    segments = (
        _segment_moves(mature, segment, previous, latest, alpha)
        if segment is not None
        else pl.DataFrame(schema=_REVIEW_SCHEMA)
    )
    direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
    verdict = (
        f"The change is unlikely to be chance ({TEST_NAMES[test]}, p = {p_value:.2g})."
        if p_value < alpha
        else f"The change is within what chance produces ({TEST_NAMES[test]}, p = {p_value:.2g})."
    )
    if thin:
        verdict += " Few contacts or customers: treat it with care."
    sentences: list[str | None] = [
        f"{_cohort_name(latest)}: {rate1:.1%} of {n1:,} contacts converted, {direction} from "
        f"{rate0:.1%} in {_cohort_name(previous)} ({points(change)}).",
        verdict,
        *_segment_sentences(segments, alpha, segment),
        waiting,
    ]
    return Review(
        latest=latest,
        previous=previous,
        rate_latest=rate1,
        rate_previous=rate0,
        change=change,
        test=TEST_NAMES[test],
        p_value=p_value,
        thin=thin,
        segments=segments,
        sentences=tuple(s for s in sentences if s),
    )


def _no_review(latest: date | None, waiting: str | None) -> Review:
    """The review when there are fewer than two mature cohorts: nothing to compare yet."""
    sentences = ("A review needs two mature cohorts; there are not enough yet.", waiting)
    return Review(
        latest=latest,
        previous=None,
        rate_latest=math.nan,
        rate_previous=math.nan,
        change=math.nan,
        test=None,
        p_value=math.nan,
        thin=True,
        segments=pl.DataFrame(schema=_REVIEW_SCHEMA),
        sentences=tuple(s for s in sentences if s),
    )


def _segment_moves(
    mature: pl.DataFrame, segment: str, previous: object, latest: object, alpha: float
) -> pl.DataFrame:
    def side(month: object, suffix: str) -> pl.DataFrame:
        return (
            mature.filter(pl.col("cohort") == month)
            .group_by(segment_text(segment).alias("segment"))
            .agg(
                pl.col("contacts").sum().alias(f"contacts_{suffix}"),
                pl.col("customers").sum().alias(f"customers_{suffix}"),
            )
        )

    both = side(previous, "before").join(side(latest, "after"), on="segment").sort("segment")
    x0, n0, x1, n1 = (
        both[c].to_numpy().astype(float)
        for c in ("customers_before", "contacts_before", "customers_after", "contacts_after")
    )
    results = [
        two_proportion_test(int(a), int(b), int(c), int(d))
        for a, b, c, d in zip(x1, n1, x0, n0, strict=True)
    ]
    p_values = np.array([p for _, p in results], dtype=float)
    p_adjusted = adjust_pvalues(p_values)
    # As booleans even with no segment in both cohorts (empty arrays keep a float type).
    thin = np.asarray(low_sample(x0, n0), bool) | np.asarray(low_sample(x1, n1), bool)
    significant = (np.nan_to_num(p_adjusted, nan=1.0) < alpha) & ~thin
    return both.select(
        "segment",
        pl.col("contacts_before").cast(pl.Int64),
        pl.col("customers_before").cast(pl.Int64),
        float_series("rate_before", x0 / n0),
        pl.col("contacts_after").cast(pl.Int64),
        pl.col("customers_after").cast(pl.Int64),
        float_series("rate_after", x1 / n1),
        float_series("change", x1 / n1 - x0 / n0),
        pl.Series("test", [TEST_NAMES[t] for t, _ in results], dtype=pl.String),
        float_series("p_value", p_values),
        float_series("p_adjusted", p_adjusted),
        pl.Series("thin", thin, dtype=pl.Boolean),
        pl.Series("significant", significant, dtype=pl.Boolean),
    )


def _segment_sentences(segments: pl.DataFrame, alpha: float, column: str | None) -> list[str]:
    if column is None or segments.is_empty():
        return []
    moved = segments.filter(pl.col("significant")).sort("change", descending=True)
    if moved.is_empty():
        text = (
            f"No {column} moved significantly once the {segments.height} comparisons are "
            f"adjusted for multiple testing (Benjamini–Hochberg, {alpha:.0%})."
        )
    else:
        parts = [
            f"{row['segment']} {'up' if row['change'] > 0 else 'down'} "
            f"{abs(row['change']) * 100:.1f} points ({row['rate_before']:.1%} → "
            f"{row['rate_after']:.1%})"
            for row in moved.iter_rows(named=True)
        ]
        text = (
            f"Moved significantly (Benjamini–Hochberg adjusted p < {alpha:g}): {'; '.join(parts)}."
        )
    sentences = [text]
    thin = segments.filter(pl.col("thin"))["segment"].to_list()
    if thin:
        sentences.append(f"Too few contacts to judge: {', '.join(thin)}.")
    return sentences
