"""Tests for conversion.survival against ORACLES.md, hand counts and a plain-Python reference."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from itertools import pairwise

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversion.analysis.stats import Z95
from conversion.analysis.survival import (
    KM_COLUMNS,
    WITHIN_DAYS,
    convert_within,
    kaplan_meier,
    median_days,
    time_table,
    window_hint,
    window_hint_text,
    within_column,
)
from conversion.errors import InputError

EXACT = 1e-9

# ORACLES.md, "Time to convert (Kaplan–Meier)".
ORACLE_DAYS = [2, 3, 3, 5, 8, 10, 12, 15, 20, 25, 30, 30]
ORACLE_CONVERTED = [1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0]
ORACLE_WITHIN = {7: 0.2592592593, 14: 0.4708994709, 30: 0.6472663139}


def aggregate(days: list[int], converted: list[int], segment: str | None = None) -> pl.DataFrame:
    """The engine's small table from one row per contact: (days, converted) → contacts."""
    counts = Counter(zip(days, converted, strict=True))
    table = pl.DataFrame(
        {
            "days": [d for d, _ in counts],
            "converted": [bool(e) for _, e in counts],
            "contacts": list(counts.values()),
        },
        schema={"days": pl.Int64, "converted": pl.Boolean, "contacts": pl.Int64},
    )
    if segment is not None:
        table = table.with_columns(pl.lit(segment).alias("segment"))
    return table


def reference_km(days: list[int], converted: list[int]) -> dict[int, float]:
    """Plain-Python Kaplan–Meier survival after each distinct day, one contact at a time."""
    survival, curve = 1.0, {}
    for day in sorted(set(days)):
        at_risk = sum(1 for d in days if d >= day)
        events = sum(1 for d, e in zip(days, converted, strict=True) if d == day and e)
        survival *= 1 - events / at_risk
        curve[day] = survival
    return curve


# ---------------------------------------------------------------------------------------------
# Oracle


def test_oracle_converted_by_day() -> None:
    km = kaplan_meier(aggregate(ORACLE_DAYS, ORACLE_CONVERTED))
    within = convert_within(km, days=list(ORACLE_WITHIN))
    for row in within.iter_rows(named=True):
        assert row["converted_share"] == pytest.approx(ORACLE_WITHIN[row["within_days"]], abs=EXACT)


def test_oracle_with_segments_matches_pooled_curve_per_segment() -> None:
    table = pl.concat(
        [
            aggregate(ORACLE_DAYS, ORACLE_CONVERTED, "A"),
            aggregate([d * 2 for d in ORACLE_DAYS], ORACLE_CONVERTED, "B"),
        ]
    )
    within = convert_within(kaplan_meier(table, ["segment"]), days=[7, 14, 30, 60])
    shares = {(r["segment"], r["within_days"]): r["converted_share"] for r in within.to_dicts()}
    assert shares[("A", 7)] == pytest.approx(ORACLE_WITHIN[7], abs=EXACT)
    assert shares[("A", 14)] == pytest.approx(ORACLE_WITHIN[14], abs=EXACT)
    assert shares[("A", 30)] == pytest.approx(ORACLE_WITHIN[30], abs=EXACT)
    # Segment B is A on a doubled time scale, so B by day 2d equals A by day d.
    assert shares[("B", 14)] == pytest.approx(ORACLE_WITHIN[7], abs=EXACT)
    assert shares[("B", 60)] == pytest.approx(ORACLE_WITHIN[30], abs=EXACT)
    assert shares[("A", 60)] is None  # A was followed for 30 days only


# ---------------------------------------------------------------------------------------------
# A hand count with censoring


