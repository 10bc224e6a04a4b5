"""Column names from a header: stripped, empty ones named, repeated ones made distinct and checked.

Header rules: whitespace around names is stripped; an empty name becomes ``column <position>``
(1-based, e.g. the index column of a pandas export); a name that appears more than once keeps
it for its first column and the later copies become ``Name (2)``, ``Name (3)``, … (a suffix
already used by another column is skipped). :attr:`Table.duplicates` records each repeated
name and the names its copies were given, and :func:`check_unambiguous` refuses the bare name
as a choice when its copies hold different values. This holds for every format (calamine's own
``Name_1`` and ``__UNNAMED__n`` names for Excel are replaced by these).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import polars as pl

from conversion.errors import InputError
from conversion.reading.messages import input_error, listed, times
from conversion.reading.table import Table


class Names(NamedTuple):
    """Distinct column names for a header, and what was done to get them."""

    names: list[str]
    notes: list[str]
    duplicates: tuple[tuple[str, tuple[str, ...]], ...]


def clean_names(names: Sequence[str], positions: Sequence[int] | None = None) -> Names:
    """Strip names, name empty ones by position, and give repeated names distinct ones.

    ``positions`` are the columns' 1-based positions in the file (default: 1, 2, …), used to
    name an empty header cell ``column <position>``. The first of repeated names keeps it;
    the later ones become ``Name (2)``, ``Name (3)``, skipping a name another column has.
    """
    positions = range(1, len(names) + 1) if positions is None else positions
    stripped = [str(column).strip() for column in names]
    unnamed = [position for position, column in zip(positions, stripped, strict=True) if not column]
    named = [column or f"column {p}" for p, column in zip(positions, stripped, strict=True)]
    taken = set(named)
    copies: dict[str, list[str]] = {}
    result = []
    for column in named:
        given = column
        seen = copies.setdefault(column, [])
        if seen:
            suffix = len(seen) + 1
            while (given := f"{column} ({suffix})") in taken:
                suffix += 1
            taken.add(given)
        seen.append(given)
        result.append(given)
    duplicates = tuple((column, tuple(given)) for column, given in copies.items() if len(given) > 1)
    notes = [_unnamed_note(unnamed)] if unnamed else []
    notes += [_duplicate_note(column, given) for column, given in duplicates]
    return Names(result, notes, duplicates)


def _unnamed_note(positions: Sequence[int]) -> str:
    """The note for header cells without a name, at these 1-based positions."""
    if len(positions) == 1:
        return (
            f"Column {positions[0]} has no name in the header; "
            f"it is called “column {positions[0]}”."
        )
    if len(positions) <= 5:
        numbers = listed([str(p) for p in positions])
        called = listed([f"“column {p}”" for p in positions])
        return f"Columns {numbers} have no name in the header; they are called {called}."
    first = ", ".join(str(p) for p in positions[:3])
    return (
        f"{len(positions)} columns have no name in the header (columns {first}, …); each is "
        "called “column N” after its position."
    )


def _duplicate_note(column: str, given: Sequence[str]) -> str:
    """The note for a name that appears more than once, and the names its copies got."""
    return (
        f"Column “{column}” appears {times(len(given))} in the header; the copies are named "
        f"{listed([f'“{g}”' for g in given])}."
    )


def named_table(frame: pl.LazyFrame, name: str, fmt: str) -> Table:
    """A table of ``frame`` with its column names cleaned (stripped, named, made distinct)."""
    names = frame.collect_schema().names()
    cleaned = clean_names(names)
    if cleaned.names != names:
        frame = frame.rename(dict(zip(names, cleaned.names, strict=True)))
    return Table(
        frame, name=name, format=fmt, notes=tuple(cleaned.notes), duplicates=cleaned.duplicates
    )


def check_unambiguous(table: Table, columns: Iterable[str]) -> None:
    """Raise if one of ``columns`` is a repeated header name whose copies hold different values.

    A name that appears more than once in the header is loaded as ``Name``, ``Name (2)``, …
    (see :attr:`Table.duplicates`). Choosing the bare ``Name`` is fine when all its copies
    hold the same values (compared over the whole frame, in one lazy pass); otherwise the
    analyst has to say which copy is meant.

    Parameters
    ----------
    table
        A table from :func:`conversion.reading.load`.
    columns
        The column names the analyst chose (segments, id, flag, dates); names that are not
        repeated header names are ignored.

    Raises
    ------
    InputError
        Naming the file, how many times the name appears and the names to choose from.

    Examples
    --------
    >>> from conversion.reading import load, save_upload
    >>> path = save_upload(b"id,stage,stage\\n1,lead,lead\\n2,won,won\\n", "leads.csv")
    >>> table = load(path)
    >>> table.columns, table.duplicates
    (['id', 'stage', 'stage (2)'], (('stage', ('stage', 'stage (2)')),))
    >>> check_unambiguous(table, ["id", "stage"])  # the copies agree: nothing to choose
    """
    copies = dict(table.duplicates)
    wanted = [column for column in dict.fromkeys(columns) if column in copies]
    if not wanted:
        return
    schema = table.frame.collect_schema()
    differ = set()
    checks = {}
    for column in wanted:
        first, *others = copies[column]
        if any(schema[other] != schema[first] for other in others):
            differ.add(column)  # a number and a text column cannot hold the same values
        else:
            checks[column] = pl.all_horizontal(
                pl.col(first).eq_missing(pl.col(other)).all() for other in others
            )
    if checks:
        exprs = [check.alias(f"same {i}") for i, check in enumerate(checks.values())]
        try:
            same = table.frame.select(exprs).collect().row(0)
        except pl.exceptions.PolarsError as error:
            raise input_error(error, table) from None
        differ.update(column for column, agree in zip(checks, same, strict=True) if not agree)
    for column in wanted:
        if column in differ:
            given = copies[column]
            raise InputError(
                f"“{column}” appears {times(len(given))} in the header of {table.name}, and "
                f"those columns hold different values, so “{column}” does not say which one "
                f"to use. Choose {listed([f'“{g}”' for g in given], 'or')}."
            )
