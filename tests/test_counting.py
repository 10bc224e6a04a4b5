"""Tests for conversion.counting: hand counts, a plain-Python reference and the bundled samples.

Every expected number comes from outside the engine: written out by hand in the test, from the
README of the samples, or from ``tests/reference.py`` (dicts and loops, no polars).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversion.counting import EXCLUSION, cohorts, count
from conversion.definition import Definition, OrdersJoin
from conversion.errors import InputError
from tests.reference import Row, reference_counts

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


def frame(columns: dict[str, list]) -> pl.LazyFrame:
    """A contacts table with every column as text, as most exports arrive."""
    return pl.LazyFrame(columns, schema=dict.fromkeys(columns, pl.String))


def rows_of(columns: dict[str, list]) -> list[Row]:
    """The same table as a list of row dicts, for the reference."""
    names = list(columns)
    height = len(columns[names[0]]) if names else 0
    return [{name: columns[name][i] for name in names} for i in range(height)]


def cells(counts) -> dict[tuple[str, ...], tuple[int, int]]:
    """The engine's table as {segment values: (contacts, customers)}."""
    segments = list(counts.definition.segments)
    return {
        tuple(row[:-2]): (row[-2], row[-1])
        for row in counts.table.select(*segments, "contacts", "customers").iter_rows()
    }


def expected_cells(reference) -> dict[tuple[str, ...], tuple[int, int]]:
    return {key: (n, customers) for key, (n, customers) in reference.table.items()}


