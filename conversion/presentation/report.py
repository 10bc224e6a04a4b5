"""What the app's pages show, computed without streamlit: KPI cards, tables, verdicts, summaries.

Every function takes the small per-segment (or per-cohort) table and returns plain values or a
small frame; pages only place them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from conversion.analysis import stats
from conversion.counting import top_k
from conversion.errors import InputError
from conversion.presentation import decisions, formats

if TYPE_CHECKING:
    from collections.abc import Sequence

    from conversion.counting import Counts
    from conversion.definition import Bands

PERCENT_COLUMNS = ("rate", "ci_low", "ci_high", "rest_rate")
POINT_COLUMNS = ("diff", "diff_low", "diff_high")


@dataclass(frozen=True)
class SegmentCard:
    """One segment for a KPI card: its label, rate and interval."""

    label: str
    rate: float
    ci_low: float
    ci_high: float
    contacts: int
    customers: int


@dataclass(frozen=True)
class Kpis:
    """The KPI cards: the overall rate and the segments that are surely best and worst."""

    overall: stats.Overall
    best: SegmentCard | None
    worst: SegmentCard | None
    segments: int


def label_column(segments: Sequence[str]) -> str:
    """The column that names a segment: the segment column itself, or "A · B" for two."""
    return segments[0] if len(segments) == 1 else " · ".join(segments)


def with_labels(table: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame:
    """Add the ``label_column`` joining the segment values ("Email · Mobile") when needed."""
    name = label_column(segments)
    if name in table.columns:
        return table
    joined = pl.concat_str([pl.col(c) for c in segments], separator=" · ")
    return table.with_columns(joined.alias(name))


def kpis(described: pl.DataFrame, segments: Sequence[str]) -> Kpis:
    """Overall figures, and the best and worst segments judged by their intervals.

    The best segment is the one whose interval's lower bound is highest (surely at least that
    good); the worst the one whose upper bound is lowest (surely no better than that). A 2/2
    segment therefore does not win the "best" card.
    """
    overall = stats.overall(described)
    rated = with_labels(described, segments).filter(pl.col("rate").is_not_null())
    if rated.height < 2:
        return Kpis(overall, None, None, rated.height)
    best = rated.sort(["ci_low", "contacts"], descending=True).row(0, named=True)
    worst = rated.sort(["ci_high", "contacts"], descending=[False, True]).row(0, named=True)
    name = label_column(segments)
    return Kpis(overall, _card(best, name), _card(worst, name), rated.height)


def _card(row: dict, name: str) -> SegmentCard:
    return SegmentCard(
        label=row[name],
        rate=row["rate"],
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        contacts=row["contacts"],
        customers=row["customers"],
    )


def _against_the_rest() -> pl.Expr:
    """Each segment against the rest in words: higher, lower, no clear difference, too few."""
    return (
        pl.when(pl.col("low_sample"))
        .then(pl.lit("too few to judge"))
        .when(pl.col("significant"))
        .then(pl.when(pl.col("diff") > 0).then(pl.lit("higher ✓")).otherwise(pl.lit("lower ✓")))
        .when(pl.col("p_adjusted").is_null())
        .then(pl.lit(formats.EM_DASH))
        .otherwise(pl.lit("no clear difference"))
    )


def against_the_rest(described: pl.DataFrame) -> list[str]:
    """The results table's "Against the rest" column, one verdict per row of ``described``."""
    return described.select(_against_the_rest()).to_series().to_list()


