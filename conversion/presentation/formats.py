"""How a number reads: one function per idea (a rate, an interval, points, a p-value, a count).

The command line's table, the notebook display, the HTML report and the exports show the same
numbers; each idea is formatted by one function here, so the same number never reads two ways.
Where media really differ (plain text leaves a missing p-value blank where the HTML report shows
a dash and fixed decimals), the difference is a named argument of that one function.

A missing number is ``None`` or NaN; it reads as the ``missing`` text the caller chose:
:data:`EN_DASH` (the plain-text default for rates), :data:`EM_DASH` (the HTML report) or
:data:`BLANK`.

Examples
--------
>>> percent(0.1234), interval(0.1, 0.15), points(-0.021), p_value(0.000123)
('12.3%', '10.0% – 15.0%', '-2.1 pp', '0.000123')
>>> p_value(0.000123, notation="decimal", missing=EM_DASH), percent(None), count(1234567)
('< 0.001', '–', '1,234,567')
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from conversion.analysis import stats

#: Between the two ends of a range, and a missing rate in plain text.
EN_DASH = "–"
#: A missing value in the HTML report and the app's tables.
EM_DASH = "—"
#: A missing value left as an empty cell.
BLANK = ""

#: The most decimals ``band_percent`` shows before cutting toward the rate's side.
_MAX_DECIMALS = 6

#: ``"significant"``: significant digits (``0.00287``, ``1.12e-18``); ``"decimal"``: fixed
#: decimals with a floor (``0.003``, ``< 0.001``).
PValueNotation = Literal["significant", "decimal"]


def _number(value: float | None) -> float | None:
    """``value``, or None when it is missing (None or NaN)."""
    return None if value is None or math.isnan(value) else value


def count(value: int) -> str:
    """A whole number with thousands separators: ``1234`` → ``'1,234'``."""
    return f"{value:,}"


def percent(fraction: float | None, *, missing: str = EN_DASH) -> str:
    """A fraction as a percentage with one decimal: ``0.1234`` → ``'12.3%'``.

    Examples
    --------
    >>> percent(0.25), percent(float("nan"), missing=EM_DASH)
    ('25.0%', '—')
    """
    value = _number(fraction)
    return missing if value is None else f"{value * 100:.1f}%"


def band_percent(
    fraction: float | None, thresholds: Iterable[float] = (), *, missing: str = EN_DASH
) -> str:
    """A percentage with one decimal, or as many more as keep it on its side of every threshold.

    Rounded to one decimal, 19.97 % would read "20.0%" beside a "strong ≥ 20 %" line while the
    segment is moderate: the rate gets a second decimal (or a third, and so on), so the text
    never seems to sit on the other side of a band threshold from the rate itself.

    Examples
    --------
    >>> band_percent(0.1997, (0.10, 0.20)), band_percent(0.19999, (0.20,))
    ('19.97%', '19.999%')
    >>> band_percent(0.2, (0.10, 0.20)), band_percent(0.1234, (0.10, 0.20))
    ('20.0%', '12.3%')
    """
    value = _number(fraction)
    if value is None:
        return missing
    limits = tuple(thresholds)
    for decimals in range(1, _MAX_DECIMALS + 1):
        text = f"{value * 100:.{decimals}f}"
        shown = float(text) / 100
        if all((shown >= limit) == (value >= limit) for limit in limits):
            return f"{text}%"
    # Closer to a threshold than the last decimal can show: cut toward the rate's own side.
    below = any(value < limit for limit in limits if abs(value - limit) < 10**-_MAX_DECIMALS)
    scaled = value * 100 * 10**_MAX_DECIMALS
    cut = math.floor(scaled) if below else math.ceil(scaled)
    return f"{cut / 10**_MAX_DECIMALS:.{_MAX_DECIMALS}f}%"


def band_decimals(fractions: Iterable[float | None], thresholds: Iterable[float]) -> int:
    """The decimals a column of rates needs so that none reads across a band threshold.

    For a table whose rate column has one number format: ``band_percent``'s rule, applied to
    the column's most demanding value.

    Examples
    --------
    >>> band_decimals([0.4, 0.1234], (0.1, 0.2)), band_decimals([0.4, 0.1997], (0.1, 0.2))
    (1, 2)
    """
    limits = tuple(thresholds)
    widest = 1
    for fraction in fractions:
        text = band_percent(fraction, limits, missing="")
        if "." in text:
            widest = max(widest, len(text.rstrip("%").split(".")[1]))
    return widest


def cohort(start: date | None, period: str, *, missing: str = EN_DASH) -> str:
    """A cohort as people name it, from the first day of its period.

    Months read ``Jan 2025``, ISO weeks ``2025-W07``, quarters ``2025 Q1``, years ``2025``;
    any other period (a day) reads as the date.

    Examples
    --------
    >>> from datetime import date
    >>> [cohort(date(2025, 1, 1), p) for p in ("month", "quarter", "year")]
    ['Jan 2025', '2025 Q1', '2025']
    >>> cohort(date(2025, 2, 10), "week"), cohort(date(2024, 12, 30), "week")
    ('2025-W07', '2025-W01')
    """
    if start is None:
        return missing
    if period == "month":
        return f"{start:%b %Y}"
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    if period == "year":
        return str(start.year)
    return start.isoformat()


def interval(low: float | None, high: float | None, *, missing: str = EN_DASH) -> str:
    """An interval's two bounds as percentages joined by an en dash: ``'10.0% – 15.0%'``.

    A missing bound reads as ``missing``, so an empty segment's interval stays two cells wide.
    """
    return f"{percent(low, missing=missing)} {EN_DASH} {percent(high, missing=missing)}"


def rate(fraction: float | None, customers: int, contacts: int, *, missing: str = EN_DASH) -> str:
    """A rate with the counts it comes from: ``'12.0% (45/375)'``.

    Examples
    --------
    >>> rate(45 / 375, 45, 375)
    '12.0% (45/375)'
    """
    return f"{percent(fraction, missing=missing)} ({count(customers)}/{count(contacts)})"


def points(
    difference: float | None, *, signed: bool = True, unit: str = " pp", missing: str = BLANK
) -> str:
    """A difference of two fractions in percentage points, one decimal: ``0.021`` → ``'+2.1 pp'``.

    Parameters
    ----------
    difference
        The difference as a fraction.
    signed
        Lead with ``+`` for a positive difference (a size, not a direction, when False).
    unit
        Text after the number: ``" pp"``, or ``""`` where a column heading names the unit.
    missing
        The text for a missing difference.

    Examples
    --------
    >>> points(0.021), points(-0.021, unit=""), points(0.021, signed=False, unit=" points")
    ('+2.1 pp', '-2.1', '2.1 points')
    """
    value = _number(difference)
    if value is None:
        return missing
    return f"{value * 100:{'+' if signed else ''}.1f}{unit}"


def p_value(
    p: float | None,
    *,
    digits: int = 3,
    notation: PValueNotation = "significant",
    missing: str = BLANK,
) -> str:
    """A p-value: ``digits`` significant digits, or ``digits`` decimals with a floor.

    Examples
    --------
    >>> p_value(0.0028712), p_value(0.0028712, digits=2), p_value(1.1e-18)
    ('0.00287', '0.0029', '1.1e-18')
    >>> p_value(0.0028712, notation="decimal"), p_value(0.0002, notation="decimal")
    ('0.003', '< 0.001')
    """
    value = _number(p)
    if value is None:
        return missing
    if notation == "significant":
        return f"{value:.{digits}g}"
    floor = 10.0**-digits
    return f"< {floor:.{digits}f}" if value < floor else f"{value:.{digits}f}"


def threshold(fraction: float, *, spaced: bool = False) -> str:
    """A band threshold as a short percentage: ``0.2`` → ``'20%'``, ``0.025`` → ``'2.5%'``.

    ``spaced`` puts a space before the percent sign, as prose does (``'20 %'``).

    Examples
    --------
    >>> threshold(0.2), threshold(0.025), threshold(0.125, spaced=True)
    ('20%', '2.5%', '12.5 %')
    """
    return f"{fraction * 100:.1f}".rstrip("0").rstrip(".") + (" %" if spaced else "%")


def label(text: str | None, *, missing: str = BLANK) -> str:
    """A text value such as a band or a test name, or ``missing`` when there is none."""
    return text or missing


def overall_line(overall: stats.Overall) -> str:
    """The overall rate in one line: its counts, the rate and its interval.

    Examples
    --------
    >>> from conversion.analysis import stats
    >>> import polars as pl
    >>> overall = stats.overall(pl.DataFrame({"contacts": [3123], "customers": [381]}))
    >>> overall_line(overall)
    'Overall: 381 customers / 3,123 contacts = 12.2% (95% CI 11.1% – 13.4%)'
    """
    return (
        f"Overall: {count(overall.customers)} customers / {count(overall.contacts)} contacts = "
        f"{percent(overall.rate)} (95% CI {interval(overall.ci_low, overall.ci_high)})"
    )
