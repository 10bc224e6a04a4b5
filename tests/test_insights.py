"""Tests for conversion.analysis.insights against ORACLES.md, hand counts and naive references."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversion.analysis.insights import (
    CMH_TEST,
    TOTAL,
    Prior,
    beta_binomial_prior,
    cohort_chi_square,
    cohort_dates,
    column_verdict,
    exclusion_reason,
    fit_prior,
    mantel_haenszel,
    mature_cohorts,
    mix_between_cohorts,
    mix_rate_decomposition,
    mix_total,
    monthly_review,
    outside_cohorts,
    p_chart,
    prior_reason,
    rank_columns,
    separates_clearly,
    shrunk_rates,
    simpson_flips,
    simpson_scan,
    simpson_warning,
    split_excluded,
    with_adjusted_rates,
)
from conversion.errors import InputError

EXACT = 1e-9
Z = 1.959963984540054

# ORACLES.md, "Five segments".
FIVE = pl.DataFrame(
    {
        "source": ["Organic", "Paid", "Referral", "Partner", "Events"],
        "contacts": [800, 500, 120, 40, 12],
        "customers": [120, 45, 30, 3, 0],
    }
)
FIVE_CHI2, FIVE_DF, FIVE_P = 26.98771704, 4, 1.999289670e-05

# ORACLES.md, "Simpson's paradox example".
SIMPSON = pl.DataFrame(
    {
        "channel": ["Email", "Email", "Ads", "Ads"],
        "size": ["SMB", "Enterprise", "SMB", "Enterprise"],
        "contacts": [100, 1000, 1000, 100],
        "customers": [30, 50, 250, 4],
    }
)

# ORACLES.md, "Monthly cohorts".
MONTHS = [dt.date(2025, m, 1) for m in (1, 2, 3, 4)]
COHORTS = pl.DataFrame(
    {
        "cohort": MONTHS,
        "contacts": [400, 410, 420, 430],
        "customers": [40, 52, 38, 61],
        "immature": [0, 0, 0, 0],
        "mature": [True, True, True, True],
    }
)


def naive_wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


# ---------------------------------------------------------------------------------------------
# 1. Ranking columns and excluding them


def test_exclusion_reasons() -> None:
    assert exclusion_reason("source", distinct=5, rows=1000) is None
    assert "id column" in exclusion_reason(
        "lead_id", distinct=10, rows=10, role_columns={"lead_id": "id"}
    )
    assert "role" in exclusion_reason("signup", distinct=3, rows=10, role_columns={"signup"})
    assert "nearly unique" in exclusion_reason("email", distinct=600, rows=1000)
    assert "nearly unique" in exclusion_reason("city", distinct=201, rows=100_000)
    assert exclusion_reason("city", distinct=200, rows=100_000) is None
    assert "single value" in exclusion_reason("country", distinct=1, rows=100)
    leak = exclusion_reason(
        "stage", distinct=4, rows=1000, role_columns={"stage"}, leak_columns={"stage"}
    )
    assert "restates the outcome" in leak


def test_rank_columns_against_the_oracle() -> None:
    noise = pl.DataFrame({"region": ["N", "S"], "contacts": [736, 736], "customers": [99, 99]})
    ranked = rank_columns({"region": noise, "source": FIVE}, {"email": "nearly unique"})
    assert ranked["column"].to_list() == ["source", "region", "email"]
    source = ranked.row(0, named=True)
    assert source["chi2"] == pytest.approx(FIVE_CHI2, abs=1e-7)
    assert source["df"] == FIVE_DF
    assert source["p_value"] == pytest.approx(FIVE_P, rel=1e-8)
    assert source["test"] == "chi-square"
    assert source["cramers_v"] == pytest.approx(math.sqrt(FIVE_CHI2 / 1472), abs=1e-9)
    # Events (12 contacts) is left out of best/worst; Referral has the highest lower bound and
    # Paid the lowest upper bound among the rest.
    referral_low, _ = naive_wilson(30, 120)
    _, paid_high = naive_wilson(45, 500)
    assert source["best_segment"] == "Referral"
    assert source["worst_segment"] == "Paid"
    assert source["best_lower"] == pytest.approx(referral_low, abs=1e-12)
    assert source["worst_upper"] == pytest.approx(paid_high, abs=1e-12)
    assert source["spread"] == pytest.approx(referral_low - paid_high, abs=1e-12)
    assert source["spread"] > 0
    # Events expects 1.6 customers: the chi-square p-value is only approximate.
    assert source["thin"] is True
    assert source["note"] == "expected counts below 5: the p-value is approximate"
    region = ranked.row(1, named=True)
    assert region["chi2"] == pytest.approx(0.0)
    assert region["p_adjusted"] == pytest.approx(1.0)
    assert source["p_adjusted"] == pytest.approx(2 * FIVE_P, rel=1e-8)
    email = ranked.row(2, named=True)
    assert email["excluded_reason"] == "nearly unique"
    assert email["chi2"] is None


def test_rank_columns_ties_on_p_value_sort_by_cramers_v() -> None:
    strong = pl.DataFrame({"a": ["x", "y"], "contacts": [5000, 5000], "customers": [500, 2500]})
    stronger = pl.DataFrame({"b": ["x", "y"], "contacts": [5000, 5000], "customers": [0, 5000]})
    ranked = rank_columns({"a": strong, "b": stronger})
    assert ranked["p_value"].to_list() == [0.0, 0.0]
    assert ranked["column"].to_list() == ["b", "a"]


def test_rank_columns_flags_thin_tables() -> None:
    small = pl.DataFrame({"tier": ["gold", "silver"], "contacts": [8, 9], "customers": [2, 1]})
    row = rank_columns({"tier": small}).row(0, named=True)
    assert row["thin"] is True
    assert "expected counts below 5" in row["note"]
    assert "fewer than two segments have 30 contacts" in row["note"]
    # Every segment is small, so all of them take part in best/worst.
    assert row["best_segment"] == "gold"


def test_rank_columns_without_variation() -> None:
    flat = pl.DataFrame({"tier": ["a", "b"], "contacts": [50, 50], "customers": [0, 0]})
    row = rank_columns({"tier": flat}).row(0, named=True)
    assert row["p_value"] is None
    assert row["thin"] is True
    assert "no test" in row["note"]


def test_rank_columns_needs_the_named_column() -> None:
    with pytest.raises(InputError, match="source"):
        rank_columns({"source": FIVE.rename({"source": "channel"})})


def test_split_excluded_keeps_the_ranked_order() -> None:
    noise = pl.DataFrame({"region": ["N", "S"], "contacts": [736, 736], "customers": [99, 99]})
    ranked = rank_columns({"region": noise, "source": FIVE}, {"email": "nearly unique"})
    tested, left_out = split_excluded(ranked)
    assert tested["column"].to_list() == ["source", "region"]
    assert left_out["column"].to_list() == ["email"]
    assert left_out["excluded_reason"].to_list() == ["nearly unique"]
    assert tested.columns == left_out.columns == ranked.columns


@pytest.mark.parametrize(
    ("p_adjusted", "spread", "expected"),
    [
        (0.01, 0.02, True),
        (0.049, 0.0001, True),
        (0.05, 0.02, False),  # not below 0.05
        (0.01, 0.0, False),  # the intervals touch: the best is not surely better
        (0.01, -0.03, False),
        (None, 0.02, False),  # no test
        (0.01, None, False),
    ],
)
def test_separates_clearly(p_adjusted: float | None, spread: float | None, expected: bool) -> None:
    assert separates_clearly(p_adjusted, spread) is expected


def test_column_verdict_in_words() -> None:
    clear = {"cramers_v": 0.2, "p_adjusted": 0.001, "spread": 0.034, "thin": False}
    assert column_verdict(clear) == (
        "separates conversion clearly: V = 0.20, p = 0.001, spread +3.4 pp"
    )
    thin = {"cramers_v": 0.05, "p_adjusted": 0.31, "spread": -0.012, "thin": True}
    assert column_verdict(thin) == (
        "no clear separation (thin data: approximate): V = 0.05, p = 0.31, spread -1.2 pp"
    )
    untested = {"cramers_v": None, "p_adjusted": None, "spread": None, "thin": True}
    assert column_verdict(untested) == "not enough data to test"


def test_column_verdict_on_the_oracle() -> None:
    # FIVE: χ² = 26.99 on 4 df, p = 2.0e-5 (one column, so adjusted = raw), n = 1472.
    row = rank_columns({"source": FIVE}).row(0, named=True)
    v = math.sqrt(FIVE_CHI2 / 1472)
    best_low = naive_wilson(30, 120)[0]  # Referral has the highest lower bound
    worst_high = naive_wilson(45, 500)[1]  # Paid has the lowest upper bound (Events is < 30)
    # Events' expected customers are 12 · 198/1472 = 1.6 < 5, so the p-value is approximate.
    assert column_verdict(row) == (
        f"separates conversion clearly (thin data: approximate): V = {v:.2f}, p = {FIVE_P:.2g}, "
        f"spread {(best_low - worst_high) * 100:+.1f} pp"
    )


# ---------------------------------------------------------------------------------------------
# 2. Simpson's paradox


def test_simpson_oracle_flips() -> None:
    mh = mantel_haenszel(SIMPSON, "channel", "size", "Email", "Ads")
    assert mh.rate_a == pytest.approx(80 / 1100)
    assert mh.rate_b == pytest.approx(254 / 1100)
    assert mh.crude_difference == pytest.approx(80 / 1100 - 254 / 1100)
    assert mh.crude_ratio == pytest.approx(80 / 254)
    # Weights n_a·n_b/N are 100·1000/1100 in both strata, so the MH difference is the plain
    # mean of the stratum differences: (0.30 − 0.25 + 0.05 − 0.04) / 2.
    assert mh.adjusted_difference == pytest.approx(0.03, abs=1e-12)
    # MH ratio: Σ x_a·n_b/N over Σ x_b·n_a/N = (30·1000 + 50·100) / (250·100 + 4·1000).
    assert mh.adjusted_ratio == pytest.approx(35_000 / 29_000, abs=1e-12)
    assert mh.direction_flips is True
    assert mh.strata_used == 2
    assert mh.strata_skipped == ()
    assert mh.thin is False


def test_cochran_mantel_haenszel_by_hand() -> None:
    mh = mantel_haenszel(SIMPSON, "channel", "size", "Email", "Ads")
    # Per stratum: E[x_a] = n_a·m/N, Var = n_a·n_b·m·(N−m) / (N²·(N−1)).
    smb_expected = 100 * 280 / 1100
    smb_variance = 100 * 1000 * 280 * 820 / (1100**2 * 1099)
    ent_expected = 1000 * 54 / 1100
    ent_variance = 1000 * 100 * 54 * 1046 / (1100**2 * 1099)
    statistic = (30 - smb_expected + 50 - ent_expected) ** 2 / (smb_variance + ent_variance)
    assert mh.test == CMH_TEST
    assert mh.statistic == pytest.approx(statistic, abs=1e-12)
    assert mh.p_value == pytest.approx(math.erfc(math.sqrt(statistic / 2)), abs=1e-12)
    assert mh.crude_test == "pooled two-proportion z-test"
    assert mh.crude_p_value < 1e-10


def test_simpson_composition_table() -> None:
    composition = mantel_haenszel(SIMPSON, "channel", "size", "Email", "Ads").composition
    smb = composition.filter(pl.col("size") == "SMB").row(0, named=True)
    assert smb["share_a"] == pytest.approx(100 / 1100)
    assert smb["share_b"] == pytest.approx(1000 / 1100)
    assert smb["rate_a"] == pytest.approx(0.30)
    assert smb["rate_b"] == pytest.approx(0.25)
    assert smb["difference"] == pytest.approx(0.05)


def test_simpson_warning_text() -> None:
    warning = simpson_warning(mantel_haenszel(SIMPSON, "channel", "size", "Email", "Ads"))
    assert warning is not None
    assert warning.startswith("Simpson's paradox: overall, Email converts at 7.3% against 23.1%")
    assert "within every size Email converts better" in warning
    assert "91% of Email's contacts are size Enterprise" in warning
    assert "Cochran–Mantel–Haenszel test p = " in warning


def test_no_warning_without_a_paradox() -> None:
    plain = pl.DataFrame(
        {
            "channel": ["Email", "Email", "Ads", "Ads"],
            "size": ["SMB", "Enterprise", "SMB", "Enterprise"],
            "contacts": [500, 500, 500, 500],
            "customers": [150, 50, 100, 30],
        }
    )
    mh = mantel_haenszel(plain, "channel", "size", "Email", "Ads")
    assert mh.crude_difference > 0
    assert mh.adjusted_difference > 0
    assert mh.direction_flips is False
    assert simpson_warning(mh) is None


def test_other_levels_are_ignored_and_empty_strata_skipped() -> None:
    extra = pl.concat(
        [
            SIMPSON,
            pl.DataFrame(
                {
                    "channel": ["Events", "Email"],
                    "size": ["SMB", "Public"],
                    "contacts": [400, 20],
                    "customers": [300, 1],
                }
            ),
        ]
    )
    mh = mantel_haenszel(extra, "channel", "size", "Email", "Ads")
    assert mh.strata_skipped == ("Public",)
    assert mh.adjusted_difference == pytest.approx(0.03, abs=1e-12)
    assert mh.rate_a == pytest.approx(81 / 1120)


def test_thin_strata_are_flagged() -> None:
    small = pl.DataFrame(
        {
            "channel": ["Email", "Email", "Ads", "Ads"],
            "size": ["SMB", "Enterprise", "SMB", "Enterprise"],
            "contacts": [10, 100, 100, 10],
            "customers": [3, 5, 25, 0],
        }
    )
    mh = mantel_haenszel(small, "channel", "size", "Email", "Ads")
    assert mh.thin is True
    assert "Enterprise, SMB" in mh.thin_reason
    warning = simpson_warning(mh)
    assert warning is not None
    assert "Treat this with care" in warning


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [("Email", "Email", "two different"), ("Email", "Radio", "no contacts")],
)
def test_mantel_haenszel_bad_levels(a: str, b: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        mantel_haenszel(SIMPSON, "channel", "size", a, b)


def test_simpson_scan_returns_only_flipping_columns() -> None:
    by_region = pl.DataFrame(
        {
            "channel": ["Email", "Email", "Ads", "Ads"],
            "region": ["N", "S", "N", "S"],
            "contacts": [550, 550, 550, 550],
            "customers": [40, 40, 127, 127],
        }
    )
    found = simpson_scan(
        {"size": SIMPSON, "region": by_region, "channel": SIMPSON}, "channel", "Email", "Ads"
    )
    assert found["column"].to_list() == ["size"]
    assert found["warning"][0].startswith("Simpson's paradox")
    assert simpson_scan({"region": by_region}, "channel", "Email", "Ads").is_empty()


def test_simpson_flips_give_the_comparisons_behind_the_scan() -> None:
    by_region = pl.DataFrame(
        {
            "channel": ["Email", "Email", "Ads", "Ads"],
            "region": ["N", "S", "N", "S"],
            "contacts": [550, 550, 550, 550],
            "customers": [40, 40, 127, 127],
        }
    )
    tables = {"region": by_region, "size": SIMPSON, "channel": SIMPSON}
    flips = simpson_flips(tables, "channel", "Email", "Ads")
    assert [mh.stratum for mh in flips] == ["size"]
    (mh,) = flips
    # As in the oracle: crude 80/1100 − 254/1100, adjusted (0.30 − 0.25 + 0.05 − 0.04) / 2.
    assert mh.crude_difference == pytest.approx(80 / 1100 - 254 / 1100)
    assert mh.adjusted_difference == pytest.approx(0.03, abs=1e-12)
    assert mh.composition["size"].to_list() == ["Enterprise", "SMB"]
    assert mh.composition["contacts_a"].to_list() == [1000, 100]
    assert simpson_flips({"region": by_region}, "channel", "Email", "Ads") == []


# ---------------------------------------------------------------------------------------------
# 3. Empirical-Bayes shrinkage


def test_prior_oracle() -> None:
    prior = beta_binomial_prior(FIVE["contacts"], FIVE["customers"])
    assert prior is not None
    # The oracle gives ten significant digits, so α and β are checked relative to their size.
    assert prior.mu == pytest.approx(0.1345108696, abs=EXACT)
    assert prior.rho == pytest.approx(0.02696781475, abs=EXACT)
    assert prior.alpha == pytest.approx(4.853318913, rel=EXACT)
    assert prior.beta == pytest.approx(31.22792068, rel=EXACT)
    assert prior.segments == 5
    assert prior.thin is False
    assert prior_reason(FIVE["contacts"], FIVE["customers"]) is None


def test_shrunk_rates_by_hand() -> None:
    prior = beta_binomial_prior(FIVE["contacts"], FIVE["customers"])
    shrunk = shrunk_rates(FIVE, prior)
    alpha, beta = 4.853318913, 31.22792068
    expected = [
        (x + alpha) / (n + alpha + beta)
        for x, n in zip([120, 45, 30, 3, 0], [800, 500, 120, 40, 12], strict=True)
    ]
    assert shrunk["adjusted_rate"].to_list() == pytest.approx(expected, abs=1e-9)
    assert shrunk["rate"].to_list() == pytest.approx([0.15, 0.09, 0.25, 0.075, 0.0])
    for row in shrunk.iter_rows(named=True):
        assert row["adjusted_low"] < row["adjusted_rate"] < row["adjusted_high"]


def test_no_prior_when_segments_do_not_differ() -> None:
    contacts, customers = [1000, 1000, 1000], [100, 101, 99]
    assert beta_binomial_prior(contacts, customers) is None
    assert "no between-segment spread" in prior_reason(contacts, customers)
    table = pl.DataFrame({"s": ["a", "b", "c"], "contacts": contacts, "customers": customers})
    shrunk = shrunk_rates(table, None)
    assert shrunk["adjusted_rate"].to_list() == shrunk["rate"].to_list()
    assert shrunk["adjusted_low"].null_count() == 3


@pytest.mark.parametrize(
    ("contacts", "customers", "reason"),
    [([100], [10], "at least two"), ([100, 50], [0, 0], "same"), ([0, 0], [0, 0], "two")],
)
def test_no_prior_edge_cases(contacts: list[int], customers: list[int], reason: str) -> None:
    assert beta_binomial_prior(contacts, customers) is None
    assert reason in prior_reason(contacts, customers)


def test_few_segments_make_a_thin_prior() -> None:
    prior = Prior(mu=0.1, rho=0.05, alpha=1.9, beta=17.1, segments=3)
    assert prior.thin is True


def test_fit_prior_gives_the_prior_or_the_reason() -> None:
    prior, reason = fit_prior(FIVE["contacts"], FIVE["customers"])
    assert reason is None
    assert prior is not None
    assert prior.mu == pytest.approx(0.1345108696, abs=EXACT)
    assert prior.alpha == pytest.approx(4.853318913, rel=EXACT)
    prior, reason = fit_prior([100, 100], [10, 11])
    assert prior is None
    assert reason.startswith("The segments differ no more than chance would make them")


def test_with_adjusted_rates_by_hand() -> None:
    described = pl.DataFrame(
        {
            "source": ["Ads", "Fair", "Web"],
            "contacts": [40, 10, 50],
            "customers": [10, 0, 30],
            "band": ["poor", "poor", "strong"],
        }
    )
    prior = Prior(mu=0.2, rho=1 / 11, alpha=2.0, beta=8.0, segments=3)
    result = with_adjusted_rates(described, ["source"], prior)
    # (x + 2) / (n + 10): Web 32/60, Ads 12/50, Fair 2/20; highest first.
    assert result.columns == ["source", "contacts", "customers", "band", "adjusted_rate"]
    assert result["source"].to_list() == ["Web", "Ads", "Fair"]
    assert result["adjusted_rate"].to_list() == pytest.approx([32 / 60, 12 / 50, 2 / 20])
    assert result["band"].to_list() == ["strong", "poor", "poor"]


def test_with_adjusted_rates_joins_on_every_segment_column() -> None:
    described = pl.DataFrame(
        {
            "source": ["Ads", "Ads", "Web"],
            "size": ["SMB", "Ent", "SMB"],
            "contacts": [10, 90, 100],
            "customers": [9, 9, 10],
        }
    )
    prior = Prior(mu=0.5, rho=0.5, alpha=1.0, beta=1.0, segments=3)
    result = with_adjusted_rates(described, ["source", "size"], prior)
    # (x + 1) / (n + 2): Ads·SMB 10/12 = 0.833, Ads·Ent 10/92 = 0.1087, Web·SMB 11/102 = 0.1078.
    assert result.select("source", "size").rows() == [
        ("Ads", "SMB"),
        ("Ads", "Ent"),
        ("Web", "SMB"),
    ]
    assert result["adjusted_rate"].to_list() == pytest.approx([10 / 12, 10 / 92, 11 / 102])


segment_counts = st.lists(
    st.integers(1, 2000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    min_size=2,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(segment_counts)
def test_adjusted_rate_lies_between_raw_rate_and_prior_mean(pairs: list[tuple[int, int]]) -> None:
    contacts = [n for n, _ in pairs]
    customers = [x for _, x in pairs]
    prior = beta_binomial_prior(contacts, customers)
    if prior is None:
        return
    assert prior.alpha / (prior.alpha + prior.beta) == pytest.approx(prior.mu, abs=1e-12)
    table = pl.DataFrame({"contacts": contacts, "customers": customers})
    for row in shrunk_rates(table, prior).iter_rows(named=True):
        low, high = sorted((row["rate"], prior.mu))
        assert low - 1e-12 <= row["adjusted_rate"] <= high + 1e-12


# ---------------------------------------------------------------------------------------------
# 4. p-chart and cohort chi-square


def test_cohort_chi_square_oracle() -> None:
    result = cohort_chi_square(COHORTS)
    assert result is not None
    assert result.statistic == pytest.approx(6.974954808, abs=EXACT)
    assert result.df == 3
    assert result.p_value == pytest.approx(0.07270034665, abs=EXACT)


def test_cohort_chi_square_leaves_immature_cohorts_out_and_sums_segments() -> None:
    immature = pl.DataFrame(
        {
            "cohort": [dt.date(2025, 5, 1)],
            "contacts": [100],
            "customers": [90],
            "immature": [900],
            "mature": [False],
        }
    )
    result = cohort_chi_square(pl.concat([COHORTS, immature]))
    assert result.statistic == pytest.approx(6.974954808, abs=EXACT)
    halves = pl.concat(
        [
            COHORTS.with_columns(pl.lit("A").alias("tier"), pl.col("contacts") // 2),
            COHORTS.with_columns(
                pl.lit("B").alias("tier"),
                pl.col("contacts") - pl.col("contacts") // 2,
                pl.lit(0, pl.Int64).alias("customers"),
            ),
        ]
    ).select("cohort", "tier", "contacts", "customers", "immature", "mature")
    assert cohort_chi_square(halves).statistic == pytest.approx(6.974954808, abs=EXACT)


def test_p_chart_limits_by_hand() -> None:
    extra = pl.DataFrame(
        {
            "cohort": [dt.date(2025, 5, 1), dt.date(2025, 6, 1)],
            "contacts": [500, 50],
            "customers": [120, 40],
            "immature": [0, 450],
            "mature": [True, False],
        }
    )
    chart = p_chart(pl.concat([COHORTS, extra]))
    centre = (40 + 52 + 38 + 61 + 120) / (400 + 410 + 420 + 430 + 500)
    for row in chart.filter(pl.col("mature")).iter_rows(named=True):
        half = 3 * math.sqrt(centre * (1 - centre) / row["contacts"])
        assert row["centre"] == pytest.approx(centre, abs=1e-12)
        assert row["lcl"] == pytest.approx(centre - half, abs=1e-12)
        assert row["ucl"] == pytest.approx(centre + half, abs=1e-12)
        assert row["outside"] is (not centre - half <= row["rate"] <= centre + half)
        assert row["thin"] is False
    assert chart["outside"].to_list() == [False, False, True, False, True, None]
    last = chart.row(-1, named=True)
    assert (last["centre"], last["lcl"], last["ucl"], last["outside"]) == (None,) * 4
    assert last["rate"] == pytest.approx(0.8)


def test_p_chart_clips_and_splits_by_segment() -> None:
    cohorts = pl.DataFrame(
        {
            "cohort": MONTHS[:2] * 2,
            "tier": ["A", "A", "B", "B"],
            "contacts": [10, 10, 100, 100],
            "customers": [0, 1, 50, 50],
            "immature": [0, 0, 0, 0],
            "mature": [True] * 4,
        }
    )
    chart = p_chart(cohorts)
    assert chart["centre"].to_list() == pytest.approx([0.05, 0.05, 0.5, 0.5])
    assert chart["lcl"][0] == 0.0  # 0.05 − 3·√(0.05·0.95/10) is below 0
    assert chart["thin"].to_list() == [True, True, False, False]


def test_mature_cohorts_and_their_dates() -> None:
    cohorts = pl.DataFrame(
        {
            "cohort": [MONTHS[1], MONTHS[0], MONTHS[1], MONTHS[2], MONTHS[3]],
            "tier": ["A", "A", "B", "A", "A"],
            "contacts": [10, 20, 0, 30, 40],
            "customers": [1, 2, 0, 3, 4],
            "mature": [True, True, True, True, False],
        }
    )
    mature = mature_cohorts(cohorts)
    # The empty row and the immature April are left out; rows keep their order.
    assert mature["contacts"].to_list() == [10, 20, 30]
    assert cohort_dates(mature) == [MONTHS[0], MONTHS[1], MONTHS[2]]
    assert cohort_dates(cohorts) == MONTHS


def test_outside_cohorts_by_hand() -> None:
    # Four months at 10 % and one at 20 %, 1,000 contacts each: p̄ = 600 / 5000 = 0.12 and
    # 3·√(0.12·0.88/1000) = 0.0308, so the limits are 0.0892 – 0.1508: only May is outside.
    # June (immature, 50 %) is not judged.
    months = [dt.date(2025, m, 1) for m in (1, 2, 3, 4, 5, 6)]
    cohorts = pl.DataFrame(
        {
            "cohort": months,
            "contacts": [1000] * 5 + [100],
            "customers": [100, 100, 100, 100, 200, 50],
            "immature": [0] * 5 + [900],
            "mature": [True] * 5 + [False],
        }
    )
    assert outside_cohorts(p_chart(cohorts)) == [months[4]]
    points = pl.DataFrame({"cohort": months[:3], "outside": [True, None, True]})
    assert outside_cohorts(points) == [months[0], months[2]]


# ---------------------------------------------------------------------------------------------
# 5. Monthly review


def review_cohorts() -> pl.DataFrame:
    march, april, may = dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)
    return pl.DataFrame(
        {
            "cohort": [march] * 3 + [april] * 3 + [may],
            "source": ["Ads", "Web", "Fair", "Ads", "Web", "Fair", "Ads"],
            "contacts": [1000, 1000, 20, 1000, 1000, 20, 300],
            "customers": [100, 200, 1, 180, 205, 6, 3],
            "immature": [0, 0, 0, 0, 0, 0, 700],
            "mature": [True] * 6 + [False],
        }
    )


def test_monthly_review_overall_and_segments() -> None:
    review = monthly_review(review_cohorts(), "source")
    assert review.latest == dt.date(2025, 4, 1)
    assert review.previous == dt.date(2025, 3, 1)
    assert review.rate_previous == pytest.approx(301 / 2020)
    assert review.rate_latest == pytest.approx(391 / 2020)
    assert review.change == pytest.approx(90 / 2020)
    assert review.test == "pooled two-proportion z-test"
    assert review.p_value < 0.001
    moves = {row["segment"]: row for row in review.segments.iter_rows(named=True)}
    assert moves["Ads"]["significant"] is True
    assert moves["Web"]["significant"] is False
    # Fair jumps from 5 % to 30 % but on 20 contacts: low sample, never significant.
    assert moves["Fair"]["thin"] is True
    assert moves["Fair"]["significant"] is False
    assert moves["Fair"]["test"] == "Fisher's exact test"
    text = " ".join(review.sentences)
    assert review.sentences[0] == (
        "April 2025: 19.4% of 2,020 contacts converted, up from 14.9% in March 2025 (+4.5 points)."
    )
    assert "unlikely to be chance" in text
    assert "Moved significantly" in text
    assert "Ads up 8.0 points (10.0% → 18.0%)" in text
    assert "Too few contacts to judge: Fair." in text
    assert "May 2025" in text


def test_monthly_review_without_segments_or_enough_cohorts() -> None:
    overall = monthly_review(review_cohorts())
    assert overall.segments.is_empty()
    assert not any("Moved" in s for s in overall.sentences)
    one = review_cohorts().filter(pl.col("cohort") != dt.date(2025, 3, 1))
    review = monthly_review(one, "source")
    assert review.test is None
    assert "two mature cohorts" in review.sentences[0]


def test_monthly_review_when_no_segment_is_in_both_cohorts() -> None:
    # March: only 'a', 10 of 100; April: only 'b', 20 of 100. Pooled rate 30/200 = 0.15,
    # se = sqrt(0.15 × 0.85 × (1/100 + 1/100)) = 0.0505, z = 0.10 / 0.0505 = 1.98, p = 0.048.
    cohorts = pl.DataFrame(
        {
            "cohort": [dt.date(2025, 3, 1), dt.date(2025, 4, 1)],
            "source": ["a", "b"],
            "contacts": [100, 100],
            "customers": [10, 20],
            "immature": [0, 0],
            "mature": [True, True],
        }
    )
    review = monthly_review(cohorts, "source")
    assert review.segments.is_empty()
    assert review.rate_previous == 0.10 and review.rate_latest == 0.20
    assert review.p_value == pytest.approx(0.0477, abs=5e-4)
    assert review.sentences[0].startswith("April 2025: 20.0% of 100 contacts converted, up from")


def test_monthly_review_no_segment_moved() -> None:
    cohorts = review_cohorts().with_columns(
        pl.when(pl.col("source") == "Ads")
        .then(100)
        .otherwise(pl.col("customers"))
        .alias("customers")
    )
    review = monthly_review(cohorts, "source")
    assert any(s.startswith("No source moved significantly") for s in review.sentences)


# ---------------------------------------------------------------------------------------------
# 6. Mix and rate


def test_mix_rate_by_hand() -> None:
    # Before: SMB 800 contacts at 10 %, Ent 200 at 30 % → 14 %.
    # After:  SMB 400 contacts at 15 %, Ent 600 at 30 % → 24 %.
    before = pl.DataFrame({"size": ["SMB", "Ent"], "contacts": [800, 200], "customers": [80, 60]})
    after = pl.DataFrame({"size": ["SMB", "Ent"], "contacts": [400, 600], "customers": [60, 180]})
    result = mix_rate_decomposition(before, after, "size")
    rows = {row["segment"]: row for row in result.iter_rows(named=True)}
    # Ent: mix (0.6 − 0.2)·(0.3 + 0.3)/2 = 0.12, rate 0.
    # SMB: mix (0.4 − 0.8)·(0.10 + 0.15)/2 = −0.05, rate (0.15 − 0.10)·(0.8 + 0.4)/2 = 0.03.
    assert rows["Ent"]["mix_effect"] == pytest.approx(0.12, abs=1e-12)
    assert rows["Ent"]["rate_effect"] == pytest.approx(0.0, abs=1e-12)
    assert rows["SMB"]["mix_effect"] == pytest.approx(-0.05, abs=1e-12)
    assert rows["SMB"]["rate_effect"] == pytest.approx(0.03, abs=1e-12)
    total = rows[TOTAL]
    assert total["total_effect"] == pytest.approx(0.10, abs=1e-12)
    assert total["mix_effect"] == pytest.approx(0.07, abs=1e-12)
    assert total["rate_effect"] == pytest.approx(0.03, abs=1e-12)
    assert result["segment"].to_list() == ["Ent", "SMB", TOTAL]


def test_mix_rate_segments_in_one_period_only() -> None:
    before = pl.DataFrame({"src": ["A", "B"], "contacts": [50, 50], "customers": [5, 10]})
    after = pl.DataFrame({"src": ["A", "C"], "contacts": [50, 50], "customers": [10, 20]})
    rows = {
        r["segment"]: r for r in mix_rate_decomposition(before, after, "src").iter_rows(named=True)
    }
    # B leaves: share 0.5 → 0 at its own rate 0.2; C arrives: 0 → 0.5 at 0.4. All mix, no rate.
    assert rows["B"]["rate_after"] is None
    assert rows["B"]["mix_effect"] == pytest.approx(-0.1)
    assert rows["B"]["rate_effect"] == 0.0
    assert rows["C"]["mix_effect"] == pytest.approx(0.2)
    assert rows["C"]["rate_effect"] == 0.0
    assert rows[TOTAL]["total_effect"] == pytest.approx(0.3 - 0.15)


def test_mix_rate_needs_contacts_in_both_periods() -> None:
    empty = pl.DataFrame({"src": ["A"], "contacts": [0], "customers": [0]})
    full = pl.DataFrame({"src": ["A"], "contacts": [10], "customers": [1]})
    with pytest.raises(InputError, match="before period has no contacts"):
        mix_rate_decomposition(empty, full, "src")


period = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "e", "f"]),
    st.integers(0, 5000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    min_size=1,
).filter(lambda d: sum(n for n, _ in d.values()) > 0)


def as_table(counts: dict[str, tuple[int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "seg": list(counts),
            "contacts": [n for n, _ in counts.values()],
            "customers": [x for _, x in counts.values()],
        },
        schema={"seg": pl.String, "contacts": pl.Int64, "customers": pl.Int64},
    )


@settings(max_examples=200, deadline=None)
@given(period, period)
def test_mix_and_rate_effects_add_up_to_the_change(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
) -> None:
    result = mix_rate_decomposition(as_table(before), as_table(after), "seg")
    segments = result.filter(pl.col("segment") != TOTAL)
    change = sum(x for _, x in after.values()) / sum(n for n, _ in after.values()) - sum(
        x for _, x in before.values()
    ) / sum(n for n, _ in before.values())
    explained = segments["mix_effect"].sum() + segments["rate_effect"].sum()
    assert abs(explained - change) <= 1e-12
    assert abs(result.filter(pl.col("segment") == TOTAL)["total_effect"][0] - change) <= 1e-12


def test_mix_between_cohorts_uses_mature_rows_only() -> None:
    # The hand example of test_mix_rate_by_hand as cohorts, with rows that must be left out:
    # an empty segment row, and an immature March.
    jan, feb, mar = MONTHS[:3]
    cohorts = pl.DataFrame(
        {
            "cohort": [jan, jan, feb, feb, feb, mar],
            "size": ["SMB", "Ent", "SMB", "Ent", "Mid", "SMB"],
            "contacts": [800, 200, 400, 600, 0, 500],
            "customers": [80, 60, 60, 180, 0, 400],
            "mature": [True, True, True, True, True, False],
        }
    )
    parts = mix_between_cohorts(cohorts, "size", jan, feb)
    assert parts["segment"].to_list() == ["Ent", "SMB", TOTAL]
    total = mix_total(parts)
    # 14 % → 24 %: mix 0.12 − 0.05 = 0.07, rate 0.03.
    assert total["segment"] == TOTAL
    assert (total["contacts_before"], total["contacts_after"]) == (1000, 1000)
    assert total["total_effect"] == pytest.approx(0.10, abs=1e-12)
    assert total["mix_effect"] == pytest.approx(0.07, abs=1e-12)
    assert total["rate_effect"] == pytest.approx(0.03, abs=1e-12)
    with pytest.raises(InputError, match="after period has no contacts"):
        mix_between_cohorts(cohorts, "size", jan, mar)