def display_table(described: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame:
    """The results table as the app shows it: percentages in percent, readable column names."""
    return described.select(
        *segments,
        pl.col("contacts").alias("Contacts"),
        pl.col("customers").alias("Customers"),
        (pl.col("rate") * 100).alias("Rate %"),
        (pl.col("ci_low") * 100).alias("CI low %"),
        (pl.col("ci_high") * 100).alias("CI high %"),
        pl.col("band").alias("Band"),
        (pl.col("diff") * 100).alias("vs rest (pp)"),
        pl.col("p_adjusted").alias("p (adjusted)"),
        _against_the_rest().alias("Against the rest"),
        pl.col("low_sample_reason").fill_null("").alias("Low-sample reason"),
    )


@dataclass(frozen=True)
class Comparison:
    """Two segments side by side, with the difference and a plain-language verdict."""

    a: SegmentCard
    b: SegmentCard
    diff: float
    diff_low: float
    diff_high: float
    test: str
    p_value: float
    p_adjusted: float
    comparisons: int
    low_sample: bool
    verdict: str


def compare(
    table: pl.DataFrame,
    segments: Sequence[str],
    a: str,
    b: str,
    *,
    adjust: stats.AdjustMethod = "bh",
    alpha: float = 0.05,
) -> Comparison:
    """Compare segment ``a`` with segment ``b`` (values of ``label_column``).

    The p-value is adjusted for every pairwise comparison among the table's segments, since an
    analyst picking the two most different segments after looking is making all of them.
    """
    labelled = with_labels(table, segments).filter(pl.col("contacts") > 0)
    name = label_column(segments)
    rows = {row[name]: row for row in labelled.iter_rows(named=True)}
    for label in (a, b):
        if label not in rows:
            raise InputError(f"There is no segment '{label}' with contacts to compare.")
    if a == b:
        raise InputError("Pick two different segments to compare.")
    x1, n1 = rows[a]["customers"], rows[a]["contacts"]
    x2, n2 = rows[b]["customers"], rows[b]["contacts"]
    diff, low, high = stats.newcombe_difference(x1, n1, x2, n2)
    test, p_value = stats.two_proportion_test(x1, n1, x2, n2)
    labels = list(rows)
    pairs = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels))]
    all_p = [
        stats.two_proportion_test(
            rows[labels[i]]["customers"],
            rows[labels[i]]["contacts"],
            rows[labels[j]]["customers"],
            rows[labels[j]]["contacts"],
        )[1]
        for i, j in pairs
    ]
    adjusted = stats.adjust_pvalues(all_p, adjust)
    wanted = {labels.index(a), labels.index(b)}
    p_adjusted = float(
        next(adj for (i, j), adj in zip(pairs, adjusted, strict=True) if {i, j} == wanted)
    )
    card_a, card_b = (_comparison_card(rows[label], label) for label in (a, b))
    low_sample = bool(stats.low_sample([x1, x2], [n1, n2]).any())
    verdict = comparison_verdict(
        card_a, card_b, diff, low, high, p_adjusted, low_sample=low_sample, alpha=alpha
    )
    return Comparison(
        card_a, card_b, diff, low, high, test, p_value, p_adjusted, len(pairs), low_sample, verdict
    )


def _comparison_card(row: dict, label: str) -> SegmentCard:
    low, high = stats.wilson_interval(row["customers"], row["contacts"])
    return SegmentCard(
        label, row["customers"] / row["contacts"], low, high, row["contacts"], row["customers"]
    )


def comparison_verdict(
    a: SegmentCard,
    b: SegmentCard,
    diff: float,
    low: float,
    high: float,
    p_adjusted: float,
    *,
    low_sample: bool,
    alpha: float = 0.05,
) -> str:
    """One or two sentences an analyst can repeat in a meeting."""
    points = formats.points(abs(diff), signed=False, unit=" percentage points")
    interval = f"between {formats.points(low, unit='')} and {formats.points(high, unit='')} points"
    p = formats.p_value(p_adjusted, digits=2)
    if low_sample:
        return (
            f"Too few contacts or customers to tell: {a.label} converts at "
            f"{formats.percent(a.rate)} and {b.label} at {formats.percent(b.rate)}, but the true "
            f"difference could lie {interval}. Collect more data before acting on it."
        )
    if not math.isnan(p_adjusted) and p_adjusted < alpha:
        better, worse = (a, b) if diff > 0 else (b, a)
        return (
            f"{better.label} converts better than {worse.label} by {points} (95 % interval "
            f"{interval}; adjusted p = {p}). The difference is unlikely to be chance, "
            "though it shows association, not cause."
        )
    return (
        f"The data cannot tell these two apart: the observed gap of {points} is within what "
        f"chance produces (adjusted p = {p}); the true difference could lie {interval}."
    )


