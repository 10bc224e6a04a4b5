"""Tests for analysis.stats and analysis.multiple_testing: ORACLES.md, hand counts, references."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conversion.analysis import multiple_testing, stats
from conversion.analysis.multiple_testing import adjust_pvalues, check_method
from conversion.analysis.stats import (
    ADDED_COLUMNS,
    Z95,
    ChiSquare,
    chi_square,
    describe,
    newcombe_difference,
    overall,
    pooled_z,
    segment_label,
    two_proportion_test,
    wilson_bounds,
    wilson_interval,
)
from conversion.definition import Bands
from conversion.errors import InputError

EXACT = 1e-9

# ORACLES.md, "Wilson score interval, 95 %".
WILSON_ORACLE = [
    (500, 1000, 0.4690696004, 0.5309303996),
    (0, 12, 0.0, 0.2424940067),
    (3, 40, 0.0258360258, 0.1986423352),
    (199, 200, 0.9722262956, 0.9991168313),
]

# ORACLES.md, "Five segments".
FIVE_SEGMENTS = pl.DataFrame(
    {
        "source": ["Organic", "Paid", "Referral", "Partner", "Events"],
        "contacts": [800, 500, 120, 40, 12],
        "customers": [120, 45, 30, 3, 0],
    }
)
Z_TEST_ORACLE = {
    "Organic": (1.900342144, 0.05738823411),
    "Paid": (-3.58973471, 3.31014669e-4),
    "Referral": (3.868902582, 1.093263086e-4),
    "Partner": (-1.118405229, 0.2633939623),
    "Events": (-1.371247918, 0.1702976851),
}
FISHER_EVENTS_ORACLE = 0.3870887339
BH_ORACLE = [0.09564705684, 0.0008275366725, 0.0005466315429, 0.2633939623, 0.2128721064]
HOLM_ORACLE = [0.1721647023, 0.001324058676, 0.0005466315429, 0.3405953703, 0.3405953703]


def _approx(expected: float) -> object:
    """1e-9 absolute; 1e-9 relative for tiny values and for large ones such as χ² statistics.

    ORACLES.md gives about ten significant figures, so a χ² of 26.98771704 is only known to 1e-8.
    """
    if abs(expected) < 1e-3 or abs(expected) >= 10:
        return pytest.approx(expected, rel=EXACT, abs=0)
    return pytest.approx(expected, abs=EXACT)


def _segment(table: pl.DataFrame, name: str) -> dict[str, object]:
    return table.filter(pl.col("source") == name).row(0, named=True)


# --- naive references, plain Python loops ---------------------------------------------------


def naive_bh(p_values: list[float]) -> list[float]:
    """Benjamini–Hochberg: min over every p' ≥ p of p'·m / (number of p-values ≤ p')."""
    tested = [p for p in p_values if not math.isnan(p)]
    m = len(tested)
    adjusted = []
    for p in p_values:
        if math.isnan(p):
            adjusted.append(math.nan)
            continue
        best = 1.0
        for other in tested:
            if other >= p:
                rank = sum(1 for q in tested if q <= other)
                best = min(best, other * m / rank)
        adjusted.append(best)
    return adjusted


def naive_holm(p_values: list[float]) -> list[float]:
    """Holm: max over every p' ≤ p of p'·(m − number of p-values below p'), capped at 1."""
    tested = [p for p in p_values if not math.isnan(p)]
    m = len(tested)
    adjusted = []
    for p in p_values:
        if math.isnan(p):
            adjusted.append(math.nan)
            continue
        worst = 0.0
        for other in tested:
            if other <= p:
                below = sum(1 for q in tested if q < other)
                worst = max(worst, other * (m - below))
        adjusted.append(min(worst, 1.0))
    return adjusted


# --- Wilson interval --------------------------------------------------------------------------


def test_z95_is_the_two_sided_95_percent_quantile() -> None:
    assert pytest.approx(1.959963984540054, abs=1e-15) == Z95


@pytest.mark.parametrize(("customers", "contacts", "low", "high"), WILSON_ORACLE)
def test_wilson_interval_matches_oracle(
    customers: int, contacts: int, low: float, high: float
) -> None:
    assert wilson_interval(customers, contacts) == (_approx(low), _approx(high))


def test_wilson_bounds_vectorised_matches_oracle() -> None:
    customers = np.array([row[0] for row in WILSON_ORACLE])
    contacts = np.array([row[1] for row in WILSON_ORACLE])
    low, high = wilson_bounds(customers, contacts)
    assert low.tolist() == pytest.approx([row[2] for row in WILSON_ORACLE], abs=EXACT)
    assert high.tolist() == pytest.approx([row[3] for row in WILSON_ORACLE], abs=EXACT)


def test_wilson_without_contacts_is_nan() -> None:
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)
    low_array, high_array = wilson_bounds(np.array([0, 1]), np.array([0, 2]))
    assert math.isnan(low_array[0]) and math.isnan(high_array[0])
    assert not math.isnan(low_array[1])


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(InputError):
        wilson_interval(5, 4)
    with pytest.raises(InputError):
        wilson_interval(-1, 4)


