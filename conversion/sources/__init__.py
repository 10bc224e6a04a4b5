"""The sources a count runs on: a file read by polars, or a table or query on a database.

DuckDB, PostgreSQL and Spark are reached through narwhals; the engine's steps run where the
data are and only the per-segment summary comes back.
"""

from conversion.sources.databases import (
    DETECTION_ROWS,
    ENGINE_NAMES,
    ENGINES,
    FILE_VIEW,
    SECRETS_FILE,
    Connection,
    Remote,
    cohorts,
    connect,
    count,
    describe_address,
    engine_of,
    missing_values,
    open_remote,
    resolve_address,
    secret_address,
    spark_session,
    what,
)

__all__ = [
    "DETECTION_ROWS",
    "ENGINES",
    "ENGINE_NAMES",
    "FILE_VIEW",
    "SECRETS_FILE",
    "Connection",
    "Remote",
    "cohorts",
    "connect",
    "count",
    "describe_address",
    "engine_of",
    "missing_values",
    "open_remote",
    "resolve_address",
    "secret_address",
    "spark_session",
    "what",
]
