"""The analysis notebook: its JSON value, running it, notes, links and exports (issue 19).

Expected numbers are hand counts of the small file built here (Webinar 12/40, Ads 3/60,
Referral 10/25; overall 25/125 = 20.0 %) or plain-Python counts of its rows by month, never the
engine's own output.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conversion
from conversion.definition import Bands, Definition, OrdersJoin
from conversion.errors import InputError
from conversion.notebook import link, notes
from conversion.notebook.document import Cell, Dataset, Notebook, from_json, to_json
from conversion.notebook.kinds import Figures

ROOT = Path(__file__).resolve().parent.parent
GROUPS = {"Webinar": (12, 40), "Ads": (3, 60), "Referral": (10, 25)}
HOSTILE = (
    "<script>alert('x')</script> <img src=x onerror=alert(1)> "
    "[click](javascript:alert(document.cookie)) [data](data:text/html;base64,PHNjcmlwdD4=) "
    "![pixel](https://tracker.example/p.png) [fine](https://example.com/docs)"
)


def leads_rows() -> list[dict[str, str]]:
    """125 leads: per source the hand-counted customers first; months and regions rotate."""
    rows = []
    record = 1000
    for source, (customers, contacts) in GROUPS.items():
        for i in range(contacts):
            rows.append(
                {
                    "id": str(record),
                    "source": source,
                    "region": "North" if i % 2 else "South",
                    "signup": f"2025-0{record % 3 + 1}-15",
                    "converted": "Y" if i < customers else "N",
                }
            )
            record += 1
    return rows


def write_leads(path: Path, rows: list[dict[str, str]] | None = None) -> Path:
    rows = leads_rows() if rows is None else rows
    columns = list(rows[0])
    lines = [",".join(columns), *(",".join(row[c] for c in columns) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


DEFINITION = Definition(segments=("source",), converted="converted", id="id", contact_date="signup")


def story(note: str = "Overall {rate} of {contacts}; best {best}, worst {worst}.") -> Notebook:
    return Notebook(
        title="Leads review",
        dataset=Dataset("leads.csv", "upload"),
        cells=(
            Cell("s1", "note", "Why we look", note="A section about sources."),
            Cell("c1", "segments", "By source", DEFINITION,
                 (("sort", "rate"), ("share", "contacts"), ("chart", "pie")), note),
            Cell("c2", "note", "After", note="Above: {rate}; {{rate}} is literal."),
            Cell("c3", "trend", "By month", DEFINITION.with_changes(segments=()),
                 (("period", "month"), ("tab", "rate"))),
            Cell("c4", "compare", "Referral vs Ads", DEFINITION,
                 (("a", "Referral"), ("b", "Ads")), "{above.customers} customers above"),
            Cell("c5", "segments", "By region", DEFINITION.with_changes(segments=("region",)),
                 (("sort", "lower_bound"), ("share", "customers"), ("chart", "donut"))),
        ),
    )  # fmt: skip


def months(rows: list[dict[str, str]]) -> Counter:
    counts: Counter = Counter()
    for row in rows:
        counts[(row["signup"][:7], "contacts")] += 1
        counts[(row["signup"][:7], "customers")] += row["converted"] == "Y"
    return counts


# --- the value and its JSON -------------------------------------------------------------


def test_every_definition_field_and_option_round_trips_through_json():
    full = Definition(
        segments=("source", "signup"), converted="stage", customer_values=("won", "closed"),
        converted_date="won_on", id="id", contact_date="signup", window_days=90,
        as_of=date(2025, 6, 30), orders=OrdersJoin("id", "lead", "won_date"), top_k=5,
        bins=(("age", 4),), date_buckets=(("signup", "quarter"),), date_format="%d/%m/%Y",
        bands=Bands.custom(25, 12),
    )  # fmt: skip
    book = Notebook(
        "Q2 story",
        Dataset("B2B leads", "sample", "b2b"),
        (
            Cell("a1", "segments", "All of it", full, (("sort", "contacts"), ("share",
                 "contacts"), ("chart", "pie")), "note ✓", collapsed=True),
            Cell("a2", "note", "Section"),
        ),
    )  # fmt: skip
    assert from_json(to_json(book)) == book
    assert story() == from_json(to_json(story()))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(version=2), "newer version"),
        (lambda d: d.update(format="something-else"), "not a Conversion by Segment notebook"),
        (lambda d: d["cells"][1].update(kind="exec"), "unknown cell kind 'exec'"),
        (lambda d: d["cells"][1]["options"].update(sort="__import__('os')"), "option 'sort'"),
        (lambda d: d["cells"][1]["options"].update(evil=1), "no option 'evil'"),
        (lambda d: d["cells"][1]["definition"].update(window_days=-4), "window_days"),
        (lambda d: d["cells"][1]["definition"].update(segments="source"), "segments"),
        (lambda d: d["cells"][1].update(id="s1"), "same id"),
        (lambda d: d["cells"][0].update(definition={"segments": []}), "note cell"),
        (lambda d: d["cells"][1]["definition"].update(as_of="yesterday"), "YYYY-MM-DD"),
        (lambda d: d["cells"][1]["definition"]["bands"].update(name="custom", strong="x"), "bands"),
        (lambda d: d.update(dataset={"kind": "ftp"}), "dataset kind"),
    ],
)
def test_a_tampered_or_newer_notebook_is_refused_with_a_plain_message(change, message):
    document = json.loads(to_json(story()))
    change(document)
    with pytest.raises(InputError, match=re.escape(message)):
        from_json(json.dumps(document))


def test_a_file_that_is_not_json_says_so():
    with pytest.raises(InputError, match="not valid JSON"):
        from_json(b"\x80\x03cos\nsystem\n.", source="story.json")


# --- running it -----------------------------------------------------------------------------


def test_a_notebook_runs_on_a_file_with_hand_counted_numbers(tmp_path):
    rows = leads_rows()
    result = story().run(write_leads(tmp_path / "leads.csv", rows))
    assert result.problems == ()
    by_source = result.results[1]
    figures = by_source.figures
    assert (figures.contacts, figures.customers, figures.rate) == (125, 25, 0.2)
    # Best by the interval's lower bound: Referral 10/25; worst by the upper bound: Ads 3/60.
    assert (figures.best, figures.worst) == ("Referral", "Ads")
    table = by_source.counted.tables["counts"].sort("source")
    assert table.rows() == [("Ads", 60, 3), ("Referral", 25, 10), ("Webinar", 40, 12)]
    trend = result.results[3].counted.tables["cohorts"].sort("cohort")
    expected = months(rows)
    assert [(c.strftime("%Y-%m"), n, x) for c, n, x in trend.select(
        "cohort", "contacts", "customers").rows()] == [
        (m, expected[(m, "contacts")], expected[(m, "customers")])
        for m in ("2025-01", "2025-02", "2025-03")
    ]  # fmt: skip
    compared = result.results[4].shown.lines
    assert compared[0] == "Segment A, Referral: 40.0% (10/25)."
    assert compared[1] == "Segment B, Ads: 5.0% (3/60)."


def test_placeholders_fill_from_the_cell_itself_or_the_cell_above(tmp_path):
    result = story().run(write_leads(tmp_path / "leads.csv"))
    text = result.to_markdown()
    assert "Overall 20.0% of 125; best Referral (40.0%), worst Ads (5.0%)." in text
    assert "Above: 20.0%; {rate} is literal." in text
    # {above.customers} in the Compare cell: the trend cell above it counted 25 customers.
    assert "25 customers above" in text


def test_a_cell_whose_columns_are_gone_is_reported_and_the_others_still_run(tmp_path):
    rows = [{k: v for k, v in row.items() if k != "region"} for row in leads_rows()]
    result = story().run(write_leads(tmp_path / "next_month.csv", rows))
    assert result.problems == (
        "Cell 6 (By region): next_month.csv has no column 'region'; not computed.",
    )
    assert result.results[1].figures.customers == 25
    assert "Not computed: next_month.csv has no column" in result.to_html()


def test_as_of_replaces_every_cells_as_of_date(tmp_path):
    result = story().run(write_leads(tmp_path / "leads.csv"), as_of=date(2025, 12, 31))
    assert all(
        r.cell.definition.as_of == date(2025, 12, 31) for r in result.results if r.cell.definition
    )


def test_a_polars_frame_runs_as_a_file_does():
    frame = pl.DataFrame(leads_rows())
    result = conversion.Notebook(cells=story().cells[:2]).run(frame)
    assert result.results[1].figures.customers == 25


# --- notes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
        ("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))"),
        ("[x](JaVaScRiPt:alert(1))", r"\[x\](JaVaScRiPt:alert(1))"),
        ("[x](data:text/html,hi)", r"\[x\](data:text/html,hi)"),
        ("[x]: javascript:alert(1)", r"\[x\]: javascript:alert(1)"),
        ("<javascript:alert(1)>", r"\<javascript:alert(1)\>"),
        ("![p](https://t.example/p.png)", r"\!\[p\](https://t.example/p.png)"),
        (r"\<b>", r"\\\<b\>"),
        ("&lt;b&gt;", r"\&lt;b\&gt;"),
        ("[docs](https://example.com/a_b)", "[docs](https://example.com/a_b)"),
        ("**bold** and *it*", "**bold** and *it*"),
    ],
)
def test_notes_are_made_safe_before_markdown_renders_them(note, shown):
    assert notes.safe_markdown(note) == shown


def test_a_segment_name_filled_into_a_note_cannot_add_markup():
    figures = Figures(1, 1, 1.0, best="<b>[x](javascript:1)</b>", best_rate=0.5)
    assert notes.note_markdown("{best}", figures, None) == (
        r"\<b\>\[x\](javascript:1)\</b\> (50.0%)"
    )


def test_hostile_notes_are_literal_in_the_html_report_and_the_markdown(tmp_path):
    result = story(HOSTILE).run(write_leads(tmp_path / "leads.csv"))
    page = result.to_html()
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "href=" not in page.replace('href="#', "")  # only in-SVG references
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "[click](javascript:alert(document.cookie))" in page
    text = result.to_markdown()
    assert r"\<script\>" in text and r"\[click\](javascript:" in text
    assert "[fine](https://example.com/docs)" in text
    assert r"\!\[pixel\]" in text


def test_the_html_report_is_self_contained_with_a_chart_per_view(tmp_path):
    page = story().run(write_leads(tmp_path / "leads.csv")).to_html()
    assert page.count("<svg") >= 5  # two per Segments cell, one trend, one comparison
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "How the rows were counted" in page or "Method" in page
    assert "<h2>By source</h2>" in page and "Generated " in page


def test_the_json_figures_hold_every_cells_numbers(tmp_path):
    document = json.loads(story().run(write_leads(tmp_path / "leads.csv")).to_json())
    cells = {cell["id"]: cell for cell in document["cells"]}
    assert cells["c1"]["figures"]["customers"] == 25
    assert {r["segment"]: (r["customers"], r["contacts"]) for r in cells["c1"]["rows"]} == GROUPS
    assert cells["s1"]["computed"] is False and cells["s1"]["problem"] is None


# --- links --------------------------------------------------------------------------------


def test_a_link_carries_the_notebook_and_for_an_upload_only_counts(tmp_path):
    result = story().run(write_leads(tmp_path / "leads.csv"))
    counts = {r.cell.id: r.counted for r in result.results if r.counted is not None}
    plain, _ = link.decode(link.encode(story()))
    assert plain == story()
    book, carried = link.decode(link.encode(story(), counts))
    assert book == story()
    assert carried is not None
    assert carried["c1"].tables["counts"].equals(counts["c1"].tables["counts"])
    assert carried["c3"].tables["cohorts"].equals(counts["c3"].tables["cohorts"])
    # No row of the data travels: no id appears in the packed counts.
    packed_json = json.dumps({k: [t.to_dicts() for t in v.tables.values()] for k, v in
                              carried.items()}, default=str)  # fmt: skip
    assert "1000" not in packed_json and "1124" not in packed_json


@pytest.mark.parametrize(
    ("packed", "message"),
    [
        ("", "it is empty"),
        ("2.abc", "another version"),
        ("1.not-base64!!", "truncated or altered"),
        ("1." + "A" * 70_000, "longer than"),
    ],
)
def test_a_broken_notebook_link_says_what_is_wrong(packed, message):
    with pytest.raises(InputError, match=re.escape(message)):
        link.decode(packed)


def test_a_link_with_altered_counts_is_refused():
    import base64
    import zlib

    document = {
        "v": 1,
        "notebook": json.loads(to_json(story())),
        "counts": {"c1": {"tables": {"counts": {"columns": [["source", "text"], ["contacts",
                   "int"]], "rows": [["Ads", "many"]]}}}},
    }  # fmt: skip
    raw = zlib.compress(json.dumps(document).encode())
    packed = "1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")
    with pytest.raises(InputError, match="not a valid int"):
        link.decode(packed)


# --- the command and the API ----------------------------------------------------------------


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conversion", "notebook", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip


def test_the_command_writes_the_report_and_exits_1_for_a_changed_file(tmp_path):
    book = tmp_path / "story.json"
    book.write_text(to_json(story()), encoding="utf-8")
    leads = write_leads(tmp_path / "leads.csv")
    done = run_cli(book, "--data", leads, "--format", "json")
    assert done.returncode == 0, done.stderr
    numbers = {c["id"]: c for c in json.loads(done.stdout)["cells"]}
    assert {r["segment"]: (r["customers"], r["contacts"]) for r in numbers["c1"]["rows"]} == GROUPS
    report = tmp_path / "report.html"
    assert run_cli(book, "--data", leads, "--output", report).returncode == 0
    assert "Overall 20.0% of 125" in report.read_text(encoding="utf-8")
    # Next month's export lost the region column and gained 25 Ads leads, 5 of them customers.
    rows = [{k: v for k, v in r.items() if k != "region"} for r in leads_rows()]
    rows += [{"id": str(5000 + i), "source": "Ads", "signup": "2025-04-15",
              "converted": "Y" if i < 5 else "N"} for i in range(25)]  # fmt: skip
    changed = write_leads(tmp_path / "next.csv", rows)
    done = run_cli(book, "--data", changed, "--output", tmp_path / "next.md")
    assert done.returncode == 1
    assert "Cell 6 (By region): next.csv has no column 'region'" in done.stderr
    text = (tmp_path / "next.md").read_text(encoding="utf-8")
    assert "Overall 20.0% of 150" in text  # (25 + 5) / (125 + 25)
    assert "| Ads | 85 | 8 | 9.4% |" in text


@pytest.mark.parametrize("version", [2, 99])
def test_the_command_refuses_a_newer_or_tampered_notebook_with_exit_2(tmp_path, version):
    document = json.loads(to_json(story()))
    document["version"] = version
    book = tmp_path / "story.json"
    book.write_text(json.dumps(document), encoding="utf-8")
    done = run_cli(book, "--data", write_leads(tmp_path / "leads.csv"))
    assert done.returncode == 2
    assert done.stderr.startswith("conversion: story.json was written by a newer version")
    assert done.stderr.count("\n") == 1
    book.write_text(to_json(story()).replace('"segments"', '"segmentz"', 1), encoding="utf-8")
    done = run_cli(book, "--data", write_leads(tmp_path / "leads.csv"))
    assert done.returncode == 2 and "unknown cell kind 'segmentz'" in done.stderr


def test_the_python_api_loads_runs_and_renders(tmp_path):
    book = tmp_path / "story.json"
    book.write_text(to_json(story(HOSTILE)), encoding="utf-8")
    page = conversion.Notebook.load(book).run(write_leads(tmp_path / "leads.csv")).to_html()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()


# --- the bundled sample and a changed copy of it ----------------------------------------------


def web_counts(rows: list[dict[str, str]], column: str) -> dict[str, tuple[int, int]]:
    """(customers, sessions) per value of ``column``, counted in plain Python."""
    counts: Counter = Counter()
    for row in rows:
        counts[(row[column], "n")] += 1
        counts[(row[column], "x")] += row["revenue"] == "TRUE"
    return {v: (counts[(v, "x")], counts[(v, "n")]) for v, kind in counts if kind == "n"}


def test_the_command_on_the_web_sample_and_a_changed_copy_matches_plain_counts(tmp_path):
    import csv

    sample = ROOT / "sample_data" / "web_sessions.csv"
    with sample.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    web = Definition(segments=("visitor_type",), converted="revenue")
    book = Notebook(
        "Web review",
        Dataset("Web sessions", "sample", "web"),
        (
            Cell("v", "segments", "By visitor", web, note="{customers} of {contacts}"),
            Cell("w", "segments", "By weekend", web.with_changes(segments=("weekend",))),
        ),
    )
    path = tmp_path / "web.notebook.json"
    path.write_text(to_json(book), encoding="utf-8")
    done = run_cli(path, "--data", sample, "--format", "json")
    assert done.returncode == 0, done.stderr
    cells = json.loads(done.stdout)["cells"]
    got = {r["segment"]: (r["customers"], r["contacts"]) for r in cells[0]["rows"]}
    assert got == web_counts(rows, "visitor_type")
    assert cells[0]["figures"]["contacts"] == len(rows)
    # Next month's copy: the weekend column is gone and the first 500 sessions are dropped.
    changed = tmp_path / "web_next.csv"
    kept = rows[500:]
    with changed.open("w", encoding="utf-8", newline="") as handle:
        columns = [c for c in rows[0] if c != "weekend"]
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(kept)
    done = run_cli(path, "--data", changed, "--format", "json")
    assert done.returncode == 1
    assert "Cell 2 (By weekend): web_next.csv has no column 'weekend'" in done.stderr
    cells = json.loads(done.stdout)["cells"]
    got = {r["segment"]: (r["customers"], r["contacts"]) for r in cells[0]["rows"]}
    assert got == web_counts(kept, "visitor_type")
    assert cells[1]["computed"] is False and "weekend" in cells[1]["problem"]


def test_the_readme_notebook_command_runs_on_the_sample(tmp_path):
    report = tmp_path / "review.html"
    done = run_cli(
        ROOT / "examples" / "newsletter_review.notebook.json",
        "--data", ROOT / "sample_data" / "newsletter_signups.csv", "--output", report,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = report.read_text(encoding="utf-8")
    assert "Newsletter sign-ups: monthly review" in page and page.count("<svg") >= 4
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "conversion notebook examples/newsletter_review.notebook.json" in readme


def test_a_cell_built_without_options_gets_its_kinds_defaults_and_round_trips():
    cell = Cell("a1", "segments", "By source", DEFINITION)
    assert dict(cell.options) == {"sort": "lower_bound", "share": "customers", "chart": "donut",
                                  "aids": None, "margin": 5.0, "detect": 0.0}  # fmt: skip
    book = Notebook(cells=(cell,))
    assert from_json(to_json(book)) == book
    with pytest.raises(InputError, match="no option 'colour'"):
        Cell("a2", "segments", "By source", DEFINITION, (("colour", "red"),))


# --- the other Trends tabs ------------------------------------------------------------------

# ORACLES.md, "Time to convert (Kaplan–Meier)": days and whether the contact converted.
KM_DAYS = [2, 3, 3, 5, 8, 10, 12, 15, 20, 25, 30, 30]
KM_CONVERTED = [1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0]
KM_WITHIN = {7: 0.2592592593, 14: 0.4708994709, 30: 0.6472663139}


def test_a_time_to_convert_cell_reads_the_oracles_curve(tmp_path):
    from datetime import timedelta

    as_of = date(2025, 3, 31)
    lines = ["id,signup,bought"]
    for n, (days, converted) in enumerate(zip(KM_DAYS, KM_CONVERTED, strict=True)):
        # A converter bought ``days`` after signing up; anyone else was followed ``days`` days.
        signup = as_of - timedelta(days=60 if converted else days)
        bought = (signup + timedelta(days=days)).isoformat() if converted else ""
        lines.append(f"{n},{signup.isoformat()},{bought}")
    path = tmp_path / "signups.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    d = Definition(id="id", contact_date="signup", converted_date="bought", as_of=as_of)
    book = Notebook(cells=(Cell("t", "trend", "Time", d, (("tab", "time"),)),))
    result = book.run(path)
    assert result.problems == ()
    table = result.results[0].shown.tables[0][1]
    for days, expected in KM_WITHIN.items():
        assert table[f"Within {days} days %"][0] == pytest.approx(expected * 100, abs=1e-7)
    figures = result.results[0].figures
    assert (figures.contacts, figures.customers) == (12, sum(KM_CONVERTED))
    _, carried = link.decode(link.encode(book, {"t": result.results[0].counted}))
    assert carried["t"].tables["lags"].equals(result.results[0].counted.tables["lags"])


def test_a_why_did_it_move_cell_splits_the_change_between_the_two_latest_cohorts(tmp_path):
    rows = leads_rows()
    moved = Cell("m", "trend", "Moved", DEFINITION, (("tab", "moved"),))
    result = Notebook(cells=(moved,)).run(write_leads(tmp_path / "leads.csv", rows))
    assert result.problems == ()
    counts = months(rows)

    def rate(month: str) -> float:
        return counts[(month, "customers")] / counts[(month, "contacts")]

    change = (rate("2025-03") - rate("2025-02")) * 100
    line = result.results[0].shown.lines[0]
    assert line.startswith(f"From Feb 2025 to Mar 2025 the overall rate moved {change:+.1f} points")
    parts = result.results[0].shown.tables[0][1]
    total = parts.filter(pl.col("segment") == "(total)")
    assert total["Mix effect (pp)"][0] + total["Rate effect (pp)"][0] == pytest.approx(change)
    chosen = (("tab", "moved"), ("before", "2025-01-01"), ("after", "2025-02-01"))
    pinned = Cell("p", "trend", "Moved", DEFINITION, chosen)
    line = Notebook(cells=(pinned,)).run(tmp_path / "leads.csv").results[0].shown.lines[0]
    change = (rate("2025-02") - rate("2025-01")) * 100
    assert line.startswith(f"From Jan 2025 to Feb 2025 the overall rate moved {change:+.1f} points")


# --- properties ---------------------------------------------------------------------------


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_any_link_text_gives_a_notebook_or_a_plain_message(text):
    try:
        book, _ = link.decode(text)
    except InputError as error:
        assert str(error).startswith("This notebook link"), error
    else:
        assert isinstance(book, Notebook)


@settings(max_examples=200, deadline=None)
@given(document=JSON_VALUES, cell=JSON_VALUES)
def test_any_json_document_gives_a_notebook_or_a_plain_message(document, cell):
    from conversion.notebook.document import from_document

    base = json.loads(to_json(story()))
    base["cells"][1] = cell if isinstance(cell, dict) else base["cells"][1]
    for candidate in (document, base):
        try:
            book = from_document(candidate, source="the file")
        except InputError as error:
            assert "the file" in str(error), error
        else:
            assert isinstance(book, Notebook)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    leads=st.lists(
        st.tuples(st.sampled_from(["Ads", "Web", "Fair", "<b>x</b>"]), st.booleans()),
        min_size=1, max_size=60,
    )
)  # fmt: skip
def test_a_segments_cell_counts_as_a_plain_tally_does_and_its_link_keeps_them(leads):
    frame = pl.DataFrame(
        {"source": [s for s, _ in leads], "won": ["yes" if w else "no" for _, w in leads]}
    )
    d = Definition(segments=("source",), converted="won")
    book = Notebook(cells=(Cell("a", "segments", "By source", d, note="{customers}/{contacts}"),))
    result = book.run(frame)
    tally: Counter = Counter()
    for source, won in leads:
        tally[(source, "n")] += 1
        tally[(source, "x")] += won
    table = result.results[0].counted.tables["counts"]
    assert {r["source"]: (r["customers"], r["contacts"]) for r in table.iter_rows(named=True)} == {
        s: (tally[(s, "x")], tally[(s, "n")]) for s, kind in tally if kind == "n"
    }
    figures = result.results[0].figures
    assert (figures.customers, figures.contacts) == (sum(w for _, w in leads), len(leads))
    assert f"{figures.customers:,}/{len(leads):,}" in result.to_markdown()
    reopened, counts = link.decode(link.encode(book, {"a": result.results[0].counted}))
    assert reopened == book and counts["a"].tables["counts"].equals(table)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(segments=["source", "source"]), "chosen twice"),
        (lambda d: d.update(bands={"name": "custom", "strong": 0.1, "moderate": 0.3}), "Band"),
    ],
)
def test_a_definition_the_value_itself_refuses_names_the_file_and_cell(change, message):
    document = json.loads(to_json(story()))
    change(document["cells"][1]["definition"])
    with pytest.raises(InputError, match=r"^story\.json, cell 2: the definition: .*" + message):
        from_json(json.dumps(document), source="story.json")
