"""What to tell the analyst about flag values no source could read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import narwhals as nw

from conversion.errors import n
from conversion.reading.values import text, unrecognised_flag

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import polars as pl

    from conversion.definition import Definition

SHOWN = 8  # flag values listed in a message; the rest are counted


def flag_values_message(
    column: str, source: str, counted: Sequence[tuple[object, int]], more: str = ""
) -> str:
    """What to say about flag values that are not yes/no-like (``counted``: value, rows)."""
    listed = ", ".join(f"'{value}' ({n(int(rows), 'row')})" for value, rows in counted)
    return (
        f"Column '{column}' in {source} has values that are not yes/no-like: {listed}{more}. "
        "Name the values that mean a customer with --customer-value (every other value then "
        "counts as not a customer), or pick another column."
    )


def unreadable_flags(
    frame: nw.LazyFrame,
    d: Definition,
    source: str,
    fetch: Callable[[nw.LazyFrame], pl.DataFrame],
) -> str:
    """Name the flag values that are not yes/no-like, most frequent first, counted in place."""
    assert d.converted is not None
    dtype = frame.collect_schema()[d.converted]
    value = text(d.converted)
    values = fetch(
        frame.filter(unrecognised_flag(d.converted, dtype, d.customer_values))
        .group_by(value.alias("value"))
        .agg(nw.len().alias("n"))
        .sort("n", "value", descending=[True, False])
    )
    more = f" and {values.height - SHOWN} more" if values.height > SHOWN else ""
    return flag_values_message(d.converted, source, values.head(SHOWN).rows(), more)
