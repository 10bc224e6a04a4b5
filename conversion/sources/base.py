"""What every source offers a count: its columns, its typed row frame, what it supports, a fetch.

A source is a file read by polars (``FileSource``) or a table or query on DuckDB, PostgreSQL or
Spark (``DatabaseSource``). Counting asks a source for its row frame for a definition, runs the
shared engine steps on it, and hands the small summary back to the source's ``fetch``; it never
asks which kind of source it holds. What a source cannot do (weekly buckets, bins, views that
need every row) it says in ``supports``, and it refuses such a definition with a message.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    import narwhals as nw
    import polars as pl

    from conversion.definition import Definition
    from conversion.reading.values import DateFormat

# The row frame's columns: one row per input row, each role read and cleaned. Segment columns
# keep their own names; these are clear of any segment name.
ID = "__cbs_id"
FLAG = "__cbs_flag"
CONTACT_DATE = "__cbs_contact_date"
# Seconds since midnight of the contact moment, when the contact date carries a time of day:
# only to order one contact's rows (lags count whole days).
CONTACT_SECONDS = "__cbs_contact_seconds"
CONVERTED_DATE = "__cbs_converted_date"
KEY = "__cbs_key"
ORDER_DATE = "__cbs_order_date"


@dataclass(frozen=True)
class Supports:
    """What a source can work out: the views it cannot are refused with a message."""

    weeks: bool  # weekly date buckets
    bins: bool  # quantile bins of a numeric segment column
    rows: bool  # views that need every row here: pre-aggregated input, time to convert


@dataclass(frozen=True)
class Check:
    """A row-frame column that is True where a value could not be read; any hit stops a count."""

    name: str
    column: str  # the input column the value came from
    what: str  # "flag" | "date" | "number"
    format: DateFormat | None = None  # how a date column was read

    @property
    def detail(self) -> str:
        """How the values were read, for the message: the date format."""
        return self.format.describe() if self.format is not None else ""


@dataclass(frozen=True)
class Rows:
    """A typed row frame and the checks it carries."""

    frame: nw.LazyFrame
    checks: tuple[Check, ...] = ()
    # A fast reading was used (ten-character dates): when it finds unreadable values, read
    # again the exact way before calling any value unreadable.
    fast: bool = False


class Source(Protocol):
    """A table a count runs on."""

    @property
    def name(self) -> str:
        """How messages name it: the file name, or the table or query."""
        ...

    @property
    def notes(self) -> tuple[str, ...]:
        """What reading it changed (a title left out), first among a count's warnings."""
        ...

    @property
    def supports(self) -> Supports: ...

    @property
    def decimal_comma(self) -> bool:
        """Its numbers are written 1.234,5 (read for pre-aggregated counts)."""
        ...

    @property
    def columns(self) -> list[str]: ...

    def claim(self, columns: Sequence[str]) -> None:
        """Raise when a chosen column cannot be told apart from another of the same name."""
        ...

    def rows(self, d: Definition, *, exact: bool = False) -> Rows:
        """The contacts' row frame for a definition (see ``conversion.sources.rows``)."""
        ...

    def order_rows(self, d: Definition) -> Rows:
        """The orders' row frame: the key as text and the order date read."""
        ...

    def fetch(self, frame: nw.LazyFrame) -> pl.DataFrame:
        """Run a (small) query on the source and bring back its result."""
        ...

    def explain(self, check: Check, d: Definition) -> str:
        """Say which values a failed check could not read, and what to do."""
        ...

    def polars(self) -> pl.LazyFrame:
        """The table as a polars LazyFrame, for views that need every row (``supports.rows``)."""
        ...

    def missing_values(self, columns: Sequence[str]) -> dict[str, int]:
        """Empty values per column, counted where the data are."""
        ...

    def reading(self, orders: Any = None) -> contextlib.AbstractContextManager[None]:
        """A context in which a failure to read the table (or ``orders``) is an ``InputError``."""
        ...
