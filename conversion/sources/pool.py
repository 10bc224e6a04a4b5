"""A bounded pool of database connections, shared by every session that counts on one database.

Each configured database has one pool (``shared_pool``), keyed by its address, limits and pool
settings, so every app session, thread and command-line count in the process draws on it:

- **Bounded.** At most ``size`` connections to the database are open at once (checked out and
  idle together); a connection is opened only when no idle one is left.
- **Lent per query.** A count checks a connection out for one query and gives it back straight
  after, so a session holds none between counts and none once it ends.
- **Fair.** Waiters are served in the order they came; one that waits longer than
  ``wait_seconds`` gets a plain message (``All 4 connections to crm are busy; try again in a
  moment.``) instead of hanging.
- **Released when idle.** A connection unused for ``idle_seconds`` is closed.
- **Broken connections are replaced.** One that fails its check on checkout (its server restarted,
  the network cut) or comes back unusable is closed and forgotten; the next checkout opens anew.

The pool knows nothing of any engine: it is given how to open, check (``prepare``), judge
(``usable``) and close a connection.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from conversion.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterator, Mapping

T = TypeVar("T")

DEFAULT_POOL_SIZE = 4
DEFAULT_IDLE_S = 60.0
DEFAULT_WAIT_S = 30.0


@dataclass(frozen=True)
class PoolSettings:
    """How many connections a database may have open, how long one may idle, how long to wait."""

    size: int = DEFAULT_POOL_SIZE
    idle_seconds: float = DEFAULT_IDLE_S
    wait_seconds: float = DEFAULT_WAIT_S

    def __post_init__(self) -> None:
        if self.size < 1:
            raise InputError("pool_size must be at least 1.")
        if not (self.idle_seconds > 0 and self.wait_seconds > 0):
            raise InputError("pool_idle_seconds and pool_wait_seconds must be positive.")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> PoolSettings:
        """The pool a ``[connections.NAME]`` section of secrets.toml asks for (defaults if none).

        Examples
        --------
        >>> PoolSettings.from_settings({"pool_size": 2})
        PoolSettings(size=2, idle_seconds=60.0, wait_seconds=30.0)
        """
        size = settings.get("pool_size", DEFAULT_POOL_SIZE)
        idle = settings.get("pool_idle_seconds", DEFAULT_IDLE_S)
        wait = settings.get("pool_wait_seconds", DEFAULT_WAIT_S)
        if isinstance(size, bool) or not isinstance(size, int):
            raise InputError("pool_size must be a whole number of connections.")
        for key, value in (("pool_idle_seconds", idle), ("pool_wait_seconds", wait)):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{key} must be a number of seconds.")
        return cls(size, float(idle), float(wait))


def _nothing(_connection: Any) -> None:
    return None


def _always(_connection: Any) -> bool:
    return True


class Pool(Generic[T]):
    """At most ``settings.size`` connections to one database, lent one query at a time.

    Parameters
    ----------
    name
        How messages name the database (never with a password).
    opener
        Opens a new connection.
    settings
        Size, idle timeout and longest wait.
    prepare
        Run on each connection as it is checked out; if it raises, the connection is replaced
        by a new one (which must pass it).
    usable
        Whether a connection given back may be lent again.
    close
        Closes a connection (errors are ignored: it may be dead already).
    """

    def __init__(
        self,
        name: str,
        opener: Callable[[], T],
        settings: PoolSettings | None = None,
        *,
        prepare: Callable[[T], None] = _nothing,
        usable: Callable[[T], bool] = _always,
        close: Callable[[T], None] = _nothing,
    ) -> None:
        self.name, self.settings = name, settings or PoolSettings()
        self._open, self._prepare, self._usable, self._close = opener, prepare, usable, close
        self._ready = threading.Condition()
        self._queue: deque[object] = deque()  # tickets of the waiters, first come first served
        self._lent = 0  # slots taken (each holds at most one connection)
        self._holding = 0  # slots that hold a connection right now
        self._idle: list[tuple[T, float]] = []  # (connection, when it was given back)
        self._timer: threading.Timer | None = None
        self.opened = 0  # connections opened over the pool's life
        self.discarded = 0  # connections closed because they were broken

    @property
    def open_count(self) -> int:
        """Connections open now: lent and idle (a slot taken but not yet connected not counted)."""
        with self._ready:
            return self._holding + len(self._idle)

    @contextlib.contextmanager
    def checkout(self) -> Iterator[T]:
        """A connection for the time of the ``with`` block, given back (or discarded) after it."""
        self._take_slot()
        try:
            connection = self._connection()
        except BaseException:
            self._free_slot(None)
            raise
        try:
            yield connection
        finally:
            self._free_slot(connection)

    def close_idle(self) -> int:
        """Close every idle connection now; how many were closed."""
        with self._ready:
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            self._quietly_close(connection)
        return len(idle)

    def _take_slot(self) -> None:
        deadline = time.monotonic() + self.settings.wait_seconds
        ticket = object()
        with self._ready:
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket or self._lent >= self.settings.size:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise InputError(
                            f"All {self.settings.size} connections to {self.name} are busy; "
                            "try again in a moment."
                        )
                    self._ready.wait(remaining)
            except BaseException:
                self._queue.remove(ticket)
                self._ready.notify_all()
                raise
            self._queue.popleft()
            self._lent += 1
            self._ready.notify_all()  # the next in line may have a free slot too

    def _connection(self) -> T:
        """An idle connection that passes ``prepare``, else a new one."""
        while True:
            with self._ready:
                self._expire_idle()
                if not self._idle:
                    self._holding += 1
                    break
                connection, _ = self._idle.pop()  # the most recently used: the others age out
                self._holding += 1
            try:
                if not self._usable(connection):
                    raise ConnectionError("unusable")
                self._prepare(connection)
                return connection
            except Exception:  # died while idle (a restarted server): replace it
                self._discard(connection)
        try:
            connection = self._open()
        except BaseException:
            with self._ready:
                self._holding -= 1
            raise
        with self._ready:
            self.opened += 1
        try:
            self._prepare(connection)
        except BaseException:
            self._discard(connection)
            raise
        return connection

    def _discard(self, connection: T) -> None:
        self._quietly_close(connection)
        with self._ready:
            self._holding -= 1
            self.discarded += 1

    def _free_slot(self, connection: T | None) -> None:
        keep = connection is not None and self._healthy(connection)
        if connection is not None and not keep:
            self._discard(connection)
        with self._ready:
            if keep:
                assert connection is not None
                self._holding -= 1
                self._idle.append((connection, time.monotonic()))
                self._schedule_expiry()
            self._lent -= 1
            self._ready.notify_all()

    def _healthy(self, connection: T) -> bool:
        try:
            return bool(self._usable(connection))
        except Exception:
            return False

    def _expire_idle(self) -> None:
        """Close idle connections unused for ``idle_seconds`` (the caller holds the lock)."""
        cutoff = time.monotonic() - self.settings.idle_seconds
        expired = [c for c, since in self._idle if since <= cutoff]
        self._idle = [(c, since) for c, since in self._idle if since > cutoff]
        for connection in expired:
            self._quietly_close(connection)

    def _schedule_expiry(self) -> None:
        """Have a timer close idle connections once they expire (the caller holds the lock)."""
        if self._timer is not None or not self._idle:
            return
        oldest = min(since for _, since in self._idle)
        delay = max(0.0, oldest + self.settings.idle_seconds - time.monotonic()) + 0.05
        self._timer = threading.Timer(delay, self._on_timer)
        self._timer.daemon = True
        self._timer.start()

    def _on_timer(self) -> None:
        with self._ready:
            self._timer = None
            self._expire_idle()
            self._schedule_expiry()

    def _quietly_close(self, connection: T) -> None:
        with contextlib.suppress(Exception):
            self._close(connection)


_POOLS: dict[Hashable, Pool[Any]] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(key: Hashable, make: Callable[[], Pool[T]]) -> Pool[T]:
    """The process's one pool for ``key`` (a database's configuration), made on first use."""
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = make()
        return pool
