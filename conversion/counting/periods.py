"""Which two periods a period-over-period comparison uses: named by the analyst, or the latest.

A period is a cohort of ``counting.cohorts`` (a week, month, quarter or year of contact dates).
By default the current period is the latest one that is mature (every contact in it has had its
full conversion window by the as-of date) and the previous period is the one just before it in
the calendar. A period the analyst names must be mature too: its immature contacts would make
its rate look lower than it will be, so it is refused with the date it becomes comparable.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from conversion.counting.cohorts import bucket_start
from conversion.errors import InputError

if TYPE_CHECKING:
    from conversion.definition import DateBucket

_FORMS: dict[str, tuple[str, str]] = {
    "week": (r"\d{4}-\d{2}-\d{2}", "the Monday starting it, e.g. 2025-06-02"),
    "month": (r"\d{4}-\d{2}", "YYYY-MM, e.g. 2025-06"),
    "quarter": (r"\d{4}-Q[1-4]", "YYYY-Qn, e.g. 2025-Q2"),
    "year": (r"\d{4}", "YYYY, e.g. 2025"),
}


def parse_period(text: str, period: DateBucket) -> date:
    """The first day of the period ``text`` names.

    Raises
    ------
    InputError
        When ``text`` does not name a ``period`` (the message shows the form to use).

    Examples
    --------
    >>> parse_period("2025-06", "month"), parse_period("2025-Q2", "quarter")
    (datetime.date(2025, 6, 1), datetime.date(2025, 4, 1))
    >>> parse_period("June", "month")
    Traceback (most recent call last):
    ...
    conversion.errors.InputError: 'June' is not a month: use YYYY-MM, e.g. 2025-06.
    """
    pattern, form = _FORMS[period]
    text = text.strip()
    if re.fullmatch(pattern, text):
        try:
            start = bucket_start(text, period)
        except ValueError:
            start = None
        if start is not None and (period != "week" or start.weekday() == 0):
            return start
    raise InputError(f"{text!r} is not a {period}: use {form}.")


def previous_start(start: date, period: DateBucket) -> date:
    """The first day of the period just before the one starting on ``start``.

    Examples
    --------
    >>> previous_start(date(2025, 1, 1), "month"), previous_start(date(2025, 4, 1), "quarter")
    (datetime.date(2024, 12, 1), datetime.date(2025, 1, 1))
    """
    if period == "week":
        return start - timedelta(days=7)
    if period == "year":
        return start.replace(year=start.year - 1)
    months = 1 if period == "month" else 3
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def period_end(start: date, period: DateBucket) -> date:
    """The last day of the period starting on ``start``.

    Examples
    --------
    >>> period_end(date(2024, 2, 1), "month"), period_end(date(2025, 10, 1), "quarter")
    (datetime.date(2024, 2, 29), datetime.date(2025, 12, 31))
    """
    if period == "week":
        return start + timedelta(days=6)
    if period == "year":
        return date(start.year, 12, 31)
    months = 1 if period == "month" else 3
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def pick_periods(
    cohorts: pl.DataFrame,
    period: DateBucket,
    current: str | None = None,
    previous: str | None = None,
    as_of: date | None = None,
) -> tuple[date, date]:
    """The (previous, current) periods to compare, as their first days.

    Parameters
    ----------
    cohorts
        From ``counting.cohorts``: ``cohort``, ``contacts``, ``mature`` (segment columns allowed).
    period
        The period size the cohorts were cut by.
    current, previous
        The periods the analyst named (``parse_period`` forms); ``current`` defaults to the
        latest mature period with contacts, ``previous`` to the period just before ``current``.
    as_of
        The as-of date: a period that has not ended by then is not full, so not mature either.

    Raises
    ------
    InputError
        When a period is not mature, has no contacts, or is not before the current one.

    Examples
    --------
    >>> table = pl.DataFrame({"cohort": [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)],
    ...                       "contacts": [10, 12, 9], "mature": [True, True, False]})
    >>> pick_periods(table, "month")
    (datetime.date(2025, 4, 1), datetime.date(2025, 5, 1))
    """
    mature = mature_periods(cohorts, period, as_of)
    if current is None:
        if not mature:
            raise InputError(
                f"No {period} is mature yet: every {period} still has contacts whose conversion "
                "window is not over. Choose a shorter window or a later as-of date."
            )
        current_start = mature[-1]
    else:
        current_start = _checked(cohorts, parse_period(current, period), period, mature)
    if previous is None:
        previous_start_ = _checked(cohorts, previous_start(current_start, period), period, mature)
    else:
        previous_start_ = _checked(cohorts, parse_period(previous, period), period, mature)
    if previous_start_ >= current_start:
        raise InputError(
            f"The previous {period} ({previous_start_}) must come before the current one "
            f"({current_start})."
        )
    return previous_start_, current_start


def mature_periods(cohorts: pl.DataFrame, period: DateBucket, as_of: date | None) -> list[date]:
    """The periods that can be compared, oldest first: mature, over by ``as_of``, with contacts.

    Examples
    --------
    >>> table = pl.DataFrame({"cohort": [date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1)],
    ...                       "contacts": [10, 0, 9], "mature": [True, True, True]})
    >>> mature_periods(table, "month", date(2025, 6, 29))
    [datetime.date(2025, 4, 1)]
    """
    totals = cohorts.group_by("cohort").agg(pl.col("contacts").sum(), pl.col("mature").all())
    starts = totals.filter(pl.col("mature") & (pl.col("contacts") > 0))["cohort"].sort()
    return [s for s in starts.to_list() if as_of is None or period_end(s, period) <= as_of]


def _checked(cohorts: pl.DataFrame, start: date, period: DateBucket, mature: list[date]) -> date:
    """``start``, after checking its period has contacts and is mature."""
    rows = cohorts.filter(pl.col("cohort") == start)
    if rows.height == 0 or rows["contacts"].sum() + _immature(rows) == 0:
        raise InputError(
            f"The {period} starting {start} has no contacts with a contact date; "
            f"the data cover {_span(cohorts)}."
        )
    if start not in mature:
        raise InputError(
            f"The {period} starting {start} is not mature yet: it is not over by the as-of date, "
            "or some of its contacts have not had their full conversion window by then, so its "
            "rate would read low. Compare earlier periods, or give a later --as-of."
        )
    return start


def _immature(rows: pl.DataFrame) -> int:
    return int(rows["immature"].sum()) if "immature" in rows.columns else 0


def _span(cohorts: pl.DataFrame) -> str:
    starts = cohorts["cohort"].drop_nulls()
    if starts.is_empty():
        return "no dated contacts"
    return f"the periods starting {starts.min()!s} to {starts.max()!s}"
