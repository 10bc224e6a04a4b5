"""The Trends page's "What changed" tab as a cell kind: each segment in two periods, and the change.

The cell stores the comparison with its definition: the ``period`` size and the two periods in
the command line's words (``current`` and ``previous``: one period such as ``2025-06``, a run
``2025-04..2025-06``, or a range of days ``2025-06-03..2025-06-20``); with neither, the latest
mature period against the one before, which is what a monthly review run on next month's export
wants. It counts as ``conversion change`` does (``counting.cohorts`` and ``periods.pick_spans``,
or ``ranges.counts_between`` for days), so a period that is not in the data or not mature yet
is refused with the command's message and the cell is reported as not computed.

Its counts are the per-segment contacts and customers of the two periods (top K already folded
over both, as ``analysis.change.keep_top`` does) and the two periods' first and last starts:
nothing else travels in a snapshot link. It shows the tab's chart and table
(``charts.change_chart``, ``change_report.export_change``). Its figures, for notes: ``{rate}``
and ``{contacts}`` are the current period's, ``{best}`` / ``{worst}`` the segment whose rate rose
/ fell most in points (none when no segment rose / fell).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from conversion import counting
from conversion.analysis import change
from conversion.counting import ranges
from conversion.counting.periods import pick_spans
from conversion.errors import InputError
from conversion.notebook.kinds import (
    CellKind,
    Chart,
    Choice,
    Counted,
    Data,
    Figures,
    Shown,
    Text,
    register,
)
from conversion.presentation import change_report, charts, formats, report

if TYPE_CHECKING:
    from collections.abc import Sequence

    from conversion.counting.periods import Span
    from conversion.definition import DateBucket, Definition
    from conversion.notebook.document import Cell

PERIODS = ("month", "week", "quarter", "year")
SIDES = ("previous", "current")
NOTE = (
    "Mature contacts only. p adjusted (Benjamini–Hochberg) across segments; contribution: the "
    "segment's mix and rate effect on the overall change (they add up to it)."
)


def segments_of(d: Definition) -> list[str]:
    """The segment columns compared (the contact date, which cuts the periods, left out)."""
    return [s for s in d.segments if s != d.contact_date]


def is_days(cell: Cell) -> bool:
    """Whether the cell compares two ranges of days rather than periods."""
    period = cell.option("period", "month")
    return any(ranges.is_day_range(cell.option(side), period) for side in SIDES)


def count_change(data: Data, cell: Cell) -> Counted:
    """Each segment's mature contacts and customers in the two periods the cell names."""
    d = cell.view_definition
    if d.pre_aggregated or not d.contact_date:
        raise InputError(
            f"The cell {cell.title!r} compares periods of contact dates: it needs one row per "
            "contact and the contact-date column."
        )
    segments = segments_of(d)
    if not segments:
        raise InputError(f"The cell {cell.title!r} has no segment column to compare.")
    period: DateBucket = cell.option("period", "month")
    current, previous = cell.option("current"), cell.option("previous")
    if is_days(cell):
        days = ranges.pick_days(current, previous)
        dated = d.with_changes(
            segments=tuple(segments),
            top_k=None,
            date_buckets=tuple(b for b in d.date_buckets if b[0] != d.contact_date),
        )
        before, after = ranges.counts_between(data.source, dated, data.orders_source, *days)
        tables = (before.table, after.table)
        spans: tuple[Span, Span] = days
        warnings = tuple(dict.fromkeys(before.warnings + after.warnings))
        as_of = after.quality.as_of
    else:
        cohorts, counts = counting.cohorts(data.source, d, data.orders_source, period=period)
        spans = pick_spans(cohorts, period, current, previous, as_of=counts.quality.as_of)
        tables = (_within(cohorts, spans[0], segments), _within(cohorts, spans[1], segments))
        warnings, as_of = counts.warnings, counts.quality.as_of
    if d.top_k is not None:
        tables = change.keep_top(*tables, segments, d.top_k)
    kept = [_summed(t, segments) for t in tables]
    when = pl.DataFrame(
        {"side": list(SIDES), "first": [s[0] for s in spans], "last": [s[1] for s in spans]},
        schema={"side": pl.String, "first": pl.Date, "last": pl.Date},
    )
    return Counted({"previous": kept[0], "current": kept[1], "periods": when}, warnings, as_of)


