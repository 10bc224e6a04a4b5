"""Which dataset this session counts, and the definition it counts it with.

Both live in ``st.session_state``, so one analyst's data never reaches another session. The
datasets themselves are built in ``ui.datasets``, uploads read in ``ui.uploads`` and results
cached in ``ui.results``.
"""

from __future__ import annotations

import streamlit as st

from conversion.definition import Definition
from conversion.errors import InputError
from conversion.reading.samples import DEFAULT_SAMPLE
from conversion.roles import complete_definition
from ui.datasets import Dataset, sample_dataset


def dataset() -> Dataset:
    """The dataset in use; the default sample until the analyst picks or uploads another."""
    if "dataset" not in st.session_state:
        use_dataset(sample_dataset(DEFAULT_SAMPLE))
    return st.session_state["dataset"]


def use_dataset(new: Dataset, definition: Definition | None = None) -> None:
    """Switch to ``new`` and reset the column roles to its defaults."""
    st.session_state["dataset"] = new
    st.session_state["definition"] = definition or default_definition(new)
    st.session_state["roles_version"] = st.session_state.get("roles_version", 0) + 1


def default_definition(data: Dataset) -> Definition:
    """The sample's own definition, or the detected roles (the command line's defaults too).

    When detection is not sure which column says who became a customer, the definition says
    nothing about it, and counting then asks the analyst to choose on the Data page.
    """
    if data.sample is not None:
        return data.sample.definition
    start = Definition(segments=data.roles.segments[:1])
    try:
        completed, _ = complete_definition(start, data.roles, source=data.name)
    except InputError:
        return start
    return completed


def definition() -> Definition:
    """The definition in use (the dataset's default until the analyst changes a role)."""
    dataset()
    return st.session_state["definition"]


def set_definition(new: Definition) -> None:
    st.session_state["definition"] = new
