"""Insights on the small per-segment tables: what to look at first, and what could mislead.

Every function works on aggregated counts (contacts and customers per segment, cohort or
stratum), never on contact rows: ranking candidate segment columns by how strongly they separate
conversion, Simpson's paradox checks (Mantel–Haenszel), empirical-Bayes shrinkage of small
segments' rates, a p-chart and chi-square test over monthly cohorts, a monthly review, and a
mix/rate decomposition of a change in the overall rate. Every claim carries the test it rests on
and a ``thin`` flag when the data are too few to lean on.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from conversion.analysis.stats import (
    MIN_CONTACTS,
    MIN_OUTCOMES,
    ChiSquare,
    adjust_pvalues,
    chi_square,
    low_sample,
    two_proportion_test,
    wilson_bounds,
)
from conversion.errors import InputError

TOTAL = "(total)"
"""Segment label of the total row in ``mix_rate_decomposition``."""

MAX_SEGMENTS = 200
MIN_PRIOR_SEGMENTS = 5
NEAR_UNIQUE_SHARE = 0.5
SIGMA = 3.0
"""Control limits of the p-chart sit this many standard errors from the centre line."""

TEST_NAMES = {
    "z": "pooled two-proportion z-test",
    "fisher": "Fisher's exact test",
}


# ---------------------------------------------------------------------------------------------
# Shared checks


def _check_columns(table: pl.DataFrame, wanted: Sequence[str], what: str) -> None:
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise InputError(
            f"{what} needs the column(s) {', '.join(missing)}; it has {', '.join(table.columns)}."
        )


def _counts(table: pl.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``customers`` and ``contacts`` as float arrays, after checking they are possible counts."""
    _check_columns(table, ["contacts", "customers"], what)
    for name in ("contacts", "customers"):
        dtype = table.schema[name]
        if not dtype.is_integer():
            raise InputError(f"The {name!r} column of {what} must hold whole numbers; not {dtype}.")
        if table[name].null_count():
            raise InputError(f"The {name!r} column of {what} has empty cells.")
    customers = table["customers"].to_numpy().astype(float)
    contacts = table["contacts"].to_numpy().astype(float)
    if np.any(customers < 0) or np.any(customers > contacts):
        raise InputError(f"In {what}, customers must lie between 0 and the number of contacts.")
    return customers, contacts


def _float(name: str, values: object) -> pl.Series:
    return pl.Series(name, np.asarray(values, dtype=float), dtype=pl.Float64, nan_to_null=True)


def _rate(customers: float, contacts: float) -> float:
    return customers / contacts if contacts else math.nan


def _points(difference: float) -> str:
    return f"{difference * 100:+.1f} points"


# ---------------------------------------------------------------------------------------------
# 1. Which columns separate conversion most


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
    tested = [row["p_value"] if row["p_value"] is not None else math.nan for row in rows]
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
    _check_columns(table, [name], f"The table for column '{name}'")
    customers, contacts = _counts(table, f"the table for column '{name}'")
    labels = np.array(table[name].cast(pl.String).fill_null("(missing)").to_list(), dtype=object)
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


