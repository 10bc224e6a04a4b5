"""Insights on the small per-segment tables: what to look at first, and what could mislead.

Every function works on aggregated counts (contacts and customers per segment, cohort or
stratum), never on contact rows. Every claim carries the test it rests on and a ``thin`` flag
when the data are too few to lean on. The modules, each re-exported here:

- ``ranking``: which candidate columns separate conversion most, and which are no segments;
- ``simpson``: Simpson's paradox checks (Mantel–Haenszel) between two segments;
- ``shrinkage``: empirical-Bayes shrinkage of small segments' rates;
- ``cohorts``: which cohorts can be judged, a p-chart and a chi-square test across them;
- ``review``: the monthly review of the latest mature cohort against the previous one;
- ``mix``: a mix/rate decomposition of a change in the overall rate.
"""

from conversion.analysis.insights._shared import TEST_NAMES
from conversion.analysis.insights.cohorts import (
    SIGMA,
    cohort_chi_square,
    cohort_dates,
    mature_cohorts,
    outside_cohorts,
    p_chart,
)
from conversion.analysis.insights.mix import (
    TOTAL,
    mix_between_cohorts,
    mix_rate_decomposition,
    mix_total,
)
from conversion.analysis.insights.ranking import (
    CLEAR_ALPHA,
    MAX_SEGMENTS,
    NEAR_UNIQUE_SHARE,
    column_verdict,
    exclusion_reason,
    rank_columns,
    separates_clearly,
    split_excluded,
)
from conversion.analysis.insights.review import Review, monthly_review
from conversion.analysis.insights.shrinkage import (
    MIN_PRIOR_SEGMENTS,
    Prior,
    beta_binomial_prior,
    fit_prior,
    prior_reason,
    shrunk_rates,
    with_adjusted_rates,
)
from conversion.analysis.insights.simpson import (
    CMH_TEST,
    MH,
    mantel_haenszel,
    simpson_flips,
    simpson_scan,
    simpson_warning,
)

__all__ = [
    "CLEAR_ALPHA",
    "CMH_TEST",
    "MAX_SEGMENTS",
    "MH",
    "MIN_PRIOR_SEGMENTS",
    "NEAR_UNIQUE_SHARE",
    "SIGMA",
    "TEST_NAMES",
    "TOTAL",
    "Prior",
    "Review",
    "beta_binomial_prior",
    "cohort_chi_square",
    "cohort_dates",
    "column_verdict",
    "exclusion_reason",
    "fit_prior",
    "mantel_haenszel",
    "mature_cohorts",
    "mix_between_cohorts",
    "mix_rate_decomposition",
    "mix_total",
    "monthly_review",
    "outside_cohorts",
    "p_chart",
    "prior_reason",
    "rank_columns",
    "separates_clearly",
    "shrunk_rates",
    "simpson_flips",
    "simpson_scan",
    "simpson_warning",
    "split_excluded",
    "with_adjusted_rates",
]
