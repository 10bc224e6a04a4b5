"""The Trends page's charts: rate per cohort, the control chart, why it moved, time to convert.

Cohort tables come from ``report.cohort_rates`` (one row per cohort, and per segment when lines
are split), control points from ``insights.p_chart``, the decomposition from
``insights.mix_rate_decomposition`` and the curves from ``survival.kaplan_meier``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import altair as alt
import polars as pl

from conversion.presentation.charts._shared import (
    AXIS_RATE_FORMAT,
    INTERVAL_EXPR,
    OVERALL_COLOR,
    RATE_COLUMNS,
    RATE_FORMAT,
    RATE_TITLE,
    SEGMENT_COLORS,
    Period,
    inline_data,
    layered,
    rate_tooltip,
    reference_layers,
    require,
    segment_colours,
    vega_field,
)

if TYPE_CHECKING:
    from conversion.definition import Bands

IMMATURE_NOTE = "immature: not all contacts have had the full window"

# Per cohort length: the date format, and the tick interval and step (one tick per period).
_PERIOD_AXIS: dict[str, tuple[str, str, int]] = {
    "week": ("%G-W%V", "week", 1),
    "month": ("%b %Y", "month", 1),
    "quarter": ("%Y Q%q", "month", 3),
    "year": ("%Y", "year", 1),
}


def trend_chart(
    cohorts: pl.DataFrame,
    bands: Bands,
    *,
    segment: str | None = None,
    period: Period = "month",
) -> alt.LayerChart:
    """Conversion rate per cohort over time, with interval bands and band threshold lines.

    Mature cohorts are filled circles; immature cohorts (whose contacts have not all had the
    full conversion window) are hollow diamonds, and their tooltip says so.

    Parameters
    ----------
    cohorts
        One row per cohort (and segment): ``cohort`` (Date, the period start), optionally the
        segment column, ``contacts``, ``customers``, ``rate``, ``ci_low``, ``ci_high`` and
        ``mature`` (Boolean).
    bands
        Thresholds drawn as labelled horizontal rules.
    segment
        A segment column: one line per segment, coloured and listed in the legend.
    period
        The cohort length, used for the axis title and date format.

    Returns
    -------
    alt.LayerChart

    Raises
    ------
    ValueError
        When a required column is missing or the period is unknown.
    InputError
        When the segment column's name clashes with a name the chart computes.

    Examples
    --------
    >>> import datetime as dt
    >>> import polars as pl
    >>> from conversion.definition import Bands
    >>> cohorts = pl.DataFrame(
    ...     {"cohort": [dt.date(2024, 1, 1)], "contacts": [300], "customers": [36],
    ...      "rate": [0.12], "ci_low": [0.088], "ci_high": [0.162], "mature": [True]}
    ... )
    >>> trend_chart(cohorts, Bands()).to_dict()["layer"][0]["mark"]["type"]
    'area'
    """
    if period not in _PERIOD_AXIS:
        raise ValueError(f"period must be one of {', '.join(_PERIOD_AXIS)}; got {period!r}.")
    require(
        cohorts,
        ["cohort", *RATE_COLUMNS, "mature", *([segment] if segment else [])],
        "trend_chart",
    )
    x = _cohort_axis(period)
    colour = _series_colour(cohorts, segment)
    tooltip = [
        _cohort_tooltip(period),
        *rate_tooltip(cohorts, [segment] if segment else []),
        alt.Tooltip(field="_status", type="nominal", title="Status"),
    ]
    interval = (
        alt.Chart()
        .mark_area(opacity=0.15)
        .encode(
            x=x,
            y=alt.Y(field="ci_low", type="quantitative", title=RATE_TITLE),
            y2=alt.Y2(field="ci_high"),
            color=colour,
            tooltip=tooltip,
        )
    )
    line = (
        alt.Chart()
        .mark_line(strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y(
                field="rate",
                type="quantitative",
                title=RATE_TITLE,
                axis=alt.Axis(format=AXIS_RATE_FORMAT),
                scale=alt.Scale(zero=True),
            ),
            color=colour,
        )
    )
    if segment is not None:
        line = line.encode(detail=alt.Detail(field=vega_field(segment), type="nominal"))

    layers: list[alt.Chart] = [interval, line, *_cohort_points(x, colour, tooltip)]
    layers += reference_layers(bands, None, axis="y")
    return (
        layered(*layers, data=inline_data(cohorts))
        .transform_calculate(
            _interval=INTERVAL_EXPR,
            _status=f"datum.mature ? 'mature' : '{IMMATURE_NOTE}'",
        )
        .properties(width="container", height=300)
    )


def _cohort_axis(period: Period) -> alt.X:
    """The time axis of a trend: one tick per cohort, dates written for the cohort length."""
    date_format, tick_interval, tick_step = _PERIOD_AXIS[period]
    # Cohort dates travel as ISO strings, which Vega reads as UTC midnight; a UTC scale and
    # UTC formatting keep every cohort on its own date whatever the viewer's time zone.
    return alt.X(
        field="cohort",
        type="temporal",
        title=f"Cohort ({period} of contact)",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format=date_format, tickCount={"interval": tick_interval, "step": tick_step}),
    )


def _cohort_tooltip(period: Period) -> alt.Tooltip:
    """The cohort's date in a tooltip, written as on the axis (in UTC, like the axis)."""
    date_format = _PERIOD_AXIS[period][0]
    return alt.Tooltip(
        field="cohort", type="temporal", title="Cohort", format=date_format, formatType="utc"
    )


