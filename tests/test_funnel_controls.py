"""The Funnel page's controls (ui/funnel.py): id, stage mode, order, mapped values, windows,
as-of, and the link that carries them — driven headless with AppTest.

Expected numbers are hand counts of the small export below (worked out in the comments) and
plain ``csv`` recounts of the bundled lifecycle sample.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

from streamlit.testing.v1 import AppTest
from test_app import shown, upload
from test_funnel_app import SAMPLE, funnel_page, stage_table

LEAD, MQL, CUSTOMER = (
    "Became a Lead Date",
    "Became a Marketing Qualified Lead Date",
    "Became a Customer Date",
)


def export() -> bytes:
    """Ads: A1 (twice), A2, A3, A4 (no lead date); Web: W1..W5 (W5 no stage); one 'trial'."""
    rows = [
        "Contact ID,Source,Stage,Became a Lead Date,Became a Marketing Qualified Lead Date,"
        "Became a Customer Date",
        "A1,Ads,customer,2025-01-01,2025-01-05,2025-01-20",  # 4 days to MQL, 15 to customer
        "A2,Ads,mql,2025-01-02,2025-01-12,",  # 10 days to MQL
        "A3,Ads,lead,2025-01-03,,",
        "A4,Ads,customer,,2025-01-04,2025-02-10",  # lead skipped; 37 days to customer
        "A1,Ads,customer,2025-01-01,2025-01-05,2025-01-20",  # the same contact again
        "W1,Web,mql,2025-03-01,2025-03-25,",
        "W2,Web,lead,2025-03-02,,",
        "W3,Web,trial,2025-03-03,,",
        "W4,Web,customer,2025-01-10,2025-01-11,2025-01-12",
        "W5,Web,,,,",  # no stage at all: left out
    ]
    return ("\n".join(rows) + "\n").encode("utf-8")


def uploaded() -> AppTest:
    at = funnel_page()
    upload(at, "crm.csv", export())
    at.switch_page("pages/funnel.py").run()
    at.multiselect(key="funnel_segments").set_value(["Source"]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def reached(at: AppTest) -> dict[str, list[int]]:
    table = stage_table(at).sort_values(["Source", "stage_index"])
    return {s: list(g["reached"]) for s, g in table.groupby("Source")}


def steps(at: AppTest, source: str) -> list[tuple[int, int, int]]:
    """(step base, step reached, immature) of each step of one segment."""
    table = stage_table(at)
    rows = table[(table["Source"] == source) & (table["stage_index"] > 1)]
    return [
        (int(r["step_base"]), int(r["step_reached"]), int(r["immature"]))
        for r in rows.sort_values("stage_index").to_dict("records")
    ]


def test_stage_dates_with_the_detected_id_count_each_contact_once() -> None:
    at = uploaded()
    assert at.selectbox(key="funnel_id").value == "Contact ID"
    assert at.multiselect(key="funnel_stages").value == [LEAD, MQL, CUSTOMER]
    # Ads: A1..A4 reached the lead stage (A4 by its later MQL date); A1, A2, A4 MQL; A1, A4
    # customer. Web: all four leads; W1, W4 MQL; W4 customer.
    assert reached(at) == {"(all)": [8, 5, 3], "Ads": [4, 3, 2], "Web": [4, 2, 1]}
    assert any("1 contact with no stage at all" in shown(c.value) for c in at.caption)


def test_no_id_counts_every_row_and_the_link_says_so() -> None:
    at = uploaded()
    at.selectbox(key="funnel_id").set_value("(none)").run()
    assert reached(at)["Ads"] == [5, 4, 3]  # A1's two rows are two contacts
    assert at.query_params["fid"] in ("none", ["none"])


def test_the_order_picked_is_the_funnel_order() -> None:
    at = uploaded()
    at.multiselect(key="funnel_stages").set_value([MQL, CUSTOMER]).run()
    assert reached(at) == {"(all)": [5, 3], "Ads": [3, 2], "Web": [2, 1]}
    table = stage_table(at)
    assert list(table[table["Source"] == "Ads"]["stage"]) == [MQL, CUSTOMER]


def test_one_window_per_step_and_an_as_of_date_leave_recent_contacts_out() -> None:
    at = uploaded()
    at.radio(key="funnel_window_mode").set_value("One per step").run()
    at.number_input(key="funnel_step_window_2").set_value(7).run()
    at.number_input(key="funnel_step_window_3").set_value(20).run()
    at.date_input(key="funnel_as_of").set_value(date(2025, 3, 6)).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    # Lead -> MQL within 7 days, judged on leads up to 2025-02-27: Ads A1 (4 days) and A4
    # (0 days) of 4; Web only W4 (1 day) of 1, W1..W3 (March) immature.
    # MQL -> customer within 20 days, on MQLs up to 2025-02-14: Ads A1 (15 days) of A1, A2,
    # A4 (37 days, too late); Web W4 of W4 (W1's MQL date is after the as-of date).
    assert steps(at, "Ads") == [(4, 2, 0), (3, 1, 0)]
    assert steps(at, "Web") == [(1, 1, 3), (1, 1, 0)]
    assert at.query_params["fwin"] == ["7", "20"]
    assert at.query_params["fasof"] in ("2025-03-06", ["2025-03-06"])


def test_one_window_for_every_step_is_judged_on_each_step() -> None:
    at = uploaded()
    at.number_input(key="funnel_window").set_value(7).run()
    at.date_input(key="funnel_as_of").set_value(date(2025, 3, 6)).run()
    # Lead -> MQL within 7 days as above; MQL -> customer within 7 days, on MQLs up to
    # 2025-02-27: none of Ads' A1 (15 days), A2, A4 (37 days); Web's W4 (1 day).
    assert steps(at, "Ads") == [(4, 2, 0), (3, 0, 0)]
    assert steps(at, "Web") == [(1, 1, 3), (1, 1, 0)]
    assert at.query_params["fwin"] in ("7", ["7"])


def test_a_stage_column_with_a_value_outside_the_order_gives_the_listing_message() -> None:
    at = uploaded()
    at.radio(key="funnel_mode").set_value("One stage column").run()
    assert at.selectbox(key="funnel_stage_column").value == "Stage"
    assert at.multiselect(key="funnel_order").value == ["lead", "mql", "customer"]
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert any("'trial' (1 row)" in e and "--stage-map" in e for e in errors), errors


def test_a_value_mapped_to_a_stage_or_left_out_is_counted_as_hand_counted() -> None:
    at = uploaded()
    at.radio(key="funnel_mode").set_value("One stage column").run()
    at.selectbox(key="funnel_map_Stage_trial").set_value("lead").run()
    assert not at.error, [e.value for e in at.error]
    # Ads: A1, A4 customer, A2 mql, A3 lead; Web: W4 customer, W1 mql, W2 lead, W3 trial=lead.
    assert reached(at) == {"(all)": [8, 5, 3], "Ads": [4, 3, 2], "Web": [4, 2, 1]}
    assert at.query_params["fmap"] in ("trial=lead", ["trial=lead"])
    at.selectbox(key="funnel_map_Stage_trial").set_value("(leave out)").run()
    assert reached(at)["Web"] == [3, 2, 1]
    assert any("2 contacts with no stage at all" in shown(c.value) for c in at.caption)
    at.multiselect(key="funnel_order").set_value(["lead", "customer"]).run()
    at.selectbox(key="funnel_map_Stage_mql").set_value("lead").run()
    at.selectbox(key="funnel_id").set_value("(none)").run()
    assert reached(at)["Ads"] == [5, 3]  # every row; mql counts as lead


def link_of(at: AppTest) -> dict[str, list[str]]:
    """The page's query string as the next session would read it."""
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def sample_column_reached(order: list[str], mapped: dict[str, str]) -> Counter:
    """Rows (no id) reaching each stage of ``order`` per country, recounted from the csv."""
    counts: Counter = Counter()
    with SAMPLE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            value = mapped.get(row["Lifecycle Stage"], row["Lifecycle Stage"])
            if value not in order:
                continue
            for k, stage in enumerate(order):
                counts[(row["Country"], stage)] += order.index(value) >= k
    return counts