def read_sample(name: str) -> list[Row]:
    with (SAMPLES / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def scan_sample(name: str) -> pl.LazyFrame:
    return pl.scan_csv(SAMPLES / name, infer_schema=False)


def iso(start: date, days: int) -> str:
    return (start + timedelta(days=days)).isoformat()


JAN1 = date(2025, 1, 1)

# ---------------------------------------------------------------------------------------------
# 1. The metric's own worked example


def test_worked_example_500_of_1000_signups_buying_within_three_months_is_50_percent():
    # 1,000 sign-ups spread over January 2025. The first 500 buy 0–90 days later, the next 200
    # buy 91–120 days later (outside the window), the last 300 never buy.
    signed, bought = [], []
    for i in range(1000):
        signup = JAN1 + timedelta(days=i % 31)
        signed.append(signup.isoformat())
        if i < 500:
            bought.append((signup + timedelta(days=i % 91)).isoformat())
        elif i < 700:
            bought.append((signup + timedelta(days=91 + i % 30)).isoformat())
        else:
            bought.append(None)
    contacts = frame({"list": ["newsletter"] * 1000, "signed": signed, "bought": bought})
    definition = Definition(
        segments=("list",),
        contact_date="signed",
        converted_date="bought",
        window_days=90,
        as_of=date(2025, 6, 30),
    )
    counts = count(contacts, definition)
    assert counts.table.rows() == [("newsletter", 1000, 500)]
    assert counts.customers / counts.contacts == 0.5
    assert counts.quality.immature == 0
    assert counts.quality.outside_window == 200


def one_contact_with_lag(lag_days: int) -> pl.LazyFrame:
    return frame({"list": ["n"], "signed": ["2025-01-01"], "bought": [iso(JAN1, lag_days)]})


WINDOW_90 = Definition(
    segments=("list",),
    contact_date="signed",
    converted_date="bought",
    window_days=90,
    as_of=date(2025, 12, 31),
)


@pytest.mark.parametrize(
    ("lag_days", "customers"),
    [(91, 0), (90, 1), (0, 1), (-1, 0)],
    ids=["91-days-out", "90-days-in", "same-day-in", "day-before-out"],
)
def test_purchase_counts_only_within_0_to_90_days_of_signup(lag_days, customers):
    counts = count(one_contact_with_lag(lag_days), WINDOW_90)
    assert counts.table.rows() == [("n", 1, customers)]


def test_purchase_one_day_before_signup_is_a_negative_lag():
    counts = count(one_contact_with_lag(-1), WINDOW_90)
    assert counts.quality.negative_lags == 1
    assert any("converted before" in w and "data-quality" in w for w in counts.warnings)


def test_purchase_on_or_after_signup_is_not_a_negative_lag():
    assert count(one_contact_with_lag(0), WINDOW_90).quality.negative_lags == 0


@pytest.mark.parametrize(
    ("bought", "customers"),
    [("2025-04-01 00:01", 1), ("2025-04-02 00:00", 0)],
    ids=["90-calendar-days", "91-calendar-days"],
)
def test_lag_counts_calendar_days_ignoring_time_of_day(bought, customers):
    # 23:59 on 1 January to 00:01 on 1 April is 89 days and 2 minutes, but 90 calendar days.
    contacts = frame({"list": ["n"], "signed": ["2025-01-01 23:59"], "bought": [bought]})
    assert count(contacts, WINDOW_90).table.rows() == [("n", 1, customers)]


# ---------------------------------------------------------------------------------------------
# 2. Hand-counted small tables

ID_TABLE = {
    "id": ["a", "a", "b", "b", " c", "c", "", None],
    "source": ["Ads", "Web", "Ads", "Ads", "Web", "Ads", "Web", "Ads"],
    "signed": [
        "2025-01-05",
        "2025-01-02",
        "2025-01-01",
        "2025-01-03",
        None,
        "2025-01-04",
        "2025-01-01",
        "2025-01-01",
    ],
    "won": ["N", "Y", "N", "N", "N", "Y", "Y", "Y"],
}


def test_duplicate_ids_take_segments_from_the_earliest_row_and_convert_if_any_row_did():
    # a: earliest row (01-02) is Web, one row Y -> Web customer.
    # b: both Ads, both N -> Ads non-customer.
    # c (" c" trimmed): the dated row (01-04, Ads) beats the undated one; one row Y -> customer.
    definition = Definition(segments=("source",), converted="won", id="id", contact_date="signed")
    counts = count(frame(ID_TABLE), definition)
    assert counts.table.rows() == [("Ads", 2, 1), ("Web", 1, 1)]
    reversed_table = {column: values[::-1] for column, values in ID_TABLE.items()}
    assert count(frame(reversed_table), definition).table.rows() == [("Ads", 2, 1), ("Web", 1, 1)]


def with_ids_only(table: dict[str, list]) -> dict[str, list]:
    """The table without its last two rows, the ones with an empty id."""
    return {name: values[:-2] for name, values in table.items()}


def test_duplicate_ids_report_conflicts_and_duplicates():
    definition = Definition(segments=("source",), converted="won", id="id", contact_date="signed")
    quality = count(frame(with_ids_only(ID_TABLE)), definition).quality
    assert quality.segment_conflicts == 2  # a and c
    assert quality.flag_conflicts == 2  # a and c
    assert quality.duplicate_rows == 3  # second rows of a, b and c
    assert quality.contacts == 3


def test_rows_without_an_id_are_left_out_and_counted_as_rows():
    definition = Definition(segments=("source",), converted="won", id="id", contact_date="signed")
    counts = count(frame(ID_TABLE), definition)
    assert counts.quality.missing_ids == 2
    assert counts.contacts == 3
    assert any("no value in the id column 'id'" in w for w in counts.warnings)


def test_rows_without_an_id_are_not_reported_as_a_segment_conflict():
    # The two rows without an id (Web and Ads) are no contact at all; only a and c conflict.
    definition = Definition(segments=("source",), converted="won", id="id", contact_date="signed")
    assert count(frame(ID_TABLE), definition).quality.segment_conflicts == 2


def test_rows_without_an_id_do_not_make_up_a_negative_lag():
    # Neither row converted before its own contact date (one has no conversion, the other no
    # contact date), and neither is a contact.
    contacts = frame(
        {
            "id": ["a", "", ""],
            "source": ["Ads", "Ads", "Ads"],
            "signed": ["2025-01-01", "2025-01-10", None],
            "bought": [None, None, "2025-01-05"],
        }
    )
    definition = Definition(
        segments=("source",), id="id", contact_date="signed", converted_date="bought"
    )
    assert count(contacts, definition).quality.negative_lags == 0


def test_a_row_with_an_earlier_date_never_lowers_the_default_as_of():
    definition = Definition(
        segments=("source",),
        id="id",
        contact_date="signed",
        converted_date="bought",
        window_days=30,
    )
    columns = {
        "id": ["a", ""],
        "source": ["Ads", "Ads"],
        "signed": ["2025-01-01", "2025-03-20"],
        "bought": ["2025-03-10", None],
    }
    before = count(frame(columns), definition).quality.as_of
    more = {
        name: [*values, extra]
        for (name, values), extra in zip(
            columns.items(), ["", "Ads", "2025-01-02", None], strict=True
        )
    }
    after = count(frame(more), definition).quality.as_of
    assert after >= before


def test_without_a_contact_date_the_smallest_segment_values_win_whatever_the_row_order():
    # a: Ads and Web -> Ads; c: Web and Ads -> Ads. Reversing the rows changes nothing.
    definition = Definition(segments=("source",), converted="won", id="id")
    counts = count(frame(ID_TABLE), definition)
    assert counts.table.rows() == [("Ads", 3, 2)]
    reversed_table = {column: values[::-1] for column, values in ID_TABLE.items()}
    assert count(frame(reversed_table), definition).table.rows() == [("Ads", 3, 2)]


def test_without_an_id_every_row_is_a_contact():
    counts = count(frame(ID_TABLE), Definition(segments=("source",), converted="won"))
    assert counts.table.rows() == [("Ads", 5, 2), ("Web", 3, 2)]


def test_empty_and_null_segment_values_form_the_missing_segment():
    contacts = frame({"region": ["EU", "", None, "EU", "US"], "won": ["y", "y", "n", "n", "n"]})
    counts = count(contacts, Definition(segments=("region",), converted="won"))
    assert counts.table.rows() == [("(missing)", 2, 1), ("EU", 2, 1), ("US", 1, 0)]


def test_top_k_keeps_the_biggest_values_folds_the_rest_into_other_and_keeps_missing():
    # A 5 (3 customers), B 3 (1), C 3 (2), D 1 (1), missing 4 (0). K = 2: A and B (B beats C on
    # the tie by name); C and D become Other (4 contacts, 3 customers); (missing) stays.
    values = ["A"] * 5 + ["B"] * 3 + ["C"] * 3 + ["D"] + [None] * 4
    won = ["y", "y", "y", "n", "n"] + ["y", "n", "n"] + ["y", "y", "n"] + ["y"] + ["n"] * 4
    counts = count(
        frame({"source": values, "won": won}),
        Definition(segments=("source",), converted="won", top_k=2),
    )
    assert cells(counts) == {
        ("A",): (5, 3),
        ("B",): (3, 1),
        ("Other",): (4, 3),
        ("(missing)",): (4, 0),
    }


def test_top_k_larger_than_the_number_of_values_changes_nothing():
    contacts = frame({"source": ["A", "B", "B"], "won": ["y", "n", "y"]})
    counts = count(contacts, Definition(segments=("source",), converted="won", top_k=5))
    assert counts.table.rows() == [("A", 1, 1), ("B", 2, 1)]


def test_two_segment_columns_give_a_cross_breakdown():
    contacts = frame(
        {
            "source": ["Ads", "Ads", "Ads", "Web", "Web", "Web"],
            "device": ["Mobile", "Mobile", "Desktop", "Desktop", "Desktop", None],
            "won": ["y", "n", "y", "n", "n", "y"],
        }
    )
    counts = count(contacts, Definition(segments=("source", "device"), converted="won"))
    assert counts.table.rows() == [
        ("Ads", "Desktop", 1, 1),
        ("Ads", "Mobile", 2, 1),
        ("Web", "(missing)", 1, 1),
        ("Web", "Desktop", 2, 0),
    ]


MATURITY_TABLE = {
    "source": ["A", "A", "B", "B", "B"],
    "signed": ["2025-01-01", "2025-02-01", "2025-03-01", "2025-03-02", None],
    "bought": ["2025-01-10", None, "2025-03-15", None, "2025-01-01"],
}


def test_explicit_as_of_excludes_contacts_whose_window_is_not_over():
    # as-of 03-31, window 30: cutoff 03-01. 03-01 is mature (not after the cutoff), 03-02 is not.
    definition = Definition(
        segments=("source",),
        contact_date="signed",
        converted_date="bought",
        window_days=30,
        as_of=date(2025, 3, 31),
    )
    counts = count(frame(MATURITY_TABLE), definition)
    assert counts.table.rows() == [("A", 2, 1), ("B", 1, 1)]
    assert counts.quality.immature == 1
    assert counts.quality.missing_contact_dates == 1
    assert counts.quality.as_of == date(2025, 3, 31)


def test_default_as_of_is_the_latest_contact_or_conversion_date():
    # Latest date: 03-15 (a conversion). Cutoff 02-13: 03-01 and 03-02 are immature.
    definition = Definition(
        segments=("source",), contact_date="signed", converted_date="bought", window_days=30
    )
    counts = count(frame(MATURITY_TABLE), definition)
    assert counts.quality.as_of == date(2025, 3, 15)
    assert counts.table.rows() == [("A", 2, 1)]
    assert counts.quality.immature == 2


def test_immature_contacts_are_reported_not_counted_as_non_customers():
    definition = Definition(
        segments=("source",), contact_date="signed", converted_date="bought", window_days=30
    )
    counts = count(frame(MATURITY_TABLE), definition)
    excluded = dict(
        ((s, status), n)
        for s, status, n in counts.excluded.select("source", EXCLUSION, "contacts").iter_rows()
    )
    assert excluded == {("B", "immature"): 2, ("B", "no contact date"): 1}
    assert any(
        "30-day window" in w and "not counted as non-customers" in w for w in counts.warnings
    )


def test_a_conversion_date_column_without_a_window_counts_every_non_empty_date():
    counts = count(frame(MATURITY_TABLE), Definition(segments=("source",), converted_date="bought"))
    assert counts.table.rows() == [("A", 2, 1), ("B", 3, 2)]


def test_a_flag_with_a_window_needs_both_a_true_flag_and_a_timely_date():
    contacts = frame(
        {
            "s": ["x", "x", "x", "x"],
            "signed": ["2025-01-01"] * 4,
            "bought": ["2025-01-05", "2025-01-05", None, "2025-03-01"],
            "won": ["Y", "N", "Y", "Y"],
        }
    )
    definition = Definition(
        segments=("s",),
        converted="won",
        contact_date="signed",
        converted_date="bought",
        window_days=30,
        as_of=date(2025, 6, 1),
    )
    assert count(contacts, definition).table.rows() == [("x", 4, 1)]


LEADS = {
    "lead": ["k1", "k2", "k3", "k4", "k5"],
    "source": ["Ads", "Ads", "Web", "Web", "Web"],
    "created": ["2025-01-01"] * 5,
}
DEALS = {
    "lead": ["k1", "k1", "k3", "k4", "k9", "", None],
    "won_on": [
        "2024-12-20",  # k1: before the lead was created
        "2025-01-10",  # k1: 9 days after
        "2024-12-31",  # k3: only an order before the lead
        "2025-03-01",  # k4: 59 days after
        "2025-06-01",  # orphan
        "2025-01-02",
        "2025-01-02",
    ],
}


def test_orders_without_a_date_make_every_matched_key_a_customer_and_ignore_orphans():
    definition = Definition(segments=("source",), orders=OrdersJoin("lead"))
    counts = count(frame(LEADS), definition, frame(DEALS))
    # k1 (two orders, counted once) in Ads; k3 and k4 in Web. k9 is an orphan.
    assert counts.table.rows() == [("Ads", 2, 1), ("Web", 3, 2)]


def test_orders_key_may_have_another_name_in_the_orders_table():
    deals = frame({"lead_ref": DEALS["lead"], "won_on": DEALS["won_on"]})
    definition = Definition(segments=("source",), orders=OrdersJoin("lead", orders_key="lead_ref"))
    assert count(frame(LEADS), definition, deals).table.rows() == [("Ads", 2, 1), ("Web", 3, 2)]


def test_dated_orders_count_the_first_order_on_or_after_the_contact_date_within_the_window():
    # Window 30: k1's order 9 days after counts (the one before is ignored); k3's only order is
    # before the lead (negative lag); k4's is 59 days after (outside).
    definition = Definition(
        segments=("source",),
        contact_date="created",
        orders=OrdersJoin("lead", orders_date="won_on"),
        window_days=30,
    )
    counts = count(frame(LEADS), definition, frame(DEALS))
    assert counts.table.rows() == [("Ads", 2, 1), ("Web", 3, 0)]
    assert counts.quality.negative_lags == 1
    assert counts.quality.outside_window == 1


def test_default_as_of_with_orders_ignores_orphan_and_pre_contact_orders():
    definition = Definition(
        segments=("source",),
        contact_date="created",
        orders=OrdersJoin("lead", orders_date="won_on"),
        window_days=30,
    )
    counts = count(frame(LEADS), definition, frame(DEALS))
    assert counts.quality.as_of == date(2025, 3, 1)  # k4's order, not the orphan's 06-01


def test_two_orders_for_one_key_the_earliest_on_or_after_the_contact_date_counts():
    leads = frame({"lead": ["k1"], "source": ["Ads"], "created": ["2025-01-01"]})
    deals = frame({"lead": ["k1", "k1"], "won_on": ["2025-02-20", "2025-01-05"]})
    definition = Definition(
        segments=("source",),
        contact_date="created",
        orders=OrdersJoin("lead", orders_date="won_on"),
        window_days=10,
        as_of=date(2025, 6, 1),
    )
    assert count(leads, definition, deals).table.rows() == [("Ads", 1, 1)]


BUCKET_DATES = ["2025-01-05", "2025-01-06", "2025-03-31", "2025-04-01", "2024-12-31"]


@pytest.mark.parametrize(
    ("bucket", "labels"),
    [
        ("month", {"2025-01": 2, "2025-03": 1, "2025-04": 1, "2024-12": 1}),
        # 2025-01-05 is a Sunday: its week starts on Monday 2024-12-30, as does 2024-12-31's;
        # 2025-03-31 is a Monday, and 2025-04-01 is in its week.
        ("week", {"2024-12-30": 2, "2025-01-06": 1, "2025-03-31": 2}),
        ("quarter", {"2025-Q1": 3, "2025-Q2": 1, "2024-Q4": 1}),
        ("year", {"2025": 4, "2024": 1}),
    ],
)
def test_date_buckets_label_each_period(bucket, labels):
    contacts = frame({"signed": BUCKET_DATES, "won": ["y"] * 5})
    definition = Definition(
        segments=("signed",), converted="won", date_buckets=(("signed", bucket),)
    )
    counts = count(contacts, definition)
    assert dict(counts.table.select("signed", "contacts").iter_rows()) == labels


def test_numeric_bins_keep_missing_values_as_their_own_segment():
    contacts = frame({"age": ["1", "2", "3", "4", "5", "6", "7", "8", None], "won": ["y"] * 9})
    definition = Definition(segments=("age",), converted="won", bins=(("age", 2),))
    table = count(contacts, definition).table
    assert table.filter(pl.col("age") == "(missing)")["contacts"].to_list() == [1]
    assert table.filter(pl.col("age") != "(missing)")["contacts"].sum() == 8
    assert table.height == 3


@pytest.mark.parametrize(
    ("values", "bins", "sizes"),
    [(list(range(1, 9)), 2, [4, 4]), ([1, 2, 3], 3, [1, 1, 1]), ([1, 2], 2, [1, 1])],
    ids=["1-8-in-2", "1-3-in-3", "1-2-in-2"],
)
def test_numeric_bins_split_distinct_values_into_equal_quantiles(values, bins, sizes):
    contacts = frame({"age": [str(v) for v in values], "won": ["y"] * len(values)})
    definition = Definition(segments=("age",), converted="won", bins=(("age", bins),))
    assert sorted(count(contacts, definition).table["contacts"].to_list()) == sizes


def test_binning_a_column_with_text_is_refused_with_the_row():
    contacts = frame({"age": ["1", "2", "old"], "won": ["y"] * 3})
    definition = Definition(segments=("age",), converted="won", bins=(("age", 2),))
    message = error_message(contacts, definition)
    assert "'age'" in message
    assert "row 3: 'old'" in message
    assert "not numbers" in message


def test_typed_date_and_datetime_columns_are_read_without_parsing():
    # Datetimes keep only their day: 23:59 on 1 January to 00:01 on 1 April is 90 days.
    contacts = pl.LazyFrame(
        {
            "s": ["x", "x"],
            "signed": [date(2025, 1, 1), date(2025, 1, 1)],
            "bought": [
                datetime(2025, 4, 1, 0, 1),
                datetime(2025, 4, 2, 0, 0),
            ],
        }
    )
    assert count(contacts, WINDOW_90.with_changes(segments=("s",))).table.rows() == [("x", 2, 1)]


def test_rows_with_the_same_id_and_moment_take_the_smallest_segment_values():
    contacts = frame(
        {
            "id": ["a", "a", "b", "b"],
            "source": ["Web", "Ads", "Web", "Ads"],
            "signed": ["2025-01-02 08:00", "2025-01-02 08:00", "2025-01-03", "2025-01-03"],
            "won": ["n", "n", "n", "n"],
        }
    )
    definition = Definition(segments=("source",), converted="won", id="id", contact_date="signed")
    assert count(contacts, definition).table.rows() == [("Ads", 2, 0)]


@pytest.mark.parametrize(
    ("signed", "page"),
    [
        # Seen page B at 20:45 and page A at 00:16 the same day: the contact is A's.
        (["2025-03-04 20:45:00", "2025-03-04 00:16:00"], "Pricing"),
        (["2025-03-04T20:45", "2025-03-04T00:16"], "Pricing"),
        (["24/03/2025 8:45 PM", "24/03/2025 0:16 AM"], "Pricing"),
        (["24/03/2025 12:10 AM", "24/03/2025 1:00 AM"], "Blog"),  # 12:10 AM is 00:10
        # No time on one row: midnight, so it comes first.
        (["2025-03-04", "2025-03-04 00:16"], "Blog"),
        # Another day still decides first.
        (["2025-03-03 23:59", "2025-03-04 00:01"], "Blog"),
    ],
)
def test_the_row_kept_per_id_is_the_earliest_moment_not_the_first_values(signed, page):
    contacts = frame(
        {"id": ["u1", "u1"], "page": ["Blog", "Pricing"], "at": signed, "won": ["n", "y"]}
    )
    definition = Definition(segments=("page",), converted="won", id="id", contact_date="at")
    assert count(contacts, definition).table.rows() == [(page, 1, 1)]


def test_typed_timestamps_order_a_contacts_rows_by_time_of_day():
    contacts = pl.LazyFrame(
        {
            "id": ["u1", "u1"],
            "page": ["Blog", "Pricing"],
            "at": [datetime(2025, 3, 4, 20, 45), datetime(2025, 3, 4, 0, 16)],
            "won": [False, True],
        }
    )
    definition = Definition(segments=("page",), converted="won", id="id", contact_date="at")
    assert count(contacts, definition).table.rows() == [("Pricing", 1, 1)]


def test_times_of_day_do_not_change_a_lag_counted_in_days():
    # Signed up 23:50, bought 00:05 ten days later: lag 10 days whatever the hours.
    contacts = frame(
        {
            "id": ["u1", "u1"],
            "page": ["Blog", "Pricing"],
            "at": ["2025-01-01 23:50", "2025-01-01 23:55"],
            "bought": ["2025-01-11 00:05", None],
        }
    )
    definition = Definition(
        segments=("page",),
        id="id",
        contact_date="at",
        converted_date="bought",
        window_days=10,
        as_of=date(2025, 6, 1),
    )
    assert count(contacts, definition).table.rows() == [("Blog", 1, 1)]


def test_pre_aggregated_counts_are_summed_per_segment():
    table = frame(
        {
            "channel": ["Email", "Email", "Ads", None],
            "contacts": ["100", "50", "20", "7"],
            "customers": ["10", "5", "0", "7"],
        }
    )
    definition = Definition(
        segments=("channel",), contacts_column="contacts", customers_column="customers"
    )
    counts = count(table, definition)
    assert counts.table.rows() == [("(missing)", 7, 7), ("Ads", 20, 0), ("Email", 150, 15)]


@pytest.mark.parametrize(
    ("contacts", "customers", "words"),
    [
        (["10", "-1"], ["1", "0"], ["'contacts'", "row 2", "'-1'", "whole numbers"]),
        (["10", "2.5"], ["1", "0"], ["'contacts'", "row 2", "'2.5'", "whole numbers"]),
        (["10", "5"], ["1", "lots"], ["'customers'", "row 2", "'lots'", "whole numbers"]),
        (["10", "5"], ["1", "6"], ["row 2", "6 customers > 5 contacts", "swapped"]),
    ],
    ids=["negative", "fraction", "text", "customers-above-contacts"],
)
def test_pre_aggregated_bad_numbers_are_refused_with_the_row(contacts, customers, words):
    table = frame({"channel": ["Email", "Ads"], "contacts": contacts, "customers": customers})
    definition = Definition(
        segments=("channel",), contacts_column="contacts", customers_column="customers"
    )
    with pytest.raises(InputError) as error:
        count(table, definition)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize(
    ("yes", "no"),
    [
        ("Y", "N"),
        ("y", "n"),
        ("yes", "no"),
        ("Yes", "No"),
        ("TRUE", "FALSE"),
        ("true", "false"),
        ("T", "F"),
        ("1", "0"),
        ("won", "lost"),
        ("Won", "Lost"),
        (" YES ", " no "),
    ],
)
def test_flag_spellings_are_read_case_insensitively(yes, no):
    contacts = frame({"s": ["x", "x", "x"], "flag": [yes, no, yes]})
    counts = count(contacts, Definition(segments=("s",), converted="flag"))
    assert counts.table.rows() == [("x", 3, 2)]


def test_lifecycle_stage_with_customer_values_counts_those_stages_only():
    stages = ["subscriber", "lead", "Customer", "opportunity", " customer ", "", "evangelist"]
    contacts = frame({"s": ["x"] * len(stages), "stage": stages})
    counts = count(
        contacts, Definition(segments=("s",), converted="stage", customer_values=("customer",))
    )
    assert counts.table.rows() == [("x", 7, 2)]
    assert counts.quality.empty_flags == 1


def test_empty_flags_count_as_not_converted_and_are_reported():
    contacts = frame({"s": ["x", "x", "x"], "flag": ["Y", "", None]})
    counts = count(contacts, Definition(segments=("s",), converted="flag"))
    assert counts.table.rows() == [("x", 3, 1)]
    assert counts.quality.empty_flags == 2


def test_boolean_flag_column():
    contacts = pl.LazyFrame({"s": ["x", "x", "x"], "flag": [True, False, None]})
    counts = count(contacts, Definition(segments=("s",), converted="flag"))
    assert counts.table.rows() == [("x", 3, 1)]
    assert counts.quality.empty_flags == 1


def test_integer_flag_column():
    contacts = pl.LazyFrame({"s": ["x", "x", "x", "x"], "flag": [1, 0, 1, None]})
    counts = count(contacts, Definition(segments=("s",), converted="flag"))
    assert counts.table.rows() == [("x", 4, 2)]


def test_integer_flag_column_with_other_numbers_is_refused():
    contacts = pl.LazyFrame({"s": ["x", "x", "x"], "flag": [1, 0, 2]})
    with pytest.raises(InputError, match="'2' \\(1 row"):
        count(contacts, Definition(segments=("s",), converted="flag"))


def test_day_first_dates_are_detected_from_a_day_above_12():
    contacts = frame({"signed": ["26-02-2018 19:58", "01-03-2018 08:00", "02.03.2018"]})
    contacts = contacts.with_columns(pl.lit("y").alias("won"))
    definition = Definition(
        segments=("signed",), converted="won", date_buckets=(("signed", "month"),)
    )
    assert dict(count(contacts, definition).table.select("signed", "contacts").iter_rows()) == {
        "2018-02": 1,
        "2018-03": 2,
    }


def test_month_first_dates_are_detected_from_a_day_above_12():
    contacts = frame({"signed": ["02/26/2018", "03/01/2018", "04/02/2018"], "won": ["y"] * 3})
    definition = Definition(
        segments=("signed",), converted="won", date_buckets=(("signed", "month"),)
    )
    assert dict(count(contacts, definition).table.select("signed", "contacts").iter_rows()) == {
        "2018-02": 1,
        "2018-03": 1,
        "2018-04": 1,
    }


def test_day_first_dates_give_day_first_lags():
    # 01-02-2018 is 1 February when day-first (31 days after 01-01), not 2 January.
    contacts = frame(
        {
            "s": ["x", "x"],
            "signed": ["01-01-2018", "13-01-2018"],
            "bought": ["01-02-2018", "14-01-2018"],
        }
    )
    definition = Definition(
        segments=("s",),
        contact_date="signed",
        converted_date="bought",
        window_days=30,
        as_of=date(2018, 12, 31),
    )
    assert count(contacts, definition).table.rows() == [("x", 2, 1)]


def test_explicit_date_format_resolves_ambiguous_dates():
    contacts = frame({"signed": ["01/02/2018", "03/04/2018"], "won": ["y", "y"]})
    definition = Definition(
        segments=("signed",),
        converted="won",
        date_buckets=(("signed", "month"),),
        date_format="%m/%d/%Y",
    )
    assert count(contacts, definition).table["signed"].to_list() == ["2018-01", "2018-03"]


# ---------------------------------------------------------------------------------------------
# 4. Bad input: the message names the column, the values and what to do


def error_message(contacts, definition, orders=None) -> str:
    with pytest.raises(InputError) as error:
        count(contacts, definition, orders)
    return str(error.value)


def test_ambiguous_dates_are_refused_with_a_hint_at_date_format():
    contacts = frame({"signed": ["01/02/2018", "03/04/2018"], "won": ["y", "y"]})
    definition = Definition(
        segments=("signed",), converted="won", date_buckets=(("signed", "month"),)
    )
    message = error_message(contacts, definition)
    assert "'signed'" in message
    assert "01/02/2018" in message
    assert "--date-format" in message


def test_unreadable_dates_are_refused_with_row_numbers_and_examples():
    contacts = frame(
        {
            "s": ["x", "x", "x", "x"],
            "signed": ["2025-01-01", "2025-01-02", "2025-02-30", "soon"],
            "bought": [None] * 4,
        }
    )
    definition = Definition(segments=("s",), contact_date="signed", converted_date="bought")
    message = error_message(contacts, definition)
    assert "'signed'" in message
    assert "row 3: '2025-02-30'" in message
    assert "row 4: 'soon'" in message
    assert "2 values" in message
    assert "--date-format" in message


def test_dates_with_spaces_around_and_values_of_spaces_are_read_not_refused():
    # The fast reading takes the first ten characters as they are; these values send the
    # count to the general reading, which trims them: same counts as clean dates, no error.
    contacts = frame(
        {
            "s": ["x", "x", "y", "y", "y"],
            "signed": [" 2025-01-01", "2025-01-02 ", "2025-01-03", "   ", "2025-01-05"],
            "bought": ["2025-01-10", "", "  2025-01-04", None, " "],
        }
    )
    definition = Definition(
        segments=("s",),
        contact_date="signed",
        converted_date="bought",
        window_days=30,
        as_of=date(2025, 6, 1),
    )
    table = count(contacts, definition).table.sort("s")
    # x: two dated contacts, one converted 9 days after; y: two dated contacts (one converted
    # a day after), and one with only spaces for a date, left out as having no contact date.
    assert table.select("s", "contacts", "customers").rows() == [("x", 2, 1), ("y", 2, 1)]


def test_a_column_that_is_not_dates_is_refused():
    contacts = frame({"s": ["x", "x"], "signed": ["soon", "later"], "bought": [None, None]})
    definition = Definition(segments=("s",), contact_date="signed", converted_date="bought")
    message = error_message(contacts, definition)
    assert "'signed'" in message
    assert "does not look like dates" in message


def test_unrecognised_flag_values_are_listed_with_counts_and_a_way_out():
    contacts = frame({"s": ["x"] * 5, "flag": ["Y", "maybe", "maybe", "?", "N"]})
    message = error_message(contacts, Definition(segments=("s",), converted="flag"))
    assert "'flag'" in message
    assert "'maybe' (2 rows)" in message
    assert "'?' (1 row" in message
    assert "--customer-value" in message


def test_unknown_column_is_named_with_the_columns_that_exist():
    contacts = frame({"source": ["x"], "won": ["y"]})
    message = error_message(contacts, Definition(segments=("sorce",), converted="won"))
    assert "'sorce'" in message
    assert "'source'" in message
    assert "spelling" in message


def test_unknown_orders_key_is_named():
    definition = Definition(segments=("source",), orders=OrdersJoin("lead", orders_key="ref"))
    message = error_message(frame(LEADS), definition, frame(DEALS))
    assert "'ref'" in message
    assert "the orders table" in message


def test_no_customer_evidence_is_refused_with_the_three_choices():
    message = error_message(frame({"s": ["x"]}), Definition(segments=("s",)))
    assert "--converted" in message
    assert "--converted-date" in message
    assert "--orders" in message


def test_no_segment_column_is_refused():
    message = error_message(frame({"won": ["y"]}), Definition(converted="won"))
    assert "segment" in message


def test_a_window_without_a_contact_date_is_refused():
    contacts = frame({"s": ["x"], "bought": ["2025-01-01"]})
    definition = Definition(segments=("s",), converted_date="bought", window_days=30)
    assert "--contact-date" in error_message(contacts, definition)


def test_a_window_without_a_conversion_date_is_refused():
    contacts = frame({"s": ["x"], "won": ["y"], "signed": ["2025-01-01"]})
    definition = Definition(segments=("s",), converted="won", contact_date="signed", window_days=30)
    message = error_message(contacts, definition)
    assert "--converted-date" in message
    assert "--orders-date" in message


def test_an_orders_key_without_an_orders_table_is_refused():
    definition = Definition(segments=("source",), orders=OrdersJoin("lead"))
    assert "orders file" in error_message(frame(LEADS), definition)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"window_days": -1}, "0 days or more"),
        ({"top_k": 0}, "at least 1"),
        ({"segments": ("s", "s")}, "twice"),
    ],
)
def test_impossible_definitions_are_refused(changes, words):
    with pytest.raises(InputError, match=words):
        Definition(**{"segments": ("s",), "converted": "won", **changes})


