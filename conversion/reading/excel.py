"""Excel workbooks (.xlsx and .xls, through calamine): their sheets, and one sheet as a table.

Rows above the first row with two or more values are a title when the sheet's first row has at
most one value, and rows with only the first cell filled, below a blank row at the end, are a
footer; both are left out, each with one sentence in :attr:`Table.notes`. Header cells get the
names of :mod:`conversion.reading.names` (calamine's own ``Name_1`` and ``__UNNAMED__n`` are
replaced). The sheet is read eagerly and then made lazy.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import fastexcel
import polars as pl

from conversion.errors import InputError
from conversion.reading.layout import HEADER_SCAN, check_header_row
from conversion.reading.messages import first_line, first_quoted
from conversion.reading.names import clean_names
from conversion.reading.table import Table

_EXCEL_UNNAMED = re.compile(r"__UNNAMED__\d+")  # calamine's name for an empty header cell
_EXCEL_RENAMED = re.compile(r"(.*)_\d+")  # calamine's name for a repeated header cell


def sheet_names(path: str | os.PathLike[str]) -> list[str]:
    """The sheet names of an Excel workbook (.xlsx or .xls), in workbook order.

    Raises
    ------
    InputError
        If the file is not a readable workbook.
    """
    path = Path(path)
    try:
        return list(fastexcel.read_excel(path).sheet_names)
    except FileNotFoundError:
        raise InputError(f"{path.name} was not found. Check the file name and folder.") from None
    except Exception as error:  # fastexcel raises its own hierarchy, not OSError
        raise InputError(
            f"{path.name} is not a readable Excel workbook ({first_line(error)}). Open it in "
            "Excel and save it again as .xlsx, or export the sheet as CSV."
        ) from None


def load_excel(path: Path, name: str, sheet: str | None, header_row: int | None) -> Table:
    """Read one sheet: title rows above the header and a footer below the table left out.

    The sheet is parsed once in the common case; again (twice) when a title is found above the
    header, again when a footer is found (so that column types ignore it), and once more for
    the raw header cells when calamine's own names for repeated ones are ambiguous.
    """
    names = _sheets(path, name)
    chosen = names[0] if sheet is None and names else sheet
    if chosen not in names:
        listed = ", ".join(f"“{n}”" for n in names)
        raise InputError(
            f"{name} has no sheet named “{sheet}”. Its sheets are: {listed}. Pick one of those."
        )
    where = f"sheet “{chosen}” of {name}"
    row = 0 if header_row is None else check_header_row(header_row, name) - 1
    frame = _read_sheet(path, name, chosen, names, row)
    notes = []
    if header_row is None and _title_only(frame.columns):
        found = _excel_title(path, chosen, where)
        if found is not None:
            row, note = found
            notes.append(note)
            frame = _read_sheet(path, name, chosen, names, row)
    header = _excel_header(path, chosen, frame.columns, row)
    footer = _excel_footer(frame, where)
    if footer is not None:
        keep, note = footer
        notes.append(note)
        frame = _read_sheet(path, name, chosen, names, row, keep) if keep else frame.clear()
    kept = [
        i
        for i, (column, raw) in enumerate(zip(frame.columns, header, strict=True))
        if raw.strip() or frame[column].null_count() < frame.height  # polars' drop_empty_cols
    ]
    frame = frame.select(frame.columns[i] for i in kept)
    if frame.width:
        frame = frame.filter(~pl.all_horizontal(pl.all().is_null()))
    cleaned = clean_names([header[i] for i in kept], [i + 1 for i in kept])
    frame = frame.rename(dict(zip(frame.columns, cleaned.names, strict=True)))
    return Table(
        frame.lazy(),
        name=name,
        format="excel",
        sheet=chosen,
        sheets=tuple(names),
        notes=tuple(notes + cleaned.notes),
        duplicates=cleaned.duplicates,
    )


def _sheets(path: Path, name: str) -> list[str]:
    """The workbook's sheet names, or an error naming the file as the analyst knows it."""
    try:
        return sheet_names(path)
    except InputError:
        raise InputError(
            f"{name} is not a readable Excel workbook (.xlsx or .xls). If it is a zip archive, "
            "extract the table first; otherwise open it in Excel and save it again as .xlsx."
        ) from None