@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_rate_and_lies_in_unit_interval(counts: tuple[int, int]) -> None:
    customers, contacts = counts
    low, high = wilson_interval(customers, contacts)
    rate = customers / contacts
    assert 0.0 <= low <= high <= 1.0
    assert low <= rate + 1e-12
    assert rate <= high + 1e-12


# --- Newcombe difference ----------------------------------------------------------------------


def test_newcombe_partner_vs_events_by_hand() -> None:
    # Wilson oracle bounds: 3/40 → [0.0258360258, 0.1986423352]; 0/12 → [0, 0.2424940067].
    p1, low1, high1 = 3 / 40, 0.0258360258, 0.1986423352
    p2, low2, high2 = 0.0, 0.0, 0.2424940067
    expected_low = (p1 - p2) - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    expected_high = (p1 - p2) + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    diff, low, high = newcombe_difference(3, 40, 0, 12)
    assert diff == pytest.approx(0.075, abs=EXACT)
    assert low == pytest.approx(expected_low, abs=EXACT)
    assert high == pytest.approx(expected_high, abs=EXACT)


def test_newcombe_worked_example_vs_high_rate_by_hand() -> None:
    # 500/1000 → [0.4690696004, 0.5309303996]; 199/200 → [0.9722262956, 0.9991168313].
    p1, low1, high1 = 0.5, 0.4690696004, 0.5309303996
    p2, low2, high2 = 199 / 200, 0.9722262956, 0.9991168313
    expected_low = (p1 - p2) - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2)
    expected_high = (p1 - p2) + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2)
    diff, low, high = newcombe_difference(500, 1000, 199, 200)
    assert diff == pytest.approx(-0.495, abs=EXACT)
    assert low == pytest.approx(expected_low, abs=EXACT)
    assert high == pytest.approx(expected_high, abs=EXACT)


def test_newcombe_with_an_empty_group_is_nan() -> None:
    assert all(math.isnan(value) for value in newcombe_difference(3, 40, 0, 0))


# --- two-proportion tests ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(Z_TEST_ORACLE))
def test_pooled_z_each_segment_against_rest(name: str) -> None:
    row = _segment(FIVE_SEGMENTS, name)
    rest = FIVE_SEGMENTS.filter(pl.col("source") != name)
    z, p_value = pooled_z(
        row["customers"], row["contacts"], rest["customers"].sum(), rest["contacts"].sum()
    )
    expected_z, expected_p = Z_TEST_ORACLE[name]
    assert z == _approx(expected_z)
    assert p_value == _approx(expected_p)


def test_pooled_z_without_spread_is_nan() -> None:
    assert all(math.isnan(value) for value in pooled_z(0, 10, 0, 20))
    assert all(math.isnan(value) for value in pooled_z(0, 0, 3, 20))


def test_two_proportion_test_uses_fisher_for_events() -> None:
    # Expected customers among Events: 12 · 198 / 1472 ≈ 1.6 < 5.
    assert two_proportion_test(0, 12, 198, 1460) == ("fisher", _approx(FISHER_EVENTS_ORACLE))


@pytest.mark.parametrize("name", ["Organic", "Paid", "Referral", "Partner"])
def test_two_proportion_test_uses_z_when_expected_counts_are_large(name: str) -> None:
    row = _segment(FIVE_SEGMENTS, name)
    rest = FIVE_SEGMENTS.filter(pl.col("source") != name)
    test, p_value = two_proportion_test(
        row["customers"], row["contacts"], rest["customers"].sum(), rest["contacts"].sum()
    )
    assert test == "z"
    assert p_value == _approx(Z_TEST_ORACLE[name][1])


