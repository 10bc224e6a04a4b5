"""Rebuild sample_data/crm_lifecycle.csv: a CRM export with one date column per lifecycle stage.

Synthetic, seeded (``numpy.random.default_rng(SEED)``): each contact is created on a day of
2025, moves lead → marketing-qualified → sales-qualified → opportunity → customer with a
probability per step that depends on its lead source, and waits a gamma-distributed number of
days before each step. Steps that would happen after the export date are not in the file, so
recent contacts are still in progress. Running it again rebuilds a byte-identical file:

    python sample_data/make_lifecycle.py

See sample_data/README.md for what is built into it.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "crm_lifecycle.csv"
SEED = 20251204
CONTACTS = 3000
FIRST_CREATE = date(2025, 1, 1)
LAST_CREATE = date(2025, 10, 31)
EXPORT_DATE = date(2025, 11, 15)  # no stage is recorded after this day
STAGES = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
HEADERS = (
    "Record ID",
    "Create Date",
    "Original Source",
    "Country",
    "Lifecycle Stage",
    "Became a Lead Date",
    "Became a Marketing Qualified Lead Date",
    "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
)
# source: (share of contacts, probability of each step: lead→MQL, MQL→SQL, SQL→opp, opp→customer)
SOURCES = {
    "Organic Search": (0.30, (0.45, 0.40, 0.55, 0.35)),
    "Paid Search": (0.22, (0.55, 0.25, 0.50, 0.30)),  # many MQLs, few accepted by sales
    "Paid Social": (0.18, (0.30, 0.30, 0.40, 0.25)),  # loses most at the first step
    "Referrals": (0.12, (0.60, 0.60, 0.65, 0.50)),  # converts best at every step
    "Email Marketing": (0.10, (0.50, 0.45, 0.30, 0.40)),  # weak at SQL → opportunity
    "Offline Sources": (0.08, (0.40, 0.50, 0.55, 0.45)),
}
COUNTRIES = {"United States": 0.45, "United Kingdom": 0.20, "Germany": 0.15, "India": 0.20}
STEP_LAG_GAMMA = ((1.5, 6.0), (1.5, 10.0), (2.0, 8.0), (2.0, 15.0))  # days: (shape, scale)
SKIP_MQL = 0.08  # of contacts that reach SQL: sales took them straight from lead (no MQL date)
NO_LEAD_DATE = 0.06  # of contacts that reach MQL: imported then, no lead date (skipped)
SUBSCRIBERS = 0.05  # newsletter subscribers with no stage date at all
DUPLICATE_ROWS = 12  # contacts exported twice (same Record ID, same values)


def _contact(rng: np.random.Generator, steps: tuple[float, ...], created: date) -> list[str]:
    """The stage dates of one contact as ISO text ('' where not reached by the export)."""
    dates: list[str] = []
    day = created
    for index in range(len(STAGES)):
        if index > 0:
            if rng.random() >= steps[index - 1]:
                break
            day = day + timedelta(days=int(rng.gamma(*STEP_LAG_GAMMA[index - 1])))
        if day > EXPORT_DATE:
            break
        dates.append(day.isoformat())
    dates += [""] * (len(STAGES) - len(dates))
    if dates[2] and rng.random() < SKIP_MQL:
        dates[1] = ""
    if dates[1] and rng.random() < NO_LEAD_DATE:
        dates[0] = ""
    return dates


def make_lifecycle(seed: int = SEED) -> int:
    rng = np.random.default_rng(seed)
    sources = list(SOURCES)
    source_p = np.asarray([SOURCES[s][0] for s in sources])
    countries = list(COUNTRIES)
    country_p = np.asarray(list(COUNTRIES.values()))
    span = (LAST_CREATE - FIRST_CREATE).days
    rows = []
    for i in range(CONTACTS):
        source = sources[rng.choice(len(sources), p=source_p / source_p.sum())]
        country = countries[rng.choice(len(countries), p=country_p / country_p.sum())]
        created = FIRST_CREATE + timedelta(days=int(rng.integers(0, span + 1)))
        if rng.random() < SUBSCRIBERS:
            dates, stage = [""] * len(STAGES), "subscriber"
        else:
            dates = _contact(rng, SOURCES[source][1], created)
            stage = STAGES[max(k for k, d in enumerate(dates) if d or k == 0)]
        rows.append([f"C{i + 1:05d}", created.isoformat(), source, country, stage, *dates])
    for index in sorted(rng.choice(CONTACTS, size=DUPLICATE_ROWS, replace=False)):
        rows.append(list(rows[int(index)]))
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    print(f"crm_lifecycle.csv: {make_lifecycle()} rows")
