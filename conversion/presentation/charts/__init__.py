"""Altair chart builders: pure functions from a small per-segment table to a Vega-Lite chart.

Every builder takes the small table the engine returns (one row per segment or cohort) and
gives back an Altair chart; nothing here reads rows of raw data or knows about Streamlit.
Colours come from colour-blind-safe palettes, and every colour is backed by text (a label, a
legend entry, a tooltip), so no reading depends on colour alone.

The builders are grouped by the page that shows them: :mod:`.segments` (bars, share, two-way
grid), :mod:`.trends` (cohorts, control chart, why it moved, time to convert) and
:mod:`.compare` (two segments); the palettes and the helpers they share are in ``_shared``.

Examples
--------
>>> import polars as pl
>>> from conversion.definition import Bands
>>> table = pl.DataFrame(
...     {
...         "source": ["Organic", "Paid"],
...         "contacts": [800, 500],
...         "customers": [120, 45],
...         "rate": [0.15, 0.09],
...         "ci_low": [0.13, 0.07],
...         "ci_high": [0.18, 0.12],
...         "band": ["moderate", "poor"],
...     }
... )
>>> chart = bar_chart(table, "source", Bands(), overall_rate=0.127)
>>> sorted({layer["mark"]["type"] for layer in chart.to_dict()["layer"]})
['bar', 'errorbar', 'rule', 'text']
"""

from conversion.presentation.charts._shared import (
    AXIS_RATE_FORMAT,
    COUNT_FORMAT,
    OVERALL_COLOR,
    PALETTE,
    RATE_FORMAT,
    SEGMENT_COLORS,
    Period,
    band_colors,
)
from conversion.presentation.charts.changes import change_chart
from conversion.presentation.charts.compare import difference_chart
from conversion.presentation.charts.segments import bar_chart, heatmap, pie_chart, selection_field
from conversion.presentation.charts.trends import (
    IMMATURE_NOTE,
    control_chart,
    time_to_convert_chart,
    trend_chart,
    waterfall_chart,
)

__all__ = [
    "AXIS_RATE_FORMAT",
    "COUNT_FORMAT",
    "IMMATURE_NOTE",
    "OVERALL_COLOR",
    "PALETTE",
    "RATE_FORMAT",
    "SEGMENT_COLORS",
    "Period",
    "band_colors",
    "bar_chart",
    "change_chart",
    "control_chart",
    "difference_chart",
    "heatmap",
    "pie_chart",
    "selection_field",
    "time_to_convert_chart",
    "trend_chart",
    "waterfall_chart",
]
