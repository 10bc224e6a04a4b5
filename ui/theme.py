"""Charts that read in the theme the viewer uses: light, or Streamlit's dark theme.

Chart specs are built once, theme-free, by ``conversion.presentation.charts`` (the exports and
the HTML report are always light). In the app, a dark theme gets light text for the marks'
labels and a light grey for the reference marks (overall rate, whiskers), which are drawn in
dark grey for a white page. Band and segment colours (Okabe–Ito) read on both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from conversion.presentation.charts import OVERALL_COLOR
from ui.text import plain

if TYPE_CHECKING:
    import altair as alt

DARK_TEXT = "#FAFAFA"
DARK_REFERENCE = "#BBBBBB"


def is_dark() -> bool:
    """Whether the viewer's browser shows Streamlit's dark theme (light until it says so)."""
    return getattr(st.context.theme, "type", None) == "dark"


def themed(spec: dict[str, Any], *, dark: bool | None = None) -> dict[str, Any]:
    """``spec`` for the viewer's theme: unchanged when light; a recoloured copy when dark."""
    if not (is_dark() if dark is None else dark):
        return spec
    out = _recoloured(spec)  # a new tree: the cached spec is left as it is
    config = out.setdefault("config", {})
    config.setdefault("text", {})["color"] = DARK_TEXT
    return out


def _recoloured(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _recoloured(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_recoloured(value) for value in node]
    return DARK_REFERENCE if node == OVERALL_COLOR else node


def altair_chart(chart: alt.TopLevelMixin, summary: str | None = None, **options: Any) -> object:
    """``st.vega_lite_chart`` of an Altair chart, in the viewer's theme.

    ``summary`` is the chart's text alternative: its accessible description and a caption.
    """
    spec = chart.to_dict()
    if summary:
        spec["description"] = summary
    placed = st.vega_lite_chart(spec=themed(spec), **options)
    if summary:
        st.caption(plain(summary))
    return placed
