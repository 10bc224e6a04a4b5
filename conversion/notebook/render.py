"""A computed notebook as one HTML report, as Markdown, and as JSON figures.

The HTML page loads nothing (styles inline, charts as inline SVG drawn by
``presentation.export``, no scripts); every text from the analyst or the data is escaped, and a
note is shown as the text that was typed (placeholders filled), never as markup. The Markdown
keeps a note's Markdown but made safe (``notes.safe_markdown``). The JSON holds the numbers.
"""

from __future__ import annotations

import html as _html
import json
import math
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from conversion.definition import Bands
from conversion.notebook import notes
from conversion.presentation import export, formats, report
from conversion.presentation.decisions import EXPORT_NAMES

if TYPE_CHECKING:
    from conversion.notebook.kinds import Figures, Shown
    from conversion.notebook.running import CellResult, NotebookRun

_CSS = """
.cell { margin-top: 2.5rem; }
.cell-note { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.6rem 0; }
.problem { color: #8a4b00; font-weight: 600; }
.section-note h2 { border-bottom: 3px solid #999; }
"""


def to_html(run: NotebookRun) -> str:
    """The whole notebook as one self-contained HTML page."""
    e = html_escape
    sections = [
        f'<section class="summary"><h2>Data</h2><p>Dataset: {e(run.dataset)}. '
        f"{len(run.results)} cells; each view was counted on this dataset.</p></section>"
    ]
    for index, result in enumerate(run.results):
        sections.append(_html_cell(run, index, result))
    sections.append(export.method_html(export.method_notes()))
    return export.html_page(run.notebook.title, run.generated, sections, css=_CSS)


def html_escape(text: object) -> str:
    return _html.escape(str(text))


def _html_cell(run: NotebookRun, index: int, result: CellResult) -> str:
    e = html_escape
    cell = result.cell
    text = notes.note_text(cell.note, result.figures or run.above(index), run.above(index))
    note = f'<div class="cell-note">{e(text)}</div>' if text.strip() else ""
    if cell.is_note:
        return f'<section class="cell section-note"><h2>{e(cell.title)}</h2>{note}</section>'
    body = [f"<h2>{e(cell.title)}</h2>", note]
    if result.problem is not None:
        body.append(f'<p class="problem">Not computed: {e(result.problem)}</p>')
    if result.shown is not None:
        bands = cell.definition.bands if cell.definition is not None else Bands()
        body.append(_html_view(result.shown, f"c{index}", bands))
    if result.counted is not None and result.counted.warnings:
        items = "".join(f"<li>{e(w)}</li>" for w in result.counted.warnings)
        body.append(f'<h3>How the rows were counted</h3><ul class="warnings">{items}</ul>')
    return f'<section class="cell">{"".join(body)}</section>'


def _html_view(shown: Shown, key: str, bands: Bands) -> str:
    e = html_escape
    listing = "".join(
        f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in [*figure_rows(shown.figures), *_cards(shown)]
    )
    parts = [f"<dl>{listing}</dl>"]
    parts += [
        export.figure_html(chart.heading, chart.chart, f"{key}-{n}")
        + f'<p class="note">{e(chart.summary)}</p>'
        for n, chart in enumerate(shown.charts)
    ]
    if shown.described is not None:
        parts.append(export.results_html(shown.described, shown.segments, bands))
    for heading, table in shown.tables:
        parts.append(f"<h3>{e(heading)}</h3>{_html_table(table)}")
    if shown.lines:
        parts.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in shown.lines) + "</ul>")
    return "".join(parts)