def test_two_proportion_test_rejects_empty_group() -> None:
    with pytest.raises(InputError):
        two_proportion_test(0, 0, 3, 20)


# --- multiple comparisons ---------------------------------------------------------------------


def test_bh_matches_oracle() -> None:
    raw = [p for _, p in Z_TEST_ORACLE.values()]
    assert adjust_pvalues(raw, "bh").tolist() == [_approx(v) for v in BH_ORACLE]


def test_holm_matches_oracle() -> None:
    raw = [p for _, p in Z_TEST_ORACLE.values()]
    assert adjust_pvalues(raw, "holm").tolist() == [_approx(v) for v in HOLM_ORACLE]


def test_bh_is_the_default() -> None:
    raw = [p for _, p in Z_TEST_ORACLE.values()]
    assert adjust_pvalues(raw).tolist() == adjust_pvalues(raw, "bh").tolist()


def test_adjust_passes_nan_through_and_does_not_count_it() -> None:
    raw = [p for _, p in Z_TEST_ORACLE.values()]
    with_gap = [*raw[:2], math.nan, *raw[2:]]
    adjusted = adjust_pvalues(with_gap, "holm")
    assert math.isnan(adjusted[2])
    assert [*adjusted[:2], *adjusted[3:]] == [_approx(v) for v in HOLM_ORACLE]


def test_adjust_edge_cases() -> None:
    assert adjust_pvalues([]).size == 0
    assert np.isnan(adjust_pvalues([math.nan, math.nan])).all()
    assert adjust_pvalues([0.9, 0.8], "holm").tolist() == [1.0, 1.0]
    with pytest.raises(InputError):
        adjust_pvalues([0.5, 1.5])
    with pytest.raises(InputError):
        adjust_pvalues([0.5], method="bonferroni")  # type: ignore[arg-type]


def test_adjustment_stays_importable_from_stats() -> None:
    assert stats.adjust_pvalues is multiple_testing.adjust_pvalues
    assert stats.AdjustMethod is multiple_testing.AdjustMethod


def test_unknown_adjustment_reads_the_same_everywhere() -> None:
    message = "Unknown p-value adjustment 'bonferroni'; choose 'bh' or 'holm'."
    for attempt in (
        lambda: check_method("bonferroni"),
        lambda: adjust_pvalues([0.5], method="bonferroni"),  # type: ignore[arg-type]
        lambda: describe(FIVE_SEGMENTS, adjust="bonferroni"),  # type: ignore[arg-type]
    ):
        with pytest.raises(InputError) as caught:
            attempt()
        assert str(caught.value) == message
    check_method("bh")
    check_method("holm")


p_value_lists = st.lists(
    st.one_of(
        st.floats(0.0, 1.0),
        st.sampled_from([0.0, 0.01, 0.05, 0.5, 1.0]),  # ties and edges
        st.just(math.nan),
    ),
    max_size=25,
)


@given(p_value_lists)
def test_adjust_matches_naive_reference(p_values: list[float]) -> None:
    for method, reference in (("bh", naive_bh), ("holm", naive_holm)):
        adjusted = adjust_pvalues(p_values, method).tolist()  # type: ignore[arg-type]
        expected = reference(p_values)
        assert len(adjusted) == len(expected)
        for got, want in zip(adjusted, expected, strict=True):
            if math.isnan(want):
                assert math.isnan(got)
            else:
                assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


@given(p_value_lists)
def test_adjusted_p_values_are_ordered_and_bounded(p_values: list[float]) -> None:
    raw = np.array(p_values, dtype=float)
    bh = adjust_pvalues(p_values, "bh")
    holm = adjust_pvalues(p_values, "holm")
    tested = ~np.isnan(raw)
    assert np.array_equal(np.isnan(bh), ~tested)
    raw, bh, holm = raw[tested], bh[tested], holm[tested]
    tolerance = 1e-12
    assert (bh >= raw - tolerance).all()
    assert (bh <= 1.0).all()
    assert (holm >= bh - tolerance).all()
    assert (holm <= 1.0).all()
    order = np.argsort(raw, kind="stable")
    assert (np.diff(bh[order]) >= -tolerance).all()
    assert (np.diff(holm[order]) >= -tolerance).all()


# --- chi-square and overall -------------------------------------------------------------------


