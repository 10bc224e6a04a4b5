"""The notebook API: ``by_segment`` counts a table and returns a ``SegmentRates`` result.

The arguments are the definition the command line and the app use, with the same names
(``segment``, ``converted``, ``window_days``, ``orders`` and ``key``, ...); the result carries
the same per-segment table, overall figures, warnings and charts the app shows.

Examples
--------
>>> import polars as pl
>>> import conversion
>>> leads = pl.DataFrame(
...     {"source": ["Ads", "Ads", "Ads", "Web", "Web"], "won": ["yes", "no", "no", "yes", "no"]}
... )
>>> result = conversion.by_segment(leads, segment="source", converted="won")
>>> result.table.select("source", "contacts", "customers").rows()
[('Web', 2, 1), ('Ads', 3, 1)]
>>> round(result.overall.rate, 2)
0.4
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, TypeAlias

import polars as pl

from conversion import counting, reading, sources
from conversion.analysis import change, stats
from conversion.analysis import funnel as funnel_stats
from conversion.counting import periods, ranges
from conversion.counting.funnel import count_funnel
from conversion.counting.stages import Funnel
from conversion.definition import DATE_BUCKETS, Bands, Definition, OrdersJoin, parse_customer_values
from conversion.errors import InputError
from conversion.presentation import charts, decisions, notebook, report
from conversion.presentation.funnel import FunnelResult

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd
    import pyarrow as pa

    from conversion.definition import DateBucket

    TableLike: TypeAlias = (
        str | os.PathLike[str] | pl.DataFrame | pl.LazyFrame | pd.DataFrame | pa.Table
    )
    BandsLike: TypeAlias = str | tuple[float, float] | Bands

__all__ = ["SegmentRates", "by_segment"]

PERIODS = DATE_BUCKETS
SORT_ORDERS = ("lower_bound", "rate", "contacts", "segment")
DISPLAY_ROWS = notebook.DISPLAY_ROWS
"""Rows shown in a notebook's display of the result; ``.table`` always has them all."""


