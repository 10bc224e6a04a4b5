"""Database sessions that cannot change or stall the database (issue 18), on a real PostgreSQL.

The server is the test session's own (``engines.py``). Each test makes its own tables, so the
checks that nothing changed read the table back through a separate, ordinary connection.
"""

from __future__ import annotations

import time

import polars as pl
import pytest
from engines import write_postgres

from conversion import counting, sources
from conversion.definition import Definition
from conversion.errors import InputError
from conversion.sources.guards import Limits, check_select_only

CONTACTS = pl.DataFrame(
    {
        "source": ["Ads"] * 6 + ["Web"] * 4,
        "customer": ["yes", "no", "no", "no", "no", "yes", "yes", "yes", "no", "no"],
    }
)


@pytest.fixture
def safe_table(postgres):
    write_postgres(postgres, CONTACTS, "safe_contacts")
    postgres.sql("drop function if exists bump_contacts()")
    postgres.sql(
        "create function bump_contacts() returns int language sql as "
        "$$ insert into safe_contacts values ('Spam', 'yes') returning 1 $$"
    )
    postgres.sql("drop sequence if exists safe_sequence")
    postgres.sql("create sequence safe_sequence")
    return postgres


def rows_of(postgres) -> int:
    return postgres.sql("select count(*) from safe_contacts")[0][0]


@pytest.mark.parametrize(
    "query",
    [
        "select bump_contacts() as source, 'yes' as customer",  # a write inside a function
        "select nextval('safe_sequence')::text as source, 'yes' as customer",
        "select lo_import('/etc/hostname')::text as source, 'yes' as customer",
    ],
)
def test_a_typed_query_that_writes_is_refused_and_the_table_is_unchanged(safe_table, query):
    before = rows_of(safe_table)
    connection = sources.connect(safe_table.address)
    with pytest.raises(InputError) as caught:
        remote = connection.open(query=query)
        counting.count(remote, Definition(segments=("source",), converted="customer"))
    message = str(caught.value)
    assert "read-only" in message
    assert "Traceback" not in message
    assert rows_of(safe_table) == before
    assert safe_table.sql("select last_value, is_called from safe_sequence") == [(1, False)]


def test_turning_read_only_off_in_one_query_does_not_reach_the_next(safe_table):
    before = rows_of(safe_table)
    connection = sources.connect(safe_table.address)
    off = connection.open(
        query="select set_config('default_transaction_read_only', 'off', false) as source, "
        "'yes' as customer"
    )
    counting.count(off, Definition(segments=("source",), converted="customer"))
    with pytest.raises(InputError, match="read-only"):
        writer = connection.open(query="select bump_contacts()::text as source, 'y' as customer")
        counting.count(writer, Definition(segments=("source",), converted="customer"))
    assert rows_of(safe_table) == before


@pytest.mark.parametrize(
    "query",
    [
        "create temporary table t as select 1",
        "drop table safe_contacts",
        "select 1 as source; delete from safe_contacts",
        "insert into safe_contacts values ('x', 'y')",
    ],
)
def test_a_query_that_is_not_one_select_is_refused_before_it_reaches_the_server(safe_table, query):
    before = rows_of(safe_table)
    with pytest.raises(InputError, match="one select statement"):
        sources.connect(safe_table.address).open(query=query)
    assert rows_of(safe_table) == before


@pytest.mark.parametrize("dialect", ["postgres", "duckdb", "spark"])
def test_the_select_only_rule_holds_for_every_engines_dialect(dialect):
    check_select_only("select source, count(*) from contacts group by source", dialect)
    check_select_only("with t as (select 1 as x) select x from t union select 2", dialect)
    for statement in ("drop table contacts", "create table x as select 1", "delete from t"):
        with pytest.raises(InputError):
            check_select_only(statement, dialect)


def test_a_query_past_its_timeout_is_cancelled_on_the_server(safe_table):
    limits = Limits(statement_timeout_s=1)
    connection = sources.connect(safe_table.address, limits=limits)
    sleeper = connection.open(
        query="select source, customer from safe_contacts, pg_sleep(5) as pause"
    )
    started = time.monotonic()
    with pytest.raises(InputError, match="longer than the 1 s limit") as caught:
        counting.count(sleeper, Definition(segments=("source",), converted="customer"))
    assert time.monotonic() - started < 1 + 5
    assert "cancelled on the server" in str(caught.value)
    # Nothing left running on the server. (ibis reads through a named cursor, so the server
    # shows "FETCH ..." rather than the query's text: look for any active query of the app's.)
    running = safe_table.sql(
        "select count(*) from pg_stat_activity where application_name = 'conversion-by-segment' "
        "and state = 'active'"
    )
    assert running == [(0,)]


def test_a_result_over_the_row_limit_is_stopped(safe_table):
    connection = sources.connect(safe_table.address, limits=Limits(max_rows=1))
    remote = connection.open(table="safe_contacts")
    with pytest.raises(InputError, match="more than 1 rows"):
        counting.count(remote, Definition(segments=("source",), converted="customer"))


def test_a_dropped_table_and_a_restarted_server_give_messages_then_the_next_count_works(
    safe_table,
):
    connection = sources.connect(safe_table.address)
    d = Definition(segments=("source",), converted="customer")
    remote = connection.open(table="safe_contacts")
    first = counting.count(remote, d).table.sort("source").select("contacts", "customers").rows()
    assert first == [(6, 2), (4, 2)]

    safe_table.sql("alter table safe_contacts rename to safe_contacts_moved")
    try:
        with pytest.raises(InputError, match="not there any more"):
            counting.count(remote, d)
    finally:
        safe_table.sql("alter table safe_contacts_moved rename to safe_contacts")

    safe_table.restart()
    # The session's connection died with the server; the next count connects again.
    again = counting.count(remote, d).table.sort("source").select("contacts", "customers").rows()
    assert again == first


def test_a_server_that_refuses_connections_names_the_address_not_the_password(safe_table):
    from serving import free_port

    address = f"postgresql://analyst:s3cret-pass@127.0.0.1:{free_port()}/crm"
    with pytest.raises(InputError) as caught:
        sources.connect(address)
    message = str(caught.value)
    assert "s3cret-pass" not in message
    assert "postgresql://analyst@127.0.0.1" in message


def test_a_role_that_can_write_is_reported_and_a_reader_is_not(safe_table):
    if safe_table.sql("select 1 from pg_roles where rolname = 'cbs_reader'"):
        safe_table.sql("drop owned by cbs_reader cascade")
    safe_table.sql("drop role if exists cbs_reader")
    safe_table.sql("create role cbs_reader login")
    safe_table.sql("grant select on safe_contacts to cbs_reader")
    as_reader = safe_table.address.replace("postgres@", "cbs_reader@")
    assert sources.connect(as_reader).write_powers(["safe_contacts"]) == []

    safe_table.sql("grant insert on safe_contacts to cbs_reader")
    assert sources.connect(as_reader).write_powers(["safe_contacts"]) == [
        "may write to safe_contacts"
    ]
    assert "is a superuser" in sources.connect(safe_table.address).write_powers(["safe_contacts"])
    safe_table.sql("drop owned by cbs_reader cascade")
    safe_table.sql("drop role cbs_reader")
