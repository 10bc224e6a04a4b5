"""A plain-Python reference for ``conversion.counting.count``: dicts and loops, no polars.

Written from the metric's definition (SPEC.md section 1 and the rules in the test brief), not
from the engine, so that property tests can compare the two on random tables. Rows are dicts
from column name to text (or ``None``), as the csv module gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conversion.definition import Definition

MISSING = "(missing)"
OTHER = "Other"

# The spellings the tests use, written out here rather than imported from the engine.
TRUE_SPELLINGS = {"y", "yes", "true", "t", "1", "won", "customer", "converted", "purchased"}
FALSE_SPELLINGS = {"n", "no", "false", "f", "0", "lost", "lead", "subscriber", "prospect"}

Row = dict[str, "str | None"]


@dataclass
class Contact:
    """One contact after merging its rows."""

    segments: tuple[str, ...]
    flag: bool | None
    contact_date: date | None
    converted_date: date | None
    key: str | None


@dataclass
class Reference:
    """Expected counts: per segment ``[contacts, customers]`` and the quality tallies."""

    table: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    immature: int = 0
    negative_lags: int = 0
    missing_ids: int = 0
    missing_contact_dates: int = 0
    empty_flags: int = 0
    as_of: date | None = None


def text(value: str | None) -> str | None:
    """Trimmed text, ``None`` when empty."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_date(value: str | None, order: str = "ymd") -> date | None:
    """A date from ISO (``ymd``) or day-first (``dmy``) text; the time of day is dropped."""
    value = text(value)
    if value is None:
        return None
    day_part = value.replace("T", " ").split(" ")[0].replace("/", "-").replace(".", "-")
    pattern = {"ymd": "%Y-%m-%d", "dmy": "%d-%m-%Y", "mdy": "%m-%d-%Y"}[order]
    return datetime.strptime(day_part, pattern).date()


def parse_moment(value: str | None, order: str = "ymd") -> datetime | None:
    """The date and time of day (midnight when none is written) of ISO or day-first text."""
    day = parse_date(value, order)
    if day is None:
        return None
    assert value is not None
    rest = value.strip().replace("T", " ").split(" ", 1)[1:]
    clock = rest[0].strip() if rest else ""
    hour, minute, second = (
        ([int(p) for p in clock.split(":")] + [0, 0, 0])[:3] if clock else (0, 0, 0)
    )
    return datetime(day.year, day.month, day.day, hour, minute, second)


def parse_flag(value: str | None, customer_values: tuple[str, ...] = ()) -> bool | None:
    """True, False, or None for an empty value; ValueError for anything else."""
    value = text(value)
    if value is None:
        return None
    lowered = value.lower()
    if customer_values:
        return lowered in {v.lower() for v in customer_values}
    if lowered in TRUE_SPELLINGS:
        return True
    if lowered in FALSE_SPELLINGS:
        return False
    raise ValueError(f"not a flag: {value!r}")


def segment_value(value: str | None) -> str:
    return text(value) or MISSING


def merge_contacts(rows: list[Row], d: Definition, order: str = "ymd") -> tuple[list[Contact], int]:
    """The contacts of a table and the number of rows left out for an empty id."""
    groups: dict[str, list[Row]] = {}
    missing_ids = 0
    if d.id is None:
        members = [[row] for row in rows]
    else:
        for row in rows:
            contact_id = text(row[d.id])
            if contact_id is None:
                missing_ids += 1
            else:
                groups.setdefault(contact_id, []).append(row)
        members = list(groups.values())
    return [_merge(group, d, order) for group in members], missing_ids


def _merge(group: list[Row], d: Definition, order: str) -> Contact:
    def contact_date(row: Row) -> date | None:
        return parse_date(row[d.contact_date], order) if d.contact_date else None

    # The earliest row by contact moment (date and time of day) gives the segments; ties, and
    # rows without a date, go to the smallest segment values (then orders key), so the row
    # order never matters.
    def rank(row: Row) -> tuple:
        when = parse_moment(row[d.contact_date], order) if d.contact_date else None
        values = tuple(segment_value(row[s]) for s in d.segments)
        key = (text(row[d.orders.key]) or "") if d.orders else ""
        return (when is None, when or datetime.min, values, key)

    first = min(group, key=rank)
    flags = (
        [parse_flag(row[d.converted], d.customer_values) for row in group] if d.converted else []
    )
    flag = True if True in flags else (False if False in flags else None)
    contact_dates = [c for c in (contact_date(row) for row in group) if c is not None]
    converted_dates = []
    if d.converted_date:
        converted_dates = [parse_date(row[d.converted_date], order) for row in group]
        converted_dates = [c for c in converted_dates if c is not None]
    return Contact(
        segments=tuple(segment_value(first[s]) for s in d.segments),
        flag=flag,
        contact_date=min(contact_dates) if contact_dates else None,
        converted_date=min(converted_dates) if converted_dates else None,
        key=text(first[d.orders.key]) if d.orders else None,
    )