def test_pre_aggregated_input_needs_both_columns():
    table = frame({"channel": ["Email"], "contacts": ["10"]})
    definition = Definition(segments=("channel",), contacts_column="contacts")
    assert "--customers" in error_message(table, definition)


# ---------------------------------------------------------------------------------------------
# Cohorts


def test_monthly_cohorts_count_mature_contacts_and_mark_immature_months():
    # as-of 03-31, window 30. Cohort months are mature when month end + 30 days <= 03-31:
    # January (03-02) and February (03-30) are, March (04-30) is not. 03-15 is immature.
    contacts = frame(
        {
            "signed": ["2025-01-10", "2025-01-20", "2025-02-15", "2025-03-01", "2025-03-15"],
            "bought": ["2025-01-20", None, "2025-03-01", None, None],
        }
    )
    definition = Definition(
        contact_date="signed", converted_date="bought", window_days=30, as_of=date(2025, 3, 31)
    )
    table, counts = cohorts(contacts, definition, period="month")
    assert table.rows() == [
        (date(2025, 1, 1), 2, 1, 0, True),
        (date(2025, 2, 1), 1, 1, 0, True),
        (date(2025, 3, 1), 1, 0, 1, False),
    ]
    assert counts.quality.immature == 1


# ---------------------------------------------------------------------------------------------
# 3. Properties: the engine agrees with the plain-Python reference on random tables

