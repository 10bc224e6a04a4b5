"""Counting a lifecycle funnel per segment: one narwhals query on any source, collected once.

``count_funnel`` takes a contacts table and a ``Funnel`` and returns, per segment and stage,
how many contacts reached the stage, the base and the reached of each step (windows and
maturity applied) and of the cumulative rate from stage 1, with the contacts left out.

Definitions (the README's "Funnel" section says the same):

- A contact has *reached* stage k when it has a date for stage k **or any later stage** (a
  skipped stage counts as passed; ``skipped`` counts contacts that reached k without a date for
  k), or when its stage value is k or later in the order. It reached stage k on the earliest
  date of stage k or later. Dates after the as-of date have not happened yet.
- Contacts that reached no stage are left out and reported (``no_stage``). With an id, an id's
  rows are one contact: its segments come from its earliest row (as for rates: earliest stage
  date, ties to the first values) and each stage's date is the earliest over its rows; rows
  without an id are left out and reported.
- A step window of N days for the step into stage k: a contact that reached stage k−1 after
  as-of − N has not had the full window; it is left out of that step's base and counted as
  ``immature``, never as lost. Among the rest, the step's reached are those that reached stage
  k within N days of stage k−1. The cumulative rate to stage k takes the contacts that reached
  stage 1 by as-of − (sum of the windows up to k) and counts those that passed every step
  within its window. Without windows, step base = reached k−1 and cumulative base = reached 1.

The steps are written once in narwhals (as ``conversion.counting.engine``), so they run on
polars, DuckDB, PostgreSQL and Spark alike; only the per-segment summary comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import narwhals as nw
import polars as pl

from conversion import sources
from conversion.counting import engine
from conversion.counting.checks import check_columns
from conversion.counting.engine import MISSING, ROWS, SEGMENT_CONFLICT, ones
from conversion.counting.stages import Funnel, stage_values_outside
from conversion.definition import Definition
from conversion.errors import InputError, n, verb
from conversion.reading.values import date_expr, detect_date_format, present_expr, text
from conversion.sources import rows as row_reading
from conversion.sources.base import CONTACT_DATE, ID, KEY, ORDER_DATE, Check

if TYPE_CHECKING:
    from conversion.sources import Source

STAGE = "__cbs_stage_"  # the date (or, for a stage column, the 1-based index) of each stage
STAGE_INDEX = "__cbs_stage_index"
STAGE_VALUE = "__cbs_stage_value"
REACHED = "__cbs_reached_"  # the date a contact reached stage k: earliest date of k or later
TALLY = "__cbs_funnel_"
_BAD = "__cbs_bad_stage_"
_ORDERED = "__cbs_funnel_ordered"
COUNT_COLUMNS = (
    "reached",
    "skipped",
    "step_base",
    "step_reached",
    "immature",
    "cumulative_base",
    "cumulative_reached",
)


@dataclass(frozen=True)
class FunnelCounts:
    """A funnel counted: the per-segment, per-stage counts and what was left out.

    ``table`` has the segment columns, ``stage``, ``stage_index`` and ``COUNT_COLUMNS`` (the
    step columns are null for stage 1); ``left_out`` has per segment the contacts with no
    stage. ``days`` (dated stages only) holds, per segment and step, the days from stage k−1
    to stage k (or to as-of, censored) for Kaplan–Meier.
    """

    table: pl.DataFrame
    left_out: pl.DataFrame
    funnel: Funnel
    rows: int
    contacts: int
    no_stage: int
    missing_id: int
    segment_conflicts: int
    as_of: date | None
    warnings: tuple[str, ...]
    days: pl.DataFrame | None = None


def count_funnel(
    contacts: object, funnel: Funnel, orders: object | None = None, *, days: bool = True
) -> FunnelCounts:
    """Count a funnel per segment.

    Parameters
    ----------
    contacts
        The contacts table: a loaded file, a polars frame, or a table on a database.
    funnel
        What to count; see ``Funnel``.
    orders
        The orders or won-deals table when ``funnel.orders`` makes it the last stage.
    days
        Also gather the days between stages (dated stages only; on any engine).

    Returns
    -------
    FunnelCounts

    Raises
    ------
    InputError
        For unknown columns, unreadable dates, stage values outside the order, no segments.

    Examples
    --------
    >>> lf = pl.LazyFrame({"src": ["Ads", "Ads", "Web"], "stage": ["lead", "customer", "mql"]})
    >>> f = Funnel(segments=("src",), stage_column="stage", stage_order=("lead", "mql", "customer"))
    >>> count_funnel(lf, f).table.filter(pl.col("src") == "Ads").select("stage", "reached").rows()
    [('lead', 2), ('mql', 1), ('customer', 1)]
    """
    source = sources.of(contacts)
    if not funnel.segments:
        raise InputError("Choose at least one segment column to break the funnel down by.")
    check_columns(source.columns, funnel.columns(), source.name)
    source.claim(funnel.columns())
    orders_source = _orders_source(funnel, orders)
    with source.reading(orders_source):
        stage_rows = _stage_rows(source, funnel)
        if orders_source is not None:
            stage_rows = _with_orders_stage(stage_rows, orders_source, funnel)
        if not funnel.dated:
            _check_stage_values(source, funnel, stage_rows)
        totals = source.fetch(_totals(stage_rows, funnel)).row(0, named=True)
        as_of = funnel.as_of or _as_date(totals.get("as_of"))
        contacts_frame = _per_contact(stage_rows, funnel, as_of)
        summary = source.fetch(_summarise(contacts_frame, funnel, as_of))
        gaps = None
        if days and funnel.dated and as_of is not None:
            gaps = source.fetch(_days_between(contacts_frame, funnel, as_of))
    return _finish(summary, funnel, totals, as_of, gaps)


def stage_column_values(contacts: object, column: str, *, limit: int = 50) -> pl.DataFrame:
    """The values of a would-be stage column (trimmed, empty ones left out) and their rows.

    One row per value compared as the funnel compares them (trimmed, case-insensitive; the most
    frequent spelling is shown), most rows first, at most ``limit + 1`` rows (more than
    ``limit`` means it is no stage column). Columns ``value`` and ``rows``.

    Examples
    --------
    >>> lf = pl.LazyFrame({"stage": ["lead", "lead ", " Lead", "customer", None, ""]})
    >>> stage_column_values(lf, "stage").rows()
    [('lead', 3), ('customer', 1)]
    """
    source = sources.of(contacts)
    check_columns(source.columns, [column], source.name)
    source.claim([column])
    native = source.polars() if source.supports.rows else source.frame  # type: ignore[attr-defined]
    value = text(column)
    frame = (
        nw.from_native(native)
        .select(value.alias("value"), value.str.to_lowercase().alias("key"))
        .filter(~nw.col("value").is_null())
        .group_by("key", "value")
        .agg(nw.len().alias("rows"))
    )
    with source.reading():
        found = source.fetch(frame)
    spelled = found.sort(["rows", "value"], descending=[True, False])
    return (
        spelled.group_by("key", maintain_order=True)
        .agg(pl.col("value").first(), pl.col("rows").sum().cast(pl.Int64))
        .sort(["rows", "value"], descending=[True, False])
        .head(limit + 1)
        .select("value", "rows")
    )


def _orders_source(funnel: Funnel, orders: object | None) -> Source | None:
    """The orders table as a source, checked, when it is the funnel's last stage."""
    if funnel.orders is None:
        return None
    if orders is None:
        raise InputError("An orders key was given but no orders table; add the orders file.")
    source = sources.of(orders, "the orders table")
    join = funnel.orders
    wanted = [join.right_key, *([join.orders_date] if join.orders_date else [])]
    check_columns(source.columns, wanted, source.name)
    source.claim(wanted)
    return source


