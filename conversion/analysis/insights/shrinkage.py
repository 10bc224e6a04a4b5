"""Empirical-Bayes shrinkage: small segments' rates pulled towards the pooled rate.

A beta prior is fitted to the segments themselves (Kleinman's moment estimator, see
ORACLES.md); each segment's adjusted rate is then its posterior mean, so a tiny segment with a
lucky streak no longer tops the table while a large segment barely moves. When the segments
differ no more than chance would make them there is no prior, and the reason says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from conversion.analysis.insights._shared import count_arrays
from conversion.analysis.stats import float_series
from conversion.errors import InputError

MIN_PRIOR_SEGMENTS = 5


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


def fit_prior(
    contacts: Sequence[int] | np.ndarray, customers: Sequence[int] | np.ndarray
) -> tuple[Prior | None, str | None]:
    """The prior of ``beta_binomial_prior`` and, when there is none, the reason in words.

    Exactly one of the two is None.

    Raises
    ------
    InputError
        When the two sequences differ in length or a count of customers is impossible.

    Examples
    --------
    >>> prior, reason = fit_prior([800, 500, 120, 40, 12], [120, 45, 30, 3, 0])
    >>> round(prior.alpha, 2), reason
    (4.85, None)
    >>> fit_prior([100], [10])
    (None, 'Shrinkage needs at least two segments with contacts.')
    """
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
    return fit_prior(contacts, customers)[0]


def prior_reason(
    contacts: Sequence[int] | np.ndarray, customers: Sequence[int] | np.ndarray
) -> str | None:
    """Why ``beta_binomial_prior`` gives no prior for these counts; None when it gives one.

    Examples
    --------
    >>> print(prior_reason([100, 100], [10, 11]))  # doctest: +ELLIPSIS
    The segments differ no more than chance would make them...
    """
    return fit_prior(contacts, customers)[1]


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
    customers, contacts = count_arrays(table, "the segment table")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = customers / contacts
    if prior is None:
        return table.with_columns(
            float_series("rate", rate),
            float_series("adjusted_rate", rate),
            pl.lit(None, pl.Float64).alias("adjusted_low"),
            pl.lit(None, pl.Float64).alias("adjusted_high"),
        )
    from scipy import stats

    a = customers + prior.alpha
    b = contacts - customers + prior.beta
    return table.with_columns(
        float_series("rate", rate),
        float_series("adjusted_rate", a / (a + b)),
        float_series("adjusted_low", stats.beta.ppf(0.025, a, b)),
        float_series("adjusted_high", stats.beta.ppf(0.975, a, b)),
    )


def with_adjusted_rates(
    described: pl.DataFrame, segments: Sequence[str], prior: Prior
) -> pl.DataFrame:
    """The per-segment table with an ``adjusted_rate`` column, highest adjusted rate first.

    Parameters
    ----------
    described
        One row per segment: the ``segments`` columns, ``contacts``, ``customers`` and any other
        columns (e.g. from ``stats.describe``), kept as they are.
    segments
        The segment columns, which identify a row.
    prior
        From ``beta_binomial_prior``.

    Returns
    -------
    polars.DataFrame
        ``described`` with ``adjusted_rate`` (see ``shrunk_rates``) as its last column, sorted
        by it, highest first.

    Examples
    --------
    >>> table = pl.DataFrame({"source": ["Big", "Small"], "contacts": [1000, 10],
    ...                       "customers": [100, 5]})
    >>> prior = Prior(mu=0.1, rho=0.1, alpha=1.0, beta=9.0, segments=2)
    >>> with_adjusted_rates(table, ["source"], prior).rows()
    [('Small', 10, 5, 0.3), ('Big', 1000, 100, 0.1)]
    """
    shrunk = shrunk_rates(described.select(*segments, "contacts", "customers"), prior)
    return described.join(
        shrunk.select(*segments, "adjusted_rate"), on=list(segments), how="left"
    ).sort("adjusted_rate", descending=True, nulls_last=True)
