"""Why the overall rate moved: a mix effect and a rate effect per segment (shift-share).

Between two periods (or two cohorts) the overall rate changes because segments' shares of
contacts change (mix) and because rates within segments change (rate). The symmetric midpoint
split gives each segment both effects, and they add up exactly to the overall change.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from conversion.analysis.insights._shared import check_columns, count_arrays, segment_text
from conversion.analysis.insights.cohorts import mature_cohorts
from conversion.analysis.stats import MIN_CONTACTS
from conversion.errors import InputError

TOTAL = "(total)"
"""Segment label of the total row in ``mix_rate_decomposition``."""


def mix_rate_decomposition(before: pl.DataFrame, after: pl.DataFrame, segment: str) -> pl.DataFrame:
    """Split a change in the overall rate into a mix effect and a rate effect per segment.

    With sᵢ each segment's share of contacts and rᵢ its rate, before (0) and after (1), the
    symmetric (midpoint) shift-share split is

        mix effect  = (s1 − s0) · (r0 + r1) / 2
        rate effect = (r1 − r0) · (s0 + s1) / 2

    and the effects add up exactly to the change in the overall rate. A segment present in only
    one period (or with no contacts in one) has share 0 there, and its missing rate is taken to
    equal the other period's rate: its whole contribution is mix, none is rate.

    Parameters
    ----------
    before, after
        Per-segment tables of the two periods: ``segment``, ``contacts``, ``customers``.
    segment
        The segment column (compared as text).

    Returns
    -------
    polars.DataFrame
        One row per segment (sorted) then a total row (segment ``"(total)"``): ``segment``,
        ``contacts_before``, ``share_before``, ``rate_before`` (null when absent),
        ``contacts_after``, ``share_after``, ``rate_after``, ``mix_effect``, ``rate_effect``,
        ``total_effect`` and ``thin`` (fewer than 30 contacts in a period where the segment is
        present). On the total row, rates are the overall rates and ``total_effect`` is the
        overall change; it equals the sum of the segments' effects.

    Raises
    ------
    InputError
        When a period has no contacts at all.

    Examples
    --------
    >>> before = pl.DataFrame({"size": ["SMB", "Ent"], "contacts": [800, 200],
    ...                        "customers": [80, 60]})
    >>> after = pl.DataFrame({"size": ["SMB", "Ent"], "contacts": [500, 500],
    ...                       "customers": [50, 150]})
    >>> result = mix_rate_decomposition(before, after, "size")
    >>> result.select("segment", pl.col("mix_effect", "rate_effect").round(6)).rows()
    [('Ent', 0.09, 0.0), ('SMB', -0.03, 0.0), ('(total)', 0.06, 0.0)]
    """
    sides = [_period(before, segment, "before"), _period(after, segment, "after")]
    table = sides[0].join(sides[1], on="segment", how="full", coalesce=True).fill_null(0)
    table = table.sort("segment")
    s0 = pl.col("contacts_before") / pl.col("contacts_before").sum()
    s1 = pl.col("contacts_after") / pl.col("contacts_after").sum()
    raw0 = pl.when(pl.col("contacts_before") > 0).then(
        pl.col("customers_before") / pl.col("contacts_before")
    )
    raw1 = pl.when(pl.col("contacts_after") > 0).then(
        pl.col("customers_after") / pl.col("contacts_after")
    )
    table = table.with_columns(
        s0.alias("share_before"),
        s1.alias("share_after"),
        raw0.alias("rate_before"),
        raw1.alias("rate_after"),
    )
    r0 = pl.coalesce("rate_before", "rate_after")
    r1 = pl.coalesce("rate_after", "rate_before")
    s0, s1 = pl.col("share_before"), pl.col("share_after")
    effects = table.with_columns(
        ((s1 - s0) * (r0 + r1) / 2).alias("mix_effect"),
        ((r1 - r0) * (s0 + s1) / 2).alias("rate_effect"),
    ).with_columns(
        (pl.col("mix_effect") + pl.col("rate_effect")).alias("total_effect"),
        (
            ((pl.col("contacts_before") > 0) & (pl.col("contacts_before") < MIN_CONTACTS))
            | ((pl.col("contacts_after") > 0) & (pl.col("contacts_after") < MIN_CONTACTS))
        ).alias("thin"),
    )
    n0, x0 = int(effects["contacts_before"].sum()), int(effects["customers_before"].sum())
    n1, x1 = int(effects["contacts_after"].sum()), int(effects["customers_after"].sum())
    total = pl.DataFrame(
        {
            "segment": [TOTAL],
            "contacts_before": [n0],
            "customers_before": [x0],
            "contacts_after": [n1],
            "customers_after": [x1],
            "share_before": [1.0],
            "share_after": [1.0],
            "rate_before": [x0 / n0],
            "rate_after": [x1 / n1],
            "mix_effect": [effects["mix_effect"].sum()],
            "rate_effect": [effects["rate_effect"].sum()],
            "total_effect": [x1 / n1 - x0 / n0],
            "thin": [bool(n0 < MIN_CONTACTS or n1 < MIN_CONTACTS)],
        }
    )
    columns = [
        "segment",
        "contacts_before",
        "customers_before",
        "share_before",
        "rate_before",
        "contacts_after",
        "customers_after",
        "share_after",
        "rate_after",
        "mix_effect",
        "rate_effect",
        "total_effect",
        "thin",
    ]
    return pl.concat([effects.select(columns), total.select(columns)], how="vertical_relaxed")


def _period(table: pl.DataFrame, segment: str, suffix: str) -> pl.DataFrame:
    """One period's contacts and customers per segment (as text), columns named by ``suffix``."""
    check_columns(table, [segment], f"The {suffix} table")
    count_arrays(table, f"the {suffix} table")
    side = table.group_by(segment_text(segment).alias("segment")).agg(
        pl.col("contacts").sum().cast(pl.Int64).alias(f"contacts_{suffix}"),
        pl.col("customers").sum().cast(pl.Int64).alias(f"customers_{suffix}"),
    )
    if side[f"contacts_{suffix}"].sum() == 0:
        raise InputError(f"The {suffix} period has no contacts; there is no rate to compare.")
    return side