START = date(2025, 1, 1)
IDS = ["a", "b", "c", "d", " a", "b ", "", None]
SEGMENT_VALUES = ["x", "y", "z", "", None]
FLAGS = ["Y", "n", "yes", "No", "TRUE", "false", "1", "0", " t ", "F", "won", "Lost", "", None]
# Few distinct days, so ties, same-day conversions and repeated dates per id are common.
day_offsets = st.sampled_from([0, 1, 2, 3, 7, 14, 30, 40])


def iso_dates(days=day_offsets) -> st.SearchStrategy[str | None]:
    """Dates as ISO text, sometimes with a time of day, sometimes empty or null."""
    return st.one_of(
        st.none(),
        st.just(""),
        days.map(lambda k: iso(START, k)),
        days.map(lambda k: iso(START, k) + " 23:15"),
    )


def contact_rows(
    ids=IDS, segment_values=SEGMENT_VALUES, dates=None
) -> st.SearchStrategy[dict[str, str | None]]:
    dates = iso_dates() if dates is None else dates
    return st.fixed_dictionaries(
        {
            "id": st.sampled_from(ids),
            "seg": st.sampled_from(segment_values),
            "seg2": st.sampled_from(segment_values),
            "flag": st.sampled_from(FLAGS),
            "signed": dates,
            "bought": dates,
        }
    )


