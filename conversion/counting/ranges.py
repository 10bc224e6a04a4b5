"""Any two ranges of contact dates: read them, count each, and refuse one that is not mature.

A range is whole days, both ends included (``2025-06-03..2025-06-20``; one date is a range of
one day). Its contacts are those whose contact date falls in it, the earliest row deciding for a
contact with several rows, as it decides a contact's cohort (``engine.outside_days``). A range
is usable only when every contact in it has had its full conversion window by the as-of date
(its last day + the window ≤ as-of), the rule periods follow (``counting.periods``); otherwise
it is refused with the day it becomes comparable. The previous range must end before the
current one starts, so no contact is in both.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

from conversion.counting.count import count
from conversion.counting.periods import SPAN_SEPARATOR
from conversion.errors import InputError

if TYPE_CHECKING:
    from conversion.counting.result import Counts
    from conversion.definition import Definition

DayRange = tuple[date, date]
"""A range of whole days: its first and its last day, both included."""

DAYS = "days"
"""What reports call the "period" of two date ranges (``presentation.change_report``)."""

_DAY = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"\s*({_DAY})\s*(?:{re.escape(SPAN_SEPARATOR)}\s*({_DAY})\s*)?")


def is_day_range(text: str | None, period: str) -> bool:
    """Whether ``text`` names days (ISO dates) rather than periods.

    With weeks, a date names the week it starts (``periods.parse_period``), so it is a period.

    Examples
    --------
    >>> is_day_range("2025-06-03..2025-06-20", "month"), is_day_range("2025-06", "month")
    (True, False)
    >>> is_day_range("2025-06-02", "week")
    False
    """
    return text is not None and period != "week" and _RANGE.fullmatch(text) is not None


def parse_days(text: str) -> DayRange:
    """The days ``text`` names: ``FIRST..LAST`` (ISO dates, both included) or one date.

    Raises
    ------
    InputError
        When a date is not a calendar date or the range runs backwards.

    Examples
    --------
    >>> parse_days("2025-06-03..2025-06-20")
    (datetime.date(2025, 6, 3), datetime.date(2025, 6, 20))
    >>> parse_days("2025-02-30")
    Traceback (most recent call last):
    ...
    conversion.errors.InputError: '2025-02-30' is not a date: use YYYY-MM-DD..YYYY-MM-DD, \
e.g. 2025-06-03..2025-06-20.
    """
    match = _RANGE.fullmatch(text)
    form = "YYYY-MM-DD..YYYY-MM-DD, e.g. 2025-06-03..2025-06-20"
    if match is None:
        raise InputError(f"{text!r} is not a range of dates: use {form}.")
    ends = []
    for part in (match.group(1), match.group(2) or match.group(1)):
        try:
            ends.append(date.fromisoformat(part))
        except ValueError:
            raise InputError(f"{part!r} is not a date: use {form}.") from None
    if ends[1] < ends[0]:
        raise InputError(f"{text.strip()!r} runs backwards: write the earlier date first.")
    return ends[0], ends[1]


def days_text(days: DayRange) -> str:
    """A range of days in the words ``parse_days`` reads (its inverse).

    Examples
    --------
    >>> days_text((date(2025, 6, 3), date(2025, 6, 20)))
    '2025-06-03..2025-06-20'
    """
    return f"{days[0].isoformat()}{SPAN_SEPARATOR}{days[1].isoformat()}"


def days_before(days: DayRange) -> DayRange:
    """As many days just before ``days``.

    Examples
    --------
    >>> days_before((date(2025, 6, 1), date(2025, 6, 30)))
    (datetime.date(2025, 5, 2), datetime.date(2025, 5, 31))
    """
    length = days[1] - days[0]
    last = days[0] - timedelta(days=1)
    return last - length, last


def pick_days(current: str | None, previous: str | None = None) -> tuple[DayRange, DayRange]:
    """The (previous, current) ranges the analyst named; ``previous`` defaults to ``days_before``.

    Raises
    ------
    InputError
        When a range cannot be read or is missing, or the previous one does not end before the
        current one.

    Examples
    --------
    >>> pick_days("2025-06-01..2025-06-10")
    ((datetime.date(2025, 5, 22), datetime.date(2025, 5, 31)), \
(datetime.date(2025, 6, 1), datetime.date(2025, 6, 10)))
    """
    if current is None:
        raise InputError(
            "--previous names dates: give the current dates too, e.g. --current "
            "2025-06-01..2025-06-30."
        )
    for text in (current, previous):
        if text is not None and _RANGE.fullmatch(text) is None:
            raise InputError(
                f"{text!r} is not a range of dates while the other one is: give --current and "
                "--previous both as dates (YYYY-MM-DD..YYYY-MM-DD) or both as periods."
            )
    now = parse_days(current)
    before = parse_days(previous) if previous is not None else days_before(now)
    if before[1] >= now[0]:
        raise InputError(
            f"The previous dates (to {before[1]}) must end before the current ones start "
            f"({now[0]}), so that no contact is in both."
        )
    return before, now


def counts_between(
    contacts: object,
    definition: Definition,
    orders: object | None,
    previous: DayRange,
    current: DayRange,
) -> tuple[Counts, Counts]:
    """The counts of each range (``count`` with ``contact_days``), each checked as usable.

    ``definition`` should have no top K: fold the segments over both ranges at once
    (``analysis.change.period_change``), so that both keep the same ones.

    Raises
    ------
    InputError
        Without a contact date, or when a range is not mature or has no contacts to count.
    """
    if definition.contact_date is None or definition.pre_aggregated:
        raise InputError(
            "Comparing dates needs one row per contact and the contact date: say which column "
            "holds it."
        )
    both = []
    for days, which in ((previous, "previous"), (current, "current")):
        counts = count(contacts, definition, orders, contact_days=days)
        check_usable(days, counts, which)
        both.append(counts)
    return both[0], both[1]


def check_usable(days: DayRange, counts: Counts, which: str = "current") -> None:
    """Raise unless every contact of ``days`` has had its full window and some were counted.

    Examples
    --------
    >>> import polars as pl
    >>> from conversion.counting.result import Counts, Quality
    >>> from conversion.definition import Definition
    >>> counts = Counts(pl.DataFrame({"contacts": [5], "customers": [1]}),
    ...                 Quality(as_of=date(2025, 6, 29)), (), Definition(window_days=30),
    ...                 pl.DataFrame())
    >>> check_usable((date(2025, 5, 1), date(2025, 5, 30)), counts)
    >>> check_usable((date(2025, 5, 1), date(2025, 5, 31)), counts)
    Traceback (most recent call last):
    ...
    conversion.errors.InputError: The current dates 2025-05-01 to 2025-05-31 are not mature \
yet: contacts on 2025-05-31 have their full 30-day window only by 2025-06-30, after the as-of \
date 2025-06-29, ...
    """
    window, as_of = counts.definition.window_days, counts.quality.as_of
    named = f"The {which} dates {days[0]} to {days[1]}"
    if window is not None and as_of is not None and days[1] + timedelta(days=window) > as_of:
        raise InputError(
            f"{named} are not mature yet: contacts on {days[1]} have their full {window}-day "
            f"window only by {days[1] + timedelta(days=window)}, after the as-of date {as_of}, "
            "so the rate would read low. End the range by "
            f"{as_of - timedelta(days=window)}, or use a later as-of date."
        )
    if counts.contacts == 0:
        raise InputError(f"{named} have no contacts to count: pick dates the data cover.")
