"""The decision aids' part of a shared link: which optional columns, the margin, two periods.

Keys: ``extra`` (repeated: ``sure`` for the chances of strong and poor, ``leads`` for the leads
needed), ``margin`` (the interval target in points), ``detect`` (the difference against the
rest to detect, in points; absent for the observed one), ``from``/``to`` (the first days of the
two periods "What changed" compares, ISO dates), ``from_days``/``to_days`` (two ranges of dates it
compares instead, ``FIRST..LAST``) and Compare's sample-size calculator: ``calc_a`` and ``calc_b``
(the two rates in percent), ``calc_alpha`` (the level) and ``calc_power`` (in percent). Values
that cannot be read are dropped with a notice, never raised, as in ``links``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

EXTRAS = ("sure", "leads")
CALCULATOR = ("calc_a", "calc_b", "calc_alpha", "calc_power")
KEYS = ("extra", "margin", "detect", "from", "to", "from_days", "to_days", *CALCULATOR)
MARGIN_RANGE = (0.1, 49.9)
DETECT_RANGE = (-50.0, 50.0)
CALCULATOR_RANGES = {
    "calc_a": (0.0, 100.0),
    "calc_b": (0.0, 100.0),
    "calc_alpha": (0.001, 0.5),
    "calc_power": (50.0, 99.0),
}
"""The calculator's inputs and the values its widgets accept (rates and power in percent)."""


@dataclass(frozen=True)
class DecisionLink:
    """What a link says about the decision aids; None means "not in the link"."""

    extra: tuple[str, ...] | None = None
    margin_pp: float | None = None
    previous: date | None = None
    current: date | None = None
    detect_pp: float | None = None
    previous_days: tuple[date, date] | None = None
    current_days: tuple[date, date] | None = None
    calculator: tuple[tuple[str, float], ...] = ()
    """The calculator inputs the link sets, as (``CALCULATOR`` key, value) pairs."""


def decision_query(link: DecisionLink) -> dict[str, str | list[str]]:
    """The query parameters for ``link`` (only what is set).

    Examples
    --------
    >>> decision_query(DecisionLink(extra=("sure",), margin_pp=3, previous=date(2025, 5, 1)))
    {'extra': ['sure'], 'margin': '3', 'from': '2025-05-01'}
    """
    query: dict[str, str | list[str]] = {}
    if link.extra:
        query["extra"] = list(link.extra)
    if link.margin_pp is not None:
        query["margin"] = f"{link.margin_pp:g}"
    if link.detect_pp is not None:
        query["detect"] = f"{link.detect_pp:g}"
    if link.previous is not None:
        query["from"] = link.previous.isoformat()
    if link.current is not None:
        query["to"] = link.current.isoformat()
    for key, days in (("from_days", link.previous_days), ("to_days", link.current_days)):
        if days is not None:
            query[key] = f"{days[0].isoformat()}..{days[1].isoformat()}"
    for key, value in link.calculator:
        query[key] = f"{value:g}"
    return query


def decision_from_query(params: Mapping[str, Sequence[str]]) -> tuple[DecisionLink, list[str]]:
    """Read the decision keys of a link; anything unreadable is skipped with a notice.

    Examples
    --------
    >>> link, notices = decision_from_query({"extra": ["leads", "x"], "margin": ["big"]})
    >>> link.extra, link.margin_pp
    (('leads',), None)
    >>> notices
    ["Ignored extra='x' in the link: expected sure or leads.", \
"Ignored margin='big' in the link: expected a number of points from 0.1 to 49.9."]
    """
    notices: list[str] = []

    def ignored(key: str, value: str, expected: str) -> None:
        notices.append(f"Ignored {key}={value[:40]!r} in the link: expected {expected}.")

    extra = None
    if "extra" in params:
        kept = []
        for value in params["extra"]:
            if value in EXTRAS:
                kept.append(value)
            else:
                ignored("extra", str(value), " or ".join(EXTRAS))
        extra = tuple(dict.fromkeys(kept))
    margin = _number(params, "margin", MARGIN_RANGE, ignored)
    detect = _number(params, "detect", DETECT_RANGE, ignored)
    days = []
    for key in ("from", "to"):
        day = None
        for text in params.get(key, ())[:1]:
            try:
                day = date.fromisoformat(text)
            except ValueError:
                ignored(key, str(text), "a date such as 2025-05-01")
        days.append(day)
    calculator: list[tuple[str, float]] = []
    for name in CALCULATOR:
        number = _number(params, name, CALCULATOR_RANGES[name], ignored, unit="")
        if number is not None:
            calculator.append((name, number))
    link = DecisionLink(
        extra,
        margin,
        days[0],
        days[1],
        detect or None,
        previous_days=_days(params, "from_days", ignored),
        current_days=_days(params, "to_days", ignored),
        calculator=tuple(calculator),
    )
    return link, notices


def _days(
    params: Mapping[str, Sequence[str]], key: str, ignored: Callable[[str, str, str], None]
) -> tuple[date, date] | None:
    """The range of dates under ``key`` (``FIRST..LAST``); None (with a notice) if unreadable."""
    for text in params.get(key, ())[:1]:
        first, _, last = str(text).partition("..")
        try:
            days = (date.fromisoformat(first), date.fromisoformat(last or first))
        except ValueError:
            days = None
        if days is not None and days[0] <= days[1]:
            return days
        ignored(key, str(text), "dates such as 2025-05-01..2025-05-31")
    return None


def _number(
    params: Mapping[str, Sequence[str]],
    key: str,
    bounds: tuple[float, float],
    ignored: Callable[[str, str, str], None],
    unit: str = "of points ",
) -> float | None:
    """The number under ``key`` when it lies within ``bounds``; None (with a notice) if not."""
    for text in params.get(key, ())[:1]:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if bounds[0] <= value <= bounds[1]:
            return value
        ignored(key, str(text), f"a number {unit}from {bounds[0]:g} to {bounds[1]:g}")
    return None
