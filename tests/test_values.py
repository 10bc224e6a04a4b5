"""Tests for conversion.reading.values: how flags and dates are read, by value."""

from __future__ import annotations

from datetime import date, datetime

import narwhals as nw
import polars as pl
import pytest

from conversion.errors import InputError
from conversion.reading.values import (
    DateFormat,
    date_expr,
    detect_date_format,
    flag,
    unrecognised_flag,
)

# ---------------------------------------------------------------------------------------------
# flag


def read(frame: pl.DataFrame, *exprs: nw.Expr) -> pl.DataFrame:
    """The expressions evaluated on a polars frame, as a polars frame."""
    return nw.from_native(frame).select(*exprs).to_native()


SPELLINGS = [
    ("Y", True), ("y", True), ("N", False), ("yes", True), ("YES", True), ("No", False),
    ("TRUE", True), ("true", True), ("False", False), ("T", True), ("f", False),
    ("1", True), ("0", False), ("1.0", True), ("0.0", False),
    ("won", True), ("Lost", False), ("Closed Won", True), ("closed-lost", False),
    ("ClosedWon", True), ("converted", True), ("not converted", False),
    ("customer", True), ("lead", False), ("subscribed", True), ("unsubscribed", False),
    ("  yes  ", True), ("\tNo", False),
    ("", None), ("   ", None), (None, None), ("maybe", None), ("2", None),
]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), SPELLINGS)
def test_flag_reads_the_usual_spellings(value: str | None, expected: bool | None) -> None:
    frame = pl.DataFrame({"flag": [value]}, schema={"flag": pl.String})
    assert read(frame, flag("flag", nw.String)).item() is expected


def test_flag_on_boolean_and_numeric_columns() -> None:
    frame = pl.DataFrame(
        {
            "b": [True, False, None],
            "i": [1, 0, 2],
            "f": [1.0, 0.0, None],
        }
    )
    out = read(
        frame,
        flag("b", nw.Boolean).alias("b"),
        flag("i", nw.Int64).alias("i"),
        flag("f", nw.Float64).alias("f"),
    )
    assert out["b"].to_list() == [True, False, None]
    assert out["i"].to_list() == [True, False, None]
    assert out["f"].to_list() == [True, False, None]


def test_flag_with_customer_values() -> None:
    frame = pl.DataFrame({"stage": ["Customer", " customer ", "lead", "evangelist", "", None]})
    out = read(frame, flag("stage", nw.String, ["customer"])).to_series().to_list()
    assert out == [True, True, False, False, None, None]
    both = read(frame, flag("stage", nw.String, ["customer", "Evangelist"]))
    assert both.to_series().to_list() == [True, True, False, True, None, None]


def test_unrecognised_flag_values_are_marked() -> None:
    frame = pl.DataFrame({"flag": ["yes", "maybe", "", None, "no", "pending"]})
    marked = read(frame, unrecognised_flag("flag", nw.String)).to_series().to_list()
    assert marked == [False, True, False, False, False, True]


# ---------------------------------------------------------------------------------------------
# detect_date_format


def _read(values: list, **kwargs) -> tuple[DateFormat, list]:
    frame = pl.LazyFrame({"d": values})
    fmt = detect_date_format(frame, "d", **kwargs)
    return fmt, frame.select(date_expr("d", fmt)).collect().to_series().to_list()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2018-02-26", "2019-12-01"], [date(2018, 2, 26), date(2019, 12, 1)]),
        (["2018-02-26 19:58:00", "2019-12-01T08:00"], [date(2018, 2, 26), date(2019, 12, 1)]),
        (["26-02-2018 19:58", "01-03-2018 07:05"], [date(2018, 2, 26), date(2018, 3, 1)]),
        (["26/02/2018", "01/03/2018"], [date(2018, 2, 26), date(2018, 3, 1)]),
        (["02/26/2018", "03/01/2018"], [date(2018, 2, 26), date(2018, 3, 1)]),
        (["02/26/2018 7:05 PM", "12/01/2018"], [date(2018, 2, 26), date(2018, 12, 1)]),
        (["26.02.2018", "01.03.2018"], [date(2018, 2, 26), date(2018, 3, 1)]),
        (["26/02/18", "01/03/18"], [date(2018, 2, 26), date(2018, 3, 1)]),
        (["02/26/18", "03/01/18"], [date(2018, 2, 26), date(2018, 3, 1)]),
        (["26-Feb-2018", "01-Mar-2018"], [date(2018, 2, 26), date(2018, 3, 1)]),
        (["Feb 26, 2018", "Mar 1, 2018"], [date(2018, 2, 26), date(2018, 3, 1)]),
        (["26 February 2018", "1 March 2018"], [date(2018, 2, 26), date(2018, 3, 1)]),
    ],
)
def test_date_formats_are_detected_from_values(values: list[str], expected: list[date]) -> None:
    _, dates = _read(values)
    assert dates == expected


