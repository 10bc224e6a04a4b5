"""The What changed cell of the notebook (issue 21, item 5): counts, figures, JSON, link, CLI.

Expected values: the hand-counted months of test_change_cli (Email 30/100 in May and 15/100 in
June, Ads 5/50 and 6/60), statsmodels' Newcombe interval and Benjamini–Hochberg value pasted
there as literals, and, on the B2B sample, the numbers ``conversion change --format json``
prints for the same comparison (run as its own process).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_change_cli import BH_EMAIL, JUNE, MAY, NEWCOMBE_EMAIL_PP, write_contacts

from conversion.definition import Definition, OrdersJoin
from conversion.errors import InputError
from conversion.notebook import Cell, Notebook, from_json, link, notes, running, to_json

ROOT = Path(__file__).resolve().parent.parent
B2B = ROOT / "sample_data" / "b2b_leads.csv"
WON = ROOT / "sample_data" / "b2b_won_deals.csv"
B2B_DEFINITION = Definition(
    segments=("lead_source",), id="lead_id", contact_date="created", window_days=90,
    orders=OrdersJoin("lead_id", None, "won_date"),
)  # fmt: skip
B2B_FLAGS = ("--segment", "lead_source", "--id", "lead_id", "--contact-date", "created",
             "--window-days", "90", "--orders", str(WON), "--key", "lead_id", "--orders-date",
             "won_date")  # fmt: skip
LEADS = Definition(segments=("source",), id="id", contact_date="created", converted="converted")


@pytest.fixture
def big_drop(tmp_path: Path) -> Path:
    return write_contacts(
        tmp_path / "leads.csv",
        {("Email", MAY): (100, 30), ("Ads", MAY): (50, 5),
         ("Email", JUNE): (100, 15), ("Ads", JUNE): (60, 6)},
    )  # fmt: skip


def change_cell(definition: Definition = LEADS, note: str = "", **options: str) -> Cell:
    return Cell("ch1", "change", "What changed", definition, tuple(options.items()), note)


def cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conversion", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )  # fmt: skip


def test_the_cell_counts_the_hand_counted_months_and_quotes_them(big_drop: Path) -> None:
    cell = change_cell(note="{rate} of {contacts}; fell most: {worst}; rose most: {best}")
    run = Notebook(cells=(cell,)).run(big_drop)
    assert run.problems == ()
    result = run.results[0]
    rows = {row["source"]: row for row in json.loads(run.to_json())["cells"][0]["rows"]}
    email, ads = rows["Email"], rows["Ads"]
    assert [email[k] for k in ("previous_contacts", "previous_customers", "current_contacts",
                               "current_customers")] == [100, 30, 100, 15]  # fmt: skip
    assert [ads[k] for k in ("previous_contacts", "current_contacts")] == [50, 60]
    assert email["change_pp"] == pytest.approx(-15.0)
    assert (email["change_ci_low_pp"], email["change_ci_high_pp"]) == pytest.approx(
        NEWCOMBE_EMAIL_PP, abs=1e-7
    )
    assert email["p_adjusted"] == pytest.approx(BH_EMAIL, rel=1e-6)
    assert email["driver_rank"] == 1
    # June overall: 21 customers of 160 contacts; only Email moved (down 15 points).
    figures = result.figures
    assert figures is not None
    assert (figures.contacts, figures.customers) == (160, 21)
    assert figures.rate == pytest.approx(21 / 160)
    assert (figures.best, figures.worst) == (None, "Email")
    text = notes.note_text(cell.note, figures, None)
    assert text == "13.1% of 160; fell most: Email (-15.0 pp); rose most: –"
    assert result.counted is not None
    assert set(result.counted.tables) == {"previous", "current", "periods"}
    periods = result.counted.tables["periods"].rows()
    assert periods == [("previous", MAY, MAY), ("current", JUNE, JUNE)]


def test_named_periods_and_date_ranges_count_the_same_contacts(big_drop: Path) -> None:
    by_month = change_cell(period="month", previous="2025-05", current="2025-06")
    by_days = change_cell(previous="2025-05-01..2025-05-31", current="2025-06-01..2025-06-30")
    run = Notebook(cells=(by_month, replace_id(by_days, "ch2"))).run(big_drop)
    assert run.problems == ()
    document = json.loads(run.to_json())
    assert document["cells"][0]["rows"] == document["cells"][1]["rows"]
    markdown = run.to_markdown()
    # Overall 35/150 in May, 21/160 in June.
    assert "- May 2025 → Jun 2025: the overall rate went from 23.3% to 13.1% (-10.2 pp)." in (
        markdown
    )
    assert "- 2025-05-01–2025-05-31 → 2025-06-01–2025-06-30: the overall rate went" in markdown


def replace_id(cell: Cell, new: str) -> Cell:
    return Cell(new, cell.kind, cell.title, cell.definition, cell.options, cell.note)


def test_a_period_not_in_the_data_or_not_mature_is_not_computed(big_drop: Path) -> None:
    absent = change_cell(period="month", current="2024-01")
    # As of 15 June, June is not over: not mature.
    immature = replace_id(
        change_cell(LEADS.with_changes(as_of=date(2025, 6, 15)), current="2025-06"), "ch2"
    )
    run = Notebook(cells=(absent, immature)).run(big_drop)
    assert len(run.problems) == 2
    assert run.problems[0].startswith("Cell 1 (What changed): The month starting 2023-12-01")
    assert run.problems[1].startswith("Cell 2 (What changed): The month starting 2025-06-01 is "
                                      "not mature yet")  # fmt: skip
    assert json.loads(run.to_json())["cells"][0]["computed"] is False


def test_the_notebook_json_round_trips_a_change_cell() -> None:
    cell = change_cell(period="quarter", previous="2024-Q2", current="2024-Q3")
    book = Notebook(title="Review", cells=(cell,))
    assert from_json(to_json(book)) == book
    assert json.loads(to_json(book))["cells"][0]["options"] == {
        "period": "quarter", "previous": "2024-Q2", "current": "2024-Q3"
    }  # fmt: skip
    with pytest.raises(Exception, match="must be one of month"):
        change_cell(period="fortnight")


def test_a_snapshot_link_carries_the_two_periods_counts_only(big_drop: Path) -> None:
    book = Notebook(cells=(change_cell(),))
    run = book.run(big_drop)
    counts = {r.cell.id: r.counted for r in run.results if r.counted is not None}
    back, carried = link.decode(link.encode(book, counts))
    assert carried is not None and back == book
    tables = carried["ch1"].tables
    assert set(tables) == {"previous", "current", "periods"}
    assert tables["previous"].sort("source").rows() == [("Ads", 50, 5), ("Email", 100, 30)]
    assert tables["current"].sort("source").rows() == [("Ads", 60, 6), ("Email", 100, 15)]
    again = running.from_counts(back, carried, "snapshot")
    assert again.to_json().split('"cells"')[1] == run.to_json().split('"cells"')[1]


def test_top_k_folds_the_same_segments_in_both_periods(tmp_path: Path) -> None:
    path = write_contacts(
        tmp_path / "leads.csv",
        {("Email", MAY): (100, 30), ("Ads", MAY): (50, 5), ("Events", MAY): (10, 1),
         ("Email", JUNE): (100, 15), ("Ads", JUNE): (60, 6), ("Events", JUNE): (5, 2)},
    )  # fmt: skip
    cell = change_cell(LEADS.with_changes(top_k=1))
    tables = Notebook(cells=(cell,)).run(path).results[0].counted.tables  # type: ignore[union-attr]
    # Email is the largest over both months; Ads and Events are summed as Other in both.
    assert tables["previous"].sort("source").rows() == [("Email", 100, 30), ("Other", 60, 6)]
    assert tables["current"].sort("source").rows() == [("Email", 100, 15), ("Other", 65, 8)]


def test_the_command_renders_the_cell_with_the_numbers_of_conversion_change(
    tmp_path: Path,
) -> None:
    cells = (
        Cell("q", "change", "By quarter", B2B_DEFINITION, (("period", "quarter"),)),
        Cell("d", "change", "By dates", B2B_DEFINITION,
             (("previous", "2024-04-01..2024-06-15"), ("current", "2024-07-01..2024-09-15"))),
    )  # fmt: skip
    path = tmp_path / "review.notebook.json"
    path.write_text(to_json(Notebook(cells=cells)), encoding="utf-8")
    result = cli("notebook", path, "--data", B2B, "--orders", WON, "--format", "json")
    assert result.returncode == 0, result.stderr
    rendered = {cell["id"]: cell["rows"] for cell in json.loads(result.stdout)["cells"]}
    quarter = cli("change", B2B, *B2B_FLAGS, "--period", "quarter", "--format", "json")
    days = cli("change", B2B, *B2B_FLAGS, "--previous", "2024-04-01..2024-06-15", "--current",
               "2024-07-01..2024-09-15", "--format", "json")  # fmt: skip
    assert quarter.returncode == days.returncode == 0, quarter.stderr + days.stderr
    assert rendered["q"] == json.loads(quarter.stdout)["segments"]
    assert rendered["d"] == json.loads(days.stdout)["segments"]
    assert json.loads(quarter.stdout)["current"] == "2024-07-01"  # Q3 2024 against Q2
    html = tmp_path / "review.html"
    assert cli("notebook", path, "--data", B2B, "--orders", WON, "--output", html).returncode == 0
    page = html.read_text(encoding="utf-8")
    assert "2024 Q2" in page and "2024 Q3" in page and "<svg" in page


def test_the_command_exits_1_naming_a_cell_whose_period_is_not_in_the_data(
    tmp_path: Path,
) -> None:
    cells = (Cell("q", "change", "Next year", B2B_DEFINITION,
                  (("period", "quarter"), ("current", "2026-Q1"))),)  # fmt: skip
    path = tmp_path / "review.notebook.json"
    path.write_text(to_json(Notebook(cells=cells)), encoding="utf-8")
    result = cli("notebook", path, "--data", B2B, "--orders", WON, "--output", tmp_path / "r.md")
    assert result.returncode == 1
    assert "cell not computed: Cell 1 (Next year): The quarter starting 2025-10-01" in (
        result.stderr
    )
    assert "Not computed:" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_the_periods_names_read_back_as_the_command_line_writes_them() -> None:
    from conversion.counting.periods import parse_period, period_text
    from conversion.counting.ranges import days_text, parse_days

    for start, period in ((date(2025, 6, 1), "month"), (date(2025, 4, 1), "quarter"),
                          (date(2025, 6, 2), "week"), (date(2025, 1, 1), "year")):  # fmt: skip
        assert parse_period(period_text(start, period), period) == start  # type: ignore[arg-type]
    days = (date(2025, 6, 3), date(2025, 6, 20))
    assert parse_days(days_text(days)) == days


def test_aid_options_are_checked_when_a_notebook_is_read() -> None:
    definition = Definition(segments=("source",))
    cell = Cell("s1", "segments", "By source", definition,
                (("aids", "sure+leads"), ("margin", 2.5), ("detect", -3)))  # fmt: skip
    assert dict(cell.options)["detect"] == -3.0
    book = Notebook(cells=(cell,))
    assert from_json(to_json(book)) == book
    for name, value in (("margin", 40), ("margin", True), ("detect", "5"), ("aids", "all")):
        document = json.loads(to_json(book))
        document["cells"][0]["options"][name] = value
        with pytest.raises(InputError, match=f"option '{name}' must be"):
            from_json(json.dumps(document))


TALLY = st.dictionaries(
    st.tuples(st.sampled_from(["Ads", "Email", "Events", "Web"]), st.sampled_from([MAY, JUNE])),
    st.tuples(st.integers(0, 25), st.integers(0, 25)).map(lambda p: (max(p), min(p))),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tally=TALLY)
def test_a_change_cell_on_random_months_counts_as_a_plain_tally(
    tally: dict[tuple[str, date], tuple[int, int]],
) -> None:
    """Any contacts per source and month: the cell's rows are the plain per-month tallies."""
    months = {month for (_, month), (contacts, _) in tally.items() if contacts}
    assume(months == {MAY, JUNE})
    rows = [
        {"id": f"{source}{month.month}-{i}", "created": month + timedelta(days=i % 28),
         "source": source, "converted": "Y" if i < customers else "N"}
        for (source, month), (contacts, customers) in tally.items()
        for i in range(contacts)
    ]  # fmt: skip
    # As of 1 July both months are over; without a window every contact is mature.
    cell = change_cell(LEADS.with_changes(as_of=date(2025, 7, 1)))
    run = Notebook(cells=(cell,)).run(pl.DataFrame(rows))
    assert run.problems == ()
    found = {r["source"]: r for r in json.loads(run.to_json())["cells"][0]["rows"]}
    expected = {source for (source, _), (contacts, _) in tally.items() if contacts}
    assert set(found) == expected
    for source, row in found.items():
        before = tally.get((source, MAY), (0, 0))
        after = tally.get((source, JUNE), (0, 0))
        assert (row["previous_contacts"], row["previous_customers"]) == before
        assert (row["current_contacts"], row["current_customers"]) == after
        if before[0] and after[0]:
            plain = after[1] / after[0] - before[1] / before[0]
            assert row["change_pp"] == pytest.approx(100 * plain, abs=1e-9)
            assert row["change_ci_low_pp"] <= row["change_pp"] <= row["change_ci_high_pp"]
        else:
            assert row["change_pp"] is None
    contacts = sum(c for (_, m), (c, _) in tally.items() if m == JUNE)
    customers = sum(k for (_, m), (_, k) in tally.items() if m == JUNE)
    figures = run.results[0].figures
    assert figures is not None and (figures.contacts, figures.customers) == (contacts, customers)
