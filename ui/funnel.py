"""The Funnel page's Streamlit parts: its data, its controls (kept in the link), its views.

The page counts the dataset in use when it has stages (stage-date columns or a lifecycle-stage
column, as ``detect_stages`` finds them), else the bundled ``crm_lifecycle.csv``. Its choices —
segment columns, stages, step window — live in widgets whose values are read from the link's
query string on the page's first run and written back on every run (``page_query``, which
``ui.links.sync_url`` adds to the address). Numbers come from ``conversion``; nothing here
counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
import streamlit as st

from conversion import reading, sources
from conversion.analysis import funnel as funnel_stats
from conversion.counting.funnel import FunnelCounts, count_funnel
from conversion.counting.stages import Funnel, StageSuggestion, detect_stages, stage_label
from conversion.presentation import export
from conversion.presentation import funnel as funnel_output
from conversion.presentation.charts.funnel import funnel_chart
from conversion.reading.samples import SAMPLE_DIR
from conversion.roles import detect_roles
from ui import caches, results, state, theme, views
from ui.text import plain

if TYPE_CHECKING:
    from conversion.definition import Bands

LIFECYCLE_FILE = "crm_lifecycle.csv"
LIFECYCLE_TITLE = "CRM lifecycle export (sample)"
QUERY_KEYS = {"fseg": "funnel_segments", "fstage": "funnel_stages", "fwin": "funnel_window"}
MAX_WINDOW_DAYS = 3650


@dataclass(frozen=True)
class FunnelData:
    """What the page counts: a source, its columns, proposed stages and roles, its name."""

    identity: tuple[str, str]
    name: str
    source: sources.Source
    columns: tuple[str, ...]
    suggestion: StageSuggestion
    segments: tuple[str, ...]
    id: str | None
    fallback: bool  # the dataset in use had no stages: the bundled lifecycle sample instead


def funnel_data() -> FunnelData:
    """The dataset in use when it has stages, else the bundled lifecycle sample."""
    data = state.dataset()
    found = detect_stages(data.contacts.frame)
    if found.found:
        segments = tuple(c for c in state.definition().segments if c in data.columns)
        return FunnelData(
            data.identity, data.name, data.source, tuple(data.columns), found,
            segments or data.roles.segments[:1], data.roles.id, fallback=False,
        )  # fmt: skip
    table = caches.cached(
        caches.session_cache("_tables"),
        ("funnel-sample", LIFECYCLE_FILE),
        lambda: reading.load(SAMPLE_DIR / LIFECYCLE_FILE),
        caches.MAX_CACHED_TABLES,
    )
    roles = detect_roles(table.frame)
    return FunnelData(
        ("sample", LIFECYCLE_FILE), LIFECYCLE_TITLE, sources.of(table), tuple(table.columns),
        detect_stages(table.frame), ("Original Source",), roles.id, fallback=True,
    )  # fmt: skip


def apply_link(data: FunnelData) -> None:
    """On the page's first run in a session, set its widgets from the link (known columns only)."""
    if st.session_state.get("funnel_link_applied"):
        return
    st.session_state["funnel_link_applied"] = True
    params = {key: st.query_params.get_all(key) for key in QUERY_KEYS}
    ignored = [v for k in ("fseg", "fstage") for v in params[k] if v not in data.columns]
    if params["fseg"]:
        st.session_state["funnel_segments"] = [v for v in params["fseg"] if v in data.columns]
    if params["fstage"]:
        st.session_state["funnel_stages"] = [v for v in params["fstage"] if v in data.columns]
    window = params["fwin"][0] if params["fwin"] else None
    if window is not None:
        if window.isdigit() and int(window) <= MAX_WINDOW_DAYS:
            st.session_state["funnel_window"] = int(window)
        else:
            ignored.append(f"fwin={window}")
    if ignored:
        st.warning(plain("Ignored in the link (not in this dataset): " + ", ".join(ignored)))


