"""Column roles: which column is the id, the flag, the dates and the segments, and how to read them.

Flags and dates arrive as text in most exports. This module turns them into polars expressions
(``flag_expr``, ``date_expr``) after looking at a sample of the values, and suggests roles for
every column from its name and values (``detect_roles``). Everything it detects is a suggestion:
the caller can override each role.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from conversion.definition import Definition
from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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


def flag_expr(column: str, dtype: pl.DataType, customer_values: Iterable[str] = ()) -> pl.Expr:
    """Boolean "is a customer" from a flag column; null where the value is empty or unrecognised.

    With ``customer_values`` (e.g. ``["customer"]`` for a lifecycle-stage column) every
    non-empty value outside that list means "not a customer", so nothing is unrecognised.

    Examples
    --------
    >>> df = pl.DataFrame({"y": ["Yes", "no", " TRUE ", None, "maybe"]})
    >>> df.select(flag_expr("y", pl.String)).to_series().to_list()
    [True, False, True, None, None]
    """
    col = pl.col(column)
    wanted = {normalize_flag(v) for v in customer_values}
    if dtype == pl.Boolean and not wanted:
        return col
    if dtype.is_numeric() and not wanted:
        return pl.when(col == 1).then(True).when(col == 0).then(False).otherwise(None)
    text = _clean_text(col.cast(pl.String))
    if wanted:
        return pl.when(text.is_null()).then(None).otherwise(text.is_in(sorted(wanted)))
    mapping = {v: True for v in TRUE_VALUES} | {v: False for v in FALSE_VALUES}
    return text.replace_strict(mapping, default=None, return_dtype=pl.Boolean)


def unrecognised_flag_expr(column: str, dtype: pl.DataType, customer_values: Iterable[str] = ()):
    """True where the flag column holds a non-empty value that ``flag_expr`` cannot read."""
    present = _clean_text(pl.col(column).cast(pl.String)).is_not_null()
    return present & flag_expr(column, dtype, customer_values).is_null()


def _clean_text(expr: pl.Expr) -> pl.Expr:
    """Trimmed, lower-cased text with empty strings as null."""
    text = expr.str.strip_chars().str.to_lowercase()
    return pl.when(text == "").then(None).otherwise(text)


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
    if matched.mean() < 0.5:
        return _text_date_format(sample, column, source)
    fixed = sample.str.extract(r"^\s*(\d{2,4}([-/.])\d{2}([-/.])\d{2,4})(?:$|[\sT])", 1)
    separators = set(sample.str.extract(r"^\s*\d{1,4}([-/.])", 1).drop_nulls().unique())
    separators |= set(sample.str.extract(r"^\s*\d{1,4}[-/.]\d{1,2}([-/.])", 1).drop_nulls())
    all_ten_wide = bool((fixed.str.len_chars() == 10).all()) and fixed.null_count() == 0
    separator = separators.pop() if len(separators) == 1 and all_ten_wide else None
    parts = parts.filter(matched)
    widths = [parts.struct.field(str(i)).str.len_chars().max() for i in (1, 2, 3)]
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
    two_digit_year = widths[2] is not None and widths[2] <= 2
    if two_digit_year:
        # A loose match of %y would read 26-02-2018 as 2020: keep the exact, slower path.
        return DateFormat("numeric", _NUMERIC_DATE_FORMATS[order + "2"])
    return DateFormat("numeric", _NUMERIC_DATE_FORMATS[order], separator)


def _day_month_order(parts: pl.Series) -> str | None:
    first = parts.struct.field("1").cast(pl.Int64, strict=False).max()
    second = parts.struct.field("2").cast(pl.Int64, strict=False).max()
    return _order_from_maxima(first, second)


def _order_from_maxima(first: int | None, second: int | None) -> str | None:
    first, second = first or 0, second or 0
    if first > 12 and second <= 12:
        return "dmy"
    if second > 12 and first <= 12:
        return "mdy"
    return None


def _text_date_format(sample: pl.Series, column: str, source: str) -> DateFormat:
    best, best_share = None, 0.0
    for fmt in _TEXT_DATE_FORMATS:
        share = sample.str.to_date(fmt, strict=False).is_not_null().mean() or 0.0
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
    text = col.cast(pl.String).str.strip_chars()
    if fmt.kind == "numeric" and fmt.separator is not None:
        # Ten-character dates with one separator: read the first ten characters exactly.
        pattern = (fmt.format or "").replace("-", fmt.separator)
        return text.str.slice(0, 10).str.to_date(pattern, strict=False)
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

    Text is read as ``HH:MM[:SS]`` after the date, with ``AM``/``PM`` understood.

    Examples
    --------
    >>> df = pl.DataFrame({"d": ["2025-03-04 00:16", "04/03/2025 8:45:30 PM", "2025-03-04"]})
    >>> df.select(seconds_expr("d", DateFormat("numeric", "%Y-%m-%d"))).to_series().to_list()
    [960, 74730, 0]
    """
    col = pl.col(column)
    if fmt.kind == "temporal" or (fmt.kind == "explicit" and _has_time(fmt.format or "")):
        moment = col if fmt.kind == "temporal" else col.str.to_datetime(fmt.format, strict=False)
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


