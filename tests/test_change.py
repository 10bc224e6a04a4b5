"""Tests for period over period per segment (analysis/change.py) and the periods it compares.

Expected numbers: hand counts, statsmodels' Newcombe interval, z-test and Benjamini–Hochberg
values pasted as literals, and a plain-Python shift-share written here.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversion.analysis.change import between_spans, drops, overall_change, period_change
from conversion.counting.periods import (
    parse_period,
    period_end,
    pick_periods,
    pick_spans,
    previous_start,
)
from conversion.errors import InputError

# statsmodels 0.15: confint_proportions_2indep(15, 100, 30, 100, method="newcomb").
NEWCOMBE_EMAIL = (-0.26148598204811313, -0.03410770350141119)
# confint_proportions_2indep(6, 60, 5, 50, method="newcomb").
NEWCOMBE_ADS = (-0.12550885603929085, 0.11617294249679598)
# proportions_ztest([15, 30], [100, 100]) and ([6, 5], [60, 50]); multipletests(fdr_bh).
P_EMAIL, P_ADS = 0.011085166380602711, 1.0
BH_EMAIL, BH_ADS = 0.02217033, 1.0

MAY = pl.DataFrame({"source": ["Ads", "Email"], "contacts": [50, 100], "customers": [5, 30]})
JUNE = pl.DataFrame({"source": ["Ads", "Email"], "contacts": [60, 100], "customers": [6, 15]})


def shift_share(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> dict:
    """Plain midpoint shift-share: segment -> (mix effect, rate effect)."""
    n0 = sum(n for n, _ in before.values())
    n1 = sum(n for n, _ in after.values())
    out = {}
    for key in before:
        (c0, x0), (c1, x1) = before[key], after[key]
        s0, s1, r0, r1 = c0 / n0, c1 / n1, x0 / c0, x1 / c1
        out[key] = ((s1 - s0) * (r0 + r1) / 2, (r1 - r0) * (s0 + s1) / 2)
    return out


def test_each_segment_gets_both_rates_the_change_its_interval_and_adjusted_p() -> None:
    table = period_change(MAY, JUNE, ["source"])
    rows = {row["source"]: row for row in table.iter_rows(named=True)}
    email, ads = rows["Email"], rows["Ads"]
    assert (email["previous_contacts"], email["previous_customers"]) == (100, 30)
    assert (email["current_contacts"], email["current_customers"]) == (100, 15)
    assert email["previous_rate"] == pytest.approx(0.30)
    assert email["current_rate"] == pytest.approx(0.15)
    assert email["change"] == pytest.approx(-0.15)
    assert (email["change_low"], email["change_high"]) == pytest.approx(NEWCOMBE_EMAIL, abs=1e-9)
    assert (ads["change_low"], ads["change_high"]) == pytest.approx(NEWCOMBE_ADS, abs=1e-9)
    assert ads["change"] == pytest.approx(0.0, abs=1e-12)
    assert email["test"] == "z" and ads["test"] == "z"
    assert email["p_value"] == pytest.approx(P_EMAIL, rel=1e-9)
    assert ads["p_value"] == pytest.approx(P_ADS, rel=1e-9)
    assert email["p_adjusted"] == pytest.approx(BH_EMAIL, rel=1e-6)
    assert ads["p_adjusted"] == pytest.approx(BH_ADS, rel=1e-9)


def test_drivers_are_the_mix_rate_split_ranked_by_size() -> None:
    table = period_change(MAY, JUNE, ["source"])
    expected = shift_share(
        {"Ads": (50, 5), "Email": (100, 30)}, {"Ads": (60, 6), "Email": (100, 15)}
    )
    for row in table.iter_rows(named=True):
        mix, rate = expected[row["source"]]
        assert row["mix_effect"] == pytest.approx(mix, abs=1e-12)
        assert row["rate_effect"] == pytest.approx(rate, abs=1e-12)
        assert row["contribution"] == pytest.approx(mix + rate, abs=1e-12)
    # Email lost 15 points on about two thirds of the contacts: it drove the fall.
    assert table["source"].to_list() == ["Email", "Ads"]
    assert table["driver_rank"].to_list() == [1, 2]
    before, after = overall_change(table)
    assert (before, after) == pytest.approx((35 / 150, 21 / 160))
    assert table["contribution"].sum() == pytest.approx(21 / 160 - 35 / 150, abs=1e-12)


def test_a_segment_in_one_period_only_has_no_change_and_no_test() -> None:
    june = pl.concat(
        [JUNE, pl.DataFrame({"source": ["Events"], "contacts": [20], "customers": [4]})]
    )
    table = period_change(MAY, june, ["source"])
    events = table.filter(pl.col("source") == "Events").row(0, named=True)
    assert events["previous_contacts"] == 0 and events["current_contacts"] == 20
    assert events["previous_rate"] is None and events["change"] is None
    assert events["test"] is None and events["p_adjusted"] is None
    # Two tests remain in the family: BH as before.
    email = table.filter(pl.col("source") == "Email").row(0, named=True)
    assert email["p_adjusted"] == pytest.approx(BH_EMAIL, rel=1e-6)


def test_two_segment_columns_are_kept_apart() -> None:
    before = pl.DataFrame(
        {"source": ["A", "A"], "size": ["S", "L"], "contacts": [10, 10], "customers": [1, 2]}
    )
    after = pl.DataFrame(
        {"source": ["A", "A"], "size": ["S", "L"], "contacts": [10, 10], "customers": [3, 2]}
    )
    table = period_change(before, after, ["source", "size"])
    assert table.select("source", "size", "change").rows() == [
        ("A", "S", pytest.approx(0.2)),
        ("A", "L", pytest.approx(0.0)),
    ]


def test_drops_need_the_size_the_fall_and_significance() -> None:
    table = period_change(MAY, JUNE, ["source"])
    assert drops(table, min_contacts=100, drop=0.03, alpha=0.05)["source"].to_list() == ["Email"]
    assert drops(table, min_contacts=101).is_empty()  # below the minimum size: never alerts
    assert drops(table, drop=0.16).is_empty()  # fell 15 points, not 16
    assert drops(table, drop=0.15)["source"].to_list() == ["Email"]  # at least 15: yes
    assert drops(table, alpha=0.02).is_empty()  # adjusted p is 0.022


def test_bad_tables_are_refused_with_the_column_named() -> None:
    with pytest.raises(InputError, match="source"):
        period_change(MAY.drop("source"), JUNE, ["source"])
    with pytest.raises(InputError, match="no contacts"):
        period_change(MAY.with_columns(pl.lit(0).alias("contacts"), pl.lit(0).alias("customers")),
                      JUNE, ["source"])  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 200), st.integers(1, 200), st.floats(0, 1), st.floats(0, 1)),
        min_size=1,
        max_size=6,
    )
)
def test_changes_and_contributions_add_up_on_random_tables(
    rows: list[tuple[int, int, float, float]],
) -> None:
    names = [f"s{i}" for i in range(len(rows))]
    before = pl.DataFrame({"s": names, "contacts": [r[0] for r in rows],
                           "customers": [int(r[0] * r[2]) for r in rows]})  # fmt: skip
    after = pl.DataFrame({"s": names, "contacts": [r[1] for r in rows],
                          "customers": [int(r[1] * r[3]) for r in rows]})  # fmt: skip
    table = period_change(before, after, ["s"])
    for row in table.iter_rows(named=True):
        i = names.index(row["s"])
        x0, x1 = int(rows[i][0] * rows[i][2]), int(rows[i][1] * rows[i][3])
        assert row["change"] == pytest.approx(x1 / rows[i][1] - x0 / rows[i][0], abs=1e-12)
        assert row["change_low"] <= row["change"] + 1e-12 <= row["change_high"] + 2e-12
        assert row["change_low"] >= -1 - 1e-12 and row["change_high"] <= 1 + 1e-12
        assert 0 <= row["p_value"] <= row["p_adjusted"] + 1e-15 <= 1 + 1e-15
    n0, n1 = sum(r[0] for r in rows), sum(r[1] for r in rows)
    x0 = sum(int(r[0] * r[2]) for r in rows)
    x1 = sum(int(r[1] * r[3]) for r in rows)
    assert table["contribution"].sum() == pytest.approx(x1 / n1 - x0 / n0, abs=1e-9)
    assert sorted(table["driver_rank"].to_list()) == list(range(1, len(rows) + 1))


# The periods compared.


def cohorts(*rows: tuple[date, int, bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {"cohort": [r[0] for r in rows], "contacts": [r[1] for r in rows],
         "immature": [0] * len(rows), "mature": [r[2] for r in rows]}
    )  # fmt: skip


APRIL, MAY_1, JUNE_1, JULY = (date(2025, m, 1) for m in (4, 5, 6, 7))


def test_the_latest_mature_full_period_and_the_one_before_by_default() -> None:
    table = cohorts((APRIL, 10, True), (MAY_1, 12, True), (JUNE_1, 9, True), (JULY, 5, False))
    assert pick_periods(table, "month") == (MAY_1, JUNE_1)
    # June is not over by 20 June: it is not a full month.
    assert pick_periods(table, "month", as_of=date(2025, 6, 20)) == (APRIL, MAY_1)
    assert pick_periods(table, "month", as_of=date(2025, 6, 30)) == (MAY_1, JUNE_1)


def test_named_periods_must_be_mature_and_in_order() -> None:
    table = cohorts((APRIL, 10, True), (MAY_1, 12, True), (JUNE_1, 9, True), (JULY, 5, False))
    assert pick_periods(table, "month", "2025-06", "2025-04") == (APRIL, JUNE_1)
    assert pick_periods(table, "month", "2025-05") == (APRIL, MAY_1)
    with pytest.raises(InputError, match="not mature"):
        pick_periods(table, "month", "2025-07")
    with pytest.raises(InputError, match="must come before"):
        pick_periods(table, "month", "2025-05", "2025-06")
    with pytest.raises(InputError, match="no contacts"):
        pick_periods(table, "month", "2025-04")  # March is not in the data
    with pytest.raises(InputError, match="No month is mature"):
        pick_periods(cohorts((JULY, 5, False)), "month")


def test_period_names_and_calendar_steps() -> None:
    assert parse_period("2025-06", "month") == JUNE_1
    assert parse_period("2025-Q3", "quarter") == JULY
    assert parse_period("2025", "year") == date(2025, 1, 1)
    assert parse_period("2025-06-02", "week") == date(2025, 6, 2)  # a Monday
    for text, period in (("2025-6", "month"), ("2025-06-03", "week"), ("2025-13", "month")):
        with pytest.raises(InputError, match=period):
            parse_period(text, period)  # type: ignore[arg-type]
    assert previous_start(date(2025, 1, 1), "month") == date(2024, 12, 1)
    assert previous_start(date(2025, 1, 1), "quarter") == date(2024, 10, 1)
    assert previous_start(date(2025, 1, 6), "week") == date(2024, 12, 30)
    assert period_end(date(2024, 2, 1), "month") == date(2024, 2, 29)
    assert period_end(date(2024, 12, 30), "week") == date(2025, 1, 5)


def test_runs_of_periods_and_their_sums() -> None:
    table = cohorts(*[(date(2025, m, 1), 5, m < 7) for m in range(1, 8)])
    assert pick_spans(table, "month", "2025-05..2025-06") == (
        (date(2025, 3, 1), date(2025, 4, 1)),
        (date(2025, 5, 1), date(2025, 6, 1)),
    )
    assert pick_spans(table, "month", "2025-04..2025-06", "2025-01") == (
        (date(2025, 1, 1), date(2025, 1, 1)),
        (date(2025, 4, 1), date(2025, 6, 1)),
    )
    assert pick_spans(table, "month") == ((MAY_1, MAY_1), (JUNE_1, JUNE_1))
    with pytest.raises(InputError, match="not mature"):
        pick_spans(table, "month", "2025-06..2025-07")
    with pytest.raises(InputError, match="must end before"):
        pick_spans(table, "month", "2025-05..2025-06", "2025-04..2025-05")
    runs = pl.DataFrame(
        {"cohort": [APRIL, MAY_1, JUNE_1], "source": ["A"] * 3,
         "contacts": [10, 20, 30], "customers": [1, 4, 9]}
    )  # fmt: skip
    row = between_spans(runs, ["source"], (APRIL, APRIL), (MAY_1, JUNE_1)).row(0, named=True)
    assert (row["current_contacts"], row["current_customers"]) == (50, 13)
    assert row["change"] == pytest.approx(13 / 50 - 1 / 10)