def _read_sheet(
    path: Path, name: str, sheet: str, sheets: list[str], header: int, rows: int | None = None
) -> pl.DataFrame:
    """The sheet with worksheet row ``header`` (0-based) as the header, typed by calamine.

    ``rows`` limits the data rows read. Blank rows and unnamed empty columns are kept (the
    caller drops them) so that a footer below a blank row can be seen and header cells line
    up with the columns.
    """
    options: dict[str, object] = {"header_row": header}
    if rows is not None:
        options["n_rows"] = rows
    try:
        return pl.read_excel(
            path,
            sheet_name=sheet,
            engine="calamine",
            infer_schema_length=None,
            read_options=options,
            drop_empty_rows=False,
            drop_empty_cols=False,
        )
    except pl.exceptions.NoDataError:
        if header:
            raise InputError(
                f"Sheet “{sheet}” of {name} has nothing from row {header + 1} on, so that row "
                "cannot be the header. Give the number of the row that holds the column names "
                "(the first row is 1)."
            ) from None
        raise InputError(
            f"Sheet “{sheet}” of {name} is empty. Pick the sheet that holds the table "
            f"(sheets: {', '.join(sheets)}), or add a header row and data rows."
        ) from None
    except Exception as error:  # calamine errors are not polars errors
        raise InputError(
            f"Sheet “{sheet}” of {name} could not be read ({first_line(error)}). Save the "
            "workbook again, or export the sheet as CSV."
        ) from None


def _raw_rows(path: Path, sheet: str, skip: int | None, count: int) -> list[tuple[object, ...]]:
    """Up to ``count`` rows of cells as text, from worksheet row ``skip`` (None: the first used)."""
    try:
        rows = fastexcel.read_excel(path).load_sheet(
            sheet, header_row=None, skip_rows=skip, n_rows=count, dtypes="string"
        )
        return rows.to_polars().rows()
    except Exception:  # the sheet was read once already; this is only a closer look
        return []


def _cell_text(value: object) -> str:
    """A cell as stripped text (empty for an empty cell)."""
    return "" if value is None else str(value).strip()


def _title_only(columns: list[str]) -> bool:
    """Whether the header calamine took (the first used row) has at most one value."""
    return len(columns) >= 2 and sum(not _EXCEL_UNNAMED.fullmatch(c) for c in columns) <= 1


def _excel_title(path: Path, sheet: str, where: str) -> tuple[int, str] | None:
    """The worksheet row (0-based) of the header below title rows, with a note; None if none.

    The header is the first row with two or more values, when there is a row below it.
    """
    rows = _raw_rows(path, sheet, 0, HEADER_SCAN + 1)
    filled = [sum(bool(_cell_text(v)) for v in row) for row in rows]
    top = next((i for i, count in enumerate(filled) if count), None)
    header = next((i for i, count in enumerate(filled) if count >= 2), None)
    if top is None or header is None or header == top or header + 1 >= len(rows):
        return None
    texts = [" ".join(filter(None, map(_cell_text, row))) for row in rows[top:header]]
    texts = [text for text in texts if text]
    quoted = first_quoted(texts)
    which = (
        f"Row {top + 1} of {where} is"
        if header == top + 1
        else f"Rows {top + 1}–{header} of {where} are"
    )
    return header, f"{which} a title above the table ({quoted}); the header is row {header + 1}."


def _excel_header(path: Path, sheet: str, columns: list[str], header: int) -> list[str]:
    """The header cells as written (empty for an empty cell), lined up with ``columns``.

    calamine names an empty cell ``__UNNAMED__<index>`` and a repeated name ``Name_1``; when
    such a name could also be a real one, the header row is read again as it is.
    """
    seen: set[str] = set()
    renamed = False
    for column in columns:
        match = _EXCEL_RENAMED.fullmatch(column)
        renamed = renamed or bool(match and match.group(1) in seen)
        seen.add(column)
    if renamed:
        rows = _raw_rows(path, sheet, header or None, 1)
        if rows and len(rows[0]) >= len(columns) and any(map(_cell_text, rows[0])):
            return [_cell_text(value) for value in rows[0][: len(columns)]]
    return ["" if _EXCEL_UNNAMED.fullmatch(column) else column for column in columns]


def _excel_footer(frame: pl.DataFrame, where: str) -> tuple[int, str] | None:
    """The number of data rows above a footer, with a note; None if there is no footer.

    A footer is the rows at the end, below a blank row, with nothing but their first cell.
    """
    if frame.width < 2 or frame.height < 2:
        return None
    tail = frame.tail(HEADER_SCAN)
    has_value = [
        pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "")
        if tail.schema[c] == pl.String
        else pl.col(c).is_not_null()
        for c in tail.columns
    ]
    counts = tail.select(pl.sum_horizontal(has_value)).to_series().to_list()
    first = tail.select(has_value[0]).to_series().to_list()
    end = len(counts)
    while end and (counts[end - 1] == 0 or (counts[end - 1] == 1 and first[end - 1])):
        end -= 1
    block = counts[end:]
    if end == 0 or not block or block[0] or not any(block):
        return None
    texts = [_cell_text(tail[i, 0]) for i in range(end, len(counts)) if counts[i]]
    quoted = first_quoted(texts)
    note = (
        f"The last {len(block)} rows of {where} are a footer, not data ({quoted}); "
        "they were left out."
    )
    return frame.height - len(tail) + end, note
