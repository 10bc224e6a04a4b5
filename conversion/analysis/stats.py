"""Honest statistics on the small aggregated table: one row per segment with contacts and customers.

Every function here works on counts (customers out of contacts), never on contact rows:
Wilson intervals, each segment against the rest (pooled z-test or Fisher's exact test, with a
Newcombe interval for the difference), the chi-square test across segments and the low-sample
flag. The multiple-comparison adjustment lives in ``multiple_testing``; ``adjust_pvalues`` and
``AdjustMethod`` are importable from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from conversion.analysis.multiple_testing import AdjustMethod, adjust_pvalues, check_method
from conversion.analysis.tails import chi_square_survival, two_sided_normal
from conversion.definition import Bands
from conversion.errors import InputError

Z95 = 1.959963984540054
"""The two-sided 95 % normal quantile."""

SortOrder = Literal["lower_bound", "rate", "contacts", "segment"]

MIN_CONTACTS = 30
MIN_OUTCOMES = 5
MAX_INTERVAL_WIDTH = 0.20
MIN_EXPECTED = 5.0

COUNT_COLUMNS = ("contacts", "customers")
ADDED_COLUMNS = (
    "rate",
    "ci_low",
    "ci_high",
    "band",
    "rest_rate",
    "diff",
    "diff_low",
    "diff_high",
    "test",
    "p_value",
    "p_adjusted",
    "low_sample",
    "low_sample_reason",
    "significant",
)


# Tables whose probability is within this relative tolerance of the observed one count as
# "as likely": R's fisher.test and scipy.stats.fisher_exact use 1 + 1e-7 (a tighter 1e-14
# missed tables that scipy counts, e.g. 14/29 against 216/464: 0.85 where scipy says 1.0).
FISHER_TIE = 1e-7


def fisher_two_sided(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided Fisher's exact test of ``x1/n1`` against ``x2/n2``.

    The p-value sums the hypergeometric probabilities of every table with the same margins that
    is no more likely than the observed one — scipy.stats.fisher_exact's definition. Each
    table's probability comes from the ratio to the one before it, summed in logarithms and
    normalised: accurate to about 1e-12 even against a million contacts (where differences of
    log-gamma values lose digits), and with nothing to import.

    Examples
    --------
    >>> round(fisher_two_sided(0, 12, 198, 1460), 10)
    0.3870887339
    """
    total, customers, size = n1 + n2, x1 + x2, n1
    low, high = max(0, size - (total - customers)), min(size, customers)
    k = np.arange(low, high, dtype=float)  # every table but the last, stepping to the next
    step = (
        np.log(customers - k)
        + np.log(size - k)
        - np.log(k + 1)
        - np.log(total - customers - size + k + 1)
    )
    log_pmf = np.concatenate([[0.0], np.cumsum(step)])
    pmf = np.exp(log_pmf - log_pmf.max())
    pmf /= pmf.sum()
    observed = pmf[x1 - low]
    return float(min(1.0, pmf[pmf <= observed * (1 + FISHER_TIE)].sum()))


def _as_float_array(values: object) -> np.ndarray:
    return np.atleast_1d(np.asarray(values, dtype=float))


