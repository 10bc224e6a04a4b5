"""The ``Table`` a load returns: the lazy frame, and what the reader found and did to the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl


@dataclass(frozen=True)
class Table:
    """A loaded table: the lazy frame plus what the analyst needs to know about the file.

    Attributes
    ----------
    frame
        The table, lazily.
    name
        The file name as the analyst knows it, used in messages.
    format
        ``csv``, ``excel``, ``parquet``, ``json`` or ``ndjson``.
    delimiter, encoding
        Delimited text: the field delimiter and the text encoding found (``utf-8``,
        ``utf-8-sig``, ``utf-16-le``, ``utf-16-be``, ``cp1252`` or ``latin-1``).
    sheet, sheets
        Excel: the sheet read and all the workbook's sheets.
    path
        The file actually scanned: a private UTF-8 copy when the text was transcoded or lines
        above the header or below the table were left out.
    notes
        One plain sentence per thing the reader did to the file (lines left out as a title or
        a footer, columns named or renamed), for the analyst.
    duplicates
        Each header name that appears more than once, with the distinct names its columns
        were given (the first keeps the name): ``(("Objective", ("Objective",
        "Objective (2)")),)``. See :func:`conversion.reading.check_unambiguous`.
    line_offset
        How many lines of the original file come before the first line of ``path``, so that
        line numbers in messages are the original file's.

    Examples
    --------
    >>> import polars as pl
    >>> table = Table(pl.LazyFrame({"id": ["007"]}), name="leads.csv", format="csv")
    >>> table.columns, table.notes
    (['id'], ())
    """

    frame: pl.LazyFrame
    name: str
    format: str
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    path: Path | None = None  # the file actually scanned (a private UTF-8 copy if transcoded)
    notes: tuple[str, ...] = ()
    duplicates: tuple[tuple[str, tuple[str, ...]], ...] = ()
    line_offset: int = 0

    @property
    def columns(self) -> list[str]:
        """Column names, from the schema only (no data is read)."""
        return self.frame.collect_schema().names()
