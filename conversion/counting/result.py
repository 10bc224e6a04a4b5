"""The result of a count: the per-segment table, how its rows were counted, and in words.

``finish`` turns the engine's summary (one row per segment combination and status) into
``Counts``: the table of contacts and customers, the numbers behind the validation summary
(``Quality``) and a plain sentence for everything that changed how rows were counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from conversion.counting import aggregated
from conversion.counting.engine import (
    COUNTED,
    IMMATURE,
    MISSING,
    MISSING_ID,
    NO_CONTACT_DATE,
    STATUS,
    TALLY,
)
from conversion.errors import n, verb

if TYPE_CHECKING:
    from collections.abc import Sequence

    from conversion.definition import Definition

OTHER = "Other"
EXCLUSION = "excluded as"  # the reason column of Counts.excluded (clear of segment names)


@dataclass(frozen=True)
class Quality:
    """How the rows became the counts: the numbers behind the validation summary."""

    rows: int = 0
    contacts: int = 0
    counted: int = 0
    duplicate_rows: int = 0
    missing_ids: int = 0
    segment_conflicts: int = 0
    flag_conflicts: int = 0
    empty_flags: int = 0
    immature: int = 0
    missing_contact_dates: int = 0
    negative_lags: int = 0
    outside_window: int = 0
    as_of: date | None = None
    orders_rows: int | None = None


@dataclass(frozen=True)
class Counts:
    """The small per-segment table and how it was made.

    ``table`` has the segment columns (text, ``(missing)`` for empty values, ``Other`` for the
    segments beyond the top K), then ``contacts`` and ``customers``; one row per segment
    (combination), sorted by the segment values. ``excluded`` has the same segment columns,
    ``EXCLUSION`` (why) and ``contacts`` for contacts left out of the rates (immature, no
    contact date, no id).
    """

    table: pl.DataFrame
    quality: Quality
    warnings: tuple[str, ...]
    definition: Definition
    excluded: pl.DataFrame

    @property
    def contacts(self) -> int:
        return int(self.table["contacts"].sum())

    @property
    def customers(self) -> int:
        return int(self.table["customers"].sum())


def finish(summary: pl.DataFrame, d: Definition) -> Counts:
    """``Counts`` from the engine's summary (one row per segment combination and status)."""
    segments = list(d.segments)
    counted = summary.filter(pl.col(STATUS) == COUNTED)
    table = (
        counted.group_by(segments)
        .agg(
            pl.col(TALLY + "contacts").sum().cast(pl.Int64).alias("contacts"),
            pl.col(TALLY + "customers").sum().cast(pl.Int64).alias("customers"),
        )
        .sort(segments)
    )
    if d.top_k is not None:
        table = top_k(table, segments, d.top_k)
    excluded = (
        summary.filter(pl.col(STATUS) != COUNTED)
        .group_by([*segments, STATUS])
        .agg(pl.col(TALLY + "contacts").sum().cast(pl.Int64).alias("contacts"))
        .rename({STATUS: EXCLUSION})
        .sort([*segments, EXCLUSION])
    )

    identified = summary.filter(pl.col(STATUS) != MISSING_ID)

    def total(column: str, frame: pl.DataFrame = identified) -> int:
        column = TALLY + column
        return int(frame[column].sum()) if column in frame.columns and frame.height else 0

    def by_status(status: str) -> int:
        return total("contacts", summary.filter(pl.col(STATUS) == status))

    as_of_values = (
        summary[TALLY + "as_of"].drop_nulls()
        if summary.height and TALLY + "as_of" in summary.columns
        else pl.Series([])
    )
    quality = Quality(
        rows=total("rows", summary),
        contacts=total("contacts"),
        counted=total("contacts", counted),
        duplicate_rows=total("rows") - total("contacts") if d.id else 0,
        missing_ids=total("rows", summary.filter(pl.col(STATUS) == MISSING_ID)),
        segment_conflicts=total("segment_conflicts"),
        flag_conflicts=total("flag_conflicts"),
        empty_flags=total("empty_flags"),
        immature=by_status(IMMATURE),
        missing_contact_dates=by_status(NO_CONTACT_DATE),
        negative_lags=total("negative_lags"),
        outside_window=total("outside_window"),
        as_of=d.as_of or (as_of_values[0] if len(as_of_values) else None),
    )
    return Counts(table, quality, tuple(warnings(quality, d)), d, excluded)