def wilson_bounds(
    customers: np.ndarray, contacts: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval bounds for many rates at once, as fractions.

    Parameters
    ----------
    customers, contacts
        Counts of the same shape; ``customers`` between 0 and ``contacts``.
    z
        Normal quantile; the default gives a two-sided 95 % interval.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper bounds, within [0, 1]; NaN where ``contacts`` is 0.

    Examples
    --------
    >>> low, high = wilson_bounds(np.array([500, 0]), np.array([1000, 12]))
    >>> [round(float(v), 4) for v in low], [round(float(v), 4) for v in high]
    ([0.4691, 0.0], [0.5309, 0.2425])
    """
    x = _as_float_array(customers)
    n = _as_float_array(contacts)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        z2_n = z * z / n
        denominator = 1.0 + z2_n
        centre = (p + z2_n / 2.0) / denominator
        half_width = z * np.sqrt(p * (1.0 - p) / n + z2_n / (4.0 * n)) / denominator
    # The formula gives exactly 0 (or 1) at the edges only up to rounding; pin them.
    low = np.where(x == 0, 0.0, np.clip(centre - half_width, 0.0, 1.0))
    high = np.where(x == n, 1.0, np.clip(centre + half_width, 0.0, 1.0))
    empty = n == 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return low, high


def wilson_interval(customers: int, contacts: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for one rate, as fractions; ``(nan, nan)`` when there are no contacts.

    Examples
    --------
    >>> low, high = wilson_interval(3, 40)
    >>> round(low, 4), round(high, 4)
    (0.0258, 0.1986)
    >>> wilson_interval(0, 0)
    (nan, nan)
    """
    _check_counts(np.array([customers]), np.array([contacts]))
    low, high = wilson_bounds(np.array([customers]), np.array([contacts]), z)
    return float(low[0]), float(high[0])


def _newcombe_arrays(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    low1, high1 = wilson_bounds(x1, n1, z)
    low2, high2 = wilson_bounds(x2, n2, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = _as_float_array(x1) / _as_float_array(n1)
        p2 = _as_float_array(x2) / _as_float_array(n2)
    diff = p1 - p2
    diff_low = diff - np.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    diff_high = diff + np.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    return diff, diff_low, diff_high


def newcombe_difference(
    x1: int, n1: int, x2: int, n2: int, z: float = Z95
) -> tuple[float, float, float]:
    """Difference of two rates ``x1/n1 − x2/n2`` with Newcombe's hybrid-score interval.

    The interval (Newcombe 1998, method 10) is built from the two Wilson intervals, so it stays
    sensible for small counts and rates near 0 or 1.

    Returns
    -------
    tuple of float
        ``(difference, low, high)`` as fractions; all NaN when either group has no contacts.

    Examples
    --------
    >>> diff, low, high = newcombe_difference(30, 120, 168, 1352)
    >>> round(diff, 4), round(low, 4), round(high, 4)
    (0.1257, 0.0544, 0.2118)
    """
    _check_counts(np.array([x1, x2]), np.array([n1, n2]))
    diff, low, high = _newcombe_arrays(
        np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2]), z
    )
    return float(diff[0]), float(low[0]), float(high[0])


def _pooled_z_arrays(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    x1, n1, x2, n2 = (_as_float_array(v) for v in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        standard_error = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
        z = (x1 / n1 - x2 / n2) / standard_error
    # No spread at all (everyone or no one converted) or an empty group: the test is undefined.
    z = np.where((standard_error > 0) & np.isfinite(standard_error), z, np.nan)
    # Two-sided normal tail: 2·Φ(−|z|), from math.erfc (no scipy import at start-up).
    p_value = two_sided_normal(z)
    return z, p_value


def pooled_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of ``x1/n1`` against ``x2/n2``.

    Returns
    -------
    tuple of float
        ``(z, two-sided p)``; both NaN when a group is empty or the pooled rate is 0 or 1.

    Examples
    --------
    >>> z, p = pooled_z(30, 120, 168, 1352)
    >>> round(z, 4), round(p, 6)
    (3.8689, 0.000109)
    """
    _check_counts(np.array([x1, x2]), np.array([n1, n2]))
    z, p_value = _pooled_z_arrays(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2]))
    return float(z[0]), float(p_value[0])


def _min_expected_2x2(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    x1, n1, x2, n2 = (_as_float_array(v) for v in (x1, n1, x2, n2))
    total = n1 + n2
    customers = x1 + x2
    non_customers = total - customers
    with np.errstate(divide="ignore", invalid="ignore"):
        smaller_row = np.minimum(n1, n2)
        smaller_column = np.minimum(customers, non_customers)
        return smaller_row * smaller_column / total


def _segment_tests(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
) -> tuple[list[str | None], np.ndarray]:
    """Test name and two-sided p for each pair; ``None``/NaN where a group is empty."""
    _, p_values = _pooled_z_arrays(x1, n1, x2, n2)
    use_fisher = _min_expected_2x2(x1, n1, x2, n2) < MIN_EXPECTED
    tests: list[str | None] = []
    for i in range(len(p_values)):
        if n1[i] == 0 or n2[i] == 0:
            tests.append(None)
            p_values[i] = np.nan
        elif use_fisher[i]:
            p_values[i] = fisher_two_sided(int(x1[i]), int(n1[i]), int(x2[i]), int(n2[i]))
            tests.append("fisher")
        else:
            tests.append("z")
    return tests, p_values


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> tuple[str, float]:
    """Two-sided test of ``x1/n1`` against ``x2/n2``, choosing the test by the expected counts.

    Uses the pooled z-test, or Fisher's exact test when any expected cell count of the 2×2 table
    is below 5.

    Returns
    -------
    tuple
        ``("z", p)`` or ``("fisher", p)``.

    Raises
    ------
    InputError
        When a group has no contacts or the counts are impossible.

    Examples
    --------
    >>> test, p = two_proportion_test(0, 12, 198, 1460)
    >>> test, round(p, 4)
    ('fisher', 0.3871)
    >>> two_proportion_test(120, 800, 78, 672)[0]
    'z'
    """
    _check_counts(np.array([x1, x2]), np.array([n1, n2]))
    if n1 == 0 or n2 == 0:
        raise InputError("Comparing two rates needs at least one contact in each group.")
    tests, p_values = _segment_tests(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2]))
    return str(tests[0]), float(p_values[0])


@dataclass(frozen=True)
class ChiSquare:
    """Chi-square test of independence between segment and conversion."""

    statistic: float
    df: int
    p_value: float
    min_expected: float
    small_expected: bool
    """True when any expected count is below 5, so the p-value is only approximate."""


def chi_square(
    customers: Sequence[int] | np.ndarray, contacts: Sequence[int] | np.ndarray
) -> ChiSquare | None:
    """Chi-square test that the conversion rate is the same in every segment.

    Segments without contacts are left out (they carry no information).

    Returns
    -------
    ChiSquare or None
        None when fewer than two segments have contacts, or when no one or everyone converted
        (there is no variation to test).

    Examples
    --------
    >>> result = chi_square([40, 52, 38, 61], [400, 410, 420, 430])
    >>> round(result.statistic, 4), result.df, round(result.p_value, 4), result.small_expected
    (6.975, 3, 0.0727, False)
    """
    x = _as_float_array(customers)
    n = _as_float_array(contacts)
    _check_counts(x, n)
    keep = n > 0
    x, n = x[keep], n[keep]
    total_customers = x.sum()
    if x.size < 2 or total_customers == 0 or total_customers == n.sum():
        return None
    # Pearson's test of independence on the 2 × k table (customers, non-customers per
    # segment), without continuity correction: what chi2_contingency(correction=False) does.
    observed = np.vstack([x, n - x])
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    statistic = float(((observed - expected) ** 2 / expected).sum())
    df = x.size - 1
    min_expected = float(np.min(expected))
    return ChiSquare(
        statistic=statistic,
        df=int(df),
        p_value=chi_square_survival(int(df), statistic),
        min_expected=min_expected,
        small_expected=min_expected < MIN_EXPECTED,
    )


@dataclass(frozen=True)
class Overall:
    """All segments together: the overall rate and the test that segments differ."""

    contacts: int
    customers: int
    rate: float
    ci_low: float
    ci_high: float
    chi_square: ChiSquare | None


def overall(table: pl.DataFrame) -> Overall:
    """The overall rate with its Wilson interval, and the chi-square test across the rows.

    Parameters
    ----------
    table
        One row per segment with integer ``contacts`` and ``customers`` columns.

    Returns
    -------
    Overall
        Rate and bounds are NaN when there are no contacts at all.

    Raises
    ------
    InputError
        When the count columns are missing or the counts are impossible.

    Examples
    --------
    >>> table = pl.DataFrame({"month": ["Jan", "Feb"], "contacts": [400, 600],
    ...                       "customers": [200, 300]})
    >>> result = overall(table)
    >>> result.customers, result.contacts, result.rate
    (500, 1000, 0.5)
    """
    customers, contacts = _counts(table)
    total_contacts = int(contacts.sum())
    total_customers = int(customers.sum())
    rate = total_customers / total_contacts if total_contacts else float("nan")
    low, high = wilson_interval(total_customers, total_contacts)
    return Overall(
        contacts=total_contacts,
        customers=total_customers,
        rate=rate,
        ci_low=low,
        ci_high=high,
        chi_square=chi_square(customers, contacts),
    )


def segment_label(row_values: Sequence[str]) -> str:
    """One readable label for a segment described by several columns.

    Examples
    --------
    >>> segment_label(["Paid", "SMB"])
    'Paid · SMB'
    """
    return " · ".join(str(value) for value in row_values)


def _low_sample_reasons(
    customers: np.ndarray, contacts: np.ndarray, ci_low: np.ndarray, ci_high: np.ndarray
) -> list[str | None]:
    checks = (
        (contacts < MIN_CONTACTS, f"n < {MIN_CONTACTS}"),
        (customers < MIN_OUTCOMES, f"fewer than {MIN_OUTCOMES} customers"),
        (contacts - customers < MIN_OUTCOMES, f"fewer than {MIN_OUTCOMES} non-customers"),
        (ci_high - ci_low > MAX_INTERVAL_WIDTH, "interval wider than ±10 percentage points"),
    )
    reasons: list[str | None] = []
    for i in range(contacts.size):
        failed = [text for flagged, text in checks if flagged[i]]
        reasons.append("; ".join(failed) if failed else None)
    return reasons


def low_sample(customers: object, contacts: object) -> np.ndarray:
    """True where a rate is too thin to judge: the low-sample rule of ``describe``, vectorised.

    Examples
    --------
    >>> low_sample([3, 120], [40, 800]).tolist()
    [True, False]
    """
    x, n = _as_float_array(customers), _as_float_array(contacts)
    low, high = wilson_bounds(x, n)
    return np.array([reason is not None for reason in _low_sample_reasons(x, n, low, high)])


def float_series(name: str, values: object) -> pl.Series:
    """A Float64 column from numbers, NaN (no value) turned into null as result tables show it.

    Examples
    --------
    >>> float_series("rate", [0.5, float("nan")]).to_list()
    [0.5, None]
    """
    return pl.Series(name, np.asarray(values, dtype=float), dtype=pl.Float64, nan_to_null=True)


def describe(
    table: pl.DataFrame,
    bands: Bands = Bands(),  # noqa: B008 - Bands is frozen, so a shared default is safe
    *,
    adjust: AdjustMethod = "bh",
    alpha: float = 0.05,
    sort: SortOrder = "lower_bound",
) -> pl.DataFrame:
    """Per-segment rates with intervals, bands, each-against-the-rest tests and low-sample flags.

    Parameters
    ----------
    table
        One row per segment: segment columns plus integer ``contacts`` and ``customers``.
    bands
        Thresholds naming each rate strong, moderate or poor.
    adjust
        Multiple-comparison adjustment over all tested segments: ``"bh"`` or ``"holm"``.
    alpha
        Level below which an adjusted p-value counts as significant.
    sort
        ``"lower_bound"`` (interval lower bound, highest first, then contacts), ``"rate"``,
        ``"contacts"`` (both highest first) or ``"segment"`` (segment values ascending).

    Returns
    -------
    polars.DataFrame
        The input columns followed by ``rate``, ``ci_low``, ``ci_high`` (fractions), ``band``,
        ``rest_rate``, ``diff``, ``diff_low``, ``diff_high``, ``test`` (``"z"``/``"fisher"``),
        ``p_value``, ``p_adjusted``, ``low_sample``, ``low_sample_reason`` and ``significant``.
        Statistics are null for segments without contacts, and tests are null when there is no
        rest to compare with. A low-sample segment is never significant.

    Raises
    ------
    InputError
        For missing or non-integer count columns, impossible counts, or bad options.

    Examples
    --------
    >>> table = pl.DataFrame({"source": ["Organic", "Referral", "Events"],
    ...                       "contacts": [800, 120, 12], "customers": [120, 30, 0]})
    >>> result = describe(table)
    >>> result["source"].to_list()
    ['Referral', 'Organic', 'Events']
    >>> result.select("source", "band", "test", "low_sample").row(2)
    ('Events', 'poor', 'fisher', True)
    """
    check_method(adjust)
    if sort not in ("lower_bound", "rate", "contacts", "segment"):
        raise InputError(f"Unknown sort {sort!r}; choose lower_bound, rate, contacts or segment.")
    if not 0 < alpha < 1:
        raise InputError(f"The significance level must be between 0 and 1; got {alpha}.")
    customers, contacts = _counts(table)
    for name in ADDED_COLUMNS:
        if name in table.columns:
            raise InputError(f"The column name {name!r} is reserved for results; rename it.")

    with np.errstate(divide="ignore", invalid="ignore"):
        rate = customers / contacts
    ci_low, ci_high = wilson_bounds(customers, contacts)
    rest_customers = customers.sum() - customers
    rest_contacts = contacts.sum() - contacts
    with np.errstate(divide="ignore", invalid="ignore"):
        rest_rate = rest_customers / rest_contacts
    diff, diff_low, diff_high = _newcombe_arrays(customers, contacts, rest_customers, rest_contacts)
    tests, p_values = _segment_tests(customers, contacts, rest_customers, rest_contacts)
    p_adjusted = adjust_pvalues(p_values, method=adjust)
    reasons = _low_sample_reasons(customers, contacts, ci_low, ci_high)
    low_sample = np.array([reason is not None for reason in reasons], dtype=bool)
    significant = (np.nan_to_num(p_adjusted, nan=1.0) < alpha) & ~low_sample

    result = table.with_columns(
        float_series("rate", rate),
        float_series("ci_low", ci_low),
        float_series("ci_high", ci_high),
        pl.Series("band", [None if np.isnan(r) else bands.label(r) for r in rate], pl.String),
        float_series("rest_rate", rest_rate),
        float_series("diff", diff),
        float_series("diff_low", diff_low),
        float_series("diff_high", diff_high),
        pl.Series("test", tests, dtype=pl.String),
        float_series("p_value", p_values),
        float_series("p_adjusted", p_adjusted),
        pl.Series("low_sample", low_sample, dtype=pl.Boolean),
        pl.Series("low_sample_reason", reasons, dtype=pl.String),
        pl.Series("significant", significant, dtype=pl.Boolean),
    )
    return _sorted(result, sort, _segment_columns(table))


def _sorted(result: pl.DataFrame, sort: SortOrder, segments: list[str]) -> pl.DataFrame:
    if sort == "segment":
        if not segments:
            return result
        return result.sort(segments, nulls_last=True, maintain_order=True)
    first = {"lower_bound": "ci_low", "rate": "rate", "contacts": "contacts"}[sort]
    keys = [first] if first == "contacts" else [first, "contacts"]
    return result.sort(keys, descending=[True] * len(keys), nulls_last=True, maintain_order=True)


def _segment_columns(table: pl.DataFrame) -> list[str]:
    return [name for name in table.columns if name not in COUNT_COLUMNS]


def _counts(table: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The ``customers`` and ``contacts`` columns as float arrays, after checking them."""
    for name in COUNT_COLUMNS:
        if name not in table.columns:
            raise InputError(
                f"The segment table needs a {name!r} column; it has {', '.join(table.columns)}."
            )
        dtype = table.schema[name]
        if not dtype.is_integer():
            raise InputError(f"The {name!r} column must hold whole numbers; it holds {dtype}.")
        if table[name].null_count():
            raise InputError(f"The {name!r} column has empty cells; every segment needs a count.")
    customers = table["customers"].to_numpy().astype(float)
    contacts = table["contacts"].to_numpy().astype(float)
    _check_counts(customers, contacts)
    return customers, contacts


def _check_counts(customers: np.ndarray, contacts: np.ndarray) -> None:
    if np.any(customers < 0) or np.any(contacts < 0):
        raise InputError("Counts of contacts and customers cannot be negative.")
    if np.any(customers > contacts):
        raise InputError(
            "A segment has more customers than contacts; every customer must be a counted contact."
        )
