"""How a value is read: flags, dates, times of day, counts and text, on files and databases.

Flags and dates arrive as text in most exports. ``detect_date_format`` looks at a sample of a
text column to decide its order (ISO, day-first, month-first) and ``date_expr`` reads it with
polars. Typed values (a database's dates and booleans) need no parsing: ``text`` and ``flag``
are narwhals expressions, the one reading of segment text and customer flags that every source
uses, files and databases alike.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import narwhals as nw
import polars as pl

from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable

# Spellings of "became a customer" and "did not", compared after lower-casing and trimming.
TRUE_VALUES = frozenset(
    {
        "y", "yes", "true", "t", "1", "1.0", "won", "win", "closed won", "closed-won",
        "closedwon", "converted", "customer", "customers", "purchased", "paid", "bought",
        "success", "successful", "subscribed", "evangelist",
    }
)  # fmt: skip
FALSE_VALUES = frozenset(
    {
        "n", "no", "false", "f", "0", "0.0", "lost", "closed lost", "closed-lost", "closedlost",
        "not converted", "unconverted", "none", "failure", "failed", "lead", "subscriber",
        "marketingqualifiedlead", "salesqualifiedlead", "marketing qualified lead",
        "sales qualified lead", "mql", "sql", "opportunity", "prospect", "open", "other",
        "not subscribed", "unsubscribed", "nonexistent",
    }
)  # fmt: skip
# Lifecycle stages that mean "a customer" when a stage column is used as the flag.
CUSTOMER_STAGES = ("customer", "evangelist")

DATE_PART = r"^\s*(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})(?:$|[\sT])"
DATE_ONLY = r"^(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4})(?:$|[\sT])"
# A time of day after the date: 19:58, 8:45:30 PM, 00:16:00.000
TIME_PART = r"[\sT](\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*([AaPp]\.?[Mm]\.?)?"
_NUMERIC_DATE_FORMATS = {
    "ymd": "%Y-%m-%d",
    "dmy": "%d-%m-%Y",
    "mdy": "%m-%d-%Y",
    "dmy2": "%d-%m-%y",
    "mdy2": "%m-%d-%y",
}
# Text-month forms seen in spreadsheet and CRM exports ("26-Feb-2018", "Feb 26, 2018").
_TEXT_DATE_FORMATS = (
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%d-%b-%y",
)
SAMPLE_ROWS = 20_000
# Thousands separators: a space, a no-break or narrow no-break space, an apostrophe, and the
# one of "," and "." that is not the decimal mark.
_SPACES = " \u00a0\u202f'"


def normalize_flag(value: object) -> str:
    """Lower-case, trimmed text of a flag value, the key used for TRUE_VALUES / FALSE_VALUES."""
    return str(value).strip().lower()


def text(column: str) -> nw.Expr:
    """A column as trimmed text, with empty values as null: how segments, ids and keys are read.

    Examples
    --------
    >>> frame = nw.from_native(pl.DataFrame({"s": [" Ads ", "", None]}))
    >>> frame.select(text("s"))["s"].to_list()
    ['Ads', None, None]
    """
    value = nw.col(column).cast(nw.String).str.strip_chars()
    return nw.when(value != "").then(value)


def flag(column: str, dtype: Any, customer_values: Iterable[str] = ()) -> nw.Expr:
    """Boolean "is a customer" from a flag column; null where the value is empty or unrecognised.

    ``dtype`` is the column's narwhals dtype. With ``customer_values`` (e.g. ``["customer"]``
    for a lifecycle-stage column) every non-empty value outside that list means "not a
    customer", so nothing is unrecognised.

    Examples
    --------
    >>> frame = nw.from_native(pl.DataFrame({"y": ["Yes", "no", " TRUE ", None, "maybe"]}))
    >>> frame.select(flag("y", nw.String).alias("y"))["y"].to_list()
    [True, False, True, None, None]
    """
    wanted = sorted({normalize_flag(v) for v in customer_values})
    col = nw.col(column)
    if dtype == nw.Boolean and not wanted:
        return col
    if dtype.is_numeric() and not wanted:
        return nw.when(col == 1).then(nw.lit(True)).when(col == 0).then(nw.lit(False))
    lowered = text(column).str.to_lowercase()
    if wanted:
        return nw.when(~lowered.is_null()).then(lowered.is_in(wanted))
    return (
        nw.when(lowered.is_in(sorted(TRUE_VALUES)))
        .then(nw.lit(True))
        .when(lowered.is_in(sorted(FALSE_VALUES)))
        .then(nw.lit(False))
    )


def unrecognised_flag(column: str, dtype: Any, customer_values: Iterable[str] = ()) -> nw.Expr:
    """True where the flag column holds a non-empty value that ``flag`` cannot read."""
    return ~text(column).is_null() & flag(column, dtype, customer_values).is_null()


@dataclass(frozen=True)
class DateFormat:
    """How a date column is read: already temporal, a numeric order, or a strptime format."""

    kind: str  # "temporal" | "numeric" | "explicit" | "text"
    format: str | None = None
    # The one separator every sampled value uses, when each sampled date part is exactly ten
    # characters (2018-02-26, 26/02/2018): dates are then read directly from the first ten
    # characters (fast), instead of being cut out and normalised first.
    separator: str | None = None
    timed: bool = False  # some values carry a time of day

    def general(self) -> DateFormat:
        """The same format read the slow, general way (any widths and separators)."""
        return DateFormat(self.kind, self.format, timed=self.timed)

    def describe(self) -> str:
        if self.kind == "temporal":
            return "typed dates"
        return self.format or ""


def detect_date_format(
    frame: pl.LazyFrame, column: str, *, explicit: str | None = None, source: str = "the file"
) -> DateFormat:
    """Decide how to read a date column from its values.

    ISO (``2018-02-26``), day-first (``26-02-2018 19:58``) and month-first (``02/26/2018``)
    dates are told apart by which position holds numbers above 12, first on a sample of rows and,
    when the sample cannot tell, on the whole column. Separators ``-``, ``/`` and ``.`` are all
    accepted and times of day are ignored.

    Raises
    ------
    InputError
        When the column is ambiguous (every day and month ≤ 12) or not a date at all.
    """
    dtype = frame.collect_schema()[column]
    if dtype.is_temporal():
        return DateFormat("temporal", timed=dtype == pl.Datetime)
    if explicit:
        return DateFormat("explicit", explicit, timed=_has_time(explicit))
    # The first non-empty values, wherever they are: a conversion-date column is often empty
    # for thousands of rows before its first date.
    sample = (
        frame.select(pl.col(column).cast(pl.String).str.strip_chars())
        .filter(pl.col(column).is_not_null() & (pl.col(column) != ""))
        .head(SAMPLE_ROWS)
        .unique()
        .head(5_000)
        .collect()
        .to_series()
    )
    if sample.is_empty():
        # No value at all: any format reads the column (as all empty).
        return DateFormat("numeric", _NUMERIC_DATE_FORMATS["ymd"])
    fmt = _format_from_sample(frame, column, sample, source)
    if sample.str.contains(TIME_PART).any():
        return dataclasses.replace(fmt, timed=True)
    return fmt


def _format_from_sample(
    frame: pl.LazyFrame, column: str, sample: pl.Series, source: str
) -> DateFormat:
    """The date format the sampled values show (the whole column when the sample cannot tell)."""
    parts = sample.str.extract_groups(DATE_PART)
    matched = parts.struct.field("1").is_not_null()
    if _number(matched.mean()) < 0.5:
        return _text_date_format(sample, column, source)
    fixed = sample.str.extract(r"^\s*(\d{2,4}([-/.])\d{2}([-/.])\d{2,4})(?:$|[\sT])", 1)
    separators = set(sample.str.extract(r"^\s*\d{1,4}([-/.])", 1).drop_nulls().unique())
    separators |= set(sample.str.extract(r"^\s*\d{1,4}[-/.]\d{1,2}([-/.])", 1).drop_nulls())
    all_ten_wide = bool((fixed.str.len_chars() == 10).all()) and fixed.null_count() == 0
    separator = separators.pop() if len(separators) == 1 and all_ten_wide else None
    parts = parts.filter(matched)
    widths = [_number(parts.struct.field(str(i)).str.len_chars().max()) for i in (1, 2, 3)]
    if widths[0] == 4:
        return DateFormat("numeric", _NUMERIC_DATE_FORMATS["ymd"], separator)
    order = _day_month_order(parts)
    if order is None:
        # The sample cannot tell: look at the whole column, one cheap pass.
        whole = frame.select(
            pl.col(column).cast(pl.String).str.extract_groups(DATE_PART).alias("parts")
        ).select(
            pl.col("parts").struct.field(str(i)).cast(pl.Int64, strict=False).max().alias(str(i))
            for i in (1, 2)
        )
        row = whole.collect().row(0)
        order = _order_from_maxima(row[0], row[1])
    if order is None:
        examples = ", ".join(sample.head(3).to_list())
        raise InputError(
            f"Column '{column}' in {source} has dates like {examples} where every day and month "
            "is 12 or less, so day-first and month-first cannot be told apart. Give the format "
            "explicitly, e.g. --date-format %d/%m/%Y (day first) or %m/%d/%Y (month first)."
        )
    two_digit_year = 0 < widths[2] <= 2
    if two_digit_year:
        # A loose match of %y would read 26-02-2018 as 2020: keep the exact, slower path.
        return DateFormat("numeric", _NUMERIC_DATE_FORMATS[order + "2"])
    return DateFormat("numeric", _NUMERIC_DATE_FORMATS[order], separator)


def _number(value: object) -> float:
    """A polars aggregate (a mean, a maximum) as a number; 0 when it is null."""
    return float(value) if isinstance(value, (int, float)) else 0.0


def _day_month_order(parts: pl.Series) -> str | None:
    first = parts.struct.field("1").cast(pl.Int64, strict=False).max()
    second = parts.struct.field("2").cast(pl.Int64, strict=False).max()
    return _order_from_maxima(first, second)


def _order_from_maxima(first: object, second: object) -> str | None:
    """Day-first when only the first part goes above 12, month-first when only the second."""
    first, second = _number(first), _number(second)
    if first > 12 and second <= 12:
        return "dmy"
    if second > 12 and first <= 12:
        return "mdy"
    return None


def _text_date_format(sample: pl.Series, column: str, source: str) -> DateFormat:
    best, best_share = None, 0.0
    for fmt in _TEXT_DATE_FORMATS:
        share = _number(sample.str.to_date(fmt, strict=False).is_not_null().mean())
        if share > best_share:
            best, best_share = fmt, share
    if best is None or best_share < 0.5:
        examples = ", ".join(repr(v) for v in sample.head(3).to_list())
        raise InputError(
            f"Column '{column}' in {source} does not look like dates (values such as "
            f"{examples}). Choose another column, or give the format with --date-format "
            "(e.g. %d/%m/%Y %H:%M)."
        )
    return DateFormat("text", best)


def date_expr(column: str, fmt: DateFormat) -> pl.Expr:
    """A ``pl.Date`` expression reading ``column`` as described by ``fmt``; null where unreadable.

    Examples
    --------
    >>> df = pl.DataFrame({"d": ["26-02-2018 19:58", "01/03/2018", None]})
    >>> df.select(date_expr("d", DateFormat("numeric", "%d-%m-%Y"))).to_series().to_list()
    [datetime.date(2018, 2, 26), datetime.date(2018, 3, 1), None]
    """
    col = pl.col(column)
    if fmt.kind == "temporal":
        return col.cast(pl.Date)
    if fmt.kind == "numeric" and fmt.separator is not None:
        # Ten-character dates with one separator: read the first ten characters exactly, as
        # they are. A value this misses (a space before it, say) reads as unreadable here and
        # the count is read again the general way (``DateFormat.general``) before any value is
        # called unreadable, so skipping the trim costs nothing in correctness.
        pattern = (fmt.format or "").replace("-", fmt.separator)
        return col.cast(pl.String).str.slice(0, 10).str.to_date(pattern, strict=False)
    text = col.cast(pl.String).str.strip_chars()
    if fmt.kind == "numeric":
        # Keep the date part only and unify separators, so one format covers 26/02/2018 19:58,
        # 26-02-2018 and 26.02.2018.
        return (
            text.str.extract(DATE_ONLY, 1)
            .str.replace_all(r"[/.]", "-")
            .str.to_date(fmt.format, strict=False)
        )
    if fmt.kind == "explicit" and _has_time(fmt.format or ""):
        return text.str.to_datetime(fmt.format, strict=False).dt.date()
    return text.str.to_date(fmt.format, strict=False)


def seconds_expr(column: str, fmt: DateFormat) -> pl.Expr:
    """Seconds since midnight of each value's time of day (0 when it has none; null if no value).

    Text is read as ``HH:MM[:SS]`` after the date, with ``AM``/``PM`` understood, or with an
    explicit format that has a time. (Typed datetimes need no reading: see
    ``conversion.sources.rows.seconds``.)

    Examples
    --------
    >>> df = pl.DataFrame({"d": ["2025-03-04 00:16", "04/03/2025 8:45:30 PM", "2025-03-04"]})
    >>> df.select(seconds_expr("d", DateFormat("numeric", "%Y-%m-%d"))).to_series().to_list()
    [960, 74730, 0]
    """
    col = pl.col(column)
    if fmt.kind == "explicit" and _has_time(fmt.format or ""):
        moment = col.str.to_datetime(fmt.format, strict=False)
        return (
            moment.dt.hour().cast(pl.Int64) * 3600
            + moment.dt.minute().cast(pl.Int64) * 60
            + moment.dt.second().cast(pl.Int64)
        )
    parts = col.cast(pl.String).str.extract_groups(TIME_PART)
    hour = parts.struct.field("1").cast(pl.Int64, strict=False)
    pm = parts.struct.field("4").str.to_lowercase().str.starts_with("p")
    am = parts.struct.field("4").str.to_lowercase().str.starts_with("a")
    hour = pl.when(pm & (hour < 12)).then(hour + 12).when(am & (hour == 12)).then(0).otherwise(hour)
    seconds = (
        hour * 3600
        + parts.struct.field("2").cast(pl.Int64, strict=False) * 60
        + parts.struct.field("3").cast(pl.Int64, strict=False).fill_null(0)
    )
    return pl.when(col.is_null()).then(None).otherwise(seconds.fill_null(0))


def _has_time(fmt: str) -> bool:
    return any(d in fmt for d in ("%H", "%I", "%M", "%S", "%T", "%R", "%p", "%z", "%f"))


def count_expr(text: pl.Expr, *, decimal_comma: bool = False) -> pl.Expr:
    """A number as a report writes it (text), as a float; null when it is not a plain number.

    Thousands separators are read in groups of three digits (``1,234,567``; ``1 234``;
    ``1.234`` with ``decimal_comma``), so ``1,5`` in a comma-decimal file stays 1.5.

    Examples
    --------
    >>> df = pl.DataFrame({"n": ["1,234", "1 234", "12.00", "1.234", "n/a"]})
    >>> df.select(count_expr(pl.col("n"))).to_series().to_list()
    [1234.0, 1234.0, 12.0, 1.234, None]
    """
    group = "." if decimal_comma else ","
    separators = re.escape(_SPACES + group)
    grouped = (
        rf"^\d{{1,3}}(?:[{separators}]\d{{3}})+(?:[{re.escape(',.'.replace(group, ''))}]\d+)?$"
    )
    plain = text.str.replace_all(f"[{separators}]", "")
    cleaned = pl.when(text.str.contains(grouped)).then(plain).otherwise(text)
    if decimal_comma:
        cleaned = cleaned.str.replace(",", ".", literal=True)
    return cleaned.cast(pl.Float64, strict=False)


def present_expr(column: str) -> pl.Expr:
    """True where ``column`` holds a non-empty value."""
    return pl.col(column).cast(pl.String).str.strip_chars().fill_null("") != ""


def maybe_present_expr(column: str) -> pl.Expr:
    """True where ``column`` holds anything but null or "": ``present_expr`` without the trim.

    The fast reading's check: it also marks values of spaces only, which sends the count to
    the general reading, where ``present_expr`` decides.
    """
    value = pl.col(column).cast(pl.String)
    return value.is_not_null() & (value != "")


def unreadable_date_expr(column: str, fmt: DateFormat) -> pl.Expr:
    """True where ``column`` has a non-empty value that ``date_expr`` cannot read."""
    return present_expr(column) & date_expr(column, fmt).is_null()