def _with_orders_stage(stage_rows: nw.LazyFrame, orders: Source, funnel: Funnel) -> nw.LazyFrame:
    """The last stage from the orders table: its first order's date, or the last stage index.

    Orders are matched to contact rows by key (text, trimmed); unreadable order dates stop the
    count with the orders table's own message.
    """
    assert funnel.orders is not None
    d = Definition(orders=funnel.orders, date_format=funnel.date_format)
    read = orders.order_rows(d)
    if read.checks:
        bad = orders.fetch(
            read.frame.select(*(ones(nw.col(c.name)).sum().alias(c.name) for c in read.checks))
        )
        for check in read.checks:
            if bad[check.name].item():
                raise InputError(orders.explain(check, d))
    keyed = read.frame.filter(~nw.col(KEY).is_null())
    last = len(funnel.stage_names)
    if funnel.dated:
        first = keyed.group_by(KEY).agg(nw.col(ORDER_DATE).min().alias(f"{STAGE}{last}"))
        if funnel.as_of is not None:
            on_time = nw.col(f"{STAGE}{last}") <= nw.lit(funnel.as_of, dtype=nw.Date)
            first = first.with_columns(
                nw.when(on_time).then(nw.col(f"{STAGE}{last}")).alias(f"{STAGE}{last}")
            )
        return stage_rows.join(first, on=KEY, how="left").drop(KEY)
    present = keyed.select(KEY).unique().with_columns(nw.lit(last).alias(_ORDERED))
    joined = stage_rows.join(present, on=KEY, how="left")
    index = (
        nw.when(~nw.col(_ORDERED).is_null()).then(nw.col(_ORDERED)).otherwise(nw.col(STAGE_INDEX))
    )
    return joined.with_columns(index.cast(nw.Int64).alias(STAGE_INDEX)).drop(KEY, _ORDERED)


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    return value.date() if hasattr(value, "date") and callable(value.date) else value  # type: ignore[return-value]


