"""Pieces of page layout used by several pages: KPI cards, notes, the results table, downloads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import streamlit as st

from conversion import export, report
from conversion.errors import InputError
from ui import state
from ui.text import plain

if TYPE_CHECKING:
    from collections.abc import Sequence

    import altair as alt
    import polars as pl

    from conversion import stats
    from conversion.definition import Bands, Definition
    from conversion.rates import Counts

SORT_LABELS = {
    "lower_bound": "Interval lower bound (honest ranking)",
    "rate": "Rate",
    "contacts": "Contacts",
    "segment": "Segment name",
}


def kpi_cards(k: report.Kpis, bands: Bands) -> None:
    overall = k.overall
    cards = st.columns(5)
    cards[0].metric(
        "Overall conversion rate",
        f"{overall.rate:.1%}" if overall.contacts else "–",
        help=f"95 % interval {overall.ci_low:.1%} – {overall.ci_high:.1%}; "
        f"band: {bands.label(overall.rate) if overall.contacts else '–'}.",
        border=True,
    )
    cards[1].metric("Contacts", f"{overall.contacts:,}", border=True)
    cards[2].metric("Customers", f"{overall.customers:,}", border=True)
    if k.best and k.worst:
        cards[3].metric(
            "Best segment",
            k.best.label,
            delta=f"{k.best.rate:.1%}, surely ≥ {k.best.ci_low:.1%}",
            delta_color="off",
            delta_arrow="off",
            help="The segment whose 95 % interval has the highest lower bound: surely at least "
            "that good, so a tiny segment with a lucky streak does not win.",
            border=True,
        )
        cards[4].metric(
            "Worst segment",
            k.worst.label,
            delta=f"{k.worst.rate:.1%}, surely ≤ {k.worst.ci_high:.1%}",
            delta_color="off",
            delta_arrow="off",
            help="The segment whose 95 % interval has the lowest upper bound: surely no better "
            "than that.",
            border=True,
        )
    else:
        cards[3].metric("Segments", k.segments, border=True)


def warnings(messages: Sequence[str]) -> None:
    if messages:
        with st.expander(f"How the rows were counted ({len(messages)} notes)", expanded=False):
            for message in messages:
                st.text(message)


def remember_pick(selection: object, field: str) -> None:
    """Keep a clicked bar's segment for the Compare page."""
    try:
        points = selection["selection"]["pick"]  # type: ignore[index]
    except (KeyError, TypeError):
        return
    if points:
        value = points[0].get(field)
        if value is not None and value != st.session_state.get("compare_a"):
            st.session_state["compare_a"] = value
            st.toast(f"Picked {plain(value)} for Compare")


def results_table(described: pl.DataFrame, segments: Sequence[str]) -> None:
    shown = report.display_table(described, segments)
    percent = st.column_config.NumberColumn(format="%.1f%%")
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "Contacts": st.column_config.NumberColumn(format="localized"),
            "Customers": st.column_config.NumberColumn(format="localized"),
            "Rate %": percent,
            "CI low %": percent,
            "CI high %": percent,
            "vs rest (pp)": st.column_config.NumberColumn(format="%+.1f"),
            "p (adjusted)": st.column_config.NumberColumn(
                format="%.3g", help="Benjamini–Hochberg adjusted, exploratory."
            ),
        },
    )


def overall_test_note(overall: stats.Overall) -> None:
    chi = overall.chi_square
    if chi is None:
        return
    caution = " Some expected counts are below 5: read it with care." if chi.small_expected else ""
    st.caption(
        f"Do the segments differ at all? Chi-square test of independence: χ² = "
        f"{chi.statistic:.2f}, df = {chi.df}, p = {chi.p_value:.3g}.{caution} Tests against "
        "the rest use a pooled z-test (Fisher's exact test for small counts), Benjamini–Hochberg "
        "adjusted; treat them as exploratory."
    )


def table_downloads(
    described: pl.DataFrame, segments: Sequence[str], name: str, counts: Counts
) -> None:
    """CSV and Excel of the results table; files are built when the button is clicked."""
    left, right, _ = st.columns([1, 1, 2])
    left.download_button(
        "Table (CSV)",
        lambda: export.table_csv(described, segments),
        file_name=export.safe_file_name(name, "_by_segment.csv"),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        "Table (Excel)",
        lambda: export.table_xlsx(described, segments, title=name, counts=counts),
        file_name=export.safe_file_name(name, "_by_segment.xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
    )


def chart_downloads(chart: alt.TopLevelMixin, name: str, what: str) -> None:
    """PNG and SVG of one chart, drawn offline by vl-convert when a button is clicked."""
    left, right, _ = st.columns([1, 1, 2])
    left.download_button(
        f"{what} (PNG)",
        lambda: export.chart_png(chart),
        file_name=export.safe_file_name(name, f"_{what.lower().replace(' ', '_')}.png"),
        mime="image/png",
        icon=":material/image:",
        on_click="ignore",
    )
    right.download_button(
        f"{what} (SVG)",
        lambda: export.chart_svg(chart),
        file_name=export.safe_file_name(name, f"_{what.lower().replace(' ', '_')}.svg"),
        mime="image/svg+xml",
        icon=":material/image:",
        on_click="ignore",
    )


def report_download(
    name: str,
    definition: Definition,
    counts: Counts,
    described: pl.DataFrame,
    charts: dict[str, alt.TopLevelMixin],
) -> None:
    """A one-page HTML report that opens without a network."""

    def build() -> str:
        return export.html_report(
            title=f"Conversion by segment — {name}",
            dataset=name,
            generated=datetime.now(tz=UTC),
            definition=definition,
            counts=counts,
            described=described,
            charts=charts,
        )

    st.download_button(
        "Report (HTML)",
        build,
        file_name=export.safe_file_name(name, "_report.html"),
        mime="text/html",
        icon=":material/description:",
        on_click="ignore",
        type="primary",
    )


def share_box(counts_table: pl.DataFrame) -> None:
    """A link that reopens this view: the view's settings, plus the counts for uploaded data."""
    from ui import controls, links

    with st.expander("Share this view", icon=":material/share:"):
        try:
            url = links.share_link(controls.safe_bands(), counts_table)
        except InputError as error:
            st.error(str(error))
            return
        st.code(url, language=None, wrap_lines=True)
        if state.dataset().sample is None:
            st.caption(
                "For an uploaded file the link carries the per-segment counts only (no rows of "
                "your data), so a colleague sees this table and these charts without the file."
            )