def _within(cohorts: pl.DataFrame, span: Span, segments: Sequence[str]) -> pl.DataFrame:
    return cohorts.filter(pl.col("cohort").is_between(span[0], span[1])).select(
        *segments, "contacts", "customers"
    )


def _summed(table: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame:
    """One row per segment: contacts and customers summed (whole numbers)."""
    return (
        table.group_by(list(segments))
        .agg(pl.col("contacts", "customers").sum().cast(pl.Int64))
        .sort(list(segments), nulls_last=True)
    )


def changed(cell: Cell, counted: Counted) -> pl.DataFrame:
    """``analysis.change.period_change`` of the cell's counts (top K was folded when counted)."""
    tables = counted.tables
    segments = segments_of(cell.view_definition)
    return change.period_change(tables["previous"], tables["current"], segments)


def period_names(cell: Cell, counted: Counted) -> tuple[str, str]:
    """The two periods as people name them: ``May 2025``, ``Apr 2025–Jun 2025`` or dates."""
    kind = ranges.DAYS if is_days(cell) else cell.option("period", "month")
    rows = {row[0]: (row[1], row[2]) for row in counted.tables["periods"].iter_rows()}
    return change_report.span_label(rows["previous"], kind), change_report.span_label(
        rows["current"], kind
    )


def change_figures(table: pl.DataFrame, segments: Sequence[str], d: Definition) -> Figures:
    """The current period's rate and counts; the segments that rose and fell most, in points."""
    _, current = change.overall_change(table)
    label = report.label_column(segments)
    moved = report.with_labels(table, segments).filter(
        pl.col("change").is_not_null() & pl.col("change").is_not_nan()
    )
    rises = moved.filter(pl.col("change") > 0).sort(["change", label], descending=[True, False])
    falls = moved.filter(pl.col("change") < 0).sort(["change", label])
    best, worst = rises.head(1).to_dicts(), falls.head(1).to_dicts()
    return Figures(
        contacts=int(table["current_contacts"].sum()),
        customers=int(table["current_customers"].sum()),
        rate=current,
        best=str(best[0][label]) if best else None,
        best_change=best[0]["change"] if best else None,
        worst=str(worst[0][label]) if worst else None,
        worst_change=worst[0]["change"] if worst else None,
        limits=(d.bands.moderate, d.bands.strong),
    )


def show_change(cell: Cell, counted: Counted) -> Shown:
    """The tab's overall figures, chart of changes with intervals, and table."""
    d = cell.view_definition
    segments = segments_of(d)
    table = changed(cell, counted)
    before, after = period_names(cell, counted)
    previous_rate, current_rate = change.overall_change(table)
    label = report.label_column(segments)
    chart = charts.change_chart(report.with_labels(table, segments), label)
    summary = (
        f"Change in conversion rate per {label} from {before} to {after}, in points, with 95 % "
        "Newcombe intervals; the largest driver of the overall change first."
    )
    figures = change_figures(table, segments, d)
    cards = (
        (f"Overall rate, {before} → {after}", formats.percent(current_rate),
         f"{formats.points(current_rate - previous_rate)} from {formats.percent(previous_rate)}"),
        (f"Contacts, {after}", formats.count(figures.contacts),
         f"{formats.count(int(table['previous_contacts'].sum()))} in {before}"),
    )  # fmt: skip
    return Shown(
        figures=figures,
        cards=cards,
        charts=(Chart("What changed", chart, summary),),
        tables=(("What changed", change_report.export_change(table, segments, drivers=True)),),
        lines=(
            f"{before} → {after}: the overall rate went from {formats.percent(previous_rate)} to "
            f"{formats.percent(current_rate)} ({formats.points(current_rate - previous_rate)}).",
            NOTE,
        ),
        segments=tuple(segments),
    )


CHANGE = register(
    CellKind("change", "What changed", count=count_change, show=show_change,
             options={"period": Choice(PERIODS), "previous": Text(), "current": Text()})
)  # fmt: skip