def _stage_rows(source: Source, funnel: Funnel) -> nw.LazyFrame:
    """One row per input row: segments and id as text, each stage's date or the stage index."""
    frame, checks = _typed_frame(source, funnel)
    schema = frame.collect_schema()
    columns = [text(c).alias(c) for c in funnel.segments]
    if funnel.id:
        columns.append(text(funnel.id).alias(ID))
    if funnel.orders is not None:
        columns.append(text(funnel.orders.key).alias(KEY))
    if funnel.dated:
        columns += [
            row_reading.day(c, schema, source.name).alias(f"{STAGE}{k}")
            for k, c in enumerate(funnel.stages, start=1)
        ]
    else:
        assert funnel.stage_column is not None
        value = text(funnel.stage_column).str.to_lowercase()
        index = nw.lit(None, dtype=nw.Int64)
        for key, k in funnel.stage_index().items():
            index = nw.when(value == key).then(nw.lit(k)).otherwise(index)
        columns += [
            index.cast(nw.Int64).alias(STAGE_INDEX),
            text(funnel.stage_column).alias(STAGE_VALUE),
        ]
    out = frame.select(*columns, *(nw.col(c.name) for c in checks))
    if source.supports.rows:
        # A file is parsed once: the totals, the summary and the days run on these few
        # columns in memory.
        out = nw.from_native(nw.to_native(out).collect().lazy())
    _raise_on_unreadable(source, out, checks)
    if checks:
        out = out.drop(*(c.name for c in checks))
    if funnel.as_of is not None and funnel.dated:
        limit = nw.lit(funnel.as_of, dtype=nw.Date)
        out = out.with_columns(
            nw.when(nw.col(f"{STAGE}{k}") <= limit).then(nw.col(f"{STAGE}{k}")).alias(f"{STAGE}{k}")
            for k in range(1, len(funnel.stages) + 1)
        )
    return out


def _typed_frame(source: Source, funnel: Funnel) -> tuple[nw.LazyFrame, list[Check]]:
    """The source's columns with a file's text stage dates read into days, and their checks.

    Each check column is True where a non-empty value could not be read as a date.
    """
    if not source.supports.rows:
        return nw.from_native(source.frame), []  # type: ignore[attr-defined]  # typed already
    native = source.polars()
    if not funnel.dated:
        return nw.from_native(native), []
    schema = native.collect_schema()
    typed, checks = [], []
    for column in funnel.stages:
        if schema[column].is_temporal():
            continue
        fmt = detect_date_format(
            native, column, explicit=funnel.date_format, source=source.name
        ).general()
        typed.append(date_expr(column, fmt).alias(row_reading.DAY + column))
        checks.append(Check(_BAD + column, column, "date", fmt))
    unreadable = [
        (present_expr(c.column) & pl.col(row_reading.DAY + c.column).is_null()).alias(c.name)
        for c in checks
    ]
    return nw.from_native(native.with_columns(typed).with_columns(unreadable)), checks


def _raise_on_unreadable(source: Source, rows: nw.LazyFrame, checks: list[Check]) -> None:
    """Stop at the first stage-date column with a value that is not a date, naming the values."""
    if not checks:
        return
    bad = source.fetch(rows.select(ones(nw.col(c.name)).sum().alias(c.name) for c in checks))
    for check in checks:
        if bad[check.name].item():
            raise InputError(source.explain(check, Definition()))


