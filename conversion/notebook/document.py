"""A notebook as a value: cells with their definition, options and note, to JSON and back.

The JSON document is versioned (``"format": "conversion-notebook"``, ``"version": 1``) and
holds only plain values: text, whole numbers, true/false and lists of them. Reading one never
evaluates or unpickles anything; every field is checked, and a file that is not a notebook, was
altered by hand into something impossible, or was written by a newer version is refused with an
``InputError`` that says which cell and field, and what to do.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conversion.definition import (
    BAND_PRESETS,
    Bands,
    Definition,
    OrdersJoin,
    is_date_bucket,
)
from conversion.errors import InputError
from conversion.notebook import kinds, running

if TYPE_CHECKING:
    import polars as pl

FORMAT = "conversion-notebook"
VERSION = 1
MAX_CELLS = 50
MAX_TITLE = 200
MAX_NOTE = 5_000
MAX_NAME = 200
MAX_LIST = 20
MAX_FILE_BYTES = 1_000_000
DATASET_KINDS = ("sample", "upload", "database", "snapshot", "file")
_CELL_ID = re.compile(r"[a-z0-9]{1,16}")


@dataclass(frozen=True)
class Cell:
    """One cell: a pinned view (``kind`` names its cell kind) or a note that starts a section.

    ``definition`` is what the view counts (``None`` for a note); ``options`` its display
    choices as plain values (chart, sort, share, ...), checked by the cell kind.
    """

    id: str
    kind: str
    title: str
    definition: Definition | None = None
    options: tuple[tuple[str, Any], ...] = ()
    note: str = ""
    collapsed: bool = False

    def __post_init__(self) -> None:
        # Every cell carries every option of its kind, checked: a cell built in code and the
        # same cell read back from its JSON are equal values.
        kind = kinds.get(self.kind, f"The cell {self.title!r}")
        where = f"The cell {self.title!r}"
        object.__setattr__(self, "options", kind.read_options(dict(self.options), where))

    @property
    def is_note(self) -> bool:
        return self.kind == "note"

    @property
    def view_definition(self) -> Definition:
        """The definition a view cell counts; ``InputError`` for a cell that has none."""
        if self.definition is None:
            raise InputError(f"The cell {self.title!r} has no definition to count.")
        return self.definition

    def option(self, name: str, default: Any = None) -> Any:
        return dict(self.options).get(name, default)


@dataclass(frozen=True)
class Dataset:
    """The data a notebook was built on, as its author knew it (a name and a kind)."""

    name: str = ""
    kind: str = "file"
    sample: str | None = None


@dataclass(frozen=True)
class Notebook:
    """A titled list of cells and the dataset they were pinned on."""

    title: str = "Analysis notebook"
    dataset: Dataset = field(default_factory=Dataset)
    cells: tuple[Cell, ...] = ()

    def with_cells(self, cells: tuple[Cell, ...] | list[Cell]) -> Notebook:
        if len(cells) > MAX_CELLS:
            raise InputError(f"A notebook holds at most {MAX_CELLS} cells; remove one first.")
        return replace(self, cells=tuple(cells))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Notebook:
        """Read a notebook JSON file; a bad, altered or newer file raises ``InputError``."""
        file = Path(path)
        try:
            text = file.read_bytes()
        except OSError as error:
            raise InputError(f"Cannot read the notebook {file}: {error.strerror}.") from None
        return from_json(text, source=file.name)

    def run(
        self,
        data: kinds.Data | str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame,
        orders: str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame | None = None,
        *,
        as_of: date | None = None,
    ) -> running.NotebookRun:
        """Every cell recomputed on ``data`` (a contacts file or frame, and optional ``orders``).

        ``as_of`` replaces every cell's as-of date. Cells that cannot be computed on this data
        are listed in the result's ``problems``; the other cells are shown.
        """
        target = data if isinstance(data, kinds.Data) else running.open_data(data, orders)
        return running.run(self, target, as_of=as_of)


# --- to JSON ------------------------------------------------------------------------------


def to_document(notebook: Notebook) -> dict[str, Any]:
    """The notebook as a JSON-ready dict (the inverse of ``from_document``)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": notebook.title,
        "dataset": {
            "name": notebook.dataset.name,
            "kind": notebook.dataset.kind,
            "sample": notebook.dataset.sample,
        },
        "cells": [_cell_document(cell) for cell in notebook.cells],
    }


def to_json(notebook: Notebook) -> str:
    """The notebook as a JSON text, indented for a person to read.

    Examples
    --------
    >>> nb = Notebook(cells=(Cell("a1", "note", "Start", note="Why we look"),))
    >>> from_json(to_json(nb)) == nb
    True
    """
    return json.dumps(to_document(notebook), ensure_ascii=False, indent=2) + "\n"


def _cell_document(cell: Cell) -> dict[str, Any]:
    return {
        "id": cell.id,
        "kind": cell.kind,
        "title": cell.title,
        "note": cell.note,
        "collapsed": cell.collapsed,
        "definition": None if cell.definition is None else definition_document(cell.definition),
        "options": dict(cell.options),
    }


