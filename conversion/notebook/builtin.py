"""The cell kinds the app's pages pin: Segments, Trends (rate and stability), Compare, ranking.

Each counts with the same engine calls as its page (``counting.count``, ``counting.cohorts``,
``explore.usable_tables``) and shows with the same statistics, charts and formatters, so a cell
reads exactly as the page it was pinned from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from conversion import counting
from conversion.analysis import explore, insights, stats
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
from conversion.presentation import charts, formats, report

if TYPE_CHECKING:
    from conversion.definition import Definition
    from conversion.notebook.document import Cell

SORTS = ("lower_bound", "rate", "contacts", "segment")
SHARES = ("customers", "contacts")
PERIODS = ("month", "week", "quarter")
TREND_TABS = ("rate", "stable")


def _definition(cell: Cell) -> Definition:
    if cell.definition is None:
        raise InputError(f"The cell {cell.title!r} has no definition to count.")
    return cell.definition


def figures_of(described: pl.DataFrame, segments: tuple[str, ...], d: Definition) -> Figures:
    """The overall figures and the best and worst segments, judged as the KPI cards judge them."""
    k = report.kpis(described, segments)
    return Figures(
        contacts=k.overall.contacts,
        customers=k.overall.customers,
        rate=k.overall.rate if k.overall.contacts else None,
        best=k.best.label if k.best else None,
        best_rate=k.best.rate if k.best else None,
        worst=k.worst.label if k.worst else None,
        worst_rate=k.worst.rate if k.worst else None,
        limits=(d.bands.moderate, d.bands.strong),
    )


# --- Segments -------------------------------------------------------------------------------


def count_segments(data: Data, cell: Cell) -> Counted:
    """Contacts and customers per segment, top K applied as the Segments page applies it."""
    d = _definition(cell)
    if not d.segments:
        raise InputError(f"The cell {cell.title!r} has no segment column to break down by.")
    counts = counting.count(data.source, d.with_changes(top_k=None), data.orders_source)
    table = counting.top_k(counts.table, d.segments, d.top_k) if d.top_k else counts.table
    return Counted({"counts": table}, counts.warnings, counts.quality.as_of)


def show_segments(cell: Cell, counted: Counted) -> Shown:
    """KPI figures, the bar and share charts, the results table, the chi-square line."""
    d = _definition(cell)
    segments = d.segments
    table = counted.tables["counts"]
    shown, cut_note = report.limit_segments(table, segments)
    described = stats.describe(shown, d.bands, sort=cell.option("sort", "lower_bound"))
    labelled = report.with_labels(described, segments)
    label = report.label_column(segments)
    overall = stats.overall(table)
    share = cell.option("share", "customers")
    bar = charts.bar_chart(labelled, label, d.bands, overall.rate)
    pie = charts.pie_chart(labelled, label, share, donut=cell.option("chart") != "pie")
    lines = [cut_note] if cut_note else []
    if overall.chi_square is not None:
        chi = overall.chi_square
        lines.append(
            f"Do the segments differ at all? Chi-square test of independence: χ² = "
            f"{chi.statistic:.2f}, df = {chi.df}, p = {chi.p_value:.3g}."
        )
    return Shown(
        figures=figures_of(described, segments, d),
        charts=(
            Chart("Rate by segment", bar,
                  report.rate_summary(labelled, label, overall.rate, d.bands)),
            Chart(f"Share of {share}", pie, report.share_summary(labelled, label, share)),
        ),
        lines=tuple(lines),
        described=described,
        segments=segments,
    )  # fmt: skip


# --- Compare --------------------------------------------------------------------------------


def show_compare(cell: Cell, counted: Counted) -> Shown:
    """Segment A against segment B: both rates, the difference, its interval and the verdict."""
    d = _definition(cell)
    table = counted.tables["counts"]
    a, b = cell.option("a"), cell.option("b")
    result = report.compare(table, d.segments, a or "", b or "")
    limits = (d.bands.moderate, d.bands.strong)
    rows = pl.DataFrame(
        [
            {"segment": c.label, "contacts": c.contacts, "customers": c.customers,
             "rate": c.rate, "ci_low": c.ci_low, "ci_high": c.ci_high}
            for c in (result.a, result.b)
        ]
    )  # fmt: skip
    lines = [
        f"Segment A, {result.a.label}: "
        f"{formats.rate(result.a.rate, result.a.customers, result.a.contacts)}.",
        f"Segment B, {result.b.label}: "
        f"{formats.rate(result.b.rate, result.b.customers, result.b.contacts)}.",
        f"Difference (A − B): {result.diff * 100:+.1f} pp, 95 % interval "
        f"{result.diff_low * 100:+.1f} to {result.diff_high * 100:+.1f} pp; adjusted p = "
        f"{result.p_adjusted:.3g}.",
        result.verdict,
    ]
    summary = (
        f"{result.a.label} converts at {formats.band_percent(result.a.rate, limits)} and "
        f"{result.b.label} at {formats.band_percent(result.b.rate, limits)}, with 95 % intervals."
    )
    described = stats.describe(table, d.bands)
    cards = (
        ("Segment A", formats.band_percent(result.a.rate, limits), result.a.label),
        ("Segment B", formats.band_percent(result.b.rate, limits), result.b.label),
        ("Difference (A − B)", f"{result.diff * 100:+.1f} pp",
         f"95 % interval {result.diff_low * 100:+.1f} to {result.diff_high * 100:+.1f} pp"),
    )  # fmt: skip
    return Shown(
        figures=figures_of(described, d.segments, d),
        cards=cards,
        charts=(Chart("A against B", charts.difference_chart(rows), summary),),
        lines=tuple(lines),
        segments=d.segments,
    )


# --- Trends ---------------------------------------------------------------------------------


def count_trend(data: Data, cell: Cell) -> Counted:
    """Contacts and customers per cohort of contact dates (per segment when the cell has one)."""
    d = _definition(cell)
    if d.pre_aggregated or not d.contact_date:
        raise InputError(f"The cell {cell.title!r} needs a contact-date column for its cohorts.")
    table, counts = counting.cohorts(
        data.source, d, data.orders_source, period=cell.option("period", "month")
    )
    return Counted({"cohorts": table}, counts.warnings, counts.quality.as_of)


def show_trend(cell: Cell, counted: Counted) -> Shown:
    """The rate per cohort (tab ``rate``) or the control chart of the cohorts (tab ``stable``)."""
    d = _definition(cell)
    period = cell.option("period", "month")
    table = counted.tables["cohorts"]
    segment = next((s for s in d.segments if s != d.contact_date), None)
    by_cohort = table.group_by("cohort").agg(pl.col("contacts", "customers").sum()).sort("cohort")
    labelled = report.cohort_labelled(by_cohort, period)
    figures = figures_of(stats.describe(labelled, d.bands), ("cohort",), d)
    if cell.option("tab") == "stable":
        return _show_stability(table, period, figures)
    rates = report.cohort_rates(table)
    shown_table = report.cohort_labelled(rates, period).select(
        "cohort", *([segment] if segment else []), "contacts", "customers", "immature", "mature",
        (pl.col("rate") * 100).alias("Rate %"),
    )  # fmt: skip
    chart = charts.trend_chart(rates, d.bands, segment=segment, period=period)
    return Shown(
        figures=figures,
        charts=(Chart("Rate by cohort", chart, report.trend_summary(rates, period, segment)),),
        tables=(("Cohorts", shown_table),),
    )


def _show_stability(table: pl.DataFrame, period: str, figures: Figures) -> Shown:
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
    return Shown(figures=figures, charts=(Chart("Stable or not?", chart, summary),),
                 lines=tuple(lines))  # fmt: skip


# --- Which columns matter -------------------------------------------------------------------


def count_ranking(data: Data, cell: Cell) -> Counted:
    """Per-segment counts of every column worth ranking (files only: it reads every row)."""
    d = _definition(cell)
    if data.frame is None or data.roles is None:
        raise InputError(
            "Ranking every column reads every row, so it works on files only, not on a "
            "database table or a shared snapshot."
        )
    orders = data.orders_frame if d.orders else None
    base = d.with_changes(segments=(), top_k=None, bins=(), date_buckets=())
    tables, excluded = explore.usable_tables(data.frame, base, data.roles, orders)
    left_out = pl.DataFrame(
        {"column": list(excluded), "reason": list(excluded.values())},
        schema={"column": pl.String, "reason": pl.String},
    )
    return Counted({**{f"column:{c}": t for c, t in tables.items()}, "left out": left_out})


def show_ranking(cell: Cell, counted: Counted) -> Shown:
    """The columns ranked by how strongly they separate conversion, with a verdict each."""
    d = _definition(cell)
    tables = {
        name.removeprefix("column:"): table
        for name, table in counted.tables.items()
        if name.startswith("column:")
    }
    left_out = counted.tables.get("left out")
    excluded = dict(left_out.iter_rows()) if left_out is not None else {}
    ranked, _ = insights.split_excluded(insights.rank_columns(tables, excluded))
    lines = tuple(
        f"{row['column']} · {row['segments']} segments: {insights.column_verdict(row)}"
        for row in ranked.iter_rows(named=True)
    )
    first = next(iter(tables.values()), None)
    contacts = int(first["contacts"].sum()) if first is not None else 0
    customers = int(first["customers"].sum()) if first is not None else 0
    columns = ranked["column"].to_list()
    return Shown(
        figures=Figures(
            contacts=contacts,
            customers=customers,
            rate=customers / contacts if contacts else None,
            best=columns[0] if columns else None,
            worst=columns[-1] if columns else None,
            limits=(d.bands.moderate, d.bands.strong),
        ),
        lines=lines,
    )


NOTE = register(CellKind("note", "Section note"))
SEGMENTS = register(
    CellKind(
        "segments", "Segments", count=count_segments, show=show_segments,
        options={"sort": Choice(SORTS), "share": Choice(SHARES), "chart": Choice(("donut", "pie"))},
    )
)  # fmt: skip
COMPARE = register(
    CellKind("compare", "Compare", count=count_segments, show=show_compare,
             options={"a": Text(), "b": Text()})
)  # fmt: skip
TREND = register(
    CellKind("trend", "Trends", count=count_trend, show=show_trend,
             options={"period": Choice(PERIODS), "tab": Choice(TREND_TABS)})
)  # fmt: skip
RANKING = register(
    CellKind("ranking", "Which columns matter", count=count_ranking, show=show_ranking,
             needs_rows=True)
)  # fmt: skip
