"""Simpson's paradox: does adjusting for another column reverse the comparison of two segments?

``mantel_haenszel`` compares two levels of one column overall (crude) and within the strata of
another (Mantel–Haenszel difference and ratio, Cochran–Mantel–Haenszel test);
``simpson_warning`` words a reversal for the analyst, and ``simpson_flips`` / ``simpson_scan``
find every candidate column whose adjustment reverses it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from conversion.analysis.insights._shared import (
    TEST_NAMES,
    check_columns,
    count_arrays,
    points,
    rate,
    segment_text,
)
from conversion.analysis.stats import MIN_CONTACTS, two_proportion_test
from conversion.errors import InputError


@dataclass(frozen=True)
class MH:
    """Exposure level ``a`` against ``b``, crude and adjusted for ``stratum`` (Mantel–Haenszel).

    Differences and ratios are of rates as fractions, ``a`` relative to ``b``. ``test`` names the
    test the adjusted comparison rests on (Cochran–Mantel–Haenszel, 1 df, no continuity
    correction) and ``crude_test`` the one for the crude comparison.
    """

    exposure: str
    stratum: str
    a: str
    b: str
    rate_a: float
    rate_b: float
    crude_difference: float
    crude_ratio: float
    adjusted_difference: float
    adjusted_ratio: float
    direction_flips: bool
    crude_test: str
    crude_p_value: float
    test: str
    statistic: float
    p_value: float
    strata_used: int
    strata_skipped: tuple[str, ...]
    composition: pl.DataFrame = field(compare=False)
    thin: bool
    thin_reason: str | None


CMH_TEST = "Cochran–Mantel–Haenszel test"


def mantel_haenszel(strata: pl.DataFrame, exposure: str, stratum: str, a: str, b: str) -> MH:
    """Compare exposure level ``a`` with ``b`` overall (crude) and within strata (adjusted).

    Parameters
    ----------
    strata
        Rows of ``exposure``, ``stratum``, ``contacts`` and ``customers`` (repeated rows are
        summed); levels of ``exposure`` other than ``a`` and ``b`` are ignored. Values are
        compared as text.
    exposure, stratum
        The column compared (e.g. channel) and the column to adjust for (e.g. company size).
    a, b
        The two levels of ``exposure`` to compare.

    Returns
    -------
    MH
        Crude difference and ratio of rates; Mantel–Haenszel difference (weights n_a·n_b/N per
        stratum) and ratio; ``direction_flips`` when the crude and adjusted differences have
        opposite signs (both non-zero); the Cochran–Mantel–Haenszel test; ``composition``, a
        table per stratum of each level's contacts, customers, rate, and share of its contacts
        in that stratum. Strata where either level has no contacts carry no comparison and are
        listed in ``strata_skipped``. Ratios are NaN when the denominator rate is 0.

    Raises
    ------
    InputError
        For missing columns, impossible counts, equal levels, or a level with no contacts.

    Examples
    --------
    >>> strata = pl.DataFrame({
    ...     "channel": ["Email", "Email", "Ads", "Ads"],
    ...     "size": ["SMB", "Enterprise", "SMB", "Enterprise"],
    ...     "contacts": [100, 1000, 1000, 100], "customers": [30, 50, 250, 4]})
    >>> mh = mantel_haenszel(strata, "channel", "size", "Email", "Ads")
    >>> round(mh.crude_difference, 3), round(mh.adjusted_difference, 3), mh.direction_flips
    (-0.158, 0.03, True)
    """
    composition = _composition(strata, exposure, stratum, str(a), str(b))
    x1, n1, x0, n0 = (
        composition[c].to_numpy().astype(float)
        for c in ("customers_a", "contacts_a", "customers_b", "contacts_b")
    )
    used = (n1 > 0) & (n0 > 0)
    rate_a, rate_b = (
        rate(float(x1.sum()), float(n1.sum())),
        rate(float(x0.sum()), float(n0.sum())),
    )
    crude_test, crude_p = two_proportion_test(
        int(x1.sum()), int(n1.sum()), int(x0.sum()), int(n0.sum())
    )
    total = n1 + n0
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(used, n1 * n0 / total, 0.0)
        difference_terms = np.where(used, (x1 * n0 - x0 * n1) / total, 0.0)
        ratio_top = np.where(used, x1 * n0 / total, 0.0).sum()
        ratio_bottom = np.where(used, x0 * n1 / total, 0.0).sum()
    adjusted_difference = difference_terms.sum() / weight.sum() if weight.sum() else math.nan
    adjusted_ratio = ratio_top / ratio_bottom if ratio_bottom else math.nan
    statistic, p_value = _cmh(x1[used], n1[used], x0[used], n0[used])
    crude_difference = rate_a - rate_b
    labels = composition[stratum].to_list()
    thin_strata = [
        s for s, u, p, q in zip(labels, used, n1, n0, strict=True) if u and min(p, q) < MIN_CONTACTS
    ]
    reasons = []
    if thin_strata:
        reasons.append(
            f"fewer than {MIN_CONTACTS} contacts of {a} or {b} in "
            + ", ".join(str(s) for s in thin_strata)
        )
    if math.isnan(p_value):
        reasons.append("the adjusted comparison has no variation to test")
    return MH(
        exposure=exposure,
        stratum=stratum,
        a=str(a),
        b=str(b),
        rate_a=rate_a,
        rate_b=rate_b,
        crude_difference=crude_difference,
        crude_ratio=rate_a / rate_b if rate_b else math.nan,
        adjusted_difference=float(adjusted_difference),
        adjusted_ratio=float(adjusted_ratio),
        direction_flips=bool(crude_difference * adjusted_difference < 0),
        crude_test=TEST_NAMES[crude_test],
        crude_p_value=crude_p,
        test=CMH_TEST,
        statistic=statistic,
        p_value=p_value,
        strata_used=int(used.sum()),
        strata_skipped=tuple(str(s) for s, u in zip(labels, used, strict=True) if not u),
        composition=composition,
        thin=bool(reasons),
        thin_reason="; ".join(reasons) or None,
    )


def _composition(strata: pl.DataFrame, exposure: str, stratum: str, a: str, b: str) -> pl.DataFrame:
    check_columns(strata, [exposure, stratum], "The strata table")
    count_arrays(strata, "the strata table")
    if a == b:
        raise InputError(
            f"Choose two different values of '{exposure}' to compare; got {a!r} twice."
        )
    level = pl.col(exposure).cast(pl.String)
    sums = (
        strata.with_columns(level.alias(exposure), segment_text(stratum))
        .filter(pl.col(exposure).is_in([a, b]))
        .group_by(stratum, exposure)
        .agg(pl.col("contacts").sum(), pl.col("customers").sum())
    )
    sides = []
    for value, suffix in ((a, "a"), (b, "b")):
        side = sums.filter(pl.col(exposure) == value).drop(exposure)
        if side["contacts"].sum() == 0:
            raise InputError(f"'{exposure}' = {value!r} has no contacts; pick a level that has.")
        sides.append(
            side.rename({"contacts": f"contacts_{suffix}", "customers": f"customers_{suffix}"})
        )
    table = sides[0].join(sides[1], on=stratum, how="full", coalesce=True).fill_null(0)
    return (
        table.sort(stratum)
        .with_columns(
            (pl.col("contacts_a") / pl.col("contacts_a").sum()).alias("share_a"),
            (pl.col("contacts_b") / pl.col("contacts_b").sum()).alias("share_b"),
            (pl.col("customers_a") / pl.col("contacts_a")).fill_nan(None).alias("rate_a"),
            (pl.col("customers_b") / pl.col("contacts_b")).fill_nan(None).alias("rate_b"),
        )
        .with_columns((pl.col("rate_a") - pl.col("rate_b")).alias("difference"))
    )


def _cmh(x1: np.ndarray, n1: np.ndarray, x0: np.ndarray, n0: np.ndarray) -> tuple[float, float]:
    """Cochran–Mantel–Haenszel χ² (1 df, no continuity correction) and its p-value."""
    from scipy import stats

    total = n1 + n0
    customers = x1 + x0
    keep = total > 1
    expected = n1 * customers / total
    variance = np.where(
        keep,
        n1 * n0 * customers * (total - customers) / (total**2 * np.where(keep, total - 1, 1)),
        0.0,
    )
    if variance.sum() <= 0:
        return math.nan, math.nan
    statistic = float((x1 - expected).sum() ** 2 / variance.sum())
    return statistic, float(stats.chi2.sf(statistic, 1))


def simpson_warning(mh: MH) -> str | None:
    """A plain-language warning when the crude and adjusted comparisons disagree in direction.

    Examples
    --------
    >>> strata = pl.DataFrame({
    ...     "channel": ["Email", "Email", "Ads", "Ads"],
    ...     "size": ["SMB", "Enterprise", "SMB", "Enterprise"],
    ...     "contacts": [100, 1000, 1000, 100], "customers": [30, 50, 250, 4]})
    >>> print(simpson_warning(mantel_haenszel(strata, "channel", "size", "Email", "Ads")))
    ... # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
    Simpson's paradox: overall, Email converts at 7.3% against 23.1% for Ads, but within
    every size Email converts better...
    """
    if not mh.direction_flips:
        return None
    inside = mh.composition.filter(pl.col("difference").is_not_null())["difference"]
    agree = bool(((inside * mh.adjusted_difference) > 0).all())
    where = f"within every {mh.stratum}" if agree else f"once {mh.stratum} is taken into account"
    better = mh.a if mh.adjusted_difference > 0 else mh.b
    text = (
        f"Simpson's paradox: overall, {mh.a} converts at {mh.rate_a:.1%} against "
        f"{mh.rate_b:.1%} for {mh.b}, but {where} {better} converts better "
        f"(Mantel–Haenszel difference {points(mh.adjusted_difference)} for {mh.a}; "
        f"{mh.test} p = {mh.p_value:.2g})."
    )
    gaps = mh.composition.with_columns((pl.col("share_a") - pl.col("share_b")).abs().alias("gap"))
    widest = gaps.sort("gap", descending=True).row(0, named=True)
    text += (
        f" The overall figures mix different kinds of contact: {widest['share_a']:.0%} of "
        f"{mh.a}'s contacts are {mh.stratum} {widest[mh.stratum]}, against "
        f"{widest['share_b']:.0%} of {mh.b}'s. Compare within {mh.stratum}, not overall."
    )
    if not mh.p_value < 0.05:
        text += (
            " The adjusted difference itself could be chance, but the overall gap reflects "
            f"the mix of {mh.stratum} more than {mh.exposure}."
        )
    if mh.thin:
        text += f" Treat this with care: {mh.thin_reason}."
    return text


def simpson_flips(
    tables_by_column: Mapping[str, pl.DataFrame], exposure: str, a: str, b: str
) -> list[MH]:
    """The Mantel–Haenszel comparison for every candidate column that reverses ``a`` against ``b``.

    Takes the same arguments as ``simpson_scan``, in the same order of columns; each result's
    ``stratum`` is the column adjusted for and its ``composition`` the table behind the warning.

    Examples
    --------
    >>> by_size = pl.DataFrame({
    ...     "channel": ["Email", "Email", "Ads", "Ads"],
    ...     "size": ["SMB", "Enterprise", "SMB", "Enterprise"],
    ...     "contacts": [100, 1000, 1000, 100], "customers": [30, 50, 250, 4]})
    >>> [mh.stratum for mh in simpson_flips({"size": by_size}, "channel", "Email", "Ads")]
    ['size']
    """
    found = []
    for column, table in tables_by_column.items():
        if column == exposure:
            continue
        mh = mantel_haenszel(table, exposure, column, a, b)
        if mh.direction_flips:
            found.append(mh)
    return found


def simpson_scan(
    tables_by_column: Mapping[str, pl.DataFrame], exposure: str, a: str, b: str
) -> pl.DataFrame:
    """Every candidate column that, adjusted for, reverses the comparison of ``a`` with ``b``.

    Parameters
    ----------
    tables_by_column
        For each candidate column, a table of ``exposure``, that column, ``contacts`` and
        ``customers``. The entry for ``exposure`` itself (if any) is skipped.
    exposure, a, b
        As in ``mantel_haenszel``.

    Returns
    -------
    polars.DataFrame
        The columns whose adjustment flips the direction: ``column``, ``crude_difference``,
        ``adjusted_difference``, ``adjusted_ratio``, ``test``, ``p_value``, ``thin`` and
        ``warning``; empty (same columns) when nothing flips.

    Examples
    --------
    >>> by_size = pl.DataFrame({
    ...     "channel": ["Email", "Email", "Ads", "Ads"],
    ...     "size": ["SMB", "Enterprise", "SMB", "Enterprise"],
    ...     "contacts": [100, 1000, 1000, 100], "customers": [30, 50, 250, 4]})
    >>> simpson_scan({"size": by_size}, "channel", "Email", "Ads")["column"].to_list()
    ['size']
    """
    rows = [
        {
            "column": mh.stratum,
            "crude_difference": mh.crude_difference,
            "adjusted_difference": mh.adjusted_difference,
            "adjusted_ratio": mh.adjusted_ratio,
            "test": mh.test,
            "p_value": mh.p_value,
            "thin": mh.thin,
            "warning": simpson_warning(mh),
        }
        for mh in simpson_flips(tables_by_column, exposure, a, b)
    ]
    schema = {
        "column": pl.String,
        "crude_difference": pl.Float64,
        "adjusted_difference": pl.Float64,
        "adjusted_ratio": pl.Float64,
        "test": pl.String,
        "p_value": pl.Float64,
        "thin": pl.Boolean,
        "warning": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).with_columns(pl.col(pl.Float64).fill_nan(None))
