"""The decision aids in the app (issue 21), driven headless with AppTest against hand counts.

What changed (Trends) on a file built here with hand-counted months; how sure and how many more
leads (Segments, Compare) on test_app's CRM export (Webinar 12/40, Ads 3/60, Referral 10/25),
checked against scipy's beta distribution, a plain Wilson search, statsmodels' power values
pasted as literals, and Evan Miller's closed-form sum (test_posterior).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from scipy.stats import beta
from streamlit.testing.v1 import AppTest
from test_app import crm_export, metric, run_app, shown, upload
from test_posterior import miller_b_beats_a
from test_sample_size import smallest_n

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60

# statsmodels 0.15 NormalIndPower().solve_power(proportion_effectsize(p, rest), alpha=0.05 / 3,
# power=0.8, ratio=rest contacts / segment contacts).
DETECT = {"Webinar": 121.69995381449736, "Ads": 32.19464522727783, "Referral": 39.713325973935994}
# The same for Ads (5 %) against Webinar (30 %), equal groups.
ADS_VS_WEBINAR = 41.741060434754196
# statsmodels: confint_proportions_2indep(15, 100, 30, 100, method="newcomb"), in points.
NEWCOMBE_EMAIL_PP = (-26.148598204811313, -3.410770350141119)

MONTHS = {
    ("Email", date(2025, 4, 1)): (100, 20),
    ("Ads", date(2025, 4, 1)): (50, 5),
    ("Email", date(2025, 5, 1)): (100, 30),
    ("Ads", date(2025, 5, 1)): (50, 5),
    ("Email", date(2025, 6, 1)): (100, 15),
    ("Ads", date(2025, 6, 1)): (60, 6),
}


def monthly_leads() -> bytes:
    """One row per contact, spread over the first 30 days of each month (the data reach 30 June)."""
    lines = ["Record ID,Create Date,Lead Source,Converted"]
    number = 0
    for (source, month), (contacts, customers) in MONTHS.items():
        for i in range(contacts):
            number += 1
            day = (month + timedelta(days=i % 30)).isoformat()
            lines.append(f"{number},{day},{source},{'Y' if i < customers else 'N'}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def change_table(at: AppTest):
    return next(df.value for df in at.dataframe if "change_pp" in df.value.columns)


def open_what_changed() -> AppTest:
    at = upload(run_app(), "leads.csv", monthly_leads())
    at.switch_page("pages/trends.py").run()
    at.selectbox(key="trend_by").set_value("Lead Source").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_what_changed_compares_the_latest_two_full_months_by_hand() -> None:
    at = open_what_changed()
    table = change_table(at).set_index("Lead Source")
    assert list(table.index) == ["Email", "Ads"]  # Email drove the overall change
    email, ads = table.loc["Email"], table.loc["Ads"]
    assert (email["previous_contacts"], email["previous_customers"]) == (100, 30)
    assert (email["current_contacts"], email["current_customers"]) == (100, 15)
    assert email["change_pp"] == pytest.approx(-15.0)
    assert (email["change_ci_low_pp"], email["change_ci_high_pp"]) == pytest.approx(
        NEWCOMBE_EMAIL_PP, abs=1e-7
    )
    assert (ads["previous_contacts"], ads["current_contacts"]) == (50, 60)
    assert ads["change_pp"] == pytest.approx(0.0, abs=1e-9)
    # Overall 35/150 in May, 21/160 in June.
    assert metric(at, "Overall rate, May 2025 → Jun 2025") == "13.1%"
    charts = [c.spec for c in at.get("vega_lite_chart")]
    assert any('"change_low"' in spec and '"errorbar"' in spec for spec in charts)
    # The address bar carries the two periods.
    assert at.query_params["from"] == "2025-05-01"
    assert at.query_params["to"] == "2025-06-01"


def test_a_link_reopens_what_changed_on_the_periods_it_names() -> None:
    at = upload(run_app(), "leads.csv", monthly_leads())
    at.session_state["change_from"] = date(2025, 4, 1)
    at.switch_page("pages/trends.py").run()
    at.selectbox(key="trend_by").set_value("Lead Source").run()
    assert not at.exception
    email = change_table(at).set_index("Lead Source").loc["Email"]
    assert (email["previous_contacts"], email["previous_customers"]) == (100, 20)
    assert email["change_pp"] == pytest.approx(-5.0)
    assert at.query_params["from"] == "2025-04-01"


def segments_with_aids(extra: list[str]) -> AppTest:
    at = upload(run_app(), "crm.csv", crm_export())
    at.session_state["decision_extra"] = extra
    at.switch_page("pages/segments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_segments_show_the_chance_each_band_is_true() -> None:
    at = segments_with_aids(["sure"])
    table = next(df.value for df in at.dataframe if "P(strong) %" in df.value.columns)
    table = table.set_index("Lead Source")
    # Three segments are too few for a fitted prior: the flat prior Beta(1, 1).
    for source, (customers, contacts) in {"Webinar": (12, 40), "Ads": (3, 60),
                                          "Referral": (10, 25)}.items():  # fmt: skip
        a, b = customers + 1, contacts - customers + 1
        assert table.loc[source, "P(strong) %"] == pytest.approx(100 * beta.sf(0.2, a, b))
        assert table.loc[source, "P(poor) %"] == pytest.approx(100 * beta.cdf(0.1, a, b))
    assert any("flat prior Beta(1, 1)" in shown(c.value) for c in at.caption)


def test_segments_show_the_leads_needed_in_words() -> None:
    at = segments_with_aids(["leads"])
    table = next(df.value for df in at.dataframe if "Leads for ± 5 pp" in df.value.columns)
    table = table.set_index("Lead Source")
    # No contact date in this file: no intake, so no weeks.
    webinar_margin = smallest_n(0.3, 0.05) - 40
    assert table.loc["Webinar", "Leads for ± 5 pp"] == f"about {webinar_margin:,} more contacts"
    detect = {k: int(-(-v // 1)) for k, v in DETECT.items()}
    assert table.loc["Webinar", "Leads to tell from the rest"] == (
        f"about {detect['Webinar'] - 40} more contacts"
    )
    assert table.loc["Ads", "Leads to tell from the rest"] == "enough contacts already"
    assert table.loc["Referral", "Leads to tell from the rest"] == (
        f"about {detect['Referral'] - 25} more contacts"
    )


def test_a_difference_to_detect_replaces_the_observed_one() -> None:
    at = upload(run_app(), "crm.csv", crm_export())
    at.session_state["decision_extra"] = ["leads"]
    at.session_state["detect_pp"] = 10.0
    at.switch_page("pages/segments.py").run()
    assert not at.exception and not at.error
    table = next(df.value for df in at.dataframe if "Leads for ± 5 pp" in df.value.columns)
    # Webinar at the rest's 13/85 plus 10 points, against 13/85; statsmodels: 245.597.
    assert table.set_index("Lead Source").loc["Webinar", "Leads to tell from the rest"] == (
        f"about {246 - 40} more contacts"
    )
    assert any("a difference of +10.0 pp" in shown(c.value) for c in at.caption)
    assert at.query_params["detect"] == "10"


def test_compare_gives_the_chance_a_beats_b_the_losses_and_a_calculator() -> None:
    at = upload(run_app(), "crm.csv", crm_export())
    at.session_state["decision_extra"] = ["sure", "leads"]
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # A is the largest segment (Ads, 3/60 → Beta(4, 58)), B the next (Webinar, Beta(13, 29)).
    expected = 1 - miller_b_beats_a(4, 58, 13, 29)
    assert metric(at, "P(A beats B)") == f"{expected:.1%}"
    loss_a = float(metric(at, "Expected loss if you pick A").split()[0])
    loss_b = float(metric(at, "Expected loss if you pick B").split()[0])
    # E[max(B − A, 0)] − E[max(A − B, 0)] = E[B] − E[A], in points (shown to two decimals).
    assert loss_a - loss_b == pytest.approx(100 * (13 / 42 - 4 / 62), abs=0.011)
    per_group = int(-(-ADS_VS_WEBINAR // 1))
    assert any(f"{per_group} contacts each" in shown(m.value) for m in at.markdown)
    at.number_input(key="calc_a").set_value(50.0).run()
    at.number_input(key="calc_b").set_value(40.0).run()
    # statsmodels: solve_power(proportion_effectsize(0.5, 0.4), alpha=0.05, power=0.8) = 387.17.
    assert metric(at, "Contacts per segment") == "388"


def test_the_share_link_carries_the_decision_aids() -> None:
    at = segments_with_aids(["sure", "leads"])
    link = at.code[0].value
    assert "extra=sure" in link and "extra=leads" in link
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    fresh.query_params.update({"sample": "web", "seg": "visitor_type", "extra": ["sure", "x"],
                               "margin": "3"})  # fmt: skip
    fresh.run()
    assert not fresh.exception
    assert fresh.session_state["decision_extra"] == ["sure"]
    assert any("extra='x'" in shown(w.value) for w in fresh.warning)
    assert any("P(strong) %" in df.value.columns for df in fresh.dataframe)


def test_the_guide_explains_each_decision_aid_in_a_line() -> None:
    at = run_app()
    at.switch_page("pages/guide.py").run()
    assert not at.exception
    text = shown("\n".join(m.value for m in at.markdown))
    for heading in ("**What changed**", "**P(strong) / P(poor)**", "**P(A beats B)**",
                    "**Leads for ± X pp**", "**Leads to tell from the rest**"):  # fmt: skip
        assert heading in text
