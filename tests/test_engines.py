"""The same definition on DuckDB, PostgreSQL and Spark gives the polars engine's numbers.

Every test here starts a real engine (see ``engines.py``). The polars engine reads the samples
as files, the way an analyst's export arrives; the other engines get the same rows as a typed
table, the way a warehouse holds them, and count where the rows are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from engines import load
from engines import spark_schema as engines_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversion import counting, reading, sources
from conversion.definition import Definition, OrdersJoin
from conversion.errors import InputError
from conversion.reading import values
from conversion.reading.samples import SAMPLES

ENGINES = ["duckdb", "postgresql", "spark"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=ENGINES)
def on(request: pytest.FixtureRequest):
    """A loader for one engine: ``on(frame, name) -> Remote``."""
    kind = request.param
    extra = {}
    if kind == "postgresql":
        extra["postgres"] = request.getfixturevalue("postgres")
    if kind == "spark":
        extra["spark"] = request.getfixturevalue("spark")

    def put(frame: pl.DataFrame, name: str) -> sources.Remote:
        return load(kind, frame, name, **extra)

    put.kind = kind  # type: ignore[attr-defined]
    return put


def typed(table: reading.Table, date_columns: list[str]) -> pl.DataFrame:
    """A file's rows as a warehouse would hold them: dates as dates, everything else as text."""
    frame = table.frame
    formats = {
        c: values.detect_date_format(frame, c, source=table.name).general() for c in date_columns
    }
    return frame.with_columns(values.date_expr(c, f).alias(c) for c, f in formats.items()).collect()


def same_counts(want: counting.Counts, got: counting.Counts) -> None:
    assert got.table.to_dicts() == want.table.to_dicts()
    assert got.excluded.to_dicts() == want.excluded.to_dicts()
    assert got.quality == want.quality
    assert got.warnings == want.warnings


SAMPLE_KEYS = [k for k, s in SAMPLES.items() if not s.definition.pre_aggregated]


@pytest.mark.parametrize("key", SAMPLE_KEYS)
def test_each_sample_counts_the_same_on_every_engine(on, key: str) -> None:
    sample = SAMPLES[key]
    d = sample.definition
    contacts = reading.load(sample.contacts_path)
    orders = reading.load(sample.orders_path) if sample.orders_path else None
    want = counting.count(contacts, d, orders)

    remote = on(typed(contacts, [c for c in (d.contact_date, d.converted_date) if c]), f"c_{key}")
    remote_orders = None
    if orders is not None and d.orders is not None:
        dates = [d.orders.orders_date] if d.orders.orders_date else []
        remote_orders = on(typed(orders, dates), f"o_{key}")
    same_counts(want, counting.count(remote, d, remote_orders))


def test_cohorts_and_buckets_match_on_every_engine(on) -> None:
    sample = SAMPLES["newsletter"]
    contacts = reading.load(sample.contacts_path)
    d = sample.definition.with_changes(
        segments=("source", "first_purchase_date"),
        date_buckets=(("first_purchase_date", "quarter"),),
    )
    remote = on(typed(contacts, ["signup_date", "first_purchase_date"]), "cohorts")
    same_counts(counting.count(contacts, d), counting.count(remote, d))
    want_table, _ = counting.cohorts(contacts, sample.definition, period="month")
    got_table, _ = counting.cohorts(remote, sample.definition, period="month")
    assert got_table.to_dicts() == want_table.to_dicts()


def test_the_earliest_moment_decides_a_contacts_segment_on_every_engine(on) -> None:
    # u1 saw Pricing at 00:16 and Blog at 20:45 on the same day: u1 is Pricing's (by hand).
    # u2 saw Blog at 09:00 and Alpha at 09:00:01; u3 has Alpha one day before Blog.
    frame = pl.DataFrame(
        {
            "user": ["u1", "u1", "u2", "u2", "u3", "u3"],
            "page": ["Blog", "Pricing", "Blog", "Alpha", "Blog", "Alpha"],
            "seen": [
                datetime(2025, 3, 4, 20, 45),
                datetime(2025, 3, 4, 0, 16),
                datetime(2025, 3, 5, 9, 0, 0),
                datetime(2025, 3, 5, 9, 0, 1),
                datetime(2025, 3, 7, 8, 0),
                datetime(2025, 3, 6, 23, 0),
            ],
            "bought": ["no", "yes", "yes", "no", "no", "no"],
        }
    )
    d = Definition(segments=("page",), converted="bought", id="user", contact_date="seen")
    got = counting.count(on(frame, "moments"), d)
    assert got.table.rows() == [("Alpha", 1, 0), ("Blog", 1, 1), ("Pricing", 1, 1)]
    same_counts(counting.count(frame.lazy(), d), got)


