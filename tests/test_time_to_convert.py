"""The engine's time-to-convert table (input of the Kaplan–Meier curves), against hand counts."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from conversion.counting import time_to_convert
from conversion.definition import Definition, OrdersJoin
from conversion.errors import InputError

CONTACTS = pl.LazyFrame(
    {
        "id": ["a", "b", "c", "d", "e", "e", "f"],
        "seg": ["X", "X", "Y", "Y", "Y", "X", None],
        "signed": [
            "2024-01-01",
            "2024-01-10",
            "2024-01-01",
            "2024-02-01",
            "2024-01-05",
            "2024-03-01",
            "2024-01-20",
        ],
        "bought": ["2024-01-08", None, "2024-01-31", "2024-01-25", None, "2024-03-03", None],
    }
)
DEFINITION = Definition(segments=("seg",), id="id", contact_date="signed", converted_date="bought")


def as_rows(table: pl.DataFrame) -> set[tuple]:
    return set(table.iter_rows())


def test_days_to_conversion_and_censoring_by_hand():
    table, as_of = time_to_convert(CONTACTS, DEFINITION)
    # Latest date in the data: e's purchase on 2024-03-03.
    assert as_of == date(2024, 3, 3)
    assert as_rows(table) == {
        ("X", 7, True, 1),  # a: 1 Jan -> 8 Jan
        ("X", 53, False, 1),  # b: 10 Jan -> as-of 3 Mar, not converted
        ("Y", 30, True, 1),  # c: 1 Jan -> 31 Jan
        # d bought before signing up (negative lag): left out.
        # e: two rows, earliest (5 Jan, Y) gives the segment; purchase 3 Mar -> 58 days.
        ("Y", 58, True, 1),
        ("(missing)", 43, False, 1),  # f: 20 Jan -> 3 Mar
    }


def test_an_explicit_as_of_censors_later_purchases():
    table, as_of = time_to_convert(CONTACTS, DEFINITION.with_changes(as_of=date(2024, 2, 1)))
    assert as_of == date(2024, 2, 1)
    rows = as_rows(table)
    assert ("Y", 27, False, 1) in rows  # e: purchase after the as-of date is not seen yet
    assert ("X", 7, True, 1) in rows


def test_orders_dates_work_like_conversion_dates():
    orders = pl.LazyFrame(
        {"id": ["a", "c", "c"], "won": ["2024-01-08", "2024-02-15", "2024-01-31"]}
    )
    definition = Definition(
        segments=("seg",),
        id="id",
        contact_date="signed",
        orders=OrdersJoin("id", orders_date="won"),
    )
    table, _ = time_to_convert(CONTACTS, definition, orders)
    rows = as_rows(table)
    assert ("X", 7, True, 1) in rows
    assert ("Y", 30, True, 1) in rows  # the first order on or after the contact date counts


def test_needs_both_dates():
    with pytest.raises(InputError, match="contact date and a conversion date"):
        time_to_convert(CONTACTS, Definition(segments=("seg",), converted_date="bought"))


def test_an_unreadable_conversion_date_is_reported_not_censored():
    contacts = pl.LazyFrame(
        {
            "id": ["a", "b"],
            "seg": ["X", "X"],
            "signed": ["2024-01-01", "2024-01-02"],
            "bought": ["2024-01-08", "someday"],
        }
    )
    with pytest.raises(InputError, match="row 2: 'someday'"):
        time_to_convert(contacts, DEFINITION)


def test_dates_of_varying_width_are_all_read():
    contacts = pl.LazyFrame(
        {
            "id": ["a", "b"],
            "seg": ["X", "X"],
            "signed": ["2024-01-01", "2024-1-2 10:00"],
            "bought": ["2024-01-08", "2024-1-12"],
        }
    )
    table, _ = time_to_convert(contacts, DEFINITION)
    assert as_rows(table) == {("X", 7, True, 1), ("X", 10, True, 1)}


def test_the_table_version_names_the_files_and_matches(tmp_path):
    from conversion import reading

    path = tmp_path / "signups.csv"
    CONTACTS.collect().write_csv(path)
    table, as_of = time_to_convert(reading.load(path), DEFINITION)
    direct, direct_as_of = time_to_convert(CONTACTS, DEFINITION)
    assert as_rows(table) == as_rows(direct)
    assert as_of == direct_as_of == date(2024, 3, 3)
    with pytest.raises(InputError, match=r"signups\.csv"):
        time_to_convert(reading.load(path), DEFINITION.with_changes(contact_date="nope"))
