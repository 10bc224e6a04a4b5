"""The Compare page's chart: two segments' rates side by side, each with its Wilson interval."""

from __future__ import annotations

import altair as alt
import polars as pl

from conversion.presentation.charts._shared import (
    AXIS_RATE_FORMAT,
    INTERVAL_EXPR,
    RATE_COLUMNS,
    RATE_FORMAT,
    RATE_TITLE,
    inline_data,
    layered,
    rate_tooltip,
    require,
    segment_colours,
)


def difference_chart(rows: pl.DataFrame) -> alt.LayerChart:
    """Two segments side by side: each rate as a point with its Wilson interval.

    Parameters
    ----------
    rows
        A small table (normally two rows) with ``segment``, ``contacts``, ``customers``,
        ``rate``, ``ci_low`` and ``ci_high``, in display order.

    Returns
    -------
    alt.LayerChart
        The interval error bars, the points and a text label of each rate.

    Raises
    ------
    ValueError
        When a required column is missing.

    Examples
    --------
    >>> import polars as pl
    >>> rows = pl.DataFrame(
    ...     {"segment": ["Organic", "Paid"], "contacts": [800, 500], "customers": [120, 45],
    ...      "rate": [0.15, 0.09], "ci_low": [0.127, 0.068], "ci_high": [0.176, 0.118]}
    ... )
    >>> [layer["mark"]["type"] for layer in difference_chart(rows).to_dict()["layer"]]
    ['errorbar', 'point', 'text']
    """
    require(rows, ["segment", *RATE_COLUMNS], "difference_chart")
    order = rows["segment"].to_list()
    x = alt.X(
        field="segment", type="nominal", sort=order, title="Segment", axis=alt.Axis(labelAngle=0)
    )
    colour = alt.Color(
        field="segment",
        type="nominal",
        sort=order,
        title="Segment",
        scale=alt.Scale(domain=order, range=segment_colours(len(order))),
        legend=None,
    )
    tooltip = rate_tooltip(rows, ["segment"])
    error_bars = (
        alt.Chart()
        .mark_errorbar(ticks={"size": 16}, thickness=2)
        .encode(
            x=x,
            y=alt.Y(
                field="ci_low",
                type="quantitative",
                title=RATE_TITLE,
                axis=alt.Axis(format=AXIS_RATE_FORMAT),
                scale=alt.Scale(zero=True),
            ),
            y2=alt.Y2(field="ci_high"),
            color=colour,
            tooltip=tooltip,
        )
    )
    points = (
        alt.Chart()
        .mark_point(filled=True, size=120)
        .encode(
            x=x,
            y=alt.Y(field="rate", type="quantitative", title=RATE_TITLE),
            color=colour,
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=10, fontSize=11)
        .encode(
            x=x,
            y=alt.Y(field="rate", type="quantitative", title=RATE_TITLE),
            text=alt.Text(field="_label", type="nominal"),
            tooltip=tooltip,
        )
    )
    return (
        layered(error_bars, points, labels, data=inline_data(rows))
        .transform_calculate(
            _interval=INTERVAL_EXPR,
            _label=f"format(datum.rate, '{RATE_FORMAT}') + ' (' + datum._interval + ')'",
        )
        .properties(width=alt.Step(160), height=280)
    )
