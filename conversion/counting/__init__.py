"""Counting: from a definition and a table to contacts and customers per segment.

The definition is checked, each source's typed row frame goes through the shared engine steps
(``engine``), and the small summary is finished into ``Counts``. Pre-aggregated tables,
cohorts and time to convert are counted here too.
"""

from conversion.counting.engine import COUNTED, IMMATURE, MISSING, MISSING_ID, NO_CONTACT_DATE
from conversion.counting.rates import (
    EXCLUSION,
    OTHER,
    Counts,
    Quality,
    bucket_end,
    bucket_label,
    bucket_start,
    check_definition,
    cohort_tables,
    cohorts,
    cohorts_with,
    count,
    count_tables,
    counts_from_summary,
    flag_values_message,
    time_to_convert,
    time_to_convert_tables,
    top_k,
)

__all__ = [
    "COUNTED",
    "EXCLUSION",
    "IMMATURE",
    "MISSING",
    "MISSING_ID",
    "NO_CONTACT_DATE",
    "OTHER",
    "Counts",
    "Quality",
    "bucket_end",
    "bucket_label",
    "bucket_start",
    "check_definition",
    "cohort_tables",
    "cohorts",
    "cohorts_with",
    "count",
    "count_tables",
    "counts_from_summary",
    "flag_values_message",
    "time_to_convert",
    "time_to_convert_tables",
    "top_k",
]
