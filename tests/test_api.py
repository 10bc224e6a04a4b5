"""Tests for the notebook API, ``conversion.by_segment`` and its ``SegmentRates`` result.

Expected numbers come from hand counts of small frames built here, or from the command line
run on the same file with the same definition (the API must give the CLI's table); the
engine's own functions are the oracle only for the wiring (charts, comparison, cohorts).
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

import conversion
from conversion import api, cli, counting, reading
from conversion.analysis import stats
from conversion.definition import Bands, Definition, OrdersJoin
from conversion.errors import InputError
from conversion.presentation import charts, report

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
NEWSLETTER = SAMPLES / "newsletter_signups.csv"
LEADS = SAMPLES / "b2b_leads.csv"
DEALS = SAMPLES / "b2b_won_deals.csv"

NEWSLETTER_ARGS: dict[str, Any] = {
    "segment": "source",
    "id": "contact_id",
    "contact_date": "signup_date",
    "converted_date": "first_purchase_date",
    "window_days": 90,
}
LEADS_ARGS: dict[str, Any] = {
    "segment": "lead_source",
    "id": "lead_id",
    "contact_date": "created",
    "window_days": 90,
    "key": "lead_id",
    "orders_date": "won_date",
}


def as_text_frame(path: Path) -> pl.DataFrame:
    """The file as an in-memory frame of text, the way a notebook user might have read it."""
    return pl.read_csv(path, infer_schema=False)


def input_forms(path: Path) -> dict[str, object]:
    """The same table in every form ``by_segment`` accepts."""
    frame = as_text_frame(path)
    return {
        "str": str(path),
        "Path": path,
        "polars DataFrame": frame,
        "polars LazyFrame": frame.lazy(),
        "pandas DataFrame": frame.to_pandas(),
        "pyarrow Table": frame.to_arrow(),
    }


def rule_values(chart: Any, field: str) -> list[float]:
    return [
        row[field]
        for layer in chart.to_dict()["layer"]
        if (layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]) == "rule"
        for row in layer["data"]["values"]
        if field in row
    ]


# ---------------------------------------------------------------------------------------------
# Every accepted input gives the same table


@pytest.mark.parametrize("form", list(input_forms(NEWSLETTER)))
def test_every_input_type_gives_the_same_table(form: str) -> None:
    expected = conversion.by_segment(str(NEWSLETTER), **NEWSLETTER_ARGS)
    result = conversion.by_segment(input_forms(NEWSLETTER)[form], **NEWSLETTER_ARGS)
    assert_frame_equal(result.table, expected.table)
    assert result.overall == expected.overall
    assert result.warnings == expected.warnings
    assert result.quality == expected.quality


@pytest.mark.parametrize("form", list(input_forms(DEALS)))
def test_every_orders_input_type_gives_the_same_table(form: str) -> None:
    expected = conversion.by_segment(LEADS, orders=DEALS, **LEADS_ARGS)
    contacts = input_forms(LEADS)[form]
    result = conversion.by_segment(contacts, orders=input_forms(DEALS)[form], **LEADS_ARGS)
    assert_frame_equal(result.table, expected.table)
    assert result.warnings == expected.warnings


def test_arrow_record_batch_is_accepted() -> None:
    frame = as_text_frame(NEWSLETTER)
    batch = frame.to_arrow().to_batches()[0]
    assert isinstance(batch, pa.RecordBatch)
    result = conversion.by_segment(
        pa.Table.from_batches(frame.to_arrow().to_batches()), **NEWSLETTER_ARGS
    )
    assert (
        result.overall.contacts == conversion.by_segment(frame, **NEWSLETTER_ARGS).overall.contacts
    )


def test_the_input_frame_is_not_modified() -> None:
    frame = as_text_frame(NEWSLETTER)
    pandas_frame = frame.to_pandas()
    before = pandas_frame.copy()
    conversion.by_segment(frame, **NEWSLETTER_ARGS)
    conversion.by_segment(pandas_frame, **NEWSLETTER_ARGS)
    assert_frame_equal(frame, as_text_frame(NEWSLETTER))
    pd.testing.assert_frame_equal(pandas_frame, before)


def test_excel_sheet_is_chosen_by_name(tmp_path: Path) -> None:
    path = tmp_path / "leads.xlsx"
    first = pl.DataFrame({"plan": ["A"], "paid": ["no"]})
    second = pl.DataFrame({"plan": ["A", "A", "B", "B"], "paid": ["yes", "no", "yes", "yes"]})
    import xlsxwriter

    with xlsxwriter.Workbook(path) as workbook:
        first.write_excel(workbook, worksheet="Notes")
        second.write_excel(workbook, worksheet="Leads")
    result = conversion.by_segment(path, "plan", converted="paid", sheet="Leads")
    assert sorted(result.table.select("plan", "contacts", "customers").rows()) == [
        ("A", 2, 1),
        ("B", 2, 2),
    ]
    with pytest.raises(InputError, match="no sheet named"):
        conversion.by_segment(path, "plan", converted="paid", sheet="Missing")


# ---------------------------------------------------------------------------------------------
# Hand counts


def test_hand_count_with_ids_and_a_window() -> None:
    signups = pl.DataFrame(
        {
            "id": ["1", "1", "2", "3", "4", "5"],
            "source": ["Ads", "Ads", "Ads", "Web", "Web", "Web"],
            "signed_up": [
                "2025-01-01",
                "2025-01-01",
                "2025-01-02",
                "2025-01-03",
                "2025-01-04",
                "2025-03-25",
            ],
            "bought": ["2025-01-10", None, "2025-03-01", "2025-01-03", None, "2025-03-26"],
        }
    )
    result = conversion.by_segment(
        signups,
        "source",
        id="id",
        contact_date="signed_up",
        converted_date="bought",
        window_days=30,
        as_of=date(2025, 3, 31),
    )
    # Ads: contact 1 bought within 9 days, contact 2 after 58 days. Web: contact 3 the same day,
    # contact 4 never, contact 5 immature (25 March + 30 days is after 31 March).
    assert sorted(result.table.select("source", "contacts", "customers").rows()) == [
        ("Ads", 2, 1),
        ("Web", 2, 1),
    ]
    assert (result.overall.contacts, result.overall.customers) == (4, 2)
    assert result.quality.immature == 1
    assert result.quality.duplicate_rows == 1
    assert any("not had the full 30-day window" in w for w in result.warnings)


def test_two_segment_columns_and_customer_values() -> None:
    frame = pd.DataFrame(
        {
            "channel": ["Ads", "Ads", "Web", "Web", "Web"],
            "size": ["SMB", "SMB", "SMB", "ENT", "ENT"],
            "stage": ["customer", "lead", "evangelist", "lead", "customer"],
        }
    )
    result = conversion.by_segment(
        frame, ["channel", "size"], converted="stage", customer_values="customer, evangelist"
    )
    assert sorted(result.table.select("channel", "size", "contacts", "customers").rows()) == [
        ("Ads", "SMB", 2, 1),
        ("Web", "ENT", 2, 1),
        ("Web", "SMB", 1, 1),
    ]
    assert result.segments == ("channel", "size")
    comparison = result.compare("Web · SMB", "Ads · SMB")
    assert comparison.diff == pytest.approx(0.5)


def test_pre_aggregated_counts() -> None:
    frame = pl.DataFrame({"channel": ["Email", "Ads"], "n": [100, 50], "won": [20, 5]})
    result = conversion.by_segment(frame, "channel", contacts="n", customers="won")
    assert result.table.select("channel", "contacts", "customers").rows() == [
        ("Email", 100, 20),
        ("Ads", 50, 5),
    ]
    with pytest.raises(InputError, match="pre-aggregated"):
        result.cohorts()


# ---------------------------------------------------------------------------------------------
# The same definition as the command line


CLI_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "newsletter_signups.csv",
        {**NEWSLETTER_ARGS, "as_of": "2025-09-30", "sort": "rate"},
        [
            "--segment", "source", "--id", "contact_id", "--contact-date", "signup_date",
            "--converted-date", "first_purchase_date", "--window-days", "90",
            "--as-of", "2025-09-30", "--sort", "rate",
        ],
    ),
    (
        "b2b_leads.csv",
        {**LEADS_ARGS, "segment": ["lead_source", "company_size"], "orders": DEALS, "top": 3},
        [
            "--segment", "lead_source", "--segment", "company_size", "--id", "lead_id",
            "--contact-date", "created", "--window-days", "90", "--orders", str(DEALS),
            "--key", "lead_id", "--orders-date", "won_date", "--top", "3",
        ],
    ),
    (
        "crm_contacts_export.csv",
        {
            "segment": "Create Date", "converted": "Converted", "id": "Record ID",
            "buckets": {"Create Date": "quarter"}, "bands": "ecommerce", "adjust": "holm",
        },
        [
            "--segment", "Create Date", "--converted", "Converted", "--id", "Record ID",
            "--bucket", "Create Date=quarter", "--bands", "ecommerce", "--adjust", "holm",
        ],
    ),
    (
        "web_sessions.csv",
        {
            "segment": "traffic_type", "converted": "revenue", "bins": {"traffic_type": 3},
            "bands": (7.5, 2.5),
        },
        [
            "--segment", "traffic_type", "--converted", "revenue", "--bin", "traffic_type=3",
            "--strong", "7.5", "--moderate", "2.5",
        ],
    ),
    (
        "campaign_summary.csv",
        {"segment": "channel", "contacts": "contacts", "customers": "customers"},
        ["--segment", "channel", "--contacts", "contacts", "--customers", "customers"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("file", "arguments", "flags"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_same_table_as_the_command_line(
    file: str, arguments: dict[str, Any], flags: list[str], tmp_path: Path
) -> None:
    output = tmp_path / "out.csv"
    status = cli.main(["rates", str(SAMPLES / file), *flags, "--output", str(output)])
    assert status == 0
    result = conversion.by_segment(SAMPLES / file, **arguments)
    exported = report.export_table(result.table, result.segments).write_csv()
    assert exported == output.read_text(encoding="utf-8")


def test_same_definition_as_the_command_line() -> None:
    args = cli.build_parser().parse_args(
        ["rates", str(LEADS), "--segment", "lead_source", "--id", "lead_id",
         "--contact-date", "created", "--window-days", "90", "--orders", str(DEALS),
         "--key", "lead_id", "--orders-date", "won_date", "--strong", "30", "--moderate", "15"]
    )  # fmt: skip
    result = conversion.by_segment(LEADS, orders=DEALS, bands=(30, 15), **LEADS_ARGS)
    assert result.definition == cli.definition_from_args(args)


def test_table_is_the_engines_table() -> None:
    definition = Definition(
        segments=("source",),
        id="contact_id",
        contact_date="signup_date",
        converted_date="first_purchase_date",
        window_days=90,
    )
    counts = counting.count(reading.load(NEWSLETTER), definition)
    result = conversion.by_segment(NEWSLETTER, **NEWSLETTER_ARGS)
    assert_frame_equal(result.table, stats.describe(counts.table, definition.bands))
    assert_frame_equal(result.counts, counts.table)
    assert result.overall == stats.overall(counts.table)
    assert result.warnings == counts.warnings


# ---------------------------------------------------------------------------------------------
# Arguments


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        ("default", Bands()),
        ("ecommerce", Bands.preset("ecommerce")),
        ((25, 12), Bands.custom(25, 12)),
        ([25.0, 12.5], Bands.custom(25, 12.5)),
        (Bands(strong=0.3, moderate=0.05), Bands(strong=0.3, moderate=0.05)),
    ],
)
def test_bands_forms(bands: object, expected: Bands) -> None:
    result = conversion.by_segment(NEWSLETTER, bands=bands, **NEWSLETTER_ARGS)
    assert result.bands == expected
    assert set(result.table["band"].to_list()) <= set(expected.labels)
    assert rule_values(result.bar_chart(), "threshold") == [expected.strong, expected.moderate]


@pytest.mark.parametrize("as_of", ["2025-09-30", date(2025, 9, 30), datetime(2025, 9, 30, 17, 5)])
def test_as_of_forms(as_of: object) -> None:
    result = conversion.by_segment(NEWSLETTER, as_of=as_of, **NEWSLETTER_ARGS)
    assert result.quality.as_of == date(2025, 9, 30)
    assert result.definition.as_of == date(2025, 9, 30)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"as_of": "30/09/2025"}, "as_of must be a date"),
        ({"window_days": "90"}, "window_days must be a whole number"),
        ({"window_days": -1}, "0 days or more"),
        ({"top": 0}, "Top K must be at least 1"),
        ({"bins": {"source": 1}}, "2 or more"),
        ({"buckets": {"signup_date": "day"}}, "week, month, quarter or year"),
        ({"bands": "generous"}, "Unknown band preset"),
        ({"bands": (10, 20)}, "moderate ≤ strong"),
        ({"bands": 20}, "bands must be a preset name"),
        ({"sort": "alphabetical"}, "Unknown sort"),
        ({"adjust": "bonferroni"}, "Unknown p-value adjustment"),
        ({"key": "contact_id"}, "orders= and key= go together"),
        ({"orders_date": "date"}, "add orders= and key="),
        ({"segment": "Source"}, "no column 'Source'"),
    ],
)
def test_bad_arguments_raise_input_error(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        conversion.by_segment(NEWSLETTER, **{**NEWSLETTER_ARGS, **arguments})


def test_bad_inputs_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be a file path, a polars DataFrame"):
        conversion.by_segment([{"source": "Ads"}], "source", converted="won")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="apply to files only"):
        conversion.by_segment(as_text_frame(NEWSLETTER), sheet="Sheet1", **NEWSLETTER_ARGS)
    with pytest.raises(InputError, match="was not found"):
        conversion.by_segment(tmp_path / "missing.csv", **NEWSLETTER_ARGS)
    with pytest.raises(InputError, match="no column"):
        conversion.by_segment(pl.DataFrame(), "source", converted="won")
    with pytest.raises(InputError, match="the orders table has no column 'lead_id'"):
        conversion.by_segment(
            LEADS, "lead_source", orders=pl.DataFrame({"id": ["L-1"]}), key="lead_id"
        )


def test_the_error_names_the_file() -> None:
    with pytest.raises(InputError, match=re.escape("newsletter_signups.csv has no column 'nope'")):
        conversion.by_segment(NEWSLETTER, "nope", converted="x")


# ---------------------------------------------------------------------------------------------
# The result


@pytest.fixture(scope="module")
def newsletter() -> api.SegmentRates:
    return conversion.by_segment(NEWSLETTER, **NEWSLETTER_ARGS)


def test_to_pandas(newsletter: api.SegmentRates) -> None:
    frame = newsletter.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == newsletter.table.columns
    assert frame["contacts"].tolist() == newsletter.table["contacts"].to_list()


def test_bar_chart_is_the_apps_chart(newsletter: api.SegmentRates) -> None:
    labelled = report.with_labels(newsletter.table, newsletter.segments)
    expected = charts.bar_chart(
        labelled, "source", Bands(), newsletter.overall.customers / newsletter.overall.contacts
    )
    assert newsletter.bar_chart().to_dict() == expected.to_dict()
    assert rule_values(newsletter.bar_chart(), "threshold") == [0.20, 0.10]
    assert rule_values(newsletter.bar_chart(), "overall") == [pytest.approx(381 / 3123)]
    assert newsletter.bar_chart(title="Sign-ups").to_dict()["title"] == "Sign-ups"


def test_pie_chart(newsletter: api.SegmentRates) -> None:
    spec = newsletter.pie_chart("contacts", donut=False).to_dict()
    assert spec["layer"][0]["encoding"]["theta"]["field"] == "contacts"
    assert "innerRadius" not in spec["layer"][0]["mark"]
    assert newsletter.pie_chart().to_dict()["layer"][0]["mark"]["innerRadius"] == 60


def test_compare_is_the_apps_comparison(newsletter: api.SegmentRates) -> None:
    comparison = newsletter.compare("Referral", "Paid social")
    counts = counting.count(reading.load(NEWSLETTER), newsletter.definition).table
    assert comparison == report.compare(counts, ["source"], "Referral", "Paid social")
    assert comparison.a.customers == 105 and comparison.a.contacts == 392
    assert "Referral converts better than Paid social" in comparison.verdict
    with pytest.raises(InputError, match="no segment 'Nowhere'"):
        newsletter.compare("Referral", "Nowhere")


def test_cohorts_and_trend_chart(newsletter: api.SegmentRates) -> None:
    overall = newsletter.cohorts()
    assert overall.columns == [
        "cohort", "contacts", "customers", "immature", "mature", "rate", "ci_low", "ci_high",
    ]  # fmt: skip
    assert overall["cohort"].to_list()[0] == date(2025, 1, 1)
    # Every contact counted in the rates sits in a cohort; the immature ones are left out.
    assert overall["contacts"].sum() == newsletter.overall.contacts
    # Cohorts with no mature contact at all have no rate and are left out of the trend.
    assert 0 < overall["immature"].sum() <= newsletter.quality.immature
    assert overall["mature"].to_list()[-1] is False
    per_source = newsletter.cohorts("quarter", by="source")
    assert "source" in per_source.columns
    assert per_source["contacts"].sum() == newsletter.overall.contacts
    spec = newsletter.trend_chart(by="source").to_dict()
    assert rule_values_of(spec, "threshold") == [0.20, 0.10]
    with pytest.raises(InputError, match="Unknown period"):
        newsletter.cohorts("day")  # type: ignore[arg-type]


def rule_values_of(spec: dict[str, Any], field: str) -> list[float]:
    return [
        row[field]
        for layer in spec["layer"]
        if isinstance(layer.get("mark"), dict | str)
        and (layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]) == "rule"
        for row in layer.get("data", {}).get("values", [])
        if field in row
    ]


def test_text_markdown_and_html_displays(newsletter: api.SegmentRates) -> None:
    text = repr(newsletter)
    assert text.startswith("SegmentRates(Overall: 381 customers / 3,123 contacts = 12.2%")
    assert "Referral | 392 | 105 | 26.8%" in text
    markdown = newsletter._repr_markdown_()
    assert "| source | Contacts | Customers | Rate |" in markdown
    assert "| Referral | 392 | 105 | 26.8% | 22.6% – 31.4% | strong |" in markdown
    assert markdown.count("\n- ") == len(newsletter.warnings)
    page = newsletter._repr_html_()
    assert "<td>Referral</td><td>392</td><td>105</td><td>26.8%</td>" in page
    assert page.count("<li>") == len(newsletter.warnings)


def test_display_is_capped_but_the_table_is_whole() -> None:
    frame = pl.DataFrame({"n": [str(i) for i in range(120)] * 2, "won": ["y", "n"] * 120})
    result = conversion.by_segment(frame, "n", converted="won")
    assert result.table.height == 120
    assert result._repr_html_().count("<tr>") == api.DISPLAY_ROWS + 1
    assert "70 more rows" in result._repr_markdown_()


HOSTILE_VALUE = '<script>alert("x")</script> & <b>bold</b> | *em* $x$'
HOSTILE_COLUMN = "<img src=x onerror=alert(1)>"


def test_html_display_escapes_every_user_string() -> None:
    frame = pl.DataFrame(
        {
            HOSTILE_COLUMN: [HOSTILE_VALUE] * 3 + ["plain"] * 3,
            "<i>id</i>": ["1", None, "2", "3", "4", "5"],
            "won": ["yes", "no", "no", "yes", "yes", "no"],
        }
    )
    result = conversion.by_segment(frame, HOSTILE_COLUMN, converted="won", id="<i>id</i>")
    assert any("<i>id</i>" in warning for warning in result.warnings)
    page = result._repr_html_()
    for raw in ("<script", "<img", "<b>", "<i>"):
        assert raw not in page
    assert html.escape(HOSTILE_VALUE) in page
    assert html.escape(HOSTILE_COLUMN) in page
    assert html.escape("<i>id</i>") in page
    # Only the display's own tags remain.
    tags = set(re.findall(r"</?([^\s>/]+)", page))
    allowed = {"div", "p", "strong", "small", "table", "thead", "tbody", "tr", "th", "td"}
    assert tags <= allowed | {"details", "summary", "ul", "li"}


def test_markdown_display_escapes_every_user_string() -> None:
    frame = pl.DataFrame({"seg": [HOSTILE_VALUE, "plain"], "won": ["yes", "no"]})
    markdown = conversion.by_segment(frame, "seg", converted="won")._repr_markdown_()
    assert "<script" not in markdown and "<b>" not in markdown
    assert "&lt;script&gt;" in markdown
    assert r"\| \*em\* \$x\$" in markdown
    column = "**Lead** [Source](javascript:alert(1))"
    frame = pl.DataFrame({column: ["Ads", "Web"], "won": ["yes", "no"]})
    linked = conversion.by_segment(frame, column, converted="won")._repr_markdown_()
    assert r"\*\*Lead\*\* \[Source\](javascript:alert(1))" in linked
    row = next(line for line in markdown.splitlines() if "script" in line)
    assert row.count(" | ") == 9  # ten cells: the value's own pipe is escaped
    assert row.count("\\|") == 1


# ---------------------------------------------------------------------------------------------
# The package's public face


def test_public_api() -> None:
    assert set(conversion.__all__) == {
        "by_segment", "SegmentRates", "Definition", "Bands", "OrdersJoin", "InputError",
        "funnel",
    }  # fmt: skip
    assert conversion.by_segment is api.by_segment
    assert conversion.funnel is api.funnel
    assert conversion.SegmentRates is api.SegmentRates
    assert conversion.OrdersJoin is OrdersJoin
    namespace: dict[str, object] = {}
    exec("from conversion import *", namespace)
    assert set(conversion.__all__) <= set(namespace)
    with pytest.raises(AttributeError):
        _ = conversion.no_such_name  # type: ignore[attr-defined]


def test_package_is_typed() -> None:
    assert (ROOT / "conversion" / "py.typed").is_file()
    assert "py.typed" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_every_public_callable_has_a_numpydoc_docstring_with_an_example() -> None:
    for obj in (conversion.by_segment, conversion.SegmentRates):
        doc = obj.__doc__ or ""
        assert "Examples\n    --------" in doc and ">>> " in doc, obj
    assert "Parameters\n    ----------" in (conversion.by_segment.__doc__ or "")
