"""Any two date ranges (issue 21, item 1) and ``--top`` (item 2) for change and check.

Expected counts are tallied by hand on tables built here (rows on the edges of each range, one
id with rows in both), and a plain-Python reference of "earliest row decides, then filter by
date" checks the engine on random tables. Intervals and p-values are statsmodels' values pasted
as literals; ``conversion change`` and ``conversion check`` run as real processes.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conversion
from conversion.analysis import change
from conversion.counting import ranges
from conversion.counting.count import count
from conversion.counting.engine import OUTSIDE_DAYS
from conversion.counting.result import EXCLUSION
from conversion.definition import Definition
from conversion.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
MAY = (date(2025, 5, 1), date(2025, 5, 31))
JUNE_PART = (date(2025, 6, 3), date(2025, 6, 20))

# id, contact date, source, conversion date. The window is 30 days, the as-of date 2025-07-20.
EDGES = [
    ("a1", date(2025, 5, 1), "Ads", date(2025, 5, 5)),  # first day of May: in, customer
    ("a2", date(2025, 5, 31), "Ads", None),  # last day of May: in
    ("a3", date(2025, 4, 30), "Ads", date(2025, 5, 2)),  # the day before: out
    ("a4", date(2025, 6, 1), "Ads", None),  # between the ranges: out of both
    ("e1", date(2025, 6, 3), "Email", date(2025, 6, 10)),  # first day of the current: customer
    ("e2", date(2025, 6, 20), "Email", None),  # its last day: in
    ("e3", date(2025, 6, 21), "Email", date(2025, 6, 22)),  # the day after: out
    # One contact with rows in both ranges: its earliest row (10 May, Email) decides, so it is
    # May's, an Email contact, and a customer (converted 7 June, 28 days after 10 May).
    ("x", date(2025, 6, 5), "Ads", date(2025, 6, 7)),
    ("x", date(2025, 5, 10), "Email", None),
    ("e4", date(2025, 5, 15), "Email", date(2025, 7, 1)),  # 47 days: not within the window
]
DEFINITION = Definition(
    segments=("source",),
    id="id",
    contact_date="created",
    converted_date="won_on",
    window_days=30,
    as_of=date(2025, 7, 20),
)


def edges_frame() -> pl.DataFrame:
    return pl.DataFrame(EDGES, schema=["id", "created", "source", "won_on"], orient="row")


def test_each_range_counts_the_contacts_dated_in_it_edges_included() -> None:
    before, now = ranges.counts_between(edges_frame(), DEFINITION, None, MAY, JUNE_PART)
    # May: Ads a1 (customer) and a2; Email x (customer, its earliest row) and e4 (too late).
    assert before.table.sort("source").rows() == [("Ads", 2, 1), ("Email", 2, 1)]
    # 3-20 June: Email e1 (customer) and e2; x's June row is not a second contact.
    assert now.table.rows() == [("Email", 2, 1)]
    outside = before.excluded.filter(pl.col(EXCLUSION) == OUTSIDE_DAYS)
    assert outside.sort("source").select("source", "contacts").rows() == [
        ("Ads", 2),  # a3, a4
        ("Email", 3),  # e1, e2, e3
    ]
    table = change.period_change(before.table, now.table, ["source"]).sort("source")
    assert table.select("source", "previous_contacts", "current_contacts").rows() == [
        ("Ads", 2, 0),
        ("Email", 2, 2),
    ]
    email = table.row(1, named=True)
    # statsmodels: confint_proportions_2indep(1, 2, 1, 2, method="newcomb").
    assert (email["change_low"], email["change_high"]) == pytest.approx(
        (-0.5734194679697172, 0.5734194679697172)
    )


def test_a_range_whose_last_contacts_lack_their_window_is_refused() -> None:
    late = DEFINITION.with_changes(as_of=date(2025, 7, 19))
    with pytest.raises(InputError) as error:
        ranges.counts_between(edges_frame(), late, None, MAY, JUNE_PART)
    assert str(error.value) == (
        "The current dates 2025-06-03 to 2025-06-20 are not mature yet: contacts on 2025-06-20 "
        "have their full 30-day window only by 2025-07-20, after the as-of date 2025-07-19, so "
        "the rate would read low. End the range by 2025-06-19, or use a later as-of date."
    )
    # Ending a day earlier is mature: 19 June + 30 days = 19 July.
    earlier = (date(2025, 6, 3), date(2025, 6, 19))
    assert ranges.counts_between(edges_frame(), late, None, MAY, earlier)[1].table.rows() == [
        ("Email", 1, 1)
    ]


def test_a_range_without_contacts_and_unreadable_ranges_are_refused() -> None:
    empty = (date(2025, 3, 1), date(2025, 3, 31))
    with pytest.raises(InputError, match="previous dates 2025-03-01 to 2025-03-31 have no"):
        ranges.counts_between(edges_frame(), DEFINITION, None, empty, JUNE_PART)
    for current, previous, message in (
        ("2025-06-20..2025-06-03", None, "runs backwards"),
        ("2025-02-30", None, "'2025-02-30' is not a date"),
        ("2025-06-01..2025-06-30", "2025-05-15..2025-06-01", "must end before"),
        ("2025-06-01..2025-06-30", "2025-05", "both as dates"),
        (None, "2025-05-01..2025-05-31", "give the current dates too"),
    ):
        with pytest.raises(InputError, match=message):
            ranges.pick_days(current, previous)
    undated = DEFINITION.with_changes(contact_date=None, window_days=None)
    with pytest.raises(InputError, match="Comparing dates needs one row per contact"):
        ranges.counts_between(edges_frame(), undated, None, MAY, JUNE_PART)
    assert ranges.pick_days("2025-06-01..2025-06-30") == (
        (date(2025, 5, 2), date(2025, 5, 31)),
        (date(2025, 6, 1), date(2025, 6, 30)),
    )


@pytest.mark.parametrize("kind", ["duckdb", "postgresql"])
def test_ranges_count_the_same_on_a_database(kind: str, request: pytest.FixtureRequest) -> None:
    from engines import load

    extra = {"postgres": request.getfixturevalue("postgres")} if kind == "postgresql" else {}
    remote = load(kind, edges_frame(), "edges", **extra)
    want = ranges.counts_between(edges_frame(), DEFINITION, None, MAY, JUNE_PART)
    got = ranges.counts_between(remote, DEFINITION, None, MAY, JUNE_PART)
    for mine, theirs in zip(want, got, strict=True):
        assert theirs.table.to_dicts() == mine.table.to_dicts()
        assert theirs.excluded.to_dicts() == mine.excluded.to_dicts()
        assert theirs.quality == mine.quality


def reference(rows: list[tuple[str, date, str, bool]], days: tuple[date, date]) -> list[tuple]:
    """Plain Python: one contact per id, its earliest row's source (ties: the smallest), a
    customer if any row converted, kept when that earliest date falls in ``days``."""
    contacts: dict[str, list[tuple[date, str, bool]]] = {}
    for key, day, source, won in rows:
        contacts.setdefault(key, []).append((day, source, won))
    tally: dict[str, list[int]] = {}
    for found in contacts.values():
        day, source, _ = min(found)
        if days[0] <= day <= days[1]:
            counts = tally.setdefault(source, [0, 0])
            counts[0] += 1
            counts[1] += any(won for _, _, won in found)
    return sorted((source, n, c) for source, (n, c) in tally.items())


ROWS = st.lists(
    st.tuples(
        st.sampled_from(["i1", "i2", "i3", "i4", "i5", "i6"]),
        st.integers(0, 40).map(lambda d: date(2025, 5, 1) + timedelta(days=d)),
        st.sampled_from(["A", "B", "C"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, first=st.integers(0, 40), length=st.integers(0, 15))
def test_a_range_counts_like_a_plain_reference(rows: list, first: int, length: int) -> None:
    start = date(2025, 5, 1) + timedelta(days=first)
    days = (start, start + timedelta(days=length))
    frame = pl.DataFrame(rows, schema=["id", "created", "source", "won"], orient="row")
    frame = frame.with_columns(pl.col("won").cast(pl.String))
    definition = Definition(segments=("source",), id="id", contact_date="created",
                            converted="won", customer_values=("true",))  # fmt: skip
    expected = reference(rows, days)
    counted = count(frame, definition, contact_days=days)
    assert sorted(counted.table.filter(pl.col("contacts") > 0).rows()) == expected


def test_top_k_folds_the_same_segments_in_both_periods_by_hand() -> None:
    before = pl.DataFrame(
        {"s": ["A", "B", "C", "(missing)"], "contacts": [10, 1, 5, 2], "customers": [1, 0, 1, 1]}
    )
    after = pl.DataFrame({"s": ["A", "B", "D"], "contacts": [10, 9, 3], "customers": [2, 1, 0]})
    # Over both periods A has 20, B 10, C 5, D 3: the top two are A and B, in both periods, even
    # though C is second in the previous one alone. (missing) is never folded.
    table = change.period_change(before, after, ["s"], top_k=2).sort("s")
    assert table.select(
        "s", "previous_contacts", "previous_customers", "current_contacts", "current_customers"
    ).rows() == [
        ("(missing)", 2, 1, 0, 0),
        ("A", 10, 1, 10, 2),
        ("B", 1, 0, 9, 1),
        ("Other", 5, 1, 3, 0),
    ]
    assert change.period_change(before, after, ["s"], top_k=4).height == 5


def write_leads(path: Path, days: dict[tuple[str, date], tuple[int, int]]) -> Path:
    """One row per contact: (source, day) -> (contacts, customers) on that day."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created", "source", "converted"])
        number = 0
        for (source, day), (contacts, customers) in days.items():
            for i in range(contacts):
                number += 1
                writer.writerow(
                    [f"c{number}", day.isoformat(), source, "Y" if i < customers else "N"]
                )
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conversion", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )  # fmt: skip