def by_segment(
    data: TableLike,
    segment: str | Sequence[str] | None = None,
    *,
    converted: str | None = None,
    customer_values: str | Sequence[str] = (),
    converted_date: str | None = None,
    id: str | None = None,
    contact_date: str | None = None,
    window_days: int | None = None,
    as_of: date | str | None = None,
    orders: TableLike | None = None,
    key: str | None = None,
    orders_key: str | None = None,
    orders_date: str | None = None,
    contacts: str | None = None,
    customers: str | None = None,
    top: int | None = None,
    bins: Mapping[str, int] | None = None,
    buckets: Mapping[str, DateBucket] | None = None,
    date_format: str | None = None,
    bands: BandsLike = "default",
    adjust: stats.AdjustMethod = "bh",
    sort: stats.SortOrder = "lower_bound",
    sheet: str | None = None,
    orders_sheet: str | None = None,
    delimiter: str | None = None,
) -> SegmentRates:
    """Customer conversion rate per segment: customers / contacts, with honest statistics.

    Parameters
    ----------
    data
        The contacts (leads, sign-ups) table: a file path (CSV and other delimited text,
        Excel, Parquet, JSON, gzip), a polars ``DataFrame`` or ``LazyFrame``, a pandas
        ``DataFrame`` or a pyarrow ``Table``. It is never modified. A table that lives on an
        engine — a DuckDB relation, a Spark DataFrame, an ibis table (PostgreSQL) or a
        ``conversion.sources.Remote`` — is counted there, and only the per-segment table
        comes back (dates must then be typed as dates).
    segment
        The column to break the rate down by, or a list of columns for a cross-breakdown.
    converted
        A flag column (Y/N, TRUE/FALSE, 1/0, won/lost, or a stage with ``customer_values``).
    customer_values
        Values of ``converted`` that mean a customer (every other value means not a customer),
        as a list or one comma-separated string.
    converted_date
        A conversion-date column: a non-empty date means converted.
    id
        Contact id: count unique contacts rather than rows.
    contact_date
        When the contact was made; needed for ``window_days`` and for trends.
    window_days
        Count a conversion only within this many days of the contact date. Contacts whose
        window is not over by ``as_of`` are left out and reported, never counted as lost.
    as_of
        The as-of date for maturity, a ``date`` or ``"YYYY-MM-DD"`` (default: the latest date
        in the data).
    orders
        A second table (orders, won deals), in any form ``data`` accepts: a contact whose
        ``key`` appears there is a customer.
    key, orders_key, orders_date
        The contacts column joining ``orders``, the orders column it matches (default: the
        same name) and the orders' date column (needed for a window).
    contacts, customers
        Pre-aggregated input: the columns that already hold contacts and customers per segment.
    top
        Keep the ``top`` largest segments per column and group the rest as ``Other``.
    bins
        Numeric segment columns to cut into quantile bins, e.g. ``{"age": 4}``.
    buckets
        Date segment columns to group by period, e.g. ``{"signup_date": "month"}``.
    date_format
        A strptime format for every date column, when detection cannot tell.
    bands
        Performance bands: a preset name (``"default"``: 20 % / 10 %, ``"ecommerce"``:
        10 % / 2 %), custom thresholds in percent ``(strong, moderate)``, or a ``Bands``.
    adjust
        Multiple-comparison adjustment of the p-values: ``"bh"`` (Benjamini–Hochberg) or
        ``"holm"``.
    sort
        Row order: ``"lower_bound"`` (of the interval, the honest ranking), ``"rate"``,
        ``"contacts"`` or ``"segment"``.
    sheet, orders_sheet
        Excel only: the sheet to read (default: the first).
    delimiter
        Delimited text only: force the field delimiter of ``data``.

    Returns
    -------
    SegmentRates
        The per-segment table, the overall figures, the warnings and the charts.

    Raises
    ------
    InputError
        For anything in the input or the definition that cannot be counted correctly; the
        message says which table, column and values, and what to do.

    Examples
    --------
    >>> import polars as pl
    >>> signups = pl.DataFrame(
    ...     {
    ...         "source": ["Ads", "Ads", "Web", "Web"],
    ...         "signed_up": ["2025-01-05", "2025-01-20", "2025-01-10", "2025-03-30"],
    ...         "purchased": ["2025-01-09", None, "2025-03-01", None],
    ...     }
    ... )
    >>> result = by_segment(
    ...     signups, "source", contact_date="signed_up", converted_date="purchased",
    ...     window_days=30, as_of="2025-03-31",
    ... )
    >>> result.table.select("source", "contacts", "customers").rows()
    [('Ads', 2, 1), ('Web', 1, 0)]
    >>> result.quality.immature, result.quality.outside_window
    (1, 1)
    """
    if sort not in SORT_ORDERS:
        raise InputError(f"Unknown sort {sort!r}; choose one of {', '.join(SORT_ORDERS)}.")
    if (orders is None) != (key is None):
        raise InputError(
            "orders= and key= go together: the orders table and the contacts column joining it."
        )
    if key is None and (orders_key is not None or orders_date is not None):
        raise InputError(
            "orders_key= and orders_date= describe the orders join; add orders= and key=."
        )
    definition = Definition(
        segments=_segments(segment),
        converted=converted,
        customer_values=parse_customer_values(
            [customer_values] if isinstance(customer_values, str) else customer_values
        ),
        converted_date=converted_date,
        id=id,
        contact_date=contact_date,
        window_days=_whole(window_days, "window_days"),
        as_of=_date(as_of),
        orders=OrdersJoin(key, orders_key, orders_date) if key is not None else None,
        contacts_column=contacts,
        customers_column=customers,
        top_k=_whole(top, "top"),
        bins=_bins(bins),
        date_buckets=_buckets(buckets),
        date_format=date_format,
        bands=_bands(bands),
    )
    contacts_source: sources.Source
    orders_source: sources.Source | None
    remote = sources.native_remote(data, "the contacts table")
    if remote is not None:
        # A table on an engine: counted where it lives; only the summary comes back.
        contacts_source = remote
        orders_source = (
            sources.native_remote(orders, "the orders table") if orders is not None else None
        )
        if orders is not None and orders_source is None:
            raise InputError("With a database or Spark table, the orders must be one too.")
    else:
        table = reading.from_data(data, "the contacts table", sheet=sheet, delimiter=delimiter)
        contacts_source = sources.of(table)
        orders_source = (
            sources.of(reading.from_data(orders, "the orders table", sheet=orders_sheet))
            if orders is not None
            else None
        )
    counts = counting.count(contacts_source, definition, orders_source)
    return SegmentRates(
        table=stats.describe(counts.table, definition.bands, adjust=adjust, sort=sort),
        overall=stats.overall(counts.table),
        warnings=counts.warnings,
        quality=counts.quality,
        definition=definition,
        adjust=adjust,
        counts=counts.table,
        _source=contacts_source,
        _orders_source=orders_source,
    )


