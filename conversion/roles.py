"""Column roles: which column is the id, the flag, the dates and the segments.

``detect_roles`` suggests a role for every column from its name and a sample of its values;
``complete_definition`` fills the roles a definition leaves open and says what it took. Every
detected role is a suggestion the caller can override. How each value is then read is
``conversion.reading.values``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from conversion.definition import Definition
from conversion.errors import InputError
from conversion.reading.values import (
    CUSTOMER_STAGES,
    DATE_PART,
    FALSE_VALUES,
    SAMPLE_ROWS,
    TRUE_VALUES,
    count_expr,
    normalize_flag,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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


def _share(flags: pl.Series) -> float:
    """The share of true values (0 for an empty series)."""
    mean = flags.mean()
    return float(mean) if isinstance(mean, (int, float)) else 0.0


def _profile(series: pl.Series) -> dict[str, Any]:
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
        series.dtype == pl.String and n > 0 and _share(text.str.contains(DATE_PART)) > 0.9
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
        for field_name, role, counted, option in (
            ("contacts_column", "contacts", roles.contacts_column, "--contacts COL"),
            ("customers_column", "customers", roles.customers_column, "--customers COL"),
        ):
            changes[field_name] = counted
            taken.append(DetectedRole(role, counted, f'count column "{counted}"', option))
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