def test_chi_square_five_segments_matches_oracle() -> None:
    result = chi_square(FIVE_SEGMENTS["customers"].to_list(), FIVE_SEGMENTS["contacts"].to_list())
    assert result is not None
    assert result.statistic == _approx(26.98771704)
    assert result.df == 4
    assert result.p_value == _approx(1.999289670e-05)
    # Smallest expected count: Events customers, 12 · 198 / 1472.
    assert result.min_expected == _approx(12 * 198 / 1472)
    assert result.small_expected is True


def test_chi_square_monthly_cohorts_matches_oracle() -> None:
    result = chi_square([40, 52, 38, 61], [400, 410, 420, 430])
    assert result is not None
    assert result.statistic == _approx(6.974954808)
    assert result.df == 3
    assert result.p_value == _approx(0.07270034665)
    assert result.small_expected is False


@pytest.mark.parametrize(
    ("customers", "contacts"),
    [
        ([40], [400]),  # one segment
        ([0, 0, 0], [10, 20, 30]),  # no one converted
        ([10, 20], [10, 20]),  # everyone converted
        ([5, 0], [50, 0]),  # only one segment has contacts
        ([], []),
    ],
)
def test_chi_square_is_none_without_variation(customers: list[int], contacts: list[int]) -> None:
    assert chi_square(customers, contacts) is None


def test_chi_square_ignores_empty_segments() -> None:
    result = chi_square([40, 52, 0, 38, 61], [400, 410, 0, 420, 430])
    assert result is not None
    assert result.statistic == _approx(6.974954808)
    assert result.df == 3


def test_overall_five_segments() -> None:
    result = overall(FIVE_SEGMENTS)
    assert (result.contacts, result.customers) == (1472, 198)
    assert result.rate == pytest.approx(198 / 1472, abs=EXACT)
    assert result.ci_low < result.rate < result.ci_high
    assert isinstance(result.chi_square, ChiSquare)
    assert result.chi_square.statistic == _approx(26.98771704)


def test_overall_worked_example_is_fifty_percent() -> None:
    # 1,000 newsletter sign-ups, 500 purchase within three months: 50 %.
    table = pl.DataFrame({"month": ["2024-01"], "contacts": [1000], "customers": [500]})
    result = overall(table)
    assert result.rate == pytest.approx(0.5, abs=EXACT)
    assert (result.ci_low, result.ci_high) == (_approx(0.4690696004), _approx(0.5309303996))
    assert result.chi_square is None


def test_overall_without_contacts_is_nan() -> None:
    result = overall(pl.DataFrame({"contacts": [0], "customers": [0]}))
    assert result.contacts == 0
    assert math.isnan(result.rate) and math.isnan(result.ci_low)


# --- describe ---------------------------------------------------------------------------------


