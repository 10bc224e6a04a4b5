"""Downloads and reports: the results table, the charts and a one-page HTML report, in memory.

Every function returns ``bytes`` or ``str`` and writes nothing: a conversion that fails raises
before any byte reaches a file. Callers that save the result should write it atomically (a
temporary file in the target folder, then a rename), as ``output.write_atomically`` does, so
a failure never leaves half a file behind.

Nothing here needs the network: charts are drawn by vl-convert with remote data refused, and the
HTML report carries its styles and charts inline.

Examples
--------
>>> safe_file_name("../../Données clients.csv", "_by_segment.csv")
'Donnees_clients_by_segment.csv'
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

import altair as alt
import polars as pl
import polars.selectors as cs
import vl_convert
import xlsxwriter

from conversion.analysis import stats
from conversion.presentation import formats, report

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import date, datetime

    from conversion.counting import Counts
    from conversion.definition import Bands, Definition

TABLE_SHEET = "conversion by segment"
NOTES_SHEET = "notes"
FALLBACK_STEM = "conversion"
MAX_STEM = 60

SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'
_XLINK_NAMESPACE = ' xmlns:xlink="http://www.w3.org/1999/xlink"'
_SVG_NS = "{http://www.w3.org/2000/svg}"
# Elements that could run code or pull in other documents; vl-convert never draws them.
_UNSAFE_SVG_ELEMENTS = {"script", "foreignObject", "iframe", "image", "use", "a"}
_SUFFIX = re.compile(r"[A-Za-z0-9_.-]*")
# Windows refuses these as file names whatever the extension.
_RESERVED_STEMS = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10))} | {
    f"LPT{i}" for i in range(10)
}


class ExportError(RuntimeError):
    """A chart or table could not be turned into a file; the message says which and why."""


# --- file names and writing -------------------------------------------------------------------


def safe_file_name(name: str, suffix: str) -> str:
    """A download file name made from the user's file name and a fixed ``suffix``.

    The stem keeps ASCII letters, digits, ``-`` and ``_`` only (accents are dropped, other
    characters become ``_``), at most 60 characters, never starting with a dot, dash or
    underscore; folders in ``name`` are ignored. An empty result falls back to ``conversion``.

    Raises
    ------
    ValueError
        When ``suffix`` (chosen by the code, not the user) holds anything but letters, digits,
        dots, dashes and underscores.

    Examples
    --------
    >>> safe_file_name("../../etc/passwd", ".csv")
    'passwd.csv'
    >>> safe_file_name("", ".svg")
    'conversion.svg'
    """
    if not _SUFFIX.fullmatch(suffix):
        raise ValueError(f"A file name suffix may not contain {suffix!r}.")
    base = re.split(r"[/\\]", name)[-1]
    stem, dot, _extension = base.rpartition(".")
    if not dot or not stem.strip("."):
        stem = base
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_stem)[:MAX_STEM].strip("_-")
    if cleaned.upper() in _RESERVED_STEMS:
        cleaned = f"{FALLBACK_STEM}_{cleaned}"
    return f"{cleaned or FALLBACK_STEM}{suffix}"


# --- the results table ------------------------------------------------------------------------


def _table(described: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame:
    # NaN is not a number a spreadsheet can hold; an empty cell says "no value" everywhere.
    exported = report.export_table(described, list(segments))
    return exported.with_columns(cs.float().fill_nan(None))


def table_csv(described: pl.DataFrame, segments: Sequence[str]) -> bytes:
    """The export table (:func:`conversion.report.export_table`) as UTF-8 CSV with a header.

    Rates and interval bounds are in percent (``rate_pct``), differences in percentage
    points (``diff_pp``); empty cells mean "no value" (e.g. a segment without contacts).
    """
    return _table(described, segments).write_csv().encode("utf-8")


def table_xlsx(
    described: pl.DataFrame,
    segments: Sequence[str],
    *,
    title: str,
    counts: Counts | None = None,
) -> bytes:
    """The export table as an Excel workbook, with a second sheet of notes.

    Sheet ``conversion by segment`` holds the table (percent columns shown with one decimal,
    columns fitted to their contents); sheet ``notes`` has two columns, ``section`` and
    ``note``: the title, every counting warning and the method notes. ``counts``, when given,
    supplies the warnings, bands, window and as-of date for the notes.
    """
    exported = _table(described, segments)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"title": title})
    exported.write_excel(
        workbook=workbook,
        worksheet=TABLE_SHEET,
        column_formats={
            cs.ends_with("_pct"): "0.0",
            cs.ends_with("_pp"): "+0.0;-0.0;0.0",
            cs.by_name("p_value", "p_adjusted"): "General",
        },
        autofit=True,
        freeze_panes=(1, 0),
    )
    notes = [("title", title)]
    notes += [("warning", message) for message in (counts.warnings if counts else ())]
    notes += [("method", note) for note in _notes_for(counts)]
    pl.DataFrame(notes, schema=["section", "note"], orient="row").write_excel(
        workbook=workbook,
        worksheet=NOTES_SHEET,
        column_widths={"section": 12, "note": 110},
        autofilter=False,
    )
    workbook.close()
    return buffer.getvalue()


def method_notes(definition: Definition | None = None, *, as_of: date | None = None) -> list[str]:
    """How the numbers were made, one plain sentence each, for the report and the workbook.

    ``definition`` adds the bands in use and the conversion window; ``as_of`` the maturity
    cut-off date.
    """
    notes = [
        "Rate = customers / contacts × 100, per segment and overall.",
        "Intervals: Wilson score 95 % interval for every rate.",
        "Each segment against the rest of the contacts: pooled two-proportion z-test, or "
        f"Fisher's exact test when an expected cell count is below {stats.MIN_EXPECTED:g}; the "
        "difference comes with a Newcombe 95 % interval.",
        "p-values are adjusted for the number of segments tested (Benjamini–Hochberg). They "
        "are exploratory: a hint where to look, not proof of a cause.",
        f"Low sample: fewer than {stats.MIN_CONTACTS} contacts, fewer than {stats.MIN_OUTCOMES} "
        "customers or non-customers, or an interval wider than "
        f"±{stats.MAX_INTERVAL_WIDTH * 50:g} percentage points. Such a segment is never marked "
        "significant.",
        "Segments are ranked by the lower bound of their interval, so a tiny segment with a "
        "lucky streak does not top the list.",
    ]
    if definition is not None:
        b = definition.bands
        strong = formats.threshold(b.strong, spaced=True)
        moderate = formats.threshold(b.moderate, spaced=True)
        notes.append(
            f"Bands ({b.name}): {b.labels[0]} ≥ {strong}, {b.labels[1]} {moderate} to < "
            f"{strong}, {b.labels[2]} < {moderate}."
        )
        if definition.window_days is None:
            notes.append("No conversion window: every conversion counts, whenever it happened.")
        else:
            cutoff = f" ({as_of.isoformat()})" if as_of is not None else ""
            notes.append(
                f"Maturity: a contact counts only if it converted within {definition.window_days} "
                f"days of its contact date. Contacts too recent to have had the full window by "
                f"the as-of date{cutoff} are left out of the rates, not counted as "
                "non-customers."
            )
    return notes


def _notes_for(counts: Counts | None) -> list[str]:
    if counts is None:
        return method_notes()
    return method_notes(counts.definition, as_of=counts.quality.as_of)


# --- charts -----------------------------------------------------------------------------------


def _spec(chart: alt.TopLevelMixin, width: int) -> dict[str, Any]:
    """The chart's Vega-Lite JSON, drawn ``width`` pixels wide in all (axes and legend included).

    Charts sized to their container have no width outside a browser, so single and layered
    charts get a fixed one; other compositions keep their own sizes.
    """
    if width <= 0:
        raise ValueError(f"A chart needs a width of at least 1 pixel; got {width}.")
    if isinstance(chart, alt.Chart | alt.LayerChart):
        spec = chart.properties(width=width).to_dict()
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
        return spec
    return chart.to_dict()


def _convert(render: Callable[..., Any], spec: dict[str, Any], what: str, **options: Any) -> Any:
    try:
        # An empty allow-list refuses every remote data URL: nothing is fetched.
        return render(spec, allowed_base_urls=[], **options)
    except ValueError as error:
        # vl-convert appends a JavaScript stack trace; the first line says what went wrong.
        reason = str(error).strip().splitlines()
        detail = reason[1] if len(reason) > 1 else (reason[0] if reason else "")
        raise ExportError(f"The chart could not be drawn as {what}: {detail}") from error


def chart_svg(chart: alt.TopLevelMixin, *, width: int = 800) -> str:
    """The chart as a standalone SVG document, ``width`` pixels wide.

    Text in the chart (segment names, titles) arrives escaped by vl-convert; the result is
    checked to hold no script, embedded document or event handler.

    Raises
    ------
    ExportError
        When the chart cannot be drawn or the drawing holds active content.
    """
    svg = _convert(vl_convert.vegalite_to_svg, _spec(chart, width), "SVG")
    _check_svg(svg)
    return svg


def chart_png(chart: alt.TopLevelMixin, *, width: int = 800, scale: float = 2) -> bytes:
    """The chart as a PNG image ``width × scale`` pixels wide (``scale`` 2 suits screens and print).

    Raises
    ------
    ExportError
        When the chart cannot be drawn.
    """
    if scale <= 0:
        raise ValueError(f"The scale must be above 0; got {scale}.")
    return _convert(vl_convert.vegalite_to_png, _spec(chart, width), "PNG", scale=scale)


def _check_svg(svg: str) -> None:
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as error:
        raise ExportError(f"The chart's SVG is not well-formed: {error}") from error
    for element in root.iter():
        tag = element.tag.removeprefix(_SVG_NS)
        unsafe_attributes = [
            name
            for name, value in element.attrib.items()
            if name.lower().startswith("on")
            or (name.endswith("href") and not value.startswith("#"))
        ]
        if tag in _UNSAFE_SVG_ELEMENTS or unsafe_attributes:
            raise ExportError(f"The chart's SVG holds active content (<{tag}>); not exported.")


# --- the HTML report --------------------------------------------------------------------------


def html_report(
    *,
    title: str,
    dataset: str,
    generated: datetime,
    definition: Definition,
    counts: Counts,
    described: pl.DataFrame,
    charts: dict[str, alt.TopLevelMixin],
) -> str:
    """One self-contained HTML page: summary, KPI cards, charts, results table and method notes.

    The page loads nothing from anywhere (styles inline, charts as inline SVG, no scripts) and
    prints cleanly. Every text that comes from the user — dataset, column and segment names,
    warnings, chart headings — is HTML-escaped.

    Parameters
    ----------
    title
        The page's heading.
    dataset
        The dataset's name as the user knows it (e.g. the uploaded file's name).
    generated
        When the report was made, shown under the title.
    definition
        What was counted: segment columns, bands, window.
    counts
        The counting's quality numbers and warnings.
    described
        ``stats.describe`` of ``counts.table``.
    charts
        Headings and charts, drawn in this order.

    Raises
    ------
    ExportError
        When a chart cannot be drawn.
    """
    segments = list(definition.segments)
    figures = [
        _figure(heading, chart_svg(chart), number)
        for number, (heading, chart) in enumerate(charts.items(), start=1)
    ]
    sections = [
        _summary(dataset, definition, counts),
        _kpi_cards(report.kpis(described, segments), definition.bands),
        *(
            [f'<section class="charts"><h2>Charts</h2>{"".join(figures)}</section>']
            if figures
            else []
        ),
        _results(described, segments, definition.bands),
        _notes(method_notes(definition, as_of=counts.quality.as_of)),
    ]
    return html_page(title, generated, sections)


def html_page(title: str, generated: datetime, sections: Sequence[str], css: str = "") -> str:
    """A self-contained HTML page: ``title``, when it was ``generated``, then ``sections``.

    ``sections`` are HTML already escaped by their makers; ``css`` adds styles to the report's.
    """
    e = html.escape
    when = generated.strftime("%Y-%m-%d %H:%M") + (
        f" {generated.tzname()}" if generated.tzinfo else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{_CSS}{css}</style>\n</head>\n<body>\n"
        f'<header><h1>{e(title)}</h1><p class="generated">Generated {e(when)}</p></header>\n'
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def figure_html(heading: str, chart: alt.TopLevelMixin, key: str) -> str:
    """A chart as a captioned inline SVG figure; ``key`` keeps its ids apart from others'."""
    return _figure(heading, chart_svg(chart), key)


