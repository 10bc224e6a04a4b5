"""Data an analyst holds in Python, as a ``Table``: a path, or a polars, pandas or Arrow frame.

``from_data`` is what the notebook API (``conversion.by_segment``, ``conversion.funnel``) calls on
its ``data`` argument: a path goes through ``load`` like any file, a frame is taken as it is,
and anything else is an ``InputError`` naming what is accepted.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import polars as pl

from conversion.errors import InputError
from conversion.reading.files import load
from conversion.reading.table import Table


def from_data(
    data: Any, name: str, *, sheet: str | None = None, delimiter: str | None = None
) -> Table:
    """Any accepted input as a loaded table; files through ``load``, frames as they are.

    Raises ``InputError`` for a type that is not accepted, a table without columns, or a
    ``sheet``/``delimiter`` given with a frame.

    Examples
    --------
    >>> from_data(pl.DataFrame({"source": ["Ads"]}), "leads").columns
    ['source']
    """
    if isinstance(data, str | os.PathLike):
        return load(data, sheet=sheet, delimiter=delimiter)
    if sheet is not None or delimiter is not None:
        raise InputError("sheet= and delimiter= apply to files only; a data frame has neither.")
    if isinstance(data, pl.LazyFrame):
        frame = data
    elif isinstance(data, pl.DataFrame):
        frame = data.lazy()
    elif is_instance(data, "pandas", "DataFrame"):
        frame = pl.from_pandas(data).lazy()
    elif is_instance(data, "pyarrow", "Table") or is_instance(data, "pyarrow", "RecordBatch"):
        frame = pl.DataFrame(pl.from_arrow(data)).lazy()
    else:
        raise InputError(
            f"{name} must be a file path, a polars DataFrame or LazyFrame, a pandas DataFrame "
            f"or a pyarrow Table; got {type(data).__name__}."
        )
    if not frame.collect_schema().names():
        raise InputError(f"{name} has no columns.")
    return Table(frame, name=name, format="data frame")


def is_instance(value: object, module: str, name: str) -> bool:
    """isinstance against a class of an optional library, without importing that library."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(value, getattr(loaded, name))
