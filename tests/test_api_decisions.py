"""The notebook API's decision aids (``SegmentRates.change`` and ``.decision_aids``), by hand.

The files are test_change_cli's hand-counted months; expected values are those counts,
statsmodels' Newcombe interval pasted as a literal, scipy's beta and a plain Wilson search.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from scipy.stats import beta
from test_change_cli import JUNE, MAY, NEWCOMBE_EMAIL_PP, write_contacts
from test_sample_size import smallest_n

import conversion
from conversion.errors import InputError

APRIL = date(2025, 4, 1)
COUNTS = {
    ("Email", APRIL): (100, 20), ("Ads", APRIL): (50, 5),
    ("Email", MAY): (100, 30), ("Ads", MAY): (50, 5),
    ("Email", JUNE): (100, 15), ("Ads", JUNE): (60, 6),
}  # fmt: skip


def rates(tmp_path: Path) -> conversion.SegmentRates:
    path = write_contacts(tmp_path / "leads.csv", COUNTS)
    return conversion.by_segment(
        path, "source", id="id", contact_date="created", converted="converted"
    )


def test_change_gives_the_latest_two_months_or_the_runs_asked_for(tmp_path: Path) -> None:
    result = rates(tmp_path)
    table = result.change()
    email = table.filter(pl.col("source") == "Email").row(0, named=True)
    assert (email["previous_customers"], email["current_customers"]) == (30, 15)
    assert (email["change_low"] * 100, email["change_high"] * 100) == pytest.approx(
        NEWCOMBE_EMAIL_PP, abs=1e-7
    )
    runs = result.change(current="2025-05..2025-06", previous="2025-04")
    email = runs.filter(pl.col("source") == "Email").row(0, named=True)
    assert (email["previous_contacts"], email["current_contacts"]) == (100, 200)
    assert email["change"] == pytest.approx(45 / 200 - 20 / 100)
    with pytest.raises(InputError, match="Unknown period"):
        result.change("day")  # type: ignore[arg-type]


def test_decision_aids_add_the_chances_and_the_leads(tmp_path: Path) -> None:
    table, note = rates(tmp_path).decision_aids(margin=0.02)
    assert note.startswith("flat prior Beta(1, 1)")  # two segments: too few for a fitted prior
    email = table.filter(pl.col("source") == "Email").row(0, named=True)
    # Email: 65 customers of 300 contacts over the three months.
    assert email["p_strong"] == pytest.approx(beta.sf(0.2, 66, 236), rel=1e-9)
    assert email["margin_contacts"] == smallest_n(65 / 300, 0.02)
    assert email["margin_more"] == smallest_n(65 / 300, 0.02) - 300
    # 1 April to 30 June (the as-of date) is 91 days: 13 weeks, so 300 / 13 contacts a week.
    assert email["margin_weeks"] == pytest.approx(email["margin_more"] / (300 / 13))
