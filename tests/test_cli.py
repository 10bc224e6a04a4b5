"""Tests for the ``conversion`` command line, run as a real process.

Expected numbers come from hand counts of small files built here, from ORACLES.md, or from a
plain-Python recount of the sample files (``csv`` + ``datetime``), never from the engine itself.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"

SEGMENT_STATS_COLUMNS = ["contacts", "customers", "rate_pct", "ci_low_pct", "ci_high_pct", "band"]
STATISTICS_COLUMNS = [
    "rest_rate_pct",
    "diff_pp",
    "diff_low_pp",
    "diff_high_pp",
    "test",
    "p_value",
    "p_adjusted",
    "significant",
    "low_sample",
    "low_sample_reason",
]
EXACT = 1e-7

# ORACLES.md, "Wilson score interval, 95 %": 3 / 40.
WILSON_3_OF_40 = (0.0258360258, 0.1986423352)


def arguments(parts: tuple[str | Path, ...]) -> list[str]:
    """Command-line arguments: text is split like a shell would, a path is one argument."""
    out: list[str] = []
    for part in parts:
        out += [str(part)] if isinstance(part, Path) else shlex.split(part)
    return out


def run(*parts: str | Path, command: tuple[str, ...] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m conversion ARGS`` from the repository root."""
    prefix = command or (sys.executable, "-m", "conversion")
    return subprocess.run(
        [*prefix, *arguments(parts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def ok(*args: str | Path) -> subprocess.CompletedProcess:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def by_segment(rows: list[dict[str, str]], *columns: str) -> dict:
    """CSV rows keyed by their segment value (one column) or values (several)."""
    if len(columns) == 1:
        return {row[columns[0]]: row for row in rows}
    return {tuple(row[c] for c in columns): row for row in rows}


def counts_of(rows: dict) -> dict:
    return {key: (int(row["contacts"]), int(row["customers"])) for key, row in rows.items()}


def bad_input(*args: str | Path) -> str:
    """Run a command that must fail on bad input; return its single stderr line."""
    result = run(*args)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------------------------------
# A hand-countable contacts file
#
#   source  region  contacts  customers
#   Ads     North         25          2
#   Ads     South         15          1      -> Ads   40 / 3 (the ORACLES.md 3 / 40 case)
#   Web     North         10          5
#   Web     South         10          5      -> Web   20 / 10
#   Event   North         10          0      -> Event 10 / 0
#   overall                70         13


def _leads_rows() -> list[tuple[str, str, str]]:
    cells = [
        ("Ads", "North", 25, 2),
        ("Ads", "South", 15, 1),
        ("Web", "North", 10, 5),
        ("Web", "South", 10, 5),
        ("Event", "North", 10, 0),
    ]
    rows = []
    for source, region, contacts, customers in cells:
        rows += [(source, region, "yes")] * customers
        rows += [(source, region, "no")] * (contacts - customers)
    return rows


@pytest.fixture
def leads(tmp_path: Path) -> Path:
    lines = ["source,region,converted"] + [",".join(row) for row in _leads_rows()]
    return write(tmp_path / "leads.csv", "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Output formats


def test_csv_columns_are_segment_then_counts_then_statistics(leads: Path) -> None:
    result = ok("rates", leads, "--segment source --converted converted --format csv")
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header == ["source", *SEGMENT_STATS_COLUMNS, *STATISTICS_COLUMNS]


def test_csv_counts_rates_and_bands_match_a_hand_count(leads: Path) -> None:
    result = ok("rates", leads, "--segment source --converted converted --format csv")
    rows = by_segment(rows_of(result.stdout), "source")
    assert counts_of(rows) == {"Ads": (40, 3), "Web": (20, 10), "Event": (10, 0)}
    assert float(rows["Ads"]["rate_pct"]) == pytest.approx(7.5, abs=EXACT)
    assert float(rows["Web"]["rate_pct"]) == pytest.approx(50.0, abs=EXACT)
    assert float(rows["Event"]["rate_pct"]) == pytest.approx(0.0, abs=EXACT)
    assert {k: r["band"] for k, r in rows.items()} == {
        "Ads": "poor",
        "Web": "strong",
        "Event": "poor",
    }


def test_csv_wilson_bounds_for_3_of_40_match_oracle(leads: Path) -> None:
    result = ok("rates", leads, "--segment source --converted converted --format csv")
    ads = by_segment(rows_of(result.stdout), "source")["Ads"]
    low, high = WILSON_3_OF_40
    assert float(ads["ci_low_pct"]) == pytest.approx(low * 100, abs=EXACT)
    assert float(ads["ci_high_pct"]) == pytest.approx(high * 100, abs=EXACT)


def test_json_has_overall_segments_and_warnings(leads: Path) -> None:
    result = ok("rates", leads, "--segment source --converted converted --format json")
    document = json.loads(result.stdout)
    assert set(document) == {"overall", "segments", "warnings"}
    overall = document["overall"]
    assert overall["contacts"] == 70
    assert overall["customers"] == 13
    assert overall["rate_pct"] == pytest.approx(13 / 70 * 100, abs=EXACT)
    assert isinstance(document["warnings"], list)
    segments = {row["source"]: row for row in document["segments"]}
    assert {k: (r["contacts"], r["customers"]) for k, r in segments.items()} == {
        "Ads": (40, 3),
        "Web": (20, 10),
        "Event": (10, 0),
    }
    low, high = WILSON_3_OF_40
    assert segments["Ads"]["ci_low_pct"] == pytest.approx(low * 100, abs=EXACT)
    assert segments["Ads"]["ci_high_pct"] == pytest.approx(high * 100, abs=EXACT)


def test_table_is_readable_with_headers_and_overall_line(leads: Path) -> None:
    result = ok("rates", leads, "--segment source --converted converted")
    lines = result.stdout.splitlines()
    for header in ("source", "contacts", "customers", "rate", "95% CI", "band"):
        assert header in lines[0]
    body = "\n".join(lines)
    for source in ("Ads", "Web", "Event"):
        assert source in body
    ads = next(line for line in lines if line.startswith("Ads"))
    assert "40" in ads and "7.5%" in ads
    assert "Overall: 13 customers / 70 contacts = 18.6%" in body


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".csv", lambda text: next(csv.reader(io.StringIO(text)))[:2] == ["source", "contacts"]),
        (".json", lambda text: json.loads(text)["overall"]["contacts"] == 70),
        (".txt", lambda text: "Overall: 13 customers / 70 contacts" in text),
    ],
)
def test_output_file_format_follows_its_suffix(
    leads: Path, tmp_path: Path, suffix: str, check
) -> None:
    target = tmp_path / f"out{suffix}"
    result = ok("rates", leads, "--segment source --converted converted --output", target)
    assert result.stdout == ""
    assert check(target.read_text(encoding="utf-8"))


def test_explicit_format_wins_over_output_suffix(leads: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    ok("rates", leads, "--segment source --converted converted --format json", "--output", target)
    assert json.loads(target.read_text(encoding="utf-8"))["overall"]["customers"] == 13


def test_input_file_is_never_modified(leads: Path) -> None:
    before = leads.read_bytes()
    ok("rates", leads, "--segment source --converted converted --format csv")
    assert leads.read_bytes() == before


# ---------------------------------------------------------------------------------------------
# Segments: top K, cross-breakdowns


def test_top_k_groups_the_smaller_segments_as_other(tmp_path: Path) -> None:
    # A 5 contacts (2 customers), B 4 (1), C 3 (1), D 2 (2): top 2 keeps A and B.
    rows = (
        [("A", "1")] * 2
        + [("A", "0")] * 3
        + [("B", "1")]
        + [("B", "0")] * 3
        + [("C", "1")]
        + [("C", "0")] * 2
        + [("D", "1")] * 2
    )
    path = write(tmp_path / "top.csv", "seg,won\n" + "".join(f"{s},{w}\n" for s, w in rows))
    result = ok("rates", path, "--segment seg --converted won --top 2 --format csv")
    assert counts_of(by_segment(rows_of(result.stdout), "seg")) == {
        "A": (5, 2),
        "B": (4, 1),
        "Other": (5, 3),
    }


def test_without_top_every_segment_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "s.csv", "seg,won\nA,1\nB,0\nC,1\nD,0\n")
    result = ok("rates", path, "--segment seg --converted won --format csv")
    assert set(by_segment(rows_of(result.stdout), "seg")) == {"A", "B", "C", "D"}


def test_two_segments_give_a_cross_breakdown(leads: Path) -> None:
    result = ok(
        "rates", leads, "--segment source --segment region --converted converted", "--format csv"
    )
    rows = rows_of(result.stdout)
    assert list(rows[0])[:3] == ["source", "region", "contacts"]
    assert counts_of(by_segment(rows, "source", "region")) == {
        ("Ads", "North"): (25, 2),
        ("Ads", "South"): (15, 1),
        ("Web", "North"): (10, 5),
        ("Web", "South"): (10, 5),
        ("Event", "North"): (10, 0),
    }


def test_missing_segment_values_form_their_own_segment(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "seg,won\nA,yes\n,no\n,yes\nA,no\n ,no\n")
    result = ok("rates", path, "--segment seg --converted won --format csv")
    assert counts_of(by_segment(rows_of(result.stdout), "seg")) == {
        "A": (2, 1),
        "(missing)": (3, 1),
    }


# ---------------------------------------------------------------------------------------------
# Conversion window and as-of date

WINDOW_ROWS = [
    # id, segment, signed up, first purchase    -> with window 30 and as-of 2025-03-31
    ("c1", "X", "2025-01-01 09:00", "2025-01-15 10:00"),  # lag 14: customer
    ("c2", "X", "2025-01-01 23:00", "2025-01-31 01:00"),  # lag 30 calendar days: customer
    ("c3", "X", "2025-01-01 08:00", "2025-02-01 08:00"),  # lag 31: outside the window
    ("c4", "X", "2025-01-10 08:00", "2025-01-09 08:00"),  # negative lag: not a conversion
    ("c5", "Y", "2025-02-01 08:00", ""),  # never bought, mature
    ("c6", "Y", "2025-03-01 08:00", "2025-03-05 08:00"),  # as-of − 30 exactly: mature, customer
    ("c7", "Y", "2025-03-02 08:00", "2025-03-03 08:00"),  # immature at 2025-03-31
    ("c8", "Y", "2025-03-20 08:00", ""),  # immature at 2025-03-31
    ("c9", "Y", "2025-01-05 08:00", "2025-04-15 08:00"),  # lag 100: outside the window
]


@pytest.fixture
def signups(tmp_path: Path) -> Path:
    lines = ["id,segment,signed_up,first_purchase"] + [",".join(r) for r in WINDOW_ROWS]
    return write(tmp_path / "signups.csv", "\n".join(lines) + "\n")


def _window_counts(as_of: date, window: int) -> dict[str, tuple[int, int]]:
    """A plain-Python reading of the conversion window and maturity rules."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _, segment, signed, bought in WINDOW_ROWS:
        signed_day = datetime.strptime(signed, "%Y-%m-%d %H:%M").date()
        if signed_day > as_of - timedelta(days=window):
            continue
        out[segment][0] += 1
        if bought:
            bought_day = datetime.strptime(bought, "%Y-%m-%d %H:%M").date()
            lag = (bought_day - signed_day).days
            out[segment][1] += 0 <= lag <= window and bought_day <= as_of
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_window_with_explicit_as_of(signups: Path) -> None:
    result = run(
        "rates",
        signups,
        "--segment segment --id id --contact-date signed_up",
        "--converted-date first_purchase --window-days 30",
        "--as-of 2025-03-31 --format json",
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    got = {r["segment"]: (r["contacts"], r["customers"]) for r in document["segments"]}
    assert got == _window_counts(date(2025, 3, 31), 30) == {"X": (4, 2), "Y": (3, 1)}
    assert document["overall"]["as_of"] == "2025-03-31"
    assert document["overall"]["quality"]["immature"] == 2
    warnings = " ".join(document["warnings"])
    assert "2 contacts" in warnings and "2025-03-31" in warnings
    assert "before the contact date" in warnings


def test_window_as_of_defaults_to_latest_date_in_data(signups: Path) -> None:
    result = ok(
        "rates",
        signups,
        "--segment segment --id id --contact-date signed_up",
        "--converted-date first_purchase --window-days 30",
        "--format csv",
    )
    got = counts_of(by_segment(rows_of(result.stdout), "segment"))
    # The latest date anywhere in the file is c9's purchase, 2025-04-15.
    assert got == _window_counts(date(2025, 4, 15), 30) == {"X": (4, 2), "Y": (4, 2)}


def test_without_window_any_conversion_date_counts(signups: Path) -> None:
    result = ok(
        "rates",
        signups,
        "--segment segment --id id --converted-date first_purchase",
        "--format csv",
    )
    assert counts_of(by_segment(rows_of(result.stdout), "segment")) == {
        "X": (4, 4),
        "Y": (5, 3),
    }


# ---------------------------------------------------------------------------------------------
# A second table: leads joined to won deals, day-first dates


def _day_first(text: str) -> date:
    return datetime.strptime(text, "%d-%m-%Y %H:%M").date()


def test_orders_join_with_day_first_dates_hand_built(tmp_path: Path) -> None:
    leads = write(
        tmp_path / "leads.csv",
        (
            "lead_id,created,lead_source\n"
            "L1,01-02-2024 10:00,Webinar\n"  # won 10 days later: customer
            "L2,13-02-2024 09:00,Webinar\n"  # won 40 days later: outside a 30-day window
            "L3,05-03-2024 12:00,Inbound\n"  # won twice; the first within the window
            "L4,20-03-2024 12:00,Inbound\n"  # never won
            "L5,25-06-2024 12:00,Inbound\n"  # immature at the as-of date
        ),
    )
    deals = write(
        tmp_path / "deals.csv",
        (
            "lead_id,won_date\n"
            "L1,11-02-2024 17:30\n"
            "L2,24-03-2024 08:00\n"
            "L3,15-03-2024 08:00\n"
            "L3,30-03-2024 08:00\n"
            "L9,01-04-2024 08:00\n"  # an orphan deal
        ),
    )
    result = ok(
        "rates",
        leads,
        "--segment lead_source --id lead_id --contact-date created",
        "--window-days 30 --as-of 2024-07-01 --orders",
        deals,
        "--key lead_id --orders-date won_date --format csv",
    )
    assert counts_of(by_segment(rows_of(result.stdout), "lead_source")) == {
        "Webinar": (2, 1),
        "Inbound": (2, 1),
    }


def test_orders_join_without_dates_counts_presence_of_the_key(tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", "ref,src\nA1,x\nA2,x\nA3,y\nA4,y\nA5,y\n")
    deals = write(tmp_path / "deals.csv", "lead_ref,amount\nA1,10\nA1,12\nA4,5\nZZ,1\n")
    result = ok(
        "rates",
        leads,
        "--segment src --orders",
        deals,
        "--key ref --orders-key lead_ref --format csv",
    )
    assert counts_of(by_segment(rows_of(result.stdout), "src")) == {"x": (2, 1), "y": (3, 1)}


def _b2b_reference(window: int) -> dict[str, tuple[int, int]]:
    """Recount the B2B sample with csv + datetime: leads won within the window, mature only."""
    with (SAMPLES / "b2b_leads.csv").open(encoding="utf-8", newline="") as handle:
        leads = list(csv.DictReader(handle))
    with (SAMPLES / "b2b_won_deals.csv").open(encoding="utf-8", newline="") as handle:
        deals = list(csv.DictReader(handle))
    won: dict[str, list[date]] = defaultdict(list)
    for deal in deals:
        won[deal["lead_id"]].append(_day_first(deal["won_date"]))
    as_of = max(
        max(_day_first(lead["created"]) for lead in leads),
        max(d for dates in won.values() for d in dates),
    )
    created_by_id: dict[str, tuple[date, str]] = {}
    for lead in leads:
        created_by_id.setdefault(
            lead["lead_id"], (_day_first(lead["created"]), lead["lead_source"])
        )
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lead_id, (created, source) in created_by_id.items():
        if created > as_of - timedelta(days=window):
            continue
        out[source][0] += 1
        out[source][1] += any(
            0 <= (d - created).days <= window and d <= as_of for d in won.get(lead_id, [])
        )
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_b2b_sample_matches_an_independent_recount() -> None:
    result = ok(
        "rates sample_data/b2b_leads.csv --segment lead_source",
        "--id lead_id --contact-date created --window-days 90",
        "--orders sample_data/b2b_won_deals.csv --key lead_id",
        "--orders-date won_date --format csv",
    )
    got = counts_of(by_segment(rows_of(result.stdout), "lead_source"))
    assert got == _b2b_reference(90)
    rows = by_segment(rows_of(result.stdout), "lead_source")
    for source, (contacts, customers) in got.items():
        assert float(rows[source]["rate_pct"]) == pytest.approx(customers / contacts * 100)


def test_b2b_sample_without_window_counts_every_won_lead() -> None:
    result = ok(
        "rates sample_data/b2b_leads.csv --segment lead_source",
        "--id lead_id --orders sample_data/b2b_won_deals.csv",
        "--key lead_id --format json",
    )
    with (SAMPLES / "b2b_leads.csv").open(encoding="utf-8", newline="") as handle:
        leads = list(csv.DictReader(handle))
    with (SAMPLES / "b2b_won_deals.csv").open(encoding="utf-8", newline="") as handle:
        won_ids = {row["lead_id"] for row in csv.DictReader(handle)}
    expected = Counter(lead["lead_source"] for lead in leads)
    expected_won = Counter(lead["lead_source"] for lead in leads if lead["lead_id"] in won_ids)
    document = json.loads(result.stdout)
    got = {r["lead_source"]: (r["contacts"], r["customers"]) for r in document["segments"]}
    assert got == {k: (n, expected_won[k]) for k, n in expected.items()}
    assert document["overall"]["contacts"] == len(leads)
    assert document["overall"]["customers"] == sum(expected_won.values())


# ---------------------------------------------------------------------------------------------
# Pre-aggregated input, lifecycle stages, bands


def test_pre_aggregated_counts_are_summed_per_segment(tmp_path: Path) -> None:
    path = write(
        tmp_path / "agg.csv",
        "campaign,channel,contacts,customers\nc1,Email,100,10\nc2,Email,50,5\nc3,Ads,40,3\n",
    )
    result = ok(
        "rates", path, "--segment channel --contacts contacts --customers customers", "--format csv"
    )
    rows = by_segment(rows_of(result.stdout), "channel")
    assert counts_of(rows) == {"Email": (150, 15), "Ads": (40, 3)}
    low, high = WILSON_3_OF_40
    assert float(rows["Ads"]["ci_low_pct"]) == pytest.approx(low * 100, abs=EXACT)
    assert float(rows["Ads"]["ci_high_pct"]) == pytest.approx(high * 100, abs=EXACT)


def test_campaign_summary_sample_matches_its_own_sums() -> None:
    result = ok(
        "rates sample_data/campaign_summary.csv --segment channel",
        "--contacts contacts --customers customers --format csv",
    )
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with (SAMPLES / "campaign_summary.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            expected[row["channel"]][0] += int(row["contacts"])
            expected[row["channel"]][1] += int(row["customers"])
    got = counts_of(by_segment(rows_of(result.stdout), "channel"))
    assert got == {k: (v[0], v[1]) for k, v in expected.items()}


def test_customer_value_reads_a_lifecycle_stage_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "crm.csv",
        (
            "Country,Lifecycle Stage\n"
            "FR,customer\nFR,lead\nFR,Customer \nFR,opportunity\n"
            "DE,subscriber\nDE,evangelist\nDE,customer\n"
        ),
    )
    result = ok(
        "rates",
        path,
        '--segment Country --converted "Lifecycle Stage"',
        "--customer-value customer --format csv",
    )
    assert counts_of(by_segment(rows_of(result.stdout), "Country")) == {
        "FR": (4, 2),
        "DE": (3, 1),
    }


def test_crm_sample_lifecycle_stage_agrees_with_its_converted_flag() -> None:
    by_stage = ok(
        "rates sample_data/crm_contacts_export.csv --segment Country",
        '--converted "Lifecycle Stage" --customer-value customer',
        "--format csv",
    )
    by_flag = ok(
        "rates sample_data/crm_contacts_export.csv --segment Country",
        "--converted Converted --format csv",
    )
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with (SAMPLES / "crm_contacts_export.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            country = row["Country"].strip() or "(missing)"
            expected[country][0] += 1
            expected[country][1] += row["Lifecycle Stage"] == "customer"
    expected_counts = {k: (v[0], v[1]) for k, v in expected.items()}
    assert counts_of(by_segment(rows_of(by_stage.stdout), "Country")) == expected_counts
    assert counts_of(by_segment(rows_of(by_flag.stdout), "Country")) == expected_counts


@pytest.fixture
def three_rates(tmp_path: Path) -> Path:
    # High 15 / 100, Mid 5 / 100, Low 1 / 100.
    rows = []
    for name, customers in (("High", 15), ("Mid", 5), ("Low", 1)):
        rows += [f"{name},1"] * customers + [f"{name},0"] * (100 - customers)
    return write(tmp_path / "three.csv", "seg,won\n" + "\n".join(rows) + "\n")


def _bands(result: subprocess.CompletedProcess) -> dict[str, str]:
    return {k: r["band"] for k, r in by_segment(rows_of(result.stdout), "seg").items()}


def test_default_bands(three_rates: Path) -> None:
    result = ok("rates", three_rates, "--segment seg --converted won --format csv")
    assert _bands(result) == {"High": "moderate", "Mid": "poor", "Low": "poor"}


def test_ecommerce_bands(three_rates: Path) -> None:
    result = ok(
        "rates", three_rates, "--segment seg --converted won --bands ecommerce --format csv"
    )
    assert _bands(result) == {"High": "top", "Mid": "average", "Low": "below average"}


def test_custom_bands(three_rates: Path) -> None:
    result = ok(
        "rates",
        three_rates,
        "--segment seg --converted won --strong 15 --moderate 5",
        "--format csv",
    )
    assert _bands(result) == {"High": "strong", "Mid": "moderate", "Low": "poor"}


def test_custom_bands_need_both_thresholds(three_rates: Path) -> None:
    message = bad_input("rates", three_rates, "--segment seg --converted won --strong 15")
    assert "--moderate" in message


# ---------------------------------------------------------------------------------------------
# Encodings, delimiters and flag spellings


def test_bom_semicolon_quoted_bank_export(tmp_path: Path) -> None:
    records = [
        ("58", "management", "married", "tertiary", "no"),
        ("44", "technician", "single", "secondary", "no"),
        ("33", "entrepreneur", "married", "secondary", "yes"),
        ("47", "blue-collar", "married", "unknown", "no"),
        ("33", "management", "single", "tertiary", "yes"),
        ("35", "management", "married", "tertiary", "no"),
        ("28", "management", "single", "tertiary", "no"),
        ("42", "technician", "divorced", "secondary", "yes"),
    ]
    lines = ['"age";"job";"marital";"education";"y"']
    lines += [";".join(f'"{value}"' for value in record) for record in records]
    path = tmp_path / "bank-full.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    result = ok("rates", path, "--segment job --converted y --format csv")
    rows = rows_of(result.stdout)
    assert next(iter(rows[0])) == "job"
    assert counts_of(by_segment(rows, "job")) == {
        "management": (4, 1),
        "technician": (2, 1),
        "entrepreneur": (1, 1),
        "blue-collar": (1, 0),
    }


def test_latin1_file_with_accented_segments(tmp_path: Path) -> None:
    text = (
        "région,converti\n"
        "Île-de-France,yes\n"
        "Île-de-France,no\n"
        "Rhône,yes\nRhône,yes\nRhône,no\n"
        "Provence-Alpes-Côte d'Azur,no\n"
    )
    path = write(tmp_path / "régions.csv", text, encoding="latin-1")
    result = ok("rates", path, "--segment région --converted converti --format csv")
    assert counts_of(by_segment(rows_of(result.stdout), "région")) == {
        "Île-de-France": (2, 1),
        "Rhône": (3, 2),
        "Provence-Alpes-Côte d'Azur": (1, 0),
    }


def test_true_false_flag_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sessions.csv",
        "visitor,revenue\nNew,TRUE\nNew,FALSE\nNew,true\nOld,False\nOld,FALSE\n"
        "Old,TRUE\nOld,false\n",
    )
    result = ok("rates", path, "--segment visitor --converted revenue --format csv")
    assert counts_of(by_segment(rows_of(result.stdout), "visitor")) == {
        "New": (3, 2),
        "Old": (4, 1),
    }


def test_web_sessions_sample_matches_a_recount() -> None:
    result = ok(
        "rates sample_data/web_sessions.csv --segment visitor_type",
        "--converted revenue --format csv",
    )
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with (SAMPLES / "web_sessions.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            expected[row["visitor_type"]][0] += 1
            expected[row["visitor_type"]][1] += row["revenue"].upper() == "TRUE"
    got = counts_of(by_segment(rows_of(result.stdout), "visitor_type"))
    assert got == {k: (v[0], v[1]) for k, v in expected.items()}


def test_newsletter_sample_counts_unique_contacts() -> None:
    result = ok(
        "rates sample_data/newsletter_signups.csv --segment source",
        "--id contact_id --converted-date first_purchase_date",
        "--format json",
    )
    with (SAMPLES / "newsletter_signups.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = {row["contact_id"] for row in rows}
    bought = {row["contact_id"] for row in rows if row["first_purchase_date"].strip()}
    document = json.loads(result.stdout)
    assert document["overall"]["contacts"] == len(ids)
    assert document["overall"]["customers"] == len(bought)
    assert any("repeat an id" in w for w in document["warnings"])


# ---------------------------------------------------------------------------------------------
# Ways to start the command


def test_python_dash_m_conversion_shows_help() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "rates" in result.stdout and "roles" in result.stdout


def test_roles_command_names_the_columns() -> None:
    result = ok("roles sample_data/crm_contacts_export.csv")
    assert "Record ID" in result.stdout
    assert "Converted" in result.stdout
    assert "Create Date" in result.stdout


@pytest.mark.skipif(shutil.which("conversion") is None, reason="console script not installed")
def test_console_script_gives_the_same_numbers(leads: Path) -> None:
    args = ("rates", leads, "--segment source --converted converted --format csv")
    script = run(*args, command=(shutil.which("conversion") or "conversion",))
    module = run(*args)
    assert script.returncode == 0, script.stderr
    assert script.stdout == module.stdout


# ---------------------------------------------------------------------------------------------
# Bad input: exit status 2, one line on stderr, naming what is wrong


def test_missing_file(tmp_path: Path) -> None:
    message = bad_input("rates", tmp_path / "nowhere.csv", "--segment s --converted c")
    assert "nowhere.csv" in message
    assert "not found" in message


def test_missing_orders_file(leads: Path, tmp_path: Path) -> None:
    message = bad_input(
        "rates", leads, "--segment source --orders", tmp_path / "deals.csv", "--key source"
    )
    assert "deals.csv" in message and "not found" in message


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.csv", "")
    message = bad_input("rates", path, "--segment s --converted c")
    assert "empty.csv" in message and "empty" in message


def test_header_only_file(tmp_path: Path) -> None:
    path = write(tmp_path / "header.csv", "source,converted\n")
    message = bad_input("rates", path, "--segment source --converted converted")
    assert "header.csv" in message
    assert "no data rows" in message
    assert "source" in message and "converted" in message


def test_unknown_column(leads: Path) -> None:
    message = bad_input("rates", leads, "--segment Source --converted converted")
    assert "leads.csv" in message
    assert "'Source'" in message
    assert "'source'" in message  # the columns that do exist are listed


def test_unknown_column_in_orders(leads: Path, tmp_path: Path) -> None:
    deals = write(tmp_path / "deals.csv", "lead,won\nx,y\n")
    message = bad_input(
        "rates", leads, "--segment source --orders", deals, "--key source --orders-key lead_id"
    )
    assert "deals.csv" in message and "'lead_id'" in message


def test_flag_values_that_are_not_yes_no_are_listed_with_counts(tmp_path: Path) -> None:
    path = write(
        tmp_path / "flags.csv", "seg,status\nA,yes\nA,maybe\nB,maybe\nB,pending\nB,maybe\nA,no\n"
    )
    message = bad_input("rates", path, "--segment seg --converted status")
    assert "'status'" in message and "flags.csv" in message
    assert "'maybe' (3 rows)" in message
    assert "'pending' (1 row" in message
    assert "--customer-value" in message


def test_dates_that_do_not_parse_show_row_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dates.csv",
        (
            "seg,bought,signed\n"
            "A,2024-02-01,2024-01-01\n"
            "A,,2024-01-05\n"
            "B,2024-03-01,not a date\n"
            "B,,2024-02-30\n"
        ),
    )
    message = bad_input(
        "rates",
        path,
        "--segment seg --converted-date bought --contact-date signed",
        "--window-days 30",
    )
    assert "'signed'" in message and "dates.csv" in message
    assert "row 3: 'not a date'" in message
    assert "row 4: '2024-02-30'" in message


def test_day_first_dates_that_do_not_parse_show_row_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "dates.csv",
        ("seg,bought\nA,26-02-2018 19:58\nA,31-02-2018 10:00\nB,\nB,27-02-2018 08:00\n"),
    )
    message = bad_input("rates", path, "--segment seg --converted-date bought")
    assert "'bought'" in message
    assert "row 2: '31-02-2018 10:00'" in message


def test_order_dates_that_do_not_parse_name_the_orders_file(tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", "id,src,created\nL1,A,20-01-2024\nL2,B,21-01-2024\n")
    deals = write(tmp_path / "deals.csv", "id,won\nL1,25-01-2024\nL2,26-01-2024\nL2,someday\n")
    message = bad_input(
        "rates",
        leads,
        "--segment src --id id --contact-date created",
        "--window-days 30 --orders",
        deals,
        "--key id --orders-date won",
    )
    assert "deals.csv" in message and "'won'" in message
    assert "row 3: 'someday'" in message


def test_ambiguous_day_month_dates_ask_for_date_format(tmp_path: Path) -> None:
    path = write(tmp_path / "amb.csv", "seg,bought\nA,01/02/2020\nB,03/04/2020\nB,\n")
    message = bad_input("rates", path, "--segment seg --converted-date bought")
    assert "'bought'" in message and "amb.csv" in message
    assert "--date-format" in message


def test_ambiguous_dates_are_read_with_an_explicit_format(tmp_path: Path) -> None:
    path = write(
        tmp_path / "amb.csv",
        "seg,signed,bought\nA,01/02/2020,05/02/2020\nA,01/02/2020,\nB,03/04/2020,03/05/2020\n",
    )
    # Day-first: A bought 4 days after signing up; B a month later (outside 10 days).
    result = ok(
        "rates",
        path,
        "--segment seg --contact-date signed --converted-date bought",
        "--window-days 10 --as-of 2020-12-31 --date-format %d/%m/%Y",
        "--format csv",
    )
    assert counts_of(by_segment(rows_of(result.stdout), "seg")) == {"A": (2, 1), "B": (1, 0)}


def test_customers_above_contacts_in_pre_aggregated_input(tmp_path: Path) -> None:
    path = write(tmp_path / "agg.csv", "channel,contacts,customers\nEmail,10,3\nAds,5,7\n")
    message = bad_input(
        "rates", path, "--segment channel --contacts contacts --customers customers"
    )
    assert "agg.csv" in message
    assert "Ads" in message and "7" in message and "5" in message
    assert "row 2" in message


def test_non_integer_counts_in_pre_aggregated_input(tmp_path: Path) -> None:
    path = write(tmp_path / "agg.csv", "channel,contacts,customers\nEmail,10.5,3\nAds,5,x\n")
    message = bad_input(
        "rates", path, "--segment channel --contacts contacts --customers customers"
    )
    assert "'contacts'" in message and "10.5" in message


def test_binary_file_renamed_csv(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 16)
    message = bad_input("rates", path, "--segment s --converted c")
    assert "photo.csv" in message and "binary" in message


def test_no_customer_evidence(leads: Path) -> None:
    # The flag would be detected: --no-detect leaves the evidence unsaid.
    message = bad_input("rates", leads, "--segment source --no-detect")
    assert "--converted" in message and "--orders" in message


def test_window_without_contact_date(signups: Path) -> None:
    # --no-detect: the contact date would otherwise be detected.
    message = bad_input(
        "rates",
        signups,
        "--segment segment --converted-date first_purchase",
        "--window-days 30 --no-detect",
    )
    assert "--contact-date" in message


def test_orders_without_key(leads: Path, tmp_path: Path) -> None:
    deals = write(tmp_path / "deals.csv", "lead,won\nx,y\n")
    message = bad_input("rates", leads, "--segment source --orders", deals)
    assert "--key" in message


def test_unwritable_output(leads: Path, tmp_path: Path) -> None:
    message = bad_input(
        "rates",
        leads,
        "--segment source --converted converted --output",
        tmp_path / "no-such-folder" / "out.csv",
    )
    assert "no-such-folder" in message


# ---------------------------------------------------------------------------------------------
# Sparse date columns: the format must come from the values, wherever they are


def test_sparse_day_first_conversion_dates_are_detected(tmp_path: Path) -> None:
    lines = ["seg,bought"] + ["A,"] * 20_000 + ["B,26-02-2018 19:58", "B,01-03-2018 10:00"]
    path = write(tmp_path / "sparse.csv", "\n".join(lines) + "\n")
    result = run("rates", path, "--segment seg --converted-date bought --format csv")
    assert result.returncode == 0, result.stderr
    assert counts_of(by_segment(rows_of(result.stdout), "seg")) == {
        "A": (20_000, 0),
        "B": (2, 2),
    }


def test_sparse_two_digit_year_conversion_dates_give_the_right_count(tmp_path: Path) -> None:
    lines = ["seg,signed,bought"] + ["A,15/03/18,"] * 20_000 + ["B,15/03/18,20/03/18"]
    path = write(tmp_path / "sparse.csv", "\n".join(lines) + "\n")
    result = run(
        "rates",
        path,
        "--segment seg --contact-date signed --converted-date bought",
        "--window-days 30 --as-of 2018-12-31 --format csv",
    )
    assert result.returncode == 0, result.stderr
    assert counts_of(by_segment(rows_of(result.stdout), "seg")) == {
        "A": (20_000, 0),
        "B": (1, 1),
    }


# ---------------------------------------------------------------------------------------------
# Roles the flags leave open are detected as the app detects them


def bank_marketing(path: Path, *, second_flag: bool = False) -> Path:
    """A bank-marketing style table: job, housing and loan (yes/no) and the outcome ``y``.

    By hand: admin. 3 customers of 10, technician 1 of 10, services 0 of 5.
    """
    rows = [("admin.", "yes" if i < 3 else "no") for i in range(10)]
    rows += [("technician", "yes" if i < 1 else "no") for i in range(10)]
    rows += [("services", "no") for _ in range(5)]
    header = "age;job;housing;loan;y" + (";converted" if second_flag else "")
    lines = [header]
    for i, (job, y) in enumerate(rows):
        extra = ";yes" if second_flag else ""
        lines.append(f"{30 + i};{job};{'yes' if i % 2 else 'no'};no;{y}{extra}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rates_takes_the_detected_flag_and_names_it_on_stderr(tmp_path):
    path = bank_marketing(tmp_path / "bank.csv")
    detected = run("rates", path, "--segment job --format json")
    assert detected.returncode == 0, detected.stderr
    assert (
        'conversion: note: customer = flag column "y" (detected; --converted COL to choose '
        "another)" in detected.stderr.splitlines()
    )
    segments = {
        s["job"]: (s["contacts"], s["customers"]) for s in json.loads(detected.stdout)["segments"]
    }
    assert segments == {"admin.": (10, 3), "technician": (10, 1), "services": (5, 0)}
    given = run("rates", path, "--segment job --converted y --format json")
    assert given.returncode == 0 and "detected" not in given.stderr
    assert json.loads(given.stdout)["segments"] == json.loads(detected.stdout)["segments"]


def test_rates_detects_id_and_dates_and_equals_the_same_roles_given():
    sample = SAMPLES / "newsletter_signups.csv"
    detected = run("rates", sample, "--segment source --window-days 90 --format csv")
    assert detected.returncode == 0, detected.stderr
    notes = [line for line in detected.stderr.splitlines() if "(detected;" in line]
    assert [n.split(" = ")[0] for n in notes] == [
        "conversion: note: customer",
        "conversion: note: id",
        "conversion: note: contact date",
    ]
    assert '"first_purchase_date"' in notes[0] and '"contact_id"' in notes[1]
    given = run(
        "rates", sample, "--segment source --window-days 90 --format csv --id contact_id "
        "--contact-date signup_date --converted-date first_purchase_date",
    )  # fmt: skip
    assert given.returncode == 0 and "(detected;" not in given.stderr
    assert given.stdout == detected.stdout


def test_rates_with_two_candidate_flags_exits_2_listing_them(tmp_path):
    path = bank_marketing(tmp_path / "bank.csv", second_flag=True)
    result = run("rates", path, "--segment job")
    assert result.returncode == 2
    assert '"y"' in result.stderr and '"converted"' in result.stderr
    assert "--converted COL" in result.stderr and "Traceback" not in result.stderr


def test_no_id_and_no_detect_turn_detection_off(tmp_path):
    sample = SAMPLES / "newsletter_signups.csv"
    rows = run("rates", sample, "--segment source --converted-date first_purchase_date --no-id")
    assert rows.returncode == 0 and "note: id" not in rows.stderr
    with (sample).open(encoding="utf-8", newline="") as handle:
        total_rows = sum(1 for _ in csv.DictReader(handle))
    assert f"/ {total_rows:,} contacts" in rows.stdout
    nothing = run("rates", bank_marketing(tmp_path / "bank.csv"), "--segment job --no-detect")
    assert nothing.returncode == 2 and "Say what makes a contact a customer" in nothing.stderr
    both = run("rates", sample, "--segment source --id contact_id --no-id")
    assert both.returncode == 2 and "--no-id" in both.stderr
