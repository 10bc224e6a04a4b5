"""What changed between any two date ranges, and the calculator in the share link (issue 21).

Driven headless with AppTest: the Custom dates choice on Trends against hand counts of a file
built here (rows on the edges of each range, one id with rows in both), a link reopening it on
the CRM sample against a plain-Python tally of the sample file, and Compare's sample-size
calculator carried in the link, checked against statsmodels' NormalIndPower pasted as literals.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app import crm_export, metric, run_app, shown, upload

from ui.decisions import DATES

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
# statsmodels 0.15: confint_proportions_2indep(10, 100, 30, 100, method="newcomb"), in points.
NEWCOMBE_EMAIL_PP = (-30.578929058543936, -9.000209070489976)
# NormalIndPower().solve_power(proportion_effectsize(0.5, 0.4), alpha=0.01, power=0.9).
CALC_50_40_ALPHA_01_POWER_90 = 733.9688082596715

# (source, day) -> (contacts, customers), one row per contact.
DAYS = {
    ("Email", date(2025, 4, 30)): (7, 7),  # the day before the previous range
    ("Email", date(2025, 5, 1)): (50, 20),  # its first day
    ("Email", date(2025, 5, 31)): (50, 10),  # its last day
    ("Ads", date(2025, 5, 31)): (40, 4),
    ("Email", date(2025, 6, 2)): (5, 5),  # the day before the current range
    ("Email", date(2025, 6, 3)): (60, 5),  # its first day
    ("Email", date(2025, 6, 20)): (40, 5),  # its last day
    ("Ads", date(2025, 6, 20)): (30, 3),
    ("Email", date(2025, 6, 21)): (8, 8),  # the day after
}


def dated_leads() -> bytes:
    """The rows of ``DAYS``, and contact 9999 with an Ads row on 10 May (not converted) and an
    Email row on 5 June (converted): its earliest row makes it an Ads contact of May, a
    customer because one of its rows converted."""
    lines = ["Record ID,Create Date,Lead Source,Converted"]
    number = 0
    for (source, day), (contacts, customers) in DAYS.items():
        for i in range(contacts):
            number += 1
            lines.append(f"{number},{day.isoformat()},{source},{'Y' if i < customers else 'N'}")
    lines += ["9999,2025-05-10,Ads,N", "9999,2025-06-05,Email,Y"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def errors(at: AppTest) -> list[str]:
    """Errors shown, but the Time to convert tab's (these files have no conversion date)."""
    return [e.value for e in at.error if "Time to convert needs" not in e.value]


def change_rows(at: AppTest, segment: str) -> dict[str, tuple[int, int, int, int]]:
    table = next(df.value for df in at.dataframe if "change_pp" in df.value.columns)
    columns = ["previous_contacts", "previous_customers", "current_contacts", "current_customers"]
    return {row[segment]: tuple(int(row[c]) for c in columns) for _, row in table.iterrows()}


def test_custom_dates_compare_two_ranges_counted_by_hand() -> None:
    at = upload(run_app(), "leads.csv", dated_leads())
    at.session_state["change_mode"] = DATES
    at.switch_page("pages/trends.py").run()
    at.selectbox(key="trend_by").set_value("Lead Source").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not errors(at), errors(at)
    # By default the last two full months the data cover: May, and June to the 30th.
    assert at.date_input(key="change_previous_days").value == (date(2025, 5, 1), date(2025, 5, 31))
    assert at.date_input(key="change_current_days").value == (date(2025, 6, 1), date(2025, 6, 30))
    # May: Email 50 + 50 (30 customers); Ads 40 (4) and contact 9999 (a customer).
    # June: Email 5 + 60 + 40 + 8 (23 customers); 9999's June row is not a second contact.
    assert change_rows(at, "Lead Source") == {
        "Email": (100, 30, 113, 23),
        "Ads": (41, 5, 30, 3),
    }
    at.date_input(key="change_current_days").set_value((date(2025, 6, 3), date(2025, 6, 20)))
    at.run()
    assert not at.exception and not errors(at)
    rows = change_rows(at, "Lead Source")
    assert rows == {"Email": (100, 30, 100, 10), "Ads": (41, 5, 30, 3)}
    table = next(df.value for df in at.dataframe if "change_pp" in df.value.columns)
    email = table.set_index("Lead Source").loc["Email"]
    assert email["change_pp"] == pytest.approx(-20.0)
    assert (email["change_ci_low_pp"], email["change_ci_high_pp"]) == pytest.approx(
        NEWCOMBE_EMAIL_PP, abs=1e-7
    )
    # Overall 35/141 in May, 13/130 from 3 to 20 June.
    assert metric(at, "Overall rate, 2025-05-01–2025-05-31 → 2025-06-03–2025-06-20") == "10.0%"
    assert at.query_params["from_days"] == "2025-05-01..2025-05-31"
    assert at.query_params["to_days"] == "2025-06-03..2025-06-20"


