"""Column roles: which column is the id, the flag, the dates and the segments, and how to read them.

Flags and dates arrive as text in most exports. This module turns them into polars expressions
(``flag_expr``, ``date_expr``) after looking at a sample of the values, and suggests roles for
every column from its name and values (``detect_roles``). Everything it detects is a suggestion:
the caller can override each role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

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

    def general(self) -> DateFormat:
        """The same format read the slow, general way (any widths and separators)."""
        return DateFormat(self.kind, self.format)

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
        return DateFormat("temporal")
    if explicit:
        return DateFormat("explicit", explicit)
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


def _has_time(fmt: str) -> bool:
    return any(d in fmt for d in ("%H", "%I", "%M", "%S", "%T", "%R", "%p", "%z", "%f"))


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
_CONTACTS_NAMES = re.compile(r"^(contacts|leads|visitors|signups|sign ups|sessions|users|n|total)$")
_CUSTOMERS_NAMES = re.compile(
    r"^(customers|conversions|converted|buyers|purchasers|orders|won|deals won|wins)$"
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
            if n not in (contacts_col, customers_col) and not profiles[n]["integers"]
        )
        return Roles(
            segments=segments, contacts_column=contacts_col, customers_column=customers_col
        )

    dates = tuple(n for n in sample.columns if profiles[n]["date"])
    numeric = tuple(n for n in sample.columns if profiles[n]["numeric"])
    # Numbers with many distinct values (age, balance) read better in bins than one by one.
    binnable = tuple(n for n in numeric if profiles[n]["distinct"] > BIN_ABOVE)
    id_col = _pick_id(sample, names, profiles)
    converted, customer_values = _pick_flag(sample, names, profiles, exclude={id_col})
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
) -> tuple[str | None, tuple[str, ...]]:
    flags = [n for n in sample.columns if profiles[n]["flag"] and n not in exclude]
    named = [n for n in flags if _FLAG_NAMES.match(names[n])]
    if named:
        # Exports put the outcome last more often than first.
        return named[-1], ()
    # A column named like an outcome with a few odd values is still the flag: choosing it lets
    # the engine list the values it cannot read, instead of silently choosing nothing.
    for name in sample.columns:
        profile = profiles[name]
        if (
            name not in exclude
            and names[name] in {"converted", "is customer", "purchased", "won", "is won"}
            and 0 < profile["distinct"] <= 10
        ):
            return name, ()
    for name in sample.columns:
        values = profiles[name]["values"]
        if _STAGE_NAMES.search(names[name]) and values & set(CUSTOMER_STAGES):
            return name, tuple(s for s in CUSTOMER_STAGES if s in values)
    if len(flags) == 1:
        return flags[0], ()
    return None, ()


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


def parse_customer_values(values: Iterable[str]) -> tuple[str, ...]:
    """Customer values as given on the command line, split on commas and trimmed."""
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return tuple(out)
