"""The cell kinds the app's pages pin: Segments, Trends (see ``trends``), Compare, ranking.

Each counts with the same engine calls as its page (``counting.count``, ``counting.cohorts``,
``explore.usable_tables``) and shows with the same statistics, charts and formatters, so a cell
reads exactly as the page it was pinned from.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl

from conversion import counting
from conversion.analysis import explore, insights, stats
from conversion.errors import InputError
from conversion.notebook import figures, trends
from conversion.notebook.kinds import (
    CellKind,
    Chart,
    Choice,
    Counted,
    Data,
    Figures,
    Number,
    Shown,
    Text,
    register,
)
from conversion.presentation import charts, decisions, formats, report

if TYPE_CHECKING:
    from conversion.notebook.document import Cell

SORTS = ("lower_bound", "rate", "contacts", "segment")
SHARES = ("customers", "contacts")
AIDS = (None, decisions.SURE, decisions.LEADS, f"{decisions.SURE}+{decisions.LEADS}")
"""The decision aids a Segments or Compare cell shows: none, one group, or both."""
MARGIN_PP = 5.0
AID_OPTIONS: dict[str, Choice | Text | Number] = {
    "aids": Choice(AIDS),
    "margin": Number(0.5, 25.0, MARGIN_PP),
    "detect": Number(-50.0, 50.0, 0.0),
}


# --- Segments -------------------------------------------------------------------------------


def count_segments(data: Data, cell: Cell) -> Counted:
    """Contacts and customers per segment, top K applied as the Segments page applies it.

    With the leads aid on, also the data's date span in weeks (``intake``), which turns leads
    into weeks at the current intake as the page does.
    """
    d = cell.view_definition
    if not d.segments:
        raise InputError(f"The cell {cell.title!r} has no segment column to break down by.")
    counts = counting.count(data.source, d.with_changes(top_k=None), data.orders_source)
    table = counting.top_k(counts.table, d.segments, d.top_k) if d.top_k else counts.table
    tables = {"counts": table}
    if decisions.LEADS in aids(cell) and not d.pre_aggregated and d.contact_date:
        cohorts, overall = counting.cohorts(
            data.source, d.with_changes(segments=()), data.orders_source, period="month"
        )
        weeks = decisions.span_weeks(cohorts, "month", overall.quality.as_of)
        tables["intake"] = pl.DataFrame({"weeks": [weeks]}, schema={"weeks": pl.Float64})
    return Counted(tables, counts.warnings, counts.quality.as_of)


def aids(cell: Cell) -> tuple[str, ...]:
    """The decision aids that were on when the cell was pinned (``presentation.decisions``)."""
    chosen = cell.option("aids")
    return tuple(chosen.split("+")) if chosen else ()


def intake_weeks(counted: Counted) -> float | None:
    """The data's date span in weeks, when the counts carry it."""
    intake = counted.tables.get("intake")
    return None if intake is None or intake.is_empty() else intake["weeks"][0]


def margin(cell: Cell) -> float:
    """The leads' interval target as a fraction."""
    return float(cell.option("margin") or MARGIN_PP) / 100


def with_aids(
    cell: Cell, counted: Counted, described: pl.DataFrame
) -> tuple[pl.DataFrame, list[str], tuple[tuple[str, pl.DataFrame], ...]]:
    """The per-segment table with the cell's decision columns, their notes, and their table."""
    chosen = aids(cell)
    if not chosen:
        return described, [], ()
    detect = cell.option("detect") or 0.0
    difference = detect / 100 if detect else None
    added, prior = decisions.with_decisions(
        described, cell.view_definition.bands, chosen, margin=margin(cell),
        difference=difference, weeks=intake_weeks(counted),
    )  # fmt: skip
    lines = [decisions.SURE_NOTE.format(prior=prior)] if prior is not None else []
    if decisions.LEADS in chosen:
        lines.append(decisions.leads_note(margin(cell), difference))
    shown = decisions.display_frame(added, margin(cell))
    label = report.label_column(cell.view_definition.segments)
    labels = report.with_labels(added, cell.view_definition.segments).select(
        pl.col(label).cast(pl.String)
    )
    table = pl.concat([labels, shown], how="horizontal") if shown is not None else labels
    return added, lines, ((decisions.AIDS_HEADING, table),)