def definition_document(d: Definition) -> dict[str, Any]:
    """Every field of a ``Definition`` as plain JSON values."""
    return {
        "segments": list(d.segments),
        "converted": d.converted,
        "customer_values": list(d.customer_values),
        "converted_date": d.converted_date,
        "id": d.id,
        "contact_date": d.contact_date,
        "window_days": d.window_days,
        "as_of": d.as_of.isoformat() if d.as_of else None,
        "orders": None
        if d.orders is None
        else {"key": d.orders.key, "orders_key": d.orders.orders_key,
              "orders_date": d.orders.orders_date},
        "contacts_column": d.contacts_column,
        "customers_column": d.customers_column,
        "top_k": d.top_k,
        "bins": [[c, n] for c, n in d.bins],
        "date_buckets": [[c, b] for c, b in d.date_buckets],
        "date_format": d.date_format,
        "bands": {"name": d.bands.name, "strong": d.bands.strong, "moderate": d.bands.moderate},
    }  # fmt: skip


# --- from JSON ----------------------------------------------------------------------------


def from_json(text: str | bytes, *, source: str = "the notebook file") -> Notebook:
    """Read a notebook JSON text; every problem is an ``InputError`` naming ``source``."""
    if len(text) > MAX_FILE_BYTES:
        raise InputError(f"{source} is larger than {MAX_FILE_BYTES:,} bytes: not a notebook.")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise InputError(
            f"{source} is not valid JSON: it may be cut short or not a notebook at all. "
            "Download the notebook again from the app."
        ) from None
    return from_document(document, source=source)


