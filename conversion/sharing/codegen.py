"""'Copy as Python': the code that reproduces the app's current view with ``conversion.by_segment``.

Every value in the code is written as a Python literal (``repr``-based), so column names,
segment values and file names with quotes, backslashes or newlines stay data and never become
code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import PurePath
from typing import TYPE_CHECKING, Literal

from conversion.definition import BAND_PRESETS, Bands, Definition
from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator

Chart = Literal["bar", "pie", "trend", "none"]

PLACEHOLDER_FOLDER = "path/to"
SAMPLE_FOLDER = "sample_data"
_INDENT = "    "


def placeholder(name: str | None = None, *, default: str = "your_file.csv") -> str:
    """A path to stand in for an uploaded file the notebook cannot see: ``path/to/<name>``.

    Examples
    --------
    >>> placeholder("Q3 leads (final).xlsx")
    'path/to/Q3 leads (final).xlsx'
    >>> placeholder(None)
    'path/to/your_file.csv'
    """
    base = PurePath((name or "").replace("\\", "/")).name.strip() or default
    return f"{PLACEHOLDER_FOLDER}/{base}"


def sample_file(file_name: str) -> str:
    """The path of a bundled sample, relative to the project folder.

    Examples
    --------
    >>> sample_file("newsletter_signups.csv")
    'sample_data/newsletter_signups.csv'
    """
    return f"{SAMPLE_FOLDER}/{file_name}"


@dataclass(frozen=True)
class Database:
    """Where a database-backed view's tables live: a connection in the secrets file."""

    connection: str
    table: str | None = None
    query: str | None = None
    orders_table: str | None = None


def python_code(
    definition: Definition,
    *,
    file_name: str = "",
    database: Database | None = None,
    orders_file: str | None = None,
    bands: Bands | None = None,
    chart: Chart = "bar",
    sheet: str | None = None,
    sort: str = "lower_bound",
    share: Literal["customers", "contacts"] = "customers",
    donut: bool = True,
    period: str = "month",
    by: str | None = None,
) -> str:
    """Python code that reproduces a view of the app with the public API, ready for a notebook.

    Parameters
    ----------
    definition
        What the view counts. Every field that differs from its default becomes an argument.
    file_name
        The contacts file's path as the code should read it: :func:`sample_file` for a bundled
        sample, :func:`placeholder` for an upload.
    database
        Instead of a file: the connection (from ``.streamlit/secrets.toml``) and table or query;
        the code then opens them with ``conversion.sources`` and counts where they live.
    orders_file
        The orders file's path, for a definition joined to orders (default: a placeholder).
    bands
        The bands to write (default: ``definition.bands``).
    chart
        The chart the code ends with: ``"bar"``, ``"pie"``, ``"trend"``, or ``"none"`` to end
        with the result itself (its table).
    sheet
        The Excel sheet the contacts were read from.
    sort
        The table's row order.
    share, donut
        For ``chart="pie"``: which count the slices show, and whether there is a hole.
    period, by
        For ``chart="trend"``: the cohort length and the segment column drawn as lines.

    Returns
    -------
    str
        A few lines of Python: an import, the ``by_segment`` call, the chart.

    Raises
    ------
    InputError
        For an unknown chart.

    Examples
    --------
    >>> from conversion.definition import Definition
    >>> definition = Definition(segments=("source",), converted="won")
    >>> print(python_code(definition, file_name=placeholder("leads.csv")))
    import conversion
    <BLANKLINE>
    # Replace the path with the file's location on your machine.
    result = conversion.by_segment(
        "path/to/leads.csv",
        segment="source",
        converted="won",
    )
    result.bar_chart()
    <BLANKLINE>
    """
    if database is not None:
        orders_code, data_code = "orders", "contacts"
    else:
        orders_code = _literal(orders_file or placeholder(default="your_orders.csv"))
        data_code = _literal(file_name)
    bands = bands or definition.bands
    arguments = list(_arguments(definition, bands, orders_code, sheet, sort))
    lines = ["import conversion", ""]
    if database is not None:
        lines[1:1] = ["from conversion import sources"]
        lines += [
            "# Counted where the data are; the address is read from .streamlit/secrets.toml.",
            f"address = sources.resolve_address({_literal('secrets:' + database.connection)})",
            "contacts = sources.open_remote(address, "
            + (f"table={_literal(database.table)})" if database.query is None
               else f"query={_literal(database.query)})"),
        ]  # fmt: skip
        if database.orders_table is not None and definition.orders is not None:
            lines.append(
                f"orders = sources.open_remote(address, table={_literal(database.orders_table)})"
            )
    elif file_name.startswith(PLACEHOLDER_FOLDER + "/"):
        lines.append("# Replace the path with the file's location on your machine.")
    lines.append("result = conversion.by_segment(")
    lines.append(f"{_INDENT}{data_code},")
    lines += [f"{_INDENT}{name}={value}," for name, value in arguments]
    lines.append(")")
    lines.append(_chart_call(chart, share, donut, period, by))
    return "\n".join(lines) + "\n"