def show_segments(cell: Cell, counted: Counted) -> Shown:
    """KPI figures, the bar and share charts, the results table, the chi-square line."""
    d = cell.view_definition
    segments = d.segments
    table = counted.tables["counts"]
    shown, cut_note = report.limit_segments(table, segments)
    plain_described = stats.describe(shown, d.bands, sort=cell.option("sort", "lower_bound"))
    described, aid_lines, aid_tables = with_aids(cell, counted, plain_described)
    labelled = report.with_labels(plain_described, segments)
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
        figures=figures.of_described(plain_described, segments, d),
        charts=(
            Chart("Rate by segment", bar,
                  report.rate_summary(labelled, label, overall.rate, d.bands)),
            Chart(f"Share of {share}", pie, report.share_summary(labelled, label, share)),
        ),
        tables=aid_tables,
        lines=(*lines, *aid_lines),
        described=described,
        segments=segments,
    )  # fmt: skip


# --- Compare --------------------------------------------------------------------------------


def show_compare(cell: Cell, counted: Counted) -> Shown:
    """Segment A against segment B: both rates, the difference, its interval and the verdict."""
    d = cell.view_definition
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
    aid_cards, aid_lines = compare_aids(cell, counted, result)
    return Shown(
        figures=figures.of_described(described, d.segments, d),
        cards=(*cards, *aid_cards),
        charts=(Chart("A against B", charts.difference_chart(rows), summary),),
        lines=(*lines, *aid_lines),
        segments=d.segments,
    )


def compare_aids(
    cell: Cell, counted: Counted, result: report.Comparison
) -> tuple[tuple[tuple[str, str, str], ...], tuple[str, ...]]:
    """Compare's decision aids, as the page shows them: P(A beats B), the expected losses, and
    the contacts needed to tell A from B (when those aids were on at pin time)."""
    chosen = aids(cell)
    if not chosen:
        return (), ()
    a, b = result.a, result.b
    table = counted.tables["counts"]
    aid = decisions.compare_decision(
        table, (a.customers, a.contacts), (b.customers, b.contacts),
        alpha=0.05 / max(result.comparisons, 1),
    )  # fmt: skip
    cards: tuple[tuple[str, str, str], ...] = ()
    lines: list[str] = []
    if decisions.SURE in chosen:
        cards = (
            ("P(A beats B)", f"{aid.p_a_beats_b:.1%}", "exact numerical integration"),
            ("Expected loss if you pick A", f"{aid.loss_a * 100:.2f} pp", aid.prior_note),
            ("Expected loss if you pick B", f"{aid.loss_b * 100:.2f} pp", aid.prior_note),
        )
    if decisions.LEADS in chosen:
        span = intake_weeks(counted)

        def leads(more: float, contacts: int) -> str:
            weeks = more / (contacts / span) if span and contacts and math.isfinite(more) else None
            return decisions.leads_text(more, weeks)

        each = formats.count(int(aid.per_group)) if math.isfinite(aid.per_group) else "–"
        lines.append(
            f"To tell them apart at this difference ({formats.points(result.diff)}, 80 % power, "
            f"level 0.05 ÷ {result.comparisons} pairs): {each} contacts each. {a.label}: "
            f"{leads(aid.more_a, a.contacts)}; {b.label}: {leads(aid.more_b, b.contacts)}."
        )
    return cards, tuple(lines)


# --- Which columns matter -------------------------------------------------------------------


def count_ranking(data: Data, cell: Cell) -> Counted:
    """Per-segment counts of every column worth ranking (files only: it reads every row)."""
    d = cell.view_definition
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
    d = cell.view_definition
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
        options={"sort": Choice(SORTS), "share": Choice(SHARES), "chart": Choice(("donut", "pie")),
                 **AID_OPTIONS},
    )
)  # fmt: skip
COMPARE = register(
    CellKind("compare", "Compare", count=count_segments, show=show_compare,
             options={"a": Text(), "b": Text(), "aids": Choice(AIDS)})
)  # fmt: skip
TREND = register(
    CellKind("trend", "Trends", count=trends.count_trend, show=trends.show_trend,
             options={"period": Choice(trends.PERIODS), "tab": Choice(trends.TABS),
                      "before": Text(), "after": Text()})
)  # fmt: skip
RANKING = register(
    CellKind("ranking", "Which columns matter", count=count_ranking, show=show_ranking,
             needs_rows=True)
)  # fmt: skip
