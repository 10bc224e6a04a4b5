"""The reader's words for the analyst: shared phrasing, and the errors for ragged lines.

Every note and error of the reader names the file as the analyst knows it and says what to
do. The phrasing helpers here (lists, counts, quoted lines, an error's first line) are shared
by the notes about titles, footers and column names, so the same thing never reads two ways.

Field counts: a short or long line found while loading is an ``InputError`` with its line
number (the line of the original file, lines left out above the header included). Past the
bytes checked at load time, polars itself fails on a line with too many fields when the frame
is collected; pass that error to :func:`input_error` for the same message. polars pads a line
with too *few* fields with nulls.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from conversion.errors import InputError
from conversion.reading.table import Table

_QUOTE_WIDTH = 60  # characters of a title or footer line quoted in a note
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def listed(items: Sequence[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def times(count: int) -> str:
    """``twice``, ``3 times``."""
    return "twice" if count == 2 else f"{count} times"


def _quoted(text: str) -> str:
    """The text in curly quotes, cut to about 60 characters."""
    if len(text) > _QUOTE_WIDTH:
        text = text[: _QUOTE_WIDTH - 1].rstrip() + "…"
    return f"“{text}”"


def first_quoted(texts: list[str]) -> str:
    """The first of the lines that has a letter or digit (not a ``# -----`` rule), quoted."""
    first = next((text for text in texts if any(c.isalnum() for c in text)), texts[0])
    return _quoted(first) + (", …" if len(texts) > 1 else "")


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name if it has none)."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _bad_line_error(
    source: Path, name: str, delimiter: str, columns: int, offset: int
) -> InputError | None:
    """The message for the first record of ``source`` without ``columns`` fields, if any.

    ``offset`` lines of the original file come before ``source``'s first line.
    """
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        start = 1
        for row in reader:
            if row and len(row) != columns:
                return _wrong_count_error(name, delimiter, columns, start + offset, len(row))
            start = reader.line_num + 1
    return None


def _wrong_count_error(
    name: str, delimiter: str, columns: int, line: int, found: int
) -> InputError:
    label = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    fields = f"{found} field" + ("s" if found != 1 else "")
    return InputError(
        f"{name}: line {line} has {fields} but the header has {columns} ({label}-separated). "
        f"Fix that line — a value containing a {label} must be in double quotes — or choose "
        "another delimiter, then load the file again."
    )


def fields_error(
    source: Path, name: str, delimiter: str, columns: int, open_quote: bool, offset: int = 0
) -> InputError:
    """The message for a file whose records do not all have the header's field count.

    ``offset`` lines of the original file come before ``source``'s first line.
    """
    bad = _bad_line_error(source, name, delimiter, columns, offset)
    if bad is not None:
        return bad
    problem = (
        'a double quote (") opens a quoted value that is never closed'
        if open_quote
        else 'its double quotes (") do not pair up'
    )
    return InputError(
        f"{name} cannot be split into columns reliably: {problem}. Quote whole values "
        '("like this") and write a quote inside a value as two quotes (""), then load the '
        "file again."
    )


def input_error(error: Exception, table: Table) -> InputError:
    """Translate an error raised while collecting ``table.frame`` into a message for the analyst.

    For delimited text the file is read again (slowly, on this error path only) to find the
    first line whose field count differs from the header's; its line number is the original
    file's (``table.line_offset`` added).

    Examples
    --------
    >>> import polars as pl
    >>> table = Table(pl.LazyFrame(), name="leads.csv", format="csv")
    >>> input_error(pl.exceptions.ComputeError("boom"), table).args[0][:46]
    'leads.csv could not be read completely (boom).'
    """
    if isinstance(error, InputError):
        return error
    if table.format == "csv" and table.path is not None and table.delimiter is not None:
        with table.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=table.delimiter)
            columns = len(next((row for row in reader if row), []))
        bad = _bad_line_error(table.path, table.name, table.delimiter, columns, table.line_offset)
        if bad is not None:
            return bad
    return InputError(
        f"{table.name} could not be read completely ({first_line(error)}). Check that the "
        f"file is complete and in {table.format.upper()} format, then load it again."
    )
