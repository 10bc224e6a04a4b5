"""The Trends page's "What changed" chart: each segment's change in points with its interval.

One horizontal row per segment (largest driver of the overall change first): a point at the
change from the previous period to the current one, an error bar over Newcombe's 95 % interval
and a rule at zero, so a bar that crosses zero reads "could be no change" at a glance. Rises and
falls differ in colour and in the signed label beside each point.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from conversion.presentation.charts._shared import (
    OVERALL_COLOR,
    PALETTE,
    inline_data,
    layered,
    require,
)

CHANGE_TITLE = "Change (percentage points)"
DIRECTIONS = ("rise", "fall", "no change")


def change_chart(table: pl.DataFrame, label: str) -> alt.LayerChart:
    """Each segment's change in points, with its 95 % interval as an error bar.

    Parameters
    ----------
    table
        ``analysis.change.period_change`` output (fractions) with a ``label`` column naming
        each segment, in display order; rows without a change (a segment in one period only)
        are left out.
    label
        The column that names the segments.

    Returns
    -------
    alt.LayerChart
        A zero rule, the interval error bars, the points and a signed label per segment.

    Raises
    ------
    ValueError
        When a required column is missing.

    Examples
    --------
    >>> table = pl.DataFrame({"source": ["Email", "Ads"], "change": [-0.15, 0.0],
    ...     "change_low": [-0.26, -0.13], "change_high": [-0.03, 0.12],
    ...     "previous_rate": [0.3, 0.1], "current_rate": [0.15, 0.1],
    ...     "p_adjusted": [0.02, 1.0]})
    >>> [layer["mark"]["type"] for layer in change_chart(table, "source").to_dict()["layer"]]
    ['rule', 'errorbar', 'point', 'text']
    """
    columns = ["change", "change_low", "change_high", "previous_rate", "current_rate", "p_adjusted"]
    require(table, [label, *columns], "change_chart")
    rows = table.filter(pl.col("change").is_not_null() & pl.col("change").is_not_nan())
    rows = rows.select(
        pl.col(label).cast(pl.String).alias("segment"),
        *[(pl.col(c) * 100).alias(c) for c in columns[:3]],
        *[pl.col(c) for c in columns[3:]],
        pl.when(pl.col("change") > 0)
        .then(pl.lit(DIRECTIONS[0]))
        .when(pl.col("change") < 0)
        .then(pl.lit(DIRECTIONS[1]))
        .otherwise(pl.lit(DIRECTIONS[2]))
        .alias("direction"),
    )
    order = rows["segment"].to_list()
    y = alt.Y(field="segment", type="nominal", sort=order, title=None)
    x_scale = alt.Scale(zero=True)
    colour = alt.Color(
        field="direction",
        type="nominal",
        title="Direction",
        scale=alt.Scale(domain=list(DIRECTIONS), range=[PALETTE[0], PALETTE[2], OVERALL_COLOR]),
    )
    tooltip = [
        alt.Tooltip(field="segment", type="nominal", title="Segment"),
        alt.Tooltip(field="previous_rate", type="quantitative", title="Previous", format=".1%"),
        alt.Tooltip(field="current_rate", type="quantitative", title="Current", format=".1%"),
        alt.Tooltip(field="change", type="quantitative", title="Change (pp)", format="+.1f"),
        alt.Tooltip(field="change_low", type="quantitative", title="95% low (pp)", format="+.1f"),
        alt.Tooltip(field="change_high", type="quantitative", title="95% high (pp)", format="+.1f"),
        alt.Tooltip(field="p_adjusted", type="quantitative", title="p (adjusted)", format=".3g"),
    ]
    zero = alt.Chart().mark_rule(color=OVERALL_COLOR, strokeDash=[4, 3]).encode(x=alt.datum(0))
    bars = (
        alt.Chart()
        .mark_errorbar(ticks={"size": 10}, thickness=2)
        .encode(
            y=y,
            x=alt.X(field="change_low", type="quantitative", title=CHANGE_TITLE, scale=x_scale),
            x2=alt.X2(field="change_high"),
            color=colour,
            tooltip=tooltip,
        )
    )
    x = alt.X(field="change", type="quantitative", title=CHANGE_TITLE)
    points = (
        alt.Chart().mark_point(filled=True, size=90).encode(y=y, x=x, color=colour, tooltip=tooltip)
    )
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=8, dy=-9, fontSize=11)
        .encode(y=y, x=x, text=alt.Text(field="change", type="quantitative", format="+.1f"))
    )
    return layered(zero, bars, points, labels, data=inline_data(rows)).properties(
        height=alt.Step(34), width="container"
    )
