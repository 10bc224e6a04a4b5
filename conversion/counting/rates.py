"""Counting contacts and customers per segment: one lazy query, collected once.

``count`` takes the rows of a contacts table (a polars ``LazyFrame``) and a ``Definition`` and
returns a small table with one row per segment: ``contacts`` and ``customers``. Everything the
analyst should know about how the rows were counted (duplicates, conflicts, immature contacts,
negative lags) is gathered in the same query and returned beside the table, as numbers
(``Quality``) and as sentences (``warnings``). Statistics and charts work on the small table only.
"""

from __future__ import annotations

import calendar
import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import narwhals as nw
import polars as pl

from conversion import reading
from conversion.counting import aggregated, engine
from conversion.counting.engine import COUNTED, IMMATURE, MISSING, MISSING_ID, NO_CONTACT_DATE
from conversion.definition import DateBucket, Definition
from conversion.errors import InputError, n, verb
from conversion.roles import (
    DateFormat,
    date_expr,
    detect_date_format,
    flag_expr,
    present_expr,
    seconds_expr,
    text_expr,
    unreadable_date_expr,
    unrecognised_flag_expr,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

OTHER = "Other"
_ID = engine.ID
_FLAG = engine.FLAG
_CONTACT_DATE = engine.CONTACT_DATE
_CONTACT_SECONDS = engine.CONTACT_SECONDS
_CONVERTED_DATE = engine.CONVERTED_DATE
_KEY = engine.KEY
_STATUS = engine.STATUS
_AS_OF = engine.AS_OF
EXCLUSION = "excluded as"  # the reason column of Counts.excluded (clear of segment names)
_BAD = "__cbs_bad_"
_T = engine.TALLY
_TMP = "__cbs_tmp_"
_ORDER_DATE_BAD = _BAD + "order_date"


@dataclass(frozen=True)
class Quality:
    """How the rows became the counts: the numbers behind the validation summary."""

    rows: int = 0
    contacts: int = 0
    counted: int = 0
    duplicate_rows: int = 0
    missing_ids: int = 0
    segment_conflicts: int = 0
    flag_conflicts: int = 0
    empty_flags: int = 0
    immature: int = 0
    missing_contact_dates: int = 0
    negative_lags: int = 0
    outside_window: int = 0
    as_of: date | None = None
    orders_rows: int | None = None


@dataclass(frozen=True)
class Counts:
    """The small per-segment table and how it was made.

    ``table`` has the segment columns (text, ``(missing)`` for empty values, ``Other`` for the
    segments beyond the top K), then ``contacts`` and ``customers``; one row per segment
    (combination), sorted by the segment values. ``excluded`` has the same segment columns,
    ``EXCLUSION`` (why) and ``contacts`` for contacts left out of the rates (immature, no
    contact date, no id).
    """

    table: pl.DataFrame
    quality: Quality
    warnings: tuple[str, ...]
    definition: Definition
    excluded: pl.DataFrame

    @property
    def contacts(self) -> int:
        return int(self.table["contacts"].sum())

    @property
    def customers(self) -> int:
        return int(self.table["customers"].sum())


@dataclass(frozen=True)
class _Check:
    """A per-row test for values the engine cannot read; any hit stops the count."""

    name: str
    column: str
    source: str
    expr: pl.Expr  # on the raw table, to find and show the failing rows
    what: str  # "flag" | "date" | "number"
    detail: str = ""
    present: str = ""  # row-frame column: the raw value is non-empty
    parsed: str = ""  # row-frame column: the value as read (null when unreadable)


def count(
    contacts: pl.LazyFrame,
    definition: Definition,
    orders: pl.LazyFrame | None = None,
    *,
    source: str = "the contacts table",
    orders_source: str = "the orders table",
    decimal_comma: bool = False,
    keep_totals: bool = False,
) -> Counts:
    """Count contacts and customers per segment.

    Parameters
    ----------
    contacts
        The contacts table, one row per contact (or several rows per contact with an id).
    definition
        What to count; see ``Definition``.
    orders
        Optional second table (orders, won deals) for ``definition.orders``.
    source, orders_source
        How to name the tables in messages (usually the file names).
    decimal_comma, keep_totals
        Pre-aggregated input only: counts written with a decimal comma (``1.234`` is a
        thousand and more), and keep ``Total`` rows as segments instead of leaving out those
        that equal the sum of the others.

    Returns
    -------
    Counts

    Raises
    ------
    InputError
        For unknown columns, unreadable flags, dates or numbers, and inconsistent definitions.

    Examples
    --------
    >>> lf = pl.LazyFrame({"source": ["Ads", "Ads", "Web"], "won": ["yes", "no", "yes"]})
    >>> count(lf, Definition(segments=("source",), converted="won")).table.rows()
    [('Ads', 2, 1), ('Web', 1, 1)]
    """
    schema = contacts.collect_schema()
    read_orders = orders is not None and not definition.pre_aggregated
    orders_columns = orders.collect_schema().names() if read_orders else None  # type: ignore[union-attr]
    check_definition(schema.names(), definition, source, orders_columns, orders_source)
    if definition.pre_aggregated:
        return _count_pre_aggregated(
            contacts, definition, source, decimal_comma=decimal_comma, keep_totals=keep_totals
        )
    orders_frame = orders if definition.orders is not None else None

    formats = _date_formats(contacts, definition, source)
    while True:
        checks: list[_Check] = []
        rows = _row_frame(contacts, definition, schema, formats, checks, source)
        order_checks: list[_Check] = []
        frame = _aggregate(rows, definition, checks, orders_frame, order_checks, orders_source)
        summary = _summarise(frame, definition, checks, order_checks)
        fast = any(f.separator is not None for f in formats.values())
        if fast and _has_bad_dates(summary, checks):
            # The fast reading assumed ten-character dates; read once more the general way
            # before calling any value unreadable.
            formats = {column: f.general() for column, f in formats.items()}
            continue
        break
    _raise_on_bad_values(summary, checks, contacts, order_checks, orders_frame)
    return _finish(summary, definition)


def _has_bad_dates(summary: pl.DataFrame, checks: list[_Check]) -> bool:
    return any(
        check.what == "date" and summary.height > 0 and bool(summary[check.name].max())
        for check in checks
    )


def check_definition(
    columns: Sequence[str],
    d: Definition,
    source: str,
    orders_columns: Sequence[str] | None = None,
    orders_source: str = "the orders table",
) -> None:
    """What every engine checks before counting: columns exist, names are free, evidence given."""
    _check_columns(columns, _contact_columns(d), source)
    _check_segment_names(d, source)
    if d.pre_aggregated:
        return
    _check_evidence(d, orders_columns)
    if orders_columns is not None and d.orders is not None:
        wanted = [d.orders.right_key] + ([d.orders.orders_date] if d.orders.orders_date else [])
        _check_columns(orders_columns, wanted, orders_source)


def counts_from_summary(summary: pl.DataFrame, d: Definition) -> Counts:
    """``Counts`` from the engine's summary (one row per segment combination and status)."""
    return _finish(summary, d)


def _contact_columns(d: Definition) -> list[str]:
    names = [*d.segments, d.converted, d.converted_date, d.id, d.contact_date]
    names += [d.contacts_column, d.customers_column]
    if d.orders is not None:
        names.append(d.orders.key)
    return [n for n in names if n]


def _check_columns(available: Sequence[str], wanted: Sequence[str], source: str) -> None:
    missing = [c for c in dict.fromkeys(wanted) if c not in available]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        shown = ", ".join(f"'{c}'" for c in list(available)[:30])
        more = f" (and {len(available) - 30} more)" if len(available) > 30 else ""
        raise InputError(
            f"{source} has no column {names}. Its columns are: {shown}{more}. "
            "Check the spelling (names are case-sensitive) or pick another column."
        )


OUTPUT_COLUMNS = ("contacts", "customers")


def _check_segment_names(d: Definition, source: str) -> None:
    clash = [c for c in d.segments if c in OUTPUT_COLUMNS]
    if clash:
        raise InputError(
            f"The segment column '{clash[0]}' in {source} has the name of a result column "
            "(contacts, customers). Rename that column in the file, then pick it again."
        )


def _check_evidence(d: Definition, orders: object | None, *, need_segments: bool = True) -> None:
    if need_segments and not d.segments:
        raise InputError("Choose at least one segment column to break the rate down by.")
    if d.orders is not None and orders is None:
        raise InputError("An orders key was given but no orders table; add the orders file.")
    if orders is not None and d.orders is None:
        raise InputError("An orders table was given without a key; say which column joins them.")
    if d.converted is None and d.converted_date is None and d.orders is None:
        raise InputError(
            "Say what makes a contact a customer: a flag column, a conversion-date column, or an "
            "orders table joined on a key (on the command line: --converted COL, "
            "--converted-date COL, or --orders FILE --key COL)."
        )
    if d.window_days is not None:
        if d.contact_date is None:
            raise InputError(
                "A conversion window needs the contact date: say which column holds it "
                "(--contact-date)."
            )
        has_timing = d.converted_date is not None or (
            d.orders is not None and d.orders.orders_date is not None
        )
        if not has_timing:
            raise InputError(
                "A conversion window needs the date each contact converted: give a "
                "conversion-date column (--converted-date) or the orders' date (--orders-date)."
            )


def _date_formats(frame: pl.LazyFrame, d: Definition, source: str) -> dict[str, DateFormat]:
    columns = [d.contact_date, d.converted_date, *(c for c, _ in d.date_buckets)]
    return {
        column: detect_date_format(frame, column, explicit=d.date_format, source=source)
        for column in dict.fromkeys(c for c in columns if c)
    }


def _segment_columns(
    index: int,
    column: str,
    d: Definition,
    schema: pl.Schema,
    formats: dict[str, DateFormat],
    checks: list[_Check],
    source: str,
) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """How one segment column is read: expressions on the raw row, then on the read values."""
    bucket = d.date_bucket(column)
    if bucket is not None:
        fmt, parsed = formats[column], f"{_TMP}segment_{index}"
        checks.append(
            _Check(
                f"{_BAD}segment_{column}",
                column,
                source,
                unreadable_date_expr(column, fmt),
                "date",
                fmt.describe(),
                present=f"{parsed}_present",
                parsed=parsed,
            )
        )
        raw = [
            date_expr(column, fmt).alias(parsed),
            present_expr(column).alias(f"{parsed}_present"),
        ]
        return raw, [bucket_label(pl.col(parsed), bucket).alias(column)]
    if d.bin_count(column) is not None:
        if schema[column].is_numeric():
            return [pl.col(column).cast(pl.Float64).alias(column)], []
        number = text_expr(column).cast(pl.Float64, strict=False)
        present = f"{_TMP}segment_{index}_present"
        checks.append(
            _Check(
                f"{_BAD}segment_{column}",
                column,
                source,
                text_expr(column).is_not_null() & number.is_null(),
                "number",
                present=present,
                parsed=column,
            )
        )
        return [number.alias(column), present_expr(column).alias(present)], []
    return [text_expr(column).alias(column)], []


def bucket_label(dates: pl.Expr, bucket: DateBucket) -> pl.Expr:
    """Text labels for date buckets that also sort in time order: 2025-01-27, 2025-01, 2025-Q1."""
    if bucket == "week":
        return dates.dt.truncate("1w").dt.strftime("%Y-%m-%d")
    if bucket == "month":
        return dates.dt.strftime("%Y-%m")
    if bucket == "quarter":
        return pl.format("{}-Q{}", dates.dt.year(), dates.dt.quarter())
    return dates.dt.year().cast(pl.String)


def bucket_start(label: str, bucket: DateBucket) -> date:
    """The first day of the bucket a label names (inverse of ``bucket_label``)."""
    if bucket == "week":
        return date.fromisoformat(label)
    if bucket == "month":
        return date.fromisoformat(label + "-01")
    if bucket == "quarter":
        year, quarter = label.split("-Q")
        return date(int(year), 3 * int(quarter) - 2, 1)
    return date(int(label), 1, 1)


def bucket_end(label: str, bucket: DateBucket) -> date:
    """The last day of the bucket a label names."""
    start = bucket_start(label, bucket)
    if bucket == "week":
        return start + timedelta(days=6)
    if bucket == "month":
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if bucket == "quarter":
        last_month = start.month + 2
        return start.replace(month=last_month, day=calendar.monthrange(start.year, last_month)[1])
    return date(start.year, 12, 31)


def _row_frame(
    contacts: pl.LazyFrame,
    d: Definition,
    schema: pl.Schema,
    formats: dict[str, DateFormat],
    checks: list[_Check],
    source: str,
) -> pl.LazyFrame:
    """One row per input row: the id, segment values, flag and dates, read and cleaned.

    Each value is parsed once; whether a non-empty value failed to parse is then read off the
    parsed column (the raw-value test in ``_Check.expr`` only runs to explain a failure).
    """
    raw: list[pl.Expr] = []
    derived: list[pl.Expr] = []
    for index, column in enumerate(d.segments):
        first, then = _segment_columns(index, column, d, schema, formats, checks, source)
        raw += first
        derived += then
    if d.id:
        raw.append(text_expr(d.id).alias(_ID))
    if d.converted:
        dtype = schema[d.converted]
        raw.append(flag_expr(d.converted, dtype, d.customer_values).alias(_FLAG))
        raw.append(present_expr(d.converted).alias(f"{_TMP}flag_present"))
        checks.append(
            _Check(
                _BAD + "flag",
                d.converted,
                source,
                unrecognised_flag_expr(d.converted, dtype, d.customer_values),
                "flag",
                present=f"{_TMP}flag_present",
                parsed=_FLAG,
            )
        )
    for role, column in ((_CONTACT_DATE, d.contact_date), (_CONVERTED_DATE, d.converted_date)):
        if column:
            fmt = formats[column]
            raw.append(date_expr(column, fmt).alias(role))
            raw.append(present_expr(column).alias(f"{role}_present"))
            checks.append(
                _Check(
                    _BAD + role,
                    column,
                    source,
                    unreadable_date_expr(column, fmt),
                    "date",
                    fmt.describe(),
                    present=f"{role}_present",
                    parsed=role,
                )
            )
    if d.id and d.contact_date and formats[d.contact_date].timed:
        # Only a contact's rows are ordered by the time of day: lags count whole days.
        raw.append(seconds_expr(d.contact_date, formats[d.contact_date]).alias(_CONTACT_SECONDS))
    if d.orders is not None:
        raw.append(text_expr(d.orders.key).alias(_KEY))
    derived += [
        (pl.col(check.present) & pl.col(check.parsed).is_null()).alias(check.name)
        for check in checks
    ]
    temporary = [check.present for check in checks] + [
        f"{_TMP}segment_{i}" for i, c in enumerate(d.segments) if d.date_bucket(c) is not None
    ]
    return contacts.select(raw).with_columns(derived).drop(temporary)


def _aggregate(
    rows: pl.LazyFrame,
    d: Definition,
    checks: list[_Check],
    orders: pl.LazyFrame | None,
    order_checks: list[_Check],
    source: str,
) -> nw.LazyFrame:
    """The shared engine's steps on the polars row frame, up to classified contacts."""
    numeric = [c for c in d.segments if d.bin_count(c) is not None]
    frame = engine.per_contact(
        nw.from_native(rows), d, bad=[c.name for c in checks], numeric=numeric
    )
    if orders is not None:
        order_rows = _order_rows(orders, d, order_checks, source)
        frame = engine.join_orders(
            frame, nw.from_native(order_rows), d, bad=[c.name for c in order_checks]
        )
    return frame


def _order_rows(
    orders: pl.LazyFrame, d: Definition, checks: list[_Check], source: str
) -> pl.LazyFrame:
    """The orders table read like the contacts: the key as text, the date parsed."""
    join = d.orders
    assert join is not None
    if join.orders_date is None:
        return orders.select(text_expr(join.right_key).alias(_KEY))
    fmt = detect_date_format(orders, join.orders_date, explicit=d.date_format, source=source)
    checks.append(
        _Check(
            _ORDER_DATE_BAD,
            join.orders_date,
            source,
            unreadable_date_expr(join.orders_date, fmt),
            "date",
            fmt.describe(),
        )
    )
    return orders.select(
        text_expr(join.right_key).alias(_KEY),
        date_expr(join.orders_date, fmt).alias(engine.ORDER_DATE),
        unreadable_date_expr(join.orders_date, fmt).alias(_ORDER_DATE_BAD),
    )


def _orders_dated(d: Definition) -> bool:
    return d.orders is not None and d.orders.orders_date is not None


def _summarise(
    frame: nw.LazyFrame, d: Definition, checks: list[_Check], order_checks: list[_Check]
) -> pl.DataFrame:
    """Classify and count on the shared engine; quantile bins are labelled on the way."""
    classified = engine.classify(frame, d)
    if any(d.bin_count(c) for c in d.segments):
        native = nw.to_native(classified).with_columns(
            _bin_labels(c, d.bin_count(c)) for c in d.segments if d.bin_count(c)
        )
        classified = nw.from_native(native)
    summary = engine.summarise(
        classified,
        d,
        bad=[c.name for c in checks],
        constant=[c.name for c in order_checks],
    )
    return engine.fetch(summary)


def _bin_labels(column: str, bins: int | None) -> pl.Expr:
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


def _raise_on_bad_values(
    summary: pl.DataFrame,
    checks: list[_Check],
    contacts: pl.LazyFrame,
    order_checks: list[_Check],
    orders: pl.LazyFrame | None,
) -> None:
    for check in checks + order_checks:
        bad = summary[check.name].max() if summary.height else 0
        if bad:
            frame = orders if check in order_checks else contacts
            assert frame is not None
            raise InputError(_bad_value_message(frame, check))


def flag_values_message(
    column: str, source: str, counted: Sequence[tuple[object, int]], more: str = ""
) -> str:
    """What to say about flag values that are not yes/no-like (``counted``: value, rows)."""
    listed = ", ".join(f"'{value}' ({n(int(rows), 'row')})" for value, rows in counted)
    return (
        f"Column '{column}' in {source} has values that are not yes/no-like: {listed}{more}. "
        "Name the values that mean a customer with --customer-value (every other value then "
        "counts as not a customer), or pick another column."
    )


def _bad_value_message(frame: pl.LazyFrame, check: _Check) -> str:
    """Say which values could not be read, with counts or row numbers, and what to do."""
    bad_rows = frame.with_row_index("__cbs_row", offset=1).filter(check.expr)
    if check.what == "flag":
        values = (
            bad_rows.group_by(pl.col(check.column).cast(pl.String).str.strip_chars())
            .agg(pl.len().alias("n"))
            .sort(["n", check.column], descending=[True, False])
            .collect()
        )
        more = f" and {values.height - 8} more" if values.height > 8 else ""
        return flag_values_message(check.column, check.source, values.head(8).rows(), more)
    examples = bad_rows.select("__cbs_row", check.column).head(5).collect()
    total = bad_rows.select(pl.len()).collect().item()
    listed = "; ".join(f"row {row}: '{value}'" for row, value in examples.iter_rows())
    if check.what == "number":
        return (
            f"Column '{check.column}' in {check.source} has {n(total, 'value')} that "
            f"{verb(total, 'is', 'are')} not numbers "
            f"({listed}). Clean them or do not bin this column."
        )
    read_as = f" read as {check.detail}" if check.detail else ""
    return (
        f"Column '{check.column}' in {check.source} has {n(total, 'value')} that "
        f"{verb(total, 'is', 'are')} not dates"
        f"{read_as} ({listed}; rows counted from 1 after the header). Fix or blank those "
        "values, or give the format with --date-format (e.g. %d/%m/%Y %H:%M)."
    )


def _finish(summary: pl.DataFrame, d: Definition) -> Counts:
    segments = list(d.segments)
    counted = summary.filter(pl.col(_STATUS) == COUNTED)
    table = (
        counted.group_by(segments)
        .agg(
            pl.col(_T + "contacts").sum().cast(pl.Int64).alias("contacts"),
            pl.col(_T + "customers").sum().cast(pl.Int64).alias("customers"),
        )
        .sort(segments)
    )
    if d.top_k is not None:
        table = top_k(table, segments, d.top_k)
    excluded = (
        summary.filter(pl.col(_STATUS) != COUNTED)
        .group_by([*segments, _STATUS])
        .agg(pl.col(_T + "contacts").sum().cast(pl.Int64).alias("contacts"))
        .rename({_STATUS: EXCLUSION})
        .sort([*segments, EXCLUSION])
    )

    identified = summary.filter(pl.col(_STATUS) != MISSING_ID)

    def total(column: str, frame: pl.DataFrame = identified) -> int:
        column = _T + column
        return int(frame[column].sum()) if column in frame.columns and frame.height else 0

    def by_status(status: str) -> int:
        return total("contacts", summary.filter(pl.col(_STATUS) == status))

    as_of_values = (
        summary[_T + "as_of"].drop_nulls()
        if summary.height and _T + "as_of" in summary.columns
        else pl.Series([])
    )
    quality = Quality(
        rows=total("rows", summary),
        contacts=total("contacts"),
        counted=total("contacts", counted),
        duplicate_rows=total("rows") - total("contacts") if d.id else 0,
        missing_ids=total("rows", summary.filter(pl.col(_STATUS) == MISSING_ID)),
        segment_conflicts=total("segment_conflicts"),
        flag_conflicts=total("flag_conflicts"),
        empty_flags=total("empty_flags"),
        immature=by_status(IMMATURE),
        missing_contact_dates=by_status(NO_CONTACT_DATE),
        negative_lags=total("negative_lags"),
        outside_window=total("outside_window"),
        as_of=d.as_of or (as_of_values[0] if len(as_of_values) else None),
    )
    return Counts(table, quality, tuple(_warnings(quality, d)), d, excluded)


def top_k(table: pl.DataFrame, segments: Sequence[str], k: int) -> pl.DataFrame:
    """Keep the K segments with most contacts per column and group the rest as ``Other``.

    ``(missing)`` is never folded into ``Other``: missing values are worth seeing on their own.
    """
    for column in segments:
        totals = (
            table.filter(pl.col(column) != MISSING)
            .group_by(column)
            .agg(pl.col("contacts").sum())
            .sort(["contacts", column], descending=[True, False])
        )
        if totals.height <= k:
            continue
        keep = totals[column].head(k).to_list()
        table = table.with_columns(
            pl.when(pl.col(column).is_in([*keep, MISSING]))
            .then(pl.col(column))
            .otherwise(pl.lit(OTHER))
            .alias(column)
        )
    return aggregated.summed(table, list(segments))


def _count_pre_aggregated(
    contacts: pl.LazyFrame,
    d: Definition,
    source: str,
    *,
    decimal_comma: bool = False,
    keep_totals: bool = False,
) -> Counts:
    """Validate and sum a table that already has contacts and customers per segment."""
    if not (d.contacts_column and d.customers_column):
        raise InputError(
            "Pre-aggregated input needs both a contacts column and a customers column "
            "(--contacts COL --customers COL)."
        )
    if not d.segments:
        raise InputError("Choose at least one segment column to break the rate down by.")
    rows, notes, read = aggregated.read_counts(
        contacts, d, source, decimal_comma=decimal_comma, keep_totals=keep_totals
    )
    table = aggregated.summed(rows, list(d.segments))
    if d.top_k is not None:
        table = top_k(table, d.segments, d.top_k)
    quality = Quality(
        rows=read,
        contacts=int(table["contacts"].sum()),
        counted=int(table["contacts"].sum()),
    )
    warnings = list(notes)
    if d.window_days is not None:
        warnings.append(
            "The conversion window does not apply to pre-aggregated counts and was ignored."
        )
    excluded = pl.DataFrame(
        schema={**{c: pl.String for c in d.segments}, EXCLUSION: pl.String, "contacts": pl.Int64}
    )
    return Counts(table, quality, tuple(warnings), d, excluded)


def _warnings(q: Quality, d: Definition) -> list[str]:
    """Plain sentences for everything that changed how rows were counted."""
    out = []
    if q.missing_ids:
        out.append(
            f"{n(q.missing_ids, 'row')} {verb(q.missing_ids, 'has', 'have')} no value in the id "
            f"column '{d.id}' and {verb(q.missing_ids, 'was', 'were')} left out."
        )
    if q.duplicate_rows:
        out.append(
            f"{n(q.duplicate_rows, 'row')} {verb(q.duplicate_rows, 'repeats', 'repeat')} an id "
            f"already seen: {n(q.rows, 'row')} make {n(q.contacts, 'unique contact')} (a contact "
            "is a customer if any of its rows converted)."
        )
    if q.segment_conflicts:
        rule = (
            "row with the earliest contact date (on a tie, the first values in sort order)"
            if d.contact_date
            else "row whose values come first in sort order"
        )
        out.append(
            f"{n(q.segment_conflicts, 'contact')} {verb(q.segment_conflicts, 'appears', 'appear')}"
            f" with different segment values in different rows; the values of the {rule} were "
            "used."
        )
    if q.flag_conflicts:
        out.append(
            f"{n(q.flag_conflicts, 'contact')} {verb(q.flag_conflicts, 'is', 'are')} marked "
            "converted in one row and not in another; counted as customers."
        )
    if q.empty_flags:
        out.append(
            f"{n(q.empty_flags, 'contact')} {verb(q.empty_flags, 'has', 'have')} an empty value "
            f"in '{d.converted}'; counted as not converted."
        )
    if q.immature and q.as_of is not None and d.window_days is not None:
        cutoff = q.as_of - timedelta(days=d.window_days)
        out.append(
            f"{n(q.immature, 'contact')} with a contact date after {cutoff.isoformat()} "
            f"{verb(q.immature, 'has', 'have')} not had the full {d.window_days}-day window by "
            f"{q.as_of.isoformat()} (the as-of date); left out of the rates, not counted as "
            "non-customers."
        )
    if q.missing_contact_dates:
        out.append(
            f"{n(q.missing_contact_dates, 'contact')} "
            f"{verb(q.missing_contact_dates, 'has', 'have')} no contact date, so the window "
            "cannot be checked; left out."
        )
    if q.negative_lags:
        verdict = (
            "not counted as conversions"
            if d.window_days is not None
            else "still counted as customers because no window is set"
        )
        out.append(
            f"{n(q.negative_lags, 'contact')} converted before the contact date (a data-quality "
            f"issue worth checking); {verdict}."
        )
    if q.outside_window:
        out.append(
            f"{n(q.outside_window, 'contact')} converted more than {d.window_days} days after the "
            "contact date; not counted as customers within the window."
        )
    if d.as_of is not None and d.window_days is None:
        out.append("The as-of date only matters with a conversion window; it was ignored.")
    if q.counted == 0:
        out.append("No contacts were left to count; check the window, as-of date and filters.")
    return out


def cohorts(
    contacts: pl.LazyFrame,
    definition: Definition,
    orders: pl.LazyFrame | None = None,
    *,
    period: DateBucket = "month",
    source: str = "the contacts table",
    orders_source: str = "the orders table",
) -> tuple[pl.DataFrame, Counts]:
    """Contacts and customers per cohort (contact-date period), optionally per segment.

    Returns the cohort table — ``cohort`` (the period's first day), the definition's segment
    columns, ``contacts``, ``customers``, ``immature`` (contacts left out because their window
    is not over) and ``mature`` (the whole period has had its window by the as-of date) — and
    the ``Counts`` it came from.
    """
    return cohorts_with(
        lambda d: count(contacts, d, orders, source=source, orders_source=orders_source),
        definition,
        period=period,
    )


def cohorts_with(
    counter: Callable[[Definition], Counts], definition: Definition, *, period: DateBucket
) -> tuple[pl.DataFrame, Counts]:
    """The cohort table from any engine's counting function (see ``cohorts``)."""
    if definition.contact_date is None:
        raise InputError("Trends need the contact date: say which column holds it.")
    date_column = definition.contact_date
    segments = tuple(s for s in definition.segments if s != date_column)
    buckets = tuple(b for b in definition.date_buckets if b[0] != date_column)
    cohort_definition = definition.with_changes(
        segments=(date_column, *segments),
        date_buckets=((date_column, period), *buckets),
        top_k=None,
    )
    counts = counter(cohort_definition)
    keys = [date_column, *segments]
    immature = counts.excluded.filter(pl.col(EXCLUSION) == IMMATURE).select(
        *keys, pl.col("contacts").alias("immature")
    )
    table = counts.table.join(immature, on=keys, how="full", coalesce=True).with_columns(
        pl.col("contacts").fill_null(0),
        pl.col("customers").fill_null(0),
        pl.col("immature").fill_null(0),
    )
    table = table.filter(pl.col(date_column) != MISSING)
    as_of, window = counts.quality.as_of, definition.window_days
    labels = table[date_column].to_list()
    starts = [bucket_start(label, period) for label in labels]
    mature = [
        window is None
        or as_of is None
        or bucket_end(label, period) + timedelta(days=window) <= as_of
        for label in labels
    ]
    table = (
        table.with_columns(
            pl.Series("cohort", starts, dtype=pl.Date),
            pl.Series("mature", mature, dtype=pl.Boolean),
        )
        .drop(date_column)
        .select("cohort", *segments, "contacts", "customers", "immature", "mature")
        .sort(["cohort", *segments])
    )
    return table, counts


def count_tables(
    contacts: reading.Table,
    definition: Definition,
    orders: reading.Table | None = None,
    *,
    keep_totals: bool = False,
) -> Counts:
    """``count`` on loaded files, naming them in messages; unreadable rows become InputError.

    What the reader did to the files (a title or footer left out, duplicate names made
    distinct) comes first among the warnings; a chosen column whose name is ambiguous in the
    file is an InputError.
    """
    uses_orders = orders is not None and definition.orders is not None
    _check_unambiguous(contacts, definition, orders)
    try:
        counts = count(
            contacts.frame,
            definition,
            orders.frame if uses_orders else None,
            source=contacts.name,
            orders_source=orders.name if orders is not None else "the orders table",
            decimal_comma=contacts.delimiter == ";",
            keep_totals=keep_totals,
        )
    except pl.exceptions.PolarsError as error:
        raise _read_error(error, contacts, orders) from None
    notes = contacts.notes + (orders.notes if uses_orders else ())
    if not notes:
        return counts
    return dataclasses.replace(counts, warnings=notes + counts.warnings)


def cohort_tables(
    contacts: reading.Table,
    definition: Definition,
    orders: reading.Table | None = None,
    *,
    period: DateBucket = "month",
) -> tuple[pl.DataFrame, Counts]:
    """``cohorts`` on loaded files, naming them in messages."""
    _check_unambiguous(contacts, definition, orders)
    try:
        return cohorts(
            contacts.frame,
            definition,
            orders.frame if orders is not None and definition.orders else None,
            period=period,
            source=contacts.name,
            orders_source=orders.name if orders is not None else "the orders table",
        )
    except pl.exceptions.PolarsError as error:
        raise _read_error(error, contacts, orders) from None


def _check_unambiguous(
    contacts: reading.Table, d: Definition, orders: reading.Table | None
) -> None:
    """Raise when a chosen column is a repeated header name whose copies differ."""
    reading.check_unambiguous(contacts, _contact_columns(d))
    if orders is not None and d.orders is not None:
        join = d.orders
        reading.check_unambiguous(orders, [c for c in (join.right_key, join.orders_date) if c])


def _read_error(
    error: Exception, contacts: reading.Table, orders: reading.Table | None
) -> InputError:
    message = reading.input_error(error, contacts)
    if orders is not None and "could not be read completely" in str(message):
        return reading.input_error(error, orders)
    return message


def time_to_convert(
    contacts: pl.LazyFrame,
    definition: Definition,
    orders: pl.LazyFrame | None = None,
    *,
    source: str = "the contacts table",
    orders_source: str = "the orders table",
) -> tuple[pl.DataFrame, date]:
    """Days from contact to conversion (or to the as-of date, censored), counted per segment.

    Returns a small table — the segment columns, ``days``, ``converted`` (the event) and
    ``contacts`` — for Kaplan–Meier curves, and the as-of date used. Every contact with a contact
    date takes part, mature or not: censoring is how the curve handles contacts still waiting.
    Contacts that converted before their contact date are left out (a data-quality issue that
    ``count`` reports).
    """
    if definition.contact_date is None or not (
        definition.converted_date or _orders_dated(definition)
    ):
        raise InputError(
            "Time to convert needs a contact date and a conversion date (or the orders' date)."
        )
    # Count with an open-ended window: the same reading of rows as the rates themselves.
    timing = definition.with_changes(window_days=None, top_k=None)
    schema = contacts.collect_schema()
    _check_columns(schema.names(), _contact_columns(timing), source)
    _check_evidence(timing, orders, need_segments=False)
    # The general date reading, exact for every width and separator: this view has no second
    # pass to fall back on, and any unreadable value is reported, never treated as censored.
    formats = {c: f.general() for c, f in _date_formats(contacts, timing, source).items()}
    checks: list[_Check] = []
    rows = _row_frame(contacts, timing, schema, formats, checks, source)
    order_checks: list[_Check] = []
    frame = nw.to_native(_aggregate(rows, timing, checks, orders, order_checks, orders_source))
    if checks or order_checks:
        tallies = frame.select(
            [pl.col(c.name).sum() for c in checks] + [pl.col(c.name).first() for c in order_checks]
        ).collect()
        _raise_on_bad_values(tallies, checks, contacts, order_checks, orders)
    contact_date, converted_date = pl.col(_CONTACT_DATE), pl.col(_CONVERTED_DATE)
    # Evaluated once over all contacts, before any filter or grouping.
    if timing.as_of is not None:
        frame = frame.with_columns(pl.lit(timing.as_of, dtype=pl.Date).alias(_AS_OF))
    else:
        frame = nw.to_native(engine.with_latest_date(nw.from_native(frame), timing))
    as_of = pl.col(_AS_OF)
    flag = pl.col(_FLAG).fill_null(False) if timing.converted else pl.lit(True)
    event = flag & converted_date.is_not_null() & (converted_date <= as_of)
    lag = (converted_date - contact_date).dt.total_days()
    days = pl.when(event).then(lag).otherwise((as_of - contact_date).dt.total_days())
    segments = [pl.col(c).fill_null(MISSING) for c in timing.segments]
    keep = contact_date.is_not_null() & (contact_date <= as_of) & ~(event & (lag < 0))
    if timing.id is not None:
        keep = keep & pl.col(_ID).is_not_null()
    table = (
        frame.with_columns(segments)
        .filter(keep)
        .group_by([*timing.segments, days.alias("days"), event.alias("converted")])
        .agg(pl.len().cast(pl.Int64).alias("contacts"), as_of.first().alias("as_of"))
        .sort([*timing.segments, "days", "converted"])
        .collect()
    )
    used = timing.as_of or (table["as_of"].max() if table.height else None)
    return table.drop("as_of").with_columns(pl.col("days").cast(pl.Int64)), used


def time_to_convert_tables(
    contacts: reading.Table, definition: Definition, orders: reading.Table | None = None
) -> tuple[pl.DataFrame, date]:
    """``time_to_convert`` on loaded files, naming them in messages (like ``count_tables``)."""
    _check_unambiguous(contacts, definition, orders)
    try:
        return time_to_convert(
            contacts.frame,
            definition,
            orders.frame if orders is not None and definition.orders else None,
            source=contacts.name,
            orders_source=orders.name if orders is not None else "the orders table",
        )
    except pl.exceptions.PolarsError as error:
        raise _read_error(error, contacts, orders) from None