def test_hand_count_with_censoring() -> None:
    # Ten contacts:
    #   day 1: 2 convert                       at risk 10 → S = 8/10            = 0.8
    #   day 3: 1 converts, 1 censored (tie)    at risk  8 → S = 0.8 · 7/8       = 0.7
    #   day 4: 3 censored                      at risk  6 → S stays 0.7
    #   day 6: 1 converts                      at risk  3 → S = 0.7 · 2/3       = 0.4666…
    #   day 9: 2 censored                      at risk  2 → S stays 0.4666…
    table = pl.DataFrame(
        {
            "days": [1, 3, 3, 4, 6, 9],
            "converted": [True, True, False, False, True, False],
            "contacts": [2, 1, 1, 3, 1, 2],
        }
    )
    km = kaplan_meier(table)
    assert km.columns == list(KM_COLUMNS)
    assert km["days"].to_list() == [1, 3, 4, 6, 9]
    assert km["at_risk"].to_list() == [10, 8, 6, 3, 2]
    assert km["events"].to_list() == [2, 1, 0, 1, 0]
    assert km["censored"].to_list() == [0, 1, 3, 0, 2]
    expected = [0.8, 0.7, 0.7, 0.7 * 2 / 3, 0.7 * 2 / 3]
    assert km["survival"].to_list() == pytest.approx(expected, abs=1e-12)
    assert km["converted_share"].to_list() == pytest.approx([1 - s for s in expected], abs=1e-12)

    # Greenwood on the log(−log) scale, by hand at day 3: Σ d/(n(n−d)) = 2/(10·8) + 1/(8·7).
    greenwood = 2 / (10 * 8) + 1 / (8 * 7)
    spread = Z95 * math.sqrt(greenwood) / abs(math.log(0.7))
    low_share = 1 - 0.7 ** math.exp(-spread)
    high_share = 1 - 0.7 ** math.exp(spread)
    row = km.row(1, named=True)
    assert row["ci_low"] == pytest.approx(low_share, abs=1e-12)
    assert row["ci_high"] == pytest.approx(high_share, abs=1e-12)
    assert row["ci_low"] < row["converted_share"] < row["ci_high"]

    within = convert_within(km, days=[0, 2, 3, 5, 9, 10])
    assert within["converted_share"].to_list() == pytest.approx(
        [0.0, 0.2, 0.3, 0.3, 1 - 0.7 * 2 / 3, None], abs=1e-12
    )
    # Contacts still followed on each day: ≥ 0, ≥ 2, ≥ 3, ≥ 5, ≥ 9 days; none beyond day 9.
    assert within["at_risk"].to_list() == [10, 8, 8, 3, 2, 0]
    assert within["thin"].to_list() == [True] * 6


def test_ties_events_come_before_censorings() -> None:
    # Four contacts on day 5: one converts, three are censored; all four are at risk for it.
    table = pl.DataFrame({"days": [5, 5], "converted": [True, False], "contacts": [1, 3]})
    km = kaplan_meier(table)
    assert km.select("at_risk", "events", "censored").row(0) == (4, 1, 3)
    assert km["converted_share"][0] == pytest.approx(0.25)


def test_repeated_rows_are_summed_and_empty_rows_ignored() -> None:
    split = pl.DataFrame(
        {"days": [2, 2, 7, 8], "converted": [True, True, False, True], "contacts": [1, 2, 4, 0]}
    )
    km = kaplan_meier(split)
    assert km.select("days", "at_risk", "events").rows() == [(2, 7, 3), (7, 4, 0)]


def test_interval_is_null_where_undefined() -> None:
    table = pl.DataFrame({"days": [1, 2], "converted": [False, True], "contacts": [5, 5]})
    km = kaplan_meier(table)
    # Day 1: nobody converted yet (survival 1); day 2: everyone left converts (survival 0).
    assert km["ci_low"].to_list() == [None, None]
    assert km["converted_share"].to_list() == [0.0, 1.0]


# ---------------------------------------------------------------------------------------------
# Property tests against the plain-Python reference

