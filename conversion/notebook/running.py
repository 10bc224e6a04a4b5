"""Running a notebook: each cell counted on a dataset (or taken from a snapshot) and shown.

A cell that cannot be computed — a column it needs is not in the new file, or its definition no
longer fits the data — does not stop the others: its result carries the problem, and
``NotebookRun.problems`` lists every such cell (the command exits 1 when there are any).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from conversion import reading, sources
from conversion.errors import InputError
from conversion.notebook import kinds
from conversion.notebook.render import figures_json, to_html, to_markdown
from conversion.roles import detect_roles

if TYPE_CHECKING:
    from collections.abc import Mapping

    from conversion.definition import Definition
    from conversion.notebook.document import Cell, Notebook


@dataclass(frozen=True)
class CellResult:
    """One cell's outcome: its counts and view, or the problem that kept it from being shown."""

    cell: Cell
    counted: kinds.Counted | None = None
    shown: kinds.Shown | None = None
    problem: str | None = None

    @property
    def figures(self) -> kinds.Figures | None:
        return self.shown.figures if self.shown is not None else None


@dataclass(frozen=True)
class NotebookRun:
    """A notebook with every cell computed: export it as HTML, Markdown or JSON figures."""

    notebook: Notebook
    dataset: str
    results: tuple[CellResult, ...]
    generated: datetime

    @property
    def problems(self) -> tuple[str, ...]:
        """One sentence per cell that could not be computed (empty when every cell was)."""
        return tuple(
            f"Cell {n} ({r.cell.title or r.cell.kind}): {r.problem}"
            for n, r in enumerate(self.results, start=1)
            if r.problem is not None
        )

    def above(self, index: int) -> kinds.Figures | None:
        """The figures of the nearest computed view cell above cell ``index`` (0-based)."""
        for result in reversed(self.results[:index]):
            if not result.cell.is_note:
                return result.figures
        return None

    def to_html(self) -> str:
        """One self-contained HTML page of the whole notebook (charts as inline SVG)."""
        return to_html(self)

    def to_markdown(self) -> str:
        """The notebook as Markdown: notes, figures and tables (charts are in the HTML)."""
        return to_markdown(self)

    def to_json(self) -> str:
        """The numbers of every cell as JSON: figures and the per-segment table."""
        return figures_json(self)


def missing_columns(cell: Cell, data: kinds.Data) -> list[str]:
    """The columns ``cell`` needs that ``data`` does not have, contacts and orders alike."""
    d = cell.definition
    if d is None:
        return []
    wanted = [
        *d.segments, d.converted, d.converted_date, d.id, d.contact_date, d.contacts_column,
        d.customers_column, *(c for c, _ in d.bins), *(c for c, _ in d.date_buckets),
        d.orders.key if d.orders else None,
    ]  # fmt: skip
    missing = [c for c in dict.fromkeys(wanted) if c is not None and c not in data.columns]
    if d.orders is not None:
        for column in (d.orders.right_key, d.orders.orders_date):
            if column is not None and data.orders_columns and column not in data.orders_columns:
                missing.append(f"{column} (orders)")
    return missing


def run_cell(cell: Cell, data: kinds.Data) -> CellResult:
    """Count and show one cell on ``data``; a problem becomes the result's ``problem``."""
    kind = kinds.get(cell.kind)
    if kind.is_note or kind.count is None:
        return CellResult(cell)
    missing = missing_columns(cell, data)
    if missing:
        listed = ", ".join(f"'{c}'" for c in missing)
        noun = "columns" if len(missing) > 1 else "column"
        return CellResult(cell, problem=f"{data.name} has no {noun} {listed}; not computed.")
    if cell.definition is not None and cell.definition.orders and data.orders_source is None:
        return CellResult(cell, problem="it joins an orders table, and none was given.")
    try:
        counted = kind.count(data, cell)
    except InputError as error:
        return CellResult(cell, problem=str(error))
    except pl.exceptions.PolarsError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return CellResult(cell, problem=f"could not read the data: {first}")
    return show_cell(cell, counted)


def show_cell(cell: Cell, counted: kinds.Counted) -> CellResult:
    """Show one cell from counts already made (a live count or a shared snapshot)."""
    kind = kinds.get(cell.kind)
    if kind.show is None:
        return CellResult(cell, counted)
    try:
        return CellResult(cell, counted, kind.show(cell, counted))
    except InputError as error:
        return CellResult(cell, counted, problem=str(error))


def run(notebook: Notebook, data: kinds.Data, *, as_of: date | None = None) -> NotebookRun:
    """Every cell of ``notebook`` counted on ``data``; ``as_of`` replaces each cell's as-of date."""
    cells = notebook.cells
    if as_of is not None:
        cells = tuple(_with_as_of(cell, as_of) for cell in cells)
    results = tuple(run_cell(cell, data) for cell in cells)
    return NotebookRun(replace(notebook, cells=cells), data.name, results, datetime.now(tz=UTC))


def from_counts(
    notebook: Notebook, counts: Mapping[str, kinds.Counted], dataset: str
) -> NotebookRun:
    """The notebook shown from counts carried by a snapshot (cells without counts say so)."""
    results = tuple(
        show_cell(cell, counts[cell.id])
        if cell.id in counts
        else CellResult(
            cell, problem=None if cell.is_note else "the snapshot has no counts for it."
        )
        for cell in notebook.cells
    )
    return NotebookRun(notebook, dataset, results, datetime.now(tz=UTC))


def _with_as_of(cell: Cell, as_of: date) -> Cell:
    if cell.definition is None:
        return cell
    definition: Definition = cell.definition.with_changes(as_of=as_of)
    return replace(cell, definition=definition)


def open_data(
    contacts: str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame,
    orders: str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame | None = None,
) -> kinds.Data:
    """Files (or polars frames) as the ``Data`` a notebook runs on."""
    table = _table(contacts, "contacts")
    orders_table = _table(orders, "orders") if orders is not None else None
    return kinds.Data(
        name=table.name,
        source=sources.of(table),
        orders_source=sources.of(orders_table) if orders_table else None,
        columns=tuple(table.columns),
        orders_columns=tuple(orders_table.columns) if orders_table else (),
        frame=table.frame,
        orders_frame=orders_table.frame if orders_table else None,
        roles=detect_roles(table.frame),
    )


def _table(value: Any, name: str) -> reading.Table:
    if isinstance(value, str | os.PathLike):
        return reading.load(value)
    if isinstance(value, pl.DataFrame | pl.LazyFrame):
        return reading.Table(value.lazy(), name=f"the {name} table", format="polars")
    raise InputError(
        f"The {name} must be a file path or a polars frame; got {type(value).__name__}."
    )