def funnel(
    data: TableLike,
    segment: str | Sequence[str],
    *,
    stages: Sequence[str] = (),
    stage_column: str | None = None,
    stage_order: str | Sequence[str] = (),
    stage_map: Mapping[str, str] | None = None,
    id: str | None = None,
    step_window_days: int | Sequence[int] | None = None,
    as_of: date | str | None = None,
    date_format: str | None = None,
    bands: BandsLike = "default",
    adjust: stats.AdjustMethod = "bh",
) -> FunnelResult:
    """The lifecycle funnel per segment: where each segment's contacts drop out, stage by stage.

    The arguments are ``conversion funnel``'s: stage-date columns in order (``stages``), or one
    ``stage_column`` with its ``stage_order`` (a list or one comma-separated string), values
    outside it mapped with ``stage_map`` (``{"subscriber": "lead", "other": ""}``: "" leaves
    those contacts out). A contact has reached stage k when it has a date for stage k or any
    later stage; ``step_window_days`` (one for every step, or one per step) leaves contacts
    that have not had a step's full window by ``as_of`` out of that step. ``data`` is what
    ``by_segment`` accepts; a table on an engine is counted there.

    Examples
    --------
    >>> import polars as pl
    >>> leads = pl.DataFrame({"src": ["Ads", "Ads", "Web"], "stage": ["lead", "mql", "mql"]})
    >>> result = funnel(leads, "src", stage_column="stage", stage_order="lead,mql")
    >>> result.table.filter(pl.col("stage") == "mql").select("src", "reached", "step_rate").rows()
    [('Ads', 1, 0.5), ('Web', 1, 1.0), ('(all)', 2, 0.6666666666666666)]
    """
    order = stage_order.split(",") if isinstance(stage_order, str) else stage_order
    windows = (step_window_days,) if isinstance(step_window_days, int) else step_window_days
    definition = Funnel(
        segments=_segments(segment),
        stages=tuple(stages),
        stage_column=stage_column,
        stage_order=tuple(v.strip() for v in order if v.strip()),
        stage_map=tuple((stage_map or {}).items()),
        id=id,
        step_windows=tuple(_whole(w, "step_window_days") or 0 for w in windows or ()),
        as_of=_date(as_of),
        date_format=date_format,
    )
    remote = sources.native_remote(data, "the contacts table")
    contacts = remote if remote is not None else reading.from_data(data, "the contacts table")
    counts = count_funnel(contacts, definition)
    table = funnel_stats.describe_funnel(counts, adjust=adjust)
    return FunnelResult(
        table=table,
        drops=funnel_stats.biggest_drops(table, list(definition.segments)),
        days=funnel_stats.days_between(counts),
        counts=counts,
        bands=_bands(bands),
    )


