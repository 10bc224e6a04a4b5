"""What a funnel counts, as one immutable value, and which columns look like funnel stages.

A ``Funnel`` names the segment columns and the stages, given one of two ways: several
stage-date columns in funnel order (HubSpot's "Became a Lead Date", ..., "Became a Customer
Date"), or one stage column with the order of its values (a lifecycle-stage column). Step
windows, the as-of date and the id column complete it. ``Funnel.__post_init__`` refuses a value
that cannot be counted. ``detect_stages`` proposes the stages from a table's headers and values,
as the Data page and the command line do when the analyst gives none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from conversion.definition import OrdersJoin
from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

ALL = "(all)"
"""The segment value of the overall rows of a funnel table."""

# Lifecycle stages in the order CRMs use (HubSpot's internal values and their labels).
LIFECYCLE_ORDER = (
    ("subscriber",),
    ("lead",),
    ("marketingqualifiedlead", "marketing qualified lead", "mql"),
    ("salesqualifiedlead", "sales qualified lead", "sql"),
    ("opportunity",),
    ("customer",),
    ("evangelist",),
)
_KNOWN_VALUES = {value: rank for rank, names in enumerate(LIFECYCLE_ORDER) for value in names}
_KNOWN_VALUES |= {"other": -1}  # HubSpot's catch-all: present in exports, not a stage
_STAGE_DATE = re.compile(r"^\s*became an?\s+(.+?)\s+date\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Funnel:
    """Everything that decides a funnel's counts.

    Either ``stages`` (stage-date columns, first stage first) or ``stage_column`` with
    ``stage_order`` (its values, first stage first; compared trimmed and case-insensitively).
    ``stage_map`` maps other values of the stage column to a stage of the order, or to ""
    to leave those contacts out. ``step_windows`` holds one window in days per step (stage 2
    onwards) or a single window for every step; windows need stage dates. ``orders`` makes an
    orders or won-deals table the last stage (``orders_stage``): a contact whose key appears
    there reached it, on its first order's date (needed with stage dates).

    Examples
    --------
    >>> Funnel(segments=("source",), stages=("lead_date", "customer_date")).stage_names
    ('lead_date', 'customer_date')
    >>> Funnel(segments="source", stages=("a", "b", "c"), step_windows=(30,)).window(3)
    30
    """

    segments: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    stage_column: str | None = None
    stage_order: tuple[str, ...] = ()
    stage_map: tuple[tuple[str, str], ...] = ()
    id: str | None = None
    step_windows: tuple[int, ...] = ()
    as_of: date | None = None
    date_format: str | None = None
    orders: OrdersJoin | None = None
    orders_stage: str = "ordered"

    def __post_init__(self) -> None:
        for name in ("segments", "stages", "stage_order", "step_windows"):
            value = getattr(self, name)
            if isinstance(value, str | int):
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        if isinstance(self.stage_map, dict):
            object.__setattr__(self, "stage_map", tuple(self.stage_map.items()))
        self._check_stages()
        self._check_windows()
        if len(set(self.segments)) != len(self.segments):
            raise InputError("The same segment column is chosen twice; pick each column once.")
        taken = set(self.stages) | {self.stage_column, self.id}
        clash = [c for c in self.segments if c in taken]
        if clash:
            raise InputError(
                f"Column '{clash[0]}' is both a segment and a stage or id column; "
                "pick another segment column."
            )

    def _check_stages(self) -> None:
        if self.stages and self.stage_column:
            raise InputError(
                "Give the stages one way: stage-date columns (--stage) or one stage column with "
                "its order (--stage-column with --stage-order), not both."
            )
        if self.stage_column and len(self.stage_order) < 2:
            raise InputError(
                f"Give the order of the values of '{self.stage_column}', first stage first, "
                "e.g. --stage-order lead,mql,sql,opportunity,customer (at least two stages)."
            )
        if not self.stage_column and self.stage_order:
            raise InputError("--stage-order goes with --stage-column: name the stage column.")
        if self.orders is not None and self.stages and not self.orders.orders_date:
            raise InputError(
                "With stage dates, the orders table needs its date column (--orders-date COL): "
                "the last stage is reached on the first order's date."
            )
        if not self.stage_column and len(self.stage_names) < 2:
            raise InputError(
                "A funnel needs at least two stages: repeat --stage COL for each stage-date "
                "column in funnel order, or give --stage-column COL --stage-order V1,V2,..."
            )
        names = [_key(v) for v in self.stage_names]
        repeated = sorted({v for v in names if names.count(v) > 1})
        if repeated:
            raise InputError(f"Stage '{repeated[0]}' is given twice; give each stage once.")
        order = set(names)
        for value, stage in self.stage_map:
            if stage and _key(stage) not in order:
                raise InputError(
                    f"--stage-map {value}={stage}: '{stage}' is not a stage of the order "
                    f"({', '.join(self.stage_order)}); map to one of them, or to nothing "
                    f"({value}=) to leave those contacts out."
                )

    def _check_windows(self) -> None:
        if not self.step_windows:
            return
        if self.stage_column:
            raise InputError(
                "Step windows need the date of each stage: give stage-date columns (--stage) "
                "instead of a stage column."
            )
        steps = len(self.stage_names) - 1
        if len(self.step_windows) not in (1, steps):
            raise InputError(
                f"Give one step window for every step, or one for all: this funnel has {steps} "
                f"steps and {len(self.step_windows)} windows were given."
            )
        if any(w < 0 for w in self.step_windows):
            raise InputError("Step windows must be 0 days or more.")

    @property
    def stage_names(self) -> tuple[str, ...]:
        """The stages in funnel order: the date columns, or the values of the stage column,
        then the orders stage when an orders table is the last stage."""
        last = (self.orders_stage,) if self.orders is not None else ()
        return (self.stages or self.stage_order) + last

    @property
    def dated(self) -> bool:
        """Stages come as dates (so windows and days between stages are possible)."""
        return bool(self.stages)

    def window(self, stage: int) -> int | None:
        """The window in days of the step into ``stage`` (2 = the first step), if any."""
        if not self.step_windows:
            return None
        return self.step_windows[0 if len(self.step_windows) == 1 else stage - 2]

    def stage_index(self) -> dict[str, int]:
        """Each stage-column value (trimmed, lower-case) and its 1-based stage, maps included.

        A value mapped to nothing has index 0: that contact is left out.
        """
        index = {_key(v): i for i, v in enumerate(self.stage_order, start=1)}
        for value, stage in self.stage_map:
            index[_key(value)] = index[_key(stage)] if stage else 0
        return index

    def columns(self) -> list[str]:
        """The input columns this funnel reads."""
        key = self.orders.key if self.orders is not None else None
        wanted = [*self.segments, *self.stages, self.stage_column, self.id, key]
        return [c for c in wanted if c]

    def with_changes(self, **changes: Any) -> Funnel:
        """A copy with some fields changed."""
        return replace(self, **changes)


def _key(value: str) -> str:
    return str(value).strip().lower()


def parse_stage_map(items: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``VALUE=STAGE`` items as pairs; ``VALUE=`` leaves that value's contacts out.

    Examples
    --------
    >>> parse_stage_map(["subscriber=lead", "other="])
    (('subscriber', 'lead'), ('other', ''))
    """
    pairs = []
    for item in items:
        value, sep, stage = str(item).rpartition("=")
        if not sep or not value.strip():
            raise InputError(
                f"--stage-map takes VALUE=STAGE (or VALUE= to leave those contacts out); "
                f"got '{item}'."
            )
        pairs.append((value.strip(), stage.strip()))
    return tuple(pairs)