def test_ranges_that_overlap_are_not_compared() -> None:
    at = upload(run_app(), "leads.csv", dated_leads())
    at.session_state["change_mode"] = DATES
    at.session_state["change_previous_days"] = (date(2025, 5, 1), date(2025, 6, 3))
    at.session_state["change_current_days"] = (date(2025, 6, 3), date(2025, 6, 20))
    at.switch_page("pages/trends.py").run()
    at.selectbox(key="trend_by").set_value("Lead Source").run()
    assert not at.exception and not errors(at)
    assert any("must end before the current ones start" in i.value for i in at.info)
    assert not any("change_pp" in df.value.columns for df in at.dataframe)


def crm_sample_tally(first: date, last: date) -> Counter:
    """Contacts per source in the CRM sample created from ``first`` to ``last`` (plain csv)."""
    path = ROOT / "sample_data" / "crm_contacts_export.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len({row["Record ID"] for row in rows}) == len(rows)  # one row per contact
    tally: Counter = Counter()
    for row in rows:
        if first <= date.fromisoformat(row["Create Date"][:10]) <= last:
            tally[(row["Original Source"], "contacts")] += 1
            tally[(row["Original Source"], "customers")] += row["Converted"] == "Y"
    return tally


def test_a_link_reopens_what_changed_on_the_dates_it_names() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update({"sample": "crm", "from_days": "2025-01-01..2025-03-31",
                            "to_days": "2025-04-01..2025-06-30"})  # fmt: skip
    at.run()
    assert not at.exception
    at.switch_page("pages/trends.py").run()
    at.selectbox(key="trend_by").set_value("Original Source").run()
    assert not at.exception and not errors(at), errors(at)
    assert at.session_state["change_mode"] == DATES
    before = crm_sample_tally(date(2025, 1, 1), date(2025, 3, 31))
    after = crm_sample_tally(date(2025, 4, 1), date(2025, 6, 30))
    rows = change_rows(at, "Original Source")
    assert rows == {
        source: (
            before[(source, "contacts")],
            before[(source, "customers")],
            after[(source, "contacts")],
            after[(source, "customers")],
        )
        for source in {s for s, _ in before} | {s for s, _ in after}
    }
    assert at.query_params["to_days"] == "2025-04-01..2025-06-30"
    bad = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    bad.query_params.update({"sample": "crm", "to_days": "2025-06-30..2025-04-01"})
    bad.run()
    assert any("to_days='2025-06-30..2025-04-01'" in shown(w.value) for w in bad.warning)


def test_the_calculator_inputs_travel_in_the_share_link() -> None:
    at = upload(run_app(), "crm.csv", crm_export())
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    # Untouched, the calculator holds the pair's own rates and is left out of the link.
    assert not any(key.startswith("calc_") for key in at.query_params)
    at.number_input(key="calc_a").set_value(50.0).run()
    at.number_input(key="calc_b").set_value(40.0).run()
    at.number_input(key="calc_alpha").set_value(0.01).run()
    at.number_input(key="calc_power").set_value(90.0).run()
    assert metric(at, "Contacts per segment") == f"{-(-CALC_50_40_ALPHA_01_POWER_90 // 1):,.0f}"
    assert (at.query_params["calc_a"], at.query_params["calc_b"]) == ("50", "40")
    assert (at.query_params["calc_alpha"], at.query_params["calc_power"]) == ("0.01", "90")
    # The link keeps them while the analyst is on another page.
    at.switch_page("pages/segments.py").run()
    assert at.query_params["calc_a"] == "50"

    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    fresh.query_params.update({"sample": "web", "calc_a": "50", "calc_b": "40",
                               "calc_alpha": "0.01", "calc_power": "90"})  # fmt: skip
    fresh.run()
    fresh.switch_page("pages/compare.py").run()
    assert not fresh.exception and not fresh.error, [e.value for e in fresh.error]
    assert fresh.number_input(key="calc_a").value == 50.0
    assert fresh.number_input(key="calc_power").value == 90.0
    assert metric(fresh, "Contacts per segment") == "734"
    odd = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    odd.query_params.update({"sample": "web", "calc_power": "120"})
    odd.run()
    assert any("calc_power='120'" in shown(w.value) for w in odd.warning)
