"""The Funnel page's Streamlit parts: its data, its controls (kept in the link), its views.

The page counts the dataset in use when it has stages (stage-date columns or a lifecycle-stage
column, as ``detect_stages`` finds them), else the bundled ``crm_lifecycle.csv``. Its choices —
segment columns, the id column (detected, or none), the stages (stage-date columns in the order
picked, or one stage column with its values' order and what each other value maps to, as
``--stage-map``), the step windows (one for every step or one per step) and the as-of date —
live in widgets whose values are read from the link's query string on the page's first run and
written back on every run (``page_query``, which ``ui.links.sync_url`` adds to the address):
``fseg``, ``fid``, ``fmode``, ``fstage``, ``fwin`` (once, or once per step), ``fasof``,
``fcol``, ``forder`` and ``fmap`` (``VALUE=STAGE``, ``VALUE=`` to leave out). Numbers come from
``conversion``; nothing here counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl
import streamlit as st

from conversion import reading, sources
from conversion.analysis import funnel as funnel_stats
from conversion.counting.funnel import FunnelCounts, count_funnel, stage_column_values
from conversion.counting.stages import (
    Funnel,
    StageSuggestion,
    detect_stages,
    known_stage_order,
    stage_label,
)
from conversion.errors import InputError
from conversion.notebook import funnel as funnel_cell
from conversion.presentation import export
from conversion.presentation import funnel as funnel_output
from conversion.presentation.charts.funnel import funnel_chart
from conversion.reading.samples import SAMPLE_DIR
from conversion.roles import detect_roles
from ui import caches, notebook, results, state, theme, views
from ui.text import plain

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from conversion.definition import Bands

LIFECYCLE_FILE = "crm_lifecycle.csv"
LIFECYCLE_TITLE = "CRM lifecycle export (sample)"
QUERY_KEYS = ("fseg", "fstage", "fwin", "fid", "fmode", "fcol", "forder", "fmap", "fasof")
NO_ID = "(none)"
MODES = ("Stage-date columns", "One stage column")
MODE_PARAMS = {"dates": MODES[0], "column": MODES[1]}
WINDOW_MODES = ("One for every step", "One per step")
MAP_CHOOSE = "(choose)"
MAP_OUT = "(leave out)"
MAX_STAGE_VALUES = 50
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
    stages = data.sample.stages if data.sample is not None else ()
    found = StageSuggestion(stages=stages) if stages else detect_stages(data.contacts.frame)
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
    st.session_state["funnel_data"] = data.identity
    st.session_state["funnel_stages"] = list(data.suggestion.stages)
    st.session_state["funnel_id"] = data.id if data.id in data.columns else NO_ID
    st.session_state["funnel_mode"] = MODES[0] if data.suggestion.stages else MODES[1]
    params = {key: st.query_params.get_all(key) for key in QUERY_KEYS}
    known = set(data.columns)
    ignored = [v for k in ("fseg", "fstage", "fcol") for v in params[k] if v not in known]
    for param, key in (("fseg", "funnel_segments"), ("fstage", "funnel_stages")):
        if params[param]:
            st.session_state[key] = [v for v in params[param] if v in known]
    for value in params["fid"][:1]:
        if value in known or value == "none":
            st.session_state["funnel_id"] = value if value in known else NO_ID
        else:
            ignored.append(f"fid={value}")
    for value in params["fmode"][:1]:
        if value in MODE_PARAMS:
            st.session_state["funnel_mode"] = MODE_PARAMS[value]
        else:
            ignored.append(f"fmode={value}")
    column = next(iter(params["fcol"]), None)
    if column in known:
        _apply_column_link(column, params["forder"], params["fmap"])
    ignored += _apply_windows(params["fwin"])
    for value in params["fasof"][:1]:
        try:
            st.session_state["funnel_as_of"] = date.fromisoformat(value)
        except ValueError:
            ignored.append(f"fasof={value}")
    if ignored:
        st.warning(plain("Ignored in the link (not in this dataset): " + ", ".join(ignored)))


def _apply_column_link(column: str, order: list[str], mapping: list[str]) -> None:
    """The stage column, its order and its mapped values from the link."""
    st.session_state["funnel_stage_column"] = column
    st.session_state["funnel_order"] = list(order)
    st.session_state["funnel_order_for"] = column
    for item in mapping:
        value, sep, stage = item.rpartition("=")
        if sep and value:
            st.session_state[_map_key(column, value)] = stage or MAP_OUT


def _apply_windows(values: list[str]) -> list[str]:
    """One window for every step, or one per step, from the link; the values it ignored."""
    if not values:
        return []
    if not all(v.isdigit() and int(v) <= MAX_WINDOW_DAYS for v in values):
        return [f"fwin={v}" for v in values]
    if len(values) == 1:
        st.session_state["funnel_window_mode"] = WINDOW_MODES[0]
        st.session_state["funnel_window"] = int(values[0])
        return []
    st.session_state["funnel_window_mode"] = WINDOW_MODES[1]
    for k, value in enumerate(values, start=2):
        st.session_state[f"funnel_step_window_{k}"] = max(1, int(value))
    return []


def _map_key(column: str, value: str) -> str:
    return f"funnel_map_{column}_{value}"


def _keep(key: str, options: list[str]) -> None:
    """Picks kept from another dataset (or a link) that this one lacks are dropped, not errors."""
    st.session_state[key] = [c for c in st.session_state.get(key, []) if c in options]


def controls(data: FunnelData) -> Funnel | None:
    """The funnel's widgets (segments, id, stages, windows, as-of) as a ``Funnel``.

    None, with a hint or the engine's message, while the choices do not make a funnel. The
    choices are written to the link (``page_query``) on every run.
    """
    suggestion = data.suggestion
    st.session_state.setdefault("funnel_segments", [s for s in data.segments if s in data.columns])
    if st.session_state.get("funnel_data") != data.identity:
        # Another dataset: its detected id and stages (a link's are set with its identity).
        st.session_state["funnel_data"] = data.identity
        st.session_state["funnel_stages"] = list(suggestion.stages)
        st.session_state["funnel_id"] = data.id if data.id in data.columns else NO_ID
        st.session_state["funnel_mode"] = MODES[0] if suggestion.stages else MODES[1]
    if st.session_state["funnel_mode"] == MODES[0]:
        taken = set(st.session_state["funnel_stages"])
    else:
        if st.session_state.get("funnel_stage_column") not in data.columns:
            st.session_state["funnel_stage_column"] = _stage_column(data, list(data.columns))
        taken = {st.session_state["funnel_stage_column"]}
    left, middle, right = st.columns([3, 2, 2])
    free = [c for c in data.columns if c not in taken]
    _keep("funnel_segments", free)
    segments = left.multiselect("Segment columns", free, key="funnel_segments")
    ids = [NO_ID, *(c for c in data.columns if c not in segments)]
    if st.session_state["funnel_id"] not in ids:
        st.session_state["funnel_id"] = NO_ID
    chosen_id = middle.selectbox(
        "Id column", ids, key="funnel_id",
        help="Rows with the same id are one contact (its earliest row's segments). "
        f"{NO_ID}: every row is a contact.",
    )  # fmt: skip
    contact_id = None if chosen_id == NO_ID else chosen_id
    mode = right.radio("Stages from", MODES, key="funnel_mode", horizontal=True)
    others = [c for c in data.columns if c not in segments and c != contact_id]
    query: dict[str, str | list[str]] = {"fseg": segments}
    if chosen_id != (data.id if data.id in data.columns else NO_ID):
        query["fid"] = contact_id or "none"
    if mode != (MODES[0] if suggestion.stages else MODES[1]):
        query["fmode"] = "dates" if mode == MODES[0] else "column"
    if mode == MODES[0]:
        fields = _date_stages(others, query)
    else:
        fields = _column_stages(data, others, query)
    st.session_state["page_query"] = query
    if not segments:
        st.info("Pick a column to break the funnel down by.")
        return None
    if fields is None:
        return None
    try:
        return Funnel(segments=tuple(segments), id=contact_id, **fields)
    except InputError as error:
        st.error(plain(error))
        return None


def _date_stages(columns: list[str], query: dict[str, str | list[str]]) -> dict[str, Any] | None:
    """Stage-date columns in the order picked, the step windows and the as-of date."""
    _keep("funnel_stages", columns)
    stages = st.multiselect(
        "Stage-date columns, in funnel order", columns, key="funnel_stages",
        format_func=stage_label, help="The order you pick them in is the funnel's order.",
    )  # fmt: skip
    left, right = st.columns([3, 1])
    windows = _windows(len(stages), left)
    as_of = right.date_input(
        "As-of date", value=None, key="funnel_as_of", format="YYYY-MM-DD",
        help="Empty: the latest stage date in the data. Stage dates after it have not "
        "happened yet, and windows are judged at this date.",
    )  # fmt: skip
    query["fstage"] = stages
    if windows:
        query["fwin"] = [str(w) for w in windows]
    if isinstance(as_of, date):
        query["fasof"] = as_of.isoformat()
    if len(stages) < 2:
        st.info("Pick at least two stage-date columns, first stage first.")
        return None
    return {
        "stages": tuple(stages),
        "step_windows": windows,
        "as_of": as_of if isinstance(as_of, date) else None,
    }


def _windows(stages: int, area: DeltaGenerator) -> tuple[int, ...]:
    """No window, one window for every step, or one per step (stage 2 onwards)."""
    st.session_state.setdefault("funnel_window", 0)
    st.session_state.setdefault("funnel_window_mode", WINDOW_MODES[0])
    with area:
        mode = st.radio("Step window", WINDOW_MODES, key="funnel_window_mode", horizontal=True)
        if mode == WINDOW_MODES[0] or stages < 2:
            window = st.number_input(
                "Days for every step", 0, MAX_WINDOW_DAYS, step=1, key="funnel_window",
                help="0: no window. Otherwise a step counts only within this many days of the "
                "previous stage, and contacts who have not had that long yet are left out of "
                "the step (immature), never counted as lost.",
            )  # fmt: skip
            return (int(window),) if window else ()
        steps = []
        for k, column in zip(range(2, stages + 1), st.columns(stages - 1), strict=True):
            key = f"funnel_step_window_{k}"
            st.session_state.setdefault(key, int(st.session_state["funnel_window"] or 30))
            steps.append(int(column.number_input(f"Step {k - 1} → {k} (days)", 1,
                                                 MAX_WINDOW_DAYS, step=1, key=key)))  # fmt: skip
        return tuple(steps)


def _column_stages(
    data: FunnelData, columns: list[str], query: dict[str, str | list[str]]
) -> dict[str, Any] | None:
    """One stage column, its values in the order picked, and what the other values are."""
    suggestion = data.suggestion
    if st.session_state.get("funnel_stage_column") not in columns:
        st.session_state["funnel_stage_column"] = _stage_column(data, columns)
    left, right = st.columns([1, 3])
    column = left.selectbox("Stage column", columns, key="funnel_stage_column")
    if column is None:
        return None
    found = results.computed(
        "funnel-values", (data.identity, column),
        lambda: stage_column_values(data.source, column, limit=MAX_STAGE_VALUES),
    )  # fmt: skip
    query["fcol"] = column
    if found is None:
        return None
    if found.height > MAX_STAGE_VALUES:
        st.info(plain(f"Column {column} has more than {MAX_STAGE_VALUES} different values; "
                      "pick the lifecycle-stage column."))  # fmt: skip
        return None
    values = found["value"].to_list()
    if st.session_state.get("funnel_order_for") != column:
        st.session_state["funnel_order_for"] = column
        st.session_state["funnel_order"] = list(
            suggestion.stage_order if column == suggestion.stage_column
            else known_stage_order(values)
        )  # fmt: skip
    _keep("funnel_order", values)
    order = right.multiselect(
        "Stage order, first stage first", values, key="funnel_order",
        help="Pick the values in funnel order; a contact has reached a stage when its value is "
        "that stage or a later one.",
    )  # fmt: skip
    mapping = _mapping(column, found, order)
    query["forder"] = order
    query["fmap"] = [f"{value}={stage}" for value, stage in mapping]
    if len(order) < 2:
        st.info("Pick at least two values of the stage column, first stage first.")
        return None
    return {"stage_column": column, "stage_order": tuple(order), "stage_map": mapping}


def _stage_column(data: FunnelData, columns: list[str]) -> str | None:
    """The stage column proposed: the detected one, else the first named like a stage."""
    if data.suggestion.stage_column in columns:
        return data.suggestion.stage_column
    return next((c for c in columns if "stage" in c.lower()), columns[0] if columns else None)


def _mapping(column: str, found: pl.DataFrame, order: list[str]) -> tuple[tuple[str, str], ...]:
    """Each value outside the order mapped to a stage, left out, or (not yet) chosen."""
    rest = found.filter(~pl.col("value").is_in(order))
    if rest.height == 0 or len(order) < 2:
        return ()
    mapping = []
    with st.expander(f"Values outside the order ({rest.height})", expanded=True):
        st.caption("Map each to a stage of the order, or leave its contacts out. A value left "
                   "unchosen stops the count with a list of such values.")  # fmt: skip
        options = [MAP_CHOOSE, MAP_OUT, *order]
        for value, rows in rest.iter_rows():
            key = _map_key(column, value)
            if st.session_state.get(key) not in options:
                st.session_state[key] = MAP_CHOOSE
            choice = st.selectbox(f"{plain(value)} ({rows:,} rows)", options, key=key)
            if choice == MAP_OUT:
                mapping.append((value, ""))
            elif choice != MAP_CHOOSE:
                mapping.append((value, choice))
    return tuple(mapping)


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

    return results.computed("funnel", (data.identity, funnel), compute)


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


def pin(data: FunnelData, funnel: Funnel) -> None:
    """The "Add to notebook" button, for the dataset in use (not the fallback sample)."""
    if data.fallback:
        st.caption(
            "To pin this funnel to the notebook, pick the sample CRM lifecycle stages (or your "
            "own export with stages) on the Data page: a notebook counts the dataset in use."
        )
        return
    definition, options = funnel_cell.cell_parts(funnel)
    title = "Funnel by " + ", ".join(funnel.segments)
    notebook.pin_button("funnel", definition, options, title, "funnel")
