"""Tests for conversion.export: every file is opened again and its content checked."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser

import altair as alt
import polars as pl
import pytest

from conversion.analysis import stats
from conversion.counting import Counts, Quality
from conversion.definition import Bands, Definition
from conversion.presentation import charts, export, output, report

SEGMENTS = ["source"]
HAND_COUNTS = {"Organic": (120, 800), "Paid": (45, 500), "Referral": (30, 120)}
# customers / contacts × 100, worked out by hand: 120/800, 45/500, 30/120.
HAND_RATES = {"Organic": 15.0, "Paid": 9.0, "Referral": 25.0}
HAND_BANDS = {"Organic": "moderate", "Paid": "poor", "Referral": "strong"}
SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def hand_table(counts: dict[str, tuple[int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": list(counts),
            "contacts": [contacts for _, contacts in counts.values()],
            "customers": [customers for customers, _ in counts.values()],
        }
    )


def wilson(customers: int, contacts: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval from its textbook formula, in percent."""
    p = customers / contacts
    centre = p + z * z / (2 * contacts)
    spread = z * math.sqrt(p * (1 - p) / contacts + z * z / (4 * contacts * contacts))
    denominator = 1 + z * z / contacts
    return 100 * (centre - spread) / denominator, 100 * (centre + spread) / denominator


@pytest.fixture
def described() -> pl.DataFrame:
    return stats.describe(hand_table(HAND_COUNTS))


def make_counts(table: pl.DataFrame, definition: Definition, warnings=()) -> Counts:
    contacts = int(table["contacts"].sum())
    quality = Quality(
        rows=contacts + 30, contacts=contacts, counted=contacts, as_of=definition.as_of
    )
    return Counts(table, quality, tuple(warnings), definition, pl.DataFrame())


def bar(described: pl.DataFrame) -> alt.LayerChart:
    labelled = report.with_labels(described, SEGMENTS)
    return charts.bar_chart(labelled, "source", Bands(), overall_rate=195 / 1420)


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_reads_back_with_the_hand_counted_rates(described):
    data = export.table_csv(described, SEGMENTS)
    data.decode("utf-8")  # strict UTF-8
    table = pl.read_csv(io.BytesIO(data))
    assert table.columns == report.export_table(described, SEGMENTS).columns
    rows = {row["source"]: row for row in table.iter_rows(named=True)}
    assert set(rows) == set(HAND_COUNTS)
    for source, (customers, contacts) in HAND_COUNTS.items():
        row = rows[source]
        assert (row["customers"], row["contacts"]) == (customers, contacts)
        assert row["rate_pct"] == pytest.approx(HAND_RATES[source])
        low, high = wilson(customers, contacts)
        assert row["ci_low_pct"] == pytest.approx(low)
        assert row["ci_high_pct"] == pytest.approx(high)
        assert row["band"] == HAND_BANDS[source]
    # Referral against the other 1,300 contacts: 25 % vs 165/1300 = 12.69 %.
    assert rows["Referral"]["rest_rate_pct"] == pytest.approx(100 * 165 / 1300)
    assert rows["Referral"]["diff_pp"] == pytest.approx(25.0 - 100 * 165 / 1300)


def test_csv_keeps_unicode_segment_names():
    table = stats.describe(hand_table({"Café crème": (10, 40), "東京": (5, 50)}))
    back = pl.read_csv(io.BytesIO(export.table_csv(table, SEGMENTS)))
    assert sorted(back["source"].to_list()) == sorted(["Café crème", "東京"])


# --- Excel -------------------------------------------------------------------------------------


def test_xlsx_has_the_table_and_the_notes(described):
    definition = Definition(segments=("source",), converted="won", window_days=90)
    warnings = ["12 rows have no value in the id column 'id' and were left out."]
    data = export.table_xlsx(
        described,
        SEGMENTS,
        title="Sign-ups, Q1",
        counts=make_counts(hand_table(HAND_COUNTS), definition, warnings),
    )
    sheets = pl.read_excel(io.BytesIO(data), sheet_id=0)
    assert list(sheets) == ["conversion by segment", "notes"]

    table = sheets["conversion by segment"]
    assert table.columns == report.export_table(described, SEGMENTS).columns
    rates = dict(zip(table["source"], table["rate_pct"].cast(pl.Float64), strict=True))
    assert rates == pytest.approx(HAND_RATES)
    assert dict(zip(table["source"], table["band"], strict=True)) == HAND_BANDS
    assert table["contacts"].sum() == 1420

    notes = sheets["notes"]
    assert notes.columns == ["section", "note"]
    by_section = notes.group_by("section", maintain_order=True).agg("note")
    found = dict(by_section.iter_rows())
    assert found["title"] == ["Sign-ups, Q1"]
    assert found["warning"] == warnings
    method = " ".join(found["method"])
    for phrase in ("Wilson", "Fisher", "Benjamini–Hochberg", "exploratory", "90 days", "≥ 20 %"):
        assert phrase in method


