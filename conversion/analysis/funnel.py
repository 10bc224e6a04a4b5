"""Statistics on a counted funnel: rates and intervals per stage, tests, biggest drops, days.

``describe_funnel`` adds to the per-segment, per-stage counts of ``count_funnel`` an overall
block (segment columns set to ``(all)``), the step rate (of the step's base) and the cumulative
rate (of stage 1) with Wilson intervals, and each segment's step rate against the rest of the
segments: pooled z-test or Fisher's exact test (``stats.two_proportion_test``), a Newcombe
interval on the difference, p-values adjusted across every segment and step (Benjamini–Hochberg
by default), and the low-sample rule of the rates (a flagged step is never significant).
``biggest_drops`` names the step each segment loses the largest share at; ``days_between``
gives the Kaplan–Meier median days from each stage to the next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from conversion.analysis import stats, survival
from conversion.analysis.multiple_testing import AdjustMethod, adjust_pvalues
from conversion.counting.funnel import COUNT_COLUMNS
from conversion.counting.stages import ALL

if TYPE_CHECKING:
    from conversion.counting.funnel import FunnelCounts

SIGNIFICANCE = 0.05
RATE_COLUMNS = (
    "step_rate",
    "step_ci_low",
    "step_ci_high",
    "cumulative_rate",
    "cumulative_ci_low",
    "cumulative_ci_high",
)
TEST_COLUMNS = (
    "rest_step_rate",
    "step_diff",
    "step_diff_low",
    "step_diff_high",
    "test",
    "p_value",
    "p_adjusted",
    "low_sample",
    "significant",
)


def with_overall(table: pl.DataFrame, segments: list[str]) -> pl.DataFrame:
    """The per-segment table followed by the overall block (segment columns ``(all)``)."""
    overall = (
        table.group_by("stage_index", maintain_order=True)
        .agg(pl.col("stage").first(), *(pl.col(c).sum() for c in COUNT_COLUMNS))
        .with_columns(*(pl.lit(ALL).alias(c) for c in segments))
    )
    step_columns = [c for c in COUNT_COLUMNS if c.startswith(("step", "immature", "cumulative"))]
    # Sums of nulls are 0: stage 1 has no step.
    overall = overall.with_columns(
        pl.when(pl.col("stage_index") > 1).then(pl.col(c)).alias(c) for c in step_columns
    )
    return pl.concat([table, overall.select(table.columns)])


def describe_funnel(counts: FunnelCounts, *, adjust: AdjustMethod = "bh") -> pl.DataFrame:
    """Rates, Wilson intervals and tests against the rest for every segment, stage and overall.

    Parameters
    ----------
    counts
        From ``count_funnel``.
    adjust
        ``"bh"`` (Benjamini–Hochberg) or ``"holm"``: the adjustment across segments × steps.

    Returns
    -------
    polars.DataFrame
        The counts (``COUNT_COLUMNS``), ``RATE_COLUMNS`` (fractions; step columns null for stage
        1, cumulative 1.0 there) and ``TEST_COLUMNS`` (null on the overall rows and stage 1).
    """
    segments = list(counts.funnel.segments)
    table = with_overall(counts.table, segments)
    is_first = table["stage_index"].to_numpy() == 1
    step_x = table["step_reached"].fill_null(0).to_numpy()
    step_n = table["step_base"].fill_null(0).to_numpy()
    reached = table["reached"].to_numpy()
    cum_x = np.where(is_first, reached, table["cumulative_reached"].fill_null(0).to_numpy())
    cum_n = np.where(is_first, reached, table["cumulative_base"].fill_null(0).to_numpy())
    step_low, step_high = stats.wilson_bounds(step_x, step_n)
    cum_low, cum_high = stats.wilson_bounds(cum_x, cum_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        step_rate = np.where(step_n > 0, step_x / step_n, np.nan)
        cum_rate = np.where(cum_n > 0, cum_x / cum_n, np.nan)
    described = table.with_columns(
        _floats("step_rate", np.where(is_first, np.nan, step_rate)),
        _floats("step_ci_low", np.where(is_first, np.nan, step_low)),
        _floats("step_ci_high", np.where(is_first, np.nan, step_high)),
        _floats("cumulative_rate", cum_rate),
        _floats("cumulative_ci_low", cum_low),
        _floats("cumulative_ci_high", cum_high),
    )
    return _with_tests(described, segments, adjust)


def _floats(name: str, values: np.ndarray) -> pl.Series:
    """A float column with NaN as null (no rate where there is no base)."""
    return pl.Series(name, values, dtype=pl.Float64).fill_nan(None)


def _with_tests(table: pl.DataFrame, segments: list[str], adjust: AdjustMethod) -> pl.DataFrame:
    """Each segment's step rate against the rest of the segments, adjusted across all tests."""
    is_overall = pl.all_horizontal(pl.col(c) == ALL for c in segments) if segments else pl.lit(True)
    totals = table.filter(is_overall).select(
        "stage_index", pl.col("step_reached").alias("_all_x"), pl.col("step_base").alias("_all_n")
    )
    rows = table.with_columns(is_overall.alias("_overall")).join(
        totals, on="stage_index", how="left", maintain_order="left"
    )
    tested = ~rows["_overall"] & (rows["stage_index"] > 1)
    several = rows.filter(~pl.col("_overall"))[segments].unique().height > 1 if segments else False
    results: dict[str, list[object]] = {c: [] for c in TEST_COLUMNS}
    for row, test_it in zip(rows.iter_rows(named=True), tested, strict=True):
        _test_row(row, bool(test_it and several), results)
    results["p_adjusted"] = list(adjust_pvalues(np.array(results["p_value"], dtype=float), adjust))
    adjusted = np.array(results["p_adjusted"], dtype=float)
    low = np.array(results["low_sample"], dtype=object)
    results["significant"] = [
        None
        if low[i] is None or np.isnan(adjusted[i])
        else bool(adjusted[i] < SIGNIFICANCE and not low[i])
        for i in range(len(low))
    ]
    added = pl.DataFrame(
        {
            "rest_step_rate": pl.Series(results["rest_step_rate"], dtype=pl.Float64),
            "step_diff": pl.Series(results["step_diff"], dtype=pl.Float64),
            "step_diff_low": pl.Series(results["step_diff_low"], dtype=pl.Float64),
            "step_diff_high": pl.Series(results["step_diff_high"], dtype=pl.Float64),
            "test": pl.Series(results["test"], dtype=pl.String),
            "p_value": pl.Series(results["p_value"], dtype=pl.Float64),
            "p_adjusted": pl.Series(results["p_adjusted"], dtype=pl.Float64),
            "low_sample": pl.Series(results["low_sample"], dtype=pl.Boolean),
            "significant": pl.Series(results["significant"], dtype=pl.Boolean),
        }
    ).with_columns(pl.col(pl.Float64).fill_nan(None))
    return pl.concat([table, added], how="horizontal")


