"""The decision aids in the notebook (issue 21, item 5), driven headless with AppTest.

What changed is pinned from Trends on test_app_decisions' hand-counted months (Email 30/100 in
May and 15/100 in June, Ads 5/50 and 6/60); the Segments and Compare aids on test_app's CRM
export (Webinar 12/40, Ads 3/60, Referral 10/25). Expected values: those counts, statsmodels'
Newcombe interval and power values and scipy's beta distribution, pasted in the test files
whose names are imported (nothing is recomputed with the code under test).
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from scipy.stats import beta
from streamlit.testing.v1 import AppTest
from test_app import metric, shown
from test_app_decisions import (
    ADS_VS_WEBINAR,
    DETECT,
    NEWCOMBE_EMAIL_PP,
    change_table,
    open_what_changed,
)
from test_app_notebook import GROUPS, export_csv, opened, shared_link, started_with_the_export
from test_posterior import miller_b_beats_a
from test_sample_size import smallest_n

from conversion.notebook import from_json, link, to_json


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def check_may_against_june(at: AppTest) -> None:
    """The What changed figures of May against June, from the hand counts."""
    # Overall 35/150 in May, 21/160 in June.
    assert metric(at, "Overall rate, May 2025 → Jun 2025") == "13.1%"
    assert metric(at, "Contacts, Jun 2025") == "160"
    table = change_table(at).set_index("Lead Source")
    assert list(table.index) == ["Email", "Ads"]  # Email drove the overall change
    email = table.loc["Email"]
    assert (email["previous_contacts"], email["previous_customers"]) == (100, 30)
    assert (email["current_contacts"], email["current_customers"]) == (100, 15)
    assert email["change_pp"] == pytest.approx(-15.0)
    assert (email["change_ci_low_pp"], email["change_ci_high_pp"]) == pytest.approx(
        NEWCOMBE_EMAIL_PP, abs=1e-7
    )
    assert table.loc["Ads", "change_pp"] == pytest.approx(0.0, abs=1e-9)
    charts = [c.spec for c in at.get("vega_lite_chart")]
    assert any('"change_low"' in spec and '"errorbar"' in spec for spec in charts)


def test_what_changed_pins_its_periods_and_the_notebook_shows_the_hand_counts() -> None:
    at = open_what_changed()
    at.button(key="pin_change").click().run()
    assert not at.exception, [e.value for e in at.exception]
    cell = at.session_state["notebook"].cells[0]
    assert (cell.kind, cell.title) == ("change", "What changed by Lead Source")
    assert dict(cell.options) == {"period": "month", "previous": "2025-05", "current": "2025-06"}
    assert cell.definition.segments == ("Lead Source",)
    at.switch_page("pages/notebook.py").run()
    no_errors(at)
    at.text_area(key=f"nb_note_{cell.id}").set_value("{rate} of {contacts}; {worst}.").run()
    check_may_against_june(at)
    assert "13.1% of 160; Email (-15.0 pp)." in [md.value for md in at.markdown]
    # An upload's link carries the two months' counts per segment, and nothing else.
    packed = shared_link(at)
    _, counts = link.decode(packed)
    assert counts is not None
    tables = counts[cell.id].tables
    assert set(tables) == {"previous", "current", "periods"}
    assert tables["previous"].sort("Lead Source").rows() == [("Ads", 50, 5), ("Email", 100, 30)]
    colleague = opened(packed)
    check_may_against_june(colleague)


def test_custom_dates_pin_as_date_ranges() -> None:
    at = open_what_changed()
    at.segmented_control(key="change_mode").set_value("Custom dates").run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="pin_change").click().run()
    cell = at.session_state["notebook"].cells[0]
    # By default the last two full months: May and June.
    assert dict(cell.options) == {
        "period": "month", "previous": "2025-05-01..2025-05-31",
        "current": "2025-06-01..2025-06-30",
    }  # fmt: skip
    at.switch_page("pages/notebook.py").run()
    no_errors(at)
    assert metric(at, "Overall rate, 2025-05-01–2025-05-31 → 2025-06-01–2025-06-30") == "13.1%"
    email = change_table(at).set_index("Lead Source").loc["Email"]
    assert (email["previous_customers"], email["current_customers"]) == (30, 15)


def pinned_segments_with_aids(*, detect: float = 0.0, margin: float = 5.0) -> AppTest:
    """test_app_notebook's dated export (Webinar 12/40, Ads 3/60, Referral 10/25), both aids on,
    the Segments view pinned and the Notebook page open."""
    at = started_with_the_export()
    at.session_state["decision_extra"] = ["sure", "leads"]
    at.session_state["margin_pp"] = margin
    at.session_state["detect_pp"] = detect
    at.switch_page("pages/segments.py").run()
    no_errors(at)
    at.session_state["segments_page_table"] = aids_table(at)
    at.button(key="pin_segments").click().run()
    at.switch_page("pages/notebook.py").run()
    no_errors(at)
    return at


def aids_table(at: AppTest):
    table = next(df.value for df in at.dataframe if "P(strong) %" in df.value.columns)
    return table.set_index("Lead Source")


# Contacts were created in January to March 2025 and the data have no as-of date, so the intake
# runs from 1 January to the end of March: 90 days.
WEEKS = 90 / 7


def leads_words(more: int, contacts: int) -> str:
    """The leads in words, with the weeks at the segment's intake counted by hand."""
    if more <= 0:
        return "enough contacts already"
    weeks = more / (contacts / WEEKS)
    wait = "under a week" if weeks < 1 else f"{weeks:.0f} week{'s' if round(weeks) != 1 else ''}"
    return f"about {more:,} more contacts (≈ {wait} at the current intake)"