COLUMNS = ("id", "seg", "seg2", "flag", "signed", "bought")


def table_frame(rows: list[Row], columns=COLUMNS) -> pl.LazyFrame:
    return frame({c: [row[c] for row in rows] for c in columns})


@st.composite
def definitions(draw) -> Definition:
    evidence = draw(st.sampled_from(["flag", "date", "flag and date"]))
    timed = evidence != "flag"
    window = draw(st.one_of(st.none(), st.integers(0, 60))) if timed else None
    if evidence == "flag and date" and window is None:
        evidence = "date"
    as_of = None
    if window is not None:
        as_of = draw(st.one_of(st.none(), st.integers(-5, 60).map(lambda k: START + timedelta(k))))
    return Definition(
        segments=draw(st.sampled_from([("seg",), ("seg", "seg2")])),
        converted="flag" if "flag" in evidence else None,
        converted_date="bought" if "date" in evidence else None,
        id=draw(st.sampled_from([None, "id"])),
        contact_date="signed" if window is not None or draw(st.booleans()) else None,
        window_days=window,
        as_of=as_of,
        top_k=draw(st.sampled_from([None, 1, 2])),
    )


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(rows=st.lists(contact_rows(), max_size=25), definition=definitions())
def test_engine_table_matches_the_reference(rows, definition):
    counts = count(table_frame(rows), definition)
    expected = reference_counts(rows, definition)
    assert cells(counts) == expected_cells(expected)


