"""Altair chart builders: pure functions from a small per-segment table to a Vega-Lite chart.

Every builder takes the small table the engine returns (one row per segment or cohort) and
gives back an Altair chart; nothing here reads rows of raw data or knows about Streamlit.
Colours come from colour-blind-safe palettes, and every colour is backed by text (a label, a
legend entry, a tooltip), so no reading depends on colour alone.

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

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import altair as alt
import polars as pl

from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from conversion.definition import Bands

Period = Literal["week", "month", "quarter", "year"]

#: Band colour by band position (0 = best band), from the Okabe–Ito colour-blind-safe palette:
#: bluish green, orange, vermillion.
PALETTE: dict[int, str] = {0: "#009E73", 1: "#E69F00", 2: "#D55E00"}

#: Okabe–Ito categorical colours for segments, most distinct first (yellow last: weak on white).
SEGMENT_COLORS: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#000000",
    "#F0E442",
)

RATE_FORMAT = ".1%"
AXIS_RATE_FORMAT = ".0%"
COUNT_FORMAT = ","
OVERALL_COLOR = "#444444"
IMMATURE_NOTE = "immature: not all contacts have had the full window"

# Fields the builders compute inside the chart; a segment column may not use these names.
_COMPUTED = ("_interval", "_label", "_share", "_total", "_cell", "_status", "_order")
# Characters Vega-Lite reads as a path into nested data unless escaped (backslash first).
_FIELD_SPECIAL = ("\\", ".", "[", "]")
_RATE_COLUMNS = ("contacts", "customers", "rate", "ci_low", "ci_high")

# Per cohort length: the date format, and the tick interval and step (one tick per period).
_PERIOD_AXIS: dict[str, tuple[str, str, int]] = {
    "week": ("%d %b %Y", "week", 1),
    "month": ("%b %Y", "month", 1),
    "quarter": ("Q%q %Y", "month", 3),
    "year": ("%Y", "year", 1),
}

# One Vega expression per computed text; they only ever name the engine's fixed columns,
# never a user's column name or value, so no user text becomes part of an expression.
_INTERVAL_EXPR = (
    f"format(datum.ci_low, '{RATE_FORMAT}') + ' – ' + format(datum.ci_high, '{RATE_FORMAT}')"
)


def band_colors(bands: Bands) -> tuple[list[str], list[str]]:
    """The colour scale for band labels: ``(domain, range)``, best band first.

    Parameters
    ----------
    bands
        The thresholds and labels in use; labels map to :data:`PALETTE` by position, so the
        e-commerce ``top`` gets the same colour as the default ``strong``.

    Returns
    -------
    tuple of list of str
        The band labels and their colours, in the same order.

    Examples
    --------
    >>> from conversion.definition import Bands
    >>> band_colors(Bands())
    (['strong', 'moderate', 'poor'], ['#009E73', '#E69F00', '#D55E00'])
    """
    return list(bands.labels), [PALETTE[position] for position in range(len(bands.labels))]


def _axis_max(table: pl.DataFrame, bands: Bands, overall_rate: float | None) -> float:
    """The rate axis' upper end: the highest whisker or line plus a third for the labels."""
    highest = max(
        [v for v in table["ci_high"].to_list() if v is not None and v == v]
        + [bands.strong, overall_rate or 0.0]
    )
    return min(1.0, highest * 1.35) if highest < 0.74 else 1.35


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
    for character in _FIELD_SPECIAL:
        segment = segment.replace(character, "_")
    return segment


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
    _require(table, [segment, *_RATE_COLUMNS, "band"], "bar_chart")
    order = table[segment].to_list()
    y = alt.Y(field=_field(segment), type="nominal", sort=order, title=segment)
    x_title = "Conversion rate"
    tooltip = _rate_tooltip(table, [segment])

    domain, colours = band_colors(bands)
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X(
                field="rate",
                type="quantitative",
                title=x_title,
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
            x=alt.X(field="ci_low", type="quantitative", title=x_title),
            x2=alt.X2(field="ci_high"),
            y=y,
            tooltip=tooltip,
        )
    )
    bar_labels = (
        alt.Chart()
        .mark_text(align="left", baseline="middle", dx=6, fontSize=11)
        .encode(
            x=alt.X(field="ci_high", type="quantitative", title=x_title),
            y=y,
            text=alt.Text(field="_label", type="nominal"),
            tooltip=tooltip,
        )
    )
    label_expr = f"format(datum.rate, '{RATE_FORMAT}') + '  ' + datum.band"
    if "low_sample" in table.columns:
        label_expr += " + (datum.low_sample ? ' · small sample' : '')"

    layers: list[alt.Chart] = [bars, error_bars, bar_labels]
    layers += _reference_layers(bands, overall_rate, axis="x")
    chart = alt.layer(*layers, data=_data(table)).transform_calculate(
        _interval=_INTERVAL_EXPR, _label=label_expr
    )
    chart = chart.properties(width="container", height=alt.Step(28))
    if title is not None:
        chart = chart.properties(title=title)
    return chart


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
    _require(table, [segment, share], "pie_chart")
    order = table[segment].to_list()
    count_title = share.capitalize()
    outer = 110
    arc_options: dict[str, Any] = {"outerRadius": outer}
    if donut:
        arc_options["innerRadius"] = 60

    theta = alt.Theta(field=share, type="quantitative", stack=True)
    color = alt.Color(
        field=_field(segment),
        type="nominal",
        sort=order,
        title=segment,
        scale=alt.Scale(domain=order, range=_segment_colours(len(order))),
    )
    # Slices run clockwise from twelve o'clock in the table's row order.
    order_by_row = alt.Order(field="_order", type="quantitative", sort="ascending")
    tooltip = [
        alt.Tooltip(field=_field(segment), type="nominal", title=segment),
        alt.Tooltip(field=share, type="quantitative", title=count_title, format=COUNT_FORMAT),
        alt.Tooltip(
            field="_share", type="quantitative", title=f"Share of {share}", format=RATE_FORMAT
        ),
    ]
    if "rate" in table.columns:
        tooltip.append(
            alt.Tooltip(
                field="rate", type="quantitative", title="Conversion rate", format=RATE_FORMAT
            )
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
        alt.layer(arcs, labels, data=_data(table.with_row_index("_order")))
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
    _require(table, [row, column, *_RATE_COLUMNS], "heatmap")
    rate_max = table["rate"].drop_nans().max()
    top = max(float(rate_max) if isinstance(rate_max, int | float) else 0.0, bands.strong)
    x = alt.X(
        field=_field(column),
        type="nominal",
        sort=table[column].unique(maintain_order=True).to_list(),
        title=column,
        axis=alt.Axis(labelAngle=0),
    )
    y = alt.Y(
        field=_field(row),
        type="nominal",
        sort=table[row].unique(maintain_order=True).to_list(),
        title=row,
    )
    tooltip = _rate_tooltip(table, [row, column])
    cells = (
        alt.Chart()
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                field="rate",
                type="quantitative",
                title="Conversion rate",
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
        alt.layer(cells, cell_text, data=_data(table))
        .transform_calculate(_interval=_INTERVAL_EXPR, _cell=cell_expr)
        .properties(width=alt.Step(90), height=alt.Step(44))
    )


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
    _require(
        cohorts,
        ["cohort", *_RATE_COLUMNS, "mature", *([segment] if segment else [])],
        "trend_chart",
    )
    date_format, tick_interval, tick_step = _PERIOD_AXIS[period]
    # Cohort dates travel as ISO strings, which Vega reads as UTC midnight; a UTC scale and
    # UTC formatting keep every cohort on its own date whatever the viewer's time zone.
    x = alt.X(
        field="cohort",
        type="temporal",
        title=f"Cohort ({period} of contact)",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format=date_format, tickCount={"interval": tick_interval, "step": tick_step}),
    )
    y_title = "Conversion rate"
    colour: alt.Color | dict[str, Any]
    if segment is None:
        colour = alt.value(SEGMENT_COLORS[0])
        series: list[str] = []
    else:
        series = cohorts[segment].unique(maintain_order=True).to_list()
        colour = alt.Color(
            field=_field(segment),
            type="nominal",
            sort=series,
            title=segment,
            scale=alt.Scale(domain=series, range=_segment_colours(len(series))),
            # The faint interval band would otherwise set the legend's swatches.
            legend=alt.Legend(symbolOpacity=1, symbolType="circle"),
        )
    tooltip = [
        alt.Tooltip(
            field="cohort", type="temporal", title="Cohort", format=date_format, formatType="utc"
        ),
        *_rate_tooltip(cohorts, [segment] if segment else []),
        alt.Tooltip(field="_status", type="nominal", title="Status"),
    ]
    shape = alt.Shape(
        field="_status",
        type="nominal",
        title="Cohort",
        legend=alt.Legend(labelLimit=400),
        scale=alt.Scale(domain=["mature", IMMATURE_NOTE], range=["circle", "diamond"]),
    )
    interval = (
        alt.Chart()
        .mark_area(opacity=0.15)
        .encode(
            x=x,
            y=alt.Y(field="ci_low", type="quantitative", title=y_title),
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
                title=y_title,
                axis=alt.Axis(format=AXIS_RATE_FORMAT),
                scale=alt.Scale(zero=True),
            ),
            color=colour,
        )
    )
    points = alt.Chart().encode(
        x=x,
        y=alt.Y(field="rate", type="quantitative", title=y_title),
        color=colour,
        shape=shape,
        tooltip=tooltip,
    )
    mature = points.mark_point(filled=True, size=60, opacity=1).transform_filter("datum.mature")
    immature = points.mark_point(
        filled=False, size=70, strokeWidth=2, opacity=0.7
    ).transform_filter("!datum.mature")
    if segment is not None:
        line = line.encode(detail=alt.Detail(field=_field(segment), type="nominal"))

    layers: list[alt.Chart] = [interval, line, mature, immature]
    layers += _reference_layers(bands, None, axis="y")
    return (
        alt.layer(*layers, data=_data(cohorts))
        .transform_calculate(
            _interval=_INTERVAL_EXPR,
            _status=f"datum.mature ? 'mature' : '{IMMATURE_NOTE}'",
        )
        .properties(width="container", height=300)
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
    _require(rows, ["segment", *_RATE_COLUMNS], "difference_chart")
    order = rows["segment"].to_list()
    x = alt.X(
        field="segment", type="nominal", sort=order, title="Segment", axis=alt.Axis(labelAngle=0)
    )
    y_title = "Conversion rate"
    colour = alt.Color(
        field="segment",
        type="nominal",
        sort=order,
        title="Segment",
        scale=alt.Scale(domain=order, range=_segment_colours(len(order))),
        legend=None,
    )
    tooltip = _rate_tooltip(rows, ["segment"])
    error_bars = (
        alt.Chart()
        .mark_errorbar(ticks={"size": 16}, thickness=2)
        .encode(
            x=x,
            y=alt.Y(
                field="ci_low",
                type="quantitative",
                title=y_title,
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
            y=alt.Y(field="rate", type="quantitative", title=y_title),
            color=colour,
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=10, fontSize=11)
        .encode(
            x=x,
            y=alt.Y(field="rate", type="quantitative", title=y_title),
            text=alt.Text(field="_label", type="nominal"),
            tooltip=tooltip,
        )
    )
    return (
        alt.layer(error_bars, points, labels, data=_data(rows))
        .transform_calculate(
            _interval=_INTERVAL_EXPR,
            _label=f"format(datum.rate, '{RATE_FORMAT}') + ' (' + datum._interval + ')'",
        )
        .properties(width=alt.Step(160), height=280)
    )


def _reference_layers(
    bands: Bands, overall_rate: float | None, *, axis: Literal["x", "y"]
) -> list[alt.Chart]:
    """A labelled rule at each band threshold and, when given, a dashed one at the overall rate.

    Each line has its own one-row data set with its value in a field named ``threshold`` (or
    ``overall``) and its label in ``label``, so it is drawn once. Colours are mark properties,
    not encodings, so the lines never join the chart's own colour scale. On a bar chart
    (``axis="x"``) the rules are vertical and their labels are stacked above the plot, one line
    each, so that close thresholds do not overprint; on a time chart (``axis="y"``) the rules
    are horizontal and labelled just right of the plot.
    """
    _, colours = band_colors(bands)
    references: list[tuple[str, float, str, str, list[float] | None]] = [
        ("threshold", bands.strong, f"{bands.labels[0]} ≥ {_pct(bands.strong)}", colours[0], None),
        (
            "threshold",
            bands.moderate,
            f"{bands.labels[1]} ≥ {_pct(bands.moderate)}",
            colours[1],
            None,
        ),
    ]
    if overall_rate is not None:
        overall_label = f"overall {overall_rate:.1%}"
        references.append(("overall", overall_rate, overall_label, OVERALL_COLOR, [6, 4]))

    layers: list[alt.Chart] = []
    for line, (field, value, label, colour, dash) in enumerate(references):
        reference = alt.Chart(alt.Data(values=[{field: value, "label": label}])).encode(
            **{axis: _position(axis, field)}
        )
        rule_style: dict[str, Any] = {"color": colour, "strokeWidth": 1.5}
        if dash is not None:
            rule_style["strokeDash"] = dash
        layers.append(reference.mark_rule(**rule_style))
        text = reference.encode(text=alt.Text(field="label", type="nominal"))
        if axis == "x":
            # Above the plot, one line per reference: the last one listed sits nearest.
            offset = -6 - 13 * (len(references) - 1 - line)
            text = text.mark_text(
                align="left", baseline="bottom", dx=3, fontSize=10, color=colour
            ).encode(y=alt.value(offset))
        else:
            text = text.mark_text(
                align="right", baseline="bottom", dx=-4, dy=-2, fontSize=10, color=colour
            ).encode(x=alt.value("width"))
        layers.append(text)
    return layers


def _position(axis: Literal["x", "y"], field: str) -> alt.X | alt.Y:
    """A quantitative rate position on ``axis`` (the rules share the chart's rate scale)."""
    if axis == "x":
        return alt.X(field=field, type="quantitative")
    return alt.Y(field=field, type="quantitative")


def _rate_tooltip(table: pl.DataFrame, segments: Sequence[str]) -> list[alt.Tooltip]:
    """Tooltip entries: segment(s), contacts, customers, rate, interval and the flags present."""
    tooltip = [alt.Tooltip(field=_field(name), type="nominal", title=name) for name in segments]
    tooltip += [
        alt.Tooltip(
            field="contacts", type="quantitative", title="Contacts (n)", format=COUNT_FORMAT
        ),
        alt.Tooltip(field="customers", type="quantitative", title="Customers", format=COUNT_FORMAT),
        alt.Tooltip(field="rate", type="quantitative", title="Conversion rate", format=RATE_FORMAT),
        alt.Tooltip(field="_interval", type="nominal", title="95% interval (Wilson)"),
    ]
    optional = {
        "band": alt.Tooltip(field="band", type="nominal", title="Band"),
        "p_adjusted": alt.Tooltip(
            field="p_adjusted",
            type="quantitative",
            title="Adjusted p-value (exploratory)",
            format=".3g",
        ),
        "significant": alt.Tooltip(field="significant", type="nominal", title="Significant"),
        "low_sample": alt.Tooltip(field="low_sample", type="nominal", title="Small sample"),
    }
    tooltip += [entry for name, entry in optional.items() if name in table.columns]
    return tooltip


def _data(table: pl.DataFrame) -> alt.Data:
    """The table as inline Vega-Lite values: dates as ISO strings and NaN as null (valid JSON)."""
    table = table.with_columns(
        pl.col(pl.Date, pl.Datetime).dt.to_string("iso"),
        pl.col(pl.Float32, pl.Float64).fill_nan(None),
    )
    return alt.Data(values=table.to_dicts())


def _field(name: str) -> str:
    """A column name as a Vega-Lite field reference: dots and brackets are escaped.

    Vega-Lite reads ``a.b`` as a nested field and ``a[0]`` as an index, so a column called
    ``utm.source`` must be written ``utm\\.source`` to be read as one name.
    """
    for character in _FIELD_SPECIAL:
        name = name.replace(character, "\\" + character)
    return name


def _pct(fraction: float) -> str:
    """A threshold as a short percentage: ``0.2`` → ``'20%'``, ``0.025`` → ``'2.5%'``."""
    return f"{fraction * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _segment_colours(count: int) -> list[str]:
    """``count`` categorical colours: Okabe–Ito while it lasts, then repeated."""
    return [SEGMENT_COLORS[index % len(SEGMENT_COLORS)] for index in range(count)]


def _require(table: pl.DataFrame, columns: Iterable[str], chart: str) -> None:
    """Check the chart's input columns, and that segment names do not shadow computed ones."""
    missing = [name for name in columns if name not in table.columns]
    if missing:
        raise ValueError(f"{chart} needs the column(s) {', '.join(missing)}; got {table.columns}.")
    clashes = [name for name in table.columns if name in _COMPUTED]
    if clashes:
        raise InputError(
            f"A column is named {clashes[0]!r}, a name the charts use for their own labels; "
            "rename that column before charting it."
        )


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
    _require(km, ["days", "converted_share", "ci_low", "ci_high"], "time_to_convert_chart")
    x = alt.X(field="days", type="quantitative", title="Days since contact")
    y_format = alt.Axis(format=AXIS_RATE_FORMAT)
    colour: dict[str, Any] = {}
    if segment is not None:
        order = list(dict.fromkeys(km[segment].to_list()))
        colour = {
            "color": alt.Color(
                field=_field(segment),
                type="nominal",
                title=segment,
                sort=order,
                scale=alt.Scale(range=_segment_colours(len(order))),
            )
        }
    tooltip = [
        *([alt.Tooltip(field=_field(segment), type="nominal", title=segment)] if segment else []),
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
    return alt.layer(band, line, data=_data(km)).properties(width="container", height=320)


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
    _require(points, ["cohort", "rate", "centre", "lcl", "ucl", "outside"], "control_chart")
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
            y=alt.Y(field="lcl", type="quantitative", title="Conversion rate"),
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
        .encode(
            x=x, y=alt.Y(field="rate", type="quantitative", title="Conversion rate", axis=rate_axis)
        )
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
    return alt.layer(limits, centre, line, points_layer, data=_data(table)).properties(
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
    _require(parts, ["segment", "mix_effect", "rate_effect"], "waterfall_chart")
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
    return alt.layer(bars, labels, data=alt.Data(values=steps)).properties(
        width="container", height=alt.Step(22)
    )
