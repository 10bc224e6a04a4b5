"""``st.connection`` for a contacts database named in ``.streamlit/secrets.toml``.

The app's operator declares each database once, with the tables analysts may count::

    [connections.crm]
    url = "postgresql://analyst@db.internal:5432/crm"   # password: PGPASSWORD or ~/.pgpass
    tables = ["contacts", "won_deals"]
    allow_queries = false                               # true lets analysts type SQL
    statement_timeout_seconds = 60                      # each query is cancelled after this
    max_rows = 100000                                   # a result larger than this is stopped
    pool_size = 4                                       # at most this many open, all sessions
    allowed_domains = ["example.com"]                   # who may count here (needs sign-in)

Each query borrows a connection from the database's shared pool (``conversion.sources.pool``)
and gives it back straight after, so a session holds none between counts or after it ends.

Secrets never reach the page: the address is shown without a password and only table names
from the list (or, when allowed, the analyst's own query) are used.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import streamlit as st
from streamlit.connections import BaseConnection

from conversion import sources
from conversion.errors import InputError
from conversion.sources.guards import Limits
from conversion.sources.pool import PoolSettings
from ui import access


class ContactsDatabase(BaseConnection[sources.Connection]):
    """A database (PostgreSQL or DuckDB) that counts contacts where they are."""

    @classmethod
    def scope(
        cls,
    ) -> Literal["session"]:  # one connection per session: no analyst shares another's cursor
        return "session"

    def _connect(self, **kwargs: Any) -> sources.Connection:
        settings = {**self._secrets.to_dict(), **kwargs}
        url = settings.get("url")
        if not isinstance(url, str) or not url:
            name = self._connection_name
            raise InputError(f"The connection '{name}' has no url in secrets.toml.")
        listed = settings.get("tables", [])
        self.tables = [str(t) for t in listed] if isinstance(listed, (list, tuple)) else []
        self.allows_queries = settings.get("allow_queries", False) is True
        return sources.connect(
            url, limits=Limits.from_settings(settings), pool=PoolSettings.from_settings(settings)
        )

    def write_powers(self) -> list[str]:
        """What the connection's role could change beyond reading (see Connection.write_powers)."""
        return self._instance.write_powers(self.tables)

    @property
    def shown_address(self) -> str:
        return self._instance.shown

    def remote(self, *, table: str | None = None, query: str | None = None) -> sources.Remote:
        if table is not None and table not in self.tables:
            raise InputError(f"The table '{table}' is not listed for this connection.")
        if query is not None and not self.allows_queries:
            raise InputError("This connection does not allow typed queries; pick a table.")
        remote = self._instance.open(table=table, query=query)
        shown = table if table is not None else "query"
        return dataclasses.replace(remote, name=f"{shown} ({self._connection_name})")


def _sections() -> dict[str, dict]:
    try:
        connections = st.secrets.get("connections", {})
    except Exception:  # no secrets file at all: nothing to connect to
        return {}
    return {
        name: dict(section)
        for name, section in connections.items()
        if hasattr(section, "get") and "url" in section
    }


def connection_names() -> list[str]:
    """The connections declared in the secrets file that this session may use (``ui.access``)."""
    return access.allowed(_sections())


def database_offered() -> bool:
    """Whether the Data page offers a database: none set up (it says how) or one open to us."""
    sections = _sections()
    return not sections or bool(access.allowed(sections))


def sign_in_offer() -> None:
    """A way to sign in when the session may use no connection and sign-in could help."""
    access.sign_in_offer(_sections())


def connect(name: str) -> ContactsDatabase:
    """The named connection, its settings read from st.secrets (the section's keys).

    Refused unless this session may use it (``ui.access``), whatever asked for it.
    """
    sections = _sections()
    if name not in access.allowed(sections):
        raise InputError(f"The connection '{name}' is not open to this session.")
    section = sections[name]
    settings: dict[str, Any] = {
        k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in section.items()
    }
    return st.connection(name, type=ContactsDatabase, **settings)