@PROPERTY_SETTINGS
@given(rows=st.lists(contact_rows(), max_size=25), definition=definitions())
def test_engine_quality_matches_the_reference(rows, definition):
    quality = count(table_frame(rows), definition).quality
    expected = reference_counts(rows, definition)
    assert quality.immature == expected.immature
    assert quality.negative_lags == expected.negative_lags
    assert quality.missing_ids == expected.missing_ids
    assert quality.missing_contact_dates == expected.missing_contact_dates
    if definition.id is None and definition.converted:
        assert quality.empty_flags == expected.empty_flags
    if definition.window_days is not None:
        assert quality.as_of == expected.as_of


@PROPERTY_SETTINGS
@given(rows=st.lists(contact_rows(), max_size=25), definition=definitions())
def test_segments_add_up_to_the_overall_counts(rows, definition):
    by_segment = count(table_frame(rows), definition)
    overall_definition = definition.with_changes(segments=("everyone",), top_k=None)
    everyone = table_frame(rows).with_columns(pl.lit("all").alias("everyone"))
    overall = count(everyone, overall_definition)
    assert by_segment.contacts == overall.contacts == by_segment.quality.counted
    assert by_segment.customers == overall.customers
    assert all(n >= customers >= 0 for n, customers in cells(by_segment).values())