def _series_colour(cohorts: pl.DataFrame, segment: str | None) -> alt.Color | alt.ColorValue:
    """One colour for the overall line, or a colour per segment listed in the legend."""
    if segment is None:
        return alt.ColorValue(SEGMENT_COLORS[0])
    series = cohorts[segment].unique(maintain_order=True).to_list()
    return alt.Color(
        field=vega_field(segment),
        type="nominal",
        sort=series,
        title=segment,
        scale=alt.Scale(domain=series, range=segment_colours(len(series))),
        # The faint interval band would otherwise set the legend's swatches.
        legend=alt.Legend(symbolOpacity=1, symbolType="circle", orient="bottom"),
    )


def _cohort_points(
    x: alt.X, colour: alt.Color | alt.ColorValue, tooltip: list[alt.Tooltip]
) -> list[alt.Chart]:
    """Mature cohorts as filled circles, immature ones as hollow diamonds; the legend says which."""
    shape = alt.Shape(
        field="_status",
        type="nominal",
        title="Cohort",
        legend=alt.Legend(labelLimit=400, orient="bottom"),
        scale=alt.Scale(domain=["mature", IMMATURE_NOTE], range=["circle", "diamond"]),
    )
    points = alt.Chart().encode(
        x=x,
        y=alt.Y(field="rate", type="quantitative", title=RATE_TITLE),
        color=colour,
        shape=shape,
        tooltip=tooltip,
    )
    mature = points.mark_point(filled=True, size=60, opacity=1).transform_filter("datum.mature")
    immature = points.mark_point(
        filled=False, size=70, strokeWidth=2, opacity=0.7
    ).transform_filter("!datum.mature")
    return [mature, immature]