# Random tables ------------------------------------------------------------------------------

START = date(2025, 1, 1)
dates = st.one_of(st.none(), st.integers(0, 60).map(lambda n: START + timedelta(days=n)))


@st.composite
def tables(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, Definition]:
    n = draw(st.integers(0, 40))
    ids = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e", "f", " g", ""]))

    def column(values: st.SearchStrategy) -> list:
        return draw(st.lists(values, min_size=n, max_size=n))

    rows = {
        "id": column(ids),
        "source": column(st.sampled_from(["Ads", "Web", "Mail", "", None])),
        "region": column(st.sampled_from(["EU", "US", None])),
        "won": column(st.sampled_from(["yes", "no", "Y", "N", "", None])),
        "signed": column(dates),
        "bought": column(dates),
    }
    m = draw(st.integers(0, 12))
    orders = {
        "id": draw(st.lists(st.sampled_from(["a", "b", "c", "x", None]), min_size=m, max_size=m)),
        "on": draw(st.lists(dates, min_size=m, max_size=m)),
    }
    segments = draw(st.sampled_from([("source",), ("source", "region")]))
    evidence = draw(st.sampled_from(["flag", "date", "orders", "dated orders", "flag+date"]))
    d = Definition(
        segments=segments,
        id=draw(st.sampled_from(["id", None])),
        contact_date=draw(st.sampled_from(["signed", None])),
        converted="won" if "flag" in evidence else None,
        converted_date="bought" if "date" in evidence and evidence != "dated orders" else None,
        orders=OrdersJoin("id", orders_date="on" if evidence == "dated orders" else None)
        if "orders" in evidence
        else None,
    )
    timed = d.converted_date or (d.orders and d.orders.orders_date)
    if d.contact_date and timed and draw(st.booleans()):
        as_of = draw(st.one_of(st.none(), dates))
        d = d.with_changes(window_days=draw(st.integers(0, 30)), as_of=as_of)
    schema = {"id": pl.String, "source": pl.String, "region": pl.String, "won": pl.String,
              "signed": pl.Date, "bought": pl.Date}  # fmt: skip
    return (
        pl.DataFrame(rows, schema=schema),
        pl.DataFrame(orders, schema={"id": pl.String, "on": pl.Date}),
        d,
    )


def as_text(frame: pl.DataFrame) -> pl.LazyFrame:
    """The table as a CSV export would give it to the polars engine: text, ISO dates."""
    return frame.lazy().with_columns(pl.all().cast(pl.String))


SETTINGS = {"duckdb": 60, "postgresql": 25, "spark": 6}


@pytest.mark.parametrize("kind", ENGINES)
def test_random_tables_count_the_same_as_polars(kind: str, request: pytest.FixtureRequest) -> None:
    extra = {}
    if kind == "postgresql":
        extra["postgres"] = request.getfixturevalue("postgres")
    if kind == "spark":
        extra["spark"] = request.getfixturevalue("spark")

    @settings(max_examples=SETTINGS[kind], deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(tables())
    def check(case: tuple[pl.DataFrame, pl.DataFrame, Definition]) -> None:
        contacts, orders, d = case
        try:
            want = counting.count(as_text(contacts), d, as_text(orders) if d.orders else None)
        except InputError:
            with pytest.raises(InputError):
                counting.count(load(kind, contacts, "r", **extra), d,
                              load(kind, orders, "ro", **extra) if d.orders else None)  # fmt: skip
            return
        remote = load(kind, contacts, "r", **extra)
        remote_orders = load(kind, orders, "ro", **extra) if d.orders else None
        same_counts(want, counting.count(remote, d, remote_orders))

    check()


# Only aggregates travel -----------------------------------------------------------------


def big_table(n: int = 20_000) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [f"C{i % (n // 2):06d}" for i in range(n)],  # every contact twice
            "source": [("Ads", "Web", "Mail", "Events")[i % 4] for i in range(n)],
            "won": ["yes" if i % 7 == 0 else "no" for i in range(n)],
            "signed": [START + timedelta(days=i % 300) for i in range(n)],
        }
    )


