"""The Trends page's tabs as a cell kind: rate by cohort, stability, why it moved, time to convert.

The ``tab`` option says which; each counts as its tab does (``counting.cohorts``, or
``counting.time_to_convert`` for time to convert, whose table is already a count of contacts per
day) and shows the tab's chart, table and sentences. "Why did it move?" compares the cohorts in
its ``before`` and ``after`` options, or, when they are not set, the two latest mature cohorts —
which is what a monthly review run on next month's export wants.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from conversion import counting
from conversion.analysis import insights, stats, survival
from conversion.errors import InputError
from conversion.notebook import figures
from conversion.notebook.kinds import Chart, Counted, Data, Figures, Shown
from conversion.presentation import charts, formats, report

if TYPE_CHECKING:
    from conversion.definition import Definition
    from conversion.notebook.document import Cell

PERIODS = ("month", "week", "quarter")
TABS = ("rate", "stable", "moved", "time")


def _segment(d: Definition) -> str | None:
    return next((s for s in d.segments if s != d.contact_date), None)


def count_trend(data: Data, cell: Cell) -> Counted:
    """Contacts and customers per cohort (per segment when the cell has one), or, for time to
    convert, contacts per day from contact to conversion or censoring."""
    d = cell.view_definition
    if d.pre_aggregated or not d.contact_date:
        raise InputError(f"The cell {cell.title!r} needs a contact-date column for its cohorts.")
    if cell.option("tab") == "time":
        lags, as_of = counting.time_to_convert(data.source, d, data.orders_source)
        return Counted({"lags": lags}, (), as_of)
    if cell.option("tab") == "moved" and _segment(d) is None:
        raise InputError(f"The cell {cell.title!r} needs a segment column to split the change.")
    table, counts = counting.cohorts(
        data.source, d, data.orders_source, period=cell.option("period", "month")
    )
    return Counted({"cohorts": table}, counts.warnings, counts.quality.as_of)


def show_trend(cell: Cell, counted: Counted) -> Shown:
    """The tab the cell was pinned from, shown from its counts."""
    d = cell.view_definition
    tab = cell.option("tab", "rate")
    if tab == "time":
        return _show_time(d, counted.tables["lags"])
    period = cell.option("period", "month")
    table = counted.tables["cohorts"]
    by_cohort = table.group_by("cohort").agg(pl.col("contacts", "customers").sum()).sort("cohort")
    labelled = report.cohort_labelled(by_cohort, period)
    cohort_figures = figures.of_described(stats.describe(labelled, d.bands), ("cohort",), d)
    if tab == "stable":
        return _show_stability(table, period, cohort_figures)
    if tab == "moved":
        return _show_moved(cell, table, period, cohort_figures)
    segment = _segment(d)
    rates = report.cohort_rates(table)
    shown_table = report.cohort_labelled(rates, period).select(
        "cohort", *([segment] if segment else []), "contacts", "customers", "immature", "mature",
        (pl.col("rate") * 100).alias("Rate %"),
    )  # fmt: skip
    chart = charts.trend_chart(rates, d.bands, segment=segment, period=period)  # type: ignore[arg-type]
    return Shown(
        figures=cohort_figures,
        charts=(Chart("Rate by cohort", chart, report.trend_summary(rates, period, segment)),),
        tables=(("Cohorts", shown_table),),
    )


def _show_stability(table: pl.DataFrame, period: str, cohort_figures: Figures) -> Shown:
    overall = table.group_by("cohort").agg(
        pl.col("contacts", "customers", "immature").sum(), pl.col("mature").all()
    )
    points = insights.p_chart(overall.sort("cohort"))
    outside = insights.outside_cohorts(points)
    chi = insights.cohort_chi_square(overall)
    lines = [
        "Outside the 3-sigma limits: " + ", ".join(formats.cohort(c, period) for c in outside)
        if outside
        else "Every mature cohort lies within its 3-sigma limits: no unusual cohort."
    ]
    if chi is not None:
        lines.append(
            f"Chi-square test across mature cohorts: χ² = {chi.statistic:.2f}, df = {chi.df}, "
            f"p = {chi.p_value:.3g}."
        )
    summary = (
        f"Control chart (p-chart) of the rate per {period} cohort against the pooled rate: "
        f"{len(outside)} of {points.height} cohorts outside the 3-sigma limits."
    )
    chart = charts.control_chart(points, period=period)  # type: ignore[arg-type]
    return Shown(figures=cohort_figures, charts=(Chart("Stable or not?", chart, summary),),
                 lines=tuple(lines))  # fmt: skip


def _cohort(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"The {what} cohort must be a date (YYYY-MM-DD); got {text!r}.") from None


def _show_moved(cell: Cell, table: pl.DataFrame, period: str, cohort_figures: Figures) -> Shown:
    """Mix and rate effects between two cohorts (the two latest mature ones by default)."""
    segment = _segment(cell.view_definition)
    assert segment is not None
    mature = insights.cohort_dates(insights.mature_cohorts(table))
    before = _cohort(cell.option("before"), "'from'")
    after = _cohort(cell.option("after"), "'to'")
    if before is None or after is None:
        if len(mature) < 2:
            raise InputError("At least two mature cohorts are needed to compare.")
        before, after = mature[-2], mature[-1]
    parts = insights.mix_between_cohorts(table, segment, before, after)
    total = insights.mix_total(parts)
    first, last = formats.cohort(before, period), formats.cohort(after, period)
    summary = (
        f"Waterfall from {first} to {last}: the overall rate moved "
        f"{total['total_effect'] * 100:+.1f} points, each {segment} value's mix and rate effect "
        "a step."
    )
    shown = parts.select(
        "segment", "contacts_before", "contacts_after",
        (pl.col("rate_before") * 100).alias("Rate before %"),
        (pl.col("rate_after") * 100).alias("Rate after %"),
        (pl.col("mix_effect") * 100).alias("Mix effect (pp)"),
        (pl.col("rate_effect") * 100).alias("Rate effect (pp)"), "thin",
    )  # fmt: skip
    lines = (
        f"From {first} to {last} the overall rate moved {total['total_effect'] * 100:+.1f} points: "
        f"mix effects {total['mix_effect'] * 100:+.2f}, rate effects "
        f"{total['rate_effect'] * 100:+.2f} (midpoint shift-share; they add up exactly).",
    )
    return Shown(
        figures=cohort_figures,
        charts=(Chart("Why did it move?", charts.waterfall_chart(parts), summary),),
        tables=(("Mix and rate effects", shown),),
        lines=lines,
    )


def _show_time(d: Definition, lags: pl.DataFrame) -> Shown:
    """Kaplan–Meier curves of days to convert, and the median days and the chance within N days."""
    segment = _segment(d)
    km = survival.kaplan_meier(lags, [segment] if segment else [])
    table = survival.time_table(km, segment)
    percents = {
        survival.within_column(days): f"Within {days} days %"
        for days in survival.WITHIN_DAYS
        if survival.within_column(days) in table.columns
    }
    table = table.with_columns(pl.col(c) * 100 for c in percents).rename(
        percents | {"median_days_converters": "Median days (converters)", "thin": "Few converters"}
    )
    contacts = int(lags["contacts"].sum())
    customers = int(lags.filter(pl.col("converted"))["contacts"].sum())
    summary = (
        "Share of contacts converted by days since contact (Kaplan–Meier, contacts not yet "
        "converted counted until the as-of date)" + (f", one curve per {segment}." if segment
                                                     else ".")
    )  # fmt: skip
    return Shown(
        figures=Figures(
            contacts=contacts,
            customers=customers,
            rate=customers / contacts if contacts else None,
            limits=(d.bands.moderate, d.bands.strong),
        ),
        charts=(
            Chart("Time to convert", charts.time_to_convert_chart(km, segment=segment), summary),
        ),
        tables=(("Days to convert", table),),
        lines=(f"{survival.METHOD}.",),
    )
