"""Charts in the dark theme: light text and reference marks, the cached light spec untouched."""

from __future__ import annotations

from conversion.definition import Bands
from conversion.presentation import charts
from tests.test_charts import TABLE
from ui.theme import DARK_REFERENCE, DARK_TEXT, themed


def test_a_dark_theme_recolours_a_copy_and_leaves_the_light_spec_as_it_was():
    spec = charts.bar_chart(TABLE, "source", Bands(), 0.13).to_dict()
    before = repr(spec)
    dark = themed(spec, dark=True)
    assert repr(spec) == before
    assert charts.OVERALL_COLOR in before and charts.OVERALL_COLOR not in repr(dark)
    assert DARK_REFERENCE in repr(dark)
    assert dark["config"]["text"]["color"] == DARK_TEXT
    assert themed(spec, dark=False) is spec
