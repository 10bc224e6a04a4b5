"""The app's pages, driven headless with streamlit.testing.v1.AppTest.

Expected numbers are hand counts of the files built here, or plain-Python counts of the samples.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
TIMEOUT = 60

# A CRM-style export: Webinar 12/40, Ads 3/60, Referral 10/25 -> overall 25/125 = 20.0 %.
GROUPS = {"Webinar": (12, 40), "Ads": (3, 60), "Referral": (10, 25)}


def crm_export() -> bytes:
    lines = ["Record ID,Lead Source,Country,Converted"]
    record = 1000
    for source, (customers, contacts) in GROUPS.items():
        for i in range(contacts):
            country = "France" if i % 2 else "Germany"
            lines.append(f"{record},{source},{country},{'Y' if i < customers else 'N'}")
            record += 1
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def run_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(text: str) -> str:
    """What the reader sees: Markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", text)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def results_table(at: AppTest, segments: list[str]):
    """The Segments page's results table: the one with a column for every segment column."""
    return next(df.value for df in at.dataframe if set(segments) <= set(df.value.columns))


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def web_sample_counts() -> Counter:
    """Sessions and revenue sessions per visitor type, counted with the csv module."""
    counts: Counter = Counter()
    with (SAMPLES / "web_sessions.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            counts[(row["visitor_type"], "contacts")] += 1
            counts[(row["visitor_type"], "customers")] += row["revenue"] == "TRUE"
    return counts


def test_starts_on_the_default_sample_with_kpis_and_charts():
    at = run_app()
    assert at.title[0].value == "Conversion by segment"
    assert not at.error
    # Newsletter sample with a 90-day window: contacts counted and the overall rate are shown.
    contacts = int(metric(at, "Contacts").replace(",", ""))
    customers = int(metric(at, "Customers").replace(",", ""))
    assert metric(at, "Overall rate") == f"{customers / contacts:.1%}"
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 2  # bar chart and pie chart
    table = at.dataframe[0].value
    assert {"source", "Contacts", "Customers", "Rate %", "Band"} <= set(table.columns)
    assert table["Contacts"].sum() == contacts


def test_sample_numbers_match_a_plain_count():
    at = run_app()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="sample_pick").set_value("web").run()
    at.switch_page("pages/segments.py").run()
    assert not at.exception and not at.error
    expected = web_sample_counts()
    table = at.dataframe[0].value.set_index("visitor_type")
    for visitor in ("Returning_Visitor", "New_Visitor", "Other"):
        contacts = expected[(visitor, "contacts")]
        customers = expected[(visitor, "customers")]
        assert table.loc[visitor, "Contacts"] == contacts
        assert table.loc[visitor, "Customers"] == customers
        assert table.loc[visitor, "Rate %"] == pytest.approx(100 * customers / contacts)


def test_upload_of_a_crm_export_gives_hand_counted_rates():
    at = upload(run_app(), "crm.csv", crm_export())
    assert not at.error, [e.value for e in at.error]
    at.switch_page("pages/segments.py").run()
    assert not at.exception and not at.error
    assert at.session_state["dataset"].name == "crm.csv"
    assert metric(at, "Overall rate") == "20.0%"
    assert metric(at, "Contacts") == "125"
    table = at.dataframe[0].value.set_index("Lead Source")
    assert table.loc["Webinar", "Rate %"] == pytest.approx(30.0)
    assert table.loc["Ads", "Rate %"] == pytest.approx(5.0)
    assert table.loc["Referral", "Rate %"] == pytest.approx(40.0)