def mix_between_cohorts(
    cohorts: pl.DataFrame, segment: str, before: object, after: object
) -> pl.DataFrame:
    """``mix_rate_decomposition`` of cohort ``before`` against cohort ``after``, mature rows only.

    Parameters
    ----------
    cohorts
        From ``rates.cohorts`` broken down by ``segment``: ``cohort``, ``segment``,
        ``contacts``, ``customers``, ``mature``. Rows that are not mature, or have no contacts,
        are left out (see ``mature_cohorts``).
    segment
        The segment column.
    before, after
        The two cohorts to compare (values of ``cohort``).

    Raises
    ------
    InputError
        When either cohort has no mature contacts.

    Examples
    --------
    >>> import datetime as dt
    >>> jan, feb = dt.date(2025, 1, 1), dt.date(2025, 2, 1)
    >>> cohorts = pl.DataFrame({
    ...     "cohort": [jan, jan, feb, feb], "size": ["SMB", "Ent", "SMB", "Ent"],
    ...     "contacts": [800, 200, 500, 500], "customers": [80, 60, 50, 150],
    ...     "mature": [True, True, True, True]})
    >>> mix_total(mix_between_cohorts(cohorts, "size", jan, feb))["total_effect"]
    0.06
    """
    mature = mature_cohorts(cohorts)
    return mix_rate_decomposition(
        mature.filter(pl.col("cohort") == before), mature.filter(pl.col("cohort") == after), segment
    )


def mix_total(parts: pl.DataFrame) -> dict[str, Any]:
    """The total row of ``mix_rate_decomposition`` output, as a dictionary by column name.

    Examples
    --------
    >>> before = pl.DataFrame({"size": ["SMB"], "contacts": [100], "customers": [10]})
    >>> after = pl.DataFrame({"size": ["SMB"], "contacts": [100], "customers": [20]})
    >>> total = mix_total(mix_rate_decomposition(before, after, "size"))
    >>> total["segment"], total["rate_effect"]
    ('(total)', 0.1)
    """
    return parts.filter(pl.col("segment") == TOTAL).row(0, named=True)
