"""The Funnel page (pages/funnel.py, ui/funnel.py), driven headless with AppTest.

Expected numbers are hand counts of the small export built here and plain ``csv`` recounts of
the bundled lifecycle sample.
"""

from __future__ import annotations

import csv
from collections import Counter

from streamlit.testing.v1 import AppTest
from test_app import ROOT, TIMEOUT, shown, upload

SAMPLE = ROOT / "sample_data" / "crm_lifecycle.csv"
STAGES = [
    "Became a Lead Date",
    "Became a Marketing Qualified Lead Date",
    "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
]


def funnel_page(query: dict[str, list[str]] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, values in (query or {}).items():
        at.query_params[key] = values
    # Opened at /funnel: the page's first run reads the link.
    at.switch_page("pages/funnel.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sample_reached() -> Counter:
    """Contacts reaching each stage per lead source, recounted from the csv (one per id)."""
    with SAMPLE.open(encoding="utf-8") as handle:
        contacts = {row["Record ID"]: row for row in csv.DictReader(handle)}
    reached: Counter = Counter()
    for row in contacts.values():
        if not any(row[stage] for stage in STAGES):
            continue  # no stage at all: left out
        for k, stage in enumerate(STAGES):
            reached[(row["Original Source"], stage)] += any(row[later] for later in STAGES[k:])
    return reached


def stage_table(at: AppTest):
    return next(df.value for df in at.dataframe if "stage_index" in df.value.columns)


def test_the_page_opens_on_the_lifecycle_sample_and_shows_its_counts() -> None:
    at = funnel_page()
    assert at.title[0].value == "Funnel by segment"
    assert not at.error
    assert any("bundled CRM lifecycle sample" in i.value for i in at.info)
    table = stage_table(at)
    got = {
        (r["Original Source"], r["stage"]): r["reached"]
        for r in table.to_dict("records")
        if r["Original Source"] != "(all)"
    }
    assert got == dict(sample_reached())
    drops = [shown(m.value) for m in at.markdown if "the biggest drop is" in shown(m.value)]
    assert len(drops) == 7  # six sources and all segments
    assert at.get("vega_lite_chart")


def small_export() -> bytes:
    """Ads: 30 leads, 12 MQL, 3 customers; Web: 20 leads, 4 MQL, 0 customers; one subscriber."""
    lines = ["Contact,Source,Became a Lead Date,Became a Marketing Qualified Lead Date,"
             "Became a Customer Date"]  # fmt: skip
    for i in range(30):
        mql = "2025-02-01" if i < 12 else ""
        customer = "2025-03-01" if i < 3 else ""
        lines.append(f"A{i},Ads,2025-01-0{1 + i % 9},{mql},{customer}")
    for i in range(20):
        mql = "2025-02-02" if i < 4 else ""
        lines.append(f"W{i},Web,2025-01-05,{mql},")
    lines.append("S1,Web,,,")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_an_upload_with_stage_dates_is_counted_as_hand_counted() -> None:
    at = funnel_page()
    upload(at, "crm.csv", small_export())
    at.switch_page("pages/funnel.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("bundled CRM lifecycle sample" in i.value for i in at.info)
    at.multiselect(key="funnel_segments").set_value(["Source"]).run()
    table = stage_table(at)
    rows = {(r["Source"], r["stage_index"]): r for r in table.to_dict("records")}
    assert [rows[("Ads", k)]["reached"] for k in (1, 2, 3)] == [30, 12, 3]
    assert [rows[("Web", k)]["reached"] for k in (1, 2, 3)] == [20, 4, 0]
    assert rows[("Ads", 2)]["step_rate_pct"] == 40.0 and rows[("Ads", 3)]["step_rate_pct"] == 25.0
    assert rows[("(all)", 3)]["reached"] == 3
    assert any("1 contact with no stage at all" in shown(c.value) for c in at.caption)


def test_the_link_sets_the_segments_and_the_window_and_the_page_writes_them_back() -> None:
    at = funnel_page({"fseg": ["Country"], "fwin": ["30"]})
    assert at.multiselect(key="funnel_segments").value == ["Country"]
    assert at.number_input(key="funnel_window").value == 30
    table = stage_table(at)
    assert set(table["Country"]) == {"United States", "United Kingdom", "Germany", "India", "(all)"}
    assert int(table["immature"].fillna(0).sum()) > 0  # recent contacts are left out as immature
    assert at.query_params["fseg"] in ("Country", ["Country"])
    assert at.query_params["fwin"] in ("30", ["30"])


def test_unreadable_stage_dates_are_an_error_naming_them_not_a_traceback() -> None:
    at = funnel_page()
    content = (
        b"Contact,Source,Became a Lead Date,Became a Customer Date\n"
        b"1,Ads,2025-01-01,\n2,Ads,soon,2025-02-01\n3,Web,2025-01-03,\n"
    )
    upload(at, "bad.csv", content)
    at.switch_page("pages/funnel.py").run()
    assert not at.exception
    at.multiselect(key="funnel_segments").set_value(["Source"]).run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert any("Became a Lead Date" in e and "'soon'" in e for e in errors), errors