def results_html(described: pl.DataFrame, segments: Sequence[str], bands: Bands) -> str:
    """The report's results table section for ``stats.describe`` output."""
    return _results(described, segments, bands)


def method_html(notes: Sequence[str]) -> str:
    """The report's method section: one plain sentence per note."""
    return _notes(notes)


def _summary(dataset: str, definition: Definition, counts: Counts) -> str:
    q = counts.quality
    e = html.escape
    rows = [
        ("Dataset", dataset),
        ("Segment columns", ", ".join(definition.segments)),
        ("Rows", formats.count(q.rows)),
        ("Unique contacts" if definition.id else "Contacts", formats.count(q.contacts)),
        ("Counted in the rates", formats.count(q.counted)),
        (
            "Conversion window",
            f"{definition.window_days} days" if definition.window_days is not None else "none",
        ),
        ("As-of date", q.as_of.isoformat() if q.as_of else formats.EM_DASH),
    ]
    if definition.window_days is not None:
        rows.append(("Left out as immature", formats.count(q.immature)))
    listing = "".join(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" for label, value in rows)
    if counts.warnings:
        items = "".join(f"<li>{e(message)}</li>" for message in counts.warnings)
        warnings = f'<ul class="warnings">{items}</ul>'
    else:
        warnings = "<p>None: every row was counted as it stands.</p>"
    return (
        f'<section class="summary"><h2>Data</h2><dl>{listing}</dl>'
        f"<h3>How the rows were counted</h3>{warnings}</section>"
    )


def _kpi_cards(k: report.Kpis, bands: Bands) -> str:
    o = k.overall
    dash = formats.EM_DASH
    limits = (bands.moderate, bands.strong)
    cards = [
        (
            "Overall conversion rate",
            formats.band_percent(o.rate, limits, missing=dash),
            f"95 % interval {formats.interval(o.ci_low, o.ci_high, missing=dash)}",
        ),
        ("Contacts", formats.count(o.contacts), "counted in the rates"),
        ("Customers", formats.count(o.customers), "converted contacts"),
    ]
    if k.best and k.worst:
        for heading, card in (("Best segment", k.best), ("Worst segment", k.worst)):
            cards.append(
                (
                    heading,
                    card.label,
                    f"{formats.rate(card.rate, card.customers, card.contacts, missing=dash)}; "
                    f"95 % interval {formats.interval(card.ci_low, card.ci_high, missing=dash)}",
                )
            )
    else:
        cards.append(("Segments", str(k.segments), "too few to rank"))
    e = html.escape
    body = "".join(
        f'<div class="kpi"><div class="kpi-label">{e(label)}</div>'
        f'<div class="kpi-value">{e(value)}</div><div class="kpi-note">{e(note)}</div></div>'
        for label, value, note in cards
    )
    return (
        f'<section><h2>Key figures</h2><div class="kpis">{body}</div>'
        '<p class="note">Best and worst are judged by the interval: the best segment is surely '
        "at least as good as its lower bound, the worst surely no better than its upper bound."
        "</p></section>"
    )


def _figure(heading: str, svg: str, number: int | str) -> str:
    return (
        f"<figure><figcaption>{html.escape(heading)}</figcaption>"
        f"{_inline_svg(svg, f'chart{number}')}</figure>"
    )


def _inline_svg(svg: str, prefix: str) -> str:
    """An SVG document made fit to sit inside HTML beside others.

    Ids (gradients, clip paths) get a per-chart prefix so two charts' ids cannot collide; the
    XML declaration and the xlink namespace (HTML knows it already) go.
    """
    svg = re.sub(r"^\s*<\?xml[^>]*\?>\s*", "", svg)
    svg = svg.replace(_XLINK_NAMESPACE, "", 1)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)