contact_rows = st.lists(
    st.tuples(st.integers(0, 40), st.booleans()),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(contact_rows)
def test_matches_reference_and_is_a_proper_curve(rows: list[tuple[int, bool]]) -> None:
    days = [d for d, _ in rows]
    converted = [int(e) for _, e in rows]
    km = kaplan_meier(aggregate(days, converted))
    survival = km["survival"].to_list()
    assert all(0.0 <= s <= 1.0 for s in survival)
    assert all(later <= earlier + 1e-15 for earlier, later in pairwise(survival))
    reference = reference_km(days, converted)
    assert km["days"].to_list() == sorted(reference)
    assert survival == pytest.approx([reference[d] for d in sorted(reference)], abs=1e-12)
    for row in km.iter_rows(named=True):
        if row["ci_low"] is not None:
            assert 0.0 <= row["ci_low"] <= row["converted_share"] <= row["ci_high"] <= 1.0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=60))
def test_without_censoring_the_curve_is_the_empirical_cdf(days: list[int]) -> None:
    km = kaplan_meier(aggregate(days, [1] * len(days)))
    n = len(days)
    for row in km.iter_rows(named=True):
        ecdf = sum(1 for d in days if d <= row["days"]) / n
        assert row["survival"] == pytest.approx(1 - ecdf, abs=1e-12)
        assert row["converted_share"] == pytest.approx(ecdf, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(contact_rows)
def test_median_among_converters_is_the_plain_median(rows: list[tuple[int, bool]]) -> None:
    days = [d for d, _ in rows]
    converted = [int(e) for _, e in rows]
    summary = median_days(kaplan_meier(aggregate(days, converted)))
    converter_days = [d for d, e in rows if e]
    expected = statistics.median(converter_days) if converter_days else None
    assert summary["median_days_converters"][0] == expected
    assert summary["converters"][0] == len(converter_days)
    assert summary["contacts"][0] == len(days)


# ---------------------------------------------------------------------------------------------
# Medians and the window hint


def test_median_days_on_the_oracle() -> None:
    summary = median_days(kaplan_meier(aggregate(ORACLE_DAYS, ORACLE_CONVERTED)))
    # Survival first drops to 0.5 or below on day 25 (0.5291 → 0.3527).
    # Converters' days: 2, 3, 5, 10, 12, 25 → (5 + 10) / 2.
    assert summary.row(0, named=True) == {
        "contacts": 12,
        "converters": 6,
        "median_days": 25,
        "median_days_converters": 7.5,
        "thin": True,
    }


def test_median_days_is_null_when_fewer_than_half_convert() -> None:
    table = pl.DataFrame(
        {"days": [3, 10, 60], "converted": [True, True, False], "contacts": [20, 10, 70]}
    )
    summary = median_days(kaplan_meier(table))
    assert summary["median_days"][0] is None
    assert summary["median_days_converters"][0] == 3.0  # 30 converters: 20 on day 3


def test_median_days_reached_exactly_at_one_half() -> None:
    table = pl.DataFrame({"days": [4, 9], "converted": [True, False], "contacts": [5, 5]})
    assert median_days(kaplan_meier(table))["median_days"][0] == 4


def test_window_hint_counts_observed_conversions() -> None:
    # Conversions: 5 on day 1, 3 on day 4, 1 on day 12, 1 on day 40 → 50 %, 80 %, 90 %, 100 %.
    table = pl.DataFrame(
        {
            "segment": ["A", "B", "A", "B", "A"],
            "days": [1, 4, 12, 40, 90],
            "converted": [True, True, True, True, False],
            "contacts": [5, 3, 1, 1, 500],
        }
    )
    assert window_hint(table, share=0.5) == 1
    assert window_hint(table, share=0.8) == 4
    assert window_hint(table) == 12
    assert window_hint(table, share=1.0) == 40
    text = window_hint_text(table)
    assert text is not None
    assert text.startswith("90% of the 10 conversions seen so far happened within 12 days")
    assert "rough guide" in text


def test_window_hint_without_conversions() -> None:
    table = pl.DataFrame({"days": [3], "converted": [False], "contacts": [10]})
    assert window_hint(table) is None
    assert window_hint_text(table) is None


def test_window_hint_text_with_enough_conversions() -> None:
    table = pl.DataFrame({"days": [0, 1], "converted": [True, True], "contacts": [80, 20]})
    text = window_hint_text(table, share=0.8)
    assert text is not None
    assert "within 0 days" in text
    assert "conversion window of about 0 days" in text


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_window_hint_rejects_impossible_shares(share: float) -> None:
    table = pl.DataFrame({"days": [3], "converted": [True], "contacts": [10]})
    with pytest.raises(InputError, match="share"):
        window_hint(table, share=share)


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pl.DataFrame({"days": [1], "contacts": [1]}), "converted"),
        (pl.DataFrame({"days": [1.5], "converted": [True], "contacts": [1]}), "whole numbers"),
        (pl.DataFrame({"days": [1], "converted": ["yes"], "contacts": [1]}), "true/false"),
        (pl.DataFrame({"days": [-1], "converted": [True], "contacts": [1]}), "negative"),
        (
            pl.DataFrame(
                {"days": [1], "converted": [None], "contacts": [1]},
                schema={"days": pl.Int64, "converted": pl.Boolean, "contacts": pl.Int64},
            ),
            "empty cells",
        ),
    ],
)
def test_bad_input_is_an_input_error(table: pl.DataFrame, message: str) -> None:
    with pytest.raises(InputError, match=message):
        kaplan_meier(table)