def text_expr(column: str) -> pl.Expr:
    """A column as trimmed text, with empty values as null: how segments, ids and keys are read.

    Examples
    --------
    >>> pl.DataFrame({"s": [" Ads ", "", None]}).select(text_expr("s")).to_series().to_list()
    ['Ads', None, None]
    """
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text != "").then(text)


def present_expr(column: str) -> pl.Expr:
    """True where ``column`` holds a non-empty value."""
    return pl.col(column).cast(pl.String).str.strip_chars().fill_null("") != ""


def unreadable_date_expr(column: str, fmt: DateFormat) -> pl.Expr:
    """True where ``column`` has a non-empty value that ``date_expr`` cannot read."""
    return present_expr(column) & date_expr(column, fmt).is_null()


# ---------------------------------------------------------------------------------------------
# Role detection


@dataclass(frozen=True)
class Roles:
    """Suggested column roles for a table; every field can be overridden by the analyst."""

    id: str | None = None
    converted: str | None = None
    customer_values: tuple[str, ...] = ()
    converted_date: str | None = None
    contact_date: str | None = None
    segments: tuple[str, ...] = ()
    contacts_column: str | None = None
    customers_column: str | None = None
    date_columns: tuple[str, ...] = ()
    numeric_columns: tuple[str, ...] = ()
    binnable_columns: tuple[str, ...] = ()
    # Columns that could each be the customer flag, with none preferred over the others; set
    # only when ``converted`` is None because detection was not sure.
    flag_candidates: tuple[str, ...] = ()


_ID_NAMES = re.compile(
    r"^(id|record id|contact id|lead id|customer id|user id|visitor id|session id|account id|"
    r"prospect id|person id|mql id|uuid|guid|key|email|e mail|email address)$"
)
_FLAG_NAMES = re.compile(
    r"^(converted|conversion|is converted|is customer|customer|became customer|purchased|"
    r"purchase|has purchased|bought|won|is won|closed won|y|target|outcome|label|subscribed|"
    r"deposit|revenue|result|status|deal won|churned)$"
)
_STAGE_NAMES = re.compile(r"(lifecycle|life cycle|stage|status)")
_CONVERTED_DATE_NAMES = re.compile(
    r"(became a customer|customer date|converted (at|on|date)|conversion date|first purchase|"
    r"purchase date|won date|date won|close date|closed date|order date|first order|"
    r"converted$|conversion$|won at|closed at|purchased at|paid at)"
)
_CONTACT_DATE_NAMES = re.compile(
    r"(create date|created|creation|sign ?up|signed up|first contact|date added|contact date|"
    r"lead date|registered|registration|subscribed (at|on|date)|joined|opt ?in|first seen|"
    r"acquired|acquisition date|start date|date)"
)
_SEGMENT_HINTS = re.compile(
    r"(source|campaign|channel|medium|region|country|state|city|device|plan|industry|segment|"
    r"type|tier|size|landing|origin|referr|utm|category|market|language|browser|os|platform|"
    r"job|education|marital|month|day|contact|product|persona|gender|age)"
)
_CONTACTS_NAMES = re.compile(
    r"^(contacts|leads|visitors|signups|sign ups|sessions|users|n|total|clicks|link clicks|"
    r"unique link clicks|interactions)$"
)
_CUSTOMERS_NAMES = re.compile(
    r"^(customers|conversions|all conversions|converted|buyers|purchasers|purchases|orders|won|"
    r"deals won|wins|results)$"
)
MAX_SEGMENT_VALUES = 100
BIN_ABOVE = 12