def test_empty_values_stay_empty() -> None:
    _, dates = _read(["26-02-2018", None, "", "01-03-2018"])
    assert dates == [date(2018, 2, 26), None, None, date(2018, 3, 1)]


def test_typed_dates_are_used_as_they_are() -> None:
    fmt, dates = _read([date(2020, 1, 2), date(2020, 5, 6)])
    assert fmt.kind == "temporal"
    assert dates == [date(2020, 1, 2), date(2020, 5, 6)]
    fmt, dates = _read([datetime(2020, 1, 2, 23, 59), datetime(2020, 5, 6, 0, 1)])
    assert fmt.kind == "temporal"
    assert dates == [date(2020, 1, 2), date(2020, 5, 6)]


def test_explicit_format_is_used() -> None:
    fmt, dates = _read(["01/02/2020", "03/04/2020"], explicit="%m/%d/%Y")
    assert fmt == DateFormat("explicit", "%m/%d/%Y")
    assert dates == [date(2020, 1, 2), date(2020, 3, 4)]
    _, dates = _read(["01/02/2020 10:30"], explicit="%d/%m/%Y %H:%M")
    assert dates == [date(2020, 2, 1)]


def test_ambiguous_dates_raise_and_mention_date_format() -> None:
    frame = pl.LazyFrame({"signup": ["01/02/2020", "03/04/2020", "12/11/2020"]})
    with pytest.raises(InputError) as error:
        detect_date_format(frame, "signup", source="leads.csv")
    message = str(error.value)
    assert "--date-format" in message
    assert "'signup'" in message and "leads.csv" in message
    assert "01/02/2020" in message


def test_text_that_is_not_dates_raises() -> None:
    frame = pl.LazyFrame({"when": ["soon", "later", "never"]})
    with pytest.raises(InputError, match="--date-format") as error:
        detect_date_format(frame, "when", source="x.csv")
    assert "'when'" in str(error.value)


def test_whole_column_decides_day_first_after_ambiguous_rows() -> None:
    values = ["01/02/2020"] * 25_000 + ["13/01/2020"]
    fmt, dates = _read(values)
    assert fmt.kind == "numeric"
    assert dates[0] == date(2020, 2, 1)
    assert dates[-1] == date(2020, 1, 13)


def test_whole_column_decides_month_first_after_ambiguous_rows() -> None:
    values = ["01/02/2020"] * 25_000 + ["01/13/2020"]
    _, dates = _read(values)
    assert dates[0] == date(2020, 1, 2)
    assert dates[-1] == date(2020, 1, 13)


def test_whole_column_still_ambiguous_raises() -> None:
    frame = pl.LazyFrame({"d": ["01/02/2020"] * 25_000 + ["03/04/2021"]})
    with pytest.raises(InputError, match="--date-format"):
        detect_date_format(frame, "d")


def test_sparse_column_is_decided_from_its_later_values() -> None:
    values = [None] * 25_000 + ["26-02-2018 19:58", "01-03-2018 10:00"]
    frame = pl.LazyFrame({"d": values}, schema={"d": pl.String})
    fmt = detect_date_format(frame, "d")
    dates = frame.select(date_expr("d", fmt)).collect().to_series().to_list()
    assert dates[-2:] == [date(2018, 2, 26), date(2018, 3, 1)]
