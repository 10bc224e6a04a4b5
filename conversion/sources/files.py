"""A file as a source: a polars LazyFrame whose text values are read here, then counted by polars.

Files carry their dates, numbers and flags as text. ``FileSource.rows`` reads each date column
once with the format its values show (``conversion.reading.values``), marks the values it could
not read, and hands the typed columns to the shared reading in ``conversion.sources.rows``. It
can work out everything a count asks for: weekly buckets, bins and views that need every row.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import narwhals as nw
import polars as pl

from conversion.errors import InputError, n, verb
from conversion.reading import Table, check_unambiguous, input_error
from conversion.reading.values import (
    DateFormat,
    date_expr,
    detect_date_format,
    maybe_present_expr,
    present_expr,
    seconds_expr,
    unreadable_date_expr,
)
from conversion.sources import rows
from conversion.sources.base import CONTACT_SECONDS, Check, Rows, Supports
from conversion.sources.messages import unreadable_flags

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from conversion.definition import Definition

_PRESENT = "__cbs_present_"
_ROW = "__cbs_row"


class FileSource:
    """A table read from a file (or any polars LazyFrame), counted by polars.

    Examples
    --------
    >>> source = FileSource(pl.LazyFrame({"source": ["Ads", "Web"]}), "leads.csv")
    >>> source.columns, source.supports.weeks
    (['source'], True)
    """

    supports = Supports(weeks=True, bins=True, rows=True)

    def __init__(
        self,
        frame: pl.LazyFrame,
        name: str = "the contacts table",
        *,
        table: Table | None = None,
        decimal_comma: bool = False,
    ) -> None:
        self.frame = frame
        self.name = name
        self.table = table
        self.notes: tuple[str, ...] = table.notes if table is not None else ()
        # Pre-aggregated counts: 1.234 is a thousand and more (a ;-separated file's numbers).
        self.decimal_comma = decimal_comma
        # How each date column is written, once per set of columns and explicit format: the
        # exact second reading of a count reuses what the first one sampled.
        self._formats: dict[tuple[tuple[str, ...], str | None], dict[str, DateFormat]] = {}

    @classmethod
    def of_table(cls, table: Table) -> FileSource:
        """The source of a loaded file, named as the analyst knows it."""
        return cls(table.frame, table.name, table=table, decimal_comma=table.delimiter == ";")

    @property
    def columns(self) -> list[str]:
        return self.frame.collect_schema().names()

    def claim(self, columns: Sequence[str]) -> None:
        if self.table is not None:
            check_unambiguous(self.table, columns)

    def rows(self, d: Definition, *, exact: bool = False) -> Rows:
        formats = self._date_formats(d)
        if exact:
            formats = {column: fmt.general() for column, fmt in formats.items()}
        typed, checks = self._typed(d, formats)
        fast = any(fmt.separator is not None for fmt in formats.values())
        read = rows.contact_rows(nw.from_native(typed), d, self.name, checks, fast=fast)
        if self.table is None or self.table.format != "csv":
            return read
        # The engine reads the rows twice (the segment combinations, then every contact): a
        # text file is parsed once and the rows kept for the second reading. A columnar file
        # is cheaper to read again than to keep.
        return Rows(nw.from_native(nw.to_native(read.frame).cache()), read.checks, read.fast)

    def order_rows(self, d: Definition) -> Rows:
        join = d.orders
        assert join is not None
        if join.orders_date is None:
            return rows.order_rows(nw.from_native(self.frame), d, self.name)
        column = join.orders_date
        fmt = detect_date_format(self.frame, column, explicit=d.date_format, source=self.name)
        check = Check(f"{rows.BAD}order_date_{column}", column, "date", fmt)
        typed = self.frame.with_columns(
            date_expr(column, fmt).alias(rows.DAY + column),
            unreadable_date_expr(column, fmt).alias(check.name),
        )
        return rows.order_rows(nw.from_native(typed), d, self.name, [check])

    def fetch(self, frame: nw.LazyFrame) -> pl.DataFrame:
        return frame.collect(backend="polars").to_native()

    def polars(self) -> pl.LazyFrame:
        return self.frame

    def missing_values(self, columns: Sequence[str]) -> dict[str, int]:
        return rows.missing_values(nw.from_native(self.frame), columns, self.fetch)

    @contextlib.contextmanager
    def reading(self, orders: FileSource | None = None) -> Iterator[None]:
        """Polars errors while reading become an InputError naming the file at fault."""
        try:
            yield
        except pl.exceptions.PolarsError as error:
            if self.table is None:  # a frame made in code: its own error says most
                raise
            raise self._read_error(error, self.table, orders) from None

    @staticmethod
    def _read_error(error: Exception, table: Table, orders: FileSource | None) -> InputError:
        message = input_error(error, table)
        generic = "could not be read completely" in str(message)
        if generic and orders is not None and orders.table is not None:
            return input_error(error, orders.table)
        return message

    # -----------------------------------------------------------------------------------------

    def _date_formats(self, d: Definition) -> dict[str, DateFormat]:
        columns: list[str | None] = [c for c, _ in d.date_buckets if c in d.segments]
        columns += [d.contact_date, d.converted_date]
        wanted = tuple(dict.fromkeys(c for c in columns if c))
        key = (wanted, d.date_format)
        if key not in self._formats:
            self._formats[key] = {
                column: detect_date_format(
                    self.frame, column, explicit=d.date_format, source=self.name
                )
                for column in wanted
            }
        return self._formats[key]

    def _typed(
        self, d: Definition, formats: dict[str, DateFormat]
    ) -> tuple[pl.LazyFrame, list[Check]]:
        """The columns a definition reads, with text dates and numbers read once each.

        Each value is parsed once; whether a non-empty value failed to parse is then read off
        the parsed column (the raw-value test of ``explain`` only runs to explain a failure).
        """
        schema = self.frame.collect_schema()
        # Typed dates (a Parquet file's) are read like a database's, by the shared reading.
        typed = [column for column, fmt in formats.items() if fmt.kind == "temporal"]
        used = [*d.segments, d.id, d.converted, d.orders.key if d.orders else None, *typed]
        exprs: list[pl.Expr] = [pl.col(c) for c in dict.fromkeys(c for c in used if c)]
        checks: list[Check] = []
        for column, fmt in formats.items():
            if d.date_bucket(column) == "week":
                exprs.append(date_expr(column, fmt).dt.truncate("1w").alias(rows.WEEK + column))
            if column in typed:
                continue
            exprs.append(date_expr(column, fmt).alias(rows.DAY + column))
            checks.append(Check(f"{rows.BAD}date_{column}", column, "date", fmt))
        for column in (c for c in d.segments if d.bin_count(c) is not None):
            if schema[column].is_numeric():
                exprs.append(pl.col(column).cast(pl.Float64).alias(rows.NUMBER + column))
                continue
            number = pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
            exprs.append(number.alias(rows.NUMBER + column))
            checks.append(Check(f"{rows.BAD}number_{column}", column, "number"))
        if (
            d.id
            and d.contact_date
            and d.contact_date not in typed
            and formats[d.contact_date].timed
        ):
            # Only a contact's rows are ordered by the time of day: lags count whole days.
            fmt = formats[d.contact_date]
            exprs.append(seconds_expr(d.contact_date, fmt).alias(CONTACT_SECONDS))
        present = _present(checks)
        unreadable = [
            (pl.col(_PRESENT + check.column) & pl.col(_parsed(check)).is_null()).alias(check.name)
            for check in checks
        ]
        typed_frame = self.frame.select(*exprs, *present).with_columns(unreadable)
        return typed_frame.drop(dict.fromkeys(_PRESENT + c.column for c in checks)), checks

    def explain(self, check: Check, d: Definition) -> str:
        """Say which values could not be read, with counts or row numbers, and what to do."""
        if check.what == "flag":
            return unreadable_flags(nw.from_native(self.frame), d, self.name, self.fetch)
        frame = self.frame.with_row_index(_ROW, offset=1)
        if check.format is not None:
            bad = unreadable_date_expr(check.column, check.format)
        else:
            number = pl.col(check.column).cast(pl.String).str.strip_chars()
            bad = present_expr(check.column) & number.cast(pl.Float64, strict=False).is_null()
        bad_rows = frame.filter(bad)
        examples = bad_rows.select(_ROW, check.column).head(5).collect()
        total = bad_rows.select(pl.len()).collect().item()
        listed = "; ".join(f"row {row}: '{value}'" for row, value in examples.iter_rows())
        if check.what == "number":
            return (
                f"Column '{check.column}' in {self.name} has {n(total, 'value')} that "
                f"{verb(total, 'is', 'are')} not numbers "
                f"({listed}). Clean them or do not bin this column."
            )
        read_as = f" read as {check.detail}" if check.detail else ""
        return (
            f"Column '{check.column}' in {self.name} has {n(total, 'value')} that "
            f"{verb(total, 'is', 'are')} not dates"
            f"{read_as} ({listed}; rows counted from 1 after the header). Fix or blank those "
            "values, or give the format with --date-format (e.g. %d/%m/%Y %H:%M)."
        )


def _present(checks: Sequence[Check]) -> list[pl.Expr]:
    """Whether each checked column has a value, as ``_PRESENT + column``.

    A fast reading's check skips the trim, so it may call a value of spaces unreadable: the
    count is then read again the general way, where the trimmed test decides.
    """
    fast = {c.column for c in checks if c.format is not None and c.format.separator}
    slow = {c.column for c in checks} - fast
    return [
        (present_expr(column) if column in slow else maybe_present_expr(column)).alias(
            _PRESENT + column
        )
        for column in dict.fromkeys(check.column for check in checks)
    ]


def _parsed(check: Check) -> str:
    """The typed column a check reads: the day or the number read from ``check.column``."""
    return (rows.DAY if check.what == "date" else rows.NUMBER) + check.column
