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
from conversion.analysis import stats
from conversion.errors import InputError
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


def _output_format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower() if args.output else ""
    return {".csv": "csv", ".json": "json"}.get(suffix, "table")