def _check_stage_values(source: Source, funnel: Funnel, stage_rows: nw.LazyFrame) -> None:
    """Values of the stage column outside the order (and not mapped) are an error listing them."""
    outside = stage_rows.filter(~nw.col(STAGE_VALUE).is_null() & nw.col(STAGE_INDEX).is_null())
    found = source.fetch(
        outside.group_by(STAGE_VALUE)
        .agg(nw.len().alias("rows"))
        .sort("rows", descending=True)
        .head(11)
    )
    if found.height == 0:
        return
    values = stage_values_outside(found[STAGE_VALUE].to_list(), funnel)
    listed = ", ".join(
        f"'{v}' ({n(int(r), 'row')})"
        for v, r in found.head(10).select(STAGE_VALUE, "rows").iter_rows()
    )
    more = " and more" if found.height > 10 else ""
    example = values[0] if values else found[STAGE_VALUE][0]
    raise InputError(
        f"Column '{funnel.stage_column}' in {source.name} has values outside the stage order "
        f"{', '.join(funnel.stage_order)}: {listed}{more}. Add them to the order "
        f"(--stage-order), or map each to a stage (--stage-map '{example}=STAGE') or to "
        f"nothing to leave those contacts out (--stage-map '{example}=')."
    )


def _totals(stage_rows: nw.LazyFrame, funnel: Funnel) -> nw.LazyFrame:
    """Rows, rows without an id, and the latest stage date (the default as-of)."""
    tallies = [nw.len().alias("rows")]
    if funnel.id:
        tallies.append(ones(nw.col(ID).is_null()).sum().alias("missing_id"))
    if funnel.dated:
        dates = [nw.col(f"{STAGE}{k}") for k in range(1, len(funnel.stage_names) + 1)]
        if funnel.id:
            dates = [nw.when(~nw.col(ID).is_null()).then(d) for d in dates]
        tallies.append(nw.max_horizontal(*(d.max() for d in dates)).alias("as_of"))
    return stage_rows.select(*tallies)


def _per_contact(stage_rows: nw.LazyFrame, funnel: Funnel, as_of: date | None) -> nw.LazyFrame:
    """One row per contact with the date it reached each stage (or its highest stage index)."""
    stages = range(1, len(funnel.stage_names) + 1)
    if funnel.dated:
        earliest = _earliest([f"{STAGE}{k}" for k in stages])
        stage_rows = stage_rows.with_columns(earliest.alias(CONTACT_DATE))
    d = Definition(
        segments=funnel.segments,
        id=funnel.id,
        contact_date="stage dates" if funnel.dated else None,
    )
    if funnel.id is None:
        merged = engine.per_contact(stage_rows, d)
    else:
        stage_rows = stage_rows.filter(~nw.col(ID).is_null())
        kept = engine.per_contact(stage_rows.drop(STAGE_VALUE, strict=False), d)
        if funnel.dated:
            reached = [nw.col(f"{STAGE}{k}").min().alias(f"{STAGE}{k}") for k in stages]
        else:
            reached = [nw.col(STAGE_INDEX).max().alias(STAGE_INDEX)]
        merged = kept.join(stage_rows.group_by(ID).agg(*reached), on=ID, how="left")
    if funnel.dated:
        # Stage k was reached on the earliest date of stage k or any later stage.
        merged = merged.with_columns(
            _earliest([f"{STAGE}{j}" for j in stages if j >= k]).alias(f"{REACHED}{k}")
            for k in stages
        )
    return merged


def _earliest(columns: list[str]) -> nw.Expr:
    """The earliest of some date columns, nulls skipped (Spark's least wants two or more)."""
    if len(columns) == 1:
        return nw.col(columns[0])
    return nw.min_horizontal(*(nw.col(c) for c in columns))


def _reached(funnel: Funnel, k: int) -> nw.Expr:
    if funnel.dated:
        return ~nw.col(f"{REACHED}{k}").is_null()
    return nw.col(STAGE_INDEX).fill_null(0) >= k


def _in_window(funnel: Funnel, k: int) -> nw.Expr:
    """Stage k reached within the step's window after stage k−1 (true without a window)."""
    window = funnel.window(k)
    if window is None:
        return nw.lit(True)
    previous = nw.col(f"{REACHED}{k - 1}").dt.offset_by(f"{window}d")
    return nw.col(f"{REACHED}{k}") <= previous


