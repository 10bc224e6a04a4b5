"""P-values adjusted for multiple comparisons: Benjamini–Hochberg or Holm, NaN-aware.

A table of segments (or of candidate columns, or of cohorts) runs one test per row; this module
turns those raw p-values into adjusted ones, in the order given, so that "significant" keeps its
meaning however many rows were tested. Rows without a test (NaN) stay NaN and are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from conversion.errors import InputError

AdjustMethod = Literal["bh", "holm"]


def check_method(method: str) -> None:
    """Raise ``InputError`` unless ``method`` is a known adjustment (``"bh"`` or ``"holm"``).

    Examples
    --------
    >>> check_method("holm")
    >>> check_method("bonferroni")
    Traceback (most recent call last):
    ...
    conversion.errors.InputError: Unknown p-value adjustment 'bonferroni'; choose 'bh' or 'holm'.
    """
    if method not in ("bh", "holm"):
        raise InputError(f"Unknown p-value adjustment {method!r}; choose 'bh' or 'holm'.")


def adjust_pvalues(
    p_values: Sequence[float] | np.ndarray, method: AdjustMethod = "bh"
) -> np.ndarray:
    """P-values adjusted for multiple comparisons, in the order given.

    Parameters
    ----------
    p_values
        Raw p-values in [0, 1]; NaN entries (no test) stay NaN and do not count towards the
        number of comparisons.
    method
        ``"bh"`` for Benjamini–Hochberg (false discovery rate) or ``"holm"`` for Holm
        (family-wise error rate).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, capped at 1 and monotone in the raw p-values.

    Raises
    ------
    InputError
        For an unknown method or a p-value outside [0, 1].

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    >>> adjust_pvalues([0.01, float("nan"), 0.04], method="holm").round(3).tolist()
    [0.02, nan, 0.04]
    """
    check_method(method)
    raw = np.asarray(p_values, dtype=float).reshape(-1)
    adjusted = np.full(raw.shape, np.nan)
    tested = ~np.isnan(raw)
    p = raw[tested]
    if np.any((p < 0) | (p > 1)):
        raise InputError("P-values must lie between 0 and 1.")
    m = p.size
    if m == 0:
        return adjusted
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    rank = np.arange(1, m + 1)
    if method == "bh":
        # Step-up: each value is the smallest scaled p at its rank or above.
        scaled = np.minimum.accumulate((ranked * m / rank)[::-1])[::-1]
    else:
        # Step-down: each value is the largest scaled p at its rank or below.
        scaled = np.maximum.accumulate(ranked * (m - rank + 1))
    in_order = np.empty(m)
    in_order[order] = np.minimum(scaled, 1.0)
    adjusted[tested] = in_order
    return adjusted