def test_describe_columns_and_types() -> None:
    result = describe(FIVE_SEGMENTS)
    assert result.columns == ["source", "contacts", "customers", *ADDED_COLUMNS]
    assert ADDED_COLUMNS == (
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
    schema = result.schema
    for name in ("rate", "ci_low", "ci_high", "rest_rate", "diff", "diff_low", "diff_high"):
        assert schema[name] == pl.Float64
    for name in ("p_value", "p_adjusted"):
        assert schema[name] == pl.Float64
    for name in ("band", "test", "low_sample_reason"):
        assert schema[name] == pl.String
    assert schema["low_sample"] == pl.Boolean
    assert schema["significant"] == pl.Boolean


def test_describe_five_segments_rates_and_intervals() -> None:
    result = describe(FIVE_SEGMENTS)
    partner = _segment(result, "Partner")
    assert partner["rate"] == pytest.approx(0.075, abs=EXACT)
    assert (partner["ci_low"], partner["ci_high"]) == (_approx(0.0258360258), _approx(0.1986423352))
    assert partner["rest_rate"] == pytest.approx(195 / 1432, abs=EXACT)
    assert partner["diff"] == pytest.approx(0.075 - 195 / 1432, abs=EXACT)
    events = _segment(result, "Events")
    assert (events["ci_low"], events["ci_high"]) == (0.0, _approx(0.2424940067))
    assert [_segment(result, name)["band"] for name in Z_TEST_ORACLE] == [
        "moderate",
        "poor",
        "strong",
        "poor",
        "poor",
    ]


def test_describe_uses_fisher_for_events_and_z_elsewhere() -> None:
    result = describe(FIVE_SEGMENTS)
    events = _segment(result, "Events")
    assert events["test"] == "fisher"
    assert events["p_value"] == _approx(FISHER_EVENTS_ORACLE)
    for name in ("Organic", "Paid", "Referral", "Partner"):
        row = _segment(result, name)
        assert row["test"] == "z"
        assert row["p_value"] == _approx(Z_TEST_ORACLE[name][1])


@pytest.mark.parametrize(("adjust", "reference"), [("bh", naive_bh), ("holm", naive_holm)])
def test_describe_adjusts_over_the_tests_it_ran(adjust: str, reference: object) -> None:
    names = list(Z_TEST_ORACLE)
    raw = [Z_TEST_ORACLE[name][1] for name in names[:4]] + [FISHER_EVENTS_ORACLE]
    expected = reference(raw)  # type: ignore[operator]
    result = describe(FIVE_SEGMENTS, adjust=adjust)  # type: ignore[arg-type]
    got = [_segment(result, name)["p_adjusted"] for name in names]
    assert got == pytest.approx(expected, rel=1e-8)


def test_describe_five_segments_significance() -> None:
    result = describe(FIVE_SEGMENTS)
    significant = {row["source"]: row["significant"] for row in result.iter_rows(named=True)}
    assert significant == {
        "Organic": False,
        "Paid": True,
        "Referral": True,
        "Partner": False,
        "Events": False,
    }


def test_describe_worked_example_single_segment() -> None:
    table = pl.DataFrame({"month": ["2024-01"], "contacts": [1000], "customers": [500]})
    row = describe(table).row(0, named=True)
    assert row["rate"] == pytest.approx(0.5, abs=EXACT)
    assert (row["ci_low"], row["ci_high"]) == (_approx(0.4690696004), _approx(0.5309303996))
    for name in ("rest_rate", "diff", "diff_low", "diff_high", "test", "p_value", "p_adjusted"):
        assert row[name] is None
    assert row["low_sample"] is False
    assert row["significant"] is False


@pytest.mark.parametrize(
    ("customers", "contacts", "reason"),
    [
        (120, 800, None),
        (10, 25, "n < 30; interval wider than ±10 percentage points"),
        (4, 1000, "fewer than 5 customers"),
        (996, 1000, "fewer than 5 non-customers"),
        (20, 40, "interval wider than ±10 percentage points"),
        (10, 60, None),  # width 0.187: inside ±10 points
        (
            2,
            2,
            "n < 30; fewer than 5 customers; fewer than 5 non-customers; "
            "interval wider than ±10 percentage points",
        ),
    ],
)
def test_low_sample_flag(customers: int, contacts: int, reason: str | None) -> None:
    table = pl.DataFrame(
        {"source": ["this", "other"], "contacts": [contacts, 5000], "customers": [customers, 500]}
    )
    row = _segment(describe(table), "this")
    assert row["low_sample"] is (reason is not None)
    assert row["low_sample_reason"] == reason


def test_flagged_segment_is_never_significant() -> None:
    # 20/25 against 50/1000 is wildly different (p far below 0.05), but n < 30.
    table = pl.DataFrame({"source": ["tiny", "big"], "contacts": [25, 1000], "customers": [20, 50]})
    tiny = _segment(describe(table), "tiny")
    assert tiny["p_adjusted"] < 1e-6
    assert tiny["low_sample"] is True
    assert tiny["significant"] is False


def test_alpha_controls_significance() -> None:
    organic = _segment(describe(FIVE_SEGMENTS, alpha=0.10), "Organic")
    assert organic["p_adjusted"] == _approx(BH_ORACLE[0])
    assert organic["significant"] is True


def test_default_sort_is_by_lower_bound_not_rate() -> None:
    table = pl.DataFrame(
        {"source": ["tiny", "mid", "big"], "contacts": [2, 800, 800], "customers": [2, 120, 400]}
    )
    # Wilson lower bounds: 2/2 → 0.342, 400/800 → 0.465, 120/800 → 0.127.
    assert describe(table)["source"].to_list() == ["big", "tiny", "mid"]
    assert describe(table, sort="rate")["source"].to_list() == ["tiny", "big", "mid"]


def test_lower_bound_ties_are_broken_by_contacts() -> None:
    table = pl.DataFrame(
        {"source": ["a", "b", "c"], "contacts": [5, 0, 10], "customers": [0, 0, 0]}
    )
    # Both non-empty segments have lower bound 0; the empty one has none and goes last.
    assert describe(table)["source"].to_list() == ["c", "a", "b"]


def test_sort_by_contacts_and_by_segment() -> None:
    by_contacts = describe(FIVE_SEGMENTS, sort="contacts")["source"].to_list()
    assert by_contacts == ["Organic", "Paid", "Referral", "Partner", "Events"]
    by_segment = describe(FIVE_SEGMENTS, sort="segment")["source"].to_list()
    assert by_segment == ["Events", "Organic", "Paid", "Partner", "Referral"]


def test_empty_segment_gets_null_statistics() -> None:
    table = pl.DataFrame(
        {"source": ["a", "b", "empty"], "contacts": [100, 200, 0], "customers": [10, 40, 0]}
    )
    result = describe(table)
    empty = _segment(result, "empty")
    for name in ("rate", "ci_low", "ci_high", "band", "diff", "test", "p_value", "p_adjusted"):
        assert empty[name] is None
    assert empty["low_sample"] is True
    assert empty["significant"] is False
    # The other two are still compared with each other, and adjusted as a family of two.
    a = _segment(result, "a")
    assert a["test"] == "z"
    assert a["rest_rate"] == pytest.approx(0.2, abs=EXACT)
    assert a["p_adjusted"] == pytest.approx(a["p_value"], abs=EXACT)


def test_several_segment_columns() -> None:
    table = pl.DataFrame(
        {
            "source": ["Email", "Email", "Ads", "Ads"],
            "size": ["SMB", "Enterprise", "SMB", "Enterprise"],
            "contacts": [100, 1000, 1000, 100],
            "customers": [30, 50, 250, 4],
        }
    )
    result = describe(table, sort="segment")
    assert result.columns[:4] == ["source", "size", "contacts", "customers"]
    assert [segment_label(row) for row in result.select("source", "size").rows()] == [
        "Ads · Enterprise",
        "Ads · SMB",
        "Email · Enterprise",
        "Email · SMB",
    ]


def test_segment_label() -> None:
    assert segment_label(["Paid"]) == "Paid"
    assert segment_label(["Paid", "SMB", "2024"]) == "Paid · SMB · 2024"


def test_custom_bands_are_used() -> None:
    result = describe(FIVE_SEGMENTS, Bands.preset("ecommerce"))
    assert _segment(result, "Events")["band"] == "below average"
    assert _segment(result, "Paid")["band"] == "average"
    assert _segment(result, "Organic")["band"] == "top"


def test_describe_empty_table() -> None:
    table = pl.DataFrame(
        {"source": [], "contacts": [], "customers": []},
        schema={"source": pl.String, "contacts": pl.Int64, "customers": pl.Int64},
    )
    result = describe(table)
    assert result.height == 0
    assert result.columns == ["source", "contacts", "customers", *ADDED_COLUMNS]


@pytest.mark.parametrize(
    ("table", "options"),
    [
        (pl.DataFrame({"source": ["a"], "contacts": [10]}), {}),
        (pl.DataFrame({"source": ["a"], "contacts": [10.0], "customers": [1.0]}), {}),
        (pl.DataFrame({"source": ["a"], "contacts": [10], "customers": [11]}), {}),
        (pl.DataFrame({"source": ["a"], "contacts": [10], "customers": [-1]}), {}),
        (pl.DataFrame({"source": ["a"], "contacts": [10], "customers": [None]}), {}),
        (pl.DataFrame({"rate": ["a"], "contacts": [10], "customers": [1]}), {}),
        (FIVE_SEGMENTS, {"adjust": "bonferroni"}),
        (FIVE_SEGMENTS, {"sort": "p_value"}),
        (FIVE_SEGMENTS, {"alpha": 1.5}),
    ],
)
def test_describe_rejects_bad_input(table: pl.DataFrame, options: dict[str, object]) -> None:
    with pytest.raises(InputError):
        describe(table, **options)  # type: ignore[arg-type]


segment_tables = st.lists(
    st.integers(0, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    min_size=1,
    max_size=8,
)


@given(segment_tables)
def test_describe_matches_plain_python_reference(counts: list[tuple[int, int]]) -> None:
    table = pl.DataFrame(
        {
            "source": [f"s{i}" for i in range(len(counts))],
            "contacts": [n for _, n in counts],
            "customers": [x for x, _ in counts],
        }
    )
    result = describe(table, sort="segment")
    total_x = sum(x for x, _ in counts)
    total_n = sum(n for _, n in counts)
    for (x, n), row in zip(counts, result.iter_rows(named=True), strict=True):
        if n == 0:
            assert row["rate"] is None and row["test"] is None
        else:
            assert row["rate"] == pytest.approx(x / n, abs=1e-12)
            assert row["ci_low"] <= row["rate"] + 1e-12 <= row["ci_high"] + 2e-12
        rest_n = total_n - n
        if n and rest_n:
            assert row["rest_rate"] == pytest.approx((total_x - x) / rest_n, abs=1e-12)
            assert row["diff_low"] <= row["diff"] <= row["diff_high"]
            assert row["test"] in ("z", "fisher")
            assert 0.0 <= row["p_value"] <= row["p_adjusted"] + 1e-12 <= 1.0 + 1e-12
        else:
            assert row["test"] is None and row["p_adjusted"] is None
        flagged = n < 30 or x < 5 or n - x < 5 or (n > 0 and row["ci_high"] - row["ci_low"] > 0.2)
        assert row["low_sample"] is flagged
        if row["significant"]:
            assert not row["low_sample"] and row["p_adjusted"] < 0.05


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 60),
    st.integers(0, 60),
    st.integers(0, 400),
    st.integers(0, 400),
)
def test_fisher_matches_scipy_fisher_exact(x1, extra1, x2, extra2):
    """The log-gamma Fisher test gives scipy.stats.fisher_exact's two-sided p-value."""
    from scipy.stats import fisher_exact

    n1, n2 = x1 + extra1, x2 + extra2
    assume(n1 > 0 and n2 > 0)
    expected = fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="two-sided").pvalue
    assert stats.fisher_two_sided(x1, n1, x2, n2) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_fisher_on_a_large_rest_group():
    from scipy.stats import fisher_exact

    expected = fisher_exact([[1, 99], [40_000, 960_000]]).pvalue
    assert stats.fisher_two_sided(1, 100, 40_000, 1_000_000) == pytest.approx(expected, rel=1e-9)