# ---------------------------------------------------------------------------------------------
# 2. Simpson's paradox


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
        _rate(float(x1.sum()), float(n1.sum())),
        _rate(float(x0.sum()), float(n0.sum())),
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
    _check_columns(strata, [exposure, stratum], "The strata table")
    _counts(strata, "the strata table")
    if a == b:
        raise InputError(
            f"Choose two different values of '{exposure}' to compare; got {a!r} twice."
        )
    level = pl.col(exposure).cast(pl.String)
    sums = (
        strata.with_columns(
            level.alias(exposure), pl.col(stratum).cast(pl.String).fill_null("(missing)")
        )
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
        f"(Mantel–Haenszel difference {_points(mh.adjusted_difference)} for {mh.a}; "
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
    rows = []
    for column, table in tables_by_column.items():
        if column == exposure:
            continue
        mh = mantel_haenszel(table, exposure, column, a, b)
        if mh.direction_flips:
            rows.append(
                {
                    "column": column,
                    "crude_difference": mh.crude_difference,
                    "adjusted_difference": mh.adjusted_difference,
                    "adjusted_ratio": mh.adjusted_ratio,
                    "test": mh.test,
                    "p_value": mh.p_value,
                    "thin": mh.thin,
                    "warning": simpson_warning(mh),
                }
            )
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


# ---------------------------------------------------------------------------------------------
# 3. Empirical-Bayes shrinkage


@dataclass(frozen=True)
class Prior:
    """A beta prior for segment rates, estimated from the segments themselves.

    ``mu`` is the pooled rate, ``rho`` the intra-class correlation (how much segments truly
    differ), ``alpha``/``beta`` the prior's parameters (``alpha / (alpha + beta) == mu``).
    """

    mu: float
    rho: float
    alpha: float
    beta: float
    segments: int
    method: str = "beta-binomial, Kleinman's moment estimator"

    @property
    def thin(self) -> bool:
        """True when the spread between segments rests on fewer than five segments."""
        return self.segments < MIN_PRIOR_SEGMENTS


def _kleinman(
    contacts: Sequence[int] | np.ndarray, customers: Sequence[int] | np.ndarray
) -> tuple[Prior | None, str | None]:
    n = np.asarray(contacts, dtype=float).reshape(-1)
    x = np.asarray(customers, dtype=float).reshape(-1)
    if n.shape != x.shape:
        raise InputError("Give one count of customers for each count of contacts.")
    if np.any(x < 0) or np.any(x > n):
        raise InputError("Customers must lie between 0 and the number of contacts.")
    keep = n > 0
    n, x = n[keep], x[keep]
    k, total = n.size, n.sum()
    if k < 2:
        return None, "Shrinkage needs at least two segments with contacts."
    mu = float(x.sum() / total)
    if mu in (0.0, 1.0):
        return None, "Every segment's rate is the same (no one, or everyone, converted)."
    spread = float((n * (x / n - mu) ** 2).sum())
    denominator = float(mu * (1 - mu) * (total - (n**2).sum() / total - (k - 1)))
    rho = (spread - mu * (1 - mu) * (k - 1)) / denominator if denominator > 0 else math.nan
    if not rho > 0:
        return None, (
            "The segments differ no more than chance would make them, so there is no "
            "between-segment spread to model: the raw rates are shown unadjusted."
        )
    if rho >= 1:
        return None, "Segments are all-or-nothing; shrinking their rates would mislead."
    scale = 1 / rho - 1
    return Prior(mu=mu, rho=rho, alpha=mu * scale, beta=(1 - mu) * scale, segments=k), None


def beta_binomial_prior(
    contacts: Sequence[int] | np.ndarray, customers: Sequence[int] | np.ndarray
) -> Prior | None:
    """The beta prior for segment rates by Kleinman's moment estimator (see ORACLES.md).

    With k segments (those with contacts), N = Σnᵢ, μ = Σxᵢ / N, S = Σ nᵢ (xᵢ/nᵢ − μ)²:
    ρ = (S − μ(1−μ)(k−1)) / (μ(1−μ)(N − Σnᵢ²/N − (k−1))), α = μ(1/ρ − 1), β = (1−μ)(1/ρ − 1).

    Returns
    -------
    Prior or None
        None when there is no between-segment spread to model (ρ ≤ 0), fewer than two segments,
        or no variation at all; ``prior_reason`` says which, in words.

    Examples
    --------
    >>> prior = beta_binomial_prior([800, 500, 120, 40, 12], [120, 45, 30, 3, 0])
    >>> round(prior.mu, 4), round(prior.rho, 4), round(prior.alpha, 2), round(prior.beta, 2)
    (0.1345, 0.027, 4.85, 31.23)
    >>> beta_binomial_prior([100, 100], [10, 11]) is None
    True
    """
    return _kleinman(contacts, customers)[0]


def prior_reason(
    contacts: Sequence[int] | np.ndarray, customers: Sequence[int] | np.ndarray
) -> str | None:
    """Why ``beta_binomial_prior`` gives no prior for these counts; None when it gives one.

    Examples
    --------
    >>> print(prior_reason([100, 100], [10, 11]))  # doctest: +ELLIPSIS
    The segments differ no more than chance would make them...
    """
    return _kleinman(contacts, customers)[1]


def shrunk_rates(table: pl.DataFrame, prior: Prior | None) -> pl.DataFrame:
    """Each segment's rate pulled towards the pooled rate, the more the fewer its contacts.

    Parameters
    ----------
    table
        One row per segment with ``contacts`` and ``customers``.
    prior
        From ``beta_binomial_prior``; None keeps the raw rates (no spread to model).

    Returns
    -------
    polars.DataFrame
        The table with ``rate`` (raw), ``adjusted_rate`` = (x + α) / (n + α + β) and the 95 %
        posterior interval ``adjusted_low``/``adjusted_high`` (Beta(x + α, n − x + β) quantiles;
        null without a prior). Segments without contacts get the prior mean.

    Examples
    --------
    >>> table = pl.DataFrame({"source": ["Organic", "Paid", "Referral", "Partner", "Events"],
    ...                       "contacts": [800, 500, 120, 40, 12],
    ...                       "customers": [120, 45, 30, 3, 0]})
    >>> prior = beta_binomial_prior(table["contacts"], table["customers"])
    >>> shrunk_rates(table, prior)["adjusted_rate"].round(3).to_list()
    [0.149, 0.093, 0.223, 0.103, 0.101]
    """
    customers, contacts = _counts(table, "the segment table")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = customers / contacts
    if prior is None:
        return table.with_columns(
            _float("rate", rate),
            _float("adjusted_rate", rate),
            pl.lit(None, pl.Float64).alias("adjusted_low"),
            pl.lit(None, pl.Float64).alias("adjusted_high"),
        )
    from scipy import stats

    a = customers + prior.alpha
    b = contacts - customers + prior.beta
    return table.with_columns(
        _float("rate", rate),
        _float("adjusted_rate", a / (a + b)),
        _float("adjusted_low", stats.beta.ppf(0.025, a, b)),
        _float("adjusted_high", stats.beta.ppf(0.975, a, b)),
    )


# ---------------------------------------------------------------------------------------------
# 4. Cohorts: p-chart and chi-square


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
    _check_columns(cohorts, ["cohort", "mature"], "The cohort table")
    _counts(cohorts, "the cohort table")
    segments = _segment_columns(cohorts)
    judged = pl.col("mature") & (pl.col("contacts") > 0)
    centre = _mature_total("customers") / _mature_total("contacts")
    if segments:
        centre = centre.over(segments)
    n = pl.col("contacts")
    rate = pl.col("customers") / n
    half = SIGMA * (pl.col("centre") * (1 - pl.col("centre")) / n).sqrt()
    return (
        cohorts.with_columns(
            pl.when(n > 0).then(rate).alias("rate"),
            pl.when(judged).then(centre).fill_nan(None).alias("centre"),
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
    _check_columns(cohorts, ["cohort", "mature"], "The cohort table")
    _counts(cohorts, "the cohort table")
    per_cohort = (
        cohorts.filter(pl.col("mature"))
        .group_by("cohort")
        .agg(pl.col("contacts").sum(), pl.col("customers").sum())
        .sort("cohort")
    )
    return chi_square(per_cohort["customers"].to_numpy(), per_cohort["contacts"].to_numpy())


# ---------------------------------------------------------------------------------------------
# 5. Monthly review


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
    _check_columns(cohorts_by_segment, ["cohort", "mature"], "The cohort table")
    _counts(cohorts_by_segment, "the cohort table")
    if segment is not None:
        _check_columns(cohorts_by_segment, [segment], "The cohort table")
    mature = cohorts_by_segment.filter(pl.col("mature") & (pl.col("contacts") > 0))
    months = mature["cohort"].unique().sort().to_list()
    newer = cohorts_by_segment.filter(~pl.col("mature"))["cohort"].unique().sort().to_list()
    waiting = (
        f"Newer cohorts ({', '.join(_cohort_name(c) for c in newer)}) have not had their full "
        "window yet and are left out."
        if newer
        else None
    )
    if len(months) < 2:
        sentences = ["A review needs two mature cohorts; there are not enough yet."]
        return Review(
            latest=months[-1] if months else None,
            previous=None,
            rate_latest=math.nan,
            rate_previous=math.nan,
            change=math.nan,
            test=None,
            p_value=math.nan,
            thin=True,
            segments=pl.DataFrame(schema=_REVIEW_SCHEMA),
            sentences=tuple(s for s in (*sentences, waiting) if s),
        )
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
    sentences = [
        f"{_cohort_name(latest)}: {rate1:.1%} of {n1:,} contacts converted, {direction} from "
        f"{rate0:.1%} in {_cohort_name(previous)} ({_points(change)}).",
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


def _segment_moves(
    mature: pl.DataFrame, segment: str, previous: object, latest: object, alpha: float
) -> pl.DataFrame:
    def side(month: object, suffix: str) -> pl.DataFrame:
        return (
            mature.filter(pl.col("cohort") == month)
            .group_by(pl.col(segment).cast(pl.String).fill_null("(missing)").alias("segment"))
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
    thin = low_sample(x0, n0) | low_sample(x1, n1)
    significant = (np.nan_to_num(p_adjusted, nan=1.0) < alpha) & ~thin
    return both.select(
        "segment",
        pl.col("contacts_before").cast(pl.Int64),
        pl.col("customers_before").cast(pl.Int64),
        _float("rate_before", x0 / n0),
        pl.col("contacts_after").cast(pl.Int64),
        pl.col("customers_after").cast(pl.Int64),
        _float("rate_after", x1 / n1),
        _float("change", x1 / n1 - x0 / n0),
        pl.Series("test", [TEST_NAMES[t] for t, _ in results], dtype=pl.String),
        _float("p_value", p_values),
        _float("p_adjusted", p_adjusted),
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


# ---------------------------------------------------------------------------------------------
# 6. Mix and rate


def mix_rate_decomposition(before: pl.DataFrame, after: pl.DataFrame, segment: str) -> pl.DataFrame:
    """Split a change in the overall rate into a mix effect and a rate effect per segment.

    With sᵢ each segment's share of contacts and rᵢ its rate, before (0) and after (1), the
    symmetric (midpoint) shift-share split is

        mix effect  = (s1 − s0) · (r0 + r1) / 2
        rate effect = (r1 − r0) · (s0 + s1) / 2

    and the effects add up exactly to the change in the overall rate. A segment present in only
    one period (or with no contacts in one) has share 0 there, and its missing rate is taken to
    equal the other period's rate: its whole contribution is mix, none is rate.

    Parameters
    ----------
    before, after
        Per-segment tables of the two periods: ``segment``, ``contacts``, ``customers``.
    segment
        The segment column (compared as text).

    Returns
    -------
    polars.DataFrame
        One row per segment (sorted) then a total row (segment ``"(total)"``): ``segment``,
        ``contacts_before``, ``share_before``, ``rate_before`` (null when absent),
        ``contacts_after``, ``share_after``, ``rate_after``, ``mix_effect``, ``rate_effect``,
        ``total_effect`` and ``thin`` (fewer than 30 contacts in a period where the segment is
        present). On the total row, rates are the overall rates and ``total_effect`` is the
        overall change; it equals the sum of the segments' effects.

    Raises
    ------
    InputError
        When a period has no contacts at all.

    Examples
    --------
    >>> before = pl.DataFrame({"size": ["SMB", "Ent"], "contacts": [800, 200],
    ...                        "customers": [80, 60]})
    >>> after = pl.DataFrame({"size": ["SMB", "Ent"], "contacts": [500, 500],
    ...                       "customers": [50, 150]})
    >>> result = mix_rate_decomposition(before, after, "size")
    >>> result.select("segment", pl.col("mix_effect", "rate_effect").round(6)).rows()
    [('Ent', 0.09, 0.0), ('SMB', -0.03, 0.0), ('(total)', 0.06, 0.0)]
    """
    sides = []
    for table, suffix in ((before, "before"), (after, "after")):
        _check_columns(table, [segment], f"The {suffix} table")
        _counts(table, f"the {suffix} table")
        side = table.group_by(
            pl.col(segment).cast(pl.String).fill_null("(missing)").alias("segment")
        ).agg(
            pl.col("contacts").sum().cast(pl.Int64).alias(f"contacts_{suffix}"),
            pl.col("customers").sum().cast(pl.Int64).alias(f"customers_{suffix}"),
        )
        if side[f"contacts_{suffix}"].sum() == 0:
            raise InputError(f"The {suffix} period has no contacts; there is no rate to compare.")
        sides.append(side)
    table = sides[0].join(sides[1], on="segment", how="full", coalesce=True).fill_null(0)
    table = table.sort("segment")
    s0 = pl.col("contacts_before") / pl.col("contacts_before").sum()
    s1 = pl.col("contacts_after") / pl.col("contacts_after").sum()
    raw0 = pl.when(pl.col("contacts_before") > 0).then(
        pl.col("customers_before") / pl.col("contacts_before")
    )
    raw1 = pl.when(pl.col("contacts_after") > 0).then(
        pl.col("customers_after") / pl.col("contacts_after")
    )
    table = table.with_columns(
        s0.alias("share_before"),
        s1.alias("share_after"),
        raw0.alias("rate_before"),
        raw1.alias("rate_after"),
    )
    r0 = pl.coalesce("rate_before", "rate_after")
    r1 = pl.coalesce("rate_after", "rate_before")
    s0, s1 = pl.col("share_before"), pl.col("share_after")
    effects = table.with_columns(
        ((s1 - s0) * (r0 + r1) / 2).alias("mix_effect"),
        ((r1 - r0) * (s0 + s1) / 2).alias("rate_effect"),
    ).with_columns(
        (pl.col("mix_effect") + pl.col("rate_effect")).alias("total_effect"),
        (
            ((pl.col("contacts_before") > 0) & (pl.col("contacts_before") < MIN_CONTACTS))
            | ((pl.col("contacts_after") > 0) & (pl.col("contacts_after") < MIN_CONTACTS))
        ).alias("thin"),
    )
    n0, x0 = effects["contacts_before"].sum(), effects["customers_before"].sum()
    n1, x1 = effects["contacts_after"].sum(), effects["customers_after"].sum()
    total = pl.DataFrame(
        {
            "segment": [TOTAL],
            "contacts_before": [n0],
            "customers_before": [x0],
            "contacts_after": [n1],
            "customers_after": [x1],
            "share_before": [1.0],
            "share_after": [1.0],
            "rate_before": [x0 / n0],
            "rate_after": [x1 / n1],
            "mix_effect": [effects["mix_effect"].sum()],
            "rate_effect": [effects["rate_effect"].sum()],
            "total_effect": [x1 / n1 - x0 / n0],
            "thin": [bool(n0 < MIN_CONTACTS or n1 < MIN_CONTACTS)],
        }
    )
    columns = [
        "segment",
        "contacts_before",
        "customers_before",
        "share_before",
        "rate_before",
        "contacts_after",
        "customers_after",
        "share_after",
        "rate_after",
        "mix_effect",
        "rate_effect",
        "total_effect",
        "thin",
    ]
    return pl.concat([effects.select(columns), total.select(columns)], how="vertical_relaxed")
