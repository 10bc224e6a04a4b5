"""Load a contacts or orders file into a polars ``LazyFrame``, with messages an analyst can act on.

Formats are recognised from the bytes first and the file name second: Parquet, Excel
(.xlsx and .xls, through calamine), gzip-compressed anything, JSON arrays, NDJSON and
delimited text. CSV, NDJSON and Parquet are scanned lazily; Excel and JSON arrays are read
and then made lazy. Delimited text is read with every column as a string, so ids keep their
leading zeros and the engine parses flags and dates itself. This module recognises the format
and reads each one into a :class:`~conversion.reading.table.Table`; the rest of the reader is
in the modules next to it:

- :mod:`~conversion.reading.text`: gzip, text encodings (:attr:`Table.encoding` says which)
  and the UTF-8 copies, and the streaming check of UTF-8 and field counts;
- :mod:`~conversion.reading.layout`: where the header, title lines and footer of delimited
  text are;
- :mod:`~conversion.reading.excel`: workbooks, their sheets, titles and footers;
- :mod:`~conversion.reading.names`: column names made distinct, and ambiguous choices refused;
- :mod:`~conversion.reading.messages`: the wording of notes and read errors;
- :mod:`~conversion.reading.temporary`: the private directory of uploads and copies.

Titles and footers left out of delimited text: the header and data lines are copied to a
private file, which is then scanned (:attr:`Table.path`).

Field counts: every record of the first 32 MB is checked exactly at load time, so a short or
long line there is an ``InputError`` with its line number. Past that, polars itself fails on a
line with too many fields when the frame is collected; pass that error to
:func:`~conversion.reading.messages.input_error` for the same message. polars turns a blank
line into a row of nulls; blank lines are filtered out (rows whose every value is missing are
dropped when the file has blank lines).
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import polars as pl

from conversion.errors import InputError
from conversion.reading.excel import load_excel
from conversion.reading.layout import find_footer, find_layout
from conversion.reading.messages import fields_error, first_line, input_error
from conversion.reading.names import clean_names, named_table
from conversion.reading.table import Table
from conversion.reading.text import (
    GZIP_MAGIC,
    UTF8_BOM,
    copy_range,
    gunzipped_head,
    read_head,
    readable_copy,
    scan_text,
    strip_gz,
    transcode,
    utf16,
)

__all__ = ["MAX_BYTES_DEFAULT", "PREVIEW_ROWS", "detect_format", "load"]

MAX_BYTES_DEFAULT = 1024 * 1024 * 1024  # 1 GiB
PREVIEW_ROWS = 20  # rows the Data page previews: read once here, so the preview cannot fail

# Field counts are checked exactly up to this many bytes (the whole of most analysts' files);
# past it, polars itself rejects lines with too many fields, which input_error() explains.
_FIELD_CHECK_BYTES = 32 * 1024 * 1024
_FORMATS = ("csv", "excel", "parquet", "json", "ndjson")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".tab": "csv",
    ".psv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


def detect_format(path: str | os.PathLike[str], name: str) -> str:
    """The table format of a file: ``csv``, ``excel``, ``parquet``, ``json`` or ``ndjson``.

    The content decides first (Parquet and zip/OLE magic numbers, a leading ``[`` or ``{``),
    the extension of ``name`` second. A gzip file is looked into: the result is the format
    of what it contains. UTF-16 text (with a byte order mark) is looked at decoded.

    Raises
    ------
    InputError
        If the file is missing, or is binary data that is none of the supported formats.

    Examples
    --------
    >>> from conversion.reading import save_upload
    >>> path = save_upload(b'[{"id": "01"}]', "leads.json")
    >>> detect_format(path, "leads.json")
    'json'
    >>> detect_format(save_upload("id\\tname\\n1\\tZoë\\n".encode("utf-16"), "u.txt"), "u.txt")
    'csv'
    """
    head = read_head(Path(path), name)
    if head.startswith(GZIP_MAGIC):
        head = gunzipped_head(path, name)
        name = strip_gz(name)
    encoding = utf16(head)
    if encoding is not None:
        head = head[2:].decode(encoding, errors="replace").encode("utf-8")
    found = _format_from_head(head, name)
    if found is not None:
        return found
    _check_text(head, name)
    return "csv"


def _format_from_head(head: bytes, name: str) -> str | None:
    """The format that the first bytes prove, or None for text that is not JSON."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "excel"
    text = head.removeprefix(UTF8_BOM).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "ndjson"
    return None


def _check_text(head: bytes, name: str) -> None:
    """Raise if the first bytes (UTF-8 or 8-bit text by now) are not text: binary data."""
    control = sum(byte < 32 and byte not in b"\t\n\r\f" for byte in head)
    if b"\x00" in head or control > len(head) // 20:
        raise InputError(
            f"{name} is not a text table: it contains binary data (it may be another kind of "
            "file renamed). Upload a CSV, Excel (.xlsx), Parquet or JSON file."
        )


def load(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    sheet: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    max_bytes: int | None = MAX_BYTES_DEFAULT,
) -> Table:
    """Load a contacts or orders table lazily.

    Parameters
    ----------
    path
        The file on disk (an upload saved with :func:`save_upload`, or any local file). It is
        never modified.
    name
        The file name as the analyst knows it, used in messages; defaults to the file's name.
    sheet
        Excel only: the sheet to read (default: the first).
    delimiter
        Delimited text only: force the field delimiter instead of detecting it.
    header_row
        The 1-based line (Excel: row) number of the header, instead of detecting it; the lines
        above it are left out. Ignored for Parquet and JSON, whose names are not in a row.
    max_bytes
        Refuse files larger than this (None: no limit). Also applies to gzip content.

    Returns
    -------
    Table
        The lazy frame and what was detected (format, delimiter, encoding, sheets), with a
        note for each thing the reader did (title or footer lines left out, columns renamed).

    Raises
    ------
    InputError
        For a missing, empty, header-only, binary, too large or malformed file, an unknown
        sheet, a header row beyond the file, or ragged lines; the message names the file and
        says what to do.

    Examples
    --------
    >>> from conversion.reading import save_upload
    >>> path = save_upload(b"id;region\\n007;Nord\\n", "leads.csv")
    >>> table = load(path, name="leads.csv")
    >>> table.delimiter, table.frame.collect().rows()
    (';', [('007', 'Nord')])
    >>> path = save_upload(b"Leads report\\nid,region\\n007,Nord\\n", "report.csv")
    >>> table = load(path, name="report.csv")
    >>> table.columns
    ['id', 'region']
    >>> print(*table.notes)
    Line 1 of report.csv is a title above the table (“Leads report”); the header is line 2.
    """
    path = Path(path)
    name = name or path.name
    source, name_inside, encoding = readable_copy(path, name, max_bytes)
    head = read_head(source, name)
    if not head.strip() and source.stat().st_size <= len(head):
        raise InputError(
            f"{name} is empty. Export the table again with a header row and at least one "
            "row of data, then load it."
        )
    fmt = _format_from_head(head, name_inside)
    if fmt == "parquet":
        table = _scan_parquet(source, name)
    elif fmt == "excel":
        table = load_excel(source, name, sheet, header_row)
    elif fmt == "json":
        table = _read_json_array(source, name)
    elif fmt == "ndjson":
        table = _scan_ndjson(source, name)
    else:
        _check_text(head, name)
        table = _load_delimited(source, name, delimiter, header_row, owned=source != path)
    if encoding is not None:
        table = replace(table, encoding=encoding)
    _check_has_rows(table)
    return table


def _check_has_rows(table: Table) -> None:
    """Raise if the table has columns but no rows, or its first rows cannot be read."""
    try:
        first = table.frame.head(PREVIEW_ROWS).collect()
    except pl.exceptions.PolarsError as error:
        if table.format == "csv":
            raise input_error(error, table) from None
        raise InputError(
            f"{table.name} could not be read as {table.format.upper()}: {first_line(error)}. "
            "Check that the file is complete and exported in that format."
        ) from None
    if first.height == 0:
        what = f"sheet “{table.sheet}” of {table.name}" if table.sheet else table.name
        if first.width == 0:
            raise InputError(f"{what} has no data. Load a file with a header row and data rows.")
        raise InputError(
            f"{what} has a header row but no data rows (columns: "
            f"{', '.join(first.columns)}). Export the table again including its rows."
        )


# --- Parquet and JSON ---------------------------------------------------------------------


def _scan_parquet(path: Path, name: str) -> Table:
    try:
        return named_table(pl.scan_parquet(path), name, "parquet")
    except pl.exceptions.PolarsError as error:
        raise InputError(
            f"{name} is not a readable Parquet file ({first_line(error)}). "
            "Write it again, or export the table as CSV."
        ) from None


def _scan_ndjson(path: Path, name: str) -> Table:
    if read_head(path, name, len(UTF8_BOM)) == UTF8_BOM:
        path = copy_range(path, name, len(UTF8_BOM), path.stat().st_size)
    frame = pl.scan_ndjson(path)
    try:
        return named_table(frame, name, "ndjson")
    except pl.exceptions.PolarsError:
        raise _json_lines_error(name) from None


def _json_lines_error(name: str) -> InputError:
    return InputError(
        f"{name} starts with “{{” but is not newline-delimited JSON (one complete object per "
        "line). Save a single JSON document as an array of objects ([{...}, {...}]), or write "
        "one object per line."
    )


def _read_json_array(path: Path, name: str) -> Table:
    data = path.read_bytes().removeprefix(UTF8_BOM)
    try:
        frame = pl.read_json(io.BytesIO(data))
    except pl.exceptions.PolarsError as error:
        raise InputError(
            f"{name} is not a valid JSON array of objects ({first_line(error)}). Expected "
            '[{"column": value, ...}, ...] — one object per row. Fix or export it again.'
        ) from None
    return named_table(frame.lazy(), name, "json")


# --- delimited text ----------------------------------------------------------------------


def _load_delimited(
    path: Path, name: str, delimiter: str | None, header_row: int | None, owned: bool = False
) -> Table:
    """Scan delimited text lazily, every column a string.

    When lines above the header or a footer are left out, the header and data lines are
    copied to a private file first (one streaming pass), which is what is checked and scanned;
    otherwise the file itself is, as it is. ``owned``: ``path`` is a private copy made by
    :func:`load` (decompressed or decoded), removed once another copy replaces it.
    """
    layout = find_layout(path, name, delimiter, header_row)
    footer = find_footer(path, layout.delimiter, len(layout.header), layout.start)
    notes = [layout.note] if layout.note else []
    source = path
    trimmed: list[Path] = []
    if layout.start or footer:
        end = footer.start if footer else path.stat().st_size
        source = copy_range(path, name, layout.start, end)
        trimmed.append(source)
    if footer:
        notes.append(footer.note(name))
    offset = layout.line - 1 if layout.start else 0
    columns = len(layout.header)
    scan = scan_text(source, layout.delimiter, columns, _FIELD_CHECK_BYTES)
    if scan.utf8:
        encoding = "utf-8-sig" if layout.bom else "utf-8"
    else:
        source, encoding = transcode(source, name)
    if not scan.fields_ok:
        raise fields_error(source, name, layout.delimiter, columns, scan.open_quote, offset)
    for stale in {path, *trimmed} - {source}:
        if stale != path or owned:  # never the analyst's file
            stale.unlink(missing_ok=True)
    cleaned = clean_names(layout.header)

    def rename(names: list[str]) -> list[str]:
        return cleaned.names if len(names) == columns else [n.strip() for n in names]

    frame = pl.scan_csv(
        source,
        separator=layout.delimiter,
        infer_schema=False,
        with_column_names=rename,
        raise_if_empty=False,
    )
    if scan.blank_lines:
        frame = frame.filter(~pl.all_horizontal(pl.all().is_null()))
    return Table(
        frame,
        name=name,
        format="csv",
        delimiter=layout.delimiter,
        encoding=encoding,
        path=source,
        notes=tuple(notes + cleaned.notes),
        duplicates=cleaned.duplicates,
        line_offset=offset,
    )


assert set(_EXTENSIONS.values()) <= set(_FORMATS)
