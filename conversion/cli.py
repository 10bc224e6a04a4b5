"""The ``conversion`` command: the app's numbers from a terminal.

    conversion rates CONTACTS --segment COL [--segment COL ...] [--converted COL] ...
    conversion roles CONTACTS
    conversion change CONTACTS --segment COL --period month [--current 2025-06 --previous 2025-05]
    conversion check CONTACTS --segment COL --period month [--min-contacts 100] [--drop-pp 3]
    conversion change CONTACTS --segment COL --current 2025-06-03..2025-06-20 [--previous ...]
    conversion funnel CONTACTS --segment COL (--stage COL ... | --stage-column COL --stage-order ..)
    conversion notebook NOTEBOOK.json --data CONTACTS [--orders ORDERS] --output report.html

Bad input prints one line on stderr and exits with status 2; ``check`` exits with status 1 when
a segment's rate dropped, ``notebook`` when some cells could not be computed on the new data.
Reading the arguments needs only the standard library; the engine (``conversion.commands``) is
loaded to run a command.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TYPE_CHECKING, NoReturn

from conversion.definition import (
    BAND_PRESETS,
    ENGINES,
    Bands,
    DateBucket,
    Definition,
    OrdersJoin,
    is_date_bucket,
    parse_customer_values,
)
from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_BAD_INPUT = 2
EXIT_DROPPED = 1
COUNTING_COMMANDS = ("rates", "change", "check")


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
    _change_parsers(commands)
    _funnel_parser(commands)
    _notebook_parser(commands)
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
        choices=ENGINES,
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


def _change_parsers(commands: argparse._SubParsersAction) -> None:
    """``conversion change`` and ``conversion check``: one period against the one before."""
    change = commands.add_parser(
        "change",
        help="each segment's rate in two periods and the change",
        description="Each segment's rate in two mature periods (the latest and the one before, "
        "by default), the change in points with Newcombe's interval, adjusted p-values and the "
        "segments that drove the overall change.",
    )
    check = commands.add_parser(
        "check",
        help="alert on segments whose rate dropped (exit status 1)",
        description="Compare the latest mature period with the one before (or the periods "
        "or dates --current and --previous name); exit 1 and list "
        "the segments whose rate fell by at least --drop-pp points and significantly after "
        "adjustment, exit 0 when none did, exit 2 on bad input.",
    )
    for parser in (change, check):
        parser.add_argument("contacts", metavar="CONTACTS", nargs="?", help="contacts file")
        parser.add_argument(
            "--segment", action="append", required=True, metavar="COL", help="segment column"
        )
        parser.add_argument(
            "--period",
            choices=("week", "month", "quarter", "year"),
            default="month",
            help="period of contact dates compared (default: month)",
        )
        parser.add_argument(
            "--adjust", choices=("bh", "holm"), default="bh", help="p-value adjustment"
        )
        parser.add_argument(
            "--current",
            metavar="PERIOD",
            help="e.g. 2025-06, a run 2025-04..2025-06, or dates 2025-06-03..2025-06-20 (whole "
            "days, both included; with --period week a date names its week) (default: the "
            "latest mature period)",
        )
        parser.add_argument(
            "--previous",
            metavar="PERIOD",
            help="default: as many periods (or days) just before --current",
        )
        parser.set_defaults(bands="default", strong=None, moderate=None, sort=None)
        _evidence_arguments(parser)
        _counting_arguments(parser)
        _output_arguments(parser)
        _remote_arguments(parser)
    check.add_argument(
        "--min-contacts",
        type=_non_negative_int,
        default=100,
        metavar="N",
        help="segments with fewer contacts in either period never alert (default 100)",
    )
    check.add_argument(
        "--drop-pp", type=float, default=3.0, metavar="PP", help="smallest fall, points (default 3)"
    )
    check.add_argument(
        "--alpha", type=float, default=0.05, metavar="A", help="level for adjusted p (default 0.05)"
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


def _funnel_parser(commands: argparse._SubParsersAction) -> None:
    """``conversion funnel``: where each segment's contacts drop out, stage by stage."""
    funnel = commands.add_parser(
        "funnel",
        help="lifecycle funnel per segment",
        description="Contacts reaching each stage per segment: step and cumulative rates with "
        "Wilson intervals, the biggest drop, and each segment against the rest. Stages not "
        "given are detected from CRM headers (Became a ... Date) or a lifecycle-stage column.",
    )
    funnel.add_argument(
        "contacts", metavar="CONTACTS", nargs="?", help="contacts file (or none, with --source)"
    )
    funnel.add_argument("--segment", action="append", required=True, metavar="COL")
    funnel.add_argument(
        "--stage",
        action="append",
        default=[],
        metavar="COL",
        help="stage-date column, in funnel order; repeat for each stage",
    )
    funnel.add_argument("--stage-column", metavar="COL", help="one column holding the stage")
    funnel.add_argument(
        "--stage-order", metavar="V1,V2,...", help="the stage column's values, first stage first"
    )
    funnel.add_argument(
        "--stage-map",
        action="append",
        default=[],
        metavar="VALUE=STAGE",
        help="count another value as a stage of the order (VALUE= leaves those contacts out)",
    )
    funnel.add_argument("--id", metavar="COL", help="contact id: count unique contacts")
    funnel.add_argument("--no-id", action="store_true", help="count rows, detect no id")
    funnel.add_argument("--orders", metavar="FILE", help="orders / won deals: the last stage")
    funnel.add_argument("--key", metavar="COL", help="contacts column joining the orders")
    funnel.add_argument("--orders-key", metavar="COL", help="orders column it matches")
    funnel.add_argument("--orders-date", metavar="COL", help="the orders' date column")
    funnel.add_argument(
        "--orders-stage", metavar="NAME", default="ordered", help="the orders stage's name"
    )
    funnel.add_argument(
        "--step-window-days",
        action="append",
        default=[],
        type=_non_negative_int,
        metavar="N",
        help="count a step only within N days of the previous stage; once for every step, "
        "or once per step in order",
    )
    funnel.add_argument(
        "--as-of",
        type=_iso_date,
        metavar="DATE",
        help="as-of date for maturity (default: latest stage date in the data)",
    )
    funnel.add_argument("--date-format", metavar="FMT", help="strptime format of the stage dates")
    funnel.add_argument("--adjust", choices=("bh", "holm"), default="bh")
    _reading_arguments(funnel)
    funnel.add_argument("--format", choices=("table", "csv", "json"), default=None)
    funnel.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    _remote_arguments(funnel)


