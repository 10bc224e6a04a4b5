"""The sidebar on every page: the dataset in use, and "Use your own data" from the first screen.

An analyst's first wish is their own file, so the uploaders sit here rather than two steps away
on the Data page. An upload is read before the page runs, so the page already shows it; the
app then says in one line what it took (who counts as a customer, how many rows, which column
it breaks down by) and opens Segments. The Data page stays the place to correct the roles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import streamlit as st

from ui import controls, state
from ui.text import plain

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from conversion.definition import Definition
    from ui.datasets import Dataset

SUMMARY_KEY = "_upload_summary"
SEGMENTS_PAGE = "pages/segments.py"


def dataset_slot() -> DeltaGenerator:
    """A place at the top of the sidebar for the dataset in use, filled by ``show_dataset``."""
    return st.sidebar.empty()


def show_dataset(slot: DeltaGenerator) -> None:
    """The dataset in use (and what an upload was taken as) in ``slot``."""
    data = state.dataset()
    with slot.container():
        st.caption("Dataset in use")
        st.markdown(f"**{plain(data.name)}**")
        if data.orders is not None:
            st.caption(f"joined to {plain(data.orders.name)}")
        summary = st.session_state.get(SUMMARY_KEY)
        if data.kind == "upload" and summary and summary[0] == data.key:
            st.caption(summary[1])


def own_data() -> None:
    """The uploaders; a new upload becomes the dataset and the app opens Segments on it."""
    data = state.dataset()
    with st.sidebar.expander("Use your own data", expanded=data.kind == "sample"):
        uploaded = st.file_uploader(
            "Contacts / leads file",
            type=controls.UPLOAD_TYPES,
            key="side_upload",
            help="CSV, TSV, Excel, Parquet or JSON, as a CRM or ad platform exports it. The "
            "file stays in your session.",
        )
        orders_file = st.file_uploader(
            "Orders or won deals (optional)",
            type=controls.UPLOAD_TYPES,
            key="side_orders",
            help="Joined on a key column; a contact with a matching row is a customer.",
        )
        if uploaded is None:
            st.caption("Without a file, the app shows a bundled sample.")
            return
        if controls.take_upload(uploaded, orders_file, sheet_key="side_sheet"):
            taken = state.dataset()
            st.session_state[SUMMARY_KEY] = (taken.key, summary_line(taken, state.definition()))
            st.switch_page(SEGMENTS_PAGE)


def summary_line(data: Dataset, d: Definition) -> str:
    """One line on what an upload was taken as, in Markdown with names escaped.

    Example: "customer = flag column `Converted`; 150 rows; by `Lead Source`; change on the
    Data page".
    """
    if d.pre_aggregated:
        customer = "already counted (contacts and customers columns)"
    elif d.converted:
        customer = f"customer = flag column {_name(d.converted)}"
    elif d.orders is not None:
        customer = f"customer = has a row in {plain(data.orders.name if data.orders else '')}"
    elif d.converted_date:
        customer = f"customer = a date in {_name(d.converted_date)}"
    else:
        customer = "no column says who became a customer: choose one"
    rows = data.contacts.frame.select(pl.len()).collect().item()
    parts = [customer, f"{rows:,} rows"]
    if d.segments:
        parts.append("by " + " × ".join(_name(s) for s in d.segments))
    return "; ".join(parts) + "; change on the Data page"


def _name(column: str) -> str:
    """A column name as inline code; a backtick inside it cannot end the code span."""
    return "`" + column.replace("`", "'") + "`"