def _mature(funnel: Funnel, k: int, days: int | None, as_of: date | None) -> nw.Expr:
    """Stage k reached early enough to have had ``days`` days before the as-of date."""
    if days is None or as_of is None:
        return nw.lit(True)
    return nw.col(f"{REACHED}{k}") <= nw.lit(as_of - timedelta(days=days), dtype=nw.Date)


def _summarise(frame: nw.LazyFrame, funnel: Funnel, as_of: date | None) -> nw.LazyFrame:
    """The one aggregation: per segment combination, every stage's and step's tallies."""
    count = len(funnel.stage_names)
    tallies = [
        ones(_reached(funnel, 1)).sum().alias(TALLY + "contacts"),
        ones(~_reached(funnel, 1)).sum().alias(TALLY + "no_stage"),
        nw.col(ROWS).sum().alias(TALLY + "rows"),
        ones(nw.col(SEGMENT_CONFLICT)).sum().alias(TALLY + "conflicts"),
    ]
    passed = _reached(funnel, 1)
    total_window = 0
    for k in range(1, count + 1):
        reached = _reached(funnel, k)
        tallies.append(ones(reached).sum().alias(f"{TALLY}reached_{k}"))
        skipped = reached & (nw.col(f"{STAGE}{k}").is_null() if funnel.dated else nw.lit(False))
        tallies.append(ones(skipped).sum().alias(f"{TALLY}skipped_{k}"))
        if k == 1:
            continue
        previous, window = _reached(funnel, k - 1), funnel.window(k)
        mature = _mature(funnel, k - 1, window, as_of)
        within = reached & _in_window(funnel, k)
        total_window += window or 0
        passed = passed & within
        cumulative_base = _reached(funnel, 1) & _mature(
            funnel, 1, total_window if funnel.step_windows else None, as_of
        )
        tallies += [
            ones(previous & mature).sum().alias(f"{TALLY}step_base_{k}"),
            ones(previous & mature & within).sum().alias(f"{TALLY}step_reached_{k}"),
            ones(previous & ~mature).sum().alias(f"{TALLY}immature_{k}"),
            ones(cumulative_base).sum().alias(f"{TALLY}cumulative_base_{k}"),
            ones(cumulative_base & passed).sum().alias(f"{TALLY}cumulative_reached_{k}"),
        ]
    segments = [nw.col(c).fill_null(MISSING).alias(c) for c in funnel.segments]
    return frame.with_columns(*segments).group_by(*funnel.segments).agg(*tallies)


def _days_between(frame: nw.LazyFrame, funnel: Funnel, as_of: date) -> nw.LazyFrame:
    """Per segment and step: days from stage k−1 to k (event) or to as-of (censored), counted."""
    limit = nw.lit(as_of.toordinal() - _EPOCH, dtype=nw.Int64)
    parts = []
    for k in range(2, len(funnel.stage_names) + 1):
        start, end = nw.col(f"{REACHED}{k - 1}"), nw.col(f"{REACHED}{k}")
        event = ~end.is_null()
        elapsed = day_number(end) - day_number(start)
        days = nw.when(event).then(elapsed).otherwise(limit - day_number(start))
        parts.append(
            frame.filter(~start.is_null())
            .with_columns(*(nw.col(c).fill_null(MISSING).alias(c) for c in funnel.segments))
            .group_by(*funnel.segments, days.cast(nw.Int64).alias("days"), event.alias("converted"))
            .agg(nw.len().alias("contacts"))
            .with_columns(nw.lit(k).alias("stage_index"))
        )
    return nw.concat(parts, how="vertical")


_EPOCH = date(1970, 1, 1).toordinal()


def day_number(day: nw.Expr) -> nw.Expr:
    """Days since 1970-01-01 from a date's year, month and day, in whole-number arithmetic only.

    Date differences are not written alike on every engine (DuckDB has no duration in days
    that narwhals reads), so the day number is computed from the calendar (H. Hinnant's
    days-from-civil: years counted from March, so the leap day ends a year).

    Examples
    --------
    >>> frame = nw.from_native(pl.DataFrame({"d": [date(1970, 1, 1), date(2024, 3, 1)]}))
    >>> frame.select(day_number(nw.col("d")).alias("n"))["n"].to_list()
    [0, 19783]
    """
    month = day.dt.month().cast(nw.Int64)
    march = nw.when(month > 2).then(month - 3).otherwise(month + 9)  # March = 0 ... February = 11
    year = day.dt.year().cast(nw.Int64) - nw.when(month > 2).then(0).otherwise(1)
    era = year // 400
    of_era = year - era * 400
    of_year = (153 * march + 2) // 5 + day.dt.day().cast(nw.Int64) - 1
    of_era_days = of_era * 365 + of_era // 4 - of_era // 100 + of_year
    return (era * 146_097 + of_era_days - 719_468).cast(nw.Int64)


