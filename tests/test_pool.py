"""The bounded connection pool (issue 18): on stand-in connections, then on a real PostgreSQL.

The stand-in tests check the pool's own rules (bound, first come first served, the busy message,
idle connections closed, broken ones replaced). The PostgreSQL tests count on the server with
``pg_stat_activity`` how many connections the app really opened, each test as its own role so no
other test's connections are counted; the expected numbers are hand counts of ``CONTACTS``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import polars as pl
import pytest
from engines import write_postgres

from conversion import counting, sources
from conversion.definition import Definition
from conversion.errors import InputError
from conversion.sources.pool import Pool, PoolSettings

# Ads: 6 contacts, 2 customers; Web: 4 contacts, 2 customers (counted by hand).
CONTACTS = pl.DataFrame(
    {
        "source": ["Ads"] * 6 + ["Web"] * 4,
        "customer": ["yes", "no", "no", "no", "no", "yes", "yes", "yes", "no", "no"],
    }
)
HAND_COUNTS = [("Ads", 6, 2), ("Web", 4, 2)]
BY_SOURCE = Definition(segments=("source",), converted="customer")


@dataclass
class Stand:
    """A stand-in connection: numbered, and closed or dead on demand."""

    number: int
    closed: bool = False
    dead: bool = False


def stand_in_pool(settings: PoolSettings) -> tuple[Pool[Stand], list[Stand]]:
    made: list[Stand] = []

    def opener() -> Stand:
        made.append(Stand(len(made) + 1))
        return made[-1]

    def prepare(connection: Stand) -> None:
        if connection.dead:
            raise ConnectionError("server closed the connection unexpectedly")

    def close(connection: Stand) -> None:
        connection.closed = True

    pool = Pool("crm", opener, settings, prepare=prepare, close=close,
                usable=lambda c: not c.dead)  # fmt: skip
    return pool, made


def test_never_more_connections_than_the_pool_size_however_many_threads() -> None:
    pool, made = stand_in_pool(PoolSettings(size=3))
    busy, most = [0], [0]
    lock = threading.Lock()

    def work() -> None:
        with pool.checkout():
            with lock:
                busy[0] += 1
                most[0] = max(most[0], busy[0])
            time.sleep(0.02)
            with lock:
                busy[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 3
    assert len(made) == 3 and pool.opened == 3
    assert pool.open_count == 3  # all idle now, none closed
    assert pool.close_idle() == 3 and pool.open_count == 0
    assert all(c.closed for c in made)


def test_waiters_are_served_in_the_order_they_came() -> None:
    pool, _ = stand_in_pool(PoolSettings(size=1))
    order: list[str] = []

    def wait_for_turn(name: str) -> None:
        with pool.checkout():
            order.append(name)

    waiting = []
    with pool.checkout():
        for name in ("first", "second", "third"):
            thread = threading.Thread(target=wait_for_turn, args=(name,))
            thread.start()
            waiting.append(thread)
            while len(pool._queue) < len(waiting):  # the thread is in line before the next one
                time.sleep(0.001)
    for thread in waiting:
        thread.join()
    assert order == ["first", "second", "third"]


def test_waiting_past_the_bound_gives_a_plain_message() -> None:
    pool, _ = stand_in_pool(PoolSettings(size=2, wait_seconds=0.2))
    with pool.checkout(), pool.checkout():
        started = time.monotonic()
        with pytest.raises(InputError) as caught, pool.checkout():
            pass
        waited = time.monotonic() - started
    assert str(caught.value) == "All 2 connections to crm are busy; try again in a moment."
    assert 0.2 <= waited < 1.5
    with pool.checkout() as connection:  # freed again: the slot the waiter gave up is not lost
        assert connection.number in (1, 2)


def test_idle_connections_are_closed_after_the_idle_timeout() -> None:
    pool, made = stand_in_pool(PoolSettings(size=2, idle_seconds=0.2))
    with pool.checkout(), pool.checkout():
        pass
    assert pool.open_count == 2
    time.sleep(0.6)  # the pool's timer closes them; nobody has to ask for a connection
    assert pool.open_count == 0
    assert [c.closed for c in made] == [True, True]
    with pool.checkout() as connection:
        assert connection.number == 3


def test_a_broken_connection_is_discarded_and_replaced() -> None:
    pool, made = stand_in_pool(PoolSettings(size=1))
    with pool.checkout() as connection:
        pass
    connection.dead = True  # its server went away while it was idle
    with pool.checkout() as replacement:
        assert replacement.number == 2
    assert made[0].closed and pool.discarded == 1
    with pool.checkout() as connection:
        connection.dead = True  # broke during the query: not lent again
    assert pool.open_count == 0 and pool.discarded == 2
    with pool.checkout() as connection:
        assert connection.number == 3


def test_a_connection_that_cannot_be_opened_frees_its_slot() -> None:
    def refuse() -> Stand:
        raise ConnectionError("connection refused")

    pool: Pool[Stand] = Pool("crm", refuse, PoolSettings(size=1, wait_seconds=0.2))
    for _ in range(3):  # each attempt gets the refusal, never "busy"
        with pytest.raises(ConnectionError, match="refused"), pool.checkout():
            pass
    assert pool.open_count == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"pool_size": 0}, "at least 1"),
        ({"pool_size": "4"}, "whole number"),
        ({"pool_idle_seconds": "soon"}, "number of seconds"),
        ({"pool_wait_seconds": -1}, "positive"),
    ],
)
def test_pool_settings_from_secrets_say_what_is_wrong(settings: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        PoolSettings.from_settings(settings)


# On a real PostgreSQL server.


def role(postgres, name: str, table: str) -> str:
    """A fresh login role that may read ``table``; its address."""
    if postgres.sql("select 1 from pg_roles where rolname = %s", (name,)):
        postgres.sql(f"drop owned by {name} cascade")
        postgres.sql(f"drop role {name}")
    postgres.sql(f"create role {name} login")
    postgres.sql(f"grant select on {table} to {name}")
    return postgres.address.replace(f"{postgres.user}@", f"{name}@")


def server_connections(postgres, user: str) -> int:
    query = "select count(*) from pg_stat_activity where usename = %s and pid <> pg_backend_pid()"
    return postgres.sql(query, (user,))[0][0]


def counted(remote: sources.Remote) -> list[tuple]:
    table = counting.count(remote, BY_SOURCE).table.sort("source")
    return table.select("source", "contacts", "customers").rows()


@pytest.fixture
def pool_table(postgres):
    write_postgres(postgres, CONTACTS, "pool_contacts")
    return postgres


def test_twenty_sessions_counting_at_once_share_the_pools_connections(pool_table) -> None:
    address = role(pool_table, "pool_twenty", "pool_contacts")
    # Each count sleeps 0.3 s on the server, so the twenty sessions overlap.
    query = "select source, customer from pool_contacts, pg_sleep(0.3) as pause"
    settings = PoolSettings(size=4)
    results: dict[int, list[tuple]] = {}
    errors: list[BaseException] = []
    seen: list[int] = []
    done = threading.Event()

    def session(number: int) -> None:
        try:  # each thread is its own session, with its own connection object
            connection = sources.connect(address, pool=settings)
            results[number] = counted(connection.open(query=query))
        except BaseException as error:
            errors.append(error)

    def watch() -> None:
        while not done.is_set():
            seen.append(server_connections(pool_table, "pool_twenty"))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    sessions = [threading.Thread(target=session, args=(n,)) for n in range(20)]
    for thread in sessions:
        thread.start()
    for thread in sessions:
        thread.join()
    done.set()
    watcher.join()
    assert not errors, errors
    assert len(results) == 20 and all(r == HAND_COUNTS for r in results.values())
    assert max(seen) == 4, max(seen)  # the pool was used to the full, and never beyond
    pool = sources.connect(address, pool=settings).pool
    assert pool is not None and pool.opened == 4 and pool.open_count <= 4
    print(f"most connections seen on the server during the 20 counts: {max(seen)}")


def test_the_pool_closes_idle_connections_on_the_server(pool_table) -> None:
    address = role(pool_table, "pool_idle", "pool_contacts")
    connection = sources.connect(address, pool=PoolSettings(size=2, idle_seconds=0.5))
    assert counted(connection.open(table="pool_contacts")) == HAND_COUNTS
    assert server_connections(pool_table, "pool_idle") == 1  # kept for the next count
    deadline = time.monotonic() + 5
    while server_connections(pool_table, "pool_idle") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server_connections(pool_table, "pool_idle") == 0
    assert counted(connection.open(table="pool_contacts")) == HAND_COUNTS  # opens one again


def test_a_connection_cut_by_the_server_is_replaced(pool_table) -> None:
    address = role(pool_table, "pool_broken", "pool_contacts")
    connection = sources.connect(address, pool=PoolSettings(size=1))
    remote = connection.open(table="pool_contacts")
    assert counted(remote) == HAND_COUNTS
    cut = pool_table.sql(
        "select pg_terminate_backend(pid) from pg_stat_activity where usename = 'pool_broken'"
    )
    assert cut == [(True,)]
    assert counted(remote) == HAND_COUNTS
    assert connection.pool is not None and connection.pool.discarded == 1
    assert connection.pool.opened == 2
    assert server_connections(pool_table, "pool_broken") == 1


def test_a_session_waiting_too_long_for_a_busy_pool_is_told_so(pool_table) -> None:
    address = role(pool_table, "pool_busy", "pool_contacts")
    settings = PoolSettings(size=1, wait_seconds=0.5)
    slow = sources.connect(address, pool=settings).open(
        query="select source, customer from pool_contacts, pg_sleep(2) as pause"
    )
    other = sources.connect(address, pool=settings).open(table="pool_contacts")
    runner = threading.Thread(target=counted, args=(slow,))
    runner.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not pool_table.sql(
        "select 1 from pg_stat_activity where usename = 'pool_busy' and state = 'active'"
    ):
        time.sleep(0.02)
    with pytest.raises(InputError) as caught:
        counted(other)
    runner.join()
    shown = address.replace("postgresql://", "")
    assert str(caught.value) == (
        f"All 1 connections to postgresql://{shown} are busy; try again in a moment."
    )
    assert counted(other) == HAND_COUNTS  # once the slow count is done


def test_the_command_line_keeps_to_the_secrets_sections_limits_and_pool(
    pool_table, tmp_path
) -> None:
    from test_cli import run

    address = role(pool_table, "pool_cli", "pool_contacts")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[connections.crm]\nurl = "{address}"\nstatement_timeout_seconds = 1\npool_size = 2\n',
        encoding="utf-8",
    )
    limits, pool = sources.source_settings("secrets:crm", secrets)
    assert (limits.statement_timeout_s, pool.size) == (1.0, 2)
    source = f"--source secrets:crm --secrets {secrets} --segment source --converted customer"
    counts = run(f"rates {source} --table pool_contacts --format csv")
    assert counts.returncode == 0, counts.stderr
    rows = sorted(tuple(line.split(",")[:3]) for line in counts.stdout.splitlines()[1:3])
    assert rows == [(s, str(n), str(c)) for s, n, c in HAND_COUNTS], counts.stdout
    slow = run(f"rates {source} --query 'select * from pool_contacts, pg_sleep(3) as pause'")
    assert slow.returncode == 2 and "longer than the 1 s limit" in slow.stderr, slow.stderr
