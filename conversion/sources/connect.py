"""Connecting to the engines that hold contacts: DuckDB, PostgreSQL (through ibis) and Spark.

An address typed on the command line never carries a password: PostgreSQL takes it from
``PGPASSWORD``, ``~/.pgpass`` or the secrets file, so it stays out of shell history and out of
the repository; what is shown of an address never includes it.

    >>> describe_address("postgresql://analyst:s3cret@db.internal:5432/crm")
    'postgresql://analyst@db.internal:5432/crm'
"""

from __future__ import annotations

import contextlib
import os
import threading
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import narwhals as nw

from conversion.definition import ENGINE_NAMES, ENGINES
from conversion.errors import InputError
from conversion.sources.databases import Remote
from conversion.sources.guards import (
    Limits,
    check_select_only,
    database_errors,
    postgres_settings,
    postgres_usable,
    prepare_postgres,
)
from conversion.sources.pool import Pool, PoolSettings, shared_pool

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

SECRETS_FILE = Path(".streamlit/secrets.toml")
FILE_VIEW = "contacts"  # what a --query calls a file opened on DuckDB or Spark


def describe_address(url: str) -> str:
    """The address without any password, fit to show in a message or a page."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{user}{host}{port}").geturl()


def resolve_address(source: str, secrets_file: Path | None = None) -> str:
    """A connection address from ``env:VAR``, ``secrets:NAME`` or the address itself.

    ``secrets:NAME`` reads ``url`` under ``[connections.NAME]`` in ``.streamlit/secrets.toml``
    (the file the app's ``st.connection`` reads too). An address typed on the command line may
    not hold a password.
    """
    if source.startswith("env:"):
        name = source[4:]
        value = os.environ.get(name)
        if not value:
            raise InputError(f"The environment variable {name} is not set (asked for {source}).")
        return value
    if source.startswith("secrets:"):
        return secret_address(source[8:], secrets_file or SECRETS_FILE)
    if urlsplit(source).password is not None:
        raise InputError(
            "Do not put a password in the address: it would stay in your shell history. "
            "Set PGPASSWORD or use ~/.pgpass, or keep the address in an environment variable "
            "(--source env:VAR) or in .streamlit/secrets.toml (--source secrets:NAME)."
        )
    return source


def secret_address(name: str, secrets_file: Path = SECRETS_FILE) -> str:
    return str(_secret_section(name, secrets_file)["url"])


def source_settings(source: str, secrets_file: Path | None = None) -> tuple[Limits, PoolSettings]:
    """The limits and pool a ``secrets:NAME`` source's section sets (defaults for any other).

    So a count from the command line keeps to the operator's ``statement_timeout_seconds``,
    ``max_rows`` and ``pool_size`` as the app does.
    """
    if not source.startswith("secrets:"):
        return Limits(), PoolSettings()
    section = _secret_section(source[8:], secrets_file or SECRETS_FILE)
    return Limits.from_settings(section), PoolSettings.from_settings(section)


def _secret_section(name: str, secrets_file: Path) -> dict[str, Any]:
    try:
        secrets = tomllib.loads(secrets_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"No secrets file at {secrets_file}; create it with a [connections.{name}] section "
            'holding url = "postgresql://user@host/db" (see docs/scale.md).'
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{secrets_file} is not valid TOML: {error}.") from None
    section = secrets.get("connections", {}).get(name)
    if not isinstance(section, dict) or not isinstance(section.get("url"), str):
        known = ", ".join(sorted(secrets.get("connections", {}))) or "none"
        raise InputError(
            f"{secrets_file} has no [connections.{name}] section with a url "
            f"(connections found: {known})."
        )
    return section


def engine_of(address: str, engine_name: str | None = None) -> str:
    """Which engine serves an address: postgresql://, duckdb:// or a file with --engine."""
    scheme = urlsplit(address).scheme.lower()
    if engine_name is not None:
        if engine_name not in ENGINES:
            raise InputError(f"Unknown engine '{engine_name}'; use one of {', '.join(ENGINES)}.")
        return engine_name
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme == "duckdb":
        return "duckdb"
    raise InputError(
        f"Cannot tell which engine reads '{describe_address(address)}': use a postgresql:// or "
        "duckdb:// address, or say --engine duckdb|spark for a Parquet or CSV file."
    )


class Connection:
    """An open connection to one engine, from which tables (and queries) are opened.

    Tables opened from the same connection can be joined (contacts with orders). Whoever opens
    a connection owns it: the CLI for one run, the app for one session. On PostgreSQL it holds
    no server connection of its own: each query borrows one from the database's shared, bounded
    pool (``lent``) and gives it back straight after. A DuckDB connection must not serve two
    threads at once, so it is never shared between sessions.
    """

    def __init__(
        self,
        address: str,
        engine_name: str,
        native: Any,
        shown: str,
        limits: Limits | None = None,
        pool: Pool[Any] | None = None,
    ) -> None:
        self.address, self.engine, self.native, self.shown = address, engine_name, native, shown
        self.limits = limits or Limits()
        self.pool = pool

    @contextlib.contextmanager
    def lent(self) -> Iterator[Any]:
        """The engine for one query: on PostgreSQL, a pooled connection lent to this thread.

        Every ibis backend of the pool sees, in this thread, the connection lent (so a join of
        two tables opened apart runs on it), and none outside a loan. Re-entered (a table opened
        while its schema is read), the connection already lent is used.
        """
        if self.pool is None:
            yield self.native
            return
        lent = _lent_here()
        if self.pool in lent:
            yield self.native
            return
        with self.pool.checkout() as connection:
            lent[self.pool] = connection
            try:
                yield self.native
            finally:
                del lent[self.pool]

    def write_powers(self, tables: Sequence[str] = ()) -> list[str]:
        """What this session's database role could change, in words (empty: it can only read).

        PostgreSQL only (the sessions are read-only anyway; this tells the operator that the
        role itself should be): a superuser, the right to read server files, and write grants
        on any of ``tables``. Other engines: nothing to report.
        """
        if self.engine != "postgresql":
            return []
        powers: list[str] = []
        with (
            database_errors(self.shown, self.limits),
            self.lent() as backend,
            backend.con.cursor() as cursor,
        ):
            cursor.execute(
                "SELECT rolsuper, pg_has_role(current_user, 'pg_read_server_files', 'member') "
                "FROM pg_roles WHERE rolname = current_user"
            )
            superuser, server_files = cursor.fetchone() or (False, False)
            if superuser:
                powers.append("is a superuser")
            elif server_files:
                powers.append("may read the server's files (pg_read_server_files)")
            for table in tables:
                cursor.execute(
                    "SELECT has_table_privilege(current_user, %s, "
                    "'INSERT, UPDATE, DELETE, TRUNCATE')",
                    [table],
                )
                row = cursor.fetchone()
                if row and row[0]:
                    powers.append(f"may write to {table}")
        return powers

    def open(self, *, table: str | None = None, query: str | None = None) -> Remote:
        """A table (or the result of a query) on this engine, without reading its rows."""
        if table is not None and query is not None:
            raise InputError("Give either a table or a query, not both.")
        if query is not None:
            check_select_only(query, _DIALECTS[self.engine])
        try:
            with self.lent():
                frame = _OPENERS[self.engine](self, table, query)
        except InputError:
            raise
        except Exception as error:  # driver errors: no such table, bad SQL, lost connection
            raise InputError(
                f"Could not open {what(table, query)} on {self.shown}: {_first_line(error)}"
            ) from None
        if table is None and query is None:  # a file the engine reads itself
            name = f"{self.shown} (read by {ENGINE_NAMES[self.engine]})"
        else:
            name = f"{what(table, query)} on {self.shown}"
        lease = self.lent if self.pool is not None else None
        return Remote(nw.from_native(frame), self.engine, name, self.limits, lease)


def connect(
    address: str,
    *,
    engine_name: str | None = None,
    spark_master: str | None = None,
    limits: Limits | None = None,
    pool: PoolSettings | None = None,
) -> Connection:
    """Connect to the engine an address names (see ``engine_of``); nothing is read yet.

    ``address`` is a ``postgresql://`` or ``duckdb://`` address, or with ``engine_name``
    ``"duckdb"`` or ``"spark"`` a Parquet or CSV file (or folder) that engine reads itself.
    A PostgreSQL session is read-only with a statement timeout (``limits``, by default 60 s
    and 100,000 rows back): see ``conversion.sources.guards``. Its queries borrow connections
    from the database's shared pool (``pool``: by default at most 4 open, closed after 60 s
    idle): see ``conversion.sources.pool``.
    """
    kind = engine_of(address, engine_name)
    shown = describe_address(address)
    limits = limits or Limits()
    shared = None
    try:
        if kind == "postgresql":
            shared = postgres_pool(address, limits, pool or PoolSettings())
            native = _postgres_backend(shared)
        else:
            native = _CONNECTORS[kind](address, spark_master, limits)
    except InputError:
        raise
    except Exception as error:  # connection refused, unknown host, bad credentials
        raise InputError(f"Could not connect to {shown}: {_first_line(error)}") from None
    return Connection(address, kind, native, shown, limits, shared)


def postgres_pool(address: str, limits: Limits, settings: PoolSettings) -> Pool[Any]:
    """The process's pool of read-only, time-limited connections to one PostgreSQL database."""
    params = _postgres_params(address, limits)

    def opener() -> Any:
        import ibis

        return ibis.postgres.connect(**params).con  # as ibis sets one up (UTC, its adapters)

    def make() -> Pool[Any]:
        return Pool(
            describe_address(address), opener, settings,
            prepare=lambda con: prepare_postgres(con, limits),
            usable=postgres_usable, close=lambda con: con.close(),
        )  # fmt: skip

    return shared_pool(("postgresql", address, limits, settings), make)


def _postgres_backend(pool: Pool[Any]) -> Any:
    """A session's own ibis backend, whose connection is the one lent to the running thread."""
    import ibis

    with pool.checkout() as connection:
        backend = ibis.postgres.from_connection(connection)
    backend.con = _LentConnection(pool)
    return backend


_LENT = threading.local()


def _lent_here() -> dict[Pool[Any], Any]:
    """The connections lent to this thread, by pool."""
    if not hasattr(_LENT, "by_pool"):
        _LENT.by_pool = {}
    return _LENT.by_pool


class _LentConnection:
    """Stands in for an ibis backend's connection: the one its pool lent to this thread."""

    def __init__(self, pool: Pool[Any]) -> None:
        self._pool = pool

    def __getattr__(self, name: str) -> Any:
        connection = _lent_here().get(self._pool)
        if connection is None:  # a bug: every query runs inside Connection.lent()
            raise RuntimeError("A PostgreSQL connection was used outside Connection.lent().")
        return getattr(connection, name)


def open_remote(
    address: str,
    *,
    table: str | None = None,
    query: str | None = None,
    engine_name: str | None = None,
    spark_master: str | None = None,
) -> Remote:
    """``connect(address).open(table=..., query=...)`` in one call."""
    connection = connect(address, engine_name=engine_name, spark_master=spark_master)
    return connection.open(table=table, query=query)


def what(table: str | None, query: str | None) -> str:
    if table is not None:
        return f"table {table}"
    if query is not None:
        return "the query"
    return "the file"


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _need(table: str | None, query: str | None) -> None:
    if table is None and query is None:
        raise InputError("Say which table to count (--table NAME) or give a query (--query SQL).")


def _postgres_params(address: str, limits: Limits) -> dict[str, Any]:
    """How ibis connects to the address: read-only transactions and the statement timeout."""
    parts = urlsplit(address)
    return {
        "host": parts.hostname or None,
        "port": parts.port or 5432,
        "user": parts.username or None,
        "password": parts.password or None,
        "database": parts.path.lstrip("/") or None,
        "options": postgres_settings(limits),
        "application_name": "conversion-by-segment",
    }


def _open_postgres(connection: Connection, table: str | None, query: str | None) -> Any:
    _need(table, query)
    if query is not None:
        # ibis would learn the query's columns through a temporary view, which a read-only
        # session may not create: ask the server for them with a zero-row select instead.
        return connection.native.sql(query, schema=_query_schema(connection, query))
    assert table is not None  # _need: a table or a query
    schema, _, name = table.rpartition(".")
    return connection.native.table(name, database=schema or None)


def _query_schema(connection: Connection, query: str) -> Any:
    """The columns (and their types) a PostgreSQL query returns, read without running it."""
    import ibis
    from ibis.backends.sql.datatypes import PostgresType

    con = connection.native.con  # lent by Connection.open
    with con.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({query}) AS cbs_query LIMIT 0")
        columns = [(c.name, c.type_code) for c in cursor.description or []]
        oids = sorted({oid for _, oid in columns})
        cursor.execute(
            "SELECT oid, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(%s)", [oids]
        )
        names = dict(cursor.fetchall())
    return ibis.schema({name: PostgresType.from_string(names[oid]) for name, oid in columns})


def _connect_duckdb(address: str, _master: str | None, _limits: Limits) -> Any:
    import duckdb

    if address.startswith("duckdb:"):
        parts = urlsplit(address)
        path = (parts.netloc + parts.path) or ":memory:"
        return duckdb.connect(path, read_only=path != ":memory:")
    return duckdb.connect()  # for a file DuckDB scans itself


def _open_duckdb(connection: Connection, table: str | None, query: str | None) -> Any:
    native, address = connection.native, connection.address
    if address.startswith("duckdb:"):
        _need(table, query)
        return native.sql(query) if query is not None else native.table(table)
    # A file: DuckDB scans it itself; a query sees it as the view "contacts".
    reader = "read_parquet" if _is_parquet(address) else "read_csv"
    target = f"{address.rstrip('/')}/**/*.parquet" if Path(address).is_dir() else address
    native.sql(f"select * from {reader}(?)", params=[target]).create_view(FILE_VIEW)
    return native.sql(query) if query is not None else native.table(FILE_VIEW)


def _is_parquet(path: str) -> bool:
    """Parquet unless the name says delimited text (a lake folder has no suffix)."""
    return not path.lower().endswith((".csv", ".csv.gz", ".tsv", ".txt"))


def spark_session(master: str | None = None) -> Any:
    """A Spark session: local on this machine unless a cluster's master URL is given."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName("conversion-by-segment")
        .master(master or os.environ.get("SPARK_MASTER", "local[*]"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("SPARK_SHUFFLE_PARTITIONS", "8"))
    )
    return builder.getOrCreate()


def _connect_spark(_address: str, master: str | None, _limits: Limits) -> Any:
    return spark_session(master)


def _open_spark(connection: Connection, table: str | None, query: str | None) -> Any:
    session, address = connection.native, connection.address
    if address in ("", "spark", "spark:"):
        _need(table, query)
        return session.sql(query) if query is not None else session.table(table)
    # A file: Spark reads it itself; a query sees it as the view "contacts".
    if _is_parquet(address):
        frame = session.read.parquet(address)
    else:
        frame = session.read.csv(address, header=True)
    frame.createOrReplaceTempView(FILE_VIEW)
    return session.sql(query) if query is not None else frame


_CONNECTORS = {"duckdb": _connect_duckdb, "spark": _connect_spark}
_OPENERS = {"postgresql": _open_postgres, "duckdb": _open_duckdb, "spark": _open_spark}
_DIALECTS = {"postgresql": "postgres", "duckdb": "duckdb", "spark": "spark"}