@dataclass(frozen=True, repr=False, eq=False)
class SegmentRates:
    """The conversion rate per segment, as ``by_segment`` returns it.

    Attributes
    ----------
    table
        One row per segment (combination), in the chosen sort order: the segment columns,
        ``contacts``, ``customers``, ``rate`` with its Wilson interval ``ci_low``/``ci_high``
        (fractions), ``band``, each segment against the rest (``rest_rate``, ``diff``,
        ``diff_low``, ``diff_high``, ``test``, ``p_value``, ``p_adjusted``), ``low_sample``,
        ``low_sample_reason`` and ``significant``.
    overall
        All segments together: ``contacts``, ``customers``, ``rate``, ``ci_low``, ``ci_high``
        and the chi-square test that the segments differ (``chi_square``, None when untestable).
    warnings
        Sentences about everything that changed how rows were counted (duplicates, conflicts,
        immature contacts, negative lags).
    quality
        The same as numbers: rows, unique contacts, counted, immature, ... and the as-of date.
    definition
        What was counted, as the app and the command line hold it.
    adjust
        The p-value adjustment used.
    counts
        The per-segment counts before statistics: segment columns, ``contacts``, ``customers``.

    Examples
    --------
    >>> import polars as pl
    >>> from conversion import by_segment
    >>> sessions = pl.DataFrame({"device": ["mobile"] * 40 + ["desktop"] * 60,
    ...                          "bought": [1] * 4 + [0] * 36 + [1] * 15 + [0] * 45})
    >>> result = by_segment(sessions, "device", converted="bought")
    >>> result.table.select("device", "rate", "band").rows()
    [('desktop', 0.25, 'strong'), ('mobile', 0.1, 'moderate')]
    >>> print(result.compare("desktop", "mobile").verdict)  # doctest: +ELLIPSIS
    Too few contacts or customers to tell: desktop converts at 25.0% and mobile at 10.0%, ...
    """

    table: pl.DataFrame
    overall: stats.Overall
    warnings: tuple[str, ...]
    quality: counting.Quality
    definition: Definition
    adjust: stats.AdjustMethod
    counts: pl.DataFrame
    _source: sources.Source
    _orders_source: sources.Source | None = None

    @property
    def segments(self) -> tuple[str, ...]:
        """The segment columns."""
        return self.definition.segments

    @property
    def bands(self) -> Bands:
        """The performance bands used for the ``band`` column and the chart's threshold lines."""
        return self.definition.bands

    def to_pandas(self) -> pd.DataFrame:
        """The per-segment ``table`` as a pandas ``DataFrame`` (needs pandas installed)."""
        return self.table.to_pandas()

    def bar_chart(self, *, title: str | None = None) -> alt.LayerChart:
        """The app's bar chart: rate per segment coloured by band, with interval whiskers,
        the band threshold lines and the overall rate as a dashed line.

        Examples
        --------
        >>> import polars as pl
        >>> from conversion import by_segment
        >>> frame = pl.DataFrame({"plan": ["A", "A", "B"], "paid": ["y", "n", "y"]})
        >>> spec = by_segment(frame, "plan", converted="paid").bar_chart().to_dict()
        >>> [row for layer in spec["layer"] if layer["mark"]["type"] == "rule"
        ...  for row in layer["data"]["values"]]  # doctest: +NORMALIZE_WHITESPACE
        [{'threshold': 0.2, 'label': 'strong ≥ 20%'},
         {'threshold': 0.1, 'label': 'moderate ≥ 10%'},
         {'overall': 0.6666666666666666, 'label': 'overall 66.7%'}]
        """
        label = report.label_column(self.segments)
        return charts.bar_chart(
            report.with_labels(self.table, self.segments),
            label,
            self.bands,
            self.overall.customers / max(self.overall.contacts, 1),  # as the app draws it
            title=title,
        )

    def pie_chart(
        self, share: Literal["customers", "contacts"] = "customers", *, donut: bool = True
    ) -> alt.LayerChart:
        """Each segment's share of customers (or of contacts), as a donut or a pie."""
        label = report.label_column(self.segments)
        return charts.pie_chart(
            report.with_labels(self.table, self.segments), label, share, donut=donut
        )

    def compare(self, a: str, b: str) -> report.Comparison:
        """Segment ``a`` against segment ``b``: difference with Newcombe's interval, the test,
        the p-value adjusted over every pair, and a plain-language ``verdict``.

        With several segment columns, name a segment as the table labels it: ``"Ads · SMB"``.

        Raises
        ------
        InputError
            When a segment does not exist, has no contacts, or ``a`` and ``b`` are the same.
        """
        return report.compare(self.counts, self.segments, a, b, adjust=self.adjust)

    def cohorts(self, period: DateBucket = "month", *, by: str | None = None) -> pl.DataFrame:
        """Conversion rate per cohort (contact-date period), overall or per segment column.

        Returns the cohort table: ``cohort`` (the period's first day), the ``by`` column when
        given, ``contacts``, ``customers``, ``immature`` (contacts left out because their window
        is not over), ``mature`` (the whole cohort has had its window), ``rate``, ``ci_low``
        and ``ci_high``.

        Raises
        ------
        InputError
            Without a contact date, for pre-aggregated input, or for an unknown period.
        """
        if period not in PERIODS:
            raise InputError(f"Unknown period {period!r}; choose one of {', '.join(PERIODS)}.")
        if self.definition.pre_aggregated:
            raise InputError("Trends need one row per contact; pre-aggregated counts have none.")
        cohort_definition = self.definition.with_changes(segments=(by,) if by else ())
        table, _ = counting.cohorts(
            self._source, cohort_definition, self._orders_source, period=period
        )
        return report.cohort_rates(table)

    def trend_chart(self, period: DateBucket = "month", *, by: str | None = None) -> alt.LayerChart:
        """The app's trend chart: rate per cohort with interval bands, band lines, and immature
        cohorts marked."""
        return charts.trend_chart(
            self.cohorts(period, by=by), self.bands, segment=by, period=period
        )

    def change(
        self,
        period: DateBucket = "month",
        *,
        current: str | None = None,
        previous: str | None = None,
    ) -> pl.DataFrame:
        """Each segment's rate in two mature periods and the change: ``conversion change``.

        ``current`` and ``previous`` name periods (``"2025-06"``), runs (``"2025-04..2025-06"``)
        or ranges of dates (``"2025-06-03..2025-06-20"``, whole days, both included); by default
        the latest full mature period and the one before. The top K, if set, keeps the same
        segments in both. Returns ``analysis.change.period_change``'s table (fractions),
        largest driver first.
        """
        if period not in PERIODS:
            raise InputError(f"Unknown period {period!r}; choose one of {', '.join(PERIODS)}.")
        d = self.definition
        segments = [s for s in self.segments if s != d.contact_date]
        if ranges.is_day_range(current, period) or ranges.is_day_range(previous, period):
            dated = d.with_changes(segments=tuple(segments), top_k=None)
            both = ranges.counts_between(
                self._source, dated, self._orders_source, *ranges.pick_days(current, previous)
            )
            tables = (both[0].table, both[1].table)
            return change.period_change(*tables, segments, self.adjust, d.top_k)
        table, counts = counting.cohorts(self._source, d, self._orders_source, period=period)
        spans = periods.pick_spans(table, period, current, previous, as_of=counts.quality.as_of)
        return change.between_spans(table, segments, *spans, self.adjust, d.top_k)

    def decision_aids(self, *, margin: float = 0.05) -> tuple[pl.DataFrame, str]:
        """The table with how sure (``p_strong``, ``p_poor``) and how many more leads.

        Leads: ``margin_*`` for a ± ``margin`` interval, ``power_*`` to tell each segment from
        the rest; ``*_weeks`` at the intake over the data's date span (null without a contact
        date). Returns the table and the prior the chances rest on, in words.
        """
        weeks = None
        if self.definition.contact_date and not self.definition.pre_aggregated:
            overall = self.definition.with_changes(segments=())
            table, counts = counting.cohorts(self._source, overall, self._orders_source)
            weeks = decisions.span_weeks(table, "month", counts.quality.as_of)
        choices = (decisions.SURE, decisions.LEADS)
        added, note = decisions.with_decisions(
            self.table, self.bands, choices, margin=margin, weeks=weeks
        )
        return added, note or ""

    # --- display ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return notebook.as_text(self)

    def _repr_html_(self) -> str:
        return notebook.as_html(self)

    def _repr_markdown_(self) -> str:
        return notebook.as_markdown(self)


