"""Counting contacts and customers per segment: one lazy query on any source, collected once.

``count`` takes a contacts table — a file, a polars frame, or a table on a database (anything
``conversion.sources.of`` accepts) — and a ``Definition``, and returns a small table with one
row per segment: ``contacts`` and ``customers``. Everything the analyst should know about how
the rows were counted (duplicates, conflicts, immature contacts, negative lags) is gathered in
the same query and returned beside the table, as numbers (``Quality``) and as sentences
(``warnings``). Statistics and charts work on the small table only.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING

import narwhals as nw
import polars as pl

from conversion import sources
from conversion.counting import aggregated, engine
from conversion.counting.checks import check_definition, contact_columns
from conversion.counting.engine import MISSING
from conversion.counting.result import EXCLUSION, Counts, Quality, finish, top_k
from conversion.errors import InputError

if TYPE_CHECKING:
    from conversion.definition import Definition
    from conversion.sources import Source
    from conversion.sources.base import Rows


def count(
    contacts: object,
    definition: Definition,
    orders: object | None = None,
    *,
    keep_totals: bool = False,
    contact_days: tuple[date, date] | None = None,
) -> Counts:
    """Count contacts and customers per segment.

    Parameters
    ----------
    contacts
        The contacts table, one row per contact (or several rows per contact with an id): a
        loaded file, a polars frame, or a table on a database (see ``conversion.sources.of``).
    definition
        What to count; see ``Definition``.
    orders
        Optional second table (orders, won deals), used when ``definition.orders`` joins it.
    keep_totals
        Pre-aggregated input only: keep ``Total`` rows as segments instead of leaving out
        those that equal the sum of the others.
    contact_days
        Count only the contacts whose contact date falls in this (first, last) range of whole
        days; the others are set apart as ``engine.OUTSIDE_DAYS`` (see ``engine.outside_days``).

    Returns
    -------
    Counts
        What the reader did to the files (a title or footer left out, duplicate names made
        distinct) comes first among its warnings.

    Raises
    ------
    InputError
        For unknown or ambiguous columns, unreadable flags, dates or numbers, and inconsistent
        definitions.

    Examples
    --------
    >>> from conversion.definition import Definition
    >>> lf = pl.LazyFrame({"source": ["Ads", "Ads", "Web"], "won": ["yes", "no", "yes"]})
    >>> count(lf, Definition(segments=("source",), converted="won")).table.rows()
    [('Ads', 2, 1), ('Web', 1, 1)]
    """
    d = definition
    contacts_source = sources.of(contacts)
    orders_source = None
    if d.orders is not None and orders is not None:
        orders_source = sources.of(orders, "the orders table")
    claim(contacts_source, d, orders_source)
    with contacts_source.reading(orders_source):
        counts = _count(
            contacts_source, d, orders_source, keep_totals=keep_totals, days=contact_days
        )
    notes = contacts_source.notes + (orders_source.notes if orders_source else ())
    if not notes:
        return counts
    return dataclasses.replace(counts, warnings=notes + counts.warnings)


def claim(contacts: Source, d: Definition, orders: Source | None) -> None:
    """Raise when a chosen column is a repeated header name whose copies differ."""
    contacts.claim(contact_columns(d))
    if orders is not None and d.orders is not None:
        join = d.orders
        orders.claim([c for c in (join.right_key, join.orders_date) if c])


def _count(
    contacts: Source,
    d: Definition,
    orders: Source | None,
    *,
    keep_totals: bool,
    days: tuple[date, date] | None = None,
) -> Counts:
    read_orders = orders is not None and not d.pre_aggregated
    check_definition(
        contacts.columns,
        d,
        contacts.name,
        orders.columns if read_orders and orders is not None else None,
        orders.name if orders is not None else "the orders table",
    )
    if d.pre_aggregated:
        return _count_pre_aggregated(contacts, d, keep_totals=keep_totals)
    rows = contacts.rows(d)
    order_rows = orders.order_rows(d) if orders is not None else None
    summary = summarise(contacts, d, rows, order_rows, days)
    if rows.fast and _has_bad_dates(summary, rows):
        # The fast reading assumed ten-character dates; read once more the exact way before
        # calling any value unreadable.
        rows = contacts.rows(d, exact=True)
        summary = summarise(contacts, d, rows, order_rows, days)
    raise_on_bad_values(summary, d, contacts, rows, orders, order_rows)
    return finish(summary, d)


def summarise(
    source: Source,
    d: Definition,
    rows: Rows,
    order_rows: Rows | None = None,
    days: tuple[date, date] | None = None,
) -> pl.DataFrame:
    """The shared engine's steps on a source's row frame, fetched by the source.

    ``days`` sets apart the contacts dated outside that range, after binning (bins are cut
    on every contact) and the as-of date (the whole table's).
    """
    numeric = [c for c in d.segments if d.bin_count(c) is not None]
    bad = [check.name for check in rows.checks]
    frame = engine.per_contact(rows.frame, d, bad=bad, numeric=numeric)
    constant: list[str] = []
    if order_rows is not None:
        constant = [check.name for check in order_rows.checks]
        frame = engine.join_orders(frame, order_rows.frame, d, bad=constant)
    classified = engine.classify(frame, d)
    if numeric:
        # Quantile bins are labelled on the way (polars only: a source that bins is one).
        native = nw.to_native(classified).with_columns(
            bin_labels(c, d.bin_count(c)) for c in numeric
        )
        classified = nw.from_native(native)
    if days is not None:
        classified = engine.outside_days(classified, *days)
    summary = engine.summarise(classified, d, bad=bad, constant=constant)
    return engine.typed_summary(source.fetch(summary))


def _has_bad_dates(summary: pl.DataFrame, rows: Rows) -> bool:
    return any(
        check.what == "date" and summary.height > 0 and bool(summary[check.name].max())
        for check in rows.checks
    )


def raise_on_bad_values(
    summary: pl.DataFrame,
    d: Definition,
    contacts: Source,
    rows: Rows,
    orders: Source | None = None,
    order_rows: Rows | None = None,
) -> None:
    """Stop at the first check that found a value it could not read, and say which values."""
    pairs = [(contacts, check) for check in rows.checks]
    if orders is not None and order_rows is not None:
        pairs += [(orders, check) for check in order_rows.checks]
    for source, check in pairs:
        bad = summary[check.name].max() if summary.height else 0
        if bad:
            raise InputError(source.explain(check, d))


def bin_labels(column: str, bins: int | None) -> pl.Expr:
    """Quantile bins of a numeric column, labelled by their edges: "≤ 25", "25 to 40", "> 40".

    Bins are closed on the right, so each cut value falls in the lower bin and n distinct
    values split evenly.
    """
    edges = pl.col(column).bin_quantiles(
        bins or 4, labels=False, include_intervals=True, right_closed=True
    )
    left = _number_text(edges.struct.field("left"))
    right = _number_text(edges.struct.field("right"))
    label = (
        pl.when(left.is_null() & right.is_null())
        .then(pl.lit("all values"))
        .when(left.is_null())
        .then(pl.format("≤ {}", right))
        .when(right.is_null())
        .then(pl.format("> {}", left))
        .otherwise(pl.format("> {} to ≤ {}", left, right))
    )
    return pl.when(pl.col(column).is_null()).then(pl.lit(MISSING)).otherwise(label).alias(column)


def _number_text(expr: pl.Expr) -> pl.Expr:
    """A bin edge as short text: 25.0 -> "25", 1234.5678 -> "1234.57"."""
    return expr.round(2).cast(pl.String).str.replace(r"\.0$", "")


def _count_pre_aggregated(contacts: Source, d: Definition, *, keep_totals: bool) -> Counts:
    """Validate and sum a table that already has contacts and customers per segment."""
    if not contacts.supports.rows:
        raise InputError(
            "A pre-aggregated table is already small: export it to a file and open that."
        )
    if not (d.contacts_column and d.customers_column):
        raise InputError(
            "Pre-aggregated input needs both a contacts column and a customers column "
            "(--contacts COL --customers COL)."
        )
    if not d.segments:
        raise InputError("Choose at least one segment column to break the rate down by.")
    rows, notes, read = aggregated.read_counts(
        contacts.polars(),
        d,
        contacts.name,
        decimal_comma=contacts.decimal_comma,
        keep_totals=keep_totals,
    )
    table = aggregated.summed(rows, list(d.segments))
    if d.top_k is not None:
        table = top_k(table, d.segments, d.top_k)
    contacts_total = int(table["contacts"].sum())
    quality = Quality(rows=read, contacts=contacts_total, counted=contacts_total)
    warnings = list(notes)
    if d.window_days is not None:
        warnings.append(
            "The conversion window does not apply to pre-aggregated counts and was ignored."
        )
    excluded = pl.DataFrame(
        schema={**{c: pl.String for c in d.segments}, EXCLUSION: pl.String, "contacts": pl.Int64}
    )
    return Counts(table, quality, tuple(warnings), d, excluded)
