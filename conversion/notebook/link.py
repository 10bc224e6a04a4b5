"""A notebook in one link: its JSON document, optionally with every cell's counts, packed.

For a bundled sample or a database the link carries the notebook alone: whoever opens it
recomputes every cell. For an upload it also carries each cell's counts — the small
per-segment (or per-cohort) tables of contacts and customers, never a row of data — so a
colleague sees the same numbers without the file. The payload is JSON compressed with zlib, in
base64url behind a version prefix (``1.``), as snapshot links are; decoding checks the size
before and after decompression and every field, and says plainly what is wrong with a link.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from conversion.errors import InputError
from conversion.notebook.document import from_document, to_document
from conversion.notebook.kinds import Counted
from conversion.sharing import packing

if TYPE_CHECKING:
    from collections.abc import Mapping

    from conversion.notebook.document import Notebook

VERSION = 1
PREFIX = f"{VERSION}."
MAX_LINK_CHARS = 60_000
MAX_JSON_BYTES = 1_000_000
MAX_ROWS = 5_000
MAX_TEXT = 200
MAX_COUNT = 10**12
MAX_WARNINGS = 20
PARAMETER = "notebook"
_TYPES: dict[str, pl.DataType] = {
    "text": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
}


def encode(notebook: Notebook, counts: Mapping[str, Counted] | None = None) -> str:
    """Pack ``notebook`` (and, for an upload, each cell's ``counts`` by cell id) into a string.

    Raises
    ------
    InputError
        When the link would be longer than :data:`MAX_LINK_CHARS` characters.
    """
    document: dict[str, Any] = {"v": VERSION, "notebook": to_document(notebook)}
    if counts is not None:
        rows = sum(t.height for c in counts.values() for t in c.tables.values())
        if rows > MAX_ROWS:
            raise _too_large()
        document["counts"] = {cell: _counted_document(c) for cell, c in counts.items()}
    text = packing.pack(document, VERSION)
    if len(text) > MAX_LINK_CHARS:
        raise _too_large()
    return text


def _too_large() -> InputError:
    return InputError(
        "This notebook is too large for a link: use Top K on its biggest breakdowns, remove a "
        "cell, or share the downloaded notebook file or the HTML report instead."
    )


def _counted_document(counted: Counted) -> dict[str, Any]:
    return {
        "tables": {name: _table_document(t) for name, t in counted.tables.items()},
        "warnings": list(counted.warnings[:MAX_WARNINGS]),
        "as_of": counted.as_of.isoformat() if counted.as_of else None,
    }


def _table_document(table: pl.DataFrame) -> dict[str, Any]:
    columns = []
    for name, dtype in table.schema.items():
        kind = next((k for k, t in _TYPES.items() if dtype == t), None)
        if kind is None or (kind == "int" and not dtype.is_integer()):
            kind = "int" if dtype.is_integer() else "float" if dtype.is_float() else "text"
        columns.append([name, kind])
    cast = table.with_columns(
        pl.col(name).cast(_TYPES[kind]) for name, kind in columns if kind != "date"
    ).with_columns(pl.col(name).cast(pl.String) for name, kind in columns if kind == "date")
    return {"columns": columns, "rows": [list(row) for row in cast.iter_rows()]}


def decode(text: str) -> tuple[Notebook, dict[str, Counted] | None]:
    """Unpack a notebook link: the notebook, and the counts per cell id when it carries them."""
    document = packing.unpack(
        text, version=VERSION, kind="notebook link", max_chars=MAX_LINK_CHARS,
        max_bytes=MAX_JSON_BYTES,
    )  # fmt: skip
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise _broken("its contents are not a notebook")
    notebook = from_document(document.get("notebook"), source="The notebook in this link")
    raw_counts = document.get("counts")
    if raw_counts is None:
        return notebook, None
    ids = {cell.id for cell in notebook.cells}
    if not isinstance(raw_counts, dict) or not set(raw_counts) <= ids:
        raise _broken("its counts do not match its cells")
    total = [0]
    counts = {cell: _counted(raw, total) for cell, raw in raw_counts.items()}
    return notebook, counts


def _broken(why: str) -> InputError:
    return packing.broken("notebook link", why)


def _counted(raw: object, total: list[int]) -> Counted:
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict):
        raise _broken("a cell's counts are not tables")
    tables = {}
    for name, table in raw["tables"].items():
        if not isinstance(name, str) or len(name) > MAX_TEXT + 10:
            raise _broken("a table name is not valid")
        tables[name] = _table(table, total)
    warnings = raw.get("warnings") or []
    if not isinstance(warnings, list) or len(warnings) > MAX_WARNINGS:
        raise _broken("a cell's notes are not a short list")
    if not all(isinstance(w, str) and len(w) <= 1_000 for w in warnings):
        raise _broken("a cell's note is not text")
    as_of = raw.get("as_of")
    try:
        as_of_date = date.fromisoformat(as_of) if isinstance(as_of, str) else None
    except ValueError:
        raise _broken("an as-of date is not a date") from None
    return Counted(tables, tuple(warnings), as_of_date)


def _table(raw: object, total: list[int]) -> pl.DataFrame:
    if not isinstance(raw, dict):
        raise _broken("a table is not valid")
    columns, rows = raw.get("columns"), raw.get("rows")
    if not isinstance(columns, list) or not 1 <= len(columns) <= 12:
        raise _broken("a table's columns are not valid")
    if not all(
        isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) and 0 < len(c[0]) <= MAX_TEXT
        and c[1] in _TYPES for c in columns
    ):  # fmt: skip
        raise _broken("a table's columns are not valid")
    names = [c[0] for c in columns]
    if len(set(names)) != len(names) or not isinstance(rows, list):
        raise _broken("a table's columns are not valid")
    total[0] += len(rows)
    if total[0] > MAX_ROWS:
        raise _broken("it holds too many rows of counts")
    for row in rows:
        if not isinstance(row, list) or len(row) != len(columns):
            raise _broken("a table row has the wrong shape")
        for value, (name, kind) in zip(row, columns, strict=True):
            if not _valid(value, kind):
                raise _broken(f"a value of {name!r} is not a valid {kind}")
    data = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    schema = {name: pl.String if kind == "date" else _TYPES[kind] for name, kind in columns}
    frame = pl.DataFrame(data, schema=schema, orient="col")
    return frame.with_columns(
        pl.col(name).str.to_date("%Y-%m-%d") for name, kind in columns if kind == "date"
    )


def _valid(value: object, kind: str) -> bool:
    if value is None:
        return True
    if kind == "int":
        return type(value) is int and -MAX_COUNT <= value <= MAX_COUNT
    if kind == "float":
        return type(value) in (int, float)
    if kind == "bool":
        return type(value) is bool
    if kind == "date":
        if not isinstance(value, str) or len(value) != 10:
            return False
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return isinstance(value, str) and len(value) <= MAX_TEXT
