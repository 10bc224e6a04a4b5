"""The sources a count runs on: a file read by polars, or a table or query on a database.

``of`` makes a source of whatever an analyst has — a loaded file, a polars frame, a table on
DuckDB, PostgreSQL or Spark — once; counting then asks it for the same few things whatever it
is (``base.Source``). The row frame every source hands to the engine is read once, in
``rows``; a file's text values are read first by polars (``files``), a database's columns are
typed already (``databases``), and ``connect`` opens the engines.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from conversion import reading
from conversion.definition import ENGINE_NAMES, ENGINES
from conversion.sources.base import Check, Rows, Source, Supports
from conversion.sources.connect import (
    FILE_VIEW,
    SECRETS_FILE,
    Connection,
    connect,
    describe_address,
    engine_of,
    open_remote,
    resolve_address,
    secret_address,
    spark_session,
    what,
)
from conversion.sources.databases import DETECTION_ROWS, Remote, native_remote
from conversion.sources.files import FileSource


def of(data: Any, name: str = "the contacts table") -> Source:
    """The source of a table: a ``reading.Table``, a polars frame, a ``Remote`` or a source.

    ``name`` names a bare frame in messages (a loaded file and a database table name
    themselves).

    Examples
    --------
    >>> of(pl.DataFrame({"source": ["Ads"]}), "leads.csv").name
    'leads.csv'
    """
    if isinstance(data, (FileSource, Remote)):
        return data
    if isinstance(data, reading.Table):
        return FileSource.of_table(data)
    if isinstance(data, pl.DataFrame):
        return FileSource(data.lazy(), name)
    if isinstance(data, pl.LazyFrame):
        return FileSource(data, name)
    kind = type(data).__name__
    raise TypeError(f"Cannot count a {kind}: pass a loaded file, a polars frame or a table.")


__all__ = [
    "DETECTION_ROWS",
    "ENGINES",
    "ENGINE_NAMES",
    "FILE_VIEW",
    "SECRETS_FILE",
    "Check",
    "Connection",
    "FileSource",
    "Remote",
    "Rows",
    "Source",
    "Supports",
    "connect",
    "describe_address",
    "engine_of",
    "native_remote",
    "of",
    "open_remote",
    "resolve_address",
    "secret_address",
    "spark_session",
    "what",
]
