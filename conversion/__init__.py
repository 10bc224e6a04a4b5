"""Conversion by Segment: customer conversion rate per segment, with honest statistics.

The public API, for notebooks and scripts: :func:`by_segment` counts a table and returns a
:class:`SegmentRates` (the per-segment table, overall figures, warnings and charts);
:class:`Definition`, :class:`Bands` and :class:`OrdersJoin` describe what is counted, and
:class:`InputError` is the one exception for bad input. The packages below are the engine behind
the Streamlit app and the ``conversion`` command, along the data path: ``reading`` loads tables
and reads their values, ``roles`` suggests which column is which, ``sources`` turns a file or a
database table into rows, ``counting`` counts contacts and customers per segment in one lazy
query, ``analysis`` adds intervals, tests and insights, ``presentation`` builds charts, tables
and exports, and ``sharing`` makes links, snapshots and Python code (see docs/architecture.md).

Examples
--------
>>> import polars as pl
>>> import conversion
>>> leads = pl.DataFrame({"source": ["Ads", "Ads", "Web"], "won": ["yes", "no", "yes"]})
>>> conversion.by_segment(leads, "source", converted="won").overall.customers
2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conversion.definition import Bands, Definition, OrdersJoin
from conversion.errors import InputError

if TYPE_CHECKING:
    from conversion.api import SegmentRates, by_segment, funnel

__version__ = "0.1.0"

__all__ = [
    "Bands",
    "Definition",
    "InputError",
    "OrdersJoin",
    "SegmentRates",
    "by_segment",
    "funnel",
]


def __getattr__(name: str) -> object:
    # The API pulls in Altair (most of a second); the command line and the engine's modules,
    # which import this package too, should not pay for it before they use it.
    if name in ("by_segment", "SegmentRates", "funnel"):
        from conversion import api

        return getattr(api, name)
    raise AttributeError(f"module 'conversion' has no attribute {name!r}")
