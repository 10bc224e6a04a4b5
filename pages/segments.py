"""Segments: KPI cards, rate by segment with bands, share of customers, the results table."""

import altair as alt
import streamlit as st

from conversion.analysis import stats
from conversion.presentation import charts, report
from ui import controls, decisions, drill, notebook, results, state, views
from ui.entry import through_app

through_app()

st.title("Conversion by segment")
data = state.dataset()
with st.popover(f"Bands: {controls.PRESET_LABELS[st.session_state.get('bands', 'default')]}"):
    controls.band_controls()
definition = controls.segment_picker(data, state.definition())
state.set_definition(definition)
if not definition.segments:
    st.info("Pick a column to break the conversion rate down by.")
    st.stop()

counts = results.counts(data, definition)
if counts is None:
    st.stop()
shown, cut_note = report.limit_segments(counts.table, definition.segments)
if cut_note:
    st.warning(cut_note)
sort = st.session_state.get("sort", "lower_bound")
described = stats.describe(shown, definition.bands, sort=sort)
segments = list(definition.segments)
labelled = report.with_labels(described, segments)
label = report.label_column(segments)

views.kpi_cards(report.kpis(described, segments), definition.bands)
views.warnings(counts.warnings)
notebook.pin_button("segments", definition, notebook.segments_options(sort),
                    f"Conversion by {label}", "segments")  # fmt: skip

extra_tabs = [*(["Two-way grid"] if len(segments) == 2 else []),
              *(["Drill down"] if len(segments) >= 2 else [])]  # fmt: skip
bar_tab, share_tab, *more_tabs = st.tabs(["Rate by segment", "Share of customers", *extra_tabs])
grid_tab = more_tabs[:1] if len(segments) == 2 else []
drill_tab = more_tabs[-1:] if len(segments) >= 2 else []
overall_rate = counts.customers / max(counts.contacts, 1)


def bar() -> alt.LayerChart:
    return charts.bar_chart(labelled, label, definition.bands, overall_rate, selectable=True)


with bar_tab:
    picked = views.chart(
        bar,
        (labelled, label, definition.bands, overall_rate),
        "bar",
        report.rate_summary(labelled, label, overall_rate, definition.bands),
        key="bar_pick",
        on_select="rerun",
        width="stretch",
    )
    views.chart_downloads(bar, data.name, "Bar chart")
    views.remember_pick(picked, charts.selection_field(label))
    st.caption(
        "Bars: conversion rate, coloured and labelled by band; whiskers: 95 % Wilson interval; "
        "dashed line: overall rate. Click a bar to pick it for the Compare page."
    )
with share_tab:
    share = st.segmented_control(
        "Share of", controls.SHARES, key="share", required=True, persist_state="session"
    )
    donut = st.toggle("Donut", key="donut", persist_state="session")

    def pie() -> alt.LayerChart:
        return charts.pie_chart(labelled, label, share or "customers", donut=donut)

    views.chart(
        pie,
        (labelled, label, share, donut),
        "pie",
        report.share_summary(labelled, label, share or "customers"),
    )
    views.chart_downloads(pie, data.name, "Share chart")
if grid_tab:
    with grid_tab[0]:
        views.chart(
            lambda: charts.heatmap(described, segments[0], segments[1], definition.bands),
            (described, tuple(segments), definition.bands),
            "heatmap",
            report.grid_summary(segments[0], segments[1]),
        )

if drill_tab:
    with drill_tab[0]:
        drill.drill_down(data, definition, sort)

with st.expander("Which columns matter?", icon=":material/insights:"):
    if st.toggle(
        "Rank every column by how strongly it separates conversion",
        key="rank_columns",
        persist_state="session",
        help="Counts the data once per column; on large files this takes a few seconds.",
    ):
        views.column_ranking(data, definition)
        notebook.pin_button("ranking", definition, {}, "Which columns matter", "ranking")

st.subheader("Results")
st.selectbox(
    "Sort by",
    ["lower_bound", "rate", "contacts", "segment"],
    format_func=views.SORT_LABELS.__getitem__,
    key="sort",
    persist_state="session",
)
if st.toggle(
    "Adjusted rates for small segments (empirical Bayes)",
    key="adjusted",
    persist_state="session",
    help="Shrinks each rate toward the overall mean in proportion to how little data it has.",
):
    adjusted = views.adjusted_rates(described, segments)
    if adjusted is not None:
        described = adjusted
decisions.controls()
described = decisions.with_columns(data, definition, described, definition.bands)
views.results_table(described, segments, definition.bands)
views.overall_test_note(stats.overall(counts.table))
views.table_downloads(described, segments, data.name, counts)
views.report_download(
    data.name, definition, counts, described, {"Rate by segment": bar, "Share": pie}
)
views.share_box(counts.table)
views.python_box(data, definition, sort)