def _test_row(row: dict, test_it: bool, results: dict[str, list[object]]) -> None:
    """One row's test against the rest (nulls where there is nothing to test)."""
    x, n = row["step_reached"] or 0, row["step_base"] or 0
    rest_x, rest_n = (row["_all_x"] or 0) - x, (row["_all_n"] or 0) - n
    if not test_it or n == 0 or rest_n == 0:
        for name, value in zip(
            TEST_COLUMNS[:-1], (np.nan,) * 4 + (None, np.nan, None, None), strict=True
        ):
            results[name].append(value)
        results["significant"].append(None)
        return
    test, p = stats.two_proportion_test(x, n, rest_x, rest_n)
    diff, low, high = stats.newcombe_difference(x, n, rest_x, rest_n)
    found: tuple[object, ...] = (rest_x / rest_n, diff, low, high, test, p, None)
    for name, result in zip(
        TEST_COLUMNS[:-1], (*found, bool(stats.low_sample(x, n)[0])), strict=True
    ):
        results[name].append(result)
    results["significant"].append(None)


def segment_rows(table: pl.DataFrame, segments: list[str]) -> pl.DataFrame:
    """The rows of a described funnel for the segments (the overall block left out)."""
    if not segments:
        return table
    return table.filter(~pl.all_horizontal(pl.col(c) == ALL for c in segments))


def biggest_drops(table: pl.DataFrame, segments: list[str]) -> pl.DataFrame:
    """Per segment (and overall): the step at which the largest share of contacts is lost.

    The step with the lowest step rate among steps with a base, preferring steps with enough
    contacts to judge (the low-sample rule of the rates); ties go to the earlier step.
    Returns the segment columns, ``from_stage``, ``to_stage``, ``stage_index`` (of the stage
    stepped into), ``step_rate``, ``step_ci_low``, ``step_ci_high``, ``lost`` (base − reached),
    ``step_base`` and ``thin`` (the step picked is low-sample).
    """
    steps = table.filter((pl.col("stage_index") > 1) & (pl.col("step_base") > 0))
    thin = stats.low_sample(steps["step_reached"].to_numpy(), steps["step_base"].to_numpy())
    steps = steps.with_columns(pl.Series("thin", thin, dtype=pl.Boolean))
    previous = table.select(
        *segments,
        (pl.col("stage_index") + 1).alias("stage_index"),
        pl.col("stage").alias("from_stage"),
    )
    steps = steps.join(previous, on=[*segments, "stage_index"], how="left")
    order = pl.int_range(pl.len()).over(segments) if segments else pl.int_range(pl.len())
    picked = (
        steps.sort([*segments, "thin", "step_rate", "stage_index"], maintain_order=True)
        .filter(order == 0)
        .select(
            *segments,
            "from_stage",
            pl.col("stage").alias("to_stage"),
            "stage_index",
            "step_rate",
            "step_ci_low",
            "step_ci_high",
            (pl.col("step_base") - pl.col("step_reached")).alias("lost"),
            "step_base",
            "thin",
        )
    )
    # Segments in table order, overall last.
    first_seen = table.select(segments).unique(maintain_order=True).with_row_index("_order")
    return picked.join(first_seen, on=segments).sort("_order").drop("_order")


def days_between(counts: FunnelCounts) -> pl.DataFrame | None:
    """Median days from each stage to the next, per segment and overall (Kaplan–Meier).

    A contact that reached stage k−1 and not stage k by the as-of date is censored there: it
    may still get there. Returns the segment columns, ``stage_index`` (the stage stepped
    into), ``contacts``, ``converters`` (contacts that made the step), ``median_days`` (null
    while fewer than half have made it) and ``median_days_converters``; None without dates.
    """
    if counts.days is None:
        return None
    segments = list(counts.funnel.segments)
    overall = counts.days.with_columns(*(pl.lit(ALL).alias(c) for c in segments))
    both = pl.concat([counts.days, overall.select(counts.days.columns)])
    if both.height == 0:
        return None
    km = survival.kaplan_meier(both, [*segments, "stage_index"])
    medians = survival.median_days(km)
    return medians.drop("thin").sort([*segments, "stage_index"])
