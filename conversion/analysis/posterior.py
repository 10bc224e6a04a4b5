"""How sure: the chance a segment's true rate is strong or poor, and that A beats B.

Each segment's true rate gets a beta posterior, Beta(x + α, n − x + β), from its customers x
out of n contacts and a beta prior: the empirical-Bayes prior fitted to the segments themselves
(``insights.shrinkage``), or the flat prior Beta(1, 1) when that fit has no spread to model
(ρ ≤ 0), rests on fewer than five segments, or fails; ``PosteriorPrior.note`` says which.

Every probability here is exact up to numerical integration (scipy's adaptive quadrature,
error below 1e-8): P(rate ≥ strong) and P(rate < moderate) are beta tails, P(A beats B) is
∫ f_A(t) F_B(t) dt, and the expected loss of choosing A, E[max(p_B − p_A, 0)], reduces to two
integrals of the same kind (see ``expected_loss``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from conversion.analysis.insights._shared import count_arrays
from conversion.analysis.insights.shrinkage import MIN_PRIOR_SEGMENTS, fit_prior
from conversion.analysis.stats import float_series
from conversion.definition import Bands
from conversion.errors import InputError

POSTERIOR_COLUMNS = ("p_strong", "p_poor")
"""The columns ``band_probabilities`` adds: P(rate ≥ strong), P(rate < moderate)."""


@dataclass(frozen=True)
class PosteriorPrior:
    """The beta prior the posteriors start from, and in words why it is this one."""

    alpha: float
    beta: float
    note: str

    @property
    def flat(self) -> bool:
        """True for the flat prior Beta(1, 1)."""
        return self.alpha == 1.0 and self.beta == 1.0


FLAT = PosteriorPrior(1.0, 1.0, "flat prior Beta(1, 1)")


def posterior_prior(
    contacts: Sequence[int] | np.ndarray, customers: Sequence[int] | np.ndarray
) -> PosteriorPrior:
    """The empirical-Bayes prior of the segments, or the flat prior with the reason.

    Examples
    --------
    >>> prior = posterior_prior([800, 500, 120, 40, 12], [120, 45, 30, 3, 0])
    >>> round(prior.alpha, 2), round(prior.beta, 2), prior.note
    (4.85, 31.23, 'empirical-Bayes prior Beta(4.85, 31.23) fitted to 5 segments')
    >>> posterior_prior([100, 100], [10, 30]).note
    'flat prior Beta(1, 1): 2 segments are too few to fit a prior (5 needed)'
    """
    prior, reason = fit_prior(contacts, customers)
    if prior is None:
        return PosteriorPrior(1.0, 1.0, f"{FLAT.note}: {_lower_first(reason or '')}")
    if prior.segments < MIN_PRIOR_SEGMENTS:
        return PosteriorPrior(
            1.0,
            1.0,
            f"{FLAT.note}: {prior.segments} segments are too few to fit a prior "
            f"({MIN_PRIOR_SEGMENTS} needed)",
        )
    return PosteriorPrior(
        prior.alpha,
        prior.beta,
        f"empirical-Bayes prior Beta({prior.alpha:.2f}, {prior.beta:.2f}) fitted to "
        f"{prior.segments} segments",
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:].rstrip(".")


def band_probabilities(
    table: pl.DataFrame, bands: Bands, prior: PosteriorPrior | None = None
) -> pl.DataFrame:
    """Per segment, the chance its true rate is at least strong, and below moderate (poor).

    Parameters
    ----------
    table
        One row per segment with ``contacts`` and ``customers`` (other columns are kept).
    bands
        The strong and moderate thresholds.
    prior
        The prior; by default ``posterior_prior`` of the table's own segments.

    Returns
    -------
    polars.DataFrame
        ``table`` with ``p_strong`` = P(rate ≥ strong) and ``p_poor`` = P(rate < moderate)
        under Beta(x + α, n − x + β); a segment without contacts gets the prior's chances.

    Examples
    --------
    >>> table = pl.DataFrame({"s": ["A"], "contacts": [10], "customers": [3]})
    >>> # Beta(4, 8): P(rate ≥ 0.2) = P(Binomial(11, 0.2) ≤ 3)
    >>> band_probabilities(table, Bands(0.2, 0.1), FLAT)["p_strong"].round(4).to_list()
    [0.8389]
    """
    # scipy.special takes a third of a second to import: only once a posterior is asked for.
    from scipy import special

    customers, contacts = count_arrays(table, "the segment table")
    if prior is None:
        prior = posterior_prior(contacts, customers)
    a = customers + prior.alpha
    b = contacts - customers + prior.beta
    return table.with_columns(
        # Beta's survival function and CDF are the regularised incomplete beta functions.
        float_series("p_strong", special.betaincc(a, b, bands.strong)),
        float_series("p_poor", special.betainc(a, b, bands.moderate)),
    )


def _check_beta(*parameters: float) -> None:
    if not all(np.isfinite(p) and p > 0 for p in parameters):
        raise InputError("Beta posteriors need positive parameters (customers plus the prior).")


def _p_greater(a1: float, b1: float, a2: float, b2: float) -> float:
    """P(X > Y) for independent X ~ Beta(a1, b1), Y ~ Beta(a2, b2): ∫ f_X(t) F_Y(t) dt.

    The integral runs over X's own bulk (its 1e-12 and 1 − 1e-12 quantiles), where quadrature
    sees the peak however many contacts there are.
    """
    from scipy import integrate, special  # as in band_probabilities: not at start-up

    _check_beta(a1, b1, a2, b2)
    low = float(special.betaincinv(a1, b1, 1e-12))
    high = float(special.betainccinv(a1, b1, 1e-12))
    log_norm = float(special.betaln(a1, b1))

    def integrand(t: float) -> float:
        log_pdf = (a1 - 1) * math.log(t) + (b1 - 1) * math.log1p(-t) - log_norm
        return math.exp(log_pdf) * float(special.betainc(a2, b2, t))

    value, _ = integrate.quad(
        integrand,
        max(low, 1e-300),
        min(high, 1 - 1e-16),
        points=[a1 / (a1 + b1)],
        epsabs=1e-11,
        epsrel=1e-10,
        limit=200,
    )
    return float(min(1.0, max(0.0, value)))


def prob_a_beats_b(
    customers_a: int,
    contacts_a: int,
    customers_b: int,
    contacts_b: int,
    prior: PosteriorPrior = FLAT,
) -> float:
    """The chance A's true rate is higher than B's, each with its beta posterior.

    Examples
    --------
    >>> round(prob_a_beats_b(1, 2, 0, 2), 4)  # Beta(2, 2) against Beta(1, 3): 1 − 6·B(2, 5)
    0.8
    """
    return _p_greater(
        customers_a + prior.alpha,
        contacts_a - customers_a + prior.beta,
        customers_b + prior.alpha,
        contacts_b - customers_b + prior.beta,
    )


def expected_loss(
    customers_a: int,
    contacts_a: int,
    customers_b: int,
    contacts_b: int,
    prior: PosteriorPrior = FLAT,
) -> float:
    """The expected loss of choosing A: E[max(p_B − p_A, 0)], as a fraction (a rate given up).

    With p_A ~ Beta(a₁, b₁) and p_B ~ Beta(a₂, b₂), E[p_B · 1{p_B > p_A}] equals
    a₂/(a₂ + b₂) · P(Beta(a₂ + 1, b₂) > p_A) and E[p_A · 1{p_B > p_A}] equals
    a₁/(a₁ + b₁) · P(p_B > Beta(a₁ + 1, b₁)); the loss is their difference.

    Examples
    --------
    >>> round(expected_loss(0, 0, 0, 0), 4)  # two flat priors: E[max(U2 − U1, 0)] = 1/6
    0.1667
    """
    a1, b1 = customers_a + prior.alpha, contacts_a - customers_a + prior.beta
    a2, b2 = customers_b + prior.alpha, contacts_b - customers_b + prior.beta
    upper = a2 / (a2 + b2) * _p_greater(a2 + 1, b2, a1, b1)
    lower = a1 / (a1 + b1) * _p_greater(a2, b2, a1 + 1, b1)
    return float(max(0.0, upper - lower))
