"""Checks and small helpers every insight module uses: count checks, rates, test names, points.

Insights take small aggregated tables from the analyst's code or the app; these checks turn a
missing column or an impossible count into an ``InputError`` that names the table at fault.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from conversion.errors import InputError

TEST_NAMES = {
    "z": "pooled two-proportion z-test",
    "fisher": "Fisher's exact test",
}
"""Full names of the two-proportion tests of ``stats.two_proportion_test``, by its short code."""


def check_columns(table: pl.DataFrame, wanted: Sequence[str], what: str) -> None:
    """Raise ``InputError`` naming ``what`` when ``table`` lacks any of the ``wanted`` columns."""
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise InputError(
            f"{what} needs the column(s) {', '.join(missing)}; it has {', '.join(table.columns)}."
        )


def count_arrays(table: pl.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``customers`` and ``contacts`` as float arrays, after checking they are possible counts."""
    check_columns(table, ["contacts", "customers"], what)
    for name in ("contacts", "customers"):
        dtype = table.schema[name]
        if not dtype.is_integer():
            raise InputError(f"The {name!r} column of {what} must hold whole numbers; not {dtype}.")
        if table[name].null_count():
            raise InputError(f"The {name!r} column of {what} has empty cells.")
    customers = table["customers"].to_numpy().astype(float)
    contacts = table["contacts"].to_numpy().astype(float)
    if np.any(customers < 0) or np.any(customers > contacts):
        raise InputError(f"In {what}, customers must lie between 0 and the number of contacts.")
    return customers, contacts


def segment_text(column: str) -> pl.Expr:
    """A segment column's values as text, an empty cell as ``(missing)`` as the engine labels it."""
    return pl.col(column).cast(pl.String).fill_null("(missing)")


def rate(customers: float, contacts: float) -> float:
    """``customers / contacts``, NaN without contacts."""
    return customers / contacts if contacts else math.nan


def points(difference: float) -> str:
    """A difference of rates in percentage points, signed: ``+5.0 points``."""
    return f"{difference * 100:+.1f} points"
