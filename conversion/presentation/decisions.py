"""Decision aids as the app and the exports show them: how sure, how many more leads.

``with_decisions`` adds the optional columns to the per-segment table (the chance each
segment's true rate is strong or poor, and the contacts still needed for a ± margin interval and
to detect its difference from the rest); ``display_columns`` names them for the app's table and
``export_columns`` for the CSV and Excel downloads. ``compare_decision`` gives the Compare
page's figures for two segments. ``leads_text`` is the one way a number of leads reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from conversion.analysis import posterior, sample_size
from conversion.counting.periods import period_end
from conversion.presentation import formats

if TYPE_CHECKING:
    from conversion.definition import Bands, DateBucket

SURE = "sure"
LEADS = "leads"
CHOICES = (SURE, LEADS)
"""The optional column groups, by the name the share link uses."""

EXPORT_NAMES = {
    "p_strong": "p_strong",
    "p_poor": "p_poor",
    "margin_more": "leads_for_margin",
    "margin_weeks": "weeks_for_margin",
    "power_more": "leads_to_detect",
    "power_weeks": "weeks_to_detect",
}
"""Decision columns as the downloads name them (probabilities 0–1, leads, weeks)."""


SURE_NOTE = (
    "P(strong) / P(poor): the chance the segment's true rate is at least the strong threshold, "
    "or below the moderate one, from a beta posterior ({prior})."
)
LEADS_NOTE = (
    "Leads: the contacts still needed for the 95 % interval to be at most ± {margin} points, "
    "and to tell the segment from the rest at {difference} (80 % power, two-sided, "
    "level 0.05 ÷ segments); weeks at the segment's intake over the data's date span."
)
AIDS_HEADING = "Decision aids"
"""The heading of the decision columns' own table in the notebook's exports."""


def choices_text(choices: tuple[str, ...] | list[str]) -> str | None:
    """The chosen column groups as one word for a notebook cell (``sure+leads``), or None.

    Examples
    --------
    >>> choices_text(["leads", "sure"]), choices_text([])
    ('sure+leads', None)
    """
    return "+".join(c for c in CHOICES if c in choices) or None


def leads_note(margin: float, difference: float | None) -> str:
    """The line under the leads columns: the interval target and the difference to detect."""
    detect = (
        "its observed difference"
        if difference is None
        else f"a difference of {formats.points(difference)} from the rest's rate"
    )
    return LEADS_NOTE.format(margin=f"{margin * 100:g}", difference=detect)


def display_frame(described: pl.DataFrame, margin: float) -> pl.DataFrame | None:
    """The decision columns as the results table shows them; None when none were added."""
    columns: dict[str, list[object]] = {}
    if "p_strong" in described.columns:
        columns["P(strong) %"] = (described["p_strong"] * 100).to_list()
        columns["P(poor) %"] = (described["p_poor"] * 100).to_list()
    if "margin_more" in described.columns:
        for name, more, weeks in (
            (f"Leads for ± {margin * 100:g} pp", "margin_more", "margin_weeks"),
            ("Leads to tell from the rest", "power_more", "power_weeks"),
        ):
            columns[name] = [
                leads_text(m, w)
                for m, w in zip(described[more].to_list(), described[weeks].to_list(), strict=True)
            ]
    return pl.DataFrame(columns) if columns else None


def span_weeks(cohorts: pl.DataFrame, period: DateBucket, as_of: date | None) -> float | None:
    """Weeks from the first period with contacts to the as-of date (or the last period's end).

    Examples
    --------
    >>> table = pl.DataFrame({"cohort": [date(2025, 1, 1), date(2025, 2, 1)],
    ...                       "contacts": [10, 12], "immature": [0, 3]})
    >>> span_weeks(table, "month", None)  # 1 January to 28 February: 59 days
    8.428571428571429
    """
    dated = cohorts.filter((pl.col("contacts") + pl.col("immature")) > 0)["cohort"]
    if dated.is_empty():
        return None
    first, last = dated.min(), dated.max()
    assert isinstance(first, date) and isinstance(last, date)
    end = as_of if as_of is not None else period_end(last, period)
    days = (end - first).days + 1
    return days / 7 if days > 0 else None


def with_decisions(
    described: pl.DataFrame,
    bands: Bands,
    choices: tuple[str, ...],
    *,
    margin: float = sample_size.MARGIN,
    difference: float | None = None,
    weeks: float | None = None,
) -> tuple[pl.DataFrame, str | None]:
    """The per-segment table with the chosen decision columns, and the prior it used (words).

    ``choices`` holds ``SURE`` (``p_strong``, ``p_poor``) and/or ``LEADS``
    (``sample_size.LEADS_COLUMNS``, for a ± ``margin`` interval and to detect ``difference``
    against the rest, by default the observed one); ``weeks`` is the data's date span.
    """
    note = None
    if SURE in choices:
        prior = posterior.posterior_prior(
            described["contacts"].to_numpy(), described["customers"].to_numpy()
        )
        described = posterior.band_probabilities(described, bands, prior)
        note = prior.note
    if LEADS in choices:
        described = sample_size.leads_needed(
            described, margin=margin, difference=difference, weeks=weeks
        )
    return described, note


def display_columns(table: pl.DataFrame, margin: float) -> list[pl.Expr]:
    """The decision columns present in ``table``, named for the app's results table."""
    shown = []
    if "p_strong" in table.columns:
        shown += [
            (pl.col("p_strong") * 100).alias("P(strong) %"),
            (pl.col("p_poor") * 100).alias("P(poor) %"),
        ]
    if "margin_more" in table.columns:
        points = f"{margin * 100:g}"
        shown += [
            pl.col("margin_more").alias(f"Leads for ±{points} pp"),
            pl.col("margin_weeks").alias("Weeks (±)"),
            pl.col("power_more").alias("Leads to detect"),
            pl.col("power_weeks").alias("Weeks (detect)"),
        ]
    return shown


def export_columns(table: pl.DataFrame) -> list[pl.Expr]:
    """The decision columns present in ``table``, named for the downloads."""
    return [pl.col(k).alias(v) for k, v in EXPORT_NAMES.items() if k in table.columns]


def leads_text(more: float | None, weeks: float | None) -> str:
    """How many more contacts, and how long they take: one way for every page and export.

    Examples
    --------
    >>> leads_text(1234, 5.6), leads_text(80, None), leads_text(0, 0.0), leads_text(None, None)
    ('about 1,234 more contacts (≈ 6 weeks at the current intake)', 'about 80 more contacts', \
'enough contacts already', 'no difference to detect')
    >>> leads_text(30, 0.4)
    'about 30 more contacts (≈ under a week at the current intake)'
    """
    if more is None or (isinstance(more, float) and not math.isfinite(more)):
        return "no difference to detect"
    if more <= 0:
        return "enough contacts already"
    text = f"about {int(more):,} more contacts"
    if weeks is None or not math.isfinite(weeks):
        return text
    wait = "under a week" if weeks < 1 else f"{weeks:.0f} week{'s' if round(weeks) != 1 else ''}"
    return f"{text} (≈ {wait} at the current intake)"


@dataclass(frozen=True)
class CompareDecision:
    """Compare's figures: how sure A beats B, the loss of choosing it, the leads to know."""

    p_a_beats_b: float
    loss_a: float
    loss_b: float
    prior_note: str
    per_group: float
    """Contacts needed in each of A and B to detect their observed difference (80 % power)."""
    more_a: float
    more_b: float


def compare_decision(
    table: pl.DataFrame, a: tuple[int, int], b: tuple[int, int], *, alpha: float
) -> CompareDecision:
    """P(A beats B), the expected losses and the leads; ``a``, ``b`` are (customers, contacts).

    The prior is fitted to every segment of ``table`` (``posterior.posterior_prior``); the
    leads are for the observed difference at level ``alpha``, with equal groups.
    """
    prior = posterior.posterior_prior(table["contacts"].to_numpy(), table["customers"].to_numpy())
    (x1, n1), (x2, n2) = a, b
    per_group = sample_size.contacts_for_difference(x1 / n1, x2 / n2, alpha=alpha)
    needed = math.ceil(per_group) if math.isfinite(per_group) else math.inf
    return CompareDecision(
        p_a_beats_b=posterior.prob_a_beats_b(x1, n1, x2, n2, prior),
        loss_a=posterior.expected_loss(x1, n1, x2, n2, prior),
        loss_b=posterior.expected_loss(x2, n2, x1, n1, prior),
        prior_note=prior.note,
        per_group=needed,
        more_a=max(needed - n1, 0),
        more_b=max(needed - n2, 0),
    )
