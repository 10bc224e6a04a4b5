"""The ``conversion`` command: the app's numbers from a terminal.

    conversion rates CONTACTS --segment COL [--segment COL ...] [--converted COL] ...
    conversion roles CONTACTS

Bad input prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import polars as pl

from conversion import counting, reading, sources
from conversion.analysis import stats
from conversion.counting import Counts
from conversion.definition import (
    BAND_PRESETS,
    Bands,
    DateBucket,
    Definition,
    OrdersJoin,
    is_date_bucket,
)
from conversion.errors import InputError
from conversion.presentation.report import export_table
from conversion.presentation.terminal import to_json, to_text_table
from conversion.roles import complete_definition, detect_roles, parse_customer_values

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="conversion",
        description="Customer conversion rate by segment: customers / contacts × 100, with "
        "Wilson intervals, tests against the rest and performance bands.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    _rates_parser(commands)
    _roles_parser(commands)
    return parser


def _rates_parser(commands: argparse._SubParsersAction) -> None:
    """``conversion rates``: the conversion rate per segment."""
    rates = commands.add_parser(
        "rates", help="conversion rate per segment", description="Conversion rate per segment."
    )
    rates.add_argument(
        "contacts",
        metavar="CONTACTS",
        nargs="?",
        help="contacts / leads file (or none, with --source)",
    )
    rates.add_argument(
        "--segment",
        action="append",
        required=True,
        metavar="COL",
        help="segment column; repeat for a cross-breakdown",
    )
    _evidence_arguments(rates)
    _counting_arguments(rates)
    _judging_arguments(rates)
    _output_arguments(rates)
    _remote_arguments(rates)


def _evidence_arguments(rates: argparse.ArgumentParser) -> None:
    """What makes a contact a customer: a flag, a conversion date, orders, or counts."""
    evidence = rates.add_argument_group("what makes a customer")
    evidence.add_argument(
        "--converted",
        metavar="COL",
        help="flag column (Y/N, TRUE/FALSE, 1/0, won/lost, a lifecycle stage)",
    )
    evidence.add_argument(
        "--customer-value",
        action="extend",
        nargs="+",
        default=[],
        metavar="VALUE",
        help="values of --converted that mean a customer (every other value means not a customer)",
    )
    evidence.add_argument(
        "--converted-date", metavar="COL", help="conversion-date column (non-empty = converted)"
    )
    evidence.add_argument("--orders", metavar="FILE", help="orders / won-deals file")
    evidence.add_argument("--key", metavar="COL", help="contacts column that joins the orders")
    evidence.add_argument(
        "--orders-key",
        metavar="COL",
        help="orders column for the key (default: same name as --key)",
    )
    evidence.add_argument("--orders-date", metavar="COL", help="order / won date column")
    evidence.add_argument(
        "--contacts",
        dest="contacts_column",
        metavar="COL",
        help="pre-aggregated input: the contacts count column",
    )
    evidence.add_argument(
        "--customers",
        dest="customers_column",
        metavar="COL",
        help="pre-aggregated input: the customers count column",
    )


def _counting_arguments(rates: argparse.ArgumentParser) -> None:
    """How contacts are counted: the id, the dates, the window, top K, bins and buckets."""
    counting = rates.add_argument_group(
        "how to count (roles not given are detected as the app detects them, each named in a "
        "note on stderr)"
    )
    counting.add_argument("--id", metavar="COL", help="contact id: count unique contacts")
    counting.add_argument(
        "--no-id", action="store_true", help="count rows, even when a column looks like an id"
    )
    counting.add_argument(
        "--no-detect",
        action="store_true",
        help="use only the roles given here: detect no id, flag or dates",
    )
    counting.add_argument("--contact-date", metavar="COL", help="date the contact was made")
    counting.add_argument(
        "--window-days",
        type=_non_negative_int,
        metavar="N",
        help="count a conversion only within N days of the contact date",
    )
    counting.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="DATE",
        help="as-of date for maturity (default: latest date in the data)",
    )
    counting.add_argument(
        "--top",
        type=_positive_int,
        metavar="K",
        help="keep the K largest segments per column, group the rest as Other",
    )
    counting.add_argument(
        "--bin",
        action="append",
        default=[],
        metavar="COL=N",
        help="bin a numeric segment column into N quantile bins",
    )
    counting.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar="COL=PERIOD",
        help="bucket a date segment column by week, month, quarter or year",
    )
    counting.add_argument(
        "--date-format",
        metavar="FMT",
        help="strptime format for all date columns, e.g. %%d/%%m/%%Y %%H:%%M",
    )


def _judging_arguments(rates: argparse.ArgumentParser) -> None:
    """Bands, the multiple-comparison adjustment and the row order."""
    judging = rates.add_argument_group("bands and statistics")
    judging.add_argument(
        "--bands",
        choices=sorted(BAND_PRESETS),
        default="default",
        help="band preset (default: strong ≥ 20 %%, moderate ≥ 10 %%)",
    )
    judging.add_argument("--strong", type=float, metavar="PCT", help="custom strong threshold, %%")
    judging.add_argument(
        "--moderate", type=float, metavar="PCT", help="custom moderate threshold, %%"
    )
    judging.add_argument(
        "--adjust",
        choices=("bh", "holm"),
        default="bh",
        help="multiple-comparison adjustment (default: Benjamini–Hochberg)",
    )
    judging.add_argument(
        "--sort",
        choices=("lower_bound", "rate", "contacts", "segment"),
        default="lower_bound",
        help="row order (default: interval lower bound)",
    )


def _output_arguments(rates: argparse.ArgumentParser) -> None:
    """How the file is read and where the result goes."""
    output = rates.add_argument_group("input and output")
    _reading_arguments(output)
    output.add_argument(
        "--keep-totals",
        action="store_true",
        help="pre-aggregated input: keep Total / Grand Total rows as segments",
    )
    output.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default=None,
        help="output format (default: table, or from the --output suffix)",
    )
    output.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")


def _remote_arguments(rates: argparse.ArgumentParser) -> None:
    """Counting where the data are: a database, or a file read by DuckDB or Spark."""
    remote = rates.add_argument_group(
        "where the data are (count in a database or on Spark; only the per-segment table "
        "comes back)"
    )
    remote.add_argument(
        "--source",
        metavar="ADDRESS",
        help="postgresql://user@host/db, duckdb:///file.duckdb, env:VAR or secrets:NAME "
        "(no password: use PGPASSWORD, ~/.pgpass or the secrets file); with --engine, a "
        "Parquet or CSV file or folder",
    )
    remote.add_argument("--table", metavar="NAME", help="contacts table (schema.table)")
    remote.add_argument(
        "--query", metavar="SQL", help="contacts query (a file opened by --engine: 'contacts')"
    )
    remote.add_argument("--orders-table", metavar="NAME", help="orders table, same source")
    remote.add_argument("--orders-query", metavar="SQL", help="orders query, same source")
    remote.add_argument(
        "--engine",
        choices=sources.ENGINES,
        help="engine (default: from the address)",
    )
    remote.add_argument(
        "--spark-master", metavar="URL", help="Spark master (default: $SPARK_MASTER or local[*])"
    )
    remote.add_argument(
        "--secrets",
        metavar="FILE",
        help="secrets file for secrets:NAME (default: .streamlit/secrets.toml)",
    )


def _roles_parser(commands: argparse._SubParsersAction) -> None:
    """``conversion roles``: the roles detected for a file."""
    roles = commands.add_parser(
        "roles",
        help="suggest column roles for a file",
        description="Show which columns look like the id, flag, dates and segments.",
    )
    roles.add_argument("contacts", metavar="CONTACTS")
    _reading_arguments(roles)


def _reading_arguments(group: argparse._ActionsContainer) -> None:
    """How a file is read: the same flags for every subcommand that reads one."""
    group.add_argument("--sheet", metavar="NAME", help="Excel sheet (default: the first)")
    group.add_argument(
        "--delimiter", metavar="CHAR", help="delimiter for text files (default: detected)"
    )
    group.add_argument(
        "--header-row",
        type=_positive_int,
        metavar="N",
        help="line number of the header in a text file (default: detected below any title lines)",
    )


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError("use the form YYYY-MM-DD") from error


def _pairs(items: Sequence[str], flag: str) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        column, sep, value = item.rpartition("=")
        if not sep or not column or not value:
            raise InputError(f"{flag} takes COL=VALUE, e.g. {flag} age=4; got '{item}'.")
        pairs.append((column, value))
    return pairs


def definition_from_args(args: argparse.Namespace) -> Definition:
    """The ``Definition`` the command-line flags describe."""
    if args.strong is not None or args.moderate is not None:
        if args.strong is None or args.moderate is None:
            raise InputError("Custom bands need both --strong and --moderate (in percent).")
        bands = Bands.custom(args.strong, args.moderate)
    else:
        bands = Bands.preset(args.bands)
    orders = None
    has_orders = bool(
        args.orders or getattr(args, "orders_table", None) or getattr(args, "orders_query", None)
    )
    if has_orders or args.key:
        if not (has_orders and args.key):
            raise InputError("--orders and --key go together: the file and the column joining it.")
        orders = OrdersJoin(args.key, args.orders_key, args.orders_date)
    bins = []
    for column, value in _pairs(args.bin, "--bin"):
        if not value.isdigit() or int(value) < 2:
            raise InputError(f"--bin {column}={value}: the number of bins must be 2 or more.")
        bins.append((column, int(value)))
    buckets: list[tuple[str, DateBucket]] = []
    for column, value in _pairs(args.bucket, "--bucket"):
        if not is_date_bucket(value):
            raise InputError(f"--bucket {column}={value}: use week, month, quarter or year.")
        buckets.append((column, value))
    return Definition(
        segments=tuple(args.segment),
        converted=args.converted,
        customer_values=parse_customer_values(args.customer_value),
        converted_date=args.converted_date,
        id=args.id,
        contact_date=args.contact_date,
        window_days=args.window_days,
        as_of=args.as_of,
        orders=orders,
        contacts_column=args.contacts_column,
        customers_column=args.customers_column,
        top_k=args.top,
        bins=tuple(bins),
        date_buckets=tuple(buckets),
        date_format=args.date_format,
        bands=bands,
    )


def run_rates(args: argparse.Namespace) -> tuple[Counts, pl.DataFrame, stats.Overall]:
    definition = definition_from_args(args)
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

    connection = sources.connect(address, engine_name=args.engine, spark_master=args.spark_master)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "roles":
            text = run_roles(args)
        else:
            counts, table, overall = run_rates(args)
            kind = _output_format(args)
            if kind == "csv":
                text = export_table(table, counts.definition.segments).write_csv()
            elif kind == "json":
                text = to_json(counts, table, overall) + "\n"
            else:
                text = to_text_table(counts, table, overall)
            if kind != "table":
                for warning in counts.warnings:
                    print(f"conversion: note: {warning}", file=sys.stderr)
        if getattr(args, "output", None):
            # The export module loads the chart stack: imported only when writing a file.
            from conversion.presentation.export import write_atomically

            write_atomically(args.output, text)
        else:
            sys.stdout.write(text)
    except InputError as error:
        print(f"conversion: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except pl.exceptions.PolarsError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        print(f"conversion: could not read the data: {first_line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"conversion: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
