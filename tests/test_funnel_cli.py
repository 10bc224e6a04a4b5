"""Tests for ``conversion funnel``, run as a real process.

Expected numbers are hand counts of small files written here, ORACLES.md's Wilson values, and a
plain ``csv`` recount of the bundled crm_lifecycle.csv sample.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from test_cli import ROOT, run

SAMPLE = ROOT / "sample_data" / "crm_lifecycle.csv"
FIRST_COLUMNS = [
    "stage",
    "stage_index",
    "reached",
    "step_rate_pct",
    "cumulative_rate_pct",
    "step_ci_low_pct",
    "step_ci_high_pct",
    "immature",
]


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    """Two sources; Ads: 40 leads, 3 of them MQL (one without a lead date); Web: 12 leads, none."""
    lines = ["src,lead,mql,id"]
    for i in range(40):
        lead = "" if i == 0 else "2025-01-01"
        mql = "2025-01-05" if i < 3 else ""
        lines.append(f"Ads,{lead},{mql},A{i}")
    lines += [f"Web,2025-01-02,,W{i}" for i in range(12)]
    lines.append("Web,,,W99")  # no stage at all
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_has_the_issues_columns_a_row_per_segment_and_stage_and_an_overall_block(
    small: Path,
) -> None:
    result = run("funnel", small, "--segment src --stage lead --stage mql --id id --format csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:9] == ["src", *FIRST_COLUMNS]
    assert [(r["src"], r["stage"], r["reached"]) for r in rows] == [
        ("Ads", "lead", "40"),
        ("Ads", "mql", "3"),
        ("Web", "lead", "12"),
        ("Web", "mql", "0"),
        ("(all)", "lead", "52"),
        ("(all)", "mql", "3"),
    ]
    ads = rows[1]
    assert ads["step_rate_pct"] == "7.5" and ads["stage_index"] == "2"
    # ORACLES.md: Wilson 3 / 40 = 2.58360258 % – 19.86423352 %; 0 / 12 up to 24.24940067 %.
    assert float(ads["step_ci_low_pct"]) == pytest.approx(2.58360258, abs=1e-6)
    assert float(ads["step_ci_high_pct"]) == pytest.approx(19.86423352, abs=1e-6)
    assert float(rows[3]["step_ci_high_pct"]) == pytest.approx(24.24940067, abs=1e-6)
    assert rows[0]["step_rate_pct"] == "" and rows[0]["cumulative_rate_pct"] == "100.0"
    assert ads["skipped"] == "0" and rows[0]["skipped"] == "1"
    assert "1 contact with no stage at all was left out" in result.stderr


def test_windows_report_immature_contacts_in_the_csv(tmp_path: Path) -> None:
    # as-of 2025-03-01, 30-day window: leads on 01-01 (2, one MQL on 01-10) are mature; the
    # lead on 02-20 is immature, never lost.
    path = tmp_path / "w.csv"
    path.write_text(
        "src,lead,mql\nA,2025-01-01,2025-01-10\nA,2025-01-01,\nA,2025-02-20,\nA,2025-03-01,2025-03-01\n",
        encoding="utf-8",
    )
    result = run(
        "funnel",
        path,
        "--segment src --stage lead --stage mql --step-window-days 30 --no-id --format csv",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    step = rows[1]
    assert (step["immature"], step["step_base"], step["step_reached"]) == ("2", "2", "1")
    assert step["step_rate_pct"] == "50.0" and step["reached"] == "2"


def test_a_stage_column_with_an_order_and_a_map(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("src,stage\nA,lead\nA,customer\nA,subscriber\nB,mql\n", encoding="utf-8")
    bad = run("funnel", path, "--segment src --stage-column stage --stage-order lead,mql,customer")
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "'subscriber' (1 row)" in bad.stderr
    good = run(
        "funnel",
        path,
        "--segment src --stage-column stage --stage-order lead,mql,customer "
        "--stage-map subscriber=lead --format json",
    )
    assert good.returncode == 0, good.stderr
    document = json.loads(good.stdout)
    reached = {(r["src"], r["stage"]): r["reached"] for r in document["stages"]}
    assert reached[("A", "lead")] == 3 and reached[("A", "mql")] == 1
    assert reached[("B", "mql")] == 1 and reached[("(all)", "customer")] == 1
    assert document["funnel"]["contacts"] == 4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("--segment src --stage lead", "at least two stages"),
        ("--segment src --stage lead --stage nope", "no column 'nope'"),
        (
            "--segment src --stage lead --stage mql --step-window-days 1 --step-window-days 2 "
            "--step-window-days 3",
            "one step window",
        ),
        ("--segment src --stage-order a,b", "--stage-column"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    small: Path, arguments: str, message: str
) -> None:
    result = run("funnel", small, arguments)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_the_sample_is_detected_and_counted_as_a_plain_recount(tmp_path: Path) -> None:
    result = run("funnel", SAMPLE, "--segment 'Original Source' --format csv")
    assert result.returncode == 0, result.stderr
    assert (
        "stages = Became a Lead Date" in result.stderr
        and 'id = column "Record ID"' in result.stderr
    )
    stages = [
        "Became a Lead Date",
        "Became a Marketing Qualified Lead Date",
        "Became a Sales Qualified Lead Date",
        "Became an Opportunity Date",
        "Became a Customer Date",
    ]
    with SAMPLE.open(encoding="utf-8") as f:
        contacts = {row["Record ID"]: row for row in csv.DictReader(f)}  # duplicates are copies
    expected: Counter[tuple[str, str]] = Counter()
    for row in contacts.values():
        if not any(row[stage] for stage in stages):
            continue  # no stage at all: left out
        for k, stage in enumerate(stages):
            expected[(row["Original Source"], stage)] += any(row[later] for later in stages[k:])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    got = {
        (r["Original Source"], r["stage"]): int(r["reached"])
        for r in rows
        if r["Original Source"] != "(all)"
    }
    assert got == dict(expected)


def test_an_orders_file_is_the_last_stage(tmp_path: Path) -> None:
    contacts = tmp_path / "leads.csv"
    contacts.write_text(
        "src,id,lead\nA,1,2025-01-01\nA,2,2025-01-02\nB,3,2025-01-03\n", encoding="utf-8"
    )
    deals = tmp_path / "deals.csv"
    deals.write_text("lead_id,won\n1,2025-02-01\n3,2025-02-03\n3,2025-01-20\n", encoding="utf-8")
    result = run(
        "funnel", contacts, "--segment src --stage lead --id id --orders", deals,
        "--key id --orders-key lead_id --orders-date won --orders-stage 'won deal' --format csv",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["src"], r["stage"], r["reached"]) for r in rows] == [
        ("A", "lead", "2"),
        ("A", "won deal", "1"),
        ("B", "lead", "1"),
        ("B", "won deal", "1"),
        ("(all)", "lead", "3"),
        ("(all)", "won deal", "2"),
    ]
    missing = run("funnel", contacts, "--segment src --stage lead --orders", deals)
    assert missing.returncode == 2 and "--orders and --key go together" in missing.stderr


def test_the_terminal_table_names_the_biggest_drop(small: Path) -> None:
    result = run("funnel", small, "--segment src --stage lead --stage mql --id id")
    assert result.returncode == 0, result.stderr
    assert "Ads: the biggest drop is lead → mql: 37 of 40 lost; 7.5% moved on" in result.stdout
    assert "note: 1 contact with no stage at all was left out of the funnel." in result.stdout


def test_duckdb_counts_the_sample_where_it_is_with_the_same_csv() -> None:
    on_file = run("funnel", SAMPLE, "--segment Country --step-window-days 30 --format csv")
    on_duckdb = run(
        "funnel", SAMPLE, "--engine duckdb --segment Country --step-window-days 30 --format csv"
    )
    assert on_file.returncode == 0 and on_duckdb.returncode == 0, on_duckdb.stderr
    assert on_duckdb.stdout == on_file.stdout
    no_file = run("funnel --engine duckdb --segment Country")
    assert no_file.returncode == 2 and "--engine needs a file" in no_file.stderr
