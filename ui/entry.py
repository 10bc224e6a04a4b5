"""Every page runs through app.py's navigation, even when a deep link is a fresh server's first
request.

Streamlit treats a ``pages/`` folder beside the entry script as its legacy multipage layout until
``st.navigation`` has run once in the process. A link such as ``/trends`` opened first on a new
server therefore runs ``pages/trends.py`` on its own: no page registry, no sidebar, and the
legacy mode sticks for every later visitor. Each page calls ``through_app()`` first; when the
page runs outside the navigation, it switches the legacy mode off and reruns, which goes through
app.py and lands on the same page (the URL path is unchanged).
"""

from __future__ import annotations

import streamlit as st

NAVIGATION_KEY = "_navigation_ran"


def mark_navigation() -> None:
    """Called by app.py right after ``st.navigation``: this run goes through the app."""
    st.session_state[NAVIGATION_KEY] = True


def through_app() -> None:
    """Rerun through app.py if this page script was started without it."""
    if st.session_state.pop(NAVIGATION_KEY, False):
        return
    # Streamlit's own switch between the legacy and the st.navigation page layouts.
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()