def top_k(table: pl.DataFrame, segments: Sequence[str], k: int) -> pl.DataFrame:
    """Keep the K segments with most contacts per column and group the rest as ``Other``.

    ``(missing)`` is never folded into ``Other``: missing values are worth seeing on their own.
    """
    for column in segments:
        totals = (
            table.filter(pl.col(column) != MISSING)
            .group_by(column)
            .agg(pl.col("contacts").sum())
            .sort(["contacts", column], descending=[True, False])
        )
        if totals.height <= k:
            continue
        keep = totals[column].head(k).to_list()
        table = table.with_columns(
            pl.when(pl.col(column).is_in([*keep, MISSING]))
            .then(pl.col(column))
            .otherwise(pl.lit(OTHER))
            .alias(column)
        )
    return aggregated.summed(table, list(segments))


def warnings(q: Quality, d: Definition) -> list[str]:
    """Plain sentences for everything that changed how rows were counted."""
    out = []
    if q.missing_ids:
        out.append(
            f"{n(q.missing_ids, 'row')} {verb(q.missing_ids, 'has', 'have')} no value in the id "
            f"column '{d.id}' and {verb(q.missing_ids, 'was', 'were')} left out."
        )
    if q.duplicate_rows:
        out.append(
            f"{n(q.duplicate_rows, 'row')} {verb(q.duplicate_rows, 'repeats', 'repeat')} an id "
            f"already seen: {n(q.rows, 'row')} make {n(q.contacts, 'unique contact')} (a contact "
            "is a customer if any of its rows converted)."
        )
    if q.segment_conflicts:
        rule = (
            "row with the earliest contact date (on a tie, the first values in sort order)"
            if d.contact_date
            else "row whose values come first in sort order"
        )
        out.append(
            f"{n(q.segment_conflicts, 'contact')} {verb(q.segment_conflicts, 'appears', 'appear')}"
            f" with different segment values in different rows; the values of the {rule} were "
            "used."
        )
    if q.flag_conflicts:
        out.append(
            f"{n(q.flag_conflicts, 'contact')} {verb(q.flag_conflicts, 'is', 'are')} marked "
            "converted in one row and not in another; counted as customers."
        )
    if q.empty_flags:
        out.append(
            f"{n(q.empty_flags, 'contact')} {verb(q.empty_flags, 'has', 'have')} an empty value "
            f"in '{d.converted}'; counted as not converted."
        )
    if q.immature and q.as_of is not None and d.window_days is not None:
        cutoff = q.as_of - timedelta(days=d.window_days)
        out.append(
            f"{n(q.immature, 'contact')} with a contact date after {cutoff.isoformat()} "
            f"{verb(q.immature, 'has', 'have')} not had the full {d.window_days}-day window by "
            f"{q.as_of.isoformat()} (the as-of date); left out of the rates, not counted as "
            "non-customers."
        )
    if q.missing_contact_dates:
        out.append(
            f"{n(q.missing_contact_dates, 'contact')} "
            f"{verb(q.missing_contact_dates, 'has', 'have')} no contact date, so the window "
            "cannot be checked; left out."
        )
    if q.negative_lags:
        verdict = (
            "not counted as conversions"
            if d.window_days is not None
            else "still counted as customers because no window is set"
        )
        out.append(
            f"{n(q.negative_lags, 'contact')} converted before the contact date (a data-quality "
            f"issue worth checking); {verdict}."
        )
    if q.outside_window:
        out.append(
            f"{n(q.outside_window, 'contact')} converted more than {d.window_days} days after the "
            "contact date; not counted as customers within the window."
        )
    if d.as_of is not None and d.window_days is None:
        out.append("The as-of date only matters with a conversion window; it was ignored.")
    if q.counted == 0:
        out.append("No contacts were left to count; check the window, as-of date and filters.")
    return out