def _finish(
    summary: pl.DataFrame,
    funnel: Funnel,
    totals: dict[str, object],
    as_of: date | None,
    gaps: pl.DataFrame | None,
) -> FunnelCounts:
    """The summary as a long table (one row per segment and stage) with its notes."""
    segments = list(funnel.segments)
    summary = summary.with_columns(
        pl.col(c).cast(pl.Int64) for c in summary.columns if c.startswith(TALLY)
    ).sort(segments)
    counted = summary.filter(pl.col(TALLY + "contacts") > 0)
    parts = []
    for k, stage in enumerate(funnel.stage_names, start=1):
        values = {
            name: pl.col(f"{TALLY}{name}_{k}") if k > 1 or name in ("reached", "skipped") else None
            for name in COUNT_COLUMNS
        }
        parts.append(
            counted.select(
                *segments,
                pl.lit(stage).alias("stage"),
                pl.lit(k, dtype=pl.Int64).alias("stage_index"),
                *(
                    (expr if expr is not None else pl.lit(None, dtype=pl.Int64)).alias(name)
                    for name, expr in values.items()
                ),
            )
        )
    table = pl.concat(parts).sort([*segments, "stage_index"])
    left_out = summary.select(*segments, pl.col(TALLY + "no_stage").alias("no_stage")).filter(
        pl.col("no_stage") > 0
    )
    total = int(summary[TALLY + "contacts"].sum()) if summary.height else 0
    no_stage = int(summary[TALLY + "no_stage"].sum()) if summary.height else 0
    conflicts = int(summary[TALLY + "conflicts"].sum()) if summary.height else 0
    missing_id = int(totals.get("missing_id") or 0)  # type: ignore[call-overload]
    if gaps is not None:
        gaps = gaps.with_columns(pl.col("days").cast(pl.Int64), pl.col("contacts").cast(pl.Int64))
    counts = FunnelCounts(
        table=table,
        left_out=left_out,
        funnel=funnel,
        rows=int(totals["rows"]),  # type: ignore[call-overload]
        contacts=total,
        no_stage=no_stage,
        missing_id=missing_id,
        segment_conflicts=conflicts,
        as_of=as_of,
        warnings=(),
        days=gaps,
    )
    return FunnelCounts(**{**counts.__dict__, "warnings": tuple(_warnings(counts))})


def _warnings(counts: FunnelCounts) -> list[str]:
    """What the analyst should know about how the contacts were counted."""
    funnel, notes = counts.funnel, []
    if counts.contacts == 0:
        raise InputError(
            "No contact has reached any stage: every stage column is empty"
            f"{' up to the as-of date' if funnel.as_of else ''}. Check the stage columns."
        )
    if counts.no_stage:
        notes.append(
            f"{n(counts.no_stage, 'contact')} with no stage at all "
            f"{verb(counts.no_stage, 'was', 'were')} left out of the funnel."
        )
    if counts.missing_id:
        notes.append(
            f"{n(counts.missing_id, 'row')} without an id in '{funnel.id}' "
            f"{verb(counts.missing_id, 'was', 'were')} left out."
        )
    if counts.segment_conflicts:
        notes.append(
            f"{n(counts.segment_conflicts, 'contact')} had rows with different segment values; "
            "each was counted in the segment of its earliest row."
        )
    totals = counts.table.group_by("stage_index", maintain_order=True).agg(
        pl.col("stage").first(), pl.col("skipped").sum(), pl.col("immature").sum()
    )
    for stage, skipped in totals.select("stage", "skipped").iter_rows():
        if skipped:
            notes.append(
                f"{n(skipped, 'contact')} reached a later stage without a date for "
                f"'{stage}' (counted as having passed it)."
            )
    immature = int(totals["immature"].sum() or 0)
    if immature and counts.as_of is not None:
        notes.append(
            f"{n(immature, 'contact')} had not had a step's full window by "
            f"{counts.as_of.isoformat()}: left out of that step (immature), not counted as lost."
        )
    return notes
