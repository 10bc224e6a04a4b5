"""Conversion by Segment: the Streamlit app's entry point — page registry and sidebar only."""

# Imported before any page runs: Altair looks pandas up in sys.modules, and two sessions' first
# runs at once could otherwise see a half-imported pandas (seen under load).
import pandas  # noqa: F401
import streamlit as st

from ui import controls, links, sidebar
from ui.entry import mark_navigation

st.set_page_config(page_title="Conversion by Segment", page_icon="📊", layout="wide")
links.display_defaults()
links.apply_link()

# The default page is served at "/", so Streamlit does not know "/segments" by itself; a hidden
# second entry for the same script answers that address (a link copied there, or typed).
page = st.navigation(
    [
        st.Page("pages/segments.py", title="Segments", url_path="home", default=True,
                icon=":material/bar_chart:"),
        st.Page("pages/segments.py", title="Segments", url_path="segments", visibility="hidden",
                icon=":material/bar_chart:"),
        st.Page("pages/data.py", title="Data", url_path="data", icon=":material/table_view:"),
        st.Page("pages/trends.py", title="Trends", url_path="trends", icon=":material/show_chart:"),
        st.Page("pages/compare.py", title="Compare", url_path="compare",
                icon=":material/compare_arrows:"),
        st.Page("pages/funnel.py", title="Funnel", url_path="funnel", icon=":material/filter_alt:"),
        st.Page("pages/guide.py", title="Guide", url_path="guide", icon=":material/menu_book:"),
    ]
)  # fmt: skip
mark_navigation()
links.show_notices()
dataset = sidebar.dataset_slot()
sidebar.show_dataset(dataset)
sidebar.own_data()  # before the page, so the page shows a new upload at once
page.run()
sidebar.show_dataset(dataset)  # again: the Data page may have switched the dataset
links.sync_url(controls.safe_bands())
