"""The URL as shared state: open a link's view once per session, then keep the URL in step."""

from __future__ import annotations

from urllib.parse import urlencode

import polars as pl
import streamlit as st

from conversion.definition import Bands, Definition
from conversion.errors import InputError
from conversion.reading.samples import SAMPLES
from conversion.sharing import links, snapshot
from ui import datasets, decisions, state
from ui.text import plain

DISPLAY_DEFAULTS = {"donut": True, "share": "customers", "period": "month"}


def display_defaults() -> None:
    """Give chart-choice widgets their defaults through session state (set once)."""
    for key, value in DISPLAY_DEFAULTS.items():
        st.session_state.setdefault(key, value)


def apply_link() -> None:
    """On a session's first run, open the view the URL describes; say what was ignored."""
    if st.session_state.get("link_applied"):
        return
    st.session_state["link_applied"] = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    view = links.from_query(params, samples=list(SAMPLES))
    notices = list(view.notices)
    packed = params.get("snapshot", [None])[0]
    if packed:
        try:
            shared = snapshot.decode(packed)
        except InputError as error:
            st.session_state["link_error"] = str(error)
        else:
            state.use_dataset(
                datasets.snapshot_dataset(shared, packed), snapshot_definition(shared)
            )
            view = _merge(shared.view, view)
            st.session_state["snapshot"] = packed
    elif view.sample:
        state.use_dataset(datasets.sample_dataset(view.sample))
    notices += _apply_view(view)
    notices += decisions.apply_query(params)
    if notices:
        st.session_state["link_notices"] = notices


def _merge(base: links.LinkState, override: links.LinkState) -> links.LinkState:
    """The snapshot's own view, with anything the URL sets explicitly taking precedence."""
    fields = ("segments", "top_k", "bands", "chart", "share", "period")
    changes = {f: getattr(override, f) for f in fields if getattr(override, f) is not None}
    return links.LinkState(**{**base.__dict__, **changes, "notices": ()})


def snapshot_definition(shared: snapshot.Snapshot) -> Definition:
    return Definition(
        segments=shared.segments, contacts_column="contacts", customers_column="customers"
    )


def _apply_view(view: links.LinkState) -> list[str]:
    notices = []
    data = state.dataset()
    changes: dict[str, object] = {}
    if view.segments is not None:
        known = tuple(s for s in view.segments if s in data.columns)
        unknown = [s for s in view.segments if s not in data.columns]
        if unknown:
            notices.append(
                "Ignored segment columns not in this dataset: " + ", ".join(unknown) + "."
            )
        if known:
            changes["segments"] = known
    if view.top_k is not None:
        changes["top_k"] = view.top_k
    definition = state.definition()
    if not definition.pre_aggregated and (view.window_days is not None or view.no_window):
        changes["window_days"] = None if view.no_window else view.window_days
    if changes:
        try:
            state.use_dataset(data, definition.with_changes(**changes))
        except InputError as error:
            notices.append(f"Ignored the link's settings: {error}")
    if view.bands is not None:
        st.session_state["bands"] = view.bands.name
        if view.bands.name == "custom":
            st.session_state["strong_pct"] = view.bands.strong * 100
            st.session_state["moderate_pct"] = view.bands.moderate * 100
    if view.chart is not None:
        st.session_state["donut"] = view.chart == "donut"
    if view.share is not None:
        st.session_state["share"] = view.share
    if view.period is not None:
        st.session_state["period"] = view.period
    return notices


def show_notices() -> None:
    error = st.session_state.pop("link_error", None)
    if error:
        st.error(plain(error))
    for notice in st.session_state.pop("link_notices", []):
        st.warning(plain(notice), icon=":material/link_off:")


def current_view(bands: Bands) -> links.LinkState:
    definition = state.definition()
    data = state.dataset()
    return links.LinkState(
        sample=data.sample.key if data.sample else None,
        segments=definition.segments or None,
        top_k=definition.top_k,
        window_days=definition.window_days,
        no_window=definition.window_days is None
        and data.sample is not None
        and data.sample.definition.window_days is not None,
        bands=bands,
        chart="donut" if st.session_state.get("donut", True) else "pie",
        share=st.session_state.get("share"),
        period=st.session_state.get("period"),
    )


def view_query(bands: Bands) -> dict[str, str | list[str]]:
    """The current view as query parameters, leaving out chart choices at their defaults."""
    wanted = links.to_query(current_view(bands))
    if wanted.get("chart") == "donut":
        wanted.pop("chart")
    for key in ("share", "period"):
        if wanted.get(key) == DISPLAY_DEFAULTS[key]:
            wanted.pop(key)
    return wanted | decisions.query()


def sync_url(bands: Bands) -> None:
    """Write the current view into the address bar, so copying it shares this view."""
    wanted = view_query(bands)
    # A page's own settings (the Funnel page's), set by that page on this run only.
    wanted.update(st.session_state.pop("page_query", {}))
    packed = st.session_state.get("snapshot")
    data = state.dataset()
    if packed and data.kind == "snapshot":
        wanted["snapshot"] = packed
        wanted.pop("sample", None)
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    normalised = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    if current != normalised:
        st.query_params.from_dict(wanted)


def share_link(bands: Bands, counts_table: pl.DataFrame) -> str | None:
    """A link for the current view: a plain view link for samples, a snapshot for uploads."""
    data = state.dataset()
    definition = state.definition()
    base = st.context.url or ""
    query = view_query(bands)
    if data.kind == "snapshot":
        query = {"snapshot": st.session_state.get("snapshot", "")} | query
    elif data.sample is None:
        view = current_view(bands)
        packed = snapshot.encode(
            counts_table,
            definition.segments,
            name=data.name,
            view=links.LinkState(
                segments=view.segments, bands=view.bands, chart=view.chart, share=view.share
            ),
            window_days=definition.window_days,
        )
        query = {
            "snapshot": packed,
            **{k: v for k, v in query.items() if k not in ("seg", "window")},
        }
    return base + "?" + _encode(query)


def _encode(query: dict[str, str | list[str]]) -> str:
    pairs = [
        (key, value)
        for key, values in query.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    return urlencode(pairs)
