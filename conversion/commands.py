"""What the ``conversion`` command does once its arguments are read: count, detect, write.

``conversion.cli`` reads the arguments with nothing but the standard library loaded, so that
``conversion --help`` and a usage error answer at once; this module, which loads polars and the
engine, is imported only to run a command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from conversion import counting, reading, sources
from conversion.analysis import change, stats
from conversion.analysis import funnel as funnel_stats
from conversion.counting import ranges
from conversion.counting.funnel import FunnelCounts, count_funnel
from conversion.counting.periods import Span, pick_spans
from conversion.counting.stages import Funnel, detect_stages, parse_stage_map
from conversion.definition import OrdersJoin
from conversion.errors import InputError
from conversion.presentation import change_report
from conversion.presentation import funnel as funnel_output
from conversion.presentation.output import write_atomically
from conversion.presentation.report import export_table
from conversion.presentation.terminal import to_json, to_text_table
from conversion.roles import complete_definition, detect_roles

if TYPE_CHECKING:
    from collections.abc import Callable

    from conversion.counting import Counts
    from conversion.definition import Definition


def run(args: argparse.Namespace, definition: Definition | None) -> str:
    """The command's output as text; what it has to say besides goes to stderr.

    A table polars cannot read becomes an ``InputError`` with the first line of its message.
    """
    try:
        if args.command == "roles":
            return run_roles(args)
        if args.command == "change":
            assert definition is not None
            return run_change(args, definition)
        if args.command == "funnel":
            return run_funnel(args)
        assert definition is not None
        counts, table, overall = run_rates(args, definition)
    except pl.exceptions.PolarsError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise InputError(f"could not read the data: {first_line}") from None
    kind = _output_format(args)
    if kind != "table":
        for warning in counts.warnings:
            print(f"conversion: note: {warning}", file=sys.stderr)
    if kind == "csv":
        return export_table(table, counts.definition.segments).write_csv()
    if kind == "json":
        return to_json(counts, table, overall) + "\n"
    return to_text_table(counts, table, overall)


def run_notebook(args: argparse.Namespace) -> tuple[str, int]:
    """``conversion notebook``: the report of a saved notebook run on ``--data``, and the status.

    Cells that cannot be computed (a column missing from the new file) are named on stderr and
    in the report; the status is then 1, else 0.
    """
    # The notebook draws charts (Altair, vl-convert): loaded only for this command.
    from conversion import notebook

    book = notebook.Notebook.load(args.notebook)
    try:
        result = book.run(args.data, args.orders, as_of=args.as_of)
    except pl.exceptions.PolarsError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise InputError(f"could not read the data: {first_line}") from None
    for problem in result.problems:
        print(f"conversion: cell not computed: {problem}", file=sys.stderr)
    kind = args.format or {".html": "html", ".htm": "html", ".json": "json"}.get(
        Path(args.output).suffix.lower() if args.output else "", "markdown"
    )
    text = {"html": result.to_html, "json": result.to_json}.get(kind, result.to_markdown)()
    return text, 1 if result.problems else 0


def write(path: str, text: str) -> None:
    """Write the output to a file atomically."""
    write_atomically(path, text)


def run_rates(
    args: argparse.Namespace, definition: Definition
) -> tuple[Counts, pl.DataFrame, stats.Overall]:
    """Count as the arguments say: the table, its statistics and the overall figures."""
    if args.source is not None or args.engine is not None:
        contacts, orders, rows = _remote_sources(args)
    else:
        contacts, orders, rows = _file_sources(args)
    definition = _with_detected_roles(args, definition, rows, contacts.name)
    counts = counting.count(contacts, definition, orders, keep_totals=args.keep_totals)
    table = stats.describe(
        counts.table, counts.definition.bands, adjust=args.adjust, sort=args.sort
    )
    return counts, table, stats.overall(counts.table)


def _load(args: argparse.Namespace, path: str) -> reading.Table:
    return reading.load(
        path, sheet=args.sheet, delimiter=args.delimiter, header_row=args.header_row
    )


def _with_detected_roles(
    args: argparse.Namespace,
    definition: Definition,
    rows: Callable[[], pl.LazyFrame],
    source: str,
) -> Definition:
    """The definition with the roles the flags leave open detected, each named on stderr.

    ``rows`` gives the rows detection reads; it is only called when a role is open.
    """
    if args.no_id and args.id:
        raise InputError("--id and --no-id contradict each other: give one of them.")
    if args.no_detect:
        return definition
    completed, detected = complete_definition(
        definition, lambda: detect_roles(rows()), source=source, id=not args.no_id
    )
    for role in detected:
        print(f"conversion: note: {role.note()}", file=sys.stderr)
    return completed


def _file_sources(
    args: argparse.Namespace,
) -> tuple[sources.Source, sources.Source | None, Callable[[], pl.LazyFrame]]:
    """The contacts file (and orders file) as sources, and the rows roles are detected on."""
    if args.contacts is None:
        raise InputError("Give a contacts file, or --source with --table or --query.")
    for flag in ("table", "query", "orders_table", "orders_query", "spark_master"):
        if getattr(args, flag) is not None:
            option = "--" + flag.replace("_", "-")
            raise InputError(f"{option} needs --source (a database) or --engine.")
    contacts = _load(args, args.contacts)
    orders = reading.load(args.orders) if args.orders else None
    return sources.of(contacts), sources.of(orders) if orders else None, lambda: contacts.frame


def _remote_sources(
    args: argparse.Namespace,
) -> tuple[sources.Source, sources.Source | None, Callable[[], pl.LazyFrame]]:
    """Where the data are: a database table or query, or a file read by DuckDB or Spark.

    Roles are detected on the first rows, as the app does for a database table.
    """
    if args.source is None:
        if args.contacts is None and args.engine == "spark" and (args.table or args.query):
            address = "spark"  # a table in Spark's catalog, or Spark SQL over files
        elif args.contacts is None:
            raise InputError("--engine needs a file to read, or --source.")
        else:
            address = args.contacts
    elif args.contacts is not None:
        raise InputError("Give either a contacts file or --source, not both.")
    else:
        address = sources.resolve_address(args.source, Path(args.secrets) if args.secrets else None)
    if args.orders is not None:
        raise InputError("With --source, give the orders as --orders-table or --orders-query.")
    # A secrets:NAME source keeps to its section's timeout, row limit and pool size (issue 18).
    limits, pool = sources.source_settings(
        args.source or "", Path(args.secrets) if args.secrets else None
    )
    connection = sources.connect(
        address, engine_name=args.engine, spark_master=args.spark_master, limits=limits, pool=pool
    )
    contacts = connection.open(table=args.table, query=args.query)
    orders = None
    if args.orders_table is not None or args.orders_query is not None:
        orders = connection.open(table=args.orders_table, query=args.orders_query)
    return contacts, orders, lambda: contacts.sample(sources.DETECTION_ROWS).lazy()


def _period_change(
    args: argparse.Namespace, definition: Definition
) -> tuple[pl.DataFrame, tuple[Span, Span], str]:
    """``change.period_change`` of the two periods or date ranges the arguments name.

    Mature contacts only; returns the table, the two periods (or ranges) and what they are.
    """
    if args.source is not None or args.engine is not None:
        contacts, orders, rows = _remote_sources(args)
    else:
        contacts, orders, rows = _file_sources(args)
    definition = _with_detected_roles(args, definition, rows, contacts.name)
    if definition.pre_aggregated or definition.contact_date is None:
        raise InputError(
            f"conversion {args.command} compares periods of contact dates: it needs one row per "
            "contact and the contact-date column (--contact-date COL)."
        )
    segments = [s for s in definition.segments if s != definition.contact_date]
    current, previous = getattr(args, "current", None), getattr(args, "previous", None)
    if ranges.is_day_range(current, args.period) or ranges.is_day_range(previous, args.period):
        days = ranges.pick_days(current, previous)
        dated = definition.with_changes(
            segments=tuple(segments),
            top_k=None,
            date_buckets=tuple(
                b for b in definition.date_buckets if b[0] != definition.contact_date
            ),
        )
        counted = ranges.counts_between(contacts, dated, orders, *days)
        for warning in dict.fromkeys(counted[0].warnings + counted[1].warnings):
            print(f"conversion: note: {warning}", file=sys.stderr)
        tables = (counted[0].table, counted[1].table)
        table = change.period_change(*tables, segments, args.adjust, definition.top_k)
        return table, days, ranges.DAYS
    table, counts = counting.cohorts(contacts, definition, orders, period=args.period)
    for warning in counts.warnings:
        print(f"conversion: note: {warning}", file=sys.stderr)
    periods = pick_spans(table, args.period, current, previous, as_of=counts.quality.as_of)
    changed = change.between_spans(table, segments, *periods, args.adjust, definition.top_k)
    return changed, periods, args.period


def run_change(args: argparse.Namespace, definition: Definition) -> str:
    """``conversion change``: the change table as CSV, JSON or aligned text."""
    table, periods, period = _period_change(args, definition)
    segments = [c for c in table.columns if c not in change.CHANGE_COLUMNS]
    kind = _output_format(args)
    if kind == "csv":
        return change_report.export_change(table, segments).write_csv()
    if kind == "json":
        return change_report.to_json(table, segments, periods, period)
    return change_report.to_text(table, segments, periods, period)


def run_check(args: argparse.Namespace, definition: Definition) -> tuple[str, bool]:
    """``conversion check``: the segments that dropped, and whether any did."""
    if not 0 < args.alpha < 1 or args.drop_pp < 0:
        raise InputError("--alpha must lie between 0 and 1 and --drop-pp be 0 or more.")
    try:
        table, periods, period = _period_change(args, definition)
    except pl.exceptions.PolarsError as error:
        raise InputError(f"could not read the data: {str(error).strip()[:200]}") from None
    segments = [c for c in table.columns if c not in change.CHANGE_COLUMNS]
    dropped = change.drops(
        table, min_contacts=args.min_contacts, drop=args.drop_pp / 100, alpha=args.alpha
    )
    kind = _output_format(args)
    if kind == "json":
        rule = {"min_contacts": args.min_contacts, "drop_pp": args.drop_pp, "alpha": args.alpha}
        text = change_report.to_json(dropped, segments, periods, period, {"rule": rule})
    elif kind == "csv":
        text = change_report.export_change(dropped, segments).write_csv()
    else:
        text = change_report.check_summary(
            dropped, table.height, periods, period, args.drop_pp / 100, args.alpha
        )
        if not dropped.is_empty():
            text += change_report.to_text(dropped, segments, periods, period)
    return text, not dropped.is_empty()


def run_roles(args: argparse.Namespace) -> str:
    table = _load(args, args.contacts)
    roles = detect_roles(table.frame)
    lines = [f"{table.name}: {len(table.columns)} columns ({table.format})"]
    for label, value in (
        ("id", roles.id),
        ("converted flag", roles.converted),
        ("customer values", ", ".join(roles.customer_values) or None),
        ("conversion date", roles.converted_date),
        ("contact date", roles.contact_date),
        ("segments", ", ".join(roles.segments) or None),
        ("contacts (pre-aggregated)", roles.contacts_column),
        ("customers (pre-aggregated)", roles.customers_column),
        ("could each be the flag", ", ".join(roles.flag_candidates) or None),
    ):
        if value is not None or label != "could each be the flag":
            lines.append(f"  {label:<27} {value if value is not None else '—'}")
    lines += [f"  note: {note}" for note in table.notes]
    return "\n".join(lines) + "\n"


def run_funnel(args: argparse.Namespace) -> str:
    """``conversion funnel``: count the funnel per segment, describe it, write it as asked."""
    if args.source is not None or args.engine is not None:
        contacts, orders, rows = _remote_sources(args)
    else:
        contacts, orders, rows = _file_sources(args)
    funnel, detected = _funnel_from_args(args, rows(), contacts.name)
    counts = count_funnel(contacts, funnel, orders)
    for note in detected:  # after the count: bad input stays one line on stderr
        print(f"conversion: note: {note}", file=sys.stderr)
    described = funnel_stats.describe_funnel(counts, adjust=args.adjust)
    drops = funnel_stats.biggest_drops(described, list(counts.funnel.segments))
    days = funnel_stats.days_between(counts)
    kind = _output_format(args)
    if kind == "csv":
        text = funnel_output.funnel_csv(described, counts.funnel.segments)
    elif kind == "json":
        text = funnel_output.funnel_json(counts, described, drops, days)
    else:
        return funnel_output.funnel_text(counts, described, drops, days)
    _notes(counts)
    return text


def _notes(counts: FunnelCounts) -> None:
    for warning in counts.warnings:
        print(f"conversion: note: {warning}", file=sys.stderr)


def _funnel_from_args(
    args: argparse.Namespace, rows: pl.LazyFrame, name: str
) -> tuple[Funnel, list[str]]:
    """The ``Funnel`` the flags describe; stages and id not given are detected, each noted."""
    notes = []
    stages, column = tuple(args.stage), args.stage_column
    order = tuple(v.strip() for v in (args.stage_order or "").split(",") if v.strip())
    if not stages and not column:
        found = detect_stages(rows)
        if not found.found:
            raise InputError(
                f"No stage columns found in {name}: give the stage-date columns in order "
                "(--stage COL, repeated) or a stage column and its order (--stage-column COL "
                "--stage-order V1,V2,...)."
            )
        stages, column, order = found.stages, found.stage_column, found.stage_order
        what = ", ".join(stages) if stages else f"{column} ({', '.join(order)})"
        notes.append(f"stages = {what} (detected; --stage COL to choose)")
    identifier = args.id
    if identifier is None and not args.no_id:
        detected = detect_roles(rows).id
        if detected is not None and detected not in (*args.segment, *stages, column):
            identifier = detected
            notes.append(
                f'id = column "{detected}" (detected; --id COL to choose another, --no-id to '
                "count rows)"
            )
    funnel = Funnel(
        segments=tuple(args.segment),
        stages=stages,
        stage_column=column,
        stage_order=order,
        stage_map=parse_stage_map(args.stage_map),
        id=identifier,
        step_windows=tuple(args.step_window_days),
        as_of=args.as_of,
        date_format=args.date_format,
        orders=_orders_join(args),
        orders_stage=args.orders_stage,
    )
    return funnel, notes


def _orders_join(args: argparse.Namespace) -> OrdersJoin | None:
    if bool(args.orders) != bool(args.key):
        raise InputError("--orders and --key go together: the file and the column joining it.")
    return OrdersJoin(args.key, args.orders_key, args.orders_date) if args.key else None


def _output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower() if args.output else ""
    return {".csv": "csv", ".json": "json"}.get(suffix, "table")
