"""How many more leads: contacts needed for a narrow interval, or to detect a difference.

Two questions per segment, both at its current rate:

- **Precision**: the fewest contacts n for which the 95 % Wilson interval is at most ± margin
  wide. The Wilson half-width z·√(p(1−p)n + z²/4) / (n + z²) falls as n grows (its derivative
  is negative for every p), so the answer is the smallest root of a quadratic, checked on the
  integers either side.
- **Power**: the contacts needed to detect a difference in rate against the rest of the
  contacts with the given power (80 % by default), two-sided, at the adjusted level α / m
  (Bonferroni for m segments, the strictest level Benjamini–Hochberg uses). The standard normal
  approximation on Cohen's effect size h = 2·asin√p₁ − 2·asin√p₂ (as statsmodels'
  ``NormalIndPower`` with ``proportion_effectsize``): n = ((z₁₋α/₂ + z_power) / h)² · (1 + 1/r),
  with r the rest's contacts per segment contact, kept as it is now.

The weeks to wait divide the contacts still missing by the segment's intake per week over the
data's date span.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import polars as pl

from conversion.analysis.insights._shared import count_arrays
from conversion.analysis.stats import Z95, float_series
from conversion.errors import InputError

POWER = 0.8
"""The default chance of detecting a true difference."""
MARGIN = 0.05
"""The default half-width (± 5 points) of the interval a segment should reach."""

LEADS_COLUMNS = (
    "margin_contacts",
    "margin_more",
    "margin_weeks",
    "power_contacts",
    "power_more",
    "power_weeks",
)
"""The columns ``leads_needed`` adds (contacts needed in total, still missing, weeks to wait)."""


def wilson_half_width(rate: float, contacts: float, z: float = Z95) -> float:
    """Half the width of the Wilson interval for ``rate`` observed on ``contacts`` contacts.

    Examples
    --------
    >>> round(wilson_half_width(0.5, 1000), 6)  # ORACLES.md: 0.4690696 to 0.5309304
    0.03093
    """
    p, n = rate, contacts
    return z * math.sqrt(p * (1 - p) * n + z * z / 4) / (n + z * z)


def contacts_for_margin(rate: float, margin: float = MARGIN, z: float = Z95) -> int:
    """The fewest contacts whose Wilson interval at ``rate`` is at most ± ``margin`` wide.

    Raises
    ------
    InputError
        When ``rate`` is outside [0, 1] or ``margin`` is not between 0 and 0.5.

    Examples
    --------
    >>> contacts_for_margin(0.5, 0.05), contacts_for_margin(0.1, 0.05)
    (381, 141)
    """
    if not 0 <= rate <= 1:
        raise InputError(f"A rate must lie between 0 and 1; got {rate}.")
    if not 0 < margin < 0.5:
        raise InputError(f"The margin must lie between 0 and 50 points; got {margin * 100:g}.")
    pq, z2, m2 = rate * (1 - rate), z * z, margin * margin
    # z²(pq·n + z²/4) = m²(n + z²)²  ⇔  m²n² + (2m²z² − z²pq)n + m²z⁴ − z⁴/4 = 0
    a, b, c = m2, 2 * m2 * z2 - z2 * pq, m2 * z2 * z2 - z2 * z2 / 4
    root = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    n = max(1, math.floor(root) - 1)
    while wilson_half_width(rate, n, z) > margin:
        n += 1
    return n


def effect_size(rate: float, other: float) -> float:
    """Cohen's h between two rates: 2·asin√rate − 2·asin√other.

    Examples
    --------
    >>> round(effect_size(0.5, 0.4), 6)
    0.201358
    """
    return 2 * math.asin(math.sqrt(rate)) - 2 * math.asin(math.sqrt(other))


def contacts_for_difference(
    rate: float, other: float, *, alpha: float = 0.05, power: float = POWER, ratio: float = 1.0
) -> float:
    """Contacts needed in the first group to detect ``rate`` against ``other`` (two-sided).

    ``ratio`` is the second group's contacts per contact of the first. Returns infinity when
    the two rates are equal (no difference to detect).

    Raises
    ------
    InputError
        When a rate is outside [0, 1], or ``alpha``, ``power`` or ``ratio`` is out of range.

    Examples
    --------
    >>> round(contacts_for_difference(0.5, 0.4), 2)  # equal groups
    387.17
    """
    if not (0 <= rate <= 1 and 0 <= other <= 1):
        raise InputError(f"Rates must lie between 0 and 1; got {rate} and {other}.")
    if not (0 < alpha < 1 and 0 < power < 1 and ratio > 0):
        raise InputError("The level and the power must lie between 0 and 1, the ratio above 0.")
    h = abs(effect_size(rate, other))
    if h == 0:
        return math.inf
    # Normal quantiles from the standard library: scipy would cost a third of a second to load.
    normal = NormalDist()
    z = normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)
    return float((z / h) ** 2 * (1 + 1 / ratio))


def leads_needed(
    table: pl.DataFrame,
    *,
    margin: float = MARGIN,
    difference: float | None = None,
    alpha: float = 0.05,
    power: float = POWER,
    weeks: float | None = None,
) -> pl.DataFrame:
    """Per segment, the contacts needed for a ± ``margin`` interval and to detect a difference.

    Parameters
    ----------
    table
        One row per segment with ``contacts`` and ``customers`` (other columns are kept).
    margin
        The interval half-width to reach, as a fraction (0.05 = ± 5 points).
    difference
        The difference against the rest to detect, as a fraction (the segment at the rest's
        rate plus ``difference``); by default each segment's observed difference.
    alpha
        The family level; each segment is tested at alpha / (segments with contacts).
    power
        The chance of detecting the difference when it is real.
    weeks
        The data's date span in weeks; without it the weeks to wait are null.

    Returns
    -------
    polars.DataFrame
        ``table`` with ``LEADS_COLUMNS``: the contacts needed in all (``*_contacts``), the
        ones still missing (``*_more``, 0 when there are enough) and the weeks they take at the
        segment's intake (``*_weeks``). Null where there is nothing to compute (no contacts,
        no difference to detect, or the rest is empty).

    Examples
    --------
    >>> table = pl.DataFrame({"s": ["A", "B"], "contacts": [100, 300], "customers": [50, 60]})
    >>> leads_needed(table, weeks=4)["margin_more"].to_list()
    [281, 0]
    """
    customers, contacts = count_arrays(table, "the segment table")
    tested = int((contacts > 0).sum())
    level = alpha / max(tested, 1)
    rows = [
        _segment_leads(x, n, customers.sum() - x, contacts.sum() - n, margin, difference)
        for x, n in zip(customers, contacts, strict=True)
    ]
    margin_total = np.array([r[0] for r in rows], dtype=float)
    power_total = np.array([_power_total(r[1], r[2], r[3], level, power) for r in rows])
    intake = contacts / weeks if weeks else np.full(contacts.shape, np.nan)
    columns = []
    for name, total in (("margin", margin_total), ("power", power_total)):
        with np.errstate(invalid="ignore", divide="ignore"):
            more = np.where(np.isfinite(total), np.maximum(total - contacts, 0), np.nan)
            wait = np.where(intake > 0, more / intake, np.nan)
        columns += [
            _counts_series(f"{name}_contacts", total),
            _counts_series(f"{name}_more", more),
            float_series(f"{name}_weeks", wait),
        ]
    return table.with_columns(columns)


def _segment_leads(
    x: float, n: float, rest_x: float, rest_n: float, margin: float, difference: float | None
) -> tuple[float, float, float, float]:
    """(contacts for the margin, the segment's rate to detect, the rest's rate, the ratio)."""
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan
    rate = x / n
    needed = float(contacts_for_margin(rate, margin))
    if rest_n == 0:
        return needed, math.nan, math.nan, math.nan
    rest = rest_x / rest_n
    target = rate if difference is None else rest + difference
    return needed, target, rest, rest_n / n


def _power_total(target: float, rest: float, ratio: float, level: float, power: float) -> float:
    if math.isnan(target) or not 0 <= target <= 1:
        return math.nan
    needed = contacts_for_difference(target, rest, alpha=level, power=power, ratio=ratio)
    return float(math.ceil(needed)) if math.isfinite(needed) else math.nan


def _counts_series(name: str, values: np.ndarray) -> pl.Series:
    """Whole numbers of contacts, null where there is none (NaN or infinite)."""
    finite = np.isfinite(values)
    return pl.Series(
        name, [int(v) if ok else None for v, ok in zip(values, finite, strict=True)], pl.Int64
    )


def check_margin(margin_points: float) -> float:
    """A margin in points as a fraction, after checking it is between 0 and 50 points.

    Examples
    --------
    >>> check_margin(5)
    0.05
    """
    if not 0 < margin_points < 50:
        raise InputError(f"The margin must lie between 0 and 50 points; got {margin_points:g}.")
    return margin_points / 100
