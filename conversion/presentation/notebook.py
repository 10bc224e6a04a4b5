"""How a result shows in a notebook: as text, as an HTML table and as Markdown.

``conversion.SegmentRates`` hands itself to these functions for its ``__repr__``,
``_repr_html_`` and ``_repr_markdown_``. The three show the same cells: the results table as
the app shows it, capped at :data:`DISPLAY_ROWS` rows, with the overall line above and the
counting notes below. Every text that comes from the data (column names, segment values,
warnings) is escaped for the medium, so a value can never add markup.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Protocol

from conversion.presentation import formats, report

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars as pl

    from conversion.analysis import stats

DISPLAY_ROWS = 50
"""Rows shown in a notebook's display of the result; ``.table`` always has them all."""

# Emphasis, code, links, tables, strike-through and (in notebooks) math; ``<`` and ``&`` are
# left to html.escape, since notebooks render HTML inside Markdown.
_MARKDOWN_SPECIAL = "\\`*_[]|~$"


class Shown(Protocol):
    """What a display needs of a result: its table, segment columns, overall and warnings."""

    @property
    def table(self) -> pl.DataFrame: ...

    @property
    def segments(self) -> tuple[str, ...]: ...

    @property
    def overall(self) -> stats.Overall: ...

    @property
    def warnings(self) -> tuple[str, ...]: ...


def as_text(result: Shown) -> str:
    """The plain-text display: the overall line, one line per row, then the notes."""
    cells = _cells(result.table.head(DISPLAY_ROWS), result.segments)
    lines = [f"{type(result).__name__}({_overall_line(result.overall)})"]
    lines += ["  " + " | ".join(row) for row in cells]
    lines += _more_rows(result.table.height)
    lines += [f"  Note: {warning}" for warning in result.warnings]
    return "\n".join(lines)


def as_html(result: Shown) -> str:
    """The HTML display: a heading, the overall line and test, the table, the notes folded."""
    escape = _html
    header, *rows = _cells(result.table.head(DISPLAY_ROWS), result.segments)
    out = [
        '<div class="conversion-by-segment">',
        f"<p><strong>Conversion by segment</strong> — "
        f"{escape(report.label_column(result.segments))}</p>",
        f"<p>{escape(_overall_line(result.overall))}</p>",
    ]
    if chi := _chi_line(result.overall):
        out.append(f"<p><small>{escape(chi)}</small></p>")
    out.append("<table>")
    out.append("<thead><tr>" + "".join(f"<th>{escape(c)}</th>" for c in header) + "</tr></thead>")
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    out += [f"<p><small>{escape(line)}</small></p>" for line in _more_rows(result.table.height)]
    if result.warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in result.warnings)
        out.append(
            f"<details><summary>How the rows were counted</summary><ul>{items}</ul></details>"
        )
    out.append("</div>")
    return "\n".join(out)


def as_markdown(result: Shown) -> str:
    """The Markdown display: the same heading, lines and table, the notes as a list."""
    escape = _markdown
    header, *rows = _cells(result.table.head(DISPLAY_ROWS), result.segments)
    out = [
        f"**Conversion by segment** — {escape(report.label_column(result.segments))}",
        "",
        escape(_overall_line(result.overall)),
        "",
    ]
    if chi := _chi_line(result.overall):
        out += [escape(chi), ""]
    out.append("| " + " | ".join(escape(c) for c in header) + " |")
    out.append("|" + "|".join("---" for _ in header) + "|")
    out += ["| " + " | ".join(escape(c) for c in row) + " |" for row in rows]
    out += ["", *(escape(line) for line in _more_rows(result.table.height))]
    out += [f"- {escape(w)}" for w in result.warnings]
    return "\n".join(out).rstrip() + "\n"


def _cells(table: pl.DataFrame, segments: Sequence[str]) -> list[list[str]]:
    """The header and rows as the app shows them, every cell as one line of text."""
    header = [*segments, "Contacts", "Customers", "Rate", "95% CI", "Band", "vs rest"]
    rows = [[*header, "p (adjusted)", "Against the rest", "Low-sample reason"]]
    verdicts = report.against_the_rest(table)
    for row, verdict in zip(table.iter_rows(named=True), verdicts, strict=True):
        cells = [_one_line(row[column]) for column in segments]
        cells += [
            formats.count(row["contacts"]),
            formats.count(row["customers"]),
            formats.percent(row["rate"]),
            formats.interval(row["ci_low"], row["ci_high"]),
            _one_line(row["band"]),
            formats.points(row["diff"]),
            formats.p_value(row["p_adjusted"]),
            _one_line(verdict),
            _one_line(row["low_sample_reason"]),
        ]
        rows.append(cells)
    return rows


def _overall_line(overall: stats.Overall) -> str:
    if not overall.contacts:
        return "Overall: no contacts counted."
    return formats.overall_line(overall)


def _chi_line(overall: stats.Overall) -> str | None:
    chi = overall.chi_square
    if chi is None:
        return None
    caution = "; some expected counts < 5, read with care" if chi.small_expected else ""
    return (
        f"Do the segments differ? Chi-square = {chi.statistic:.2f}, df = {chi.df}, "
        f"p = {formats.p_value(chi.p_value)}{caution}. Tests against the rest are exploratory."
    )


def _more_rows(height: int) -> list[str]:
    if height <= DISPLAY_ROWS:
        return []
    return [f"… and {formats.count(height - DISPLAY_ROWS)} more rows: see .table for all of them."]


def _one_line(value: object) -> str:
    """A cell's text on one line: runs of whitespace (newlines too) become one space."""
    return "" if value is None else " ".join(str(value).split())


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _markdown(text: str) -> str:
    """Text shown literally in Markdown: special characters backslash-escaped, HTML escaped."""
    escaped = "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in " ".join(text.split()))
    return html.escape(escaped, quote=False)
