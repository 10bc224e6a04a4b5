"""Time to convert: Kaplan–Meier curves on a small table of (segment, days, converted) counts.

The engine hands over one row per segment, number of days and outcome, with the number of
contacts sharing them: ``days`` runs from the contact date to the conversion (``converted`` true)
or, for a contact that has not converted, to the as-of date (``converted`` false: censored, it may
still convert). Kaplan–Meier turns that into "the share of contacts converted by day d" without
counting recent contacts as failures, which a plain rate within a window would do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from conversion.analysis.stats import MIN_CONTACTS, Z95
from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

INPUT_COLUMNS = ("days", "converted", "contacts")
KM_COLUMNS = (
    "days",
    "at_risk",
    "events",
    "censored",
    "survival",
    "converted_share",
    "ci_low",
    "ci_high",
)
WITHIN_DAYS = (7, 14, 30, 90)
"""Days since contact at which the curves are read by default."""
METHOD = "Kaplan–Meier, Greenwood variance, 95 % log-log interval"
"""What the curves and their intervals rest on, for captions and reports."""

# A survival that lands on exactly 0.5 after a product of fractions can come out a hair above it.
_HALF = 0.5 + 1e-12


def kaplan_meier(table: pl.DataFrame, segments: Sequence[str] = ()) -> pl.DataFrame:
    """The Kaplan–Meier curve of time to convert, per segment.

    Parameters
    ----------
    table
        Small aggregated table: optional segment columns, ``days`` (whole days ≥ 0 from contact
        to conversion, or to the as-of date when not converted), ``converted`` (Boolean: the
        contact converted on that day; false means censored) and ``contacts`` (how many contacts
        share the row). Rows may repeat; they are summed.
    segments
        Columns to draw one curve each for; empty gives one curve over all rows.

    Returns
    -------
    polars.DataFrame
        One row per segment and day on which anything happened: the segment columns, ``days``,
        ``at_risk`` (contacts with ``days`` ≥ that day), ``events`` (conversions that day),
        ``censored``, ``survival`` (share not yet converted just after that day),
        ``converted_share`` (1 − survival) and the 95 % interval ``ci_low``/``ci_high`` on
        ``converted_share``. Ties follow the usual convention: contacts censored on a day are
        still at risk for that day's conversions. The interval uses Greenwood's variance on the
        log(−log) scale (Kalbfleisch–Prentice), so it stays inside [0, 1]; it is null where the
        survival is exactly 1 (no conversion yet) or 0. Sorted by segment, then day.

    Raises
    ------
    InputError
        For missing columns, wrong types, empty cells, negative days or counts.

    Examples
    --------
    >>> table = pl.DataFrame({"days": [2, 5, 9], "converted": [True, False, True],
    ...                       "contacts": [1, 1, 2]})
    >>> kaplan_meier(table).select("days", "at_risk", "events", "converted_share").rows()
    [(2, 4, 1, 0.25), (5, 3, 0, 0.25), (9, 2, 2, 1.0)]
    """
    segments = list(segments)
    _check_input(table, segments)
    steps = (
        table.filter(pl.col("contacts") > 0)
        .group_by([*segments, "days"])
        .agg(
            pl.col("contacts").filter(pl.col("converted")).sum().alias("events"),
            pl.col("contacts").filter(~pl.col("converted")).sum().alias("censored"),
        )
        .sort([*segments, "days"])
    )
    at_risk = _within((pl.col("events") + pl.col("censored")).cum_sum(reverse=True), segments)
    steps = steps.with_columns(at_risk.alias("at_risk"))
    events, n = pl.col("events"), pl.col("at_risk")
    survival = _within((1.0 - events / n).cum_prod(), segments)
    # Greenwood's sum; a day on which everyone left converts makes it infinite (survival 0).
    greenwood = _within((events / (n * (n - events))).cum_sum(), segments)
    steps = steps.with_columns(survival.alias("survival"), greenwood.alias("_greenwood"))
    s = pl.col("survival")
    spread = Z95 * (pl.col("_greenwood").sqrt() / s.log().abs())
    defined = (s > 0) & (s < 1) & pl.col("_greenwood").is_finite()
    lower_survival = s.pow(spread.exp())
    upper_survival = s.pow((-spread).exp())
    return steps.select(
        *segments,
        pl.col("days").cast(pl.Int64),
        pl.col("at_risk").cast(pl.Int64),
        pl.col("events").cast(pl.Int64),
        pl.col("censored").cast(pl.Int64),
        s,
        (1.0 - s).alias("converted_share"),
        pl.when(defined).then(1.0 - upper_survival).alias("ci_low"),
        pl.when(defined).then(1.0 - lower_survival).alias("ci_high"),
    )


def convert_within(km: pl.DataFrame, days: Sequence[int] = WITHIN_DAYS) -> pl.DataFrame:
    """The share of contacts converted by each day in ``days``, per segment.

    The curve is a step function: the value at day d is the one of the last step on or before d
    (0 before the first step). Beyond the last day a segment was observed the curve says nothing,
    so the value is null when the segment's last observed day is before d ("not enough
    follow-up"), and the last value is used only when that last day is on or after d.

    Parameters
    ----------
    km
        A table from ``kaplan_meier``.
    days
        Days since contact to read the curve at; whole numbers ≥ 0.

    Returns
    -------
    polars.DataFrame
        One row per segment and day: the segment columns, ``within_days``, ``converted_share``,
        ``ci_low``, ``ci_high`` (null where the curve's interval is undefined or follow-up is
        too short), ``at_risk`` (contacts still followed on day d) and ``thin`` (fewer than 30
        contacts still followed, so the estimate rests on few contacts).

    Examples
    --------
    >>> table = pl.DataFrame({"days": [2, 5, 9], "converted": [True, False, True],
    ...                       "contacts": [1, 1, 2]})
    >>> convert_within(kaplan_meier(table), days=[1, 3, 9, 30])["converted_share"].to_list()
    [0.0, 0.25, 1.0, None]
    """
    segments = _km_segments(km)
    wanted = [int(d) for d in days]
    if any(d < 0 for d in wanted):
        raise InputError("Days since contact must be 0 or more.")
    grid = pl.DataFrame({"within_days": wanted}, schema={"within_days": pl.Int64})
    last = km.group_by(segments).agg(
        pl.col("days").max().alias("_last"), pl.col("at_risk").max().alias("_contacts")
    )
    frame = (
        last.join(grid, how="cross")
        .with_row_index("_order")
        .sort("within_days")
        .join_asof(
            km.sort("days"),
            left_on="within_days",
            right_on="days",
            by=segments or None,
            strategy="backward",
            # Both sides are sorted by day overall, hence within every segment too.
            check_sortedness=False,
        )
        .sort("_order")
    )
    followed = pl.col("_last") >= pl.col("within_days")
    step = pl.col("days").is_not_null()
    at_risk = (
        pl.when(~step)
        .then(pl.col("_contacts"))
        .when(pl.col("days") == pl.col("within_days"))
        .then(pl.col("at_risk"))
        .otherwise(pl.col("at_risk") - pl.col("events") - pl.col("censored"))
    )
    share = pl.when(step).then(pl.col("converted_share")).otherwise(0.0)
    return frame.select(
        *segments,
        "within_days",
        pl.when(followed).then(share).alias("converted_share"),
        pl.when(followed & step).then(pl.col("ci_low")).alias("ci_low"),
        pl.when(followed & step).then(pl.col("ci_high")).alias("ci_high"),
        pl.when(followed).then(at_risk).otherwise(0).cast(pl.Int64).alias("at_risk"),
        (pl.when(followed).then(at_risk).otherwise(0) < MIN_CONTACTS).alias("thin"),
    )


def median_days(km: pl.DataFrame) -> pl.DataFrame:
    """Median time to convert per segment, two ways.

    ``median_days`` is the Kaplan–Meier median over all contacts: the first day on which at
    least half of the contacts have converted. It is null when the curve never gets there, which
    is the usual case when fewer than half of the contacts ever convert. ``median_days_converters``
    is the plain median of the days to conversion among the contacts that converted (the average
    of the two middle values for an even count); it always exists once anyone converted, but it
    describes converters only and leans short while recent contacts can still convert.

    Parameters
    ----------
    km
        A table from ``kaplan_meier`` (its ``events`` column holds every conversion's day).

    Returns
    -------
    polars.DataFrame
        The segment columns, ``contacts``, ``converters``, ``median_days`` (Int64, null when
        never reached), ``median_days_converters`` (Float64, null without converters) and
        ``thin`` (fewer than 30 converters).

    Examples
    --------
    >>> table = pl.DataFrame({"days": [2, 5, 9], "converted": [True, False, True],
    ...                       "contacts": [1, 1, 2]})
    >>> median_days(kaplan_meier(table)).row(0)
    (4, 3, 9, 9.0, True)
    """
    segments = _km_segments(km)
    events = pl.col("events")
    converters = events.sum()
    lower = pl.col("days").filter(events.cum_sum() >= (converters + 1) // 2).first()
    upper = pl.col("days").filter(events.cum_sum() >= converters // 2 + 1).first()
    summary = km.sort([*segments, "days"]).group_by(segments, maintain_order=True)
    return summary.agg(
        pl.col("at_risk").first().alias("contacts"),
        converters.alias("converters"),
        pl.col("days").filter(pl.col("survival") <= _HALF).first().alias("median_days"),
        pl.when(converters > 0)
        .then((lower + upper) / 2.0)
        .otherwise(None)
        .cast(pl.Float64)
        .alias("median_days_converters"),
        (converters < MIN_CONTACTS).alias("thin"),
    )


def within_column(days: int) -> str:
    """Name of the ``time_table`` column holding the share converted within ``days`` days."""
    return f"within_{days}_days"


def time_table(
    km: pl.DataFrame, segment: str | None, days: Sequence[int] = WITHIN_DAYS
) -> pl.DataFrame:
    """One row per segment: the share converted within each of ``days``, and the median days.

    Parameters
    ----------
    km
        A table from ``kaplan_meier`` with ``segment`` as its segment column (or none).
    segment
        The segment column, or None (or empty) for the single curve over all contacts.
    days
        Days since contact to read the curve at (see ``convert_within``).

    Returns
    -------
    polars.DataFrame
        The segment column (when given), ``within_7_days``, ``within_14_days``, ... (see
        ``within_column``; fractions, null without enough follow-up), then
        ``median_days_converters`` and ``thin`` from ``median_days``.

    Examples
    --------
    >>> table = pl.DataFrame({"days": [2, 5, 9], "converted": [True, False, True],
    ...                       "contacts": [1, 1, 2]})
    >>> time_table(kaplan_meier(table), None, days=[3, 9]).row(0)
    (0.25, 1.0, 9.0, True)
    """
    within = convert_within(km, days)
    keys = [segment] if segment else []
    if keys:
        wide = within.pivot(on="within_days", index=keys, values="converted_share")
    else:
        wide = within.select(
            pl.col("converted_share").filter(pl.col("within_days") == d).first().alias(str(d))
            for d in days
        )
    wide = wide.rename({str(d): within_column(d) for d in days if str(d) in wide.columns})
    medians = median_days(km).select(*keys, "median_days_converters", "thin")
    if keys:
        return wide.join(medians, on=keys)
    return pl.concat([wide, medians], how="horizontal")


def window_hint(table: pl.DataFrame, share: float = 0.9) -> int | None:
    """The smallest N such that at least ``share`` of the observed conversions came within N days.

    Counts conversions over all rows of the input table (all segments together). Only the
    conversions seen so far count: contacts that will convert after the as-of date are not in
    it, so with short follow-up the hint leans short.

    Parameters
    ----------
    table
        The same input as ``kaplan_meier``.
    share
        Fraction of conversions the window should cover, in (0, 1].

    Returns
    -------
    int or None
        Whole days; None when there is no conversion.

    Examples
    --------
    >>> table = pl.DataFrame({"days": [1, 4, 30, 60], "converted": [True, True, True, False],
    ...                       "contacts": [6, 3, 1, 50]})
    >>> window_hint(table), window_hint(table, share=0.95)
    (4, 30)
    """
    if not 0 < share <= 1:
        raise InputError(f"The share of conversions must be above 0 and at most 1; got {share}.")
    _check_input(table, [])
    per_day = (
        table.filter(pl.col("converted") & (pl.col("contacts") > 0))
        .group_by("days")
        .agg(pl.col("contacts").sum())
        .sort("days")
    )
    total = int(per_day["contacts"].sum())
    if total == 0:
        return None
    covered = per_day.filter(pl.col("contacts").cum_sum() / total >= share)
    return int(covered["days"][0])


def window_hint_text(table: pl.DataFrame, share: float = 0.9) -> str | None:
    """The window hint as a sentence an analyst can act on; None when nothing converted.

    Examples
    --------
    >>> table = pl.DataFrame({"days": [1, 4, 30, 60], "converted": [True, True, True, False],
    ...                       "contacts": [6, 3, 1, 50]})
    >>> print(window_hint_text(table))  # doctest: +NORMALIZE_WHITESPACE
    90% of the 10 conversions seen so far happened within 4 days of the contact. Only 10
    conversions so far: treat this as a rough guide.
    """
    days = window_hint(table, share)
    if days is None:
        return None
    conversions = int(table.filter(pl.col("converted"))["contacts"].sum())
    unit = "day" if days == 1 else "days"
    noun = "conversion" if conversions == 1 else "conversions"
    text = (
        f"{share:.0%} of the {conversions:,} {noun} seen so far happened within {days} {unit} "
        "of the contact."
    )
    if conversions < MIN_CONTACTS:
        text += f" Only {conversions:,} {noun} so far: treat this as a rough guide."
    else:
        text += (
            f" A conversion window of about {days} {unit} would catch most of them; contacts "
            "that convert later than the as-of date are not counted yet."
        )
    return text


def _within(expr: pl.Expr, segments: Sequence[str]) -> pl.Expr:
    """``expr`` computed separately for each segment (or over the whole table)."""
    return expr.over(segments) if segments else expr


def _km_segments(km: pl.DataFrame) -> list[str]:
    missing = [c for c in KM_COLUMNS if c not in km.columns]
    if missing:
        raise InputError(
            f"Expected a Kaplan–Meier table (from kaplan_meier); it lacks {', '.join(missing)}."
        )
    return [c for c in km.columns if c not in KM_COLUMNS]


def _check_input(table: pl.DataFrame, segments: Sequence[str]) -> None:
    missing = [c for c in (*segments, *INPUT_COLUMNS) if c not in table.columns]
    if missing:
        raise InputError(
            f"The time-to-convert table needs the column(s) {', '.join(missing)}; "
            f"it has {', '.join(table.columns)}."
        )
    schema = table.schema
    for name in ("days", "contacts"):
        if not schema[name].is_integer():
            raise InputError(
                f"The {name!r} column must hold whole numbers; it holds {schema[name]}."
            )
    if schema["converted"] != pl.Boolean:
        raise InputError(
            f"The 'converted' column must be true/false; it holds {schema['converted']}."
        )
    for name in INPUT_COLUMNS:
        if table[name].null_count():
            raise InputError(f"The {name!r} column has empty cells; every row needs a value.")
    if table.height and (_has_negative(table["days"]) or _has_negative(table["contacts"])):
        raise InputError(
            "Days to conversion and contact counts cannot be negative; a conversion before the "
            "contact date is a data-quality problem to fix first."
        )


def _has_negative(values: pl.Series) -> bool:
    """True when a numeric column holds a value below zero."""
    low = values.min()
    return isinstance(low, (int, float)) and low < 0
