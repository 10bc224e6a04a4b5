"""``conversion change`` and ``conversion check`` run as real processes on files built here.

Each file is a hand-counted table: contacts per source and month with a known number of
customers. Expected numbers are those counts, and statsmodels' Newcombe interval and
Benjamini–Hochberg values pasted as literals.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# statsmodels 0.15: confint_proportions_2indep(15, 100, 30, 100, method="newcomb"), in points.
NEWCOMBE_EMAIL_PP = (-26.148598204811313, -3.410770350141119)
# proportions_ztest([15, 30], [100, 100]) and ([6, 5], [60, 50]); multipletests(fdr_bh).
BH_EMAIL = 0.02217033
# proportions_ztest([15, 20], [100, 100]) p = 0.3521204356347226; with Ads (p = 1) under BH
# the adjusted p is 0.704.
BH_EMAIL_SMALL_DROP = 0.7042408712694452

COLUMNS = [
    "source",
    "previous_contacts",
    "previous_customers",
    "current_contacts",
    "current_customers",
    "previous_rate_pct",
    "current_rate_pct",
    "change_pp",
    "change_ci_low_pp",
    "change_ci_high_pp",
    "p_adjusted",
]


def write_contacts(path: Path, counts: dict[tuple[str, date], tuple[int, int]]) -> Path:
    """One row per contact: (source, month start) -> (contacts, customers), spread over days.

    Contacts are spread over the first 30 days of the month, so the data reach 30 June and June
    is a full month by the as-of date.
    """
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "created", "source", "converted"])
        number = 0
        for (source, month), (contacts, customers) in counts.items():
            for i in range(contacts):
                number += 1
                day = month + timedelta(days=i % 30)
                writer.writerow(
                    [f"c{number}", day.isoformat(), source, "Y" if i < customers else "N"]
                )
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conversion", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )  # fmt: skip


MAY, JUNE = date(2025, 5, 1), date(2025, 6, 1)
FLAGS = ("--id", "id", "--contact-date", "created", "--converted", "converted")


@pytest.fixture
def big_drop(tmp_path: Path) -> Path:
    return write_contacts(
        tmp_path / "leads.csv",
        {("Email", MAY): (100, 30), ("Ads", MAY): (50, 5),
         ("Email", JUNE): (100, 15), ("Ads", JUNE): (60, 6)},
    )  # fmt: skip


@pytest.fixture
def small_drop(tmp_path: Path) -> Path:
    return write_contacts(
        tmp_path / "leads.csv",
        {("Email", MAY): (100, 20), ("Ads", MAY): (50, 5),
         ("Email", JUNE): (100, 15), ("Ads", JUNE): (60, 6)},
    )  # fmt: skip


def test_change_csv_has_the_hand_counts_and_the_columns_in_order(big_drop: Path) -> None:
    result = run("change", big_drop, "--segment", "source", *FLAGS, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == COLUMNS
    by_source = {row["source"]: row for row in rows}
    assert [row["source"] for row in rows] == ["Email", "Ads"]  # Email drove the change
    email, ads = by_source["Email"], by_source["Ads"]
    assert [email[c] for c in COLUMNS[1:5]] == ["100", "30", "100", "15"]
    assert [ads[c] for c in COLUMNS[1:5]] == ["50", "5", "60", "6"]
    assert float(email["previous_rate_pct"]) == pytest.approx(30.0)
    assert float(email["current_rate_pct"]) == pytest.approx(15.0)
    assert float(email["change_pp"]) == pytest.approx(-15.0)
    low, high = float(email["change_ci_low_pp"]), float(email["change_ci_high_pp"])
    assert (low, high) == pytest.approx(NEWCOMBE_EMAIL_PP, abs=1e-7)
    assert float(email["p_adjusted"]) == pytest.approx(BH_EMAIL, rel=1e-6)
    assert float(ads["change_pp"]) == pytest.approx(0.0, abs=1e-9)


def test_change_names_periods_and_refuses_an_unknown_one(big_drop: Path) -> None:
    result = run("change", big_drop, "--segment", "source", *FLAGS, "--current", "2025-06",
                 "--previous", "2025-05", "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["previous"], document["current"]) == ("2025-05-01", "2025-06-01")
    assert [s["driver_rank"] for s in document["segments"]] == [1, 2]
    bad = run("change", big_drop, "--segment", "source", *FLAGS, "--current", "June")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        "conversion: 'June' is not a month: use YYYY-MM, e.g. 2025-06."
    )


def test_check_exits_1_and_names_a_significant_drop(big_drop: Path) -> None:
    result = run("check", big_drop, "--segment", "source", *FLAGS, "--drop-pp", "3")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1 of 2 segments dropped from May 2025 to Jun 2025")
    assert any(line.startswith("Email") and "-15.0 pp" in line for line in lines)
    assert not any(line.startswith("Ads") for line in lines)
    as_json = run("check", big_drop, "--segment", "source", *FLAGS, "--format", "json")
    assert as_json.returncode == 1
    document = json.loads(as_json.stdout)
    assert [s["source"] for s in document["segments"]] == ["Email"]
    assert document["rule"] == {"min_contacts": 100, "drop_pp": 3.0, "alpha": 0.05}


def test_check_exits_0_when_no_drop_is_large_significant_or_big_enough(
    big_drop: Path, small_drop: Path
) -> None:
    # Email fell 5 points but adjusted p is 0.70: not significant.
    result = run("check", small_drop, "--segment", "source", *FLAGS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No segment dropped from May 2025 to Jun 2025 (2 checked")
    # A significant 15-point fall, but Email has 100 contacts per month: below 101 never alerts.
    assert (
        run("check", big_drop, "--segment", "source", *FLAGS, "--min-contacts", "101").returncode
        == 0
    )
    # Nor when the fall asked for is larger than 15 points.
    assert run("check", big_drop, "--segment", "source", *FLAGS, "--drop-pp", "16").returncode == 0


def test_check_exits_2_on_bad_input(big_drop: Path) -> None:
    unknown = run("check", big_drop, "--segment", "channel", *FLAGS)
    assert unknown.returncode == 2
    assert "channel" in unknown.stderr
    assert run("check", big_drop, "--segment", "source", *FLAGS, "--alpha", "2").returncode == 2
    assert run("check", big_drop, "--segment", "source", "--period", "day").returncode == 2
    missing = run("check", big_drop.with_name("nothing.csv"), "--segment", "source")
    assert missing.returncode == 2


def test_change_compares_runs_of_months_summed_by_hand(tmp_path: Path) -> None:
    path = write_contacts(
        tmp_path / "leads.csv",
        {("Email", date(2025, 4, 1)): (100, 20), ("Ads", date(2025, 4, 1)): (50, 5),
         ("Email", MAY): (100, 30), ("Ads", MAY): (50, 5),
         ("Email", JUNE): (100, 15), ("Ads", JUNE): (60, 6)},
    )  # fmt: skip
    # May and June together against the two months before (only April has contacts).
    result = run("change", path, "--segment", "source", *FLAGS, "--current", "2025-05..2025-06",
                 "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["previous"], document["previous_end"]) == ("2025-03-01", "2025-04-30")
    assert (document["current"], document["current_end"]) == ("2025-05-01", "2025-06-30")
    email = next(s for s in document["segments"] if s["source"] == "Email")
    assert (email["previous_contacts"], email["previous_customers"]) == (100, 20)
    assert (email["current_contacts"], email["current_customers"]) == (200, 45)
    assert email["change_pp"] == pytest.approx(45 / 200 * 100 - 20.0)
    text = run("change", path, "--segment", "source", *FLAGS, "--current", "2025-05..2025-06",
               "--previous", "2025-04")  # fmt: skip
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].split()[1:3] == ["Apr", "2025"]
    assert "May 2025–Jun 2025" in text.stdout.splitlines()[0]
    backwards = run("change", path, "--segment", "source", *FLAGS, "--current", "2025-06..2025-05")
    assert backwards.returncode == 2 and "runs backwards" in backwards.stderr


def test_change_without_a_contact_date_says_what_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "summary.csv"
    path.write_text("channel,contacts,customers\nEmail,100,10\nAds,50,5\n", encoding="utf-8")
    result = run("change", path, "--segment", "channel", "--contacts", "contacts",
                 "--customers", "customers")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "conversion: conversion change compares periods of contact dates: it needs one row per "
        "contact and the contact-date column (--contact-date COL)."
    )


def test_the_readme_change_example_prints_what_the_readme_shows() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in text.split("```") if "$ conversion change" in b)
    joined = block.replace("\\\n", " ")
    lines = [line for line in joined.splitlines() if line.strip()]
    command = next(line for line in lines if line.strip().startswith("$ conversion change"))
    shown_lines = [line for line in lines[lines.index(command) + 1 :] if line.strip() != "..."]
    result = run(*shlex.split(command.strip().removeprefix("$ conversion ")))
    assert result.returncode == 0, result.stderr
    printed = [line.rstrip() for line in result.stdout.splitlines()]
    assert [line.rstrip() for line in shown_lines] == printed[: len(shown_lines)]
