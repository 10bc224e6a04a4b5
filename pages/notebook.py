"""Notebook: the pinned views in order, each with its note, recomputed on the dataset in use."""

import streamlit as st

from ui import notebook
from ui.entry import through_app

through_app()

st.title("Notebook")
st.caption(
    "The views you pinned with **Add to notebook**, each recomputed on the dataset in use, with "
    "what you wrote about them. Download it, share it as one link, or run it on next month's "
    "export with `conversion notebook`."
)
notebook.page()
