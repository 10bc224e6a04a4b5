"""Time to convert: days from contact to conversion per contact, for Kaplan–Meier curves."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import narwhals as nw
import polars as pl

from conversion import sources
from conversion.counting import engine
from conversion.counting.checks import check_columns, check_evidence, contact_columns
from conversion.counting.count import claim, raise_on_bad_values
from conversion.counting.engine import AS_OF, MISSING
from conversion.errors import InputError
from conversion.sources.base import CONTACT_DATE, CONVERTED_DATE, FLAG, ID

if TYPE_CHECKING:
    from conversion.definition import Definition
    from conversion.sources import Source


def time_to_convert(
    contacts: object, definition: Definition, orders: object | None = None
) -> tuple[pl.DataFrame, date | None]:
    """Days from contact to conversion (or to the as-of date, censored), counted per segment.

    ``contacts`` and ``orders`` are files or polars frames (this view reads every contact's
    row, so a database table is refused). Returns a small table — the segment columns,
    ``days``, ``converted`` (the event) and ``contacts`` — for Kaplan–Meier curves, and the
    as-of date used (None when no contact has a contact date). Every contact with a contact
    date takes part, mature or not: censoring is how the curve handles contacts still waiting.
    Contacts that converted before their contact date are left out (a data-quality issue that
    ``count`` reports).
    """
    d = definition
    orders_dated = d.orders is not None and d.orders.orders_date is not None
    if d.contact_date is None or not (d.converted_date or orders_dated):
        raise InputError(
            "Time to convert needs a contact date and a conversion date (or the orders' date)."
        )
    contacts_source = sources.of(contacts)
    orders_source = None
    if d.orders is not None and orders is not None:
        orders_source = sources.of(orders, "the orders table")
    if not contacts_source.supports.rows:
        contacts_source.polars()  # says why this view needs the table in a file
    claim(contacts_source, d, orders_source)
    with contacts_source.reading(orders_source):
        return _time_to_convert(contacts_source, d, orders_source)


def _time_to_convert(
    contacts: Source, definition: Definition, orders: Source | None
) -> tuple[pl.DataFrame, date | None]:
    # Count with an open-ended window: the same reading of rows as the rates themselves.
    timing = definition.with_changes(window_days=None, top_k=None)
    check_columns(contacts.columns, contact_columns(timing), contacts.name)
    check_evidence(timing, orders, need_segments=False)
    # The exact date reading, for every width and separator: this view has no second pass to
    # fall back on, and any unreadable value is reported, never treated as censored.
    rows = contacts.rows(timing, exact=True)
    order_rows = orders.order_rows(timing) if orders is not None else None
    frame = engine.per_contact(rows.frame, timing, bad=[c.name for c in rows.checks])
    order_checks = order_rows.checks if order_rows is not None else ()
    if order_rows is not None:
        bad = [c.name for c in order_checks]
        frame = engine.join_orders(frame, order_rows.frame, timing, bad=bad)
    if rows.checks or order_checks:
        tallies = frame.select(
            *(nw.col(c.name).sum() for c in rows.checks),
            *(nw.col(c.name).max() for c in order_checks),
        )
        summary = contacts.fetch(tallies)
        raise_on_bad_values(summary, timing, contacts, rows, orders, order_rows)
    if timing.as_of is not None:
        frame = frame.with_columns(nw.lit(timing.as_of, dtype=nw.Date).alias(AS_OF))
    else:
        frame = engine.with_latest_date(frame, timing)
    return _days_table(nw.to_native(frame), timing)


def _days_table(frame: pl.LazyFrame, timing: Definition) -> tuple[pl.DataFrame, date | None]:
    """Contacts per segment, day and outcome: an event by the as-of date, or censored there."""
    contact_date, converted_date = pl.col(CONTACT_DATE), pl.col(CONVERTED_DATE)
    as_of = pl.col(AS_OF)
    flag = pl.col(FLAG).fill_null(False) if timing.converted else pl.lit(True)
    event = flag & converted_date.is_not_null() & (converted_date <= as_of)
    lag = (converted_date - contact_date).dt.total_days()
    days = pl.when(event).then(lag).otherwise((as_of - contact_date).dt.total_days())
    segments = [pl.col(c).fill_null(MISSING) for c in timing.segments]
    keep = contact_date.is_not_null() & (contact_date <= as_of) & ~(event & (lag < 0))
    if timing.id is not None:
        keep = keep & pl.col(ID).is_not_null()
    table = (
        frame.with_columns(segments)
        .filter(keep)
        .group_by([*timing.segments, days.alias("days"), event.alias("converted")])
        .agg(pl.len().cast(pl.Int64).alias("contacts"), as_of.first().alias("as_of"))
        .sort([*timing.segments, "days", "converted"])
        .collect()
    )
    latest = table["as_of"].max() if table.height else None
    used = timing.as_of or (latest if isinstance(latest, date) else None)
    return table.drop("as_of").with_columns(pl.col("days").cast(pl.Int64)), used
