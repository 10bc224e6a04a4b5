"""What every source checks before counting: the columns exist, names are free, evidence given."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from conversion.definition import Definition

OUTPUT_COLUMNS = ("contacts", "customers")


def check_definition(
    columns: Sequence[str],
    d: Definition,
    source: str,
    orders_columns: Sequence[str] | None = None,
    orders_source: str = "the orders table",
) -> None:
    """What every engine checks before counting: columns exist, names are free, evidence given."""
    check_columns(columns, contact_columns(d), source)
    _check_segment_names(d, source)
    if d.pre_aggregated:
        return
    check_evidence(d, orders_columns)
    if orders_columns is not None and d.orders is not None:
        wanted = [d.orders.right_key] + ([d.orders.orders_date] if d.orders.orders_date else [])
        check_columns(orders_columns, wanted, orders_source)


def contact_columns(d: Definition) -> list[str]:
    names = [*d.segments, d.converted, d.converted_date, d.id, d.contact_date]
    names += [d.contacts_column, d.customers_column]
    if d.orders is not None:
        names.append(d.orders.key)
    return [n for n in names if n]


def check_columns(available: Sequence[str], wanted: Sequence[str], source: str) -> None:
    missing = [c for c in dict.fromkeys(wanted) if c not in available]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        shown = ", ".join(f"'{c}'" for c in list(available)[:30])
        more = f" (and {len(available) - 30} more)" if len(available) > 30 else ""
        raise InputError(
            f"{source} has no column {names}. Its columns are: {shown}{more}. "
            "Check the spelling (names are case-sensitive) or pick another column."
        )


def _check_segment_names(d: Definition, source: str) -> None:
    clash = [c for c in d.segments if c in OUTPUT_COLUMNS]
    if clash:
        raise InputError(
            f"The segment column '{clash[0]}' in {source} has the name of a result column "
            "(contacts, customers). Rename that column in the file, then pick it again."
        )


def check_evidence(d: Definition, orders: object | None, *, need_segments: bool = True) -> None:
    if need_segments and not d.segments:
        raise InputError("Choose at least one segment column to break the rate down by.")
    if d.orders is not None and orders is None:
        raise InputError("An orders key was given but no orders table; add the orders file.")
    if d.converted is None and d.converted_date is None and d.orders is None:
        raise InputError(
            "Say what makes a contact a customer: a flag column, a conversion-date column, or an "
            "orders table joined on a key (on the command line: --converted COL, "
            "--converted-date COL, or --orders FILE --key COL)."
        )
    if d.window_days is not None:
        if d.contact_date is None:
            raise InputError(
                "A conversion window needs the contact date: say which column holds it "
                "(--contact-date)."
            )
        has_timing = d.converted_date is not None or (
            d.orders is not None and d.orders.orders_date is not None
        )
        if not has_timing:
            raise InputError(
                "A conversion window needs the date each contact converted: give a "
                "conversion-date column (--converted-date) or the orders' date (--orders-date)."
            )
