"""The app's session: which dataset is in use, how its columns are read, and cached results.

Everything here lives in ``st.session_state``, so one analyst's data never reaches another
session. Uploaded files are cached by the SHA-256 of their bytes; results by the dataset's key
and the ``Definition`` (a frozen, hashable value). Caches are bounded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import streamlit as st

from conversion import counting, reading, sources
from conversion.analysis import explore
from conversion.definition import Bands, Definition
from conversion.errors import InputError
from conversion.reading.samples import DEFAULT_SAMPLE, SAMPLES, Sample
from conversion.roles import Roles, complete_definition, detect_roles
from conversion.sharing import codegen
from ui.text import plain

if TYPE_CHECKING:
    from collections.abc import Callable

    from streamlit.runtime.uploaded_file_manager import UploadedFile

LOG = logging.getLogger(__name__)
MAX_CACHED_RESULTS = 32
MAX_CACHED_TABLES = 4
MAX_CACHED_CHARTS = 24
MAX_CACHE_AGE_SECONDS = 3600
UPLOAD_LIMIT_MB = 500  # matches server.maxUploadSize in .streamlit/config.toml
UPLOAD_LIMIT_BYTES = UPLOAD_LIMIT_MB * 1024 * 1024


@dataclass(frozen=True)
class Dataset:
    """The contacts table in use (and its optional orders table), ready to count."""

    key: str
    name: str
    contacts: reading.Table
    roles: Roles
    orders: reading.Table | None = None
    sample: Sample | None = None
    # A database table counted where it lives; ``contacts`` then holds only its first rows,
    # for the preview and for detecting roles.
    remote: sources.Remote | None = None
    remote_orders: sources.Remote | None = None
    database: codegen.Database | None = None  # where the remote tables came from

    @property
    def columns(self) -> list[str]:
        return self.contacts.columns

    @property
    def orders_columns(self) -> list[str]:
        return self.orders.columns if self.orders else []

    def orders_frame(self, d: Definition) -> pl.LazyFrame | None:
        """The orders table's frame when ``d`` joins orders, else None."""
        return self.orders.frame if self.orders is not None and d.orders else None


class SessionFiles:
    """The temporary files of one session's uploads, deleted when the session ends.

    Streamlit drops a session's state some time after its browser tab closes; the finalizer
    then removes the files, so uploads do not outlive their session on the server's disk.
    """

    def __init__(self) -> None:
        self.paths: list[Path] = []
        weakref.finalize(self, _delete, self.paths)

    def add(self, *paths: Path | None) -> None:
        self.paths.extend(p for p in paths if p is not None)


