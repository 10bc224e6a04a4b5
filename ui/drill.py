"""The Segments page's drill-down: one segment column at a time, with a breadcrumb back.

With several segment columns, the cross table has a row per combination, which soon gets long.
The drill-down shows the first column; picking one of its values shows the next column within
it, and so on; the breadcrumb (All › Webinar › France) goes back to any level. Each level's
counts add up to the row picked above it (``conversion.analysis.drill``); Top K applies within
each level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import streamlit as st

from conversion.analysis import drill, stats
from conversion.counting import OTHER
from conversion.errors import InputError
from conversion.presentation import charts, formats, report
from ui import results, views
from ui.text import plain

if TYPE_CHECKING:
    from conversion.definition import Definition
    from ui.datasets import Dataset

ALL = "All"
_PATH = "_drill_path"


def drill_down(data: Dataset, d: Definition, sort: stats.SortOrder) -> None:
    """The level on the session's path: its chart, its numbers, and the way down and back."""
    segments = list(d.segments)
    counts = results.counts(data, d.with_changes(top_k=None))
    if counts is None:
        return
    saved = st.session_state.get(_PATH, {}).get(tuple(segments), [])
    path = drill.valid_path(counts.table, segments, saved)
    path = _breadcrumb(segments, path)
    try:
        table = drill.level(counts.table, segments, path, d.top_k)
    except InputError as error:
        st.error(plain(error))
        return
    column = segments[len(path)]
    described = stats.describe(table, d.bands, sort=sort)
    contacts, customers = int(table["contacts"].sum()), int(table["customers"].sum())
    rate = customers / contacts if contacts else 0.0
    where = " › ".join(path) if path else "all contacts"
    st.caption(
        f"{plain(column)} within {plain(where)}: {formats.count(contacts)} contacts, "
        f"{formats.count(customers)} customers "
        f"({formats.band_percent(rate, (d.bands.moderate, d.bands.strong))}); the rows below "
        "add up to these totals."
    )

    def bar() -> alt.LayerChart:
        return charts.bar_chart(described, column, d.bands, rate)

    summary = report.rate_summary(described, column, rate, d.bands)
    views.chart(bar, (described, column, d.bands, rate), "drill", summary, width="stretch")
    views.results_table(described, [column], d.bands)
    if len(path) + 1 < len(segments):
        values = [v for v in described[column].to_list() if v != OTHER]
        pick = st.selectbox(
            f"Look inside one {column} value, by {segments[len(path) + 1]}",
            [None, *values],
            format_func=lambda v: "— pick a value —" if v is None else str(v),
            key=f"drill_pick_{len(path)}_{'/'.join(path)}",
        )
        if pick is not None:
            _save(segments, [*path, pick])
            st.rerun()


def _breadcrumb(segments: list[str], path: list[str]) -> list[str]:
    """The path as pills (All › value › value); picking an earlier one goes back to it."""
    crumbs = [ALL, *path]
    if len(crumbs) == 1:
        return path
    chosen = st.pills(
        "Drill-down path",
        list(range(len(crumbs))),
        format_func=lambda i: crumbs[i] if i == 0 else f"› {crumbs[i]}",
        default=len(crumbs) - 1,
        key=f"drill_crumbs_{'/'.join(path)}",
        help="Pick a level to go back to it.",
    )
    if chosen is not None and chosen < len(crumbs) - 1:
        _save(segments, path[:chosen])
        st.rerun()
    return path


def _save(segments: list[str], path: list[str]) -> None:
    paths = dict(st.session_state.get(_PATH, {}))
    paths[tuple(segments)] = path
    st.session_state[_PATH] = paths
