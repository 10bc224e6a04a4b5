"""Tests for the decision aids' presentation: columns, downloads, words, link and chart.

Expected values: hand counts, a plain Wilson search (test_sample_size), scipy's beta with the
flat prior, and the chart's Vega-Lite dictionary read field by field.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import polars as pl
import pytest
from scipy.stats import beta
from test_sample_size import smallest_n

from conversion.analysis import stats
from conversion.analysis.change import period_change
from conversion.definition import Bands
from conversion.presentation import charts, decisions, export
from conversion.sharing.decision_links import DecisionLink, decision_from_query, decision_query

TABLE = pl.DataFrame(
    {"source": ["Webinar", "Ads", "Referral"], "contacts": [40, 60, 25], "customers": [12, 3, 10]}
)


def test_the_segment_csv_carries_the_decision_columns_when_added() -> None:
    described = stats.describe(TABLE, Bands())
    added, note = decisions.with_decisions(
        described, Bands(), (decisions.SURE, decisions.LEADS), weeks=10.0
    )
    assert note is not None and note.startswith("flat prior Beta(1, 1)")
    rows = {
        r["source"]: r
        for r in csv.DictReader(io.StringIO(export.table_csv(added, ["source"]).decode()))
    }
    webinar = rows["Webinar"]
    assert float(webinar["p_strong"]) == pytest.approx(beta.sf(0.2, 13, 29), rel=1e-9)
    assert float(webinar["p_poor"]) == pytest.approx(beta.cdf(0.1, 13, 29), rel=1e-9)
    more = smallest_n(0.3, 0.05) - 40
    assert int(webinar["leads_for_margin"]) == more
    # 40 contacts over 10 weeks: 4 a week.
    assert float(webinar["weeks_for_margin"]) == pytest.approx(more / 4)
    assert rows["Ads"]["leads_to_detect"] == "0"
    plain = export.table_csv(described, ["source"]).decode()
    assert "p_strong" not in plain.splitlines()[0]  # not chosen: not exported


def test_leads_read_the_same_everywhere() -> None:
    assert decisions.leads_text(1234, 5.6) == (
        "about 1,234 more contacts (≈ 6 weeks at the current intake)"
    )
    assert (
        decisions.leads_text(10, 1.2) == "about 10 more contacts (≈ 1 week at the current intake)"
    )
    assert decisions.leads_text(0, 3.0) == "enough contacts already"
    assert decisions.leads_text(None, None) == "no difference to detect"


def test_intake_span_runs_from_the_first_month_to_the_as_of_date() -> None:
    cohorts = pl.DataFrame(
        {"cohort": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
         "contacts": [0, 5, 4], "immature": [0, 0, 2]}
    )  # fmt: skip
    # February 1 to March 14 is 42 days: 6 weeks (January has no contacts).
    assert decisions.span_weeks(cohorts, "month", date(2025, 3, 14)) == pytest.approx(6.0)
    assert decisions.span_weeks(cohorts.head(1), "month", None) is None


def test_compare_decision_for_two_segments() -> None:
    aids = decisions.compare_decision(TABLE, (3, 60), (12, 40), alpha=0.05 / 3)
    # statsmodels: solve_power(proportion_effectsize(0.05, 0.3), alpha=0.05/3, ratio=1) = 41.74.
    assert aids.per_group == 42
    assert (aids.more_a, aids.more_b) == (0, 2)
    assert aids.prior_note.startswith("flat prior")
    assert aids.loss_a - aids.loss_b == pytest.approx(13 / 42 - 4 / 62, abs=1e-8)


def test_the_link_round_trips_and_drops_what_it_cannot_read() -> None:
    link = DecisionLink(("sure", "leads"), 2.5, date(2025, 4, 1), date(2025, 6, 1), -3.0)
    query = decision_query(link)
    assert query == {"extra": ["sure", "leads"], "margin": "2.5", "detect": "-3",
                     "from": "2025-04-01", "to": "2025-06-01"}  # fmt: skip
    back, notices = decision_from_query(
        {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    )
    assert back == link and notices == []
    bad, notices = decision_from_query(
        {"margin": ["80"], "from": ["May"], "extra": ["all"], "detect": ["nan"]}
    )
    assert bad == DecisionLink(extra=())
    assert len(notices) == 4


def test_change_chart_has_one_row_per_segment_with_its_interval() -> None:
    before = pl.DataFrame({"source": ["Ads", "Email", "Events"], "contacts": [50, 100, 0],
                           "customers": [5, 30, 0]})  # fmt: skip
    after = pl.DataFrame({"source": ["Ads", "Email", "Events"], "contacts": [60, 100, 10],
                          "customers": [6, 15, 2]})  # fmt: skip
    table = period_change(before, after, ["source"])
    spec = charts.change_chart(table, "source").to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rule", "errorbar", "point", "text"]
    values = spec["data"]["values"]
    # Events has no previous period: no change to draw.
    assert [v["segment"] for v in values] == ["Email", "Ads"]
    email = values[0]
    assert email["change"] == pytest.approx(-15.0)
    assert (email["change_low"], email["change_high"]) == pytest.approx(
        (-26.148598204811313, -3.410770350141119), abs=1e-7
    )  # statsmodels' Newcombe interval, in points
    assert email["direction"] == "fall" and values[1]["direction"] == "no change"
    bars = spec["layer"][1]["encoding"]
    assert (bars["x"]["field"], bars["x2"]["field"]) == ("change_low", "change_high")
    assert spec["layer"][0]["encoding"]["x"] == {"datum": 0}
    assert spec["layer"][2]["encoding"]["y"]["sort"] == ["Email", "Ads"]
