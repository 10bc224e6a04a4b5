"""The one exception type for bad input, and the wording of counts in its messages."""

from __future__ import annotations


class InputError(ValueError):
    """Input the engine cannot count correctly.

    The message says which file or column is at fault, which values, and what to do.
    The app shows it with ``st.error``; the command line prints it on stderr and exits 2.
    """


def n(count: int, noun: str) -> str:
    """A count with its noun: n(1, "row") -> "1 row", n(1200, "row") -> "1,200 rows"."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def verb(count: int, singular: str, plural: str) -> str:
    """The verb form that agrees with ``count``: verb(2, "does", "do") -> "do"."""
    return singular if count == 1 else plural