def test_xlsx_formats_percent_columns_with_one_decimal(described):
    data = export.table_xlsx(described, SEGMENTS, title="t")
    with zipfile.ZipFile(io.BytesIO(data)) as workbook:
        styles = workbook.read("xl/styles.xml").decode()
    assert 'formatCode="0.0"' in styles


# --- charts ------------------------------------------------------------------------------------


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", png[16:24])


@pytest.mark.parametrize(("width", "scale"), [(800, 2), (500, 1)])
def test_png_has_the_requested_width(described, width, scale):
    png = export.chart_png(bar(described), width=width, scale=scale)
    image_width, image_height = png_size(png)
    assert image_width == width * scale
    assert image_height > 0


def test_svg_parses_and_names_thresholds_and_segments(described):
    svg = export.chart_svg(bar(described), width=640)
    root = ET.fromstring(svg)
    assert root.get("width") == "640"
    texts = {"".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"strong ≥ 20%", "moderate ≥ 10%"} <= texts
    assert set(HAND_COUNTS) <= texts


def test_layered_time_chart_sized_to_its_container_gets_a_fixed_width():
    cohorts = pl.DataFrame(
        {
            "cohort": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)],
            "contacts": [300, 280],
            "customers": [36, 40],
            "rate": [0.12, 40 / 280],
            "ci_low": [0.088, 0.107],
            "ci_high": [0.162, 0.189],
            "mature": [True, False],
        }
    )
    chart = charts.trend_chart(cohorts, Bands())
    assert chart.to_dict()["width"] == "container"
    root = ET.fromstring(export.chart_svg(chart, width=700))
    assert root.get("width") == "700"


def test_markup_in_segment_names_stays_text_in_the_svg():
    table = stats.describe(hand_table({SCRIPT: (10, 40), IMAGE: (20, 60)}))
    svg = export.chart_svg(bar(table))
    assert "<script" not in svg and "<img" not in svg
    # Long names are wrapped onto lines (one tspan each): joined, each is the name as text.
    texts = {
        "".join(node.itertext()).replace(" ", "")
        for node in ET.fromstring(svg).iter()
        if node.tag.endswith("}text")
    }
    assert {SCRIPT.replace(" ", ""), IMAGE.replace(" ", "")} <= texts