def cohort_rates(cohorts: pl.DataFrame) -> pl.DataFrame:
    """Add ``rate``, ``ci_low`` and ``ci_high`` (Wilson) to a cohort table; empty cohorts drop."""
    table = cohorts.filter(pl.col("contacts") > 0)
    customers = table["customers"].to_numpy().astype(float)
    contacts = table["contacts"].to_numpy().astype(float)
    low, high = stats.wilson_bounds(customers, contacts)
    return table.with_columns(
        pl.Series("rate", customers / np.maximum(contacts, 1), dtype=pl.Float64),
        pl.Series("ci_low", low, dtype=pl.Float64),
        pl.Series("ci_high", high, dtype=pl.Float64),
    )


def rate_summary(described: pl.DataFrame, label: str, overall_rate: float, bands: Bands) -> str:
    """A chart's text alternative: what a reader takes from the bar chart, in one sentence.

    Examples
    --------
    >>> from conversion.definition import Bands
    >>> table = pl.DataFrame({"source": ["Ads", "Web"], "rate": [0.05, 0.3]})
    >>> print(rate_summary(table, "source", 0.2, Bands()))  # doctest: +NORMALIZE_WHITESPACE
    Conversion rate by source for 2 segments: highest Web at 30.0%, lowest Ads at 5.0%;
    overall 20.0%.
    """
    limits = (bands.moderate, bands.strong)
    rated = described.filter(pl.col("rate").is_not_null())
    overall = formats.band_percent(overall_rate, limits)
    if rated.is_empty():
        return f"Conversion rate by {label}: no segment has contacts to rate."
    top = rated.sort("rate", descending=True).row(0, named=True)
    bottom = rated.sort("rate").row(0, named=True)
    if rated.height == 1:
        return (
            f"Conversion rate by {label}: one segment, {top[label]} at "
            f"{formats.band_percent(top['rate'], limits)}."
        )
    return (
        f"Conversion rate by {label} for {rated.height} segments: highest {top[label]} at "
        f"{formats.band_percent(top['rate'], limits)}, lowest {bottom[label]} at "
        f"{formats.band_percent(bottom['rate'], limits)}; overall {overall}."
    )


def share_summary(described: pl.DataFrame, label: str, share: str) -> str:
    """The share chart's text alternative: how the customers (or contacts) split, largest first.

    Examples
    --------
    >>> table = pl.DataFrame({"source": ["Ads", "Web"], "customers": [1, 3], "contacts": [4, 4]})
    >>> share_summary(table, "source", "customers")
    'Share of customers by source: Web 75.0%, Ads 25.0%.'
    """
    total = int(described[share].sum())
    if total == 0:
        return f"Share of {share} by {label}: there are no {share} to share out."
    ordered = described.sort(share, descending=True)
    parts = [
        f"{row[label]} {formats.percent(row[share] / total)}"
        for row in ordered.head(SUMMARY_PARTS).iter_rows(named=True)
    ]
    more = ordered.height - SUMMARY_PARTS
    rest = f", and {more} more in the table below" if more > 0 else ""
    return f"Share of {share} by {label}: {', '.join(parts)}{rest}."


def grid_summary(first: str, second: str) -> str:
    """The two-way grid's text alternative."""
    return (
        f"Conversion rate for every {first} × {second} pair, coloured by band; the results table "
        "below has each pair's counts, rate and interval."
    )


def trend_summary(rates: pl.DataFrame, period: str, segment: str | None = None) -> str:
    """The trend chart's text alternative: the cohorts it spans and where the rate went."""
    if rates.is_empty():
        return "No cohort has contacts yet."
    cohorts = rates["cohort"].unique().sort()
    first, last = formats.cohort(cohorts[0], period), formats.cohort(cohorts[-1], period)
    span = f"{cohorts.len()} {period} cohorts from {first} to {last}"
    if segment is not None:
        return f"Conversion rate per {segment} value over {span}; the table below has each one."
    ordered = rates.sort("cohort")
    start, end = ordered.row(0, named=True), ordered.row(-1, named=True)
    immature = "" if end["mature"] else " (the latest is still immature)"
    return (
        f"Conversion rate over {span}: {formats.percent(start['rate'])} in {first}, "
        f"{formats.percent(end['rate'])} in {last}{immature}."
    )


