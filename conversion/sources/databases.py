"""A table or query on a database or on Spark as a source: counted where the data are.

A ``Remote`` is a lazy table on an engine — DuckDB, PostgreSQL (through ibis) or Apache Spark —
wrapped by narwhals. Its columns are typed already, so its row frame is the shared reading of
``conversion.sources.rows`` with nothing read first; the engine's steps run there and only the
small per-segment summary comes back. What needs every row here, or polars (weekly buckets,
quantile bins, pre-aggregated input, time to convert), is refused with a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import narwhals as nw
import polars as pl

from conversion.errors import InputError
from conversion.reading.frames import is_instance
from conversion.sources import rows
from conversion.sources.base import Check, Rows, Supports
from conversion.sources.guards import Limits, database_errors, too_many_rows
from conversion.sources.messages import unreadable_flags

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable, Sequence

    from conversion.definition import Definition

DETECTION_ROWS = 1_000  # first rows of a table read to preview it and detect its roles


@dataclass(frozen=True)
class Remote:
    """A table on an engine: what to count, and how to name it in messages."""

    frame: nw.LazyFrame = field(repr=False, compare=False)
    engine: str
    name: str
    limits: Limits = field(default=Limits(), compare=False)
    # Run before each query (PostgreSQL: read-only mode and timeout set again, reconnect).
    guard: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    notes: ClassVar[tuple[str, ...]] = ()
    supports: ClassVar[Supports] = Supports(weeks=False, bins=False, rows=False)
    decimal_comma: ClassVar[bool] = False

    @property
    def columns(self) -> list[str]:
        return list(self.frame.collect_schema().names())

    def sample(self, rows: int = DETECTION_ROWS) -> pl.DataFrame:
        """The first rows, for a preview and for detecting roles (never for counting)."""
        with self.reading():
            return self.fetch(self.frame.head(rows))

    def claim(self, columns: Sequence[str]) -> None:
        """A database's column names are distinct: nothing to check."""

    def rows(self, d: Definition, *, exact: bool = False) -> Rows:
        """The row frame from typed columns; only the flag can hold unreadable values."""
        if d.bins:
            raise InputError(
                "Binning a numeric column is worked out on files only; on a database, bin it in "
                "the query (for example with width_bucket) and pick the new column."
            )
        return rows.contact_rows(self.frame, d, self.name)

    def order_rows(self, d: Definition) -> Rows:
        return rows.order_rows(self.frame, d, self.name)

    def fetch(self, frame: nw.LazyFrame) -> pl.DataFrame:
        """Run the query on the engine; the (small) result comes back as a polars DataFrame.

        A result of more than ``limits.max_rows`` rows is stopped at the engine (it is asked
        for one row more than the limit) and refused.
        """
        if self.guard is not None:
            self.guard()
        limit = self.limits.max_rows
        result = frame.head(limit + 1).collect(backend="polars").to_native()
        if result.height > limit:
            raise too_many_rows(self.name, self.limits)
        return result

    def explain(self, check: Check, d: Definition) -> str:
        """Name the flag values that are not yes/no-like: counted where the data are."""
        return unreadable_flags(self.frame, d, self.name, self.fetch)

    def polars(self) -> pl.LazyFrame:
        raise InputError(
            "This view needs every row in memory, which a database table is not read into: "
            "export the table to a file and open that."
        )

    def missing_values(self, columns: Sequence[str]) -> dict[str, int]:
        """Empty values per column, counted where the data are."""
        return rows.missing_values(self.frame, columns, self.fetch)

    def reading(self, orders: object = None) -> contextlib.AbstractContextManager[None]:
        """A database fault while counting (a refused write, a timeout, a lost connection, a
        dropped table) becomes a plain message naming this table's connection."""
        return database_errors(self.name, self.limits)


_NATIVE_LAZY = (
    ("duckdb", "DuckDBPyRelation", "duckdb"),
    ("pyspark.sql", "DataFrame", "spark"),
    ("ibis.expr.types", "Table", "postgresql"),
)


def native_remote(data: object, name: str) -> Remote | None:
    """A table that lives on an engine (DuckDB relation, Spark DataFrame, ibis table), or None.

    Nothing is imported to find out: a library that is not loaded cannot have made ``data``.
    """
    if isinstance(data, Remote):
        return data
    for module, cls, engine_name in _NATIVE_LAZY:
        if is_instance(data, module, cls):
            return Remote(nw.from_native(data), engine_name, name)
    return None