def _words(name: str) -> str:
    """A column name in plain lower-case words: 'Lead_Source' -> 'lead source'."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower()).strip()


def detect_roles(frame: pl.LazyFrame, *, sample_rows: int = SAMPLE_ROWS) -> Roles:
    """Suggest roles for every column from names and a sample of values.

    Examples
    --------
    >>> lf = pl.LazyFrame({"Record ID": ["1", "2", "3"], "Lead Source": ["Ads", "Ads", "Web"],
    ...                    "Converted": ["Y", "N", "N"], "Create Date": ["2025-01-02"] * 3})
    >>> r = detect_roles(lf)
    >>> (r.id, r.converted, r.contact_date, r.segments)
    ('Record ID', 'Converted', 'Create Date', ('Lead Source',))
    """
    sample = frame.head(sample_rows).collect()
    profiles = {name: _profile(sample[name]) for name in sample.columns}
    names = {name: _words(name) for name in sample.columns}

    contacts_col = _first(n for n in sample.columns if _CONTACTS_NAMES.match(names[n]))
    customers_col = _first(n for n in sample.columns if _CUSTOMERS_NAMES.match(names[n]))
    if (
        contacts_col
        and customers_col
        and all(profiles[c]["integers"] for c in (contacts_col, customers_col))
    ):
        segments = tuple(
            n
            for n in sample.columns
            if n not in (contacts_col, customers_col) and not profiles[n]["numeric"]
        )
        return Roles(
            segments=segments, contacts_column=contacts_col, customers_column=customers_col
        )

    dates = tuple(n for n in sample.columns if profiles[n]["date"])
    numeric = tuple(n for n in sample.columns if profiles[n]["numeric"])
    # Numbers with many distinct values (age, balance) read better in bins than one by one.
    binnable = tuple(n for n in numeric if profiles[n]["distinct"] > BIN_ABOVE)
    id_col = _pick_id(sample, names, profiles)
    converted, customer_values, candidates = _pick_flag(sample, names, profiles, exclude={id_col})
    converted_date = _first(
        n for n in dates if _CONVERTED_DATE_NAMES.search(names[n]) and n != converted
    )
    contact_date = _first(
        n for n in dates if n != converted_date and _CONTACT_DATE_NAMES.search(names[n])
    ) or _first(n for n in dates if n != converted_date)
    taken = {id_col, converted, converted_date, contact_date}
    # A lifecycle-stage column beside a flag restates the outcome: not a segment.
    taken |= {
        n
        for n in sample.columns
        if _STAGE_NAMES.search(names[n]) and profiles[n]["values"] & set(CUSTOMER_STAGES)
    }
    segments = _rank_segments(sample, names, profiles, taken)
    return Roles(
        id=id_col,
        converted=converted,
        customer_values=customer_values,
        converted_date=converted_date,
        contact_date=contact_date,
        segments=segments,
        date_columns=dates,
        numeric_columns=numeric,
        binnable_columns=binnable,
        flag_candidates=candidates,
    )


def _first(items: Iterable[str]) -> str | None:
    return next(iter(items), None)


def _profile(series: pl.Series) -> dict[str, object]:
    values = series.drop_nulls()
    if series.dtype == pl.String:
        values = values.str.strip_chars().filter(values.str.strip_chars() != "")
    n = len(values)
    distinct = values.n_unique() if n else 0
    text = values.cast(pl.String) if n else pl.Series([], dtype=pl.String)
    lowered = {normalize_flag(v) for v in text.unique().to_list()} if n else set()
    numbers = text.cast(pl.Float64, strict=False) if n else text
    if n and (numbers.null_count() or not bool((numbers % 1 == 0).all())):
        # Counts as reports write them: 1,234 or 1 234, or 1.234 where the comma is the
        # decimal mark (whether it is, the file's delimiter decides when counting).
        read = pl.DataFrame({"text": text}).select(
            comma=count_expr(pl.col("text")),
            dotted=count_expr(pl.col("text"), decimal_comma=True),
        )
        mixed, dotted = read["comma"].fill_null(read["dotted"]), read["dotted"]
        complete = [c for c in (mixed, dotted) if c.null_count() == 0]
        whole = [c for c in complete if bool((c % 1 == 0).all())]
        if whole or (complete and numbers.null_count()):
            numbers = (whole or complete)[0]
    is_numeric = series.dtype.is_numeric() or (n > 0 and numbers.null_count() == 0)
    integers = is_numeric and n > 0 and bool((numbers.cast(pl.Float64) % 1 == 0).all())
    is_date = series.dtype.is_temporal() or (
        series.dtype == pl.String and n > 0 and (text.str.contains(DATE_PART).mean() or 0) > 0.9
    )
    return {
        "n": n,
        "distinct": distinct,
        "unique_share": distinct / n if n else 0.0,
        "values": lowered,
        "flag": series.dtype == pl.Boolean
        or (0 < len(lowered) <= 2 and lowered <= TRUE_VALUES | FALSE_VALUES),
        "numeric": is_numeric,
        "integers": integers,
        "date": is_date,
    }


def _pick_id(sample: pl.DataFrame, names: dict, profiles: dict) -> str | None:
    for name in sample.columns:
        p = profiles[name]
        if _ID_NAMES.match(names[name]) and p["n"] and p["unique_share"] >= 0.9:
            return name
    for name in sample.columns:
        p = profiles[name]
        if names[name].endswith(" id") and p["n"] and p["unique_share"] >= 0.9:
            return name
    return None


def _pick_flag(
    sample: pl.DataFrame, names: dict, profiles: dict, exclude: set
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """The flag column, its customer values, and the candidates when no single one stands out.

    Standing, best first: a yes/no column named like an outcome; a column named like an outcome
    with a few odd values (choosing it lets the engine list the values it cannot read); a
    lifecycle-stage column holding a customer stage; the only yes/no column. Two columns of the
    best standing found are a tie: nothing is chosen and both are candidates.
    """
    flags = [n for n in sample.columns if profiles[n]["flag"] and n not in exclude]
    outcome = {"converted", "is customer", "purchased", "won", "is won"}
    tiers = [
        [n for n in flags if _FLAG_NAMES.match(names[n])],
        [
            n
            for n in sample.columns
            if n not in exclude and names[n] in outcome and 0 < profiles[n]["distinct"] <= 10
        ],
        [
            n
            for n in sample.columns
            if n not in exclude
            and _STAGE_NAMES.search(names[n])
            and profiles[n]["values"] & set(CUSTOMER_STAGES)
        ],
        flags,
    ]
    for standing, tier in enumerate(tiers):
        if len(tier) > 1:
            return None, (), tuple(tier)
        if tier:
            values = profiles[tier[0]]["values"]
            stages = tuple(s for s in CUSTOMER_STAGES if s in values) if standing == 2 else ()
            return tier[0], stages, ()
    return None, (), ()


def _rank_segments(
    sample: pl.DataFrame, names: dict, profiles: dict, taken: set
) -> tuple[str, ...]:
    scored = []
    for position, name in enumerate(sample.columns):
        p = profiles[name]
        if name in taken or p["n"] == 0 or p["date"]:
            continue
        if not 2 <= p["distinct"] <= MAX_SEGMENT_VALUES:
            continue
        if p["distinct"] > 10 and p["unique_share"] > 0.5:
            continue
        if _ID_NAMES.match(names[name]) or names[name].endswith(" id"):
            continue
        hinted = bool(_SEGMENT_HINTS.search(names[name]))
        scored.append((not hinted, bool(p["numeric"]), position, name))
    return tuple(name for *_, name in sorted(scored))


# ---------------------------------------------------------------------------------------------
# Completing a definition: the one place that decides the defaults of the app and the CLI


@dataclass(frozen=True)
class DetectedRole:
    """One role the caller left open and detection filled in."""

    role: str  # in the analyst's words: "customer", "id", "contact date", ...
    column: str
    what: str  # how the column is read: 'flag column "y"'
    option: str  # the command-line flag that chooses another column
    opt_out: str = ""  # the flag that leaves the role unfilled, and what that does

    def note(self) -> str:
        """``customer = flag column "y" (detected; --converted COL to choose another)``."""
        opt_out = f", {self.opt_out}" if self.opt_out else ""
        return f"{self.role} = {self.what} (detected; {self.option} to choose another{opt_out})"


def complete_definition(
    d: Definition,
    roles: Roles | Callable[[], Roles],
    *,
    source: str = "the file",
    id: bool = True,
) -> tuple[Definition, tuple[DetectedRole, ...]]:
    """``d`` with every role it leaves open taken from ``roles``, and a note per role taken.

    ``roles`` may be a function that detects them: it is called only when a role is open, so a
    definition that gives every role costs no detection.

    Open roles are the customer evidence (a flag, a conversion date, or pre-aggregated counts),
    the id (unless ``id`` is False: count rows), the contact date, and the conversion date when
    a window needs one. Roles ``d`` gives are never changed. The app's default view and the
    command line both come from here, so they never default differently.

    Raises
    ------
    InputError
        When ``d`` gives no customer evidence and detection is not sure: two columns could be
        the flag with neither preferred, or none could. The message lists the candidates.

    Examples
    --------
    >>> roles = Roles(id="contact_id", converted="y", segments=("job",))
    >>> done, notes = complete_definition(Definition(segments=("job",)), roles)
    >>> done.converted, done.id
    ('y', 'contact_id')
    >>> print(notes[0].note())
    customer = flag column "y" (detected; --converted COL to choose another)
    """
    taken: list[DetectedRole] = []
    changes: dict[str, object] = {}
    # A column the caller gave a role keeps it: detection never gives it a second one.
    used = {*d.segments, d.converted, d.converted_date, d.id, d.contact_date}
    used |= {d.orders.key, d.orders.orders_date} if d.orders else set()
    has_evidence = bool(d.converted or d.converted_date or d.orders or d.pre_aggregated)
    timed = d.converted_date or (d.orders and d.orders.orders_date)
    open_roles = not has_evidence or (id and d.id is None) or d.contact_date is None
    if d.pre_aggregated or not (open_roles or (d.window_days is not None and not timed)):
        return d, ()
    if callable(roles):
        roles = roles()
    if not has_evidence and roles.contacts_column and roles.customers_column:
        for field_name, role, column, option in (
            ("contacts_column", "contacts", roles.contacts_column, "--contacts COL"),
            ("customers_column", "customers", roles.customers_column, "--customers COL"),
        ):
            changes[field_name] = column
            taken.append(DetectedRole(role, column, f'count column "{column}"', option))
        return d.with_changes(**changes), tuple(taken)
    if not has_evidence:
        changes.update(_detected_evidence(roles, source, taken))
    used |= {value for value in changes.values() if isinstance(value, str)}
    needs_timing = d.window_days is not None and not (timed or "converted_date" in changes)
    for field_name, role, column, option, opt_out, wanted in (
        ("id", "id", roles.id, "--id COL", "--no-id to count rows", id and d.id is None),
        ("contact_date", "contact date", roles.contact_date, "--contact-date COL", "",
         d.contact_date is None),
        ("converted_date", "conversion date", roles.converted_date, "--converted-date COL", "",
         needs_timing),
    ):  # fmt: skip
        if wanted and column is not None and column not in used:
            changes[field_name] = column
            used.add(column)
            taken.append(DetectedRole(role, column, f'column "{column}"', option, opt_out))
    return (d.with_changes(**changes) if changes else d), tuple(taken)


def _detected_evidence(roles: Roles, source: str, taken: list[DetectedRole]) -> dict[str, object]:
    """The customer evidence detection is sure of, as Definition fields; raise when unsure."""
    if roles.converted is not None:
        if roles.customer_values:
            values = " or ".join(f'"{v}"' for v in roles.customer_values)
            what = f'"{roles.converted}" is {values}'
            option = "--converted COL --customer-value VALUE"
        else:
            what, option = f'flag column "{roles.converted}"', "--converted COL"
        taken.append(DetectedRole("customer", roles.converted, what, option))
        return {"converted": roles.converted, "customer_values": roles.customer_values}
    if roles.flag_candidates:
        listed = ", ".join(f'"{c}"' for c in roles.flag_candidates)
        raise InputError(
            f"{source} has {len(roles.flag_candidates)} columns that could each say who became a "
            f"customer: {listed}. Say which one with --converted COL (in the app: the "
            "customer column on the Data page)."
        )
    if roles.converted_date is not None:
        column = roles.converted_date
        taken.append(
            DetectedRole("customer", column, f'a date in "{column}"', "--converted-date COL")
        )
        return {"converted_date": column}
    raise InputError(
        f"No column of {source} looks like the customer flag or a conversion date. Say what "
        "makes a contact a customer: --converted COL (a yes/no or stage column), "
        "--converted-date COL, or --orders FILE --key COL (in the app: on the Data page)."
    )


def parse_customer_values(values: Iterable[str]) -> tuple[str, ...]:
    """Customer values as given on the command line, split on commas and trimmed."""
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return tuple(out)