@PROPERTY_SETTINGS
@given(
    rows=st.lists(
        contact_rows(ids=["a", " a", "b", ""], dates=iso_dates(st.sampled_from([0, 1]))),
        max_size=12,
    ),
    with_contact_date=st.booleans(),
)
def test_repeated_ids_get_the_segments_and_flags_the_reference_gives(rows, with_contact_date):
    definition = Definition(
        segments=("seg",),
        converted="flag",
        id="id",
        contact_date="signed" if with_contact_date else None,
    )
    counts = count(table_frame(rows), definition)
    assert cells(counts) == expected_cells(reference_counts(rows, definition))


ORDER_KEYS = ["a", "b", "c", "q", " a", "", None]
# Three days only, so orders on, before and after the contact date are all common.
FEW_DAYS = iso_dates(st.sampled_from([0, 1, 2]))
order_rows = st.fixed_dictionaries({"customer": st.sampled_from(ORDER_KEYS), "ordered": FEW_DAYS})


@st.composite
def order_definitions(draw) -> Definition:
    with_id = draw(st.booleans())
    dated = draw(st.booleans())
    window = draw(st.one_of(st.none(), st.integers(0, 60))) if dated else None
    as_of = None
    if window is not None:
        as_of = draw(st.one_of(st.none(), st.integers(-5, 60).map(lambda k: START + timedelta(k))))
    return Definition(
        segments=("seg",),
        id="id" if with_id else None,
        # With an id, the id is the join key; without one, every row carries its own key.
        orders=OrdersJoin(
            "id" if with_id else "key",
            orders_key="customer",
            orders_date="ordered" if dated else None,
        ),
        contact_date="signed" if window is not None or draw(st.booleans()) else None,
        window_days=window,
        as_of=as_of,
    )


@PROPERTY_SETTINGS
@given(
    rows=st.lists(contact_rows(dates=FEW_DAYS), max_size=20),
    keys=st.lists(st.sampled_from(ORDER_KEYS), min_size=20, max_size=20),
    orders=st.lists(order_rows, max_size=20),
    definition=order_definitions(),
)
def test_engine_with_an_orders_table_matches_the_reference(rows, keys, orders, definition):
    rows = [{**row, "key": key} for row, key in zip(rows, keys, strict=False)]
    contacts = table_frame(rows, (*COLUMNS, "key"))
    orders_frame = table_frame(orders, ("customer", "ordered"))
    counts = count(contacts, definition, orders_frame)
    expected = reference_counts(rows, definition, orders)
    assert cells(counts) == expected_cells(expected)
    assert counts.quality.immature == expected.immature
    assert counts.quality.negative_lags == expected.negative_lags
    assert counts.quality.missing_ids == expected.missing_ids
    if definition.window_days is not None:
        assert counts.quality.as_of == expected.as_of


# ---------------------------------------------------------------------------------------------
# 5. The bundled samples against the reference


NEWSLETTER = Definition(
    segments=("source",),
    id="contact_id",
    contact_date="signup_date",
    converted_date="first_purchase_date",
    window_days=90,
)