def controls(data: FunnelData) -> Funnel | None:
    """The segment, stage and window widgets, as a ``Funnel`` (None with a hint when unset)."""
    suggestion = data.suggestion
    left, middle, right = st.columns([2, 3, 1])
    stage_options = suggestion.stages or (suggestion.stage_column,)
    st.session_state.setdefault("funnel_segments", [s for s in data.segments if s in data.columns])
    st.session_state.setdefault("funnel_stages", list(suggestion.stages))
    st.session_state.setdefault("funnel_window", 0)
    free = [c for c in data.columns if c not in stage_options]
    # Picks kept from another dataset (or a link) that this one lacks are dropped, not errors.
    for key, options in (("funnel_segments", free), ("funnel_stages", data.columns)):
        st.session_state[key] = [c for c in st.session_state[key] if c in options]
    segments = left.multiselect("Segment columns", free, key="funnel_segments")
    if suggestion.stages:
        dated = [c for c in data.columns if c not in segments]
        stages = middle.multiselect(
            "Stage-date columns, in funnel order", dated, key="funnel_stages",
            format_func=stage_label, help="The order you pick them in is the funnel's order.",
        )  # fmt: skip
        window = right.number_input(
            "Step window (days)", 0, MAX_WINDOW_DAYS, step=1, key="funnel_window",
            help="0: no window. Otherwise a step counts only within this many days of the "
            "previous stage, and contacts who have not had that long yet are left out of the "
            "step (immature), never counted as lost.",
        )  # fmt: skip
    else:
        stages, window = [], 0
        middle.markdown(
            plain(f"Stages from column {suggestion.stage_column}: ")
            + " → ".join(plain(v) for v in suggestion.stage_order)
        )
    st.session_state["page_query"] = {"fseg": segments, "fstage": stages} | (
        {"fwin": str(window)} if window else {}
    )
    if not segments:
        st.info("Pick a column to break the funnel down by.")
        return None
    if suggestion.stages and len(stages) < 2:
        st.info("Pick at least two stage-date columns, first stage first.")
        return None
    return Funnel(
        segments=tuple(segments), stages=tuple(stages), id=data.id,
        stage_column=None if suggestion.stages else suggestion.stage_column,
        stage_order=() if suggestion.stages else suggestion.stage_order,
        step_windows=(int(window),) if window else (),
    )  # fmt: skip


@dataclass(frozen=True)
class FunnelResult:
    """A counted and described funnel, as the page shows it."""

    counts: FunnelCounts
    table: pl.DataFrame
    drops: pl.DataFrame
    days: pl.DataFrame | None


def result(data: FunnelData, funnel: Funnel) -> FunnelResult | None:
    """The funnel counted and described (cached per dataset and funnel), or None after an error."""

    def compute() -> FunnelResult:
        counts = count_funnel(data.source, funnel)
        table = funnel_stats.describe_funnel(counts)
        drops = funnel_stats.biggest_drops(table, list(funnel.segments))
        return FunnelResult(counts, table, drops, funnel_stats.days_between(counts))

    return results.guarded(results._cached, "funnel", (data.identity, funnel), compute)


def show(data: FunnelData, shown: FunnelResult, bands: Bands) -> None:
    """Biggest drops in words, the chart, the notes, the table and its download."""
    segments = list(shown.counts.funnel.segments)
    st.subheader("Where each segment loses most")
    for sentence in funnel_output.drop_sentences(shown.drops, segments):
        st.markdown("- " + plain(sentence))
    chart = funnel_chart(shown.table, segments, bands)
    theme.altair_chart(
        chart,
        "Bars: share of each segment's stage-1 contacts that reached the stage, with 95 % "
        "Wilson whiskers; labels: the step rate from the previous stage; lines: the band "
        "thresholds and the overall final conversion.",
        width="stretch",
    )
    views.chart_downloads(lambda: chart, data.name, "Funnel chart")
    for warning in shown.counts.warnings:
        st.caption(plain(warning))
    st.subheader("Stage by stage")
    exported = funnel_output.export_funnel(shown.table, segments)
    percent = {
        c: st.column_config.NumberColumn(format="%.1f")
        for c in exported.columns
        if c[-3:] in ("pct", "_pp")
    }
    p_values = {c: st.column_config.NumberColumn(format="%.3g") for c in ("p_value", "p_adjusted")}
    st.dataframe(exported, hide_index=True, column_config=percent | p_values)
    if shown.days is not None:
        with st.expander("Days between stages (Kaplan–Meier median)"):
            st.dataframe(shown.days, hide_index=True)
    st.download_button(
        "Table (CSV)",
        lambda: funnel_output.funnel_csv(shown.table, segments),
        file_name=export.safe_file_name(data.name, "_funnel.csv"),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