def time_to_convert_chart(km: pl.DataFrame, *, segment: str | None = None) -> alt.LayerChart:
    """Share of contacts converted by each day since contact (Kaplan–Meier), with its interval.

    Parameters
    ----------
    km
        ``survival.kaplan_meier`` output: ``days``, ``converted_share``, ``ci_low``, ``ci_high``
        and, with ``segment``, that column (one curve per segment).
    segment
        The segment column, or None for a single curve.

    Examples
    --------
    >>> km = pl.DataFrame({"days": [0, 7, 30], "converted_share": [0.0, 0.1, 0.2],
    ...                    "ci_low": [None, 0.05, 0.15], "ci_high": [None, 0.15, 0.25]})
    >>> [layer["mark"]["type"] for layer in time_to_convert_chart(km).to_dict()["layer"]]
    ['area', 'line']
    """
    require(km, ["days", "converted_share", "ci_low", "ci_high"], "time_to_convert_chart")
    x = alt.X(field="days", type="quantitative", title="Days since contact")
    y_format = alt.Axis(format=AXIS_RATE_FORMAT)
    colour: dict[str, Any] = {}
    if segment is not None:
        order = list(dict.fromkeys(km[segment].to_list()))
        colour = {
            "color": alt.Color(
                field=vega_field(segment),
                type="nominal",
                title=segment,
                sort=order,
                scale=alt.Scale(range=segment_colours(len(order))),
            )
        }
    tooltip = [
        *(
            [alt.Tooltip(field=vega_field(segment), type="nominal", title=segment)]
            if segment
            else []
        ),
        alt.Tooltip(field="days", type="quantitative", title="Day"),
        alt.Tooltip(
            field="converted_share",
            type="quantitative",
            title="Converted by then",
            format=RATE_FORMAT,
        ),
    ]
    band = (
        alt.Chart()
        .mark_area(opacity=0.15, interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y(field="ci_low", type="quantitative", title="Converted (cumulative)"),
            y2=alt.Y2(field="ci_high"),
            **colour,
        )
    )
    line = (
        alt.Chart()
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y(
                field="converted_share",
                type="quantitative",
                title="Converted (cumulative)",
                axis=y_format,
            ),
            tooltip=tooltip,
            **colour,
        )
    )
    return layered(band, line, data=inline_data(km)).properties(width="container", height=320)


def control_chart(points: pl.DataFrame, *, period: Period = "month") -> alt.LayerChart:
    """A p-chart: each cohort's rate, the centre line and its 3-sigma limits; outliers marked.

    Parameters
    ----------
    points
        ``insights.p_chart`` output for one series: ``cohort`` (Date), ``rate``, ``centre``,
        ``lcl``, ``ucl``, ``outside`` (null for immature cohorts), ``contacts``, ``customers``.

    Examples
    --------
    >>> import datetime as dt
    >>> pts = pl.DataFrame({"cohort": [dt.date(2025, 1, 1)], "rate": [0.1], "centre": [0.1],
    ...   "lcl": [0.05], "ucl": [0.15], "outside": [False], "contacts": [400], "customers": [40]})
    >>> [layer["mark"]["type"] for layer in control_chart(pts).to_dict()["layer"]]
    ['area', 'rule', 'line', 'point']
    """
    require(points, ["cohort", "rate", "centre", "lcl", "ucl", "outside"], "control_chart")
    table = points.with_columns(
        pl.when(pl.col("outside").is_null())
        .then(pl.lit("immature"))
        .when(pl.col("outside"))
        .then(pl.lit("outside the limits"))
        .otherwise(pl.lit("within the limits"))
        .alias("_status")
    )
    x = alt.X(
        field="cohort",
        type="temporal",
        title="Cohort",
        timeUnit="utcyearmonthdate",
        axis=alt.Axis(format=_PERIOD_AXIS.get(period, _PERIOD_AXIS["month"])[0]),
    )
    rate_axis = alt.Axis(format=AXIS_RATE_FORMAT)
    limits = (
        alt.Chart()
        .mark_area(opacity=0.12, color="#0072B2", interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y(field="lcl", type="quantitative", title=RATE_TITLE),
            y2=alt.Y2(field="ucl"),
        )
    )
    centre = (
        alt.Chart()
        .mark_rule(color=OVERALL_COLOR, strokeDash=[6, 4])
        .encode(y=alt.Y(field="centre", type="quantitative", aggregate="mean"))
    )
    line = (
        alt.Chart()
        .mark_line(color="#0072B2")
        .encode(x=x, y=alt.Y(field="rate", type="quantitative", title=RATE_TITLE, axis=rate_axis))
    )
    status_domain = ["within the limits", "outside the limits", "immature"]
    points_layer = (
        alt.Chart()
        .mark_point(size=70, filled=True)
        .encode(
            x=x,
            y=alt.Y(field="rate", type="quantitative"),
            color=alt.Color(
                field="_status",
                type="nominal",
                title="Cohort",
                scale=alt.Scale(domain=status_domain, range=["#0072B2", "#D55E00", "#999999"]),
            ),
            shape=alt.Shape(
                field="_status",
                type="nominal",
                title="Cohort",
                scale=alt.Scale(domain=status_domain, range=["circle", "diamond", "square"]),
            ),
            tooltip=[
                alt.Tooltip(field="cohort", type="temporal", title="Cohort", format="%b %Y"),
                alt.Tooltip(field="rate", type="quantitative", title="Rate", format=RATE_FORMAT),
                alt.Tooltip(
                    field="lcl", type="quantitative", title="Lower limit", format=RATE_FORMAT
                ),
                alt.Tooltip(
                    field="ucl", type="quantitative", title="Upper limit", format=RATE_FORMAT
                ),
                alt.Tooltip(field="_status", type="nominal", title="Status"),
            ],
        )
    )
    return layered(limits, centre, line, points_layer, data=inline_data(table)).properties(
        width="container", height=300
    )