def test_only_the_per_segment_table_comes_back_from_postgres(postgres, monkeypatch) -> None:
    table = big_table()
    remote = load("postgresql", table, "big", postgres=postgres)
    d = Definition(segments=("source",), converted="won", id="id", contact_date="signed",
                   window_days=None)  # fmt: skip
    fetched: list[int] = []

    def spy(self, frame):
        result = real_fetch(self, frame)
        fetched.append(result.height)
        return result

    real_fetch = sources.Remote.fetch
    monkeypatch.setattr(sources.Remote, "fetch", spy)

    postgres.sql("select pg_stat_statements_reset()")
    counts = counting.count(remote, d)
    assert counts.quality.rows == 20_000 and counts.contacts == 10_000
    # One query ran, and it returned one row per segment and status: 4 rows, not 20,000.
    assert fetched == [4]
    # The server's own record: ibis reads the result through a cursor, so the rows sent to the
    # client are those of the FETCH statements; the scan of "big" itself sends none.
    statements = postgres.sql(
        "select query, rows from pg_stat_statements where query not ilike '%pg_stat_statements%'"
    )
    sent = sum(rows for query, rows in statements if query.lower().startswith("fetch"))
    assert sent == 4, statements
    scans = [rows for query, rows in statements if '"big"' in query and "group by" in query.lower()]
    assert scans == [0], statements


def test_only_the_per_segment_table_comes_back_from_spark_and_duckdb(spark, monkeypatch) -> None:
    table = big_table()
    real_fetch = sources.Remote.fetch
    d = Definition(segments=("source",), converted="won", id="id")
    for kind in ("duckdb", "spark"):
        remote = load(kind, table, "big", spark=spark)
        fetched: list[int] = []

        def spy(self, frame, fetched=fetched):
            result = real_fetch(self, frame)
            fetched.append(result.height)
            return result

        monkeypatch.setattr(sources.Remote, "fetch", spy)

        counts = counting.count(remote, d)
        assert counts.contacts == 10_000
        assert fetched == [4], kind


# Messages and the command line ------------------------------------------------------------


def test_bad_flag_values_are_listed_from_the_database(postgres) -> None:
    frame = pl.DataFrame({"source": ["Ads", "Web", "Ads"], "won": ["yes", "maybe", "maybe"]})
    remote = load("postgresql", frame, "flags", postgres=postgres)
    with pytest.raises(InputError, match=r"'won' in table flags .* 'maybe' \(2 rows\)"):
        counting.count(remote, Definition(segments=("source",), converted="won"))


def test_a_text_date_column_gets_a_message_saying_how_to_cast_it(postgres) -> None:
    frame = pl.DataFrame({"source": ["Ads"], "won": ["yes"], "signed": ["2025-01-01"]})
    remote = load("postgresql", frame, "textdates", postgres=postgres)
    d = Definition(segments=("source",), converted="won", contact_date="signed")
    with pytest.raises(InputError, match=r"'signed' .* not a date.*cast\(signed as date\)"):
        counting.count(remote, d)


def test_unknown_table_and_password_in_the_address_are_refused(postgres) -> None:
    with pytest.raises(InputError, match="Could not open table nowhere"):
        sources.open_remote(postgres.address, table="nowhere").columns  # noqa: B018
    with pytest.raises(InputError, match="password"):
        sources.resolve_address("postgresql://me:secret@localhost/db")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conversion", *args],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


