"""The bundled lifecycle sample (sample_data/crm_lifecycle.csv) as a dataset of the app.

Picked on the Data page it comes with its roles; the Segments page counts a customer as a
contact that reached the customer stage within 120 days of creation, the Trends page draws its
cohorts, and the Funnel page counts it (not the fallback) with its five stages in order.
Expected numbers are plain ``csv`` recounts of the file.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta

from streamlit.testing.v1 import AppTest
from test_app import metric, results_table, run_app
from test_funnel_app import SAMPLE, STAGES, sample_reached, stage_table

from conversion.reading.samples import SAMPLES

WINDOW = 120


def sample_rates() -> tuple[Counter, Counter, int]:
    """Mature contacts and customers within the window per source (one per Record ID), and
    the immature contacts; the as-of date is the latest contact or customer date."""
    with SAMPLE.open(encoding="utf-8") as handle:
        contacts = {}
        for row in csv.DictReader(handle):
            contacts.setdefault(row["Record ID"], row)
    dates = [row["Create Date"] for row in contacts.values()]
    dates += [row["Became a Customer Date"] for row in contacts.values()]
    as_of = date.fromisoformat(max(d for d in dates if d))
    mature, customers, immature = Counter(), Counter(), 0
    for row in contacts.values():
        created = date.fromisoformat(row["Create Date"])
        if created > as_of - timedelta(days=WINDOW):
            immature += 1
            continue
        source = row["Original Source"]
        mature[source] += 1
        became = row["Became a Customer Date"]
        customers[source] += bool(became) and (
            date.fromisoformat(became) - created <= timedelta(days=WINDOW)
        )
    return mature, customers, immature


def with_lifecycle_sample() -> AppTest:
    at = run_app()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="sample_pick").set_value("lifecycle").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_data_page_offers_the_sample_with_its_roles() -> None:
    at = run_app()
    at.switch_page("pages/data.py").run()
    assert "CRM lifecycle stages" in at.selectbox(key="sample_pick").options
    at.selectbox(key="sample_pick").set_value("lifecycle").run()
    assert not at.exception and not at.error
    assert any("Became a Lead Date" in c.value for c in at.caption)
    assert metric(at, "Rows") == "3,012"
    assert metric(at, "Unique contacts") == "3,000"
    _, _, immature = sample_rates()
    assert metric(at, "Immature contacts") == f"{immature:,}"
    definition = SAMPLES["lifecycle"].definition
    assert definition.converted_date == STAGES[-1] and definition.id == "Record ID"
    assert SAMPLES["lifecycle"].stages == tuple(STAGES)


def test_segments_count_the_customer_stage_within_the_window() -> None:
    at = with_lifecycle_sample()
    at.switch_page("pages/segments.py").run()
    assert not at.exception and not at.error
    table = results_table(at, ["Original Source"])
    got = {r["Original Source"]: (r["Contacts"], r["Customers"]) for r in table.to_dict("records")}
    mature, customers, _ = sample_rates()
    assert got == {s: (mature[s], customers[s]) for s in mature}


def test_trends_draw_cohorts_with_the_recent_ones_immature() -> None:
    at = with_lifecycle_sample()
    at.switch_page("pages/trends.py").run()
    assert not at.exception and not at.error
    cohorts = at.dataframe[0].value
    assert cohorts["mature"].iloc[0] and not cohorts["mature"].iloc[-1]


def test_the_funnel_page_counts_the_sample_in_use_with_its_stages() -> None:
    at = with_lifecycle_sample()
    at.switch_page("pages/funnel.py").run()
    assert not at.exception and not at.error
    assert not any("bundled CRM lifecycle sample" in i.value for i in at.info)
    assert at.multiselect(key="funnel_stages").value == STAGES
    assert at.selectbox(key="funnel_id").value == "Record ID"
    table = stage_table(at)
    overall = table[table["Original Source"] == "(all)"]
    recount = sample_reached()
    expected = [sum(n for (_, stage), n in recount.items() if stage == s) for s in STAGES]
    assert list(overall["reached"]) == expected  # 2,869 leads ... 103 customers
