"""Pre-aggregated input as reports write it: thousands separators, Total rows, bad counts.

Expected numbers are written out by hand from the small tables built in each test.
"""

from __future__ import annotations

import polars as pl
import pytest

from conversion.counting import count
from conversion.definition import Definition
from conversion.errors import InputError
from conversion.sources import FileSource

D = Definition(segments=("campaign",), contacts_column="clicks", customers_column="conversions")


def table(rows: list[tuple[str, str, str]]) -> pl.LazyFrame:
    campaigns, clicks, conversions = (list(column) for column in zip(*rows, strict=True))
    return pl.LazyFrame({"campaign": campaigns, "clicks": clicks, "conversions": conversions})


@pytest.mark.parametrize(
    ("written", "decimal_comma", "value"),
    [
        ("1,234", False, 1234),
        ("1,234,567", False, 1234567),
        ("1 234", False, 1234),
        ("1\u00a0234", False, 1234),  # no-break space, as Excel writes in French
        ("1\u202f234", False, 1234),  # narrow no-break space
        ("1'234", False, 1234),  # Swiss
        ("1,234.00", False, 1234),
        ("12.00", False, 12),
        (" 88 ", False, 88),
        ("1.234", True, 1234),  # ;-separated European file
        ("1.234.567", True, 1234567),
        ("1.234,00", True, 1234),
        ("1 234", True, 1234),
    ],
)
def test_counts_with_thousands_separators_are_read_as_whole_numbers(written, decimal_comma, value):
    frame = table([("Brand", written, "2")])
    counts = count(FileSource(frame, decimal_comma=decimal_comma), D)
    assert counts.table.rows() == [("Brand", value, 2)]


@pytest.mark.parametrize(
    ("written", "decimal_comma"),
    [
        ("1.234", False),  # a decimal in a comma file: 1.234 is not a count
        ("12,5", True),  # a decimal comma
        ("1,234", True),  # 1,234 is 1.234 where the comma is the decimal mark
        ("-3", False),
        ("12.5", False),
        ("1,23", False),  # not groups of three
        ("n/a", False),
    ],
)
def test_decimal_negative_or_odd_counts_are_an_error_naming_the_row(written, decimal_comma):
    frame = table([("Brand", "40", "2"), ("Generic", written, "1")])
    with pytest.raises(InputError, match=r"row 2: '") as error:
        count(FileSource(frame, "report.csv", decimal_comma=decimal_comma), D)
    assert written.strip() in str(error.value)
    assert "report.csv" in str(error.value)


ROWS = [("Brand", "1,200", "60"), ("Generic", "800", "20"), ("Display", "2,000", "10")]


@pytest.mark.parametrize("label", ["Total", "Grand Total", "Total: Campaigns", "TOTALS", "total"])
def test_a_total_row_that_adds_up_is_left_out_with_a_note(label):
    counts = count(FileSource(table([*ROWS, (label, "4,000", "90")]), "ads.csv"), D)
    # 1,200 + 800 + 2,000 = 4,000 clicks; 60 + 20 + 10 = 90 conversions: not doubled.
    assert counts.contacts == 4000
    assert counts.customers == 90
    assert sorted(counts.table["campaign"]) == ["Brand", "Display", "Generic"]
    assert counts.quality.rows == 4
    note = counts.warnings[0]
    assert "Row 4 of ads.csv" in note and label in note and "--keep-totals" in note


def test_a_total_row_that_does_not_add_up_is_an_error_naming_it():
    with pytest.raises(InputError, match=r"Row 4 of ads\.csv") as error:
        count(FileSource(table([*ROWS, ("Total", "3,999", "90")]), "ads.csv"), D)
    message = str(error.value)
    assert "“Total”" in message and "3,999" in message and "4,000" in message
    assert "--keep-totals" in message


def test_partial_totals_beside_a_total_that_adds_up_are_left_out_too():
    rows = [*ROWS, ("Total: Search", "2,000", "80"), ("Total: Campaigns", "4,000", "90")]
    counts = count(FileSource(table(rows), "ads.csv"), D)
    assert (counts.contacts, counts.customers) == (4000, 90)
    assert "Total: Campaigns" in counts.warnings[0]
    assert "Total: Search" in counts.warnings[1]


def test_a_partial_total_above_the_whole_table_is_an_error_naming_it():
    rows = [*ROWS, ("Total: Search", "4,100", "80"), ("Total: Campaigns", "4,000", "90")]
    with pytest.raises(InputError, match=r"Row 4 of ads\.csv") as error:
        count(FileSource(table(rows), "ads.csv"), D)
    assert "Total: Search" in str(error.value) and "4,100" in str(error.value)


def test_keep_totals_counts_the_total_row_as_a_segment():
    counts = count(table([*ROWS, ("Total", "4,000", "90")]), D, keep_totals=True)
    assert (counts.contacts, counts.customers) == (8000, 180)
    assert "Total" in counts.table["campaign"].to_list()
    assert not counts.warnings


def test_a_segment_merely_containing_total_is_not_a_total_row():
    counts = count(table([*ROWS, ("Totally new", "10", "1")]), D)
    assert counts.contacts == 4010
    assert "Totally new" in counts.table["campaign"].to_list()


def test_customers_above_contacts_still_an_error_after_separators():
    with pytest.raises(InputError, match="customers cannot exceed contacts"):
        count(table([("Brand", "1,200", "1,300")]), D)
