"""What to count: one immutable value shared by the CLI, the app, the URL and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterable

DateBucket = Literal["week", "month", "quarter", "year"]
DATE_BUCKETS: tuple[DateBucket, ...] = ("week", "month", "quarter", "year")
# The engines a count can run on besides polars (``conversion.sources`` connects to them).
ENGINES = ("duckdb", "postgresql", "spark")
ENGINE_NAMES = {"duckdb": "DuckDB", "postgresql": "PostgreSQL", "spark": "Spark"}


def is_date_bucket(value: object) -> TypeGuard[DateBucket]:
    """True for the name of a date bucket: week, month, quarter or year."""
    return value in DATE_BUCKETS


@dataclass(frozen=True)
class Bands:
    """Performance thresholds, as fractions: a rate ≥ ``strong`` is strong, ≥ ``moderate`` moderate.

    Examples
    --------
    >>> Bands().label(0.15)
    'moderate'
    >>> Bands.preset("ecommerce").label(0.04)
    'average'
    """

    strong: float = 0.20
    moderate: float = 0.10
    name: str = "default"
    labels: tuple[str, str, str] = ("strong", "moderate", "poor")

    def __post_init__(self) -> None:
        if not 0 <= self.moderate <= self.strong <= 1:
            raise InputError(
                f"Band thresholds must satisfy 0 ≤ moderate ≤ strong ≤ 100 %; got strong "
                f"{self.strong:.1%} and moderate {self.moderate:.1%}."
            )

    @classmethod
    def preset(cls, name: str) -> Bands:
        """The named preset: ``default`` (20 % / 10 %) or ``ecommerce`` (10 % top / 2 % average)."""
        if name not in BAND_PRESETS:
            raise InputError(
                f"Unknown band preset {name!r}; choose one of {', '.join(BAND_PRESETS)}."
            )
        return BAND_PRESETS[name]

    @classmethod
    def custom(cls, strong_pct: float, moderate_pct: float) -> Bands:
        """Custom thresholds given in percent, e.g. ``Bands.custom(25, 12)``."""
        return cls(strong=strong_pct / 100, moderate=moderate_pct / 100, name="custom")

    def label(self, rate: float) -> str:
        """The band label for one rate given as a fraction."""
        if rate >= self.strong:
            return self.labels[0]
        if rate >= self.moderate:
            return self.labels[1]
        return self.labels[2]


BAND_PRESETS: dict[str, Bands] = {
    "default": Bands(),
    # E-commerce visitor-to-customer rates: 2–5 % is typical, above 10 % is top tier.
    "ecommerce": Bands(
        strong=0.10, moderate=0.02, name="ecommerce", labels=("top", "average", "below average")
    ),
}


@dataclass(frozen=True)
class OrdersJoin:
    """A second table (orders, won deals): a contact is a customer when its key appears there."""

    key: str
    orders_key: str | None = None
    orders_date: str | None = None

    @property
    def right_key(self) -> str:
        return self.orders_key or self.key


@dataclass(frozen=True)
class Definition:
    """Everything that decides the counts, and nothing else.

    Column names refer to the contacts table unless said otherwise. Exactly one kind of
    customer evidence is used: a flag column (``converted``), a conversion-date column
    (``converted_date``), an orders table (``orders``), or pre-aggregated counts
    (``contacts_column`` and ``customers_column``).

    Examples
    --------
    >>> d = Definition(segments=("source",), converted="purchased")
    >>> d.segments
    ('source',)
    """

    segments: tuple[str, ...] = ()
    converted: str | None = None
    customer_values: tuple[str, ...] = ()
    converted_date: str | None = None
    id: str | None = None
    contact_date: str | None = None
    window_days: int | None = None
    as_of: date | None = None
    orders: OrdersJoin | None = None
    contacts_column: str | None = None
    customers_column: str | None = None
    top_k: int | None = None
    bins: tuple[tuple[str, int], ...] = ()
    date_buckets: tuple[tuple[str, DateBucket], ...] = ()
    date_format: str | None = None
    bands: Bands = field(default_factory=Bands)

    def __post_init__(self) -> None:
        if isinstance(self.segments, str):
            object.__setattr__(self, "segments", (self.segments,))
        if self.window_days is not None and self.window_days < 0:
            raise InputError(
                f"The conversion window must be 0 days or more; got {self.window_days}."
            )
        if self.top_k is not None and self.top_k < 1:
            raise InputError(f"Top K must be at least 1; got {self.top_k}.")
        if len(set(self.segments)) != len(self.segments):
            raise InputError("The same segment column is chosen twice; pick each column once.")

    @property
    def pre_aggregated(self) -> bool:
        return self.contacts_column is not None or self.customers_column is not None

    def bin_count(self, column: str) -> int | None:
        return dict(self.bins).get(column)

    def date_bucket(self, column: str) -> DateBucket | None:
        return dict(self.date_buckets).get(column)

    def with_changes(self, **changes: Any) -> Definition:
        """A copy with some fields changed (the value itself never changes)."""
        return replace(self, **changes)


def parse_customer_values(values: Iterable[str]) -> tuple[str, ...]:
    """Customer values as given on the command line, split on commas and trimmed."""
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return tuple(out)
