"""Tests for conversion.charts: the Vega-Lite each builder emits, and that it renders."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any

import altair as alt
import polars as pl
import pytest
import vl_convert as vlc

from conversion.definition import BAND_PRESETS, Bands
from conversion.errors import InputError
from conversion.presentation import charts

SEGMENTS = ["Organic", "Paid", "Referral", "Partner", "Events"]
# Hand-typed rates; the intervals are made-up values, only their placement is under test.
TABLE = pl.DataFrame(
    {
        "source": SEGMENTS,
        "contacts": [800, 500, 120, 40, 12],
        "customers": [120, 45, 30, 3, 0],
        "rate": [0.15, 0.09, 0.25, 0.075, 0.0],
        "ci_low": [0.127, 0.068, 0.181, 0.026, 0.0],
        "ci_high": [0.176, 0.118, 0.334, 0.199, 0.243],
        "band": ["moderate", "poor", "strong", "poor", "poor"],
        "p_adjusted": [0.21, 0.03, None, 0.9, 0.5],
        "significant": [False, True, False, False, False],
        "low_sample": [False, False, False, True, True],
    },
    schema_overrides={"p_adjusted": pl.Float64},
)


def layers(chart: alt.TopLevelMixin) -> list[dict[str, Any]]:
    return chart.to_dict()["layer"]


def mark(layer: dict[str, Any]) -> str:
    return layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]


def layers_of(chart: alt.TopLevelMixin, mark_type: str) -> list[dict[str, Any]]:
    return [layer for layer in layers(chart) if mark(layer) == mark_type]


def rule_values(chart: alt.TopLevelMixin, field: str) -> list[float]:
    """The values of the reference rules that carry their position in ``field``."""
    return [
        row[field]
        for layer in layers_of(chart, "rule")
        for row in layer["data"]["values"]
        if field in row
    ]


def reference_labels(chart: alt.TopLevelMixin) -> list[str]:
    return [
        row["label"]
        for layer in layers_of(chart, "text")
        if "data" in layer
        for row in layer["data"]["values"]
    ]


def tooltip_fields(layer: dict[str, Any]) -> list[str]:
    return [entry["field"] for entry in layer["encoding"]["tooltip"]]


def render(chart: alt.TopLevelMixin) -> str:
    svg = vlc.vegalite_to_svg(chart.to_json())
    assert svg.lstrip().startswith("<svg")
    return svg


# --- palette ------------------------------------------------------------------------------


def test_band_colors_map_labels_to_okabe_ito_by_position() -> None:
    assert charts.band_colors(Bands()) == (
        ["strong", "moderate", "poor"],
        ["#009E73", "#E69F00", "#D55E00"],
    )
    domain, colours = charts.band_colors(BAND_PRESETS["ecommerce"])
    assert domain == ["top", "average", "below average"]
    assert colours == [charts.PALETTE[0], charts.PALETTE[1], charts.PALETTE[2]]


# --- bar chart ----------------------------------------------------------------------------


def test_bar_chart_layers_encodings_and_order() -> None:
    chart = charts.bar_chart(TABLE, "source", Bands(), 0.134)
    assert {mark(layer) for layer in layers(chart)} == {"bar", "errorbar", "rule", "text"}
    (bars,) = layers_of(chart, "bar")
    assert bars["encoding"]["x"]["field"] == "rate"
    assert bars["encoding"]["x"]["axis"]["format"] == ".0%"
    assert bars["encoding"]["x"]["title"] == "Conversion rate"
    assert bars["encoding"]["y"]["field"] == "source"
    assert bars["encoding"]["y"]["sort"] == SEGMENTS
    assert bars["encoding"]["color"]["field"] == "band"
    assert bars["encoding"]["color"]["scale"]["domain"] == ["strong", "moderate", "poor"]
    assert bars["encoding"]["color"]["scale"]["range"] == ["#009E73", "#E69F00", "#D55E00"]


def test_bar_chart_keeps_caller_order_not_alphabetical() -> None:
    reordered = TABLE.reverse()
    chart = charts.bar_chart(reordered, "source", Bands())
    (bars,) = layers_of(chart, "bar")
    assert bars["encoding"]["y"]["sort"] == list(reversed(SEGMENTS))
    assert [row["source"] for row in chart.to_dict()["data"]["values"]] == list(reversed(SEGMENTS))


def test_bar_chart_error_bars_span_the_interval() -> None:
    (error_bars,) = layers_of(charts.bar_chart(TABLE, "source", Bands()), "errorbar")
    assert error_bars["encoding"]["x"]["field"] == "ci_low"
    assert error_bars["encoding"]["x2"]["field"] == "ci_high"
    assert error_bars["encoding"]["y"]["sort"] == SEGMENTS


def test_bar_chart_default_thresholds_and_labels() -> None:
    chart = charts.bar_chart(TABLE, "source", Bands())
    assert rule_values(chart, "threshold") == [0.20, 0.10]
    assert rule_values(chart, "overall") == []
    assert reference_labels(chart) == ["strong ≥ 20%", "moderate ≥ 10%"]


def test_bar_chart_ecommerce_thresholds() -> None:
    ecommerce = TABLE.with_columns(
        band=pl.Series(["top", "average", "top", "average", "below average"])
    )
    chart = charts.bar_chart(ecommerce, "source", BAND_PRESETS["ecommerce"])
    assert rule_values(chart, "threshold") == [0.10, 0.02]
    assert reference_labels(chart) == ["top ≥ 10%", "average ≥ 2%"]
    (bars,) = layers_of(chart, "bar")
    assert bars["encoding"]["color"]["scale"]["domain"] == ["top", "average", "below average"]


def test_bar_chart_custom_thresholds() -> None:
    chart = charts.bar_chart(TABLE, "source", Bands.custom(25, 12.5))
    assert rule_values(chart, "threshold") == [0.25, 0.125]
    assert reference_labels(chart) == ["strong ≥ 25%", "moderate ≥ 12.5%"]


def test_bar_chart_overall_rule_is_dashed_and_labelled() -> None:
    chart = charts.bar_chart(TABLE, "source", Bands(), overall_rate=0.134)
    assert rule_values(chart, "overall") == [0.134]
    (overall,) = [
        layer for layer in layers_of(chart, "rule") if "overall" in layer["encoding"]["x"]["field"]
    ]
    assert overall["mark"]["strokeDash"] == [6, 4]
    assert "overall 13.4%" in reference_labels(chart)


def test_bar_chart_band_is_told_by_text_not_only_colour() -> None:
    chart = charts.bar_chart(TABLE, "source", Bands())
    label_layers = [layer for layer in layers_of(chart, "text") if "data" not in layer]
    # The label is the full "_label", or on a narrow chart the rate and the band.
    (text,) = [layer["mark"]["text"]["expr"] for layer in label_layers]
    assert "datum._label" in text and "datum.band" in text
    label_expr = next(
        step["calculate"] for step in chart.to_dict()["transform"] if step["as"] == "_label"
    )
    assert "datum.band" in label_expr
    assert "small sample" in label_expr
    (bars,) = layers_of(chart, "bar")
    assert "band" in tooltip_fields(bars)
    assert bars["encoding"]["color"]["title"] == "Band"


def test_bar_chart_tooltips() -> None:
    (bars,) = layers_of(charts.bar_chart(TABLE, "source", Bands()), "bar")
    tooltip = {entry["field"]: entry for entry in bars["encoding"]["tooltip"]}
    assert list(tooltip)[:5] == ["source", "contacts", "customers", "rate", "_interval"]
    assert tooltip["rate"]["format"] == ".1%"
    assert tooltip["contacts"]["title"] == "Contacts (n)"
    assert {"band", "p_adjusted", "significant", "low_sample"} <= set(tooltip)


def test_bar_chart_not_selectable_by_default() -> None:
    spec = charts.bar_chart(TABLE, "source", Bands()).to_dict()
    assert "params" not in spec


def test_bar_chart_selectable_adds_pick_on_segment() -> None:
    chart = charts.bar_chart(TABLE, "source", Bands(), selectable=True, title="By source")
    spec = chart.to_dict()
    (pick,) = spec["params"]
    assert pick["name"] == "pick"
    assert pick["select"] == {"type": "point", "fields": ["source"]}
    (bars,) = layers_of(chart, "bar")
    assert bars["encoding"]["opacity"]["condition"][0]["param"] == "pick"
    assert spec["title"] == "By source"
    assert charts.selection_field("source") == "source"


def test_bar_chart_segment_name_with_a_dot() -> None:
    dotted = TABLE.rename({"source": "utm.source"})
    chart = charts.bar_chart(dotted, "utm.source", Bands(), selectable=True)
    spec = chart.to_dict()
    (bars,) = layers_of(chart, "bar")
    assert bars["encoding"]["y"]["field"] == "utm\\.source"
    assert bars["encoding"]["y"]["title"] == "utm.source"
    assert spec["params"][0]["select"]["fields"] == ["utm_source"]
    assert spec["data"]["values"][0]["utm_source"] == "Organic"
    # The escaped field keeps its values: every segment name reaches the rendered axis.
    svg = render(chart)
    assert all(f">{name}<" in svg for name in SEGMENTS)


def test_bar_chart_renders_with_labels() -> None:
    svg = render(charts.bar_chart(TABLE, "source", Bands(), 0.134, selectable=True))
    for text in ("strong ≥ 20%", "moderate ≥ 10%", "overall 13.4%", "Conversion rate", "Band"):
        assert text in svg
    assert "25.0%  strong" in svg or "25.0% strong" in svg.replace("\xa0", " ")
    wide = render(charts.bar_chart(TABLE, "source", Bands(), 0.134).properties(width=700))
    assert "small sample" in wide
    narrow = render(charts.bar_chart(TABLE, "source", Bands(), 0.134).properties(width=300))
    assert "· small sample" in wide and "· small sample" not in narrow
    assert re.search(r">25\.0% strong<", narrow.replace("\xa0", " "))


def test_bar_chart_is_container_width_and_json_safe() -> None:
    with_nan = TABLE.with_columns(rate=pl.Series([0.15, float("nan"), 0.25, 0.075, 0.0]))
    chart = charts.bar_chart(with_nan, "source", Bands())
    spec = json.loads(chart.to_json())
    assert spec["width"] == "container"
    assert spec["data"]["values"][1]["rate"] is None
    assert spec["data"]["values"][1]["p_adjusted"] == 0.03


def test_user_text_is_data_not_markup() -> None:
    hostile = TABLE.with_columns(
        source=pl.Series(["<b>bold</b>", "{rate}", "a'b", "%s", "(missing)"])
    )
    chart = charts.bar_chart(hostile, "source", Bands())
    svg = render(chart)
    assert "<b>bold</b>" not in svg
    assert "&lt;b&gt;bold&lt;/b&gt;" in svg
    assert "{rate}" in svg
    # No user value appears inside a Vega expression.
    expressions = " ".join(step["calculate"] for step in chart.to_dict()["transform"])
    assert "bold" not in expressions
    assert "a'b" not in expressions


def test_missing_column_and_reserved_name() -> None:
    with pytest.raises(ValueError, match="band"):
        charts.bar_chart(TABLE.drop("band"), "source", Bands())
    with pytest.raises(InputError, match="_label"):
        charts.bar_chart(TABLE.rename({"source": "_label"}), "_label", Bands())


# --- pie chart ----------------------------------------------------------------------------


def test_pie_chart_donut_share_of_customers() -> None:
    chart = charts.pie_chart(TABLE, "source")
    (arcs,) = layers_of(chart, "arc")
    assert arcs["mark"]["innerRadius"] == 60
    assert arcs["encoding"]["theta"]["field"] == "customers"
    assert arcs["encoding"]["color"]["field"] == "source"
    assert arcs["encoding"]["color"]["sort"] == SEGMENTS
    assert arcs["encoding"]["color"]["scale"]["domain"] == SEGMENTS
    assert arcs["encoding"]["color"]["scale"]["range"][:2] == ["#0072B2", "#E69F00"]
    assert arcs["encoding"]["order"] == {
        "field": "_order",
        "type": "quantitative",
        "sort": "ascending",
    }
    assert [row["_order"] for row in chart.to_dict()["data"]["values"]] == [0, 1, 2, 3, 4]
    assert tooltip_fields(arcs) == ["source", "customers", "_share", "rate"]
    shares = {entry["field"]: entry for entry in arcs["encoding"]["tooltip"]}
    assert shares["_share"]["format"] == ".1%"
    assert shares["_share"]["title"] == "Share of customers"
    (labels,) = layers_of(chart, "text")
    assert labels["encoding"]["text"]["field"] == "_label"


def test_pie_chart_contacts_without_hole() -> None:
    chart = charts.pie_chart(TABLE, "source", "contacts", donut=False)
    (arcs,) = layers_of(chart, "arc")
    assert "innerRadius" not in arcs["mark"]
    assert arcs["encoding"]["theta"]["field"] == "contacts"
    assert chart.to_dict()["transform"][0] == {
        "joinaggregate": [{"op": "sum", "field": "contacts", "as": "_total"}]
    }


def test_pie_chart_renders_share_labels() -> None:
    svg = render(charts.pie_chart(TABLE, "source"))
    # 120 of 198 customers come from Organic; Events (0 customers) gets no label.
    assert "60.6%" in svg
    assert "22.7%" in svg
    assert ">0.0%<" not in svg
    # Slices run clockwise from twelve o'clock in row order: Organic's label is on the right.
    organic = re.search(r"translate\(([\d.]+),[\d.]+\)[^>]*>60\.6%<", svg)
    assert organic is not None
    assert float(organic.group(1)) > 150


def test_pie_chart_rejects_unknown_share() -> None:
    with pytest.raises(ValueError, match="share"):
        charts.pie_chart(TABLE, "source", "rate")  # type: ignore[arg-type]


# --- heatmap ------------------------------------------------------------------------------

CROSS = pl.DataFrame(
    {
        "source": ["Organic", "Organic", "Paid", "Paid"],
        "device": ["mobile", "desktop", "mobile", "desktop"],
        "contacts": [365, 435, 200, 300],
        "customers": [45, 75, 10, 35],
        "rate": [45 / 365, 75 / 435, 10 / 200, 35 / 300],
        "ci_low": [0.093, 0.140, 0.028, 0.085],
        "ci_high": [0.161, 0.210, 0.090, 0.158],
        "band": ["moderate", "moderate", "poor", "moderate"],
    }
)


def test_heatmap_cells_and_text() -> None:
    chart = charts.heatmap(CROSS, "source", "device", Bands())
    assert [mark(layer) for layer in layers(chart)] == ["rect", "text"]
    rect, text = layers(chart)
    assert rect["encoding"]["x"]["field"] == "device"
    assert rect["encoding"]["x"]["sort"] == ["mobile", "desktop"]
    assert rect["encoding"]["y"]["field"] == "source"
    assert rect["encoding"]["y"]["sort"] == ["Organic", "Paid"]
    assert rect["encoding"]["color"]["field"] == "rate"
    assert rect["encoding"]["color"]["scale"] == {"scheme": "viridis", "domain": [0, 0.2]}
    assert rect["encoding"]["color"]["legend"]["values"] == [0.0, 0.1, 0.2]
    assert text["encoding"]["text"]["field"] == "_cell"
    assert text["mark"]["lineBreak"] == "\n"
    assert {"source", "device", "contacts", "customers", "rate", "_interval", "band"} <= set(
        tooltip_fields(rect)
    )


def test_heatmap_renders_rate_and_counts() -> None:
    svg = render(charts.heatmap(CROSS, "source", "device", Bands()))
    assert "12.3%" in svg
    assert "(45/365)" in svg
    assert "(10/200)" in svg


def test_heatmap_needs_two_columns() -> None:
    with pytest.raises(ValueError, match="two different"):
        charts.heatmap(CROSS, "source", "source", Bands())


# --- trend chart --------------------------------------------------------------------------


def cohorts(with_segment: bool) -> pl.DataFrame:
    months = [dt.date(2024, month, 1) for month in range(1, 5)]
    table = pl.DataFrame(
        {
            "cohort": months * 2,
            "source": ["Organic"] * 4 + ["Paid"] * 4,
            "contacts": [100] * 8,
            "customers": [15, 16, 14, 9, 8, 9, 10, 4],
            "rate": [0.15, 0.16, 0.14, 0.09, 0.08, 0.09, 0.10, 0.04],
            "ci_low": [0.09, 0.10, 0.08, 0.05, 0.04, 0.05, 0.06, 0.02],
            "ci_high": [0.23, 0.24, 0.22, 0.16, 0.15, 0.16, 0.17, 0.10],
            "mature": [True, True, True, False] * 2,
        }
    )
    if with_segment:
        return table
    return table.filter(pl.col("source") == "Organic").drop("source")


def test_trend_chart_overall() -> None:
    chart = charts.trend_chart(cohorts(False), Bands())
    marks = [mark(layer) for layer in layers(chart)]
    assert marks[:4] == ["area", "line", "point", "point"]
    assert marks.count("rule") == 2
    area, line = layers(chart)[:2]
    assert area["encoding"]["y"]["field"] == "ci_low"
    assert area["encoding"]["y2"]["field"] == "ci_high"
    assert area["mark"]["opacity"] < 0.5
    assert line["encoding"]["x"]["field"] == "cohort"
    assert line["encoding"]["x"]["type"] == "temporal"
    assert line["encoding"]["x"]["axis"]["format"] == "%b %Y"
    assert line["encoding"]["y"]["field"] == "rate"
    assert "field" not in line["encoding"]["color"]
    assert rule_values(chart, "threshold") == [0.20, 0.10]
    # Dates travel as ISO strings.
    assert chart.to_dict()["data"]["values"][0]["cohort"] == "2024-01-01"


def test_trend_chart_immature_cohorts_are_hollow_and_explained() -> None:
    chart = charts.trend_chart(cohorts(False), Bands())
    mature, immature = layers_of(chart, "point")
    assert mature["mark"]["filled"] is True
    assert immature["mark"]["filled"] is False
    assert mature["transform"] == [{"filter": "datum.mature"}]
    assert immature["transform"] == [{"filter": "!datum.mature"}]
    assert immature["encoding"]["shape"]["scale"]["domain"] == ["mature", charts.IMMATURE_NOTE]
    assert "_status" in tooltip_fields(immature)
    assert charts.IMMATURE_NOTE == "immature: not all contacts have had the full window"
    svg = render(chart)
    assert charts.IMMATURE_NOTE in svg


def test_trend_chart_by_segment_with_ecommerce_bands() -> None:
    chart = charts.trend_chart(
        cohorts(True), BAND_PRESETS["ecommerce"], segment="source", period="quarter"
    )
    (line,) = layers_of(chart, "line")
    assert line["encoding"]["color"]["field"] == "source"
    assert line["encoding"]["color"]["sort"] == ["Organic", "Paid"]
    assert line["encoding"]["x"]["axis"]["format"] == "%Y Q%q"
    assert rule_values(chart, "threshold") == [0.10, 0.02]
    assert "source" in tooltip_fields(layers_of(chart, "point")[0])
    svg = render(chart)
    assert "2024 Q1" in svg
    assert "Jan 2024" not in svg


def test_trend_chart_renders_month_labels() -> None:
    svg = render(charts.trend_chart(cohorts(True), Bands(), segment="source"))
    for text in ("Jan 2024", "Apr 2024", "strong ≥ 20%", "Organic", "Paid"):
        assert text in svg


def test_trend_chart_rejects_unknown_period() -> None:
    with pytest.raises(ValueError, match="period"):
        charts.trend_chart(cohorts(False), Bands(), period="day")  # type: ignore[arg-type]


# --- difference chart ---------------------------------------------------------------------


def test_difference_chart_points_with_intervals() -> None:
    rows = (
        TABLE.head(2)
        .rename({"source": "segment"})
        .select("segment", "contacts", "customers", "rate", "ci_low", "ci_high")
    )
    chart = charts.difference_chart(rows)
    assert [mark(layer) for layer in layers(chart)] == ["errorbar", "point", "text"]
    error_bars, points, _ = layers(chart)
    assert error_bars["encoding"]["y"]["field"] == "ci_low"
    assert error_bars["encoding"]["y2"]["field"] == "ci_high"
    assert points["encoding"]["y"]["field"] == "rate"
    assert points["encoding"]["x"]["sort"] == ["Organic", "Paid"]
    assert tooltip_fields(points) == [
        "segment",
        "contacts",
        "customers",
        "rate",
        "_interval",
    ]
    svg = render(chart)
    assert "15.0% (12.7% – 17.6%)" in svg
    assert "9.0% (6.8% – 11.8%)" in svg


def _layers(chart) -> list[dict]:
    return chart.to_dict()["layer"]


def test_time_to_convert_chart_draws_step_curves_per_segment():
    km = pl.DataFrame(
        {
            "source": ["A", "A", "B"],
            "days": [0, 7, 7],
            "converted_share": [0.0, 0.2, 0.1],
            "ci_low": [None, 0.1, 0.05],
            "ci_high": [None, 0.3, 0.2],
        }
    )
    area, line = _layers(charts.time_to_convert_chart(km, segment="source"))
    assert (area["mark"]["type"], line["mark"]["type"]) == ("area", "line")
    assert line["mark"]["interpolate"] == "step-after"
    assert line["encoding"]["y"]["field"] == "converted_share"
    assert line["encoding"]["color"]["field"] == "source"
    assert (area["encoding"]["y"]["field"], area["encoding"]["y2"]["field"]) == (
        "ci_low",
        "ci_high",
    )


def test_control_chart_marks_points_outside_the_limits_and_immature_cohorts():
    points = pl.DataFrame(
        {
            "cohort": [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)],
            "rate": [0.10, 0.30, 0.12],
            "centre": [0.12, 0.12, None],
            "lcl": [0.05, 0.05, None],
            "ucl": [0.19, 0.19, None],
            "outside": [False, True, None],
            "contacts": [400, 410, 90],
            "customers": [40, 123, 11],
        }
    )
    chart = charts.control_chart(points)
    limits, centre, _, dots = _layers(chart)
    assert (limits["encoding"]["y"]["field"], limits["encoding"]["y2"]["field"]) == ("lcl", "ucl")
    assert centre["mark"]["type"] == "rule"
    statuses = [row["_status"] for row in chart.to_dict()["data"]["values"]]
    assert statuses == ["within the limits", "outside the limits", "immature"]
    assert dots["encoding"]["shape"]["field"] == "_status"


def test_waterfall_steps_add_up_to_the_total_change():
    parts = pl.DataFrame(
        {
            "segment": ["A", "B", "(total)"],
            "mix_effect": [0.01, -0.02, -0.01],
            "rate_effect": [0.005, 0.002, 0.007],
        }
    )
    steps = charts.waterfall_chart(parts).to_dict()["data"]["values"]
    assert [s["step"] for s in steps] == [
        "A · mix",
        "A · rate",
        "B · mix",
        "B · rate",
        "Total change",
    ]
    assert steps[-1]["end"] == pytest.approx(-0.003)
    for before, after in itertools.pairwise(steps[:-1]):
        assert after["start"] == pytest.approx(before["end"])
