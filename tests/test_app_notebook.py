"""The Notebook page and the pin buttons, driven headless with AppTest (issue 19).

The data are a CRM export built here with hand-counted numbers: Webinar 12/40, Ads 3/60,
Referral 10/25 (overall 25/125 = 20.0 %), contacts created in January, February and March 2025
in turn; the months are counted from the rows in plain Python.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

from streamlit.testing.v1 import AppTest

from conversion.notebook import link
from conversion.notebook.document import Dataset, to_json

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 90
GROUPS = {"Webinar": (12, 40), "Ads": (3, 60), "Referral": (10, 25)}
HOSTILE = "<script>alert(1)</script> [x](javascript:alert(1)) **{rate}** of {contacts}"


def export_rows() -> list[tuple[str, str, str, str]]:
    rows = []
    record = 1000
    for source, (customers, contacts) in GROUPS.items():
        for i in range(contacts):
            month = record % 3 + 1
            rows.append(
                (str(record), source, f"2025-0{month}-1{i % 9}", "Y" if i < customers else "N")
            )
            record += 1
    return rows


def export_csv() -> bytes:
    lines = ["Record ID,Lead Source,Create Date,Converted"]
    lines += [",".join(row) for row in export_rows()]
    return ("\n".join(lines) + "\n").encode("utf-8")


def month_counts() -> Counter:
    counts: Counter = Counter()
    for _, _, created, converted in export_rows():
        counts[(created[:7], "contacts")] += 1
        counts[(created[:7], "customers")] += converted == "Y"
    return counts


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def started_with_the_export() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("crm.csv", export_csv(), "text/csv")).run()
    no_errors(at)
    return at


def pin_three_views(at: AppTest) -> AppTest:
    at.switch_page("pages/segments.py").run()
    at.button(key="pin_segments").click().run()
    at.switch_page("pages/trends.py").run()
    at.button(key="pin_trend_rate").click().run()
    at.switch_page("pages/compare.py").run()
    at.selectbox(key="compare_pick_a").set_value("Referral").run()
    at.selectbox(key="compare_pick_b").set_value("Ads").run()
    at.button(key="pin_compare").click().run()
    no_errors(at)
    at.switch_page("pages/notebook.py").run()
    no_errors(at)
    return at


def cells(at: AppTest):
    return at.session_state["notebook"].cells


def test_three_pinned_views_show_hand_counted_numbers_on_the_notebook_page():
    at = pin_three_views(started_with_the_export())
    assert [c.kind for c in cells(at)] == ["segments", "trend", "compare"]
    assert [c.title for c in cells(at)] == [
        "Conversion by Lead Source", "Rate by month cohort", "Referral against Ads",
    ]  # fmt: skip
    metrics = [(m.label, m.value) for m in at.metric]
    # The Segments and Trends cells count the same 125 contacts and 25 customers.
    assert metrics.count(("Contacts", "125")) == 2
    assert metrics.count(("Customers", "25")) == 2
    assert metrics.count(("Overall rate", "20.0%")) == 2
    # Compare: Referral 10/25 against Ads 3/60, 40.0 − 5.0 = +35.0 points.
    assert ("Segment A", "40.0%") in metrics and ("Segment B", "5.0%") in metrics
    assert ("Difference (A − B)", "+35.0 pp") in metrics
    table = next(df.value for df in at.dataframe if "Lead Source" in df.value.columns)
    by_source = table.set_index("Lead Source")
    for source, (customers, contacts) in GROUPS.items():
        assert by_source.loc[source, "Contacts"] == contacts
        assert by_source.loc[source, "Customers"] == customers
    cohorts = next(df.value for df in at.dataframe if "cohort" in df.value.columns)
    expected = month_counts()
    assert cohorts["contacts"].tolist() == [expected[(m, "contacts")] for m in
                                            ("2025-01", "2025-02", "2025-03")]  # fmt: skip
    assert cohorts["customers"].tolist() == [expected[(m, "customers")] for m in
                                             ("2025-01", "2025-02", "2025-03")]  # fmt: skip
    lines = [md.value for md in at.markdown]
    assert r"- Segment A, Referral\: 40\.0% \(10/25\)\." in lines
    assert r"- Segment B, Ads\: 5\.0% \(3/60\)\." in lines


def test_notes_reorder_and_remove_edit_the_notebook_value():
    at = pin_three_views(started_with_the_export())
    first, second, third = cells(at)
    at.text_area(key=f"nb_note_{first.id}").set_value("Overall {rate} of {contacts}.").run()
    at.text_area(key=f"nb_note_{third.id}").set_value(HOSTILE).run()
    at.text_input(key=f"nb_title_{third.id}").set_value("Referral beats Ads").run()
    no_errors(at)
    notes = [md.value for md in at.markdown]
    assert r"Overall 20.0% of 125." in notes
    # The hostile note is escaped: no tag and no javascript: link reach the page as markup.
    assert r"\<script\>alert(1)\</script\> \[x\](javascript:alert(1)) **20.0%** of 125" in notes
    at.button(key=f"nb_Move down_{first.id}").click().run()
    assert [c.id for c in cells(at)] == [second.id, first.id, third.id]
    at.button(key=f"nb_Move up_{third.id}").click().run()
    assert [c.id for c in cells(at)] == [second.id, third.id, first.id]
    at.button(key=f"nb_Remove_{second.id}").click().run()
    no_errors(at)
    assert [c.id for c in cells(at)] == [third.id, first.id]
    assert [c.title for c in cells(at)] == ["Referral beats Ads", "Conversion by Lead Source"]
    assert cells(at)[1].note == "Overall {rate} of {contacts}."
    at.button(key=f"nb_Duplicate_{first.id}").click().run()
    at.button(key=f"nb_Collapse_{third.id}").click().run()
    assert [c.title for c in cells(at)][-1] == "Conversion by Lead Source (copy)"
    assert cells(at)[0].collapsed


def test_a_section_note_quotes_the_cell_above_and_the_file_round_trips_exactly():
    at = pin_three_views(started_with_the_export())
    at.button(key=next(b.key for b in at.button if b.label == "Add a section note")).click().run()
    section = cells(at)[-1]
    assert section.kind == "note"
    at.text_area(key=f"nb_note_{section.id}").set_value("Above: {best} beats {worst}.").run()
    assert r"Above: Referral (40.0%) beats Ads (5.0%)." in [md.value for md in at.markdown]
    saved = at.session_state["notebook"]
    for cell in cells(at):
        at.button(key=f"nb_Remove_{cell.id}").click().run()
    assert cells(at) == ()
    at.file_uploader(key="nb_upload").set_value(
        ("story.json", to_json(saved).encode(), "application/json")
    ).run()
    no_errors(at)
    assert at.session_state["notebook"] == saved


def test_a_newer_notebook_file_is_refused_on_the_page():
    at = pin_three_views(started_with_the_export())
    text = to_json(at.session_state["notebook"]).replace('"version": 1', '"version": 7')
    at.file_uploader(key="nb_upload").set_value(("new.json", text.encode(), "application/json"))
    at.run()
    assert not at.exception
    assert any("newer version" in e.value for e in at.error)
    assert len(cells(at)) == 3


def shared_link(at: AppTest) -> str:
    """The packed notebook in the page's share link."""
    url = next(code.value for code in at.code if "notebook=" in code.value)
    return url.split("notebook=", 1)[1]


