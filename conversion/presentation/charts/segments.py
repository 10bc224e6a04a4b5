"""The Segments page's charts: rate by segment with bands, share of customers, the two-way grid.

Each builder takes the per-segment table ``stats.describe`` returns (one row per segment, in
display order) and gives back an Altair chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import altair as alt
import polars as pl

from conversion.presentation import formats
from conversion.presentation.charts._shared import (
    AXIS_RATE_FORMAT,
    COUNT_FORMAT,
    FIELD_SPECIAL,
    INTERVAL_EXPR,
    LABEL_LIMIT,
    OVERALL_COLOR,
    RATE_COLUMNS,
    RATE_FORMAT,
    RATE_TITLE,
    band_colors,
    inline_data,
    layered,
    rate_tooltip,
    reference_layers,
    require,
    segment_colours,
    vega_field,
    wrapped_labels,
)

if TYPE_CHECKING:
    from conversion.definition import Bands


def selection_field(segment: str) -> str:
    """The field a bar chart's ``pick`` selection reports the clicked segment under.

    That is the segment column's own name, unless the name holds a dot, a bracket or a
    backslash: Vega-Lite reads those as paths into nested data and its point selections do
    not honour escaping, so such a name is replaced by one with underscores.

    Examples
    --------
    >>> selection_field("source")
    'source'
    >>> selection_field("utm.source")
    'utm_source'
    """
    for character in FIELD_SPECIAL:
        segment = segment.replace(character, "_")
    return segment


#: Below this many pixels of plot width, bar labels leave out the small-sample note.
NARROW_CHART = 420


def bar_chart(
    table: pl.DataFrame,
    segment: str,
    bands: Bands,
    overall_rate: float | None = None,
    *,
    title: str | None = None,
    selectable: bool = False,
) -> alt.LayerChart:
    """Horizontal bars of the conversion rate per segment, with intervals and reference lines.

    Bars are coloured by band and labelled with the rate and the band name (and a small-sample
    note when ``low_sample`` is true); Wilson intervals are error bars; each band threshold is
    a labelled vertical rule, and the overall rate a dashed one.

    Parameters
    ----------
    table
        One row per segment, in display order: the segment column, ``contacts``,
        ``customers``, ``rate``, ``ci_low``, ``ci_high``, ``band`` and optionally
        ``low_sample``, ``significant``, ``p_adjusted``.
    segment
        The name of the segment column (used as the axis title).
    bands
        Thresholds drawn as rules; their labels make the colour domain.
    overall_rate
        The overall rate as a fraction, drawn as a dashed rule when given.
    title
        Chart title.
    selectable
        Add a point selection named ``pick`` over the segment field, so that a click on a
        bar selects that segment (Streamlit's ``on_select``); the clicked value is reported
        under :func:`selection_field` of ``segment``.

    Returns
    -------
    alt.LayerChart

    Raises
    ------
    ValueError
        When a required column is missing.
    InputError
        When the segment column's name clashes with a name the chart computes.

    Examples
    --------
    >>> import polars as pl
    >>> from conversion.definition import Bands
    >>> table = pl.DataFrame(
    ...     {"source": ["Paid"], "contacts": [500], "customers": [45], "rate": [0.09],
    ...      "ci_low": [0.068], "ci_high": [0.118], "band": ["poor"]}
    ... )
    >>> bar_chart(table, "source", Bands(), selectable=True).to_dict()["params"][0]["name"]
    'pick'
    """
    require(table, [segment, *RATE_COLUMNS, "band"], "bar_chart")
    order = table[segment].to_list()
    wrapped, lines = wrapped_labels(order)
    y = alt.Y(
        field=vega_field(segment),
        type="nominal",
        sort=order,
        title=segment,
        axis=alt.Axis(labelExpr=wrapped, labelLimit=LABEL_LIMIT) if wrapped else alt.Axis(),
    )
    limits = (bands.moderate, bands.strong)
    rate_text = [formats.band_percent(r, limits) for r in table["rate"].to_list()]
    table = table.with_columns(pl.Series("_rate_text", rate_text, pl.String))
    tooltip = rate_tooltip(table, [segment])

    domain, colours = band_colors(bands)
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X(
                field="rate",
                type="quantitative",
                title=RATE_TITLE,
                axis=alt.Axis(format=AXIS_RATE_FORMAT),
                # Room on the right for the rate labels past the whiskers.
                scale=alt.Scale(domain=[0, _axis_max(table, bands, overall_rate)], nice=False),
            ),
            y=y,
            color=alt.Color(
                field="band",
                type="nominal",
                title="Band",
                scale=alt.Scale(domain=domain, range=colours),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    if selectable:
        key = selection_field(segment)
        if key != segment:
            table = table.with_columns(pl.col(segment).alias(key))
        pick = alt.selection_point(fields=[key], name="pick")
        opacity = alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.35))
        bars = bars.add_params(pick).encode(opacity=opacity)

    error_bars = (
        alt.Chart()
        .mark_errorbar(ticks=True, color=OVERALL_COLOR)
        .encode(
            x=alt.X(field="ci_low", type="quantitative", title=RATE_TITLE),
            x2=alt.X2(field="ci_high"),
            y=y,
            tooltip=tooltip,
        )
    )
    bar_labels = _rate_labels(y, tooltip)
    label_expr = "datum._rate_text + '  ' + datum.band"
    if "low_sample" in table.columns:
        label_expr += " + (datum.low_sample ? ' · small sample' : '')"

    layers: list[alt.Chart] = [bars, error_bars, bar_labels]
    layers += reference_layers(bands, overall_rate, axis="x")
    chart = layered(*layers, data=inline_data(table)).transform_calculate(
        _interval=INTERVAL_EXPR, _label=label_expr
    )
    chart = chart.properties(width="container", height=alt.Step(28 if lines == 1 else 40))
    if title is not None:
        chart = chart.properties(title=title)
    return chart


def _rate_labels(y: alt.Y, tooltip: list[alt.Tooltip]) -> alt.Chart:
    """Each bar's rate and band, past its whisker.

    On a narrow chart (a phone) the label keeps the rate and the band only; the small-sample
    note stays in the tooltip and the table.
    """
    short = f"width < {NARROW_CHART} ? datum._rate_text + ' ' + datum.band : datum._label"
    return (
        alt.Chart()
        .mark_text(align="left", baseline="middle", dx=6, fontSize=11, text=alt.expr(short))
        .encode(
            x=alt.X(field="ci_high", type="quantitative", title=RATE_TITLE),
            y=y,
            tooltip=tooltip,
        )
    )


def pie_chart(
    table: pl.DataFrame,
    segment: str,
    share: Literal["customers", "contacts"] = "customers",
    *,
    donut: bool = True,
) -> alt.LayerChart:
    """Each segment's share of customers (or of contacts), as a donut or a pie.

    Slices keep the table's row order and are labelled with their share in percent (labels of
    slices under 3 % are left out so they do not collide); the legend names the segments.

    Parameters
    ----------
    table
        One row per segment, in display order, with the segment column and ``share``.
    segment
        The name of the segment column.
    share
        Which count the slices show: ``"customers"`` or ``"contacts"``.
    donut
        Leave a hole in the middle.

    Returns
    -------
    alt.LayerChart
        The arc layer and the percentage labels.

    Raises
    ------
    ValueError
        When ``share`` is not a known count or a required column is missing.
    InputError
        When the segment column's name clashes with a name the chart computes.

    Examples
    --------
    >>> import polars as pl
    >>> table = pl.DataFrame({"source": ["Organic", "Paid"], "customers": [120, 45]})
    >>> pie_chart(table, "source").to_dict()["layer"][0]["mark"]["innerRadius"]
    60
    """
    if share not in ("customers", "contacts"):
        raise ValueError(f"share must be 'customers' or 'contacts'; got {share!r}.")
    require(table, [segment, share], "pie_chart")
    order = table[segment].to_list()
    count_title = share.capitalize()
    outer = 110
    arc_options: dict[str, Any] = {"outerRadius": outer}
    if donut:
        arc_options["innerRadius"] = 60

    theta = alt.Theta(field=share, type="quantitative", stack=True)
    color = alt.Color(
        field=vega_field(segment),
        type="nominal",
        sort=order,
        title=segment,
        scale=alt.Scale(domain=order, range=segment_colours(len(order))),
    )
    # Slices run clockwise from twelve o'clock in the table's row order.
    order_by_row = alt.Order(field="_order", type="quantitative", sort="ascending")
    tooltip = [
        alt.Tooltip(field=vega_field(segment), type="nominal", title=segment),
        alt.Tooltip(field=share, type="quantitative", title=count_title, format=COUNT_FORMAT),
        alt.Tooltip(
            field="_share", type="quantitative", title=f"Share of {share}", format=RATE_FORMAT
        ),
    ]
    if "rate" in table.columns:
        tooltip.append(
            alt.Tooltip(field="rate", type="quantitative", title=RATE_TITLE, format=RATE_FORMAT)
        )
    arcs = (
        alt.Chart()
        .mark_arc(**arc_options)
        .encode(theta=theta, color=color, order=order_by_row, tooltip=tooltip)
    )
    labels = (
        alt.Chart()
        .mark_text(radius=outer + 16, fontSize=11)
        .encode(
            theta=theta,
            color=color,
            order=order_by_row,
            text=alt.Text(field="_label", type="nominal"),
            tooltip=tooltip,
        )
    )
    return (
        layered(arcs, labels, data=inline_data(table.with_row_index("_order")))
        .transform_joinaggregate(_total=f"sum({share})")
        .transform_calculate(
            _share=f"datum._total > 0 ? datum.{share} / datum._total : 0",
        )
        .transform_calculate(
            _label=f"datum._share >= 0.03 ? format(datum._share, '{RATE_FORMAT}') : ''",
        )
        .properties(width=300, height=300)
    )


def heatmap(table: pl.DataFrame, row: str, column: str, bands: Bands) -> alt.LayerChart:
    """Conversion rate for every combination of two segment columns, as a grid of cells.

    Each cell is coloured by rate on a sequential colour-blind-safe scale that starts at 0 %
    and reaches at least the ``strong`` threshold (the legend marks both thresholds), and
    shows its rate and ``customers/contacts`` as text.

    Parameters
    ----------
    table
        One row per combination: ``row``, ``column``, ``contacts``, ``customers``, ``rate``,
        ``ci_low``, ``ci_high`` and optionally ``band``. Row order decides the order of both
        axes (first appearance).
    row, column
        The segment columns on the vertical and horizontal axes.
    bands
        Thresholds marked on the colour legend.

    Returns
    -------
    alt.LayerChart

    Raises
    ------
    ValueError
        When a required column is missing or ``row`` equals ``column``.
    InputError
        When a segment column's name clashes with a name the chart computes.

    Examples
    --------
    >>> import polars as pl
    >>> from conversion.definition import Bands
    >>> table = pl.DataFrame(
    ...     {"source": ["Paid"], "device": ["mobile"], "contacts": [365], "customers": [45],
    ...      "rate": [0.123], "ci_low": [0.093], "ci_high": [0.161]}
    ... )
    >>> chart = heatmap(table, "source", "device", Bands())
    >>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
    ['rect', 'text']
    """
    if row == column:
        raise ValueError("heatmap needs two different segment columns.")
    require(table, [row, column, *RATE_COLUMNS], "heatmap")
    rate_max = table["rate"].drop_nans().max()
    top = max(float(rate_max) if isinstance(rate_max, int | float) else 0.0, bands.strong)
    x = alt.X(
        field=vega_field(column),
        type="nominal",
        sort=table[column].unique(maintain_order=True).to_list(),
        title=column,
        axis=alt.Axis(labelAngle=0),
    )
    y = alt.Y(
        field=vega_field(row),
        type="nominal",
        sort=table[row].unique(maintain_order=True).to_list(),
        title=row,
    )
    tooltip = rate_tooltip(table, [row, column])
    cells = (
        alt.Chart()
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                field="rate",
                type="quantitative",
                title=RATE_TITLE,
                scale=alt.Scale(scheme="viridis", domain=[0, top]),
                legend=alt.Legend(
                    format=AXIS_RATE_FORMAT, values=sorted({0.0, bands.moderate, bands.strong})
                ),
            ),
            tooltip=tooltip,
        )
    )
    # Viridis runs from dark purple to light yellow: white text on the dark half.
    text_colour = (
        alt.when(alt.datum.rate < top / 2).then(alt.value("white")).otherwise(alt.value("black"))
    )
    cell_text = (
        alt.Chart()
        .mark_text(lineBreak="\n", fontSize=11)
        .encode(
            x=x,
            y=y,
            text=alt.Text(field="_cell", type="nominal"),
            color=text_colour,
            tooltip=tooltip,
        )
    )
    cell_expr = (
        f"format(datum.rate, '{RATE_FORMAT}') + '\\n(' + format(datum.customers, '{COUNT_FORMAT}')"
        f" + '/' + format(datum.contacts, '{COUNT_FORMAT}') + ')'"
    )
    return (
        layered(cells, cell_text, data=inline_data(table))
        .transform_calculate(_interval=INTERVAL_EXPR, _cell=cell_expr)
        .properties(width=alt.Step(90), height=alt.Step(44))
    )


def _axis_max(table: pl.DataFrame, bands: Bands, overall_rate: float | None) -> float:
    """The rate axis' upper end: the highest whisker or line plus a third for the labels."""
    highest = max(
        [v for v in table["ci_high"].to_list() if v is not None and v == v]
        + [bands.strong, overall_rate or 0.0]
    )
    return min(1.0, highest * 1.35) if highest < 0.74 else 1.35