def waterfall_chart(parts: pl.DataFrame) -> alt.LayerChart:
    """Why the overall rate moved: each segment's mix and rate effects as waterfall steps.

    Parameters
    ----------
    parts
        ``insights.mix_rate_decomposition`` output (its total row last): ``segment``,
        ``mix_effect``, ``rate_effect``.

    Examples
    --------
    >>> parts = pl.DataFrame({"segment": ["A", "B", "(total)"], "mix_effect": [0.01, -0.02, -0.01],
    ...                       "rate_effect": [0.005, 0.0, 0.005]})
    >>> [layer["mark"]["type"] for layer in waterfall_chart(parts).to_dict()["layer"]]
    ['bar', 'text']
    """
    require(parts, ["segment", "mix_effect", "rate_effect"], "waterfall_chart")
    steps: list[dict[str, Any]] = []
    running = 0.0
    body = parts.filter(pl.col("segment") != "(total)")
    for row in body.iter_rows(named=True):
        for kind in ("mix", "rate"):
            change = float(row[f"{kind}_effect"] or 0.0)
            steps.append(
                {
                    "step": f"{row['segment']} · {kind}",
                    "start": running,
                    "end": running + change,
                    "change": change,
                    "kind": f"{kind} effect",
                }
            )
            running += change
    steps.append(
        {"step": "Total change", "start": 0.0, "end": running, "change": running, "kind": "total"}
    )
    order = [s["step"] for s in steps]
    y = alt.Y(field="step", type="nominal", sort=order, title=None)
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X(
                field="start",
                type="quantitative",
                title="Change in the overall rate (points)",
                axis=alt.Axis(format="+.1%"),
            ),
            x2=alt.X2(field="end"),
            y=y,
            color=alt.Color(
                field="kind",
                type="nominal",
                title="Effect",
                scale=alt.Scale(
                    domain=["mix effect", "rate effect", "total"],
                    range=["#E69F00", "#0072B2", "#444444"],
                ),
            ),
            tooltip=[
                alt.Tooltip(field="step", type="nominal", title="Step"),
                alt.Tooltip(field="change", type="quantitative", title="Change", format="+.2%"),
            ],
        )
    )
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=4, fontSize=10)
        .encode(
            x=alt.X(field="end", type="quantitative"),
            y=y,
            text=alt.Text(field="change", type="quantitative", format="+.2%"),
        )
    )
    return layered(bars, labels, data=alt.Data(values=steps)).properties(
        width="container", height=alt.Step(22)
    )