FLAGS = ("--segment", "source", "--id", "id", "--contact-date", "created", "--converted",
         "converted")  # fmt: skip


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    # Edges: 1 and 31 May in the previous range, 30 April and 1 June outside; 3 and 20 June in
    # the current range, 2 and 21 June outside.
    return write_leads(
        tmp_path / "leads.csv",
        {("Email", date(2025, 4, 30)): (7, 7), ("Email", date(2025, 5, 1)): (50, 20),
         ("Email", date(2025, 5, 31)): (50, 10), ("Ads", date(2025, 5, 31)): (40, 4),
         ("Email", date(2025, 6, 1)): (9, 9), ("Email", date(2025, 6, 2)): (5, 5),
         ("Email", date(2025, 6, 3)): (60, 5), ("Email", date(2025, 6, 20)): (40, 5),
         ("Ads", date(2025, 6, 20)): (30, 3), ("Email", date(2025, 6, 21)): (8, 8)},
    )  # fmt: skip


def test_change_compares_two_date_ranges_through_the_command(leads: Path) -> None:
    dates = ("--current", "2025-06-03..2025-06-20", "--previous", "2025-05-01..2025-05-31")
    result = run("change", leads, *FLAGS, *dates, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = {row["source"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    email, ads = rows["Email"], rows["Ads"]
    assert [email[c] for c in ("previous_contacts", "previous_customers", "current_contacts",
                               "current_customers")] == ["100", "30", "100", "10"]  # fmt: skip
    assert [ads[c] for c in ("previous_contacts", "previous_customers", "current_contacts",
                             "current_customers")] == ["40", "4", "30", "3"]  # fmt: skip
    assert float(email["change_pp"]) == pytest.approx(-20.0)
    # statsmodels: confint_proportions_2indep(10, 100, 30, 100, method="newcomb").
    assert (float(email["change_ci_low_pp"]), float(email["change_ci_high_pp"])) == pytest.approx(
        (-30.578929058543936, -9.000209070489976), abs=1e-7
    )
    as_json = json.loads(run("change", leads, *FLAGS, *dates, "--format", "json").stdout)
    assert (as_json["period"], as_json["previous"], as_json["previous_end"]) == (
        "days", "2025-05-01", "2025-05-31",
    )  # fmt: skip
    assert (as_json["current"], as_json["current_end"]) == ("2025-06-03", "2025-06-20")
    text = run("change", leads, *FLAGS, *dates).stdout.splitlines()[0]
    assert "2025-05-01–2025-05-31" in text and "2025-06-03–2025-06-20" in text


def test_check_alerts_on_date_ranges_and_refuses_unusable_ones(leads: Path) -> None:
    dates = ("--current", "2025-06-03..2025-06-20", "--previous", "2025-05-01..2025-05-31")
    # Email fell 20 points, p = 0.000407 (proportions_ztest([10, 30], [100, 100])), and Ads
    # did not move: BH gives Email 0.000814 < 0.05.
    dropped = run("check", leads, *FLAGS, *dates, "--format", "json")
    assert dropped.returncode == 1, dropped.stderr
    document = json.loads(dropped.stdout)
    assert [s["source"] for s in document["segments"]] == ["Email"]
    assert document["segments"][0]["p_adjusted"] == pytest.approx(2 * 0.00040695201744495973)
    assert run("check", leads, *FLAGS, *dates, "--drop-pp", "21").returncode == 0
    # The default previous range is as many days just before: 16 May to 2 June.
    alone = json.loads(run("change", leads, *FLAGS, "--current", "2025-06-03..2025-06-20",
                           "--format", "json").stdout)  # fmt: skip
    assert (alone["previous"], alone["previous_end"]) == ("2025-05-16", "2025-06-02")
    email = next(s for s in alone["segments"] if s["source"] == "Email")
    assert (email["previous_contacts"], email["previous_customers"]) == (64, 24)
    window = ("--converted-date", "created", "--window-days", "30", "--as-of", "2025-07-10")
    late = run("check", leads, *FLAGS, *window, *dates)
    assert late.returncode == 2
    assert "not mature yet" in late.stderr and "End the range by 2025-06-10" in late.stderr
    mixed = run("change", leads, *FLAGS, "--current", "2025-06-03..2025-06-20", "--previous",
                "2025-05")  # fmt: skip
    assert mixed.returncode == 2 and "both as dates" in mixed.stderr


def test_top_folds_the_smaller_segments_as_other_in_both_periods(tmp_path: Path) -> None:
    path = write_leads(
        tmp_path / "leads.csv",
        {("Email", date(2025, 5, 2)): (100, 30), ("Ads", date(2025, 5, 2)): (20, 2),
         ("Social", date(2025, 5, 2)): (10, 1), ("Email", date(2025, 6, 2)): (100, 15),
         ("Ads", date(2025, 6, 2)): (5, 1), ("Social", date(2025, 6, 2)): (20, 2)},
    )  # fmt: skip
    months = ("--current", "2025-06", "--previous", "2025-05", "--format", "csv")
    result = run("change", path, *FLAGS, *months, "--top", "1")
    assert result.returncode == 0, result.stderr
    rows = {row["source"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert sorted(rows) == ["Email", "Other"]
    other = rows["Other"]
    # Ads and Social summed in each month: May 30 contacts, 3 customers; June 25, 3.
    assert [other[c] for c in ("previous_contacts", "previous_customers", "current_contacts",
                               "current_customers")] == ["30", "3", "25", "3"]  # fmt: skip
    # Over both months Ads has 25 contacts and Social 30: --top 2 keeps Social, not Ads,
    # although Ads is larger in May alone.
    two = run("change", path, *FLAGS, *months, "--top", "2")
    assert sorted(row["source"] for row in csv.DictReader(io.StringIO(two.stdout))) == [
        "Email", "Other", "Social",
    ]  # fmt: skip
    june, may = "2025-06-01..2025-06-30", "2025-05-01..2025-05-31"
    dates = run("check", path, *FLAGS, "--current", june, "--previous", may, "--top", "1",
                "--min-contacts", "0", "--format", "csv")  # fmt: skip
    assert sorted(row["source"] for row in csv.DictReader(io.StringIO(dates.stdout))) == ["Email"]


def test_the_notebook_compares_date_ranges_and_keeps_the_top_k(leads: Path) -> None:
    result = conversion.by_segment(
        leads, "source", id="id", contact_date="created", converted="converted"
    )
    table = result.change(current="2025-06-03..2025-06-20", previous="2025-05-01..2025-05-31")
    counts = table.sort("source").select(
        "source", "previous_contacts", "previous_customers", "current_contacts", "current_customers"
    )
    assert counts.rows() == [("Ads", 40, 4, 30, 3), ("Email", 100, 30, 100, 10)]
    top = conversion.by_segment(
        leads, "source", id="id", contact_date="created", converted="converted", top=1
    ).change(current="2025-06-03..2025-06-20", previous="2025-05-01..2025-05-31")
    # Email has 100 + 100 contacts, Ads 40 + 30: Ads is Other in both ranges.
    assert sorted(top["source"].to_list()) == ["Email", "Other"]


def test_a_contact_late_on_the_last_day_belongs_to_the_range() -> None:
    frame = pl.DataFrame(
        {
            "id": ["t1", "t2", "t3", "t4"],
            "created": [
                datetime(2025, 5, 1, 0, 0),  # the first moment of the range: in
                datetime(2025, 5, 31, 23, 59),  # the last minute of its last day: in
                datetime(2025, 6, 1, 0, 0),  # the next day: out
                datetime(2025, 4, 30, 23, 59),  # the day before: out
            ],
            "source": ["Ads", "Ads", "Ads", "Ads"],
            "won": ["Y", "N", "Y", "Y"],
        }
    )
    d = Definition(segments=("source",), id="id", contact_date="created", converted="won")
    assert count(frame, d, contact_days=MAY).table.rows() == [("Ads", 2, 1)]


def test_dates_spanning_whole_quarters_give_the_quarters_csv() -> None:
    # Two independent paths: cohorts per quarter, and contacts filtered by date. On the B2B
    # sample (ids, a 90-day window, an orders table) they must write the same CSV.
    flags = ("sample_data/b2b_leads.csv", "--segment", "lead_source", "--id", "lead_id",
             "--contact-date", "created", "--window-days", "90", "--orders",
             "sample_data/b2b_won_deals.csv", "--key", "lead_id", "--orders-date", "won_date",
             "--format", "csv")  # fmt: skip
    quarters = run("change", *flags, "--period", "quarter", "--current", "2024-Q3",
                   "--previous", "2024-Q2")  # fmt: skip
    dates = run("change", *flags, "--current", "2024-07-01..2024-09-30", "--previous",
                "2024-04-01..2024-06-30")  # fmt: skip
    assert quarters.returncode == 0 and dates.returncode == 0, dates.stderr
    assert dates.stdout == quarters.stdout
    assert len(quarters.stdout.splitlines()) > 2