def _results(described: pl.DataFrame, segments: Sequence[str], bands: Bands) -> str:
    e = html.escape
    headings = [
        *segments,
        "Contacts",
        "Customers",
        "Rate",
        "95 % interval",
        "Band",
        "vs rest (pp)",
        "Test",
        "Adjusted p",
        "Against the rest",
        "Low sample",
    ]
    numeric = set(headings[len(segments) :]) - {"Band", "Test", "Against the rest", "Low sample"}
    numeric_class = ' class="num"'
    head = "".join(
        f'<th{numeric_class if name in numeric else ""} scope="col">{e(name)}</th>'
        for name in headings
    )
    dash = formats.EM_DASH
    verdicts = report.against_the_rest(described)
    body = []
    for row, verdict in zip(described.iter_rows(named=True), verdicts, strict=True):
        cells = [f"<td>{e(str(row[name]))}</td>" for name in segments]
        values = [
            formats.count(row["contacts"]),
            formats.count(row["customers"]),
            formats.band_percent(row["rate"], (bands.moderate, bands.strong), missing=dash),
            formats.interval(row["ci_low"], row["ci_high"], missing=dash),
        ]
        cells += [f'<td class="num">{e(value)}</td>' for value in values]
        cells.append(f"<td>{e(formats.label(row['band'], missing=dash))}</td>")
        diff = formats.points(row["diff"], unit="", missing=dash)
        cells.append(f'<td class="num">{e(diff)}</td>')
        cells.append(f"<td>{e(formats.label(row['test'], missing=dash))}</td>")
        p = formats.p_value(row["p_adjusted"], notation="decimal", missing=dash)
        cells.append(f'<td class="num">{e(p)}</td>')
        cells.append(f"<td>{e(verdict)}</td>")
        flag = f"yes: {row['low_sample_reason']}" if row["low_sample"] else "no"
        flag_class = ' class="low"' if row["low_sample"] else ""
        cells.append(f"<td{flag_class}>{e(flag)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        "<section><h2>Results by segment</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        "</section>"
    )


def _notes(notes: Sequence[str]) -> str:
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
    return f'<section class="method"><h2>Method</h2><ul>{items}</ul></section>'


_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1a1a1a; background: #fff; max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem;
  line-height: 1.45; }
h1 { margin-bottom: 0.2rem; }
h2 { margin-top: 2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
.generated, .note, .kpi-note { color: #555; font-size: 0.9rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1.2rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.warnings li { margin-bottom: 0.3rem; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 0.8rem; }
.kpi { border: 1px solid #ccc; border-radius: 6px; padding: 0.7rem 0.9rem; }
.kpi-label { font-size: 0.85rem; color: #444; }
.kpi-value { font-size: 1.5rem; font-weight: 650; overflow-wrap: anywhere; }
figure { margin: 1rem 0 2rem; }
figcaption { font-weight: 600; margin-bottom: 0.4rem; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left;
  vertical-align: top; }
th { background: #f3f3f3; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.low { color: #8a4b00; }
@page { margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  section, figure, .kpi, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  th { background: none; }
}
"""
