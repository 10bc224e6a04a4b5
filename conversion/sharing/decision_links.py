"""The decision aids' part of a shared link: which optional columns, the margin, two periods.

Keys: ``extra`` (repeated: ``sure`` for the chances of strong and poor, ``leads`` for the leads
needed), ``margin`` (the interval target in points) and ``from``/``to`` (the first days of the
two periods "What changed" compares, ISO dates). Values that cannot be read are dropped with a
notice, never raised, as in ``links``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

EXTRAS = ("sure", "leads")
KEYS = ("extra", "margin", "from", "to")
MARGIN_RANGE = (0.1, 49.9)


@dataclass(frozen=True)
class DecisionLink:
    """What a link says about the decision aids; None means "not in the link"."""

    extra: tuple[str, ...] | None = None
    margin_pp: float | None = None
    previous: date | None = None
    current: date | None = None


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
    margin = None
    for text in params.get("margin", ())[:1]:
        try:
            margin = float(text)
        except ValueError:
            margin = None
        if margin is None or not MARGIN_RANGE[0] <= margin <= MARGIN_RANGE[1]:
            ignored("margin", str(text), "a number of points from 0.1 to 49.9")
            margin = None
    days = []
    for key in ("from", "to"):
        day = None
        for text in params.get(key, ())[:1]:
            try:
                day = date.fromisoformat(text)
            except ValueError:
                ignored(key, str(text), "a date such as 2025-05-01")
        days.append(day)
    return DecisionLink(extra, margin, days[0], days[1]), notices