def _arguments(
    d: Definition, bands: Bands, orders_code: str, sheet: str | None, sort: str
) -> Iterator[tuple[str, str]]:
    """``(name, literal)`` for every argument of ``by_segment`` that is not its default."""
    if len(d.segments) == 1:
        yield "segment", _literal(d.segments[0])
    elif d.segments:
        yield "segment", _literal(list(d.segments))
    yield from _given(
        ("converted", d.converted),
        ("customer_values", list(d.customer_values) or None),
        ("converted_date", d.converted_date),
        ("id", d.id),
        ("contact_date", d.contact_date),
        ("window_days", d.window_days),
        ("as_of", d.as_of),
    )
    if d.orders is not None:
        yield "orders", orders_code
        yield from _given(
            ("key", d.orders.key),
            ("orders_key", d.orders.orders_key),
            ("orders_date", d.orders.orders_date),
        )
    yield from _given(
        ("contacts", d.contacts_column),
        ("customers", d.customers_column),
        ("top", d.top_k),
        ("bins", dict(d.bins) or None),
        ("buckets", dict(d.date_buckets) or None),
        ("date_format", d.date_format),
    )
    written = _bands(bands)
    if written is not None:
        yield "bands", written
    if sort != "lower_bound":
        yield "sort", _literal(sort)
    if sheet is not None:
        yield "sheet", _literal(sheet)


def _given(*pairs: tuple[str, object]) -> Iterator[tuple[str, str]]:
    for name, value in pairs:
        if value is not None:
            yield name, _literal(value)


def _bands(bands: Bands) -> str | None:
    """The ``bands`` argument: None for the default, a preset's name, or thresholds in percent."""
    if bands == BAND_PRESETS["default"]:
        return None
    if bands.name in BAND_PRESETS and bands == BAND_PRESETS[bands.name]:
        return _literal(bands.name)
    # Percent with float noise rounded off (0.07 * 100 is 7.000000000000001), so that
    # Bands.custom gives back the very thresholds the app used.
    strong, moderate = (_number(round(value * 100, 9)) for value in (bands.strong, bands.moderate))
    return f"({strong}, {moderate})"


def _chart_call(chart: Chart, share: str, donut: bool, period: str, by: str | None) -> str:
    if chart == "bar":
        return "result.bar_chart()"
    if chart == "pie":
        options = [] if share == "customers" else [f"share={_literal(share)}"]
        options += [] if donut else ["donut=False"]
        return f"result.pie_chart({', '.join(options)})"
    if chart == "trend":
        options = [] if period == "month" else [_literal(period)]
        options += [] if by is None else [f"by={_literal(by)}"]
        return f"result.trend_chart({', '.join(options)})"
    if chart == "none":
        return "result"
    raise InputError(f"Unknown chart {chart!r}; choose bar, pie, trend or none.")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _literal(value: object) -> str:
    """A Python literal for a str, int, date, list or dict, with double-quoted strings."""
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and "'" not in value and '"' not in value:
            return '"' + text[1:-1] + '"'
        return text
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return _literal(value.isoformat())
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{_literal(k)}: {_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as a literal")  # pragma: no cover
