"""The figures a cell's note can quote, read from its per-segment table as the KPI cards are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conversion.notebook.kinds import Figures
from conversion.presentation import report

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars as pl

    from conversion.definition import Definition


def of_described(described: pl.DataFrame, segments: Sequence[str], d: Definition) -> Figures:
    """Overall rate and counts, and the best and worst segments judged by their intervals.

    The best segment is the one whose interval's lower bound is highest, the worst the one whose
    upper bound is lowest (``report.kpis``), so a tiny lucky segment is never "best".
    """
    k = report.kpis(described, segments)
    return Figures(
        contacts=k.overall.contacts,
        customers=k.overall.customers,
        rate=k.overall.rate if k.overall.contacts else None,
        best=k.best.label if k.best else None,
        best_rate=k.best.rate if k.best else None,
        worst=k.worst.label if k.worst else None,
        worst_rate=k.worst.rate if k.worst else None,
        limits=(d.bands.moderate, d.bands.strong),
    )