def stage_label(stage: str) -> str:
    """A short label for a stage: "Became a Lead Date" -> "Lead"; other names as they are.

    Examples
    --------
    >>> stage_label("Became a Marketing Qualified Lead Date"), stage_label("mql")
    ('Marketing Qualified Lead', 'mql')
    """
    match = _STAGE_DATE.match(stage)
    return match.group(1) if match else stage


@dataclass(frozen=True)
class StageSuggestion:
    """Stages proposed for a table: stage-date columns, or a stage column and its order."""

    stages: tuple[str, ...] = ()
    stage_column: str | None = None
    stage_order: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return len(self.stages) >= 2 or self.stage_column is not None


def detect_stages(frame: pl.LazyFrame, *, sample_rows: int = 20_000) -> StageSuggestion:
    """Propose funnel stages from CRM headers, else from a lifecycle-stage column's values.

    Stage-date headers are "Became a <stage> Date" (HubSpot), ordered by the lifecycle order
    where the stage is a known one; a stage column is a text column whose values are all known
    lifecycle stages (at least two of them), proposed with those values in lifecycle order.

    Examples
    --------
    >>> frame = pl.LazyFrame({"Became a Customer Date": [None], "Became a Lead Date": [None]})
    >>> detect_stages(frame).stages
    ('Became a Lead Date', 'Became a Customer Date')
    """
    names = frame.collect_schema().names()
    dated = [c for c in names if _STAGE_DATE.match(c)]
    if len(dated) >= 2:
        known = len(LIFECYCLE_ORDER)

        def rank(column: str) -> int:
            return _KNOWN_VALUES.get(_key(stage_label(column)), known)

        return StageSuggestion(stages=tuple(sorted(dated, key=rank)))
    schema = frame.collect_schema()
    text_columns = [c for c in names if schema[c] == pl.String]
    if not text_columns:
        return StageSuggestion()
    sample = frame.select(text_columns).head(sample_rows).collect()
    for column in text_columns:
        order = _lifecycle_order(sample[column])
        if order:
            return StageSuggestion(stage_column=column, stage_order=order)
    return StageSuggestion()


def _lifecycle_order(values: pl.Series) -> tuple[str, ...]:
    """The values of a lifecycle-stage column in lifecycle order; () if it is not one."""
    present: dict[str, str] = {}
    for value in values.drop_nulls().unique().to_list():
        key = _key(value)
        if not key:
            continue
        if key not in _KNOWN_VALUES:
            return ()
        present.setdefault(key, str(value).strip())
    stages = sorted((k for k in present if _KNOWN_VALUES[k] >= 0), key=_KNOWN_VALUES.__getitem__)
    return tuple(present[k] for k in stages) if len(stages) >= 2 else ()


def known_stage_order(values: Iterable[str]) -> tuple[str, ...]:
    """The values that are known lifecycle stages, in lifecycle order (others left out).

    Examples
    --------
    >>> known_stage_order(["customer", "Lead", "other", "trial", "mql"])
    ('Lead', 'mql', 'customer')
    """
    present = {_key(v): v for v in values if _KNOWN_VALUES.get(_key(v), -1) >= 0}
    return tuple(present[k] for k in sorted(present, key=_KNOWN_VALUES.__getitem__))


def stage_values_outside(values: Sequence[str], funnel: Funnel) -> list[str]:
    """The values (as written) that are neither a stage of the order nor mapped."""
    index = funnel.stage_index()
    return [v for v in values if _key(v) not in index]