def _notebook_parser(commands: argparse._SubParsersAction) -> None:
    """``conversion notebook``: a saved notebook recomputed on a new export."""
    notebook = commands.add_parser(
        "notebook",
        help="run a saved analysis notebook on new data",
        description="Recompute every cell of a notebook saved from the app on a new export and "
        "write the report. Exit status: 0 every cell computed, 1 some cells could not be "
        "(each named on stderr and in the report), 2 bad input.",
    )
    notebook.add_argument("notebook", metavar="NOTEBOOK", help="notebook JSON file from the app")
    notebook.add_argument("--data", required=True, metavar="CONTACTS", help="contacts file")
    notebook.add_argument("--orders", metavar="ORDERS", help="orders / won-deals file")
    notebook.add_argument(
        "--as-of", type=_iso_date, metavar="DATE", help="as-of date for every cell (YYYY-MM-DD)"
    )
    notebook.add_argument(
        "--format",
        choices=("html", "markdown", "json"),
        help="html report, markdown, or json numbers of every cell (default: from the --output "
        "suffix, else markdown)",
    )
    notebook.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; the exit status: 0 ok, 1 a drop found by ``check`` or notebook cells not
    computed, 2 bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        definition = definition_from_args(args) if args.command in COUNTING_COMMANDS else None
        # The engine loads polars and the statistics: only once there is something to run.
        from conversion import commands

        if args.command == "check" and definition is not None:
            text, dropped = commands.run_check(args, definition)
            status = EXIT_DROPPED if dropped else 0
        elif args.command == "notebook":
            text, status = commands.run_notebook(args)
        else:
            text, status = commands.run(args, definition), 0
        if getattr(args, "output", None):
            commands.write(args.output, text)
        else:
            sys.stdout.write(text)
    except InputError as error:
        print(f"conversion: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"conversion: {error.strerror or error}: {error.filename or ''}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
