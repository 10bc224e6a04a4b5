"""Pre-aggregated input: a table that already holds contacts and customers per segment.

Report exports write counts the way people read them (``1,234``; ``1 234``; ``1.234`` in a
``;``-separated European file, where the comma is the decimal mark) and add ``Total`` /
``Grand Total`` rows below the data. This module reads such counts as whole numbers, leaves
out total rows that equal the sum of the others (with a note), and refuses, naming the row,
anything that would make a wrong number: a decimal or negative count, customers above contacts,
or a total that does not add up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import narwhals as nw
import polars as pl

from conversion.counting.engine import MISSING
from conversion.errors import InputError, n, verb
from conversion.reading.values import count_expr, text

if TYPE_CHECKING:
    from conversion.definition import Definition

__all__ = ["TOTAL_LABEL", "read_counts", "summed"]

# "Total", "Totals", "Grand Total", "Total: Campaigns", "TOTAL (all rows)", "Gesamt".
TOTAL_LABEL = r"(?i)^\s*(grand\s+|sub\s*-?\s*)?(totals?|gesamt|summe)\b"
_RAW = "__cbs_raw_"
_ROW = "__cbs_row"
_TOTAL = "__cbs_total_row"


def read_counts(
    contacts: pl.LazyFrame,
    d: Definition,
    source: str,
    *,
    decimal_comma: bool = False,
    keep_totals: bool = False,
) -> tuple[pl.DataFrame, tuple[str, ...], int]:
    """The validated rows: segment columns, ``contacts`` and ``customers`` (64-bit integers).

    Returns the rows, the notes for the analyst (total rows left out), and the number of data
    rows read. Row numbers in messages count data rows from 1, below the header.

    Raises
    ------
    InputError
        For a count that is not a whole number of 0 or more, customers above contacts, or a
        total row that does not equal the sum of the other rows.

    Examples
    --------
    >>> from conversion.definition import Definition
    >>> lf = pl.LazyFrame({"region": ["North", "South", "Total"],
    ...                    "n": ["1,200", "800", "2,000"], "won": ["120", "40", "160"]})
    >>> d = Definition(segments=("region",), contacts_column="n", customers_column="won")
    >>> rows, notes, read = read_counts(lf, d, "report.csv")
    >>> rows.rows(), read
    ([('North', 1200, 120), ('South', 800, 40)], 3)
    >>> notes[0][:42]
    'Row 3 of report.csv (“Total”) is the total'
    """
    assert d.contacts_column and d.customers_column
    segments = [text(c).fill_null(MISSING).alias(c) for c in d.segments]
    texts = nw.from_native(contacts).select(
        *segments,
        text(d.contacts_column).alias(_RAW + "contacts"),
        text(d.customers_column).alias(_RAW + "customers"),
    )
    frame = (
        nw.to_native(texts)
        .with_row_index(_ROW, offset=1)
        .with_columns(
            pl.any_horizontal(pl.col(c).str.contains(TOTAL_LABEL) for c in d.segments)
            .fill_null(False)
            .alias(_TOTAL),
            *(
                count_expr(pl.col(_RAW + name), decimal_comma=decimal_comma).alias(name)
                for name in ("contacts", "customers")
            ),
        )
        .collect()
    )
    read = frame.height
    notes: tuple[str, ...] = ()
    if not keep_totals and frame[_TOTAL].any():
        data, totals = frame.filter(~pl.col(_TOTAL)), frame.filter(pl.col(_TOTAL))
        _check_numbers(data, d, source)
        notes = _left_out_totals(data, totals, d, source)
        frame = data
    else:
        _check_numbers(frame, d, source)
    frame = frame.select(
        *d.segments, pl.col("contacts").cast(pl.Int64), pl.col("customers").cast(pl.Int64), _ROW
    )
    _check_customers_within_contacts(frame, d, source)
    return frame.drop(_ROW), notes, read


def _check_numbers(frame: pl.DataFrame, d: Definition, source: str) -> None:
    for name, column in (("contacts", d.contacts_column), ("customers", d.customers_column)):
        values = pl.col(name)
        bad = frame.filter(values.is_null() | (values < 0) | (values % 1 != 0))
        if bad.height:
            listed = ", ".join(
                f"row {r}: '{v}'" for r, v in bad.select(_ROW, _RAW + name).head(5).iter_rows()
            )
            raise InputError(
                f"Column '{column}' in {source} must hold whole numbers of 0 or more; "
                f"{bad.height} values are not ({listed}). Thousands separators are read "
                "(1,234 or 1 234; 1.234 in a ;-separated file); decimals and negative counts "
                "are not counts."
            )


def _left_out_totals(
    data: pl.DataFrame, totals: pl.DataFrame, d: Definition, source: str
) -> tuple[str, ...]:
    """Notes for the total rows, which are left out; raise when none of them adds up."""
    contacts, customers = int(data["contacts"].sum()), int(data["customers"].sum())
    adds_up = (pl.col("contacts") == contacts) & (pl.col("customers") == customers)
    good = totals.filter(adds_up.fill_null(False))
    # Beside a total that adds up, another can add up part of the table, never more than all.
    part = (pl.col("contacts") <= contacts) & (pl.col("customers") <= customers)
    wrong = totals if good.height == 0 else totals.filter(~part.fill_null(False))
    if wrong.height:
        row = wrong.row(0, named=True)
        raise InputError(
            f"Row {row[_ROW]} of {source} ({_label(row, d)}) looks like a total, but its counts "
            f"({row[_RAW + 'contacts']} contacts, {row[_RAW + 'customers']} customers) are not "
            f"the sum of the other rows ({contacts:,} and {customers:,}). Remove or fix that "
            "row, or pass --keep-totals to count it as a segment."
        )
    notes = []
    for row in good.iter_rows(named=True):
        notes.append(
            f"Row {row[_ROW]} of {source} ({_label(row, d)}) is the total of the other rows "
            f"({contacts:,} contacts, {customers:,} customers) and was left out, so nothing is "
            "counted twice (--keep-totals keeps it)."
        )
    partial = totals.filter(~adds_up.fill_null(False))
    if partial.height:
        labels = ", ".join(_label(row, d) for row in partial.iter_rows(named=True))
        notes.append(
            f"Other total rows of {source} were left out too ({labels}): they add up part of "
            "the table, not all of it."
        )
    return tuple(notes)


def _label(row: dict, d: Definition) -> str:
    return " · ".join(f"“{row[c]}”" for c in d.segments if row[c] != MISSING) or "“(missing)”"


def _check_customers_within_contacts(frame: pl.DataFrame, d: Definition, source: str) -> None:
    over = frame.filter(pl.col("customers") > pl.col("contacts"))
    if over.height:
        listed = "; ".join(
            f"row {row[0]} ({' · '.join(str(v) for v in row[1:-2])}): {row[-1]} customers > "
            f"{row[-2]} contacts"
            for row in over.select(_ROW, *d.segments, "contacts", "customers").head(5).iter_rows()
        )
        raise InputError(
            f"{source}: customers cannot exceed contacts, but {n(over.height, 'row')} "
            f"{verb(over.height, 'does', 'do')} ({listed}). "
            "Check that the two columns are not swapped."
        )


def summed(rows: pl.DataFrame, segments: list[str]) -> pl.DataFrame:
    """Contacts and customers per segment combination, sorted by the segment values."""
    return (
        rows.group_by(segments)
        .agg(pl.col("contacts").sum(), pl.col("customers").sum())
        .sort(segments)
    )