def _html_table(table: pl.DataFrame) -> str:
    e = html_escape
    head = "".join(f'<th scope="col">{e(c)}</th>' for c in table.columns)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{e(_cell_text(v, c))}</td>" for v, c in zip(row, table.columns, strict=True)
        )
        + "</tr>"
        for row in table.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _cell_text(value: object, column: str = "") -> str:
    """A table cell as text: points signed with two decimals, other numbers as the app shows."""
    if value is None:
        return formats.EM_DASH
    if isinstance(value, float) and column.endswith(("(pp)", "_pp")):
        return f"{value:+.2f}"
    if isinstance(value, float) and column == "p_adjusted":
        return formats.p_value(value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return formats.count(value)
    return str(value)


def _cards(shown: Shown) -> list[tuple[str, str]]:
    """The view's own headline figures (Compare's A, B, difference and aids) as pairs."""
    return [(label, f"{value} ({caption})" if caption else value)
            for label, value, caption in shown.cards]  # fmt: skip


def figure_rows(figures: Figures) -> list[tuple[str, str]]:
    """The figures a cell quotes, as (label, text) pairs for a listing."""
    rows = [
        ("Overall rate", notes.figure(figures, "rate")),
        ("Contacts", notes.figure(figures, "contacts")),
        ("Customers", notes.figure(figures, "customers")),
    ]
    if figures.best is not None:
        rows.append(("Best", notes.figure(figures, "best")))
    if figures.worst is not None:
        rows.append(("Worst", notes.figure(figures, "worst")))
    return rows


# --- Markdown -------------------------------------------------------------------------------


def to_markdown(run: NotebookRun) -> str:
    """The notebook as Markdown: headings, safe notes, figures, tables and sentences."""
    out = [
        f"# {_md(run.notebook.title)}",
        "",
        f"Dataset: {_md(run.dataset)} · generated {run.generated:%Y-%m-%d %H:%M} UTC",
    ]
    for index, result in enumerate(run.results):
        out += ["", *_markdown_cell(run, index, result)]
    out += ["", "## Method", "", *(f"- {_md(n)}" for n in export.method_notes())]
    return "\n".join(out) + "\n"


def _markdown_cell(run: NotebookRun, index: int, result: CellResult) -> list[str]:
    cell = result.cell
    out = [f"## {_md(cell.title)}", ""]
    note = notes.note_markdown(cell.note, result.figures or run.above(index), run.above(index))
    if note.strip():
        out += [note, ""]
    if result.problem is not None:
        out += [f"> **Not computed:** {_md(result.problem)}", ""]
    shown = result.shown
    if shown is None:
        return out
    out.append(
        " · ".join(f"**{_md(label)}:** {_md(text)}"
                   for label, text in [*figure_rows(shown.figures), *_cards(shown)])
    )  # fmt: skip
    out.append("")
    if shown.described is not None:
        out += [*_markdown_table(_segment_rows(shown)), ""]
    for heading, table in shown.tables:
        out += [f"**{_md(heading)}**", "", *_markdown_table(table), ""]
    out += [f"- {_md(line)}" for line in shown.lines]
    if result.counted is not None and result.counted.warnings:
        out += ["", "How the rows were counted:", *(f"- {_md(w)}" for w in result.counted.warnings)]
    return out


def _segment_rows(shown: Shown) -> pl.DataFrame:
    assert shown.described is not None
    label = report.label_column(shown.segments)
    labelled = report.with_labels(shown.described, shown.segments)
    limits = shown.figures.limits
    return pl.DataFrame(
        {
            label: labelled[label].cast(pl.String),
            "Contacts": labelled["contacts"],
            "Customers": labelled["customers"],
            "Rate": [formats.band_percent(r, limits) for r in labelled["rate"].to_list()],
            "95 % interval": [
                formats.interval(lo, hi)
                for lo, hi in zip(labelled["ci_low"], labelled["ci_high"], strict=True)
            ],
            "Band": labelled["band"],
        }
    )


def _markdown_table(table: pl.DataFrame) -> list[str]:
    head = "| " + " | ".join(_md(c) for c in table.columns) + " |"
    rule = "|" + "---|" * table.width
    rows = [
        "| "
        + " | ".join(_md(_cell_text(v, c)) for v, c in zip(row, table.columns, strict=True))
        + " |"
        for row in table.iter_rows()
    ]
    return [head, rule, *rows]


def _md(text: object) -> str:
    """Text from the data or the app, escaped so Markdown shows it as it is."""
    return notes.escape_value(str(text))


# --- JSON -----------------------------------------------------------------------------------


def figures_json(run: NotebookRun) -> str:
    """The numbers of every cell: its figures and its per-segment (or per-cohort) rows."""
    cells = []
    for number, result in enumerate(run.results, start=1):
        entry: dict[str, Any] = {
            "cell": number,
            "id": result.cell.id,
            "kind": result.cell.kind,
            "title": result.cell.title,
            "computed": result.shown is not None,
            "problem": result.problem,
        }
        if result.shown is not None:
            entry["figures"] = _figures(result.shown.figures)
            entry["rows"] = _rows(result.shown)
            if result.shown.cards:
                entry["cards"] = [
                    {"label": label, "value": value, "caption": caption}
                    for label, value, caption in result.shown.cards
                ]
        cells.append(entry)
    document = {
        "title": run.notebook.title,
        "dataset": run.dataset,
        "generated": run.generated.isoformat(timespec="seconds"),
        "cells": cells,
        "problems": list(run.problems),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _figures(figures: Figures) -> dict[str, Any]:
    return {
        "contacts": figures.contacts,
        "customers": figures.customers,
        "rate": figures.rate,
        "best": figures.best,
        "best_rate": figures.best_rate,
        "worst": figures.worst,
        "worst_rate": figures.worst_rate,
        **({"best_change": figures.best_change} if figures.best_change is not None else {}),
        **({"worst_change": figures.worst_change} if figures.worst_change is not None else {}),
    }


def _rows(shown: Shown) -> list[dict[str, Any]]:
    if shown.described is not None:
        label = report.label_column(shown.segments)
        labelled = report.with_labels(shown.described, shown.segments)
        aids = {k: v for k, v in EXPORT_NAMES.items() if k in labelled.columns}
        return [
            {"segment": row[label], "contacts": row["contacts"], "customers": row["customers"],
             "rate": row["rate"], "ci_low": row["ci_low"], "ci_high": row["ci_high"],
             **{name: _plain(row[column]) for column, name in aids.items()}}
            for row in labelled.iter_rows(named=True)
        ]  # fmt: skip
    if shown.tables:
        return [
            {k: _plain(v) for k, v in row.items()}
            for row in shown.tables[0][1].iter_rows(named=True)
        ]
    return []


def _plain(value: object) -> object:
    """A table value for JSON: dates as ISO text, a missing number (NaN) as null."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