def test_unknown_segment_column() -> None:
    with pytest.raises(InputError, match="region"):
        kaplan_meier(aggregate([1], [1]), ["region"])


def test_convert_within_needs_a_curve() -> None:
    with pytest.raises(InputError, match="Kaplan–Meier"):
        convert_within(aggregate([1], [1]))
    with pytest.raises(InputError, match="0 or more"):
        convert_within(kaplan_meier(aggregate([1], [1])), days=[-3])


# ---------------------------------------------------------------------------------------------
# The time table: shares within 7 / 14 / 30 / 90 days beside the median


def test_time_table_overall_on_the_oracle() -> None:
    table = time_table(kaplan_meier(aggregate(ORACLE_DAYS, ORACLE_CONVERTED)), None)
    assert WITHIN_DAYS == (7, 14, 30, 90)
    assert table.columns == [
        "within_7_days",
        "within_14_days",
        "within_30_days",
        "within_90_days",
        "median_days_converters",
        "thin",
    ]
    assert table.height == 1
    row = table.row(0, named=True)
    for days, share in ORACLE_WITHIN.items():
        assert row[within_column(days)] == pytest.approx(share, abs=EXACT)
    assert row["within_90_days"] is None  # followed for 30 days only
    # Converters' days: 2, 3, 5, 10, 12, 25 → (5 + 10) / 2; six converters are fewer than 30.
    assert row["median_days_converters"] == 7.5
    assert row["thin"] is True


def test_time_table_per_segment_by_hand() -> None:
    table = pl.concat(
        [
            aggregate(ORACLE_DAYS, ORACLE_CONVERTED, "A"),
            # B: three contacts; conversions on days 1 and 2, one censored on day 3.
            aggregate([1, 2, 3], [1, 1, 0], "B"),
        ]
    )
    km = kaplan_meier(table, ["segment"])
    shown = time_table(km, "segment", days=[2, 7])
    assert shown.columns == [
        "segment",
        "within_2_days",
        "within_7_days",
        "median_days_converters",
        "thin",
    ]
    rows = {row["segment"]: row for row in shown.iter_rows(named=True)}
    # A by day 2: one conversion among 12 at risk. B: S = 2/3 after day 1, 1/3 after day 2.
    assert rows["A"]["within_2_days"] == pytest.approx(1 / 12, abs=EXACT)
    assert rows["A"]["within_7_days"] == pytest.approx(ORACLE_WITHIN[7], abs=EXACT)
    assert rows["B"]["within_2_days"] == pytest.approx(2 / 3, abs=EXACT)
    assert rows["B"]["within_7_days"] is None  # B was followed for 3 days only
    assert rows["A"]["median_days_converters"] == 7.5
    assert rows["B"]["median_days_converters"] == 1.5
    assert rows["A"]["thin"] is rows["B"]["thin"] is True
