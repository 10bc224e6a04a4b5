"""Tests for 'copy as Python': the generated code runs and gives the app's table and chart.

The oracle is what the app's Segments page computes for the same view:
``stats.describe(counting.count(contacts, definition, orders).table, bands, sort=...)`` and
``charts.bar_chart`` / ``charts.pie_chart`` on that table.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conversion import api, counting, reading
from conversion.analysis import stats
from conversion.definition import Bands, Definition, OrdersJoin
from conversion.errors import InputError
from conversion.presentation import charts, report
from conversion.reading.samples import SAMPLES, Sample
from conversion.sharing import codegen

ROOT = Path(__file__).resolve().parent.parent


def run(code: str) -> tuple[api.SegmentRates, Any]:
    """Execute the code as a notebook would: every line, then the last one as the cell's value."""
    tree = ast.parse(code)
    last = tree.body.pop()
    assert isinstance(last, ast.Expr), "the code must end with an expression to display"
    namespace: dict[str, Any] = {}
    exec(compile(tree, "<copied code>", "exec"), namespace)
    shown = eval(compile(ast.Expression(last.value), "<copied code>", "eval"), namespace)
    return namespace["result"], shown


def apps_table(
    contacts: Path, definition: Definition, orders: Path | None = None, sort: str = "lower_bound"
) -> tuple[pl.DataFrame, counting.Counts]:
    """The Segments page's table for this view, computed the way the page computes it."""
    counts = counting.count(
        reading.load(contacts), definition, reading.load(orders) if orders is not None else None
    )
    return stats.describe(counts.table, definition.bands, sort=sort), counts  # type: ignore[arg-type]


def apps_bar_chart(described: pl.DataFrame, counts: counting.Counts, bands: Bands) -> Any:
    segments = counts.definition.segments
    return charts.bar_chart(
        report.with_labels(described, segments),
        report.label_column(segments),
        bands,
        counts.customers / max(counts.contacts, 1),
    )


def sample_code(sample: Sample, **options: Any) -> str:
    return codegen.python_code(
        sample.definition,
        file_name=codegen.sample_file(sample.contacts_file),
        orders_file=codegen.sample_file(sample.orders_file) if sample.orders_file else None,
        **options,
    )


@pytest.fixture
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sample paths in the code are relative to the project folder, as in a clone."""
    monkeypatch.chdir(ROOT)


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize("key", list(SAMPLES))
def test_code_for_each_sample_reproduces_the_apps_table_and_chart(key: str) -> None:
    sample = SAMPLES[key]
    code = sample_code(sample)
    assert f'"sample_data/{sample.contacts_file}"' in code
    result, chart = run(code)
    described, counts = apps_table(sample.contacts_path, sample.definition, sample.orders_path)
    assert_frame_equal(result.table, described)
    assert result.warnings == counts.warnings
    assert chart.to_dict() == apps_bar_chart(described, counts, sample.definition.bands).to_dict()


VIEWS: dict[str, tuple[str, Definition, dict[str, Any]]] = {
    "two columns, top 3, sorted by rate": (
        "b2b",
        SAMPLES["b2b"].definition.with_changes(
            segments=("lead_source", "company_size"), top_k=3, as_of=date(2024, 11, 30)
        ),
        {"sort": "rate"},
    ),
    "quarterly buckets, custom bands": (
        "crm",
        SAMPLES["crm"].definition.with_changes(
            segments=("Create Date",),
            date_buckets=(("Create Date", "quarter"),),
            bands=Bands.custom(7, 3),
        ),
        {},
    ),
    "stage column with customer values, e-commerce bands": (
        "crm",
        SAMPLES["crm"].definition.with_changes(
            segments=("Country",),
            converted="Lifecycle Stage",
            customer_values=("customer", "evangelist"),
            bands=Bands.preset("ecommerce"),
        ),
        {"sort": "segment"},
    ),
    "quantile bins": (
        "web",
        SAMPLES["web"].definition.with_changes(
            segments=("traffic_type",), bins=(("traffic_type", 4),)
        ),
        {"sort": "contacts"},
    ),
    "explicit date format": (
        "b2b",
        SAMPLES["b2b"].definition.with_changes(date_format="%d-%m-%Y %H:%M"),
        {},
    ),
}


@pytest.mark.usefixtures("in_project")
@pytest.mark.parametrize("view", list(VIEWS))
def test_code_for_a_changed_view_reproduces_the_apps_table(view: str) -> None:
    key, definition, options = VIEWS[view]
    sample = SAMPLES[key]
    code = codegen.python_code(
        definition,
        file_name=codegen.sample_file(sample.contacts_file),
        orders_file=codegen.sample_file(sample.orders_file) if sample.orders_file else None,
        **options,
    )
    result, chart = run(code)
    described, counts = apps_table(
        sample.contacts_path, definition, sample.orders_path, options.get("sort", "lower_bound")
    )
    assert_frame_equal(result.table, described)
    assert result.definition == definition
    assert chart.to_dict() == apps_bar_chart(described, counts, definition.bands).to_dict()


@pytest.mark.usefixtures("in_project")
def test_pie_and_trend_charts() -> None:
    sample = SAMPLES["newsletter"]
    code = sample_code(sample, chart="pie", share="contacts", donut=False)
    assert code.endswith('result.pie_chart(share="contacts", donut=False)\n')
    result, pie = run(code)
    labelled = report.with_labels(result.table, ["source"])
    assert pie.to_dict() == charts.pie_chart(labelled, "source", "contacts", donut=False).to_dict()

    code = sample_code(sample, chart="trend", period="quarter", by="source")
    assert code.endswith('result.trend_chart("quarter", by="source")\n')
    result, trend = run(code)
    table, _ = counting.cohorts(
        reading.load(sample.contacts_path), sample.definition, period="quarter"
    )
    expected = charts.trend_chart(
        report.cohort_rates(table), Bands(), segment="source", period="quarter"
    )
    assert trend.to_dict() == expected.to_dict()

    code = sample_code(sample, chart="none")
    assert code.endswith("\nresult\n")
    result, shown = run(code)
    assert shown is result
    with pytest.raises(InputError, match="Unknown chart"):
        sample_code(sample, chart="heatmap")  # type: ignore[arg-type]


def test_upload_gets_a_placeholder_that_runs_once_replaced(tmp_path: Path) -> None:
    definition = Definition(segments=("plan",), converted="paid")
    code = codegen.python_code(
        definition, file_name=codegen.placeholder("Q3 leads.xlsx"), sheet="Leads"
    )
    assert '"path/to/Q3 leads.xlsx"' in code
    assert "# Replace the path with the file's location on your machine." in code
    assert 'sheet="Leads",' in code
    path = tmp_path / "Q3 leads.xlsx"
    frame = pl.DataFrame({"plan": ["A", "A", "B"], "paid": ["yes", "no", "no"]})
    import xlsxwriter

    with xlsxwriter.Workbook(path) as workbook:
        frame.head(1).write_excel(workbook, worksheet="Cover")
        frame.write_excel(workbook, worksheet="Leads")
    result, _ = run(code.replace("path/to/Q3 leads.xlsx", str(path)))
    assert sorted(result.table.select("plan", "contacts", "customers").rows()) == [
        ("A", 2, 1),
        ("B", 1, 0),
    ]


def test_placeholders() -> None:
    assert codegen.placeholder("C:\\Users\\ana\\leads.csv") == "path/to/leads.csv"
    assert codegen.placeholder("") == "path/to/your_file.csv"
    definition = Definition(segments=("s",), id="id", orders=OrdersJoin("id"))
    code = codegen.python_code(definition, file_name=codegen.placeholder("leads.csv"))
    assert 'orders="path/to/your_orders.csv",' in code


HOSTILE = 'he said "hi"\nit\'s \\ """); import os; os.remove("x") #'


