"""The registry of cell kinds: what a kind counts, what it shows, and which options it takes.

A cell kind is a ``CellKind`` value registered under its name with ``register``. It says how to
count its view on a dataset (``count``: a ``Data`` and a cell to small per-segment tables, the
``Counted``), how to show those counts (``show``: to a ``Shown`` of figures, charts, tables and
sentences) and which display options a cell may carry. Counting and showing are apart so a
shared snapshot, which carries only the counts, is shown exactly as a live dataset is.

A page that adds a view registers its own kind with one call, e.g.::

    register(CellKind("funnel", "Funnel", count=count_funnel, show=show_funnel,
                      options={"steps": Text()}))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import date

    import altair as alt
    import polars as pl

    from conversion.notebook.document import Cell
    from conversion.roles import Roles
    from conversion.sources import Source

MAX_OPTION_TEXT = 200


@dataclass(frozen=True)
class Data:
    """What a notebook runs on: the contacts (and orders) as sources, and their columns.

    ``frame`` and ``roles`` are the contacts' rows and detected roles, for views that read every
    row (ranking every column); they are None for a database table.
    """

    name: str
    source: Source
    orders_source: Source | None = None
    columns: tuple[str, ...] = ()
    orders_columns: tuple[str, ...] = ()
    frame: pl.LazyFrame | None = None
    orders_frame: pl.LazyFrame | None = None
    roles: Roles | None = None


@dataclass(frozen=True)
class Counted:
    """A cell's counts: small named tables of contacts and customers, never a row of data."""

    tables: Mapping[str, pl.DataFrame]
    warnings: tuple[str, ...] = ()
    as_of: date | None = None


@dataclass(frozen=True)
class Figures:
    """The numbers a note can quote: overall rate and counts, and the best and worst segments.

    ``best_change`` / ``worst_change`` are set instead of the rates when best and worst are the
    segments that rose and fell most between two periods (a What changed cell), as fractions.
    """

    contacts: int
    customers: int
    rate: float | None
    best: str | None = None
    best_rate: float | None = None
    worst: str | None = None
    worst_rate: float | None = None
    limits: tuple[float, float] = (0.10, 0.20)
    best_change: float | None = None
    worst_change: float | None = None


@dataclass(frozen=True)
class Chart:
    """A chart of a cell with its heading and one-sentence text alternative."""

    heading: str
    chart: alt.TopLevelMixin
    summary: str


@dataclass(frozen=True)
class Shown:
    """A cell's view, ready for any medium: figures, charts, tables and plain sentences.

    ``described`` is the per-segment table with statistics, when the view has one (the app's
    results table and the report's table are drawn from it). ``cards`` are the headline figures
    as (label, value, caption) when they are not the overall ones (Compare's A, B, difference).
    """

    figures: Figures
    cards: tuple[tuple[str, str, str], ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[tuple[str, pl.DataFrame], ...] = ()
    lines: tuple[str, ...] = ()
    described: pl.DataFrame | None = None
    segments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    """An option that takes one of ``values``; the first is the default."""

    values: tuple[Any, ...]

    def read(self, value: object, what: str) -> Any:
        if value not in self.values:
            shown = ", ".join("none" if v is None else str(v) for v in self.values)
            raise InputError(f"{what} must be one of {shown}; got {value!r}.")
        return value

    @property
    def default(self) -> Any:
        return self.values[0]


@dataclass(frozen=True)
class Text:
    """An option holding a short text (a segment's name), or nothing."""

    default: str | None = None

    def read(self, value: object, what: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > MAX_OPTION_TEXT:
            raise InputError(f"{what} must be text of at most {MAX_OPTION_TEXT} characters.")
        return value


@dataclass(frozen=True)
class Number:
    """An option holding a number from ``low`` to ``high`` (a target in points)."""

    low: float
    high: float
    default: float

    def read(self, value: object, what: str) -> float:
        number = value if type(value) in (int, float) else None  # not true/false
        if not isinstance(number, int | float) or not self.low <= number <= self.high:
            raise InputError(f"{what} must be a number from {self.low:g} to {self.high:g}.")
        return float(number)


@dataclass(frozen=True)
class CellKind:
    """One kind of cell. A note (``count`` None) only carries its text and starts a section."""

    name: str
    label: str
    count: Callable[[Data, Cell], Counted] | None = None
    show: Callable[[Cell, Counted], Shown] | None = None
    options: Mapping[str, Choice | Text | Number] = field(default_factory=dict)
    needs_rows: bool = False

    @property
    def is_note(self) -> bool:
        return self.count is None

    def read_options(self, raw: object, where: str) -> tuple[tuple[str, Any], ...]:
        """The options of a cell, each checked; unknown names are refused, missing ones default."""
        if not isinstance(raw, dict):
            raise InputError(f"{where}: 'options' must be an object.")
        unknown = sorted(set(raw) - set(self.options))
        if unknown:
            raise InputError(
                f"{where}: a {self.label} cell has no option {unknown[0]!r}; the file was altered "
                "or made by a newer version."
            )
        return tuple(
            (name, spec.read(raw.get(name, spec.default), f"{where}: option {name!r}"))
            for name, spec in self.options.items()
        )


_KINDS: dict[str, CellKind] = {}


def register(kind: CellKind) -> CellKind:
    """Add a kind of cell (a later registration under the same name replaces the earlier)."""
    _KINDS[kind.name] = kind
    return kind


def get(name: object, where: str = "the notebook") -> CellKind:
    """The kind registered as ``name``; an ``InputError`` listing the known kinds otherwise."""
    if not isinstance(name, str) or name not in _KINDS:
        raise InputError(
            f"{where}: unknown cell kind {name!r}; this version knows {', '.join(_KINDS)}. The "
            "notebook may come from a newer version."
        )
    return _KINDS[name]


def names() -> tuple[str, ...]:
    return tuple(_KINDS)
