"""How rates read beside band thresholds: never on the other side of a line from their band."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversion.definition import Bands
from conversion.presentation import formats, report
from conversion.presentation.charts._shared import wrapped_labels

DEFAULT = (0.10, 0.20)


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (0.1997, "19.97%"),  # one decimal would read 20.0 % beside "strong ≥ 20 %"
        (0.19999, "19.999%"),
        (0.2, "20.0%"),
        (0.20004, "20.0%"),  # strong, and 20.0 % reads strong
        (0.0996, "9.96%"),  # moderate starts at 10 %
        (0.1234, "12.3%"),
        (0.0, "0.0%"),
        (1.0, "100.0%"),
    ],
)
def test_rates_near_a_threshold_get_the_decimals_that_keep_their_side(rate, text):
    assert formats.band_percent(rate, DEFAULT) == text


def test_a_rate_closer_to_a_threshold_than_six_decimals_is_cut_toward_its_side():
    assert formats.band_percent(0.2 - 1e-12, DEFAULT) == "19.999999%"


def test_without_thresholds_and_for_missing_rates_it_is_the_plain_percent():
    assert formats.band_percent(0.1997) == "20.0%"
    assert formats.band_percent(None, DEFAULT) == formats.EN_DASH
    assert formats.band_percent(float("nan"), DEFAULT, missing="") == ""


@given(
    customers=st.integers(0, 5_000),
    extra=st.integers(0, 5_000),
    strong=st.integers(1, 100),
    moderate=st.integers(0, 100),
)
def test_the_text_reads_on_the_same_side_of_every_threshold_as_the_rate(
    customers, extra, strong, moderate
):
    contacts = customers + extra
    if contacts == 0:
        return
    bands = Bands.custom(max(strong, moderate) / 2, min(strong, moderate) / 2)
    rate = customers / contacts
    text = formats.band_percent(rate, (bands.moderate, bands.strong))
    shown = Fraction(text.removesuffix("%")) / 100
    exact = Fraction(customers, contacts)
    for limit in (Fraction(bands.moderate), Fraction(bands.strong)):
        assert (shown >= limit) == (exact >= limit) or abs(exact - limit) < Fraction(1, 10**8)
    # And a band label never contradicts the text: same label for the shown and the exact rate.
    assert bands.label(float(shown)) == bands.label(rate)


def test_the_command_line_table_shows_19_97_not_20_0(tmp_path):
    rows = ["source,customer"]
    rows += ["Ads,yes"] * 1997 + ["Ads,no"] * (10_000 - 1997)
    rows += ["Web,yes"] * 2 + ["Web,no"] * 8
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "conversion", "rates", str(path), "--segment", "source"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ads = next(line for line in out.splitlines() if line.startswith("Ads"))
    assert "19.97%" in ads
    assert "moderate" in ads
    assert "20.0%" not in ads


def test_long_and_combined_segment_names_wrap_onto_lines_with_every_word_kept():
    name = "Paid social (prospecting) · North America and Canada"
    expr, lines = wrapped_labels([name, "Ads"])
    assert expr is not None
    assert lines >= 2
    for word in name.replace(" · ", " ").split():
        assert word in expr
    assert wrapped_labels(["Ads", "Referral · Europe"]) == (None, 1)


@pytest.mark.parametrize(
    ("start", "period", "label"),
    [
        (date(2025, 1, 1), "month", "Jan 2025"),
        (date(2025, 12, 1), "month", "Dec 2025"),
        (date(2025, 2, 10), "week", "2025-W07"),  # a Monday: ISO week 7
        (date(2024, 12, 30), "week", "2025-W01"),  # ISO week 1 of 2025 starts in 2024
        (date(2021, 1, 4), "week", "2021-W01"),
        (date(2025, 1, 1), "quarter", "2025 Q1"),
        (date(2025, 10, 1), "quarter", "2025 Q4"),
        (date(2025, 1, 1), "year", "2025"),
    ],
)
def test_cohorts_read_as_people_name_them(start, period, label):
    assert formats.cohort(start, period) == label


def test_the_cohort_table_carries_labels_in_time_order():
    table = pl.DataFrame(
        {"cohort": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 10, 1)], "contacts": [1, 2, 3]}
    )
    labelled = report.cohort_labelled(table, "month")
    assert labelled["cohort"].to_list() == ["Jan 2025", "Feb 2025", "Oct 2025"]
    assert labelled["contacts"].to_list() == [1, 2, 3]
