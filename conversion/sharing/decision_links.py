"""The decision aids' part of a shared link: which optional columns, the margin, two periods.

Keys: ``extra`` (repeated: ``sure`` for the chances of strong and poor, ``leads`` for the leads
needed), ``margin`` (the interval target in points), ``detect`` (the difference against the
rest to detect, in points; absent for the observed one) and ``from``/``to`` (the first days of the
two periods "What changed" compares, ISO dates). Values that cannot be read are dropped with a
notice, never raised, as in ``links``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

EXTRAS = ("sure", "leads")
KEYS = ("extra", "margin", "detect", "from", "to")
MARGIN_RANGE = (0.1, 49.9)
DETECT_RANGE = (-50.0, 50.0)


@dataclass(frozen=True)
class DecisionLink:
    """What a link says about the decision aids; None means "not in the link"."""

    extra: tuple[str, ...] | None = None
    margin_pp: float | None = None
    previous: date | None = None
    current: date | None = None
    detect_pp: float | None = None


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
    return DecisionLink(extra, margin, days[0], days[1], detect or None), notices


def _number(
    params: Mapping[str, Sequence[str]],
    key: str,
    bounds: tuple[float, float],
    ignored: Callable[[str, str, str], None],
) -> float | None:
    """The number under ``key`` when it lies within ``bounds``; None (with a notice) if not."""
    for text in params.get(key, ())[:1]:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if bounds[0] <= value <= bounds[1]:
            return value
        ignored(key, str(text), f"a number of points from {bounds[0]:g} to {bounds[1]:g}")
    return None