def test_a_stage_column_funnel_survives_its_link_on_the_sample() -> None:
    at = funnel_page()
    at.multiselect(key="funnel_segments").set_value(["Country"]).run()
    at.selectbox(key="funnel_id").set_value("(none)").run()
    at.radio(key="funnel_mode").set_value("One stage column").run()
    at.selectbox(key="funnel_stage_column").set_value("Lifecycle Stage").run()
    order = ["lead", "marketingqualifiedlead", "customer"]
    at.multiselect(key="funnel_order").set_value(order).run()
    maps = {"salesqualifiedlead": "marketingqualifiedlead", "opportunity": "marketingqualifiedlead"}
    for value, stage in maps.items():
        at.selectbox(key=f"funnel_map_Lifecycle Stage_{value}").set_value(stage).run()
    at.selectbox(key="funnel_map_Lifecycle Stage_subscriber").set_value("(leave out)").run()
    assert not at.error, [e.value for e in at.error]
    expected = dict(sample_column_reached(order, maps))
    first = stage_table(at)
    got = {
        (r["Country"], r["stage"]): r["reached"]
        for r in first.to_dict("records")
        if r["Country"] != "(all)"
    }
    assert got == expected
    params = link_of(at)
    again = funnel_page(params)
    assert again.radio(key="funnel_mode").value == "One stage column"
    assert again.selectbox(key="funnel_id").value == "(none)"
    assert again.multiselect(key="funnel_order").value == order
    assert again.selectbox(key="funnel_map_Lifecycle Stage_subscriber").value == "(leave out)"
    assert stage_table(again).equals(first)


def test_stage_dates_windows_and_as_of_survive_the_link_on_the_sample() -> None:
    at = funnel_page()
    stages = ["Became a Lead Date", "Became a Sales Qualified Lead Date", CUSTOMER]
    at.multiselect(key="funnel_stages").set_value(stages).run()
    at.radio(key="funnel_window_mode").set_value("One per step").run()
    at.number_input(key="funnel_step_window_2").set_value(45).run()
    at.number_input(key="funnel_step_window_3").set_value(60).run()
    at.date_input(key="funnel_as_of").set_value(date(2025, 9, 30)).run()
    first = stage_table(at)
    params = link_of(at)
    again = funnel_page(params)
    assert again.multiselect(key="funnel_stages").value == stages
    assert again.radio(key="funnel_window_mode").value == "One per step"
    assert again.number_input(key="funnel_step_window_3").value == 60
    assert again.date_input(key="funnel_as_of").value == date(2025, 9, 30)
    assert stage_table(again).equals(first)
    assert int(first["immature"].fillna(0).sum()) > 0


def test_a_link_with_unknown_columns_and_bad_values_warns_and_opens() -> None:
    at = funnel_page({"fid": ["Nope"], "fmode": ["sideways"], "fwin": ["x"], "fasof": ["soon"]})
    warnings = " ".join(shown(w.value) for w in at.warning)
    for bad in ("fid=Nope", "fmode=sideways", "fwin=x", "fasof=soon"):
        assert bad in warnings
    assert stage_table(at) is not None