def test_newsletter_sample_with_a_90_day_window_matches_the_reference():
    counts = count(scan_sample("newsletter_signups.csv"), NEWSLETTER)
    expected = reference_counts(read_sample("newsletter_signups.csv"), NEWSLETTER)
    assert cells(counts) == expected_cells(expected)
    assert counts.quality.immature == expected.immature
    assert counts.quality.as_of == expected.as_of


def test_newsletter_sample_messiness_is_reported():
    # README: 2 repeated ids (N001603 changes source), 3 purchases a day before sign-up.
    quality = count(scan_sample("newsletter_signups.csv"), NEWSLETTER).quality
    assert quality.rows == 4002
    assert quality.contacts == 4000
    assert quality.duplicate_rows == 2
    assert quality.segment_conflicts == 1
    assert quality.negative_lags == 3


def test_newsletter_sample_by_region_without_a_window_matches_the_reference():
    definition = Definition(
        segments=("region", "device"),
        id="contact_id",
        contact_date="signup_date",
        converted_date="first_purchase_date",
    )
    counts = count(scan_sample("newsletter_signups.csv"), definition)
    expected = reference_counts(read_sample("newsletter_signups.csv"), definition)
    assert cells(counts) == expected_cells(expected)


B2B_DATED = Definition(
    segments=("lead_source",),
    id="lead_id",
    contact_date="created",
    orders=OrdersJoin("lead_id", orders_date="won_date"),
    window_days=90,
)


def test_b2b_sample_with_dated_won_deals_and_a_window_matches_the_reference():
    counts = count(scan_sample("b2b_leads.csv"), B2B_DATED, scan_sample("b2b_won_deals.csv"))
    expected = reference_counts(
        read_sample("b2b_leads.csv"), B2B_DATED, read_sample("b2b_won_deals.csv"), order="dmy"
    )
    assert cells(counts) == expected_cells(expected)
    assert counts.quality.immature == expected.immature
    assert counts.quality.as_of == expected.as_of


def test_b2b_sample_without_a_window_counts_348_won_leads():
    # README: 348 of 2,500 leads won; repeated wins and orphan deals do not add to that.
    definition = Definition(segments=("industry",), id="lead_id", orders=OrdersJoin("lead_id"))
    counts = count(scan_sample("b2b_leads.csv"), definition, scan_sample("b2b_won_deals.csv"))
    expected = reference_counts(
        read_sample("b2b_leads.csv"), definition, read_sample("b2b_won_deals.csv"), order="dmy"
    )
    assert cells(counts) == expected_cells(expected)
    assert (counts.contacts, counts.customers) == (2500, 348)


@pytest.mark.parametrize(
    "definition",
    [
        Definition(segments=("Original Source",), converted="Converted"),
        Definition(
            segments=("Original Source",),
            converted="Lifecycle Stage",
            customer_values=("customer",),
        ),
    ],
    ids=["Y/N flag", "lifecycle stage"],
)
def test_crm_sample_matches_the_reference_and_has_194_customers(definition):
    counts = count(scan_sample("crm_contacts_export.csv"), definition)
    expected = reference_counts(read_sample("crm_contacts_export.csv"), definition)
    assert cells(counts) == expected_cells(expected)
    assert (counts.contacts, counts.customers) == (1500, 194)


def test_campaign_summary_sample_pre_aggregated_matches_a_plain_sum():
    definition = Definition(
        segments=("channel",), contacts_column="contacts", customers_column="customers"
    )
    expected: dict[tuple[str, ...], tuple[int, int]] = {}
    for row in read_sample("campaign_summary.csv"):
        n, customers = expected.get((row["channel"],), (0, 0))
        expected[(row["channel"],)] = (n + int(row["contacts"]), customers + int(row["customers"]))
    assert cells(count(scan_sample("campaign_summary.csv"), definition)) == expected


def test_web_sessions_sample_with_typed_columns_matches_the_reference():
    # Read with type inference, so the flag arrives as a Boolean column.
    definition = Definition(segments=("visitor_type", "month"), converted="revenue", top_k=4)
    contacts = pl.scan_csv(SAMPLES / "web_sessions.csv")
    counts = count(contacts, definition)
    expected = reference_counts(read_sample("web_sessions.csv"), definition)
    assert cells(counts) == expected_cells(expected)


def test_web_sessions_sample_other_visitors_are_5_of_18():
    counts = count(
        scan_sample("web_sessions.csv"), Definition(segments=("visitor_type",), converted="revenue")
    )
    assert cells(counts)[("Other",)] == (18, 5)


def test_an_unreadable_order_date_is_reported_even_in_a_row_without_a_key():
    contacts = frame({"id": ["a", "b"], "source": ["Ads", "Web"], "signed": ["2025-01-01"] * 2})
    orders = frame({"id": ["a", "", "b"], "on": ["2025-01-05", "soon", "2025-01-09"]})
    definition = Definition(
        segments=("source",), id="id", contact_date="signed",
        orders=OrdersJoin("id", orders_date="on"),
    )  # fmt: skip
    with pytest.raises(InputError, match=r"'on' in the orders table has 1 value .*'soon'"):
        count(contacts, definition, orders)


def timestamps() -> st.SearchStrategy[str | None]:
    """Moments on two days at random times, some without a time, some empty."""
    clock = st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
    return st.one_of(
        st.none(),
        st.sampled_from([0, 1]).map(lambda k: iso(START, k)),
        st.tuples(st.sampled_from([0, 1]), clock).map(
            lambda kc: f"{iso(START, kc[0])} {kc[1][0]:02d}:{kc[1][1]:02d}:{kc[1][2]:02d}"
        ),
    )


@PROPERTY_SETTINGS
@given(
    rows=st.lists(contact_rows(ids=["a", "b", "c"], dates=timestamps()), max_size=15),
    two_columns=st.booleans(),
)
def test_the_kept_row_per_id_is_the_one_with_the_smallest_timestamp(rows, two_columns):
    definition = Definition(
        segments=("seg", "seg2") if two_columns else ("seg",),
        converted="flag",
        id="id",
        contact_date="signed",
    )
    counts = count(table_frame(rows), definition)
    assert cells(counts) == expected_cells(reference_counts(rows, definition))