def _delete(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def session_files() -> SessionFiles:
    if "_files" not in st.session_state:
        st.session_state["_files"] = SessionFiles()
    return st.session_state["_files"]


def _session_dict(name: str) -> OrderedDict:
    if name not in st.session_state:
        st.session_state[name] = OrderedDict()
    return st.session_state[name]


def _remember(cache: OrderedDict, key: object, value: object, limit: int) -> None:
    """Keep ``value`` (with its time), dropping the oldest entries beyond ``limit`` or age."""
    now = time.monotonic()
    cache[key] = (now, value)
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
    for old in [k for k, (stamp, _) in cache.items() if now - stamp > MAX_CACHE_AGE_SECONDS]:
        del cache[old]


def _recall(cache: OrderedDict, key: object) -> tuple[bool, object]:
    entry = cache.get(key)
    if entry is None or time.monotonic() - entry[0] > MAX_CACHE_AGE_SECONDS:
        cache.pop(key, None)
        return False, None
    cache.move_to_end(key)
    return True, entry[1]


def sample_dataset(key: str) -> Dataset:
    """A bundled sample as a dataset (read lazily from sample_data/)."""
    sample = SAMPLES[key]
    contacts = reading.load(sample.contacts_path)
    orders = reading.load(sample.orders_path) if sample.orders_path else None
    return Dataset(
        key=f"sample:{key}",
        name=sample.title,
        contacts=contacts,
        roles=detect_roles(contacts.frame),
        orders=orders,
        sample=sample,
    )


def dataset() -> Dataset:
    """The dataset in use; the default sample until the analyst picks or uploads another."""
    if "dataset" not in st.session_state:
        use_dataset(sample_dataset(DEFAULT_SAMPLE))
    return st.session_state["dataset"]


def use_dataset(new: Dataset, definition: Definition | None = None) -> None:
    """Switch to ``new`` and reset the column roles to its defaults."""
    st.session_state["dataset"] = new
    st.session_state["definition"] = definition or default_definition(new)
    st.session_state["roles_version"] = st.session_state.get("roles_version", 0) + 1


def default_definition(data: Dataset) -> Definition:
    """The sample's own definition, or the detected roles (the command line's defaults too).

    When detection is not sure which column says who became a customer, the definition says
    nothing about it, and counting then asks the analyst to choose on the Data page.
    """
    if data.sample is not None:
        return data.sample.definition
    start = Definition(segments=data.roles.segments[:1])
    try:
        completed, _ = complete_definition(start, data.roles, source=data.name)
    except InputError:
        return start
    return completed


def definition() -> Definition:
    dataset()
    return st.session_state["definition"]


def set_definition(new: Definition) -> None:
    st.session_state["definition"] = new


def upload_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_upload(uploaded: UploadedFile, *, sheet: str | None = None) -> reading.Table | None:
    """Read an uploaded file once per session and content; show the engine's message on error.

    The bytes are written once to a private temporary file and scanned lazily from there.
    """
    data = uploaded.getvalue()
    if len(data) > UPLOAD_LIMIT_BYTES:
        st.error(
            f"{plain(uploaded.name)} is {len(data) / 2**20:,.0f} MB; the limit is "
            f"{UPLOAD_LIMIT_MB:,} MB. Export fewer columns or rows, or use the "
            "`conversion` command on your own machine."
        )
        return None
    key = (upload_digest(data), sheet)
    tables = _session_dict("_tables")
    found, table = _recall(tables, key)
    if found:
        return table  # type: ignore[return-value]
    try:
        with st.spinner(f"Reading {plain(uploaded.name)}…"):
            path = reading.save_upload(data, uploaded.name)
            session_files().add(path)
            table = reading.load(path, name=uploaded.name, sheet=sheet)
            session_files().add(table.path)
    except InputError as error:
        st.error(plain(error))
        return None
    _remember(tables, key, table, MAX_CACHED_TABLES)
    return table


REMOTE_SAMPLE_ROWS = sources.DETECTION_ROWS


def database_dataset(
    key: str,
    remote: sources.Remote,
    orders: sources.Remote | None = None,
    origin: codegen.Database | None = None,
) -> Dataset:
    """A database table as a dataset: counted where it lives, previewed from its first rows."""
    with st.spinner(f"Reading the first rows of {plain(remote.name)}…"):
        head = remote.sample(REMOTE_SAMPLE_ROWS)
        orders_head = orders.sample(REMOTE_SAMPLE_ROWS) if orders is not None else None
    contacts = reading.Table(head.lazy(), name=remote.name, format=remote.engine)
    orders_table = (
        reading.Table(orders_head.lazy(), name=orders.name, format=orders.engine)
        if orders is not None and orders_head is not None
        else None
    )
    return Dataset(
        key=f"database:{hashlib.sha256(key.encode()).hexdigest()}",
        name=remote.name,
        contacts=contacts,
        roles=detect_roles(contacts.frame),
        orders=orders_table,
        remote=remote,
        remote_orders=orders,
        database=origin,
    )


def files_only(data: Dataset, what: str) -> bool:
    """True (after saying so) when ``what`` needs the rows of a file, not a database's counts."""
    if data.remote is None:
        return False
    st.info(
        f"{what} reads every row, so it works on files only; a database is counted where it "
        "lives and only the per-segment table comes back.",
        icon=":material/database:",
    )
    return True


def upload_dataset(
    contacts: reading.Table, digest: str, orders: reading.Table | None = None
) -> Dataset:
    return Dataset(
        key=f"upload:{digest}",
        name=contacts.name,
        contacts=contacts,
        roles=detect_roles(contacts.frame),
        orders=orders,
    )


def guarded(action: Callable[[], object]) -> object | None:
    """Run ``action``; show what went wrong as ``st.error`` and return None instead of raising.

    Bad input gets the engine's own message. Anything else is a bug of ours: the analyst gets a
    plain sentence (the details go to the server log), never a traceback.
    """
    try:
        return action()
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


def _cached(kind: str, key: tuple, compute: Callable[[], object]) -> object:
    cache = _session_dict("_results")
    full_key = (kind, *key)
    # The spinner is entered on cache hits too: it takes a slot in the layout, and a slot that
    # comes and goes would shift the widgets after it and lose their state (a click, say).
    with st.spinner("Counting…", show_time=True):
        found, value = _recall(cache, full_key)
        if found:
            return value
        started = time.perf_counter()
        value = compute()
    st.session_state["last_compute_seconds"] = time.perf_counter() - started
    _remember(cache, full_key, value, MAX_CACHED_RESULTS)
    return value


def counts(data: Dataset, d: Definition) -> counting.Counts | None:
    """Contacts and customers per segment for ``d``, or None after showing what is wrong."""

    # Bands and top K change how the counts are read or grouped, not the counts: both stay out
    # of the cache key, and top K regroups the small cached table.
    full = d.with_changes(top_k=None)
    key = (data.key, _counting_key(full))
    counted = guarded(lambda: _cached("counts", key, lambda: _count(data, full)))
    if counted is None or d.top_k is None:
        return counted  # type: ignore[return-value]
    table = counting.top_k(counted.table, d.segments, d.top_k)  # type: ignore[union-attr]
    return dataclasses.replace(counted, table=table, definition=d)  # type: ignore[arg-type]


def _count(data: Dataset, d: Definition) -> counting.Counts:
    if data.remote is not None:
        return sources.count(data.remote, d, data.remote_orders if d.orders else None)
    return counting.count_tables(data.contacts, d, data.orders)


def cohorts(
    data: Dataset, d: Definition, period: str
) -> tuple[pl.DataFrame, counting.Counts] | None:
    def compute() -> tuple[pl.DataFrame, counting.Counts]:
        if data.remote is not None:
            orders = data.remote_orders if d.orders else None
            return sources.cohorts(data.remote, d, orders, period=period)
        return counting.cohort_tables(data.contacts, d, data.orders, period=period)  # type: ignore[arg-type]

    key = (data.key, d.with_changes(bands=Bands()), period)
    return guarded(lambda: _cached("cohorts", key, compute))  # type: ignore[return-value]


def missing_values(data: Dataset, columns: tuple[str, ...]) -> dict[str, int]:
    from conversion.presentation.report import missing_values as count_missing

    def compute() -> dict[str, int]:
        if data.remote is not None:
            return sources.missing_values(data.remote, columns)
        return count_missing(data.contacts.frame, columns)

    return _cached("missing", (data.key, columns), compute)  # type: ignore[return-value]


def _counting_key(d: Definition) -> Definition:
    return d.with_changes(bands=Bands())


def time_to_convert(data: Dataset, d: Definition) -> tuple[pl.DataFrame, object] | None:
    """Days to conversion or censoring per segment (for Kaplan–Meier curves)."""
    if files_only(data, "Time to convert"):
        return None

    key = (data.key, _counting_key(d))
    return guarded(
        lambda: _cached(
            "time", key, lambda: counting.time_to_convert_tables(data.contacts, d, data.orders)
        )
    )  # type: ignore[return-value]


def usable_tables(data: Dataset, d: Definition) -> tuple[dict, dict] | None:
    """Per-segment counts of every column worth ranking, and the reasons for the others."""
    if files_only(data, "Ranking every column"):
        return None
    orders = data.orders_frame(d)
    # The ranking does not depend on the current breakdown: keep it out of the key.
    d = d.with_changes(segments=(), top_k=None, bins=(), date_buckets=())
    key = (data.key, _counting_key(d))
    return guarded(  # type: ignore[return-value]
        lambda: _cached(
            "usable",
            key,
            lambda: explore.usable_tables(data.contacts.frame, d, data.roles, orders),
        )
    )


def cross_tables(
    data: Dataset, d: Definition, exposure: str, columns: tuple[str, ...]
) -> dict | None:
    if data.remote is not None:
        return None  # usable_tables has said why
    orders = data.orders_frame(d)
    key = (data.key, _counting_key(d), exposure, columns)
    return guarded(  # type: ignore[return-value]
        lambda: _cached(
            "cross",
            key,
            lambda: explore.cross_tables(
                data.contacts.frame, d, exposure, columns, data.roles, orders
            ),
        )
    )


def chart_spec(key: tuple, build: Callable[[], dict]) -> dict:
    """A chart's Vega-Lite spec, built and validated once per session for the same inputs."""
    cache = _session_dict("_charts")
    found, spec = _recall(cache, key)
    if not found:
        spec = build()
        _remember(cache, key, spec, MAX_CACHED_CHARTS)
    return spec  # type: ignore[return-value]