def opened(packed: str) -> AppTest:
    """A fresh session opened on ``/notebook?notebook=packed``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params[link.PARAMETER] = packed
    at.run()
    at.switch_page("pages/notebook.py").run()
    no_errors(at)
    return at


def test_an_uploads_link_carries_counts_only_and_reopens_the_same_cells_and_numbers():
    at = pin_three_views(started_with_the_export())
    first = cells(at)[0]
    at.text_area(key=f"nb_note_{first.id}").set_value("Overall {rate} of {contacts}.").run()
    packed = shared_link(at)
    book, counts = link.decode(packed)
    assert [c.id for c in book.cells] == [c.id for c in cells(at)]
    assert counts is not None and set(counts) == {c.id for c in cells(at)}
    colleague = opened(packed)
    assert colleague.session_state["dataset"].kind == "sample"  # the file never travelled
    assert [c.title for c in cells(colleague)] == [c.title for c in cells(at)]
    metrics = [(m.label, m.value) for m in colleague.metric]
    assert metrics.count(("Contacts", "125")) == 2
    assert metrics.count(("Customers", "25")) == 2
    assert ("Segment A", "40.0%") in metrics
    assert "Overall 20.0% of 125." in [md.value for md in colleague.markdown]
    assert any("shared snapshot" in info.value for info in colleague.info)


def test_a_samples_link_holds_the_notebook_and_recomputes_it_on_the_sample():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/data.py").run()
    at.selectbox(key="sample_pick").set_value("web").run()
    at.switch_page("pages/segments.py").run()
    at.button(key="pin_segments").click().run()
    at.switch_page("pages/notebook.py").run()
    book, counts = link.decode(shared_link(at))
    assert counts is None and book.dataset.sample == "web"
    colleague = opened(shared_link(at))
    assert colleague.session_state["dataset"].sample.key == "web"
    expected = web_sample_counts()
    table = next(df.value for df in colleague.dataframe if "visitor_type" in df.value.columns)
    for visitor, row in table.set_index("visitor_type").iterrows():
        assert (row["Contacts"], row["Customers"]) == (
            expected[(visitor, "contacts")], expected[(visitor, "customers")],
        )  # fmt: skip


def test_a_tampered_notebook_link_shows_a_message_not_a_traceback():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params[link.PARAMETER] = "1.garbage!!"
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "This notebook link cannot be opened\\: it is truncated or altered\\. Copy the whole "
        "link again, or ask for a new one\\."
    ]
    assert "notebook" not in at.session_state


def web_sample_counts() -> Counter:
    """Sessions and revenue sessions per visitor type, counted with the csv module."""
    import csv

    counts: Counter = Counter()
    with (ROOT / "sample_data" / "web_sessions.csv").open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            counts[(row["visitor_type"], "contacts")] += 1
            counts[(row["visitor_type"], "customers")] += row["revenue"] == "TRUE"
    return counts


def test_the_command_on_the_apps_notebook_gives_the_apps_figures(tmp_path):
    at = pin_three_views(started_with_the_export())
    book = tmp_path / "story.json"
    book.write_text(to_json(at.session_state["notebook"]), encoding="utf-8")
    data = tmp_path / "crm.csv"
    data.write_bytes(export_csv())
    done = subprocess.run(
        [sys.executable, "-m", "conversion", "notebook", str(book), "--data", str(data),
         "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    numbers = json.loads(done.stdout)["cells"]
    shown = [(m.label, m.value) for m in at.metric]
    for cell in numbers[:2]:
        figures = cell["figures"]
        assert (figures["contacts"], figures["customers"]) == (125, 25)
        assert ("Contacts", f"{figures['contacts']}") in shown
        assert ("Overall rate", f"{figures['rate']:.1%}") in shown
    assert numbers[2]["figures"]["customers"] == 25
    rows = {r["segment"]: (r["customers"], r["contacts"]) for r in numbers[0]["rows"]}
    assert rows == GROUPS
    app_table = next(df.value for df in at.dataframe if "Lead Source" in df.value.columns)
    assert {r["Lead Source"]: (r["Customers"], r["Contacts"]) for r in
            app_table.to_dict("records")} == rows  # fmt: skip


def test_the_column_ranking_pins_and_a_notebook_file_offers_its_sample():
    at = started_with_the_export()
    at.switch_page("pages/segments.py").run()
    at.toggle(key="rank_columns").set_value(True).run()
    at.button(key="pin_ranking").click().run()
    at.switch_page("pages/notebook.py").run()
    no_errors(at)
    (cell,) = cells(at)
    assert cell.kind == "ranking"
    lines = [md.value for md in at.markdown if md.value.startswith("- ")]
    assert lines and lines[0].startswith("- Lead Source · 3 segments")
    metrics = [(m.label, m.value) for m in at.metric]
    assert ("Contacts", "125") in metrics and ("Customers", "25") in metrics
    # A notebook file made on the web sample offers to switch to it.
    book = replace(at.session_state["notebook"], dataset=Dataset("Web sessions", "sample", "web"))
    at.file_uploader(key="nb_upload").set_value(("web.json", to_json(book).encode(), "text/json"))
    at.run()
    at.button(key="nb_use_sample").click().run()
    no_errors(at)
    assert at.session_state["dataset"].sample.key == "web"
    assert any("Web sessions has no columns 'Lead Source'" in w.value for w in at.warning)