def cohort_labelled(cohorts: pl.DataFrame, period: str) -> pl.DataFrame:
    """The cohort table with ``cohort`` as people name it (``Jan 2025``, ``2025-W07``), in order.

    For tables and downloads; charts keep the date, which places the points in time.
    """
    labels = [formats.cohort(start, period) for start in cohorts["cohort"].to_list()]
    return cohorts.with_columns(pl.Series("cohort", labels, dtype=pl.String))


#: How many segments a share chart's text alternative names before pointing to the table.
SUMMARY_PARTS = 5


@dataclass(frozen=True)
class SummaryItem:
    """One line of the validation summary."""

    label: str
    value: str
    help: str


def validation_summary(counts: Counts, missing_values: dict[str, int]) -> list[SummaryItem]:
    """The Data page's validation summary, from the counting's quality numbers."""
    q = counts.quality
    d = counts.definition
    items = [
        SummaryItem("Rows", formats.count(q.rows), "Rows in the contacts table."),
        SummaryItem(
            "Unique contacts" if d.id else "Contacts",
            formats.count(q.contacts),
            f"Distinct values of '{d.id}'." if d.id else "Each row is a contact (no id column).",
        ),
        SummaryItem(
            "Counted in the rates", formats.count(q.counted), "Contacts left after exclusions."
        ),
    ]
    if d.id:
        items.append(
            SummaryItem(
                "Duplicate id rows", formats.count(q.duplicate_rows), "Rows repeating an id."
            )
        )
        items.append(SummaryItem("Rows without id", formats.count(q.missing_ids), "Left out."))
    missing = sum(missing_values.values())
    worst = ", ".join(f"{c}: {formats.count(n)}" for c, n in missing_values.items() if n) or "none"
    items.append(
        SummaryItem("Missing values", formats.count(missing), f"In the chosen columns ({worst}).")
    )
    items.append(
        SummaryItem(
            "Unreadable values",
            "0",
            "Flags, dates or numbers that cannot be read stop the count with a message that "
            "lists them, so none are silently dropped.",
        )
    )
    if d.window_days is not None:
        items.append(
            SummaryItem(
                "Immature contacts",
                formats.count(q.immature),
                "Left out: their conversion window is not over by the as-of date.",
            )
        )
        items.append(
            SummaryItem("As-of date", q.as_of.isoformat() if q.as_of else "—", "Maturity cut-off.")
        )
    if d.contact_date and (d.converted_date or d.orders):
        items.append(
            SummaryItem(
                "Negative lags",
                formats.count(q.negative_lags),
                "Conversions dated before the contact date: worth checking.",
            )
        )
    return items


def export_table(table: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame:
    """The per-segment table with rates in percent and differences in percentage points."""
    percent = [(pl.col(c) * 100).alias(f"{c}_pct") for c in PERCENT_COLUMNS]
    points = [(pl.col(c) * 100).alias(f"{c}_pp") for c in POINT_COLUMNS]
    return table.select(
        *segments,
        "contacts",
        "customers",
        *percent[:3],
        "band",
        percent[3],
        *points,
        "test",
        "p_value",
        "p_adjusted",
        "significant",
        "low_sample",
        "low_sample_reason",
        *decisions.export_columns(table),  # only when the optional columns were added
    )


MAX_SEGMENTS_SHOWN = 200
TOP_WHEN_TOO_MANY = 50


def limit_segments(
    table: pl.DataFrame, segments: Sequence[str], limit: int = MAX_SEGMENTS_SHOWN
) -> tuple[pl.DataFrame, str | None]:
    """At most ``limit`` segments to chart: beyond that keep the largest and group the rest.

    Returns the table to show and, when it was cut, a sentence saying so.
    """
    if table.height <= limit:
        return table, None
    kept = top_k(table, segments, TOP_WHEN_TOO_MANY)
    return kept, (
        f"This breakdown has {formats.count(table.height)} segments, too many to chart; the "
        f"{TOP_WHEN_TOO_MANY} largest per column are shown and the rest grouped as Other. "
        "Set Top segments to choose another number."
    )