def test_hostile_names_stay_data(tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    pl.DataFrame({HOSTILE: ["a", "b", "a"], "won": ["yes", "no", "no"]}).write_csv(path)
    definition = Definition(segments=(HOSTILE,), converted="won", customer_values=("yes", HOSTILE))
    code = codegen.python_code(definition, file_name=str(path), sheet=HOSTILE)
    call = ast.parse(code).body[1].value  # type: ignore[attr-defined]
    assert isinstance(call, ast.Call)
    values = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert values["segment"] == HOSTILE
    assert values["customer_values"] == ["yes", HOSTILE]
    assert values["sheet"] == HOSTILE
    assert [ast.literal_eval(a) for a in call.args] == [str(path)]
    runnable = codegen.python_code(definition, file_name=str(path))
    result, _ = run(runnable)
    described, _ = apps_table(path, definition)
    assert_frame_equal(result.table, described)


def test_every_definition_field_survives_the_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    """The code's arguments rebuild the very same Definition (no data needed)."""
    everything = Definition(
        segments=("region", "signup_date", "age"),
        converted="stage",
        customer_values=("customer", "won"),
        converted_date="bought",
        id="contact id",
        contact_date="signup_date",
        window_days=45,
        as_of=date(2025, 6, 30),
        orders=OrdersJoin("email", orders_key="buyer_email", orders_date="ordered"),
        top_k=7,
        bins=(("age", 5),),
        date_buckets=(("signup_date", "week"),),
        date_format="%d/%m/%Y",
        bands=Bands.custom(12.5, 0.7),
    )
    aggregated = Definition(
        segments=("channel",), contacts_column="n", customers_column="won", top_k=2
    )
    seen: list[Definition] = []

    class Stop(Exception):
        pass

    def capture(contacts: object, definition: Definition, orders: object = None) -> None:
        seen.append(definition)
        raise Stop

    empty = reading.Table(pl.LazyFrame(), name="x.csv", format="csv")
    monkeypatch.setattr(api.reading, "from_data", lambda *args, **kwargs: empty)
    monkeypatch.setattr(api.counting, "count", capture)
    for definition in (everything, aggregated):
        code = codegen.python_code(definition, file_name="path/to/x.csv", orders_file="o.csv")
        with pytest.raises(Stop):
            run(code)
        assert seen[-1] == definition


def test_defaults_are_left_out() -> None:
    code = codegen.python_code(Definition(segments=("s",), converted="c"), file_name="f.csv")
    call = ast.parse(code).body[1].value  # type: ignore[attr-defined]
    assert [k.arg for k in call.keywords] == ["segment", "converted"]
    assert "#" not in code  # no placeholder note for a real path


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff is not installed")
@pytest.mark.parametrize("key", list(SAMPLES))
def test_code_is_formatted_as_ruff_would(key: str) -> None:
    code = sample_code(SAMPLES[key], bands=Bands.custom(22.5, 8))
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", "cell.py", "-"],
        input=code,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    assert formatted == code
