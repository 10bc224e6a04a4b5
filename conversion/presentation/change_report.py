"""What ``conversion change`` and ``conversion check`` print: CSV, JSON or an aligned table.

All three take the ``analysis.change.period_change`` table (fractions) and show rates in
percent and changes in points, one formatter per idea (``formats``), so the app's "What
changed" table, its CSV download and the command line read the same.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, cast

import polars as pl

from conversion.counting.periods import Span, period_end
from conversion.counting.ranges import DAYS
from conversion.presentation import formats

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    from conversion.definition import DateBucket

EXPORT_COLUMNS = (
    "previous_contacts",
    "previous_customers",
    "current_contacts",
    "current_customers",
    "previous_rate_pct",
    "current_rate_pct",
    "change_pp",
    "change_ci_low_pp",
    "change_ci_high_pp",
    "p_adjusted",
)
"""The columns of the CSV export after the segment columns, as the command line writes them."""

DRIVER_COLUMNS = ("mix_effect_pp", "rate_effect_pp", "contribution_pp", "driver_rank")
"""What the JSON and the app add: each segment's part in the overall change, and its rank."""


def export_change(
    table: pl.DataFrame, segments: Sequence[str], *, drivers: bool = False
) -> pl.DataFrame:
    """The change table with rates in percent and changes in points (``EXPORT_COLUMNS``).

    ``drivers`` adds ``DRIVER_COLUMNS``. Rows keep their order (largest driver first).

    Examples
    --------
    >>> table = pl.DataFrame({"s": ["A"], "previous_contacts": [10], "previous_customers": [1],
    ...     "current_contacts": [10], "current_customers": [2], "previous_rate": [0.1],
    ...     "current_rate": [0.2], "change": [0.1], "change_low": [-0.2], "change_high": [0.4],
    ...     "p_adjusted": [1.0]})
    >>> export_change(table, ["s"]).row(0)
    ('A', 10, 1, 10, 2, 10.0, 20.0, 10.0, -20.0, 40.0, 1.0)
    """
    columns = [
        *segments,
        "previous_contacts",
        "previous_customers",
        "current_contacts",
        "current_customers",
        (pl.col("previous_rate") * 100).alias("previous_rate_pct"),
        (pl.col("current_rate") * 100).alias("current_rate_pct"),
        (pl.col("change") * 100).alias("change_pp"),
        (pl.col("change_low") * 100).alias("change_ci_low_pp"),
        (pl.col("change_high") * 100).alias("change_ci_high_pp"),
        "p_adjusted",
    ]
    if drivers:
        columns += [
            (pl.col("mix_effect") * 100).alias("mix_effect_pp"),
            (pl.col("rate_effect") * 100).alias("rate_effect_pp"),
            (pl.col("contribution") * 100).alias("contribution_pp"),
            "driver_rank",
        ]
    return table.select(columns)


def span_label(span: Span, period: str) -> str:
    """A period, or a run of them, as people name it: ``May 2025`` or ``Apr 2025–Jun 2025``.

    Examples
    --------
    >>> from datetime import date
    >>> span_label((date(2025, 4, 1), date(2025, 6, 1)), "month")
    'Apr 2025–Jun 2025'
    """
    first, last = (formats.cohort(start, period) for start in span)
    return first if first == last else f"{first}{formats.EN_DASH}{last}"


def _clean(value: Any) -> Any:
    """NaN (no test, no rate) as JSON null."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _last_day(start: date, period: str) -> date:
    """The last day of the period starting on ``start``; with date ranges, the day itself."""
    return start if period == DAYS else period_end(start, cast("DateBucket", period))


def to_json(
    table: pl.DataFrame,
    segments: Sequence[str],
    periods: tuple[Span, Span],
    period: str,
    extra: dict[str, Any] | None = None,
) -> str:
    """The two periods (first and last day), one object per segment, and any ``extra`` keys.

    ``period`` is ``days`` (``counting.ranges.DAYS``) when the two are ranges of dates.
    """
    rows = [
        {k: _clean(v) for k, v in row.items()}
        for row in export_change(table, segments, drivers=True).to_dicts()
    ]
    document = {
        "period": period,
        "previous": periods[0][0].isoformat(),
        "previous_end": _last_day(periods[0][1], period).isoformat(),
        "current": periods[1][0].isoformat(),
        "current_end": _last_day(periods[1][1], period).isoformat(),
        **(extra or {}),
        "segments": rows,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_text(
    table: pl.DataFrame, segments: Sequence[str], periods: tuple[Span, Span], period: str
) -> str:
    """An aligned table: the two rates, the change with its interval, p and the driver rank."""
    previous, current = (span_label(p, period) for p in periods)
    header = [" · ".join(segments), previous, current, "change", "95% interval", "p adj.", "rank"]
    lines = [header]
    for row in table.iter_rows(named=True):
        lines.append(
            [
                " · ".join(str(row[s]) for s in segments),
                formats.rate(
                    row["previous_rate"], row["previous_customers"], row["previous_contacts"]
                ),
                formats.rate(
                    row["current_rate"], row["current_customers"], row["current_contacts"]
                ),
                formats.points(row["change"]),
                f"{formats.points(row['change_low'])} to {formats.points(row['change_high'])}"
                if row["change_low"] is not None
                else "",
                formats.p_value(row["p_adjusted"]),
                str(row["driver_rank"]),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    return "\n".join(text) + "\n"


def check_summary(
    drops: pl.DataFrame,
    checked: int,
    periods: tuple[Span, Span],
    period: str,
    drop: float,
    alpha: float,
) -> str:
    """The first line of ``conversion check``: how many segments dropped, and by what rule."""
    previous, current = (span_label(p, period) for p in periods)
    rule = (
        f"a fall of at least {formats.points(drop, signed=False)} with adjusted p < "
        f"{formats.p_value(alpha)}"
    )
    if drops.is_empty():
        return f"No segment dropped from {previous} to {current} ({checked} checked; {rule}).\n"
    return f"{drops.height} of {checked} segments dropped from {previous} to {current} ({rule}):\n"
