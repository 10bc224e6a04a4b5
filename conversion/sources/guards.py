"""What keeps a count from changing or stalling a database, and the plain words for its faults.

- **Read-only by construction.** Every PostgreSQL session runs its transactions read-only
  (``default_transaction_read_only``) with a statement timeout, both set when it connects and
  set again each time a pooled connection is lent (``prepare_postgres``), so a typed query that
  turns them off (``set_config``) cannot carry that to the next one. A typed query on any
  engine must be one ``select`` (or ``with`` … ``select``): no ``insert``, ``drop``, ``create``
  or second statement reaches Spark or DuckDB.
- **Bounded.** A query runs at most ``statement_timeout_s`` seconds, enforced and cancelled by the
  server; a result of more than ``max_rows`` rows is stopped (the engine sends back per-segment
  summaries, so a big result means a query that is not one). At most ``pool_size``
  connections per database are open (``conversion.sources.pool``).
- **Faults give messages.** A refused write, a cancelled query, a lost connection, a refused
  sign-in or a dropped table each become an ``InputError`` naming the connection (never its
  password); a connection found broken is replaced before the next query.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

DEFAULT_TIMEOUT_S = 60.0
# PostgreSQL functions with effects that a read-only transaction does not stop: large objects
# (lo_import reads a server file into the database), advisory locks, other sessions, the server.
_UNSAFE_PREFIXES = ("lo_", "pg_advisory", "dblink", "pg_terminate", "pg_cancel", "pg_reload",
                    "pg_rotate", "pg_file", "pg_promote", "pg_switch", "pg_create_",
                    "pg_drop_", "pg_replication_", "pg_logical_", "pg_read_")  # fmt: skip
_UNSAFE_FUNCTIONS = frozenset({"lowrite", "loread", "lo_open", "pg_stat_reset"})
DEFAULT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class Limits:
    """How long a query may run and how many rows it may send back."""

    statement_timeout_s: float = DEFAULT_TIMEOUT_S
    max_rows: int = DEFAULT_MAX_ROWS

    def __post_init__(self) -> None:
        if not self.statement_timeout_s > 0:
            raise InputError("statement_timeout_seconds must be a positive number of seconds.")
        if self.max_rows < 1:
            raise InputError("max_rows must be at least 1.")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        """The limits a ``[connections.NAME]`` section of secrets.toml sets (defaults if none).

        Examples
        --------
        >>> Limits.from_settings({"statement_timeout_seconds": 5})
        Limits(statement_timeout_s=5.0, max_rows=100000)
        """
        timeout = settings.get("statement_timeout_seconds", DEFAULT_TIMEOUT_S)
        rows = settings.get("max_rows", DEFAULT_MAX_ROWS)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise InputError("statement_timeout_seconds must be a number of seconds.")
        if isinstance(rows, bool) or not isinstance(rows, int):
            raise InputError("max_rows must be a whole number.")
        return cls(float(timeout), rows)

    @property
    def timeout_ms(self) -> int:
        return max(1, round(self.statement_timeout_s * 1000))


def postgres_settings(limits: Limits) -> str:
    """The session settings every PostgreSQL connection of the app runs with (libpq options)."""
    return f"-c default_transaction_read_only=on -c statement_timeout={limits.timeout_ms}"


def prepare_postgres(connection: Any, limits: Limits) -> None:
    """Set read-only mode and the timeout again on a pooled connection before it is lent.

    A typed query may have turned them off with ``set_config``; a connection whose server went
    away fails here, and the pool replaces it.
    """
    connection.execute(
        f"SET default_transaction_read_only = on; SET statement_timeout = {limits.timeout_ms}"
    )


def postgres_usable(connection: Any) -> bool:
    """Whether a psycopg connection given back to the pool may be lent again."""
    from psycopg.pq import TransactionStatus

    return (
        not connection.closed
        and not connection.broken
        and connection.info.transaction_status == TransactionStatus.IDLE
    )


def check_select_only(query: str, dialect: str) -> None:
    """Refuse a typed query that is not exactly one ``select`` (``with`` included).

    Examples
    --------
    >>> check_select_only("with t as (select 1 as x) select * from t", "postgres")
    >>> check_select_only("drop table contacts", "spark")
    Traceback (most recent call last):
    ...
    conversion.errors.InputError: A query here must be one select statement (it reads, never \
writes); this one is a Drop.
    """
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(query, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "a syntax error"
        raise InputError(f"The query could not be read as SQL: {first}") from None
    if len(statements) != 1:
        raise InputError(
            "A query here must be one select statement; this text holds "
            f"{len(statements)} statements."
        )
    (statement,) = statements
    for call in statement.find_all(exp.Func):
        function = (call.name if isinstance(call, exp.Anonymous) else call.sql_name()).lower()
        if function.startswith(_UNSAFE_PREFIXES) or function in _UNSAFE_FUNCTIONS:
            raise InputError(
                f"The query calls {function}(), which acts outside the query (it can write "
                "files or large objects, hold locks or stop other sessions) even in a "
                "read-only session; it is not allowed here."
            )
    if not isinstance(statement, exp.Query) or any(
        isinstance(node, exp.Insert | exp.Update | exp.Delete | exp.Create | exp.Drop | exp.Merge)
        for node in statement.walk()
    ):
        raise InputError(
            "A query here must be one select statement (it reads, never writes); this one is a "
            f"{type(statement).__name__}."
        )


@contextlib.contextmanager
def database_errors(name: str, limits: Limits) -> Iterator[None]:
    """A driver's error while counting becomes a plain message naming the connection."""
    try:
        yield
    except InputError:
        raise
    except Exception as error:
        message = translated(error, name, limits)
        if message is None:
            raise
        raise InputError(message) from None


def translated(error: Exception, name: str, limits: Limits) -> str | None:
    """The plain message for a database fault, or None for an error that is not one."""
    state = _sqlstate(error)
    first = _first_line(error)
    if state == "25006":  # read_only_sql_transaction
        return (
            f"{name} refused a change: the app opens every database session read-only, so a "
            "query cannot write (insert, update, nextval, temporary tables). Count with a plain "
            "select."
        )
    if state == "57014":  # query_canceled: the statement timeout
        return (
            f"The query on {name} ran longer than the {limits.statement_timeout_s:g} s limit and "
            "was cancelled on the server. Count a smaller table or fewer segments, or ask the "
            "operator to raise statement_timeout_seconds for this connection."
        )
    if state in ("28P01", "28000"):
        return (
            f"{name} refused the sign-in ({first}). Check the user and password (PGPASSWORD, "
            "~/.pgpass or the connection's secrets)."
        )
    if state in ("42P01", "3F000"):  # undefined table, undefined schema
        return f"{name}: a table the count reads is not there any more ({first})."
    if _connection_lost(error):
        return (
            f"Lost the connection to {name} ({first}). The next count connects again; if it "
            "keeps failing, check that the database is up."
        )
    return None


def too_many_rows(name: str, limits: Limits) -> InputError:
    return InputError(
        f"The count on {name} would send back more than {limits.max_rows:,} rows (one per "
        "segment and status): pick segment columns with fewer values, or ask the operator to "
        "raise max_rows for this connection."
    )


def _sqlstate(error: BaseException) -> str | None:
    for candidate in (error, error.__cause__, error.__context__):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def _connection_lost(error: BaseException) -> bool:
    state = _sqlstate(error)
    if state is not None:
        return state.startswith(("08", "57P"))  # connection exceptions; admin/crash shutdown
    names = {type(e).__name__ for e in (error, error.__cause__, error.__context__) if e}
    return bool(names & {"OperationalError", "InterfaceError"})


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
