"""The funnel as a notebook cell (conversion/notebook/funnel.py): pinned from the Funnel page,
shown on the Notebook page, shared by link, rendered by ``conversion notebook``.

Expected numbers: hand counts of the small export of tests/test_funnel_controls.py (Ads reached
4, 3, 2 of lead, MQL, customer; Web 4, 2, 1; one contact with no stage), and the CSV that
``conversion funnel`` writes for the same funnel on the bundled lifecycle sample.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import subprocess
import sys
import zlib

import pytest
from streamlit.testing.v1 import AppTest
from test_app import shown, upload
from test_funnel_app import ROOT, STAGES, funnel_page
from test_funnel_controls import export

from conversion.counting.funnel import COUNT_COLUMNS
from conversion.counting.stages import Funnel
from conversion.errors import InputError
from conversion.notebook import Cell, Notebook, from_json, link, running, to_json
from conversion.notebook import funnel as funnel_cell
from conversion.notebook.notes import fill

NOTE = "{rate} of {contacts} became customers; best {best}, worst {worst}."
# Final cumulative rates: Ads 2 of 4 (50.0%), Web 1 of 4 (25.0%), overall 3 of 8 (37.5%).
FILLED = "37.5% of 8 became customers; best Ads (50.0%), worst Web (25.0%)."


def pinned() -> AppTest:
    at = funnel_page()
    upload(at, "crm.csv", export())
    at.switch_page("pages/funnel.py").run()
    at.multiselect(key="funnel_segments").set_value(["Source"]).run()
    at.button(key="pin_funnel").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/notebook.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_a_pinned_funnel_shows_the_hand_counted_numbers_on_the_notebook_page() -> None:
    at = pinned()
    (cell,) = at.session_state["notebook"].cells
    assert cell.kind == "funnel" and cell.title == "Funnel by Source"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Overall rate": "37.5%", "Contacts": "8", "Customers": "3"}
    table = next(df.value for df in at.dataframe if "Stage" in df.value.columns)
    got = {(r["Source"], r["Stage"]): r["Reached"] for r in table.to_dict("records")}
    assert [got[("Ads", s)] for s in ("Lead", "Marketing Qualified Lead", "Customer")] == [4, 3, 2]
    assert [got[("Web", s)] for s in ("Lead", "Marketing Qualified Lead", "Customer")] == [4, 2, 1]
    lines = [shown(m.value) for m in at.markdown]
    # Ads keeps 3 of 4, then 2 of 3: it loses most from MQL to customer. Web keeps 2 of 4,
    # then 1 of 2: a tie, which goes to the earlier step.
    assert any("Ads: the biggest drop is Marketing Qualified Lead → Customer: 1 of 3" in m
               for m in lines)  # fmt: skip
    assert any(
        "Web: the biggest drop is Lead → Marketing Qualified Lead: 2 of 4" in m for m in lines
    )
    at.text_area(key=f"nb_note_{cell.id}").set_value(NOTE).run()
    assert any(shown(m.value) == FILLED for m in at.markdown)


def test_an_uploads_link_carries_only_the_per_segment_per_stage_counts() -> None:
    at = pinned()
    url = next(code.value for code in at.code if "notebook=" in code.value)
    book, counts = link.decode(url.split("notebook=", 1)[1])
    assert counts is not None
    (counted,) = counts.values()
    assert set(counted.tables) == {"funnel"}
    table = counted.tables["funnel"]
    assert table.columns == ["Source", "stage_index", *COUNT_COLUMNS]
    rows = {(s, k): r for s, k, r in table.select("Source", "stage_index", "reached").iter_rows()}
    assert rows == {("Ads", 1): 4, ("Ads", 2): 3, ("Ads", 3): 2,
                    ("Web", 1): 4, ("Web", 2): 2, ("Web", 3): 1}  # fmt: skip
    payload = url.split("notebook=", 1)[1].split(".", 1)[1]
    raw = zlib.decompress(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for row_value in (b"A1", b"W5", b"2025-01-20", b"trial"):
        assert row_value not in raw  # no row of the file travels, only counts
    again = running.from_counts(book, counts, "crm.csv")
    figures = again.results[0].figures
    assert figures is not None and (figures.contacts, figures.customers) == (8, 3)


def sample_funnel() -> Funnel:
    return Funnel(
        segments=("Original Source",), stages=tuple(STAGES), id="Record ID", step_windows=(30,)
    )


def sample_notebook() -> Notebook:
    definition, options = funnel_cell.cell_parts(sample_funnel())
    cell = Cell("f1", "funnel", "Funnel by source", definition, tuple(options.items()), note=NOTE)
    return Notebook(title="Lifecycle", cells=(cell,))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conversion", *args],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip


def test_the_command_renders_a_funnel_cell_with_the_funnel_commands_figures(tmp_path) -> None:
    book = tmp_path / "lifecycle.json"
    book.write_text(to_json(sample_notebook()), encoding="utf-8")
    sample = "sample_data/crm_lifecycle.csv"
    done = run("notebook", str(book), "--data", sample, "--format", "json")
    assert done.returncode == 0, done.stderr
    cell = json.loads(done.stdout)["cells"][0]
    stages = [a for s in STAGES for a in ("--stage", s)]
    plain = run("funnel", sample, "--segment", "Original Source", *stages, "--id", "Record ID",
                "--step-window-days", "30", "--format", "csv")  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    expected = list(csv.DictReader(io.StringIO(plain.stdout)))
    assert len(cell["rows"]) == len(expected)
    for row, want in zip(cell["rows"], expected, strict=True):
        assert row["Original Source"] == want["Original Source"]
        assert row["Reached"] == int(want["reached"])
        assert row["Immature"] == (int(want["immature"]) if want["immature"] else None)
        for ours, theirs in (("Step rate %", "step_rate_pct"),
                             ("Cumulative rate %", "cumulative_rate_pct")):  # fmt: skip
            if want[theirs]:
                assert row[ours] == pytest.approx(float(want[theirs]))
            else:
                assert row[ours] is None
    overall = [r for r in expected if r["Original Source"] == "(all)"]
    assert cell["figures"]["contacts"] == int(overall[0]["reached"])
    assert cell["figures"]["rate"] * 100 == pytest.approx(float(overall[-1]["cumulative_rate_pct"]))
    last = str(len(STAGES))
    finals = {
        r["Original Source"]: float(r["cumulative_rate_pct"])
        for r in expected
        if r["stage_index"] == last and r["Original Source"] != "(all)"
    }
    assert cell["figures"]["best"] == max(finals, key=finals.__getitem__)
    assert cell["figures"]["worst"] == min(finals, key=finals.__getitem__)
    for kind in ("markdown", "html"):
        done = run("notebook", str(book), "--data", sample, "--format", kind)
        assert done.returncode == 0, done.stderr
        assert "Funnel by source" in done.stdout and "the biggest drop is" in done.stdout
    assert "<svg" in done.stdout


def test_the_notes_figures_of_a_funnel_cell() -> None:
    result = sample_notebook().run(ROOT / "sample_data" / "crm_lifecycle.csv").results[0]
    assert result.problem is None
    figures = result.figures
    assert figures is not None
    text = fill("{contacts} / {customers}", figures, None)
    assert text == f"{figures.contacts:,} / {figures.customers:,}"


def test_funnel_cells_round_trip_through_json() -> None:
    dated = sample_notebook().cells[0]
    column = Funnel(segments=("Country", "Original Source"), stage_column="Lifecycle Stage",
                    stage_order=("lead", "mql", "customer"),
                    stage_map=(("sql", "mql"), ("other", "")), id=None)  # fmt: skip
    definition, options = funnel_cell.cell_parts(column)
    staged = Cell("f2", "funnel", "By stage column", definition, tuple(options.items()))
    book = Notebook(cells=(dated, staged))
    again = from_json(to_json(book))
    assert again == book
    assert funnel_cell.funnel_of(again.cells[1]) == column
    assert funnel_cell.funnel_of(again.cells[0]) == sample_funnel()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("windows", ["30"], "whole numbers of days"),
        ("windows", [-1], "whole numbers of days"),
        ("stages", "Became a Lead Date", "list of at most"),
        ("stage_map", ["x" * 300], "list of at most"),
    ],
)
def test_an_altered_funnel_option_is_refused_naming_the_cell(option, value, message) -> None:
    document = json.loads(to_json(sample_notebook()))
    document["cells"][0]["options"][option] = value
    with pytest.raises(InputError, match=message) as error:
        from_json(json.dumps(document))
    assert "cell 1" in str(error.value)


def test_the_fallback_sample_is_not_pinned_the_page_says_how_to() -> None:
    at = funnel_page()  # the newsletter sample has no stages: the page shows the lifecycle one
    assert not [b for b in at.button if b.key == "pin_funnel"]
    assert any("To pin this funnel" in c.value for c in at.caption)


def test_a_segment_column_freed_by_the_stage_mode_can_be_picked() -> None:
    at = funnel_page()
    at.radio(key="funnel_mode").set_value("One stage column").run()
    assert "Became a Lead Date" in at.multiselect(key="funnel_segments").options
    assert "Lifecycle Stage" not in at.multiselect(key="funnel_segments").options
    at.radio(key="funnel_mode").set_value("Stage-date columns").run()
    assert "Lifecycle Stage" in at.multiselect(key="funnel_segments").options
