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


def period_text(start: date, period: DateBucket) -> str:
    """The period starting on ``start`` in the words ``parse_period`` reads (its inverse).

    Examples
    --------
    >>> period_text(date(2025, 6, 1), "month"), period_text(date(2025, 4, 1), "quarter")
    ('2025-06', '2025-Q2')
    >>> period_text(date(2025, 6, 2), "week"), period_text(date(2025, 1, 1), "year")
    ('2025-06-02', '2025')
    """
    if period == "week":
        return start.isoformat()
    if period == "year":
        return f"{start.year}"
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


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


Span = tuple[date, date]
"""A run of whole periods: the first day of its first period and of its last one."""

SPAN_SEPARATOR = ".."


def parse_span(text: str, period: DateBucket) -> Span:
    """The periods ``text`` names: one period, or ``FIRST..LAST`` for a run of them.

    Examples
    --------
    >>> parse_span("2025-04..2025-06", "month")
    (datetime.date(2025, 4, 1), datetime.date(2025, 6, 1))
    >>> parse_span("2025-Q2", "quarter")
    (datetime.date(2025, 4, 1), datetime.date(2025, 4, 1))
    """
    first, sep, last = text.partition(SPAN_SEPARATOR)
    span = (parse_period(first, period), parse_period(last if sep else first, period))
    if span[1] < span[0]:
        raise InputError(f"{text!r} runs backwards: write the earlier {period} first.")
    return span


def span_starts(span: Span, period: DateBucket) -> list[date]:
    """The first day of every period of ``span``, in order.

    Examples
    --------
    >>> span_starts((date(2024, 11, 1), date(2025, 1, 1)), "month")
    [datetime.date(2024, 11, 1), datetime.date(2024, 12, 1), datetime.date(2025, 1, 1)]
    """
    starts = [span[1]]
    while starts[-1] > span[0]:
        starts.append(previous_start(starts[-1], period))
    return starts[::-1]


def pick_spans(
    cohorts: pl.DataFrame,
    period: DateBucket,
    current: str | None = None,
    previous: str | None = None,
    as_of: date | None = None,
) -> tuple[Span, Span]:
    """The (previous, current) runs of periods to compare; ``pick_periods`` for runs.

    ``current`` and ``previous`` may each name one period or ``FIRST..LAST``; ``previous``
    defaults to as many periods just before ``current``. Every period of a run that has contacts
    must be mature, and the previous run must end before the current one starts.

    Examples
    --------
    >>> table = pl.DataFrame({"cohort": [date(2025, m, 1) for m in range(1, 7)],
    ...                       "contacts": [5] * 6, "mature": [True] * 6})
    >>> previous, current = pick_spans(table, "month", "2025-05..2025-06")
    >>> previous
    (datetime.date(2025, 3, 1), datetime.date(2025, 4, 1))
    """
    if current is None and previous is None:
        before, after = pick_periods(cohorts, period, as_of=as_of)
        return (before, before), (after, after)
    if current is None:
        after = pick_periods(cohorts, period, as_of=as_of)[1]
        current_span: Span = (after, after)
    else:
        current_span = parse_span(current, period)
    if previous is None:
        length = len(span_starts(current_span, period))
        last = previous_start(current_span[0], period)
        first = last
        for _ in range(length - 1):
            first = previous_start(first, period)
        previous_span: Span = (first, last)
    else:
        previous_span = parse_span(previous, period)
    mature = mature_periods(cohorts, period, as_of)
    for span in (previous_span, current_span):
        _checked_span(cohorts, span, period, mature)
    if previous_span[1] >= current_span[0]:
        raise InputError(
            f"The previous {period}s (to {previous_span[1]}) must end before the current ones "
            f"start ({current_span[0]})."
        )
    return previous_span, current_span


def _checked_span(
    cohorts: pl.DataFrame, span: Span, period: DateBucket, mature: list[date]
) -> None:
    """Check that a run has contacts and that each of its periods with contacts is mature."""
    if span[0] == span[1]:
        _checked(cohorts, span[0], period, mature)
        return
    starts = span_starts(span, period)
    rows = cohorts.filter(pl.col("cohort").is_in(starts))
    if rows.height == 0 or rows["contacts"].sum() + _immature(rows) == 0:
        raise InputError(
            f"The {period}s from {span[0]} to {span[1]} have no contacts with a contact date; "
            f"the data cover {_span(cohorts)}."
        )
    for start in rows["cohort"].unique().sort().to_list():
        _checked(cohorts, start, period, mature)


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
