"""Every page runs through app.py's navigation, even when a deep link is a fresh server's first
request.

Streamlit treats a ``pages/`` folder beside the entry script as its legacy multipage layout until
``st.navigation`` has run once in the process. A link such as ``/trends`` opened first on a new
server therefore runs ``pages/trends.py`` on its own: no page registry, no sidebar, and the
legacy mode sticks for every later visitor. Each page calls ``through_app()`` first; when the
page runs outside the navigation, it switches the legacy mode off and runs app.py in its place,
which lands on the same page (the URL path is unchanged).
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

NAVIGATION_KEY = "_navigation_ran"
APP = Path(__file__).resolve().parent.parent / "app.py"


def mark_navigation() -> None:
    """Called by app.py right after ``st.navigation``: this run goes through the app."""
    st.session_state[NAVIGATION_KEY] = True


def through_app() -> None:
    """Run app.py instead, in this same run, if this page script was started without it.

    Running the entry script inline (rather than asking for a rerun) keeps this run's widget
    events, such as the click that started it.
    """
    if st.session_state.pop(NAVIGATION_KEY, False):
        return
    # Streamlit's own switch between the legacy and the st.navigation page layouts.
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    runpy.run_path(str(APP), run_name="__main__")
    st.stop()
