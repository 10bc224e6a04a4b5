"""The one exception type for bad input, carrying a message written for the analyst."""

from __future__ import annotations


class InputError(ValueError):
    """Input the engine cannot count correctly.

    The message says which file or column is at fault, which values, and what to do.
    The app shows it with ``st.error``; the command line prints it on stderr and exits 2.
    """