def attach_orders(contacts: list[Contact], orders: list[Row], d: Definition, order: str) -> None:
    """Give each contact its order evidence: ``flag`` (any order) and the counting order's date."""
    assert d.orders is not None
    dates_by_key: dict[str, list[date | None]] = {}
    for row in orders:
        key = text(row[d.orders.right_key])
        if key is None:
            continue
        order_date = parse_date(row[d.orders.orders_date], order) if d.orders.orders_date else None
        dates_by_key.setdefault(key, []).append(order_date)
    for contact in contacts:
        found = dates_by_key.get(contact.key) if contact.key is not None else None
        contact.flag = found is not None
        if found is None or not d.orders.orders_date:
            continue
        if contact.contact_date is None:
            continue  # "on or after the contact date" cannot be told
        dated = [o for o in found if o is not None and o >= contact.contact_date]
        contact.converted_date = min(dated) if dated else None


def _orders_before_only(contact: Contact, orders: list[Row], d: Definition, order: str) -> bool:
    """True when every dated order of the contact is before its contact date."""
    assert d.orders is not None and d.orders.orders_date
    if contact.key is None or contact.contact_date is None:
        return False
    lags = [
        (parse_date(row[d.orders.orders_date], order) - contact.contact_date).days
        for row in orders
        if text(row[d.orders.right_key]) == contact.key
        and parse_date(row[d.orders.orders_date], order) is not None
    ]
    return bool(lags) and all(lag < 0 for lag in lags)


def reference_counts(
    rows: list[Row], d: Definition, orders: list[Row] | None = None, order: str = "ymd"
) -> Reference:
    """Expected per-segment contacts and customers, and quality tallies, for ``d``."""
    contacts, missing_ids = merge_contacts(rows, d, order)
    dated_orders = d.orders is not None and d.orders.orders_date is not None
    if d.orders is not None:
        attach_orders(contacts, orders or [], d, order)
    result = Reference(missing_ids=missing_ids)
    result.empty_flags = sum(c.flag is None for c in contacts) if d.converted else 0

    if d.window_days is not None:
        known = [c.contact_date for c in contacts] + [c.converted_date for c in contacts]
        known_dates = [x for x in known if x is not None]
        result.as_of = d.as_of or (max(known_dates) if known_dates else None)

    for contact in contacts:
        lag = None
        if contact.contact_date is not None and contact.converted_date is not None:
            lag = (contact.converted_date - contact.contact_date).days
        if dated_orders:
            if _orders_before_only(contact, orders or [], d, order):
                result.negative_lags += 1
        elif lag is not None and lag < 0:
            result.negative_lags += 1

        if d.window_days is None:
            if d.converted or d.orders is not None:
                customer = bool(contact.flag)
            else:
                customer = contact.converted_date is not None
        else:
            if contact.contact_date is None:
                result.missing_contact_dates += 1
                continue
            as_of = result.as_of
            assert as_of is not None
            if contact.contact_date > as_of - timedelta(days=d.window_days):
                result.immature += 1
                continue
            customer = (
                lag is not None
                and 0 <= lag <= d.window_days
                and contact.converted_date <= as_of
                and (d.converted is None or contact.flag is True)
            )
        cell = result.table.setdefault(contact.segments, [0, 0])
        cell[0] += 1
        cell[1] += int(customer)

    if d.top_k is not None:
        result.table = fold_top_k(result.table, d.top_k)
    return result


def fold_top_k(table: dict[tuple[str, ...], list[int]], k: int) -> dict[tuple, list[int]]:
    """Keep the K values with most contacts per column, the rest as Other; (missing) stays."""
    if not table:
        return table
    width = len(next(iter(table)))
    for position in range(width):
        totals: dict[str, int] = {}
        for segments, (n, _) in table.items():
            if segments[position] != MISSING:
                totals[segments[position]] = totals.get(segments[position], 0) + n
        ranked = sorted(totals, key=lambda value: (-totals[value], value))
        keep = set(ranked[:k]) | {MISSING}
        folded: dict[tuple[str, ...], list[int]] = {}
        for segments, (n, customers) in table.items():
            value = segments[position] if segments[position] in keep else OTHER
            new = (*segments[:position], value, *segments[position + 1 :])
            cell = folded.setdefault(new, [0, 0])
            cell[0] += n
            cell[1] += customers
        table = folded
    return table
