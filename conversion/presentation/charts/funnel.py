"""The Funnel page's chart: grouped horizontal bars, one group per stage, one bar per segment.

Each bar is the cumulative rate (the share of the segment's stage-1 contacts that reached the
stage) with its Wilson interval; the label at its end is the step rate (the share of the
previous stage that moved on). The band thresholds and the overall final conversion are drawn
as rules, so the last stage reads against the bands like the Segments page's bars. Built from a
fresh small frame with fixed field names: a segment's name is only ever a value here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import polars as pl

from conversion.counting.stages import ALL, stage_label
from conversion.presentation import formats
from conversion.presentation.charts._shared import (
    AXIS_RATE_FORMAT,
    COUNT_FORMAT,
    OVERALL_COLOR,
    RATE_FORMAT,
    inline_data,
    layered,
    reference_layers,
    segment_colours,
    wrapped_labels,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from conversion.definition import Bands

OVERALL_LABEL = "All segments"
BAR_HEIGHT = 14  # pixels per bar: a stage of six segments is about 90 px tall
STAGE_LABEL_CHARACTERS = 12


def funnel_frame(table: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame:
    """The chart's data: one row per segment (overall last) and stage, with its label texts."""
    segments = list(segments)
    name: pl.Expr = pl.lit(OVERALL_LABEL)
    if segments:
        overall = pl.all_horizontal(pl.col(c) == ALL for c in segments)
        joined = pl.concat_str([pl.col(c) for c in segments], separator=" · ")
        name = pl.when(overall).then(name).otherwise(joined)
    step = pl.col("step_rate")
    step_text = (
        pl.when(pl.col("stage_index") == 1)
        .then(pl.format("{} contacts", pl.col("reached").map_elements(formats.count, pl.String)))
        .when(step.is_null())
        .then(pl.lit("no base"))
        .otherwise(pl.format("{}% of previous", (step * 100).round(1)))
    )
    return table.select(
        name.alias("segment"),
        pl.col("stage").map_elements(stage_label, return_dtype=pl.String).alias("stage"),
        "stage_index",
        "reached",
        "step_rate",
        "cumulative_rate",
        "cumulative_ci_low",
        "cumulative_ci_high",
        step_text.alias("step_text"),
    )


def funnel_chart(
    table: pl.DataFrame, segments: Sequence[str], bands: Bands, *, title: str | None = None
) -> alt.LayerChart:
    """Grouped horizontal bars of the cumulative rate per stage and segment, step rates labelled.

    Parameters
    ----------
    table
        A described funnel (``conversion.analysis.funnel.describe_funnel``), overall rows
        included (drawn in grey as "All segments").
    segments
        Its segment columns.
    bands
        Thresholds drawn as rules against the final conversion, with the overall final rate.

    Examples
    --------
    >>> from conversion.definition import Bands
    >>> table = pl.DataFrame({"src": ["Ads", "Ads", "(all)", "(all)"], "stage": ["a", "b"] * 2,
    ...     "stage_index": [1, 2, 1, 2], "reached": [10, 4, 10, 4], "step_rate": [None, 0.4] * 2,
    ...     "cumulative_rate": [1.0, 0.4] * 2, "cumulative_ci_low": [0.7, 0.2] * 2,
    ...     "cumulative_ci_high": [1.0, 0.7] * 2})
    >>> layers = funnel_chart(table, ["src"], Bands()).to_dict()["layer"]
    >>> sorted({layer["mark"]["type"] for layer in layers})
    ['bar', 'errorbar', 'rule', 'text']
    """
    frame = funnel_frame(table, segments)
    names = list(dict.fromkeys(frame["segment"].to_list()))
    stages = list(dict.fromkeys(frame.sort("stage_index")["stage"].to_list()))
    colours = [
        OVERALL_COLOR if name == OVERALL_LABEL else colour
        for name, colour in zip(names, segment_colours(len(names)), strict=True)
    ]
    # Stage names on up to three short lines: the plot keeps its width on a phone.
    label_expr, _ = wrapped_labels(stages, STAGE_LABEL_CHARACTERS)
    axis = alt.Axis(labelLimit=160)
    if label_expr:
        axis = alt.Axis(labelLimit=160, labelExpr=label_expr)
    y = alt.Y(field="stage", type="nominal", sort=stages, title=None, axis=axis)
    offset = alt.YOffset(field="segment", type="nominal", sort=names)
    x_scale = alt.Scale(domain=[0, 1.3], clamp=True)  # room for the labels past 100 %
    x = alt.X(
        field="cumulative_rate",
        type="quantitative",
        scale=x_scale,
        axis=alt.Axis(format=AXIS_RATE_FORMAT, values=[0, 0.25, 0.5, 0.75, 1.0]),
        title="Share of stage-1 contacts that reached the stage",
    )
    tooltip = [
        alt.Tooltip(field="segment", type="nominal", title="Segment"),
        alt.Tooltip(field="stage", type="nominal", title="Stage"),
        alt.Tooltip(field="reached", type="quantitative", title="Reached", format=COUNT_FORMAT),
        alt.Tooltip(field="step_rate", type="quantitative", title="Step rate", format=RATE_FORMAT),
        alt.Tooltip(
            field="cumulative_rate", type="quantitative", title="Of stage 1", format=RATE_FORMAT
        ),
    ]
    base = alt.Chart().encode(y=y, yOffset=offset)
    bars = base.mark_bar().encode(
        x=x,
        color=alt.Color(
            field="segment",
            type="nominal",
            sort=names,
            scale=alt.Scale(domain=names, range=colours),
            legend=alt.Legend(title=None, orient="bottom", columns=2, labelLimit=160),
        ),
        tooltip=tooltip,
    )
    whiskers = base.mark_errorbar(color=OVERALL_COLOR, thickness=1).encode(
        x=alt.X(field="cumulative_ci_low", type="quantitative", scale=x_scale, title=None),
        x2=alt.X2(field="cumulative_ci_high"),
    )
    labels = base.mark_text(align="left", dx=4, fontSize=10).encode(
        x=alt.X(field="cumulative_ci_high", type="quantitative", scale=x_scale, title=None),
        text=alt.Text(field="step_text", type="nominal"),
    )
    final = frame.filter((pl.col("segment") == OVERALL_LABEL) & (pl.col("stage") == stages[-1]))
    final_rate = final["cumulative_rate"].item() if final.height == 1 else None
    chart = layered(
        bars, whiskers, labels, *reference_layers(bands, final_rate, axis="x"),
        data=inline_data(frame),
    )  # fmt: skip
    # One step per bar (the offset band), so a stage grows with its segments.
    height = alt.Step(BAR_HEIGHT, **{"for": "offset"})
    return chart.properties(width="container", height=height, title=title or "")