def test_float_series_turns_nan_into_null() -> None:
    series = stats.float_series("rate", np.array([0.25, math.nan, 1.0]))
    assert series.name == "rate"
    assert series.dtype == pl.Float64
    assert series.to_list() == [0.25, None, 1.0]
    assert stats.float_series("rate", [1, 2]).to_list() == [1.0, 2.0]


# ---------------------------------------------------------------------------------------------
# Tail probabilities without scipy at start-up: scipy gives the reference values


@pytest.mark.parametrize("df", [*range(1, 40), 99, 100, 199, 200, 501])
def test_chi_square_survival_matches_scipy(df: int) -> None:
    from scipy import special

    from conversion.analysis.tails import chi_square_survival

    for statistic in (0.001, 0.1, 0.5, 1, 2, 5, 10, 30, 100, 158.84, 700, 3000):
        expected = float(special.chdtrc(df, statistic))
        got = chi_square_survival(df, statistic)
        if expected > 1e-300:
            assert got == pytest.approx(expected, rel=1e-11), (df, statistic)
    assert chi_square_survival(df, 0.0) == 1.0


def test_chi_square_survival_refuses_fractional_degrees_of_freedom() -> None:
    from conversion.analysis.tails import chi_square_survival

    with pytest.raises(ValueError, match="whole number"):
        chi_square_survival(2.5, 3.0)  # type: ignore[arg-type]


def test_two_sided_normal_matches_scipy() -> None:
    from scipy import special

    from conversion.analysis.tails import two_sided_normal

    z = np.linspace(-37, 37, 1481)
    np.testing.assert_allclose(two_sided_normal(z), 2 * special.ndtr(-np.abs(z)), rtol=1e-12)
    assert math.isnan(two_sided_normal(np.array([math.nan]))[0])


@settings(max_examples=300, deadline=None)
@given(
    n1=st.integers(1, 400),
    n2=st.integers(1, 5000),
    share1=st.floats(0, 1),
    share2=st.floats(0, 1),
)
def test_fisher_matches_scipy_on_random_tables(n1, n2, share1, share2) -> None:
    from scipy.stats import fisher_exact

    x1, x2 = round(n1 * share1), round(n2 * share2)
    expected = fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue
    assert stats.fisher_two_sided(x1, n1, x2, n2) == pytest.approx(expected, rel=1e-9, abs=1e-300)
