"""Counting: from a definition and a source to contacts and customers per segment.

The definition is checked (``checks``), the source's typed row frame goes through the shared
engine steps (``engine``) and the small summary it fetches is finished into ``Counts``
(``result``). Pre-aggregated tables (``aggregated``), cohorts (``cohorts``) and time to
convert (``timing``) are counted here too.
"""

from conversion.counting.checks import check_definition
from conversion.counting.cohorts import bucket_end, bucket_start, cohorts
from conversion.counting.count import count
from conversion.counting.engine import COUNTED, IMMATURE, MISSING, MISSING_ID, NO_CONTACT_DATE
from conversion.counting.result import EXCLUSION, OTHER, Counts, Quality, top_k
from conversion.counting.timing import time_to_convert

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
    "bucket_start",
    "check_definition",
    "cohorts",
    "count",
    "time_to_convert",
    "top_k",
]
