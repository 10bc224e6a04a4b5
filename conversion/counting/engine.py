"""The aggregation behind every rate, written once with narwhals.

The same functions run on a polars ``LazyFrame`` (files, the default), a DuckDB relation, an ibis
table on PostgreSQL and a Spark DataFrame: narwhals turns each step into that engine's own query,
so nothing here can drift between engines. Only the small per-segment summary is collected.

The steps take a *row frame*: one row per input row, with the internal columns below already read
into types (segments as text, the flag as a boolean, dates as dates). Reading the rows is the
source's business (``conversion.sources``: a file's text is read by polars first, a database's
columns are typed already); from the row frame on, every engine runs exactly this code:

``per_contact`` (unique ids) → ``join_orders`` (optional) → ``classify`` (window, maturity,
as-of) → ``summarise`` (one group-by per segment combination and status).

Only operations that every engine supports in the same way are used: no ordered aggregations
(the earliest row per id is found with an integer ``min`` over a rank), boolean tallies summed
as 0/1 integers, date arithmetic as comparisons with ``offset_by``. The one place that asks which
engine it runs on is the default as-of date: a whole-table maximum everywhere but on Spark,
where it is a one-row aggregate cross-joined back (see ``with_latest_date``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import narwhals as nw
import polars as pl

from conversion.sources.base import (
    CONTACT_DATE,
    CONTACT_SECONDS,
    CONVERTED_DATE,
    FLAG,
    ID,
    KEY,
    ORDER_DATE,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from conversion.definition import Definition

MISSING = "(missing)"
COUNTED = "counted"
IMMATURE = "immature"
NO_CONTACT_DATE = "no contact date"
MISSING_ID = "missing id"
OUTSIDE_DAYS = "outside the dates"

# Internal column names beyond the row frame's (``conversion.sources.base``); the prefix keeps
# them clear of any column an export may have.
ROWS = "__cbs_rows"
SEGMENT_CONFLICT = "__cbs_segment_conflict"
FLAG_CONFLICT = "__cbs_flag_conflict"
ORDERED = "__cbs_ordered"
ORDER_BEFORE = "__cbs_order_before_contact"
CUSTOMER = "__cbs_customer"
STATUS = "__cbs_status"
AS_OF = "__cbs_as_of"
NEGATIVE = "__cbs_negative"
OUTSIDE = "__cbs_outside"
TALLY = "__cbs_total_"  # tallies in the one aggregation, clear of any segment column
_TMP = "__cbs_engine_"
_PICK = _TMP + "pick"
_CODE = _TMP + "combination"
# A row's rank is moment × 2²⁷ + segment combination: 2²⁷ (134 million) combinations below
# a moment of up to 2³⁶ seconds, which covers the years 1000 to 2999; the rank fits in 63 bits.
_SHIFT = 2**27
_MOMENTS = 2**36
_FIRST_YEAR = 1000


def ones(condition: nw.Expr) -> nw.Expr:
    """1 where the condition holds, else 0 (null counts as 0): a tally every engine can sum."""
    return nw.when(condition).then(nw.lit(1)).otherwise(nw.lit(0))


def per_contact(
    rows: nw.LazyFrame, d: Definition, bad: Sequence[str] = (), numeric: Sequence[str] = ()
) -> nw.LazyFrame:
    """One row per contact: rows sharing an id are merged, and conflicts between them noted.

    The segment values (and orders key) of the row with the earliest contact moment are kept
    (the date, and the time of day when the row frame has ``CONTACT_SECONDS``); ties and rows
    without dates go to the smallest values, so the result does not depend on the order of the
    rows (a database table has none). The contact is a customer if any row says so.
    ``bad`` columns (booleans: a value could not be read) are counted; ``numeric`` segment
    columns (to be binned) come back as numbers.
    """
    segments = list(d.segments)
    text = [nw.col(c).cast(nw.String).fill_null(MISSING).alias(c) for c in segments]
    if d.id is None:
        out = rows.with_columns(
            *text,
            nw.lit(1).alias(ROWS),
            nw.lit(False).alias(SEGMENT_CONFLICT),
            nw.lit(False).alias(FLAG_CONFLICT),
            *(ones(nw.col(b)).alias(b) for b in bad),
        )
        return _numbers_back(out, numeric)

    frame = rows.with_columns(*text) if text else rows
    # Each distinct segment combination gets a number, in sort order of its values; a row's
    # rank is then one integer, contact day first: yyyymmdd × 2³² + combination. The smallest
    # rank per id is the earliest row (ties to the first values), found by an integer min.
    if segments:
        combos = frame.select(*segments).unique().with_row_index(_CODE, order_by=segments)
        frame = frame.join(combos, on=segments, how="left")
    else:
        combos = None
        frame = frame.with_columns(nw.lit(0).alias(_CODE))
    moment = _moment_number(d, CONTACT_SECONDS in frame.collect_schema().names())
    frame = frame.with_columns((moment * _SHIFT + nw.col(_CODE)).alias(_PICK))

    aggregations = [
        nw.len().alias(ROWS),
        nw.col(_PICK).min().alias(_PICK),
        nw.col(_CODE).min().alias(_TMP + "code_min"),
        nw.col(_CODE).max().alias(_TMP + "code_max"),
    ]
    separate_key = d.orders is not None and d.orders.key != d.id
    if separate_key:
        # The orders key of that same row: rank and key as one text, smallest first.
        rank_text = nw.col(_PICK).cast(nw.String).str.zfill(20)
        keyed = nw.concat_str([rank_text, nw.col(KEY).fill_null("")], separator=" ")
        frame = frame.with_columns(keyed.alias(_TMP + "key"))
        aggregations.append(nw.col(_TMP + "key").min().alias(_TMP + "key"))
    if d.converted:
        aggregations += [
            nw.col(FLAG).any().alias(_TMP + "any"),
            nw.col(FLAG).all().alias(_TMP + "all"),
            nw.col(FLAG).count().alias(_TMP + "flags"),
        ]
    if d.contact_date:
        aggregations.append(nw.col(CONTACT_DATE).min().alias(CONTACT_DATE))
    if d.converted_date:
        aggregations.append(nw.col(CONVERTED_DATE).min().alias(CONVERTED_DATE))
    aggregations += [ones(nw.col(b)).sum().alias(b) for b in bad]
    merged = frame.group_by(ID).agg(*aggregations)

    # Rows without an id are not one contact: their differences are not conflicts.
    has_id = ~nw.col(ID).is_null()
    columns = [
        (nw.col(_PICK) % _SHIFT).alias(_CODE),
        (has_id & (nw.col(_TMP + "code_min") != nw.col(_TMP + "code_max"))).alias(SEGMENT_CONFLICT),
    ]
    if d.orders is not None:
        if separate_key:
            key = nw.col(_TMP + "key").str.slice(21)
            columns.append(nw.when(key != "").then(key).alias(KEY))
        else:
            columns.append(nw.col(ID).alias(KEY))
    if d.converted:
        columns += [
            nw.when(nw.col(_TMP + "flags") > 0).then(nw.col(_TMP + "any")).alias(FLAG),
            (has_id & nw.col(_TMP + "any") & ~nw.col(_TMP + "all")).alias(FLAG_CONFLICT),
        ]
    else:
        columns.append(nw.lit(False).alias(FLAG_CONFLICT))
    merged = merged.with_columns(*columns)
    if combos is not None:
        merged = merged.join(combos, on=_CODE, how="left")
    out = merged.drop(
        [name for name in merged.collect_schema().names() if name.startswith(_TMP)] + [_PICK, _CODE]
    )
    return _numbers_back(out, numeric)


def _moment_number(d: Definition, timed: bool) -> nw.Expr:
    """The contact moment as a count of seconds that sorts like the moment; no date sorts last.

    Days are numbered as if every month had 31 days (an integer that sorts like the date and
    needs no calendar arithmetic, which not every engine offers alike); with times, the seconds
    since midnight are added, so two rows on the same day go to the earlier one.
    """
    if not d.contact_date:
        return nw.lit(0)
    day = nw.col(CONTACT_DATE)
    number = (
        (day.dt.year().cast(nw.Int64) - _FIRST_YEAR) * 372
        + (day.dt.month().cast(nw.Int64) - 1) * 31
        + (day.dt.day().cast(nw.Int64) - 1)
    ) * 86_400
    if timed:
        number = number + nw.col(CONTACT_SECONDS).cast(nw.Int64).fill_null(0)
    # A missing date makes the condition null, which every engine takes as false: last.
    in_range = (number >= 0) & (number < _MOMENTS)
    return nw.when(in_range).then(number).otherwise(nw.lit(_MOMENTS - 1))


def _numbers_back(frame: nw.LazyFrame, numeric: Sequence[str]) -> nw.LazyFrame:
    """Segment columns to be binned, back from text to numbers (missing stays missing)."""
    if not numeric:
        return frame
    return frame.with_columns(
        nw.when(nw.col(c) != MISSING).then(nw.col(c)).alias(c) for c in numeric
    ).with_columns(nw.col(c).cast(nw.Float64) for c in numeric)


def join_orders(
    contacts: nw.LazyFrame, orders: nw.LazyFrame, d: Definition, bad: Sequence[str] = ()
) -> nw.LazyFrame:
    """Mark contacts whose key appears in the orders table, with the first order's date.

    ``orders`` has ``KEY`` and, for dated orders, ``ORDER_DATE``; ``bad`` columns of the orders
    (unreadable values) are totalled over the whole orders table and carried on every contact.
    """
    join = d.orders
    assert join is not None
    all_orders = orders  # unreadable values count in every row, keyed or not
    orders = orders.filter(~nw.col(KEY).is_null())
    if join.orders_date is None:
        keys = orders.select(KEY).unique().with_columns(nw.lit(True).alias(ORDERED))
        joined = contacts.join(keys, on=KEY, how="left").with_columns(
            nw.col(ORDERED).fill_null(False)
        )
        return _with_order_tallies(joined, all_orders, bad)

    dated = d.contact_date is not None
    # Contacts are matched to orders by key and contact date: a contact has no row number in
    # every engine, and contacts that share both also share the answer. A missing contact date
    # joins as a marker plus a placeholder date, because a join never matches null to null.
    on = [KEY]
    if dated:
        on += [_TMP + "date", _TMP + "no_date"]
        contacts = contacts.with_columns(
            nw.col(CONTACT_DATE).fill_null(nw.lit(date(1900, 1, 1), dtype=nw.Date)).alias(on[1]),
            nw.col(CONTACT_DATE).is_null().alias(on[2]),
        )
    wanted = contacts.select(*on, *([CONTACT_DATE] if dated else [])).unique()
    pairs = wanted.join(orders.select(KEY, ORDER_DATE), on=KEY, how="inner")
    order_date = nw.col(ORDER_DATE)
    if dated:
        after = order_date >= nw.col(CONTACT_DATE)
        pairs = pairs.with_columns(
            nw.when(after).then(order_date).alias(_TMP + "after_date"),
            ones(after).alias(_TMP + "after"),
            ones(order_date < nw.col(CONTACT_DATE)).alias(_TMP + "before"),
        )
    else:
        pairs = pairs.with_columns(
            order_date.alias(_TMP + "after_date"),
            nw.lit(1).alias(_TMP + "after"),
            nw.lit(0).alias(_TMP + "before"),
        )
    # With a contact-date column as well, the contacts table's own conversion date wins.
    converted = _TMP + "order_converted" if d.converted_date else CONVERTED_DATE
    per_key = (
        pairs.group_by(*on)
        .agg(
            nw.col(_TMP + "after_date").min().alias(converted),
            nw.col(_TMP + "after").sum().alias(_TMP + "after"),
            nw.col(_TMP + "before").sum().alias(_TMP + "before"),
        )
        .with_columns(
            nw.lit(True).alias(ORDERED),
            ((nw.col(_TMP + "before") > 0) & (nw.col(_TMP + "after") == 0)).alias(ORDER_BEFORE),
        )
        .drop(_TMP + "after", _TMP + "before")
    )
    joined = (
        contacts.join(per_key, on=on, how="left")
        .with_columns(nw.col(ORDERED).fill_null(False), nw.col(ORDER_BEFORE).fill_null(False))
        .drop([*on[1:], *([converted] if d.converted_date else [])])
    )
    return _with_order_tallies(joined, all_orders, bad)


def _with_order_tallies(
    contacts: nw.LazyFrame, orders: nw.LazyFrame, bad: Sequence[str]
) -> nw.LazyFrame:
    if not bad:
        return contacts
    totals = orders.select(*(ones(nw.col(b)).sum().alias(b) for b in bad))
    return contacts.join(totals, how="cross")


def classify(frame: nw.LazyFrame, d: Definition) -> nw.LazyFrame:
    """Decide, per contact, whether it is counted and whether it is a customer."""
    has_orders = d.orders is not None
    orders_dated = d.orders is not None and d.orders.orders_date is not None
    converted_date = nw.col(CONVERTED_DATE) if (d.converted_date or orders_dated) else None
    flag = nw.col(FLAG).fill_null(False) if d.converted else None
    contact_date = nw.col(CONTACT_DATE)
    columns: list[nw.Expr] = []

    if d.window_days is None:
        if flag is not None:
            customer = flag
        elif has_orders:
            customer = nw.col(ORDERED)
        else:
            assert converted_date is not None
            customer = ~converted_date.is_null()
        status = nw.lit(COUNTED)
        outside = nw.lit(False)
    else:
        assert converted_date is not None
        if d.as_of is None:
            frame = with_latest_date(frame, d)
            as_of = nw.col(AS_OF)
        else:
            as_of = nw.lit(d.as_of, dtype=nw.Date)
            columns.append(as_of.alias(AS_OF))
        window_end = contact_date.dt.offset_by(f"{d.window_days}d")
        known = ~converted_date.is_null() & (converted_date <= as_of)
        in_window = known & (converted_date >= contact_date) & (converted_date <= window_end)
        customer = in_window if flag is None else (flag & in_window)
        evidence = known if flag is None else (flag & known)
        outside = evidence & (converted_date > window_end)
        status = (
            nw.when(contact_date.is_null())
            .then(nw.lit(NO_CONTACT_DATE))
            .when(contact_date > as_of.dt.offset_by(f"-{d.window_days}d"))
            .then(nw.lit(IMMATURE))
            .otherwise(nw.lit(COUNTED))
        )
    if d.id is not None:
        status = nw.when(nw.col(ID).is_null()).then(nw.lit(MISSING_ID)).otherwise(status)

    if orders_dated and d.contact_date:
        negative = nw.col(ORDER_BEFORE)
    elif converted_date is not None and d.contact_date:
        negative = converted_date < contact_date
    else:
        negative = nw.lit(False)
    return frame.with_columns(
        *columns,
        customer.fill_null(False).alias(CUSTOMER),
        status.alias(STATUS),
        negative.fill_null(False).alias(NEGATIVE),
        outside.fill_null(False).alias(OUTSIDE),
    )


def outside_days(frame: nw.LazyFrame, first: date, last: date) -> nw.LazyFrame:
    """Contacts whose contact date falls outside ``first``..``last`` (inclusive), set apart.

    Runs on ``classify``'s output, so the default as-of date is still the whole table's. The
    contact date is the earliest of the contact's rows (``per_contact``), so the earliest row
    decides, as it decides the contact's cohort. Contacts without an id or a contact date keep
    their status; out-of-range ones get ``OUTSIDE_DAYS`` and are left out of the counts.
    """
    day = nw.col(CONTACT_DATE)
    outside = (day < nw.lit(first, dtype=nw.Date)) | (day > nw.lit(last, dtype=nw.Date))
    keep = nw.col(STATUS).is_in([MISSING_ID, NO_CONTACT_DATE])
    status = nw.when(outside & ~keep).then(nw.lit(OUTSIDE_DAYS)).otherwise(nw.col(STATUS))
    return frame.with_columns(status.alias(STATUS))


def with_latest_date(frame: nw.LazyFrame, d: Definition) -> nw.LazyFrame:
    """The default as-of date on every row: the latest contact or conversion date.

    Rows left out for having no id do not move it. polars, DuckDB and PostgreSQL evaluate the
    maximum within the same query (a window over the whole table); on Spark such a window would
    gather every row into one partition, so there it is a one-row aggregate cross-joined back
    (and broadcast).
    """
    contact, converted = nw.col(CONTACT_DATE), nw.col(CONVERTED_DATE)
    if d.id is not None:
        known = ~nw.col(ID).is_null()
        contact, converted = nw.when(known).then(contact), nw.when(known).then(converted)
    latest = nw.max_horizontal(contact.max(), converted.max()).alias(AS_OF)
    if frame.implementation in (nw.Implementation.PYSPARK, nw.Implementation.PYSPARK_CONNECT):
        return frame.join(frame.select(latest), how="cross")
    return frame.with_columns(latest)


def summarise(
    frame: nw.LazyFrame, d: Definition, bad: Sequence[str] = (), constant: Sequence[str] = ()
) -> nw.LazyFrame:
    """The one aggregation: per segment combination and status, counts and quality tallies.

    ``bad`` columns are per-contact counts of unreadable values (summed); ``constant`` columns
    are the same on every row (the orders table's totals) and are carried through.
    """
    tallies = [
        nw.len().alias(TALLY + "contacts"),
        ones(nw.col(CUSTOMER)).sum().alias(TALLY + "customers"),
        nw.col(ROWS).sum().alias(TALLY + "rows"),
        ones(nw.col(SEGMENT_CONFLICT)).sum().alias(TALLY + "segment_conflicts"),
        ones(nw.col(FLAG_CONFLICT)).sum().alias(TALLY + "flag_conflicts"),
        ones(nw.col(NEGATIVE)).sum().alias(TALLY + "negative_lags"),
        ones(nw.col(OUTSIDE)).sum().alias(TALLY + "outside_window"),
    ]
    if d.window_days is not None:
        tallies.append(nw.col(AS_OF).max().alias(TALLY + "as_of"))
    if d.converted:
        tallies.append(ones(nw.col(FLAG).is_null()).sum().alias(TALLY + "empty_flags"))
    tallies += [nw.col(b).sum().alias(b) for b in bad]
    tallies += [nw.col(c).max().alias(c) for c in constant]
    return frame.group_by(*d.segments, STATUS).agg(*tallies)


def typed_summary(summary: pl.DataFrame) -> pl.DataFrame:
    """The summary as every engine's result is read: 64-bit tallies and a date as-of.

    Counts come back as 64-bit integers whatever width the engine used; the default as-of date
    as a date (some engines widen date arithmetic to timestamps).
    """
    casts = [
        pl.col(c).cast(pl.Int64)
        for c in summary.columns
        if c.startswith(TALLY) and c != TALLY + "as_of"
    ]
    if TALLY + "as_of" in summary.columns:
        casts.append(pl.col(TALLY + "as_of").cast(pl.Date))
    return summary.with_columns(casts) if casts else summary