def test_remote_data_is_refused_and_nothing_is_written(tmp_path):
    remote = alt.Chart(alt.UrlData("https://example.invalid/data.csv")).mark_bar().encode(x="a:Q")
    target = tmp_path / "chart.png"
    with pytest.raises(export.ExportError, match="not allowed"):
        output.write_atomically(target, export.chart_png(remote))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_text("old")

    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(output.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        output.write_atomically(target, b"new")
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["table.csv"]


def test_write_atomically_writes_text_as_utf8(tmp_path):
    target = tmp_path / "report.html"
    output.write_atomically(target, "≥ 20 %")
    assert target.read_bytes() == "≥ 20 %".encode()


# --- HTML report -------------------------------------------------------------------------------


class Page(HTMLParser):
    """Every tag, attribute and piece of text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs

    def handle_data(self, data):
        self.text.append(data)

    @property
    def joined(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    return parser


def make_report(table: pl.DataFrame, *, dataset: str = "signups.csv", warnings=()) -> str:
    definition = Definition(
        segments=("source",), converted="won", window_days=90, as_of=dt.date(2024, 6, 30)
    )
    described = stats.describe(table, definition.bands)
    labelled = report.with_labels(described, SEGMENTS)
    return export.html_report(
        title="Conversion by segment",
        dataset=dataset,
        generated=dt.datetime(2024, 7, 1, 9, 30),
        definition=definition,
        counts=make_counts(table, definition, warnings),
        described=described,
        charts={
            "Rate by segment": charts.bar_chart(labelled, "source", definition.bands, 0.137),
            "Share of customers": charts.pie_chart(labelled, "source"),
        },
    )


def assert_self_contained(page: str) -> None:
    parsed = parse(page)
    assert "<script" not in page.lower()
    assert not {"script", "link", "iframe", "img", "object", "embed"} & set(parsed.tags)
    names = {name for name, _ in parsed.attributes}
    assert not {"src", "href"} & names
    assert not [name for name in names if name.startswith("on")]
    # The only URL is the SVG namespace, which names a vocabulary and is never fetched.
    remainder = page.replace(export.SVG_NAMESPACE, "")
    assert "http://" not in remainder and "https://" not in remainder
    assert "@import" not in page and "url(http" not in page


def test_report_shows_the_kpis_rows_and_charts():
    page = make_report(hand_table(HAND_COUNTS), warnings=["30 rows repeat an id already seen."])
    assert_self_contained(page)
    parsed = parse(page)
    text = parsed.joined
    assert parsed.tags.count("svg") == 2
    assert page.count("<svg") == 2
    # Overall: 195 / 1,420 = 13.7 %; best by lower bound Referral, worst by upper bound Paid.
    for value in ("13.7%", "1,420", "195", "2024-07-01 09:30", "2024-06-30", "90 days"):
        assert value in text
    assert re.search(r"Best segment Referral 25\.0%", text)
    assert re.search(r"Worst segment Paid 9\.0%", text)
    assert "30 rows repeat an id already seen." in text
    for heading in ("Wilson", "Fisher", "Benjamini–Hochberg", "exploratory", "≥ 20 %", "Maturity"):
        assert heading in text
    row_text = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1])
    assert len(row_text) == 3
    for source, rate in HAND_RATES.items():
        assert any(f"<td>{source}</td>" in row and f"{rate:.1f}%" in row for row in row_text)


def test_report_escapes_hostile_names():
    dataset = '<b onmouseover="x">data</b>"\'.csv'
    warning = f"Column '{SCRIPT}' has 3 empty values."
    page = make_report(
        hand_table({SCRIPT: (30, 200), IMAGE: (25, 100), "Organic": (120, 800)}),
        dataset=dataset,
        warnings=[warning],
    )
    assert_self_contained(page)
    assert "<img" not in page and "<b " not in page
    text = parse(page).joined
    for hostile in (SCRIPT, IMAGE, dataset, warning):
        assert hostile in text


def test_ids_of_several_charts_do_not_collide():
    table = pl.DataFrame(
        {"a": ["x", "y"], "b": ["p", "q"], "contacts": [40, 50], "customers": [4, 10]}
    )
    grid = charts.heatmap(stats.describe(table), "a", "b", Bands())
    pieces = [export._inline_svg(export.chart_svg(grid), f"chart{n}") for n in (1, 2)]
    ids = [re.findall(r'\bid="([^"]+)"', piece) for piece in pieces]
    assert ids[0] and not set(ids[0]) & set(ids[1])
    assert "url(#chart2-" in pieces[1]


# --- file names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("signups 2024.csv", "signups_2024.csv"),
        ("../../etc/passwd", "passwd.csv"),
        ("..\\..\\windows\\win.ini", "win.csv"),
        (".hidden", "hidden.csv"),
        ("...", "conversion.csv"),
        ("", "conversion.csv"),
        ("Données clients.xlsx", "Donnees_clients.csv"),
        ("東京.csv", "conversion.csv"),
        ("-rf.csv", "rf.csv"),
        ("CON.csv", "conversion_CON.csv"),
        ("a" * 100 + ".csv", "a" * 60 + ".csv"),
    ],
)
def test_safe_file_name(name, expected):
    result = export.safe_file_name(name, ".csv")
    assert result == expected
    assert "/" not in result and "\\" not in result
    assert not result.startswith((".", "-", "_"))
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.csv", result)


def test_safe_file_name_refuses_a_suffix_with_a_path():
    with pytest.raises(ValueError, match="suffix"):
        export.safe_file_name("data.csv", "/../x.csv")
