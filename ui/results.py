"""The counts and tables the pages show, computed once per session and input, errors shown.

Every computation a page asks for runs through ``guarded``: bad input shows the engine's own
message and gives None. Results are cached in the session by the dataset's identity (its kind
and content key) and the ``Definition`` (a frozen, hashable value), within the caches' bounds.
Each dataset is one source (``Dataset.source``): a database table is counted where it lives,
a file by polars, through the same calls.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import streamlit as st

from conversion import counting
from conversion.analysis import explore
from conversion.counting import ranges
from conversion.definition import Bands, DateBucket, Definition
from conversion.errors import InputError
from ui import caches
from ui.text import plain

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from datetime import date

    import polars as pl

    from ui.datasets import Dataset

LOG = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


def guarded(action: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T | None:
    """``action(*args, **kwargs)``, or None after showing what went wrong as ``st.error``.

    Bad input gets the engine's own message. Anything else is a bug of ours: the analyst gets a
    plain sentence (the details go to the server log), never a traceback.
    """
    try:
        return action(*args, **kwargs)
    except InputError as error:
        st.error(plain(error))
    except Exception:
        LOG.exception("unexpected error while computing a view")
        st.error(
            "This view could not be computed because of an unexpected problem in the app (the "
            "details are in the server log). Try another column or setting, and please report "
            "it with the steps that led here."
        )
    return None


def _cached(kind: str, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``'s result, kept in the session's results under ``(kind, *key)``."""

    def timed() -> T:
        started = time.perf_counter()
        value = compute()
        st.session_state["last_compute_seconds"] = time.perf_counter() - started
        return value

    results = caches.session_cache("_results")
    # The spinner is entered on cache hits too: it takes a slot in the layout, and a slot that
    # comes and goes would shift the widgets after it and lose their state (a click, say).
    with st.spinner("Counting…", show_time=True):
        return caches.cached(results, (kind, *key), timed, caches.MAX_CACHED_RESULTS)


def computed(kind: str, key: tuple, compute: Callable[[], T]) -> T | None:
    """``compute()``'s result kept in the session under ``(kind, *key)``, or None after an error.

    What every view's cached computation goes through: the session's bounded results cache,
    the "Counting…" spinner, and ``guarded``'s message instead of a traceback.
    """
    return guarded(_cached, kind, key, compute)


def _counting_key(d: Definition) -> Definition:
    """``d`` without its bands: they change how counts are read, not the counts."""
    return d.with_changes(bands=Bands())


def files_only(data: Dataset, what: str) -> bool:
    """True (after saying so) when ``what`` needs the rows of a file, not a database's counts."""
    if data.source.supports.rows:
        return False
    st.info(
        f"{what} reads every row, so it works on files only; a database is counted where it "
        "lives and only the per-segment table comes back.",
        icon=":material/database:",
    )
    return True


def counts(data: Dataset, d: Definition) -> counting.Counts | None:
    """Contacts and customers per segment for ``d``, or None after showing what is wrong."""
    # Bands and top K change how the counts are read or grouped, not the counts: both stay out
    # of the cache key, and top K regroups the small cached table.
    full = d.with_changes(top_k=None)
    key = (data.identity, _counting_key(full))
    counted = computed("counts", key, lambda: _count(data, full))
    if counted is None or d.top_k is None:
        return counted
    table = counting.top_k(counted.table, d.segments, d.top_k)
    return dataclasses.replace(counted, table=table, definition=d)


def _count(data: Dataset, d: Definition) -> counting.Counts:
    return counting.count(data.source, d, data.orders_source)


def cohorts(
    data: Dataset, d: Definition, period: DateBucket
) -> tuple[pl.DataFrame, counting.Counts] | None:
    """Contacts and customers per ``period`` cohort of contact dates, and the overall counts."""

    def compute() -> tuple[pl.DataFrame, counting.Counts]:
        return counting.cohorts(data.source, d, data.orders_source, period=period)

    key = (data.identity, _counting_key(d), period)
    return computed("cohorts", key, compute)


def counts_between(
    data: Dataset, d: Definition, previous: tuple[date, date], current: tuple[date, date]
) -> tuple[counting.Counts, counting.Counts] | None:
    """The counts of two ranges of contact dates (``counting.ranges.counts_between``)."""

    def compute() -> tuple[counting.Counts, counting.Counts]:
        return ranges.counts_between(data.source, d, data.orders_source, previous, current)

    key = (data.identity, _counting_key(d), previous, current)
    return computed("ranges", key, compute)


def missing_values(data: Dataset, columns: tuple[str, ...]) -> dict[str, int]:
    """Empty values per column of ``columns`` (asked only once a count of the data has worked)."""
    return _cached("missing", (data.identity, columns), lambda: data.source.missing_values(columns))


def time_to_convert(data: Dataset, d: Definition) -> tuple[pl.DataFrame, date | None] | None:
    """Days to conversion or censoring per segment (for Kaplan–Meier curves), and the as-of."""
    if files_only(data, "Time to convert"):
        return None
    key = (data.identity, _counting_key(d))
    return computed(
        "time",
        key,
        lambda: counting.time_to_convert(data.source, d, data.orders_source),
    )


def usable_tables(
    data: Dataset, d: Definition
) -> tuple[dict[str, pl.DataFrame], dict[str, str]] | None:
    """Per-segment counts of every column worth ranking, and the reasons for the others."""
    if files_only(data, "Ranking every column"):
        return None
    orders = data.orders_frame(d)
    # The ranking does not depend on the current breakdown: keep it out of the key.
    d = d.with_changes(segments=(), top_k=None, bins=(), date_buckets=())
    key = (data.identity, _counting_key(d))
    return computed(
        "usable",
        key,
        lambda: explore.usable_tables(data.contacts.frame, d, data.roles, orders),
    )


def cross_tables(
    data: Dataset, d: Definition, exposure: str, columns: tuple[str, ...]
) -> dict[str, pl.DataFrame] | None:
    """For each of ``columns``, contacts and customers per (``exposure``, column) pair."""
    if not data.source.supports.rows:
        return None  # usable_tables has said why
    orders = data.orders_frame(d)
    key = (data.identity, _counting_key(d), exposure, columns)
    return computed(
        "cross",
        key,
        lambda: explore.cross_tables(data.contacts.frame, d, exposure, columns, data.roles, orders),
    )


def chart_spec(key: Hashable, build: Callable[[], dict]) -> dict:
    """A chart's Vega-Lite spec, built and validated once per session for the same inputs."""
    return caches.cached(caches.session_cache("_charts"), key, build, caches.MAX_CACHED_CHARTS)