def test_switching_the_segment_column_changes_the_breakdown():
    at = upload(run_app(), "crm.csv", crm_export())
    at.switch_page("pages/segments.py").run()
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    picker.set_value(["Country"]).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value.set_index("Country")
    # Every second row is France: per source, France holds the odd positions.
    france_customers = sum(c // 2 for c, _ in GROUPS.values())
    france_contacts = sum(n // 2 for _, n in GROUPS.values())
    assert table.loc["France", "Contacts"] == france_contacts
    assert table.loc["France", "Customers"] == france_customers


def test_two_columns_give_a_cross_breakdown_with_a_grid():
    at = upload(run_app(), "crm.csv", crm_export())
    at.switch_page("pages/segments.py").run()
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    picker.set_value(["Lead Source", "Country"]).run()
    assert not at.exception and not at.error
    table = results_table(at, ["Lead Source", "Country"])
    assert len(table) == 6
    assert [t.label for t in at.tabs][2:4] == ["Two-way grid", "Drill down"]


def test_a_bad_upload_shows_an_error_and_keeps_the_previous_dataset():
    at = run_app()
    before = at.session_state["dataset"].name
    at = upload(at, "contacts.csv", b"\x00\x01\x02PK\x00binary\x00" * 100)
    errors = [shown(e.value) for e in at.error]
    assert errors and "contacts.csv" in errors[0]
    assert at.session_state["dataset"].name == before
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    assert metric(at, "Contacts")


def test_an_unreadable_flag_shows_the_values_and_no_traceback():
    content = b"id,source,converted\n1,Ads,yes\n2,Ads,maybe\n3,Web,no\n"
    at = upload(run_app(), "leads.csv", content)
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert errors and "'maybe' (1 row)" in errors[0]


def test_data_page_shows_preview_roles_and_validation_summary():
    at = run_app()
    at.switch_page("pages/data.py").run()
    assert not at.exception and not at.error
    labels = {m.label for m in at.metric}
    assert {"Rows", "Unique contacts", "Duplicate id rows", "Immature contacts"} <= labels
    assert metric(at, "Rows") == "4,002"
    assert metric(at, "Unique contacts") == "4,000"
    assert metric(at, "Duplicate id rows") == "2"


def test_changing_the_window_on_the_data_page_changes_the_counts():
    at = run_app()
    at.switch_page("pages/data.py").run()
    window = next(n for n in at.number_input if n.label == "Window (days)")
    window.set_value(30).run()
    assert not at.exception and not at.error
    immature_30 = int(metric(at, "Immature contacts").replace(",", ""))
    window.set_value(120).run()
    immature_120 = int(metric(at, "Immature contacts").replace(",", ""))
    assert immature_120 > immature_30


def test_trends_page_draws_cohorts_and_explains_immature_ones():
    at = run_app()
    at.switch_page("pages/trends.py").run()
    assert not at.exception and not at.error
    assert at.get("vega_lite_chart")
    assert any("immature" in c.value for c in at.caption)
    cohorts = at.dataframe[0].value
    assert not cohorts["mature"].iloc[-1]
    assert cohorts["mature"].iloc[0]


def test_compare_page_gives_a_verdict():
    at = run_app()
    at.switch_page("pages/compare.py").run()
    assert not at.exception and not at.error
    at.selectbox(key="compare_pick_a").set_value("Referral").run()
    at.selectbox(key="compare_pick_b").set_value("Paid social").run()
    verdict = shown(at.info[0].value)
    assert verdict.startswith("Referral converts better than Paid social")


def test_compare_page_says_when_the_data_cannot_tell():
    at = run_app()
    at.switch_page("pages/compare.py").run()
    at.selectbox(key="compare_pick_a").set_value("Events").run()
    assert "Too few" in shown(at.info[0].value)


def test_guide_page_explains_the_metric_and_bands():
    at = run_app()
    at.switch_page("pages/guide.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "customers ÷ contacts × 100" in text
    assert "Simpson" in text
    assert "≥ 20%" in text


def test_custom_bands_change_the_band_column():
    at = run_app()
    at.selectbox(key="bands").set_value("custom").run()
    at.number_input(key="strong_pct").set_value(50.0).run()
    assert not at.exception
    bands = set(at.dataframe[0].value["Band"])
    assert "strong" not in bands


def test_a_date_column_is_grouped_by_month_and_can_switch_to_quarter():
    at = run_app()
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    picker.set_value(["signup_date"]).run()
    assert not at.exception and not at.error
    months = list(at.dataframe[0].value.sort_values("signup_date")["signup_date"])
    # Sign-ups run Jan–Sep 2025; with a 90-day window only Jan–Aug have mature contacts.
    assert months == [f"2025-{m:02d}" for m in range(1, 9)]
    grouping = next(s for s in at.segmented_control if s.label.startswith("Group"))
    grouping.set_value("quarter").run()
    quarters = sorted(at.dataframe[0].value["signup_date"])
    assert quarters == ["2025-Q1", "2025-Q2", "2025-Q3"]


def test_a_numeric_column_is_binned_into_quantiles():
    rows = ["id,age,bought"] + [
        f"{i},{18 + i % 60},{'yes' if i % 4 == 0 else 'no'}" for i in range(600)
    ]
    at = upload(run_app(), "ages.csv", ("\n".join(rows) + "\n").encode())
    at.switch_page("pages/segments.py").run()
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    picker.set_value(["age"]).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) == 5
    assert table["Contacts"].sum() == 600


def test_a_link_opens_the_same_view_and_ignores_bad_values():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update(
        {"sample": "web", "seg": "month", "bands": "ecommerce", "top": "lots", "chart": "pie"}
    )
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["dataset"].name == "Web sessions"
    table = at.dataframe[0].value
    assert "month" in table.columns
    assert set(table["Band"]) <= {"top", "average", "below average"}
    assert at.toggle(key="donut").value is False
    assert any("top='lots'" in shown(w.value) for w in at.warning)
    # The address bar follows the view: the bad value is gone, the good ones stay.
    assert at.query_params["sample"] == "web"
    assert "top" not in at.query_params


def test_a_snapshot_link_reproduces_the_table_without_the_file():
    at = upload(run_app(), "crm.csv", crm_export())
    at.switch_page("pages/segments.py").run()
    link = at.code[0].value
    assert "snapshot=" in link
    query = dict(pair.split("=", 1) for pair in link.split("?", 1)[1].split("&"))
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    fresh.query_params["snapshot"] = query["snapshot"]
    fresh.run()
    assert not fresh.exception and not fresh.error
    assert fresh.session_state["dataset"].name == "crm.csv (snapshot)"
    assert metric(fresh, "Overall rate") == "20.0%"
    table = fresh.dataframe[0].value.set_index("Lead Source")
    assert table.loc["Webinar", "Rate %"] == pytest.approx(30.0)
    assert table.loc["Ads", "Customers"] == 3


def test_a_tampered_snapshot_link_shows_a_message_and_the_sample():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["snapshot"] = "1.eJwrzs9NVSjPL8pJ"
    at.run()
    assert not at.exception
    assert "cannot be opened" in shown(at.error[0].value)
    assert metric(at, "Contacts")


def test_segments_page_offers_every_export():
    at = run_app()
    labels = {b.label for b in at.get("download_button")}
    assert {
        "Table (CSV)",
        "Table (Excel)",
        "Bar chart (PNG)",
        "Bar chart (SVG)",
        "Share chart (PNG)",
        "Share chart (SVG)",
        "Report (HTML)",
    } <= labels


def simpson_rows() -> bytes:
    """ORACLES.md's Simpson example as contact rows: channel, company size, converted."""
    cells = {
        ("Email", "SMB"): (30, 100),
        ("Email", "Enterprise"): (50, 1000),
        ("Ads", "SMB"): (250, 1000),
        ("Ads", "Enterprise"): (4, 100),
    }
    lines = ["id,channel,size,won"]
    record = 0
    for (channel, size), (customers, contacts) in cells.items():
        for i in range(contacts):
            record += 1
            lines.append(f"{record},{channel},{size},{'yes' if i < customers else 'no'}")
    return ("\n".join(lines) + "\n").encode()


def test_compare_warns_about_the_oracle_simpson_paradox():
    at = upload(run_app(), "channels.csv", simpson_rows())
    at.switch_page("pages/segments.py").run()
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    picker.set_value(["channel"]).run()
    at.switch_page("pages/compare.py").run()
    at.selectbox(key="compare_pick_a").set_value("Email").run()
    at.selectbox(key="compare_pick_b").set_value("Ads").run()
    at.toggle(key="simpson").set_value(True).run()
    assert not at.exception and not at.error
    warnings = [shown(w.value) for w in at.warning]
    assert warnings and "size" in warnings[0]
    composition = at.dataframe[-1].value
    assert set(composition["size"]) == {"SMB", "Enterprise"}


def test_compare_finds_no_paradox_when_there_is_none():
    at = upload(run_app(), "crm.csv", crm_export())
    at.switch_page("pages/compare.py").run()
    at.toggle(key="simpson").set_value(True).run()
    assert not at.exception and not at.error
    assert not at.warning
    assert any("none reverses" in s.value for s in at.success)


def test_the_column_ranking_lists_columns_and_switches_the_breakdown():
    at = run_app()
    at.toggle(key="rank_columns").set_value(True).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert sum("V = " in c for c in captions) == 4  # source, device, plan_interest, region
    at.button(key="rank_device").click().run()
    assert not at.exception and not at.error
    assert "device" in at.dataframe[0].value.columns


def test_adjusted_rates_sit_between_the_raw_rate_and_the_overall_rate():
    at = run_app()
    at.toggle(key="adjusted").set_value(True).run()
    assert not at.exception
    table = at.dataframe[0].value
    overall = 100 * table["Customers"].sum() / table["Contacts"].sum()
    for raw, adjusted in zip(table["Rate %"], table["Adjusted %"], strict=True):
        assert min(raw, overall) - 1e-9 <= adjusted <= max(raw, overall) + 1e-9


def test_trends_tabs_show_control_chart_decomposition_and_time_to_convert():
    at = run_app()
    at.switch_page("pages/trends.py").run()
    assert not at.exception and not at.error
    assert [t.label for t in at.tabs] == [
        "Rate by cohort",
        "Stable or not?",
        "Why did it move?",
        "What changed",
        "Time to convert",
    ]
    assert len(at.get("vega_lite_chart")) == 4
    change = next(m for m in at.metric if m.label == "Change in the overall rate")
    assert change.value.endswith("points")
    assert any("Review of the latest mature cohort" in m.value for m in at.markdown)
    assert any("conversions seen so far" in shown(i.value) for i in at.info)


def test_copy_as_python_reproduces_the_table_shown(monkeypatch):
    import altair as alt

    at = run_app()
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    picker.set_value(["source", "device"]).run()
    code = next(c.value for c in at.code if "by_segment" in c.value)
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    lines = code.strip().splitlines()
    exec("\n".join(lines[:-1]), namespace)  # the last line is the chart, shown by a notebook
    chart = eval(lines[-1], namespace)
    assert isinstance(chart, alt.TopLevelMixin)
    result = next(v for v in namespace.values() if type(v).__name__ == "SegmentRates")
    shown_table = results_table(at, ["source", "device"])
    expected = {
        (row["source"], row["device"]): (row["Contacts"], row["Customers"])
        for _, row in shown_table.iterrows()
    }
    got = {
        (row["source"], row["device"]): (row["contacts"], row["customers"])
        for row in result.table.iter_rows(named=True)
    }
    assert got == expected


def test_an_upload_with_two_candidate_flags_asks_which_one_on_the_data_page():
    # y and converted are both yes/no columns named like an outcome: neither is chosen.
    rows = ["job,y,converted"] + [f"{'ab'[i % 2]},{'yes' if i % 3 else 'no'},no" for i in range(40)]
    at = upload(run_app(), "bank.csv", ("\n".join(rows) + "\n").encode())
    warnings = [shown(w.value) for w in at.warning]
    assert any("Several columns could each say who became a customer" in w for w in warnings)
    assert any("“y”, “converted”" in w for w in warnings)
    assert at.radio(key=next(r.key for r in at.radio if "evidence" in str(r.key))).value == "flag"


# --- any number of segment columns, and the drill-down (issue 17) ------------------------------


def three_column_export() -> tuple[bytes, Counter]:
    """Leads with source, country and device; the hand counts per (source, country)."""
    lines = ["Record ID,Lead Source,Country,Device,Converted"]
    truth: Counter = Counter()
    record = 1
    for source, (customers, contacts) in GROUPS.items():
        for i in range(contacts):
            country = ("France", "Germany", "Spain")[i % 3]
            device = "mobile" if i % 2 else "desktop"
            won = i < customers
            lines.append(f"{record},{source},{country},{device},{'Y' if won else 'N'}")
            truth[(source, country, "contacts")] += 1
            truth[(source, country, "customers")] += won
            record += 1
    return ("\n".join(lines) + "\n").encode("utf-8"), truth


def segments_page_by(at: AppTest, columns: list[str]) -> AppTest:
    at.switch_page("pages/segments.py").run()
    picker = next(m for m in at.multiselect if m.label.startswith("Break down by"))
    picker.set_value(columns).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_three_segment_columns_give_the_cross_table_and_a_drill_down_that_adds_up():
    content, truth = three_column_export()
    at = upload(run_app(), "leads.csv", content)
    at = segments_page_by(at, ["Lead Source", "Country", "Device"])
    assert [t.label for t in at.tabs][:3] == ["Rate by segment", "Share of customers", "Drill down"]
    table = results_table(at, ["Lead Source", "Country", "Device"])
    assert table.shape[0] == 3 * 3 * 2  # every (source, country, device) combination
    assert int(table["Contacts"].sum()) == 125

    # Level 1: by source over all contacts.
    caption = next(c.value for c in at.caption if c.value.startswith("Lead Source within"))
    assert "125 contacts, 25 customers" in shown(caption)

    # Level 2: Webinar by country; its rows add up to Webinar's 40 contacts and 12 customers.
    at.selectbox(key="drill_pick_0_").set_value("Webinar").run()
    caption = next(c.value for c in at.caption if c.value.startswith("Country within"))
    assert "Webinar: 40 contacts, 12 customers" in shown(caption)
    pick = at.selectbox(key="drill_pick_1_Webinar")
    assert set(pick.options) == {"— pick a value —", "France", "Germany", "Spain"}
    france = truth[("Webinar", "France", "contacts")], truth[("Webinar", "France", "customers")]

    # Level 3: Webinar › France by device.
    pick.set_value("France").run()
    caption = next(c.value for c in at.caption if c.value.startswith("Device within"))
    assert f"Webinar › France: {france[0]} contacts, {france[1]} customers" in shown(caption)

    # The breadcrumb goes back to the top.
    at.pills(key="drill_crumbs_Webinar/France").set_value(0).run()
    assert not at.exception
    assert any(c.value.startswith("Lead Source within") for c in at.caption)


def test_a_rate_just_under_a_threshold_is_not_shown_as_the_threshold():
    # Ads: 1,997 of 10,000 = 19.97 %, moderate; one decimal would read 20.0 % beside "strong".
    lines = ["id,source,customer"]
    lines += [f"{i},Ads,{'yes' if i < 1997 else 'no'}" for i in range(10_000)]
    lines += [f"w{i},Web,{'yes' if i < 2 else 'no'}" for i in range(10)]
    at = upload(run_app(), "leads.csv", ("\n".join(lines) + "\n").encode())
    at = segments_page_by(at, ["source"])
    assert metric(at, "Best segment") == "19.97%"
    table = results_table(at, ["source"]).set_index("source")
    assert table.loc["Ads", "Band"] == "moderate"
    assert round(table.loc["Ads", "Rate %"], 2) == 19.97
    # The table's rate column is written with two decimals, so Ads reads 19.97 %.
    shown = next(d for d in at.dataframe if "source" in d.value.columns and len(d.value) == 2)
    assert json.loads(shown.proto.columns)["Rate %"]["type_config"]["format"] == "%.2f%%"