def test_a_segments_cell_keeps_the_decision_aids_with_the_pages_numbers() -> None:
    at = pinned_segments_with_aids()
    cell = at.session_state["notebook"].cells[0]
    options = dict(cell.options)
    assert (options["aids"], options["margin"], options["detect"]) == ("sure+leads", 5.0, 0.0)
    table = aids_table(at)
    assert table.equals(at.session_state["segments_page_table"])  # as on the Segments page
    detect = {k: int(-(-v // 1)) for k, v in DETECT.items()}
    for source, (customers, contacts) in GROUPS.items():
        a, b = customers + 1, contacts - customers + 1  # the flat prior: three segments
        assert table.loc[source, "P(strong) %"] == pytest.approx(100 * beta.sf(0.2, a, b))
        assert table.loc[source, "P(poor) %"] == pytest.approx(100 * beta.cdf(0.1, a, b))
        margin = smallest_n(customers / contacts, 0.05) - contacts
        assert table.loc[source, "Leads for ± 5 pp"] == leads_words(margin, contacts)
        assert table.loc[source, "Leads to tell from the rest"] == leads_words(
            detect[source] - contacts, contacts
        )
    assert any("flat prior Beta(1, 1)" in shown(md.value) for md in at.markdown)
    # The notebook file keeps the aids; its JSON figures and exports carry the same numbers.
    book = at.session_state["notebook"]
    assert from_json(to_json(book)) == book
    run = book.run(pl.read_csv(export_csv(), infer_schema=False))
    rows = {r["segment"]: r for r in json.loads(run.to_json())["cells"][0]["rows"]}
    assert rows["Webinar"]["p_strong"] == pytest.approx(beta.sf(0.2, 13, 29))
    assert rows["Webinar"]["leads_for_margin"] == smallest_n(0.3, 0.05) - 40
    assert rows["Ads"]["leads_to_detect"] == 0
    markdown = run.to_markdown()
    assert "**Decision aids**" in markdown and "P(strong) %" in markdown
    assert "| Webinar |" in markdown and "Leads for ± 5 pp" in markdown
    assert "Leads for ± 5 pp" in run.to_html()


def test_a_segments_cell_keeps_its_interval_target_and_difference() -> None:
    at = pinned_segments_with_aids(detect=10.0, margin=2.5)
    webinar = aids_table(at).loc["Webinar"]
    assert webinar["Leads for ± 2.5 pp"] == leads_words(smallest_n(0.3, 0.025) - 40, 40)
    # Webinar at the rest's 13/85 plus 10 points, against 13/85; statsmodels: 245.597.
    assert webinar["Leads to tell from the rest"] == leads_words(246 - 40, 40)


def test_a_compare_cell_shows_the_chance_a_beats_b_and_the_losses() -> None:
    at = started_with_the_export()
    at.session_state["decision_extra"] = ["sure", "leads"]
    at.switch_page("pages/compare.py").run()
    no_errors(at)
    page_figures = [metric(at, "P(A beats B)"), metric(at, "Expected loss if you pick A")]
    at.button(key="pin_compare").click().run()
    assert dict(at.session_state["notebook"].cells[0].options)["aids"] == "sure+leads"
    at.switch_page("pages/notebook.py").run()
    no_errors(at)
    # A is the largest segment (Ads, 3/60 → Beta(4, 58)), B the next (Webinar, Beta(13, 29)).
    expected = 1 - miller_b_beats_a(4, 58, 13, 29)
    assert metric(at, "P(A beats B)") == f"{expected:.1%}" == page_figures[0]
    loss_a = float(metric(at, "Expected loss if you pick A").split()[0])
    loss_b = float(metric(at, "Expected loss if you pick B").split()[0])
    assert loss_a - loss_b == pytest.approx(100 * (13 / 42 - 4 / 62), abs=0.011)
    assert metric(at, "Expected loss if you pick A") == page_figures[1]
    per_group = int(-(-ADS_VS_WEBINAR // 1))
    assert any(f"{per_group} contacts each" in shown(md.value) for md in at.markdown)