def from_document(document: object, *, source: str = "the notebook") -> Notebook:
    """Check a parsed notebook document field by field and build the value."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(
            f"{source} is not a Conversion by Segment notebook (its 'format' is not {FORMAT!r})."
        )
    version = document.get("version")
    if type(version) is not int:
        raise InputError(f"{source} has no format version; it was altered or is not a notebook.")
    if version > VERSION:
        raise InputError(
            f"{source} was written by a newer version of Conversion by Segment (notebook format "
            f"{version}; this version reads format {VERSION}). Update the app or the package."
        )
    if version < 1:
        raise InputError(f"{source} has an impossible format version ({version}).")
    title = _text(document.get("title"), f"{source}: the title", MAX_TITLE)
    dataset = _dataset(document.get("dataset"), source)
    cells = document.get("cells")
    if not isinstance(cells, list) or len(cells) > MAX_CELLS:
        raise InputError(f"{source}: 'cells' must be a list of at most {MAX_CELLS} cells.")
    read = tuple(_cell(raw, f"{source}, cell {n}") for n, raw in enumerate(cells, start=1))
    if len({cell.id for cell in read}) != len(read):
        raise InputError(f"{source}: two cells have the same id; the file was altered.")
    return Notebook(title=title or "Analysis notebook", dataset=dataset, cells=read)


def _dataset(raw: object, source: str) -> Dataset:
    if not isinstance(raw, dict):
        raise InputError(f"{source}: 'dataset' must name the dataset and its kind.")
    kind = raw.get("kind")
    if kind not in DATASET_KINDS:
        raise InputError(
            f"{source}: the dataset kind {kind!r} is not one of {', '.join(DATASET_KINDS)}."
        )
    sample = raw.get("sample")
    return Dataset(
        name=_text(raw.get("name"), f"{source}: the dataset name", MAX_NAME),
        kind=kind,
        sample=None if sample is None else _text(sample, f"{source}: the sample", MAX_NAME),
    )


def _cell(raw: object, where: str) -> Cell:
    if not isinstance(raw, dict):
        raise InputError(f"{where} is not an object with a kind, a title and a note.")
    cell_id = raw.get("id")
    if not isinstance(cell_id, str) or not _CELL_ID.fullmatch(cell_id):
        raise InputError(f"{where}: the id must be 1 to 16 lower-case letters or digits.")
    kind = kinds.get(raw.get("kind"), where)
    title = _text(raw.get("title"), f"{where}: the title", MAX_TITLE)
    note = _text(raw.get("note", ""), f"{where}: the note", MAX_NOTE)
    collapsed = raw.get("collapsed", False)
    if type(collapsed) is not bool:
        raise InputError(f"{where}: 'collapsed' must be true or false.")
    raw_definition = raw.get("definition")
    definition = None
    if not kind.is_note:
        definition = read_definition(raw_definition, f"{where}: the definition")
    elif raw_definition is not None:
        raise InputError(f"{where}: a note cell has no definition; the file was altered.")
    options = kind.read_options(raw.get("options") or {}, where)
    return Cell(cell_id, kind.name, title, definition, options, note, collapsed)


def _text(value: object, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{what} must be text.")
    if len(value) > limit:
        raise InputError(f"{what} is longer than {limit:,} characters.")
    return value


def _column(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME:
        raise InputError(f"{what} must be a column name (text of 1 to {MAX_NAME} characters).")
    return value


def _columns(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise InputError(f"{what} must be a list of at most {MAX_LIST} column names.")
    return tuple(_column(v, what) or "" for v in value)


def _whole(value: object, what: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not low <= value <= high:
        raise InputError(f"{what} must be a whole number from {low} to {high}.")
    return value


def read_definition(raw: object, what: str) -> Definition:
    """A ``Definition`` from its JSON form, every field checked (``InputError`` naming ``what``)."""
    if not isinstance(raw, dict):
        raise InputError(f"{what} is missing.")
    as_of = raw.get("as_of")
    try:
        as_of_date = None if as_of is None else date.fromisoformat(str(as_of))
    except ValueError:
        raise InputError(f"{what}: the as-of date must be YYYY-MM-DD; got {as_of!r}.") from None
    try:
        return _definition(raw, what, as_of_date)
    except InputError as error:
        # The definition's own checks (a column chosen twice, bands out of order) name no file.
        message = str(error)
        raise InputError(message if message.startswith(what) else f"{what}: {message}") from None


def _definition(raw: dict[str, Any], what: str, as_of_date: date | None) -> Definition:
    return Definition(
        segments=_columns(raw.get("segments", []), f"{what}: segments"),
        converted=_column(raw.get("converted"), f"{what}: converted"),
        customer_values=_values(raw.get("customer_values", []), f"{what}: customer values"),
        converted_date=_column(raw.get("converted_date"), f"{what}: converted_date"),
        id=_column(raw.get("id"), f"{what}: id"),
        contact_date=_column(raw.get("contact_date"), f"{what}: contact_date"),
        window_days=_whole(raw.get("window_days"), f"{what}: window_days", 0, 3650),
        as_of=as_of_date,
        orders=_orders(raw.get("orders"), what),
        contacts_column=_column(raw.get("contacts_column"), f"{what}: contacts_column"),
        customers_column=_column(raw.get("customers_column"), f"{what}: customers_column"),
        top_k=_whole(raw.get("top_k"), f"{what}: top_k", 1, 500),
        bins=_bins(raw.get("bins", []), what),
        date_buckets=_buckets(raw.get("date_buckets", []), what),
        date_format=_column(raw.get("date_format"), f"{what}: date_format"),
        bands=_bands(raw.get("bands"), what),
    )


def _values(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise InputError(f"{what} must be a list of at most {MAX_LIST} values.")
    if not all(isinstance(v, str) and len(v) <= MAX_NAME for v in value):
        raise InputError(f"{what} must be text values.")
    return tuple(value)


def _orders(raw: object, what: str) -> OrdersJoin | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError(f"{what}: orders must give the key column.")
    key = _column(raw.get("key"), f"{what}: the orders key")
    if key is None:
        raise InputError(f"{what}: orders must give the key column.")
    return OrdersJoin(
        key,
        _column(raw.get("orders_key"), f"{what}: orders_key"),
        _column(raw.get("orders_date"), f"{what}: orders_date"),
    )


def _bins(raw: object, what: str) -> tuple[tuple[str, int], ...]:
    if not isinstance(raw, list) or len(raw) > MAX_LIST:
        raise InputError(f"{what}: bins must be a list of [column, number] pairs.")
    pairs = []
    for pair in raw:
        if not isinstance(pair, list) or len(pair) != 2:
            raise InputError(f"{what}: bins must be a list of [column, number] pairs.")
        count = _whole(pair[1], f"{what}: the number of bins", 2, 100) or 2
        pairs.append((_column(pair[0], f"{what}: a binned column") or "", count))
    return tuple(pairs)


def _buckets(raw: object, what: str) -> tuple[tuple[str, Any], ...]:
    if not isinstance(raw, list) or len(raw) > MAX_LIST:
        raise InputError(f"{what}: date buckets must be a list of [column, period] pairs.")
    pairs = []
    for pair in raw:
        if not isinstance(pair, list) or len(pair) != 2 or not is_date_bucket(pair[1]):
            raise InputError(
                f"{what}: date buckets must be [column, period] pairs with a period of week, "
                "month, quarter or year."
            )
        pairs.append((_column(pair[0], f"{what}: a bucketed column") or "", pair[1]))
    return tuple(pairs)


def _bands(raw: object, what: str) -> Bands:
    if raw is None:
        return Bands()
    if not isinstance(raw, dict):
        raise InputError(f"{what}: bands must give a name and two thresholds.")
    name = raw.get("name")
    if name in BAND_PRESETS:
        return BAND_PRESETS[name]
    strong, moderate = raw.get("strong"), raw.get("moderate")
    numbers = all(type(v) in (int, float) for v in (strong, moderate))
    if name != "custom" or not numbers:
        raise InputError(
            f"{what}: bands must be {', '.join(BAND_PRESETS)} or custom with two thresholds."
        )
    return Bands(strong=_fraction(strong), moderate=_fraction(moderate), name="custom")


def _fraction(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
