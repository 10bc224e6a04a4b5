"""Tests for how sure we are (analysis/posterior.py): band chances, A beats B, expected loss.

References: hand values (binomial sums, integrals of polynomials), scipy.stats.beta called here
with ORACLES.md's empirical-Bayes prior, Evan Miller's closed-form sum for integer parameters
written out in this file, and a large seeded Monte Carlo run here with its standard error.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from conversion.analysis.posterior import (
    FLAT,
    PosteriorPrior,
    band_probabilities,
    expected_loss,
    posterior_prior,
    prob_a_beats_b,
)
from conversion.definition import Bands

# ORACLES.md, five segments and their empirical-Bayes prior.
FIVE = pl.DataFrame(
    {
        "source": ["Organic", "Paid", "Referral", "Partner", "Events"],
        "contacts": [800, 500, 120, 40, 12],
        "customers": [120, 45, 30, 3, 0],
    }
)
ALPHA, BETA = 4.853318913, 31.22792068
EB = PosteriorPrior(ALPHA, BETA, "ORACLES.md")
DEFAULT = Bands(0.20, 0.10)


def miller_b_beats_a(a1: int, b1: int, a2: int, b2: int) -> float:
    """P(p_B > p_A), p_A ~ Beta(a1, b1), p_B ~ Beta(a2, b2), a2 a whole number (Evan Miller)."""

    def log_beta(x: float, y: float) -> float:
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    total = 0.0
    for i in range(a2):
        total += math.exp(
            log_beta(a1 + i, b1 + b2) - math.log(b2 + i) - log_beta(1 + i, b2) - log_beta(a1, b1)
        )
    return total


def test_flat_prior_band_chances_by_hand() -> None:
    # 3 of 10 under Beta(1, 1): Beta(4, 8). P(rate ≥ 0.2) = P(Binomial(11, 0.2) ≤ 3).
    by_hand = sum(math.comb(11, k) * 0.2**k * 0.8 ** (11 - k) for k in range(4))
    # P(rate < 0.1) = P(Binomial(11, 0.1) ≥ 4).
    poor = sum(math.comb(11, k) * 0.1**k * 0.9 ** (11 - k) for k in range(4, 12))
    table = pl.DataFrame({"s": ["A"], "contacts": [10], "customers": [3]})
    row = band_probabilities(table, DEFAULT, FLAT).row(0, named=True)
    assert row["p_strong"] == pytest.approx(by_hand, abs=1e-12)
    assert row["p_poor"] == pytest.approx(poor, abs=1e-12)


def test_empirical_bayes_band_chances_match_scipy_with_the_oracle_prior() -> None:
    prior = posterior_prior(FIVE["contacts"], FIVE["customers"])
    assert (prior.alpha, prior.beta) == pytest.approx((ALPHA, BETA), rel=1e-8)
    assert prior.note.startswith("empirical-Bayes prior Beta(4.85, 31.23)")
    table = band_probabilities(FIVE, DEFAULT)
    rows = {r["source"]: r for r in table.iter_rows(named=True)}
    # scipy.stats.beta.sf(0.2, 30 + α, 90 + β) and friends, values pasted from scipy 1.17.
    assert rows["Referral"]["p_strong"] == pytest.approx(0.7520331282109054, rel=1e-6)
    assert rows["Referral"]["p_poor"] == pytest.approx(4.115686041764146e-06, rel=1e-4)
    assert rows["Events"]["p_strong"] == pytest.approx(0.024434626225568776, rel=1e-6)
    assert rows["Events"]["p_poor"] == pytest.approx(0.5424577410279916, rel=1e-6)
    for row in rows.values():
        x, n = row["customers"], row["contacts"]
        a, b = x + ALPHA, n - x + BETA
        assert row["p_strong"] == pytest.approx(float(beta.sf(0.2, a, b)), rel=1e-6, abs=1e-12)


def test_flat_prior_when_the_fit_has_nothing_to_stand_on() -> None:
    few = posterior_prior([100, 100, 100], [10, 30, 50])
    assert few.flat and "3 segments are too few" in few.note
    same = posterior_prior([100, 100, 100, 100, 100], [10, 11, 10, 9, 10])
    assert same.flat and "differ no more than chance" in same.note
    assert posterior_prior([100], [10]).flat


def test_a_beats_b_against_the_closed_form_sum() -> None:
    # Flat prior: A 12 of 40 → Beta(13, 29); B 8 of 50 → Beta(9, 43).
    expected = 1 - miller_b_beats_a(13, 29, 9, 43)
    assert prob_a_beats_b(12, 40, 8, 50) == pytest.approx(expected, abs=1e-9)
    assert prob_a_beats_b(1, 2, 0, 2) == pytest.approx(0.8, abs=1e-10)  # 1 − 6·B(2, 5)
    big = 1 - miller_b_beats_a(301, 701, 281, 721)
    assert prob_a_beats_b(300, 1000, 280, 1000) == pytest.approx(big, abs=1e-9)


def test_a_beats_b_and_expected_loss_against_a_seeded_monte_carlo() -> None:
    rng = np.random.default_rng(20261204)
    draws = 2_000_000
    a = rng.beta(30 + ALPHA, 90 + BETA, draws)  # Referral
    b = rng.beta(120 + ALPHA, 680 + BETA, draws)  # Organic
    wins = a > b
    loss = np.maximum(b - a, 0)
    p_se = wins.std() / math.sqrt(draws)
    loss_se = loss.std() / math.sqrt(draws)
    assert prob_a_beats_b(30, 120, 120, 800, EB) == pytest.approx(wins.mean(), abs=5 * p_se)
    assert expected_loss(30, 120, 120, 800, EB) == pytest.approx(loss.mean(), abs=5 * loss_se)
    reverse = np.maximum(a - b, 0)
    assert expected_loss(120, 800, 30, 120, EB) == pytest.approx(
        reverse.mean(), abs=5 * reverse.std() / math.sqrt(draws)
    )


def test_expected_loss_of_two_flat_priors_is_one_sixth() -> None:
    # E[max(U2 − U1, 0)] for independent uniforms: ∫∫_{u2>u1} (u2 − u1) = 1/6.
    assert expected_loss(0, 0, 0, 0) == pytest.approx(1 / 6, abs=1e-10)


COUNTS = st.integers(0, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=40, deadline=None)
@given(COUNTS, COUNTS, st.floats(0.5, 20), st.floats(0.5, 60))
def test_probabilities_are_coherent_on_random_counts(
    first: tuple[int, int], second: tuple[int, int], alpha: float, beta_: float
) -> None:
    prior = PosteriorPrior(alpha, beta_, "random")
    (x1, n1), (x2, n2) = first, second
    win, lose = prob_a_beats_b(x1, n1, x2, n2, prior), prob_a_beats_b(x2, n2, x1, n1, prior)
    assert 0 <= win <= 1 and 0 <= lose <= 1
    assert win + lose == pytest.approx(1, abs=1e-7)
    loss_a, loss_b = expected_loss(x1, n1, x2, n2, prior), expected_loss(x2, n2, x1, n1, prior)
    assert loss_a >= 0 and loss_b >= 0
    # E[max(B − A, 0)] − E[max(A − B, 0)] = E[B] − E[A].
    mean_a, mean_b = (x1 + alpha) / (n1 + alpha + beta_), (x2 + alpha) / (n2 + alpha + beta_)
    assert loss_a - loss_b == pytest.approx(mean_b - mean_a, abs=1e-7)
    table = pl.DataFrame({"contacts": [n1, n2], "customers": [x1, x2]})
    chances = band_probabilities(table, DEFAULT, prior)
    for row in chances.iter_rows(named=True):
        assert 0 <= row["p_strong"] <= 1 and 0 <= row["p_poor"] <= 1
        # Strong (≥ 20 %) and poor (< 10 %) are disjoint: their chances add to at most 1.
        assert row["p_strong"] + row["p_poor"] <= 1 + 1e-12