# --- reading the arguments ------------------------------------------------------------------


def _segments(segment: str | Sequence[str] | None) -> tuple[str, ...]:
    if segment is None:
        return ()
    if isinstance(segment, str):
        return (segment,)
    return tuple(segment)


def _whole(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{name} must be a whole number; got {value!r}.")
    return value


def _date(value: date | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # also a pandas Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(f"as_of must be a date or text of the form YYYY-MM-DD; got {value!r}.")


def _bins(bins: Mapping[str, int] | None) -> tuple[tuple[str, int], ...]:
    out = []
    for column, count in dict(bins or {}).items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 2:
            raise InputError(f"bins for '{column}': the number of bins must be 2 or more.")
        out.append((column, count))
    return tuple(out)


def _buckets(buckets: Mapping[str, DateBucket] | None) -> tuple[tuple[str, DateBucket], ...]:
    out = []
    for column, period in dict(buckets or {}).items():
        if period not in PERIODS:
            raise InputError(
                f"buckets for '{column}': use {', '.join(PERIODS[:-1])} or {PERIODS[-1]}; "
                f"got {period!r}."
            )
        out.append((column, period))
    return tuple(out)


def _bands(bands: BandsLike) -> Bands:
    if isinstance(bands, Bands):
        return bands
    if isinstance(bands, str):
        return Bands.preset(bands)
    if isinstance(bands, Sequence) and len(bands) == 2:
        strong, moderate = bands[0], bands[1]
        return Bands.custom(float(strong), float(moderate))
    raise InputError(
        "bands must be a preset name ('default' or 'ecommerce'), thresholds in percent as "
        f"(strong, moderate), e.g. (25, 12), or a Bands value; got {bands!r}."
    )
