"""What every chart shares: the palettes, the band colour scale, field names and the helpers.

The palettes are colour-blind safe (Okabe–Ito); the helpers turn a small table into inline
Vega-Lite data, escape column names into field references, check a builder's input columns,
and draw the labelled band-threshold rules that the bar and trend charts both carry.
"""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import altair as alt
import polars as pl

from conversion.definition import DateBucket
from conversion.errors import InputError
from conversion.presentation import formats

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from conversion.definition import Bands

Period: TypeAlias = DateBucket  # the period of a trend: a contact-date bucket

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
#: A segment name longer than this many characters is wrapped onto lines of about this width.
WRAP_CHARACTERS = 24
#: The widest an axis label may be, in pixels, before Vega cuts it (after wrapping).
LABEL_LIMIT = 240
RATE_TITLE = "Conversion rate"

# Fields the builders compute inside the chart; a segment column may not use these names.
_COMPUTED = ("_interval", "_label", "_rate_text", "_share", "_total", "_cell", "_status", "_order")
# Characters Vega-Lite reads as a path into nested data unless escaped (backslash first).
FIELD_SPECIAL = ("\\", ".", "[", "]")
RATE_COLUMNS = ("contacts", "customers", "rate", "ci_low", "ci_high")

# One Vega expression per computed text; they only ever name the engine's fixed columns,
# never a user's column name or value, so no user text becomes part of an expression.
INTERVAL_EXPR = (
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


def layered(*layers: alt.Chart, data: alt.Data) -> alt.LayerChart:
    """The layers drawn over each other on one data set.

    None of the charts here facets, so this is ``alt.layer`` with its result's true type.
    """
    return alt.LayerChart(layer=list(layers), data=data)


def reference_layers(
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
        (
            "threshold",
            bands.strong,
            f"{bands.labels[0]} ≥ {formats.threshold(bands.strong)}",
            colours[0],
            None,
        ),
        (
            "threshold",
            bands.moderate,
            f"{bands.labels[1]} ≥ {formats.threshold(bands.moderate)}",
            colours[1],
            None,
        ),
    ]
    if overall_rate is not None:
        overall_label = f"overall {overall_rate:.1%}"
        references.append(("overall", overall_rate, overall_label, OVERALL_COLOR, [6, 4]))

    layers: list[alt.Chart] = []
    for line, (field, value, label, colour, dash) in enumerate(references):
        reference = alt.Chart(alt.Data(values=[{field: value, "label": label}]))
        if axis == "x":
            reference = reference.encode(x=alt.X(field=field, type="quantitative"))
        else:
            reference = reference.encode(y=alt.Y(field=field, type="quantitative"))
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


def rate_tooltip(table: pl.DataFrame, segments: Sequence[str]) -> list[alt.Tooltip]:
    """Tooltip entries: segment(s), contacts, customers, rate, interval and the flags present."""
    tooltip = [alt.Tooltip(field=vega_field(name), type="nominal", title=name) for name in segments]
    tooltip += [
        alt.Tooltip(
            field="contacts", type="quantitative", title="Contacts (n)", format=COUNT_FORMAT
        ),
        alt.Tooltip(field="customers", type="quantitative", title="Customers", format=COUNT_FORMAT),
        alt.Tooltip(field="rate", type="quantitative", title=RATE_TITLE, format=RATE_FORMAT),
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


def inline_data(table: pl.DataFrame) -> alt.Data:
    """The table as inline Vega-Lite values: dates as ISO strings and NaN as null (valid JSON)."""
    table = table.with_columns(
        pl.col(pl.Date, pl.Datetime).dt.to_string("iso"),
        pl.col(pl.Float32, pl.Float64).fill_nan(None),
    )
    return alt.Data(values=table.to_dicts())


def vega_field(name: str) -> str:
    """A column name as a Vega-Lite field reference: dots and brackets are escaped.

    Vega-Lite reads ``a.b`` as a nested field and ``a[0]`` as an index, so a column called
    ``utm.source`` must be written ``utm\\.source`` to be read as one name.

    Examples
    --------
    >>> vega_field("utm.source")
    'utm\\\\.source'
    """
    for character in FIELD_SPECIAL:
        name = name.replace(character, "\\" + character)
    return name


def segment_colours(count: int) -> list[str]:
    """``count`` categorical colours: Okabe–Ito while it lasts, then repeated."""
    return [SEGMENT_COLORS[index % len(SEGMENT_COLORS)] for index in range(count)]


def require(table: pl.DataFrame, columns: Iterable[str], chart: str) -> None:
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


def wrapped_labels(values: Sequence[Any], width: int = WRAP_CHARACTERS) -> tuple[str | None, int]:
    """A Vega ``labelExpr`` that writes long category names on several lines, and the most lines.

    Names are split between words (a combined name "Referral · North America" first at its
    separators) into lines of about ``width`` characters; a name that fits stays one line. The
    expression looks each name up in a literal table, so the label is exactly the data's value
    on every line, and the full name stays in the tooltip. Returns ``(None, 1)`` when every name
    fits.

    Examples
    --------
    >>> wrapped_labels(["Ads", "Web"])
    (None, 1)
    >>> expr, lines = wrapped_labels(["Paid social · North America and Canada"])
    >>> lines, "North America and Canada" in expr
    (2, True)
    """
    table: dict[str, list[str]] = {}
    for value in values:
        text = "" if value is None else str(value)
        if len(text) <= width:
            continue
        parts = text.split(" · ")
        lines: list[str] = []
        for i, part in enumerate(parts):
            wrapped = textwrap.wrap(part, width) or [part]
            if i < len(parts) - 1:
                wrapped[-1] += " ·"
            lines += wrapped
        table[text] = lines
    if not table:
        return None, 1
    # JSON is a valid Vega expression literal for an object of string arrays.
    lookup = json.dumps(table, ensure_ascii=False)
    return f"{lookup}[datum.label] || datum.label", max(len(v) for v in table.values())