def test_the_command_line_counts_in_postgres_like_on_the_file(postgres, tmp_path: Path) -> None:
    sample = SAMPLES["b2b"]
    d = sample.definition
    contacts, orders = reading.load(sample.contacts_path), reading.load(sample.orders_path)
    load("postgresql", typed(contacts, [d.contact_date]), "leads", postgres=postgres)
    load("postgresql", typed(orders, [d.orders.orders_date]), "won", postgres=postgres)
    flags = ["--segment", "lead_source", "--id", "lead_id", "--contact-date", "created",
             "--key", "lead_id", "--orders-date", "won_date", "--window-days", "90",
             "--format", "csv"]  # fmt: skip
    on_file = cli("rates", str(sample.contacts_path), "--orders", str(sample.orders_path), *flags)
    assert on_file.returncode == 0, on_file.stderr

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[connections.crm]\nurl = "{postgres.address}"\n', encoding="utf-8")
    for source, env in (
        (postgres.address, {}),
        ("env:CRM_DATABASE", {"CRM_DATABASE": postgres.address}),
        ("secrets:crm", {}),
    ):
        extra = ["--secrets", str(secrets)] if source.startswith("secrets:") else []
        remote = cli("rates", "--source", source, "--table", "leads", "--orders-table", "won",
                     *extra, *flags, env=env)  # fmt: skip
        assert remote.returncode == 0, remote.stderr
        assert remote.stdout == on_file.stdout

    query = cli("rates", "--source", postgres.address, "--query",
                "select * from leads where lead_source <> 'Webinar'",
                "--orders-table", "won", *flags)  # fmt: skip
    assert query.returncode == 0, query.stderr
    assert "Webinar" not in query.stdout and "Trade show" in query.stdout

    refused = cli("rates", "--source", "postgresql://me:pw@127.0.0.1/x", "--table", "t",
                  "--orders-table", "won", *flags)  # fmt: skip
    assert refused.returncode == 2 and "password" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_the_command_line_reads_a_parquet_file_on_duckdb_and_spark(spark, tmp_path: Path) -> None:
    sample = SAMPLES["newsletter"]
    d = sample.definition
    path = tmp_path / "newsletter.parquet"
    typed(reading.load(sample.contacts_path), [d.contact_date, d.converted_date]).write_parquet(
        path
    )
    flags = ["--segment", "source", "--id", "contact_id", "--contact-date", "signup_date",
             "--converted-date", "first_purchase_date", "--window-days", "90",
             "--format", "csv"]  # fmt: skip
    on_file = cli("rates", str(sample.contacts_path), *flags)
    assert on_file.returncode == 0, on_file.stderr
    for kind in ("duckdb", "spark"):
        out = cli("rates", str(path), "--engine", kind, "--spark-master", "local[1]", *flags)
        assert out.returncode == 0, out.stderr
        assert out.stdout == on_file.stdout, kind
    # No file argument: a Spark SQL query (here over the same Parquet file) or a catalog table.
    query = f"select * from parquet.`{path}`"
    out = cli("rates", "--engine", "spark", "--query", query, "--spark-master", "local[1]", *flags)
    assert out.returncode == 0, out.stderr
    assert out.stdout == on_file.stdout


def test_the_python_api_counts_an_engine_table_where_it_lives(spark) -> None:
    import duckdb

    import conversion

    sample = SAMPLES["newsletter"]
    d = sample.definition
    typed_rows = typed(reading.load(sample.contacts_path), [d.contact_date, d.converted_date])
    options = dict(id="contact_id", contact_date="signup_date",
                   converted_date="first_purchase_date", window_days=90)  # fmt: skip
    on_file = conversion.by_segment(sample.contacts_path, "source", **options)
    relation = duckdb.connect().from_arrow(typed_rows.to_arrow())
    spark_frame = spark.createDataFrame(  # type: ignore[attr-defined]
        typed_rows.rows(), schema=engines_schema(typed_rows)
    )
    for native in (relation, spark_frame):
        rates_there = conversion.by_segment(native, "source", **options)
        assert rates_there.table.to_dicts() == on_file.table.to_dicts()
        assert rates_there.cohorts().to_dicts() == on_file.cohorts().to_dicts()


def test_day_first_text_dates_on_duckdb_are_refused_then_parsed_in_the_query() -> None:
    """An export with day-first text dates: DuckDB keeps them as text, and the message says how
    to parse them where the data are; parsed in --query, the counts equal the file's."""
    sample = SAMPLES["b2b"]
    flags = ["--segment", "lead_source", "--id", "lead_id", "--window-days", "90",
             "--key", "lead_id", "--format", "csv"]  # fmt: skip
    on_file = cli("rates", str(sample.contacts_path), "--contact-date", "created",
                  "--orders", str(sample.orders_path),
                  "--orders-date", "won_date", *flags)  # fmt: skip
    assert on_file.returncode == 0, on_file.stderr

    refused = cli("rates", str(sample.contacts_path), "--engine", "duckdb",
                  "--contact-date", "created", "--orders-query",
                  f"select * from read_csv('{sample.orders_path}')",
                  "--orders-date", "won_date", *flags)  # fmt: skip
    assert refused.returncode == 2
    assert "'created' in " in refused.stderr and "not a date" in refused.stderr
    assert "strptime" in refused.stderr and "Traceback" not in refused.stderr

    day = "strptime({}, '%d-%m-%Y %H:%M')::date"
    parsed = cli(
        "rates", str(sample.contacts_path), "--engine", "duckdb", "--contact-date", "created_day",
        "--query", f"select *, {day.format('created')} as created_day from contacts",
        "--orders-query",
        f"select lead_id, {day.format('won_date')} as won_day "
        f"from read_csv('{sample.orders_path}')",
        "--orders-date", "won_day", *flags,
    )  # fmt: skip
    assert parsed.returncode == 0, parsed.stderr
    assert parsed.stdout == on_file.stdout
