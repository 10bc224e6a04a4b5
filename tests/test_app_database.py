"""The Data page's "Connect to a database": counted where the data are, shown like a file.

The expected numbers are hand counts of the CRM-style table of ``test_app`` (Webinar 12/40,
Ads 3/60, Referral 10/25), put in a DuckDB file and in PostgreSQL.
"""

from __future__ import annotations

import csv
import io as stdio
from pathlib import Path

import duckdb
import polars as pl
import pytest
from engines import write_postgres
from streamlit.testing.v1 import AppTest
from test_app import crm_export, metric

ROOT = Path(__file__).resolve().parent.parent


def crm_frame() -> pl.DataFrame:
    rows = list(csv.DictReader(stdio.StringIO(crm_export().decode("utf-8-sig"))))
    return pl.DataFrame(rows)


def duckdb_file(tmp_path: Path) -> str:
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.register("rows", crm_frame().to_arrow())
        connection.execute("create table contacts as select * from rows")
    return f"duckdb:///{path}"


def app_with(connections: dict) -> AppTest:
    """The Data page's database option, opened from this machine (see ui.access)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["connections"] = connections
    at.context = {"url": "http://localhost:8501/"}
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Connect to a database").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def count_in_database(at: AppTest, table: str = "contacts") -> AppTest:
    at.selectbox(key="db_table").set_value(table).run()
    at.button(key="db_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def check_hand_counts(at: AppTest) -> None:
    at.switch_page("pages/segments.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert metric(at, "Contacts") == "125"
    assert metric(at, "Overall rate") == "20.0%"
    table = at.dataframe[0].value.set_index("Lead Source")
    assert table.loc["Webinar", "Rate %"] == pytest.approx(30.0)
    assert table.loc["Ads", "Rate %"] == pytest.approx(5.0)
    assert table.loc["Referral", "Rate %"] == pytest.approx(40.0)


def test_a_duckdb_table_is_counted_in_place_with_hand_counted_rates(tmp_path: Path) -> None:
    at = app_with({"crm": {"url": duckdb_file(tmp_path), "tables": ["contacts"]}})
    at = count_in_database(at)
    data = at.session_state["dataset"]
    assert data.remote is not None and data.remote.engine == "duckdb"
    assert metric(at, "Rows") == "125"  # the validation summary counts the whole table
    check_hand_counts(at)


def test_a_postgres_table_is_counted_in_place(postgres) -> None:
    write_postgres(postgres, crm_frame(), "app_contacts")
    at = app_with({"warehouse": {"url": postgres.address, "tables": ["app_contacts"]}})
    check_hand_counts(count_in_database(at, "app_contacts"))


def test_without_connections_the_page_explains_the_secrets_file() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="source_kind").set_value("Connect to a database").run()
    assert not at.exception
    assert any("secrets.toml" in i.value for i in at.info)
    assert any("[connections.crm]" in c.value for c in at.code)


def test_queries_are_offered_only_when_the_operator_allows_them(tmp_path: Path) -> None:
    url = duckdb_file(tmp_path)
    at = app_with({"crm": {"url": url, "tables": ["contacts"]}})
    assert at.radio(key="db_kind").options == ["Table"]
    at = app_with({"crm": {"url": url, "tables": ["contacts"], "allow_queries": True}})
    at.radio(key="db_kind").set_value("SQL query").run()
    at.text_area(key="db_query").input("select * from contacts where \"Lead Source\" <> 'Ads'")
    at.button(key="db_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.switch_page("pages/segments.py").run()
    assert metric(at, "Contacts") == "65"


def test_a_database_that_cannot_be_reached_gives_a_message(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.duckdb"
    at = app_with({"crm": {"url": f"duckdb:///{missing}", "tables": ["contacts"]}})
    assert not at.exception
    assert at.error and "Could not connect to duckdb:///" in at.error[0].value.replace("\\", "")
    assert not at.button  # nothing to count until the connection works


def test_copy_as_python_opens_the_same_table_and_gives_the_same_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = duckdb_file(tmp_path)
    at = count_in_database(app_with({"crm": {"url": url, "tables": ["contacts"]}}))
    at.switch_page("pages/segments.py").run()
    code = next(c.value for c in at.code if "sources.open_remote" in c.value)
    assert 'resolve_address("secrets:crm")' in code and 'table="contacts"' in code
    # Run it the way an analyst would: in a folder whose secrets file names the same database.
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        f'[connections.crm]\nurl = "{url}"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "copied.py", "exec"), namespace)  # the app's own generated code
    table = namespace["result"].table.to_pandas().set_index("Lead Source")
    assert table.loc["Webinar", "contacts"] == 40 and table.loc["Webinar", "customers"] == 12
    assert namespace["result"].overall.contacts == 125


def test_trends_run_in_the_database_and_say_what_needs_a_file(tmp_path: Path) -> None:
    from test_engines import typed

    from conversion import counting, reading
    from conversion.reading.samples import SAMPLES

    sample = SAMPLES["newsletter"]
    d = sample.definition
    path = tmp_path / "newsletter.duckdb"
    with duckdb.connect(str(path)) as connection:
        rows = typed(reading.load(sample.contacts_path), [d.contact_date, d.converted_date])
        connection.register("rows", rows.to_arrow())
        connection.execute("create table signups as select * from rows")
    at = count_in_database(
        app_with({"crm": {"url": f"duckdb:///{path}", "tables": ["signups"]}}), "signups"
    )
    # The roles the app suggests from the first rows are the sample's own.
    definition = at.session_state["definition"]
    assert (definition.id, definition.contact_date) == ("contact_id", "signup_date")
    at.switch_page("pages/trends.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.get("segmented_control")[0].options == ["month", "quarter"]
    cohort_table = at.dataframe[0].value
    overall = definition.with_changes(segments=())  # the page's default lines: Overall
    want, _ = counting.cohorts(reading.load(sample.contacts_path), overall, period="month")
    assert cohort_table["contacts"].tolist() == want["contacts"].to_list()
    assert cohort_table["customers"].tolist() == want["customers"].to_list()
    assert any("works on files only" in i.value for i in at.info)


def test_typed_queries_on_postgres_warn_about_a_writing_role_and_refuse_writes(postgres) -> None:
    write_postgres(postgres, crm_frame(), "app_contacts")
    section = {"url": postgres.address, "tables": ["app_contacts"], "allow_queries": True}
    at = app_with({"warehouse": section})
    warnings = [w.value for w in at.warning]
    assert any("is a superuser" in w for w in warnings), warnings

    before = postgres.sql("select count(*) from app_contacts")
    at.radio(key="db_kind").set_value("SQL query").run()
    at.text_area(key="db_query").input("select * from app_contacts, lo_import('/etc/hostname')")
    at.button(key="db_go").click().run()
    assert not at.exception
    assert any("lo_import" in e.value.replace("\\", "") for e in at.error), [
        e.value for e in at.error
    ]
    assert postgres.sql("select count(*) from app_contacts") == before

    # A role that can only read: no warning, and its typed query counts.
    if postgres.sql("select 1 from pg_roles where rolname = 'app_reader'"):
        postgres.sql("drop owned by app_reader cascade")
    postgres.sql("drop role if exists app_reader")
    postgres.sql("create role app_reader login")
    postgres.sql("grant select on app_contacts to app_reader")
    reader = {**section, "url": postgres.address.replace("postgres@", "app_reader@")}
    at = app_with({"reader": reader})
    assert not any("superuser" in w.value or "may write" in w.value for w in at.warning)
    at.radio(key="db_kind").set_value("SQL query").run()
    at.text_area(key="db_query").input("select * from app_contacts")
    at.button(key="db_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    check_hand_counts(at)
