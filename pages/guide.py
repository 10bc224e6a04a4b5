"""Guide: what the metric means, how it is computed, and how to use it well."""

import streamlit as st

from conversion.definition import BAND_PRESETS
from ui.entry import through_app

through_app()

st.title("Guide")

st.header("The metric")
st.markdown(
    """
**Customer conversion rate = customers ÷ contacts × 100.**

- A **contact** is anyone you could sell to: a newsletter sign-up, a trial, a qualified lead, a
  prospect from an event, a past customer you are re-engaging. With an id column, each distinct id
  is one contact, however many rows it has.
- A **customer** is a contact that bought: shown by a flag (Y/N, won/lost, a lifecycle stage), by a
  conversion date, or by appearing in your orders or closed-deals table.
- A **conversion window** makes the rate comparable over time: *1,000 people signed up in March,
  500 of them bought within three months → 50 %.* A purchase on day 91 does not count for a
  90-day window.
- **Maturity.** Someone who signed up last week has not had 90 days to buy yet. Such contacts are
  left out and counted separately, never treated as "did not convert" — otherwise recent segments
  always look worse than they are.
"""
)

st.header("Bands")
default, ecommerce = BAND_PRESETS["default"], BAND_PRESETS["ecommerce"]
st.markdown(
    f"""
| Preset | {default.labels[0]} | {default.labels[1]} | {default.labels[2]} |
|---|---|---|---|
| Default (contacts → customers) | ≥ {default.strong:.0%} | {default.moderate:.0%} to < \
{default.strong:.0%} | < {default.moderate:.0%} |
| E-commerce (visitors → buyers) | {ecommerce.labels[0]}: > {ecommerce.strong:.0%} | \
{ecommerce.labels[1]}: {ecommerce.moderate:.0%} to {ecommerce.strong:.0%} | \
{ecommerce.labels[2]}: < {ecommerce.moderate:.0%} |

Choose a preset or your own thresholds in the sidebar. Bands are a reading aid, not a verdict:
compare a segment with your own history and with the rest of your contacts first.
"""
)

st.header("Reading the numbers honestly")
st.markdown(
    """
- **Every rate has an interval.** 3 customers out of 4 contacts is 75 %, but the 95 % Wilson
  interval runs from about 30 % to 95 %. The app ranks segments by the interval's lower bound, so
  a lucky tiny segment does not top the list.
- **Small samples are flagged**: fewer than 30 contacts, fewer than 5 customers or non-customers,
  or an interval wider than ±10 points. A flagged segment is never marked significant.
- **"Significant against the rest"** comes from a two-proportion z-test (Fisher's exact test when
  counts are small), with p-values adjusted for the number of segments (Benjamini–Hochberg). It is
  exploratory: with many segments, some differences appear by chance.
- **Aggregates hide segments.** An overall rate of 12 % can be 25 % in one channel and 4 % in
  another; the mix of channels then drives the overall number more than any improvement does.
- **Simpson's paradox.** Email can convert better than ads among small companies *and* among large
  ones, yet worse overall — because email reached mostly large companies, which convert less.
  Before concluding, break the comparison down by a second column (company size, region) on the
  Segments page.
- **Association is not cause.** A segment converting better may simply attract different people.
"""
)

st.header("Decision aids")
st.markdown(
    """
- **What changed** (Trends): each segment's rate in two full, mature periods (contacts whose
  window is not over stay out of both), the change in points with Newcombe's 95 % interval and a
  p-value adjusted across segments (Benjamini–Hochberg); *rank* orders the segments by how much
  they moved the overall rate (mix plus rate effect, which add up to the overall change).
  *Custom dates* compares any two ranges of contact dates instead (whole days, both included).
- **P(strong) / P(poor)**: the chance the segment's true rate is at least the strong threshold,
  or below the moderate one, from a beta posterior: Beta(customers + α, non-customers + β) with
  the empirical-Bayes prior fitted to all segments, or the flat prior Beta(1, 1) when there are
  fewer than five segments or they differ no more than chance (the caption says which).
- **P(A beats B)** (Compare): the chance A's true rate is higher than B's under the same
  posteriors, computed exactly by numerical integration; the **expected loss** of picking A is
  the rate you expect to give up if B is truly better (a mean of max(B − A, 0), in points).
- **Leads for ± X pp**: how many more contacts the segment needs for its 95 % Wilson interval to
  be at most ± X points wide at its current rate.
- **Leads to tell from the rest**: how many more contacts until its observed difference from
  the rest would be detected 80 % of the time (two-sided, at 0.05 ÷ the number of segments;
  normal approximation on Cohen's h, the rest growing in step). "≈ M weeks" divides them by the
  segment's contacts per week over the data's date span. The calculator on Compare answers the
  same question for any two rates.
"""
)

st.header("Levers")
st.markdown(
    """
- **Test, don't guess.** When a segment underperforms, change one thing (offer, landing page,
  follow-up) for a random half of its new contacts and compare the two halves on the Compare page.
- **Follow up in the CRM.** Leads that go quiet convert less; a timely call or e-mail sequence for
  strong-but-slow segments is often the cheapest gain.
- **Spend where it converts.** Shift budget from segments that are surely poor (their interval's
  upper bound is below your moderate threshold) to segments that are surely strong.
"""
)

st.header("A monthly review")
st.markdown(
    """
1. On **Trends**, look at the last *mature* month: every contact in it has had the full window.
2. On **Segments**, check which segments moved band since the previous review and whether the
   change is larger than their intervals.
3. On **Compare**, test the one or two differences you want to act on, and write down the verdict.
4. Share the link (it keeps the sample, columns, window and thresholds) with the team.
"""
)

st.header("A notebook for the story")
st.markdown(
    """
**Add to notebook** on Segments, Trends, Compare and the column ranking keeps the view you are
looking at as a cell of the **Notebook** page, where you write what it means. A note can quote
live figures, so next month's numbers fill in by themselves:

- `{rate}` — the view's overall conversion rate; `{contacts}`, `{customers}` — its counts;
- `{best}`, `{worst}` — the surely-best and surely-worst segment with its rate (for a trend, the
  cohort; for the ranking, the column);
- in a **What changed** cell, `{rate}` and `{contacts}` are the current period's, and `{best}`,
  `{worst}` the segment whose rate rose / fell most, with its change in points;
- `{above.rate}` (and so on) — the same figure of the nearest view cell above.

Without `above.`, a placeholder takes its own cell's figures; in a section note, which has none,
the cell above. A figure that cannot be had shows `–`; write `{{` and `}}` for braces. Notes
show HTML as typed and keep links only to web and mail addresses. Download the notebook and run
it on next month's export with `conversion notebook NOTEBOOK.json --data CONTACTS --output
report.html`.
"""
)
