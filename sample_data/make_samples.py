"""Rebuild the bundled sample data sets.

Every file is synthetic: drawn from seeded numpy random generators with the segment rates
declared as constants below, then roughened with a little realistic mess (duplicates, missing
values, impossible dates, orphan keys). Running the script again rebuilds byte-identical files:

    python sample_data/make_samples.py

See sample_data/README.md for what each file imitates and what is built into it.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

OUT_DIR = Path(__file__).resolve().parent

# One base seed; each file draws from its own generator, default_rng(SEED + offset), so that
# changing one generator never changes the other files.
SEED = 20251031

# ---------------------------------------------------------------------------------------------
# 1. newsletter_signups.csv
# ---------------------------------------------------------------------------------------------
NEWSLETTER_ROWS = 4000
NEWSLETTER_FIRST_SIGNUP = date(2025, 1, 1)
NEWSLETTER_LAST_SIGNUP = date(2025, 9, 30)
NEWSLETTER_EXPORT_DATE = date(2025, 10, 31)  # no purchase is recorded after this day
NEWSLETTER_EVENTS_CONTACTS = 40  # the "Events" source is a deliberately small segment
# source: (share of the non-Events sign-ups, probability of ever buying)
NEWSLETTER_SOURCES = {
    "Organic search": (0.34, 0.16),
    "Paid social": (0.30, 0.06),
    "Email": (0.14, 0.13),
    "Referral": (0.12, 0.29),
    "Partner": (0.10, 0.09),
}
NEWSLETTER_EVENTS_RATE = 0.22
# Multipliers on the source rate (re-normalised so that each source keeps its rate on average).
NEWSLETTER_DEVICES = {"Desktop": (0.48, 1.20), "Mobile": (0.44, 0.70), "Tablet": (0.08, 1.00)}
NEWSLETTER_REGIONS = {
    "North America": (0.38, 1.15),
    "Europe": (0.32, 1.00),
    "Asia-Pacific": (0.18, 0.85),
    "Latin America": (0.12, 0.75),
}
NEWSLETTER_PLANS = {"Free": (0.50, 0.75), "Pro": (0.35, 1.30), "Team": (0.15, 1.25)}
NEWSLETTER_MISSING_REGION_SHARE = 0.03
NEWSLETTER_TREND = (0.90, 1.10)  # rate multiplier from the first to the last sign-up day
NEWSLETTER_LAG_GAMMA = (1.3, 28.0)  # purchase lag in days: gamma(shape, scale), mean ~36
NEWSLETTER_MAX_LAG_DAYS = 150
NEWSLETTER_PURCHASE_BEFORE_SIGNUP = 3  # data-entry errors: purchase one day before sign-up

# ---------------------------------------------------------------------------------------------
# 2. b2b_leads.csv + b2b_won_deals.csv
# ---------------------------------------------------------------------------------------------
B2B_LEADS = 2500
B2B_YEAR = 2024
B2B_EXPORT_DATE = date(2025, 3, 31)  # deals won after this day are not in the export
B2B_DATETIME_FORMAT = "%d-%m-%Y %H:%M"  # day-first, e.g. 26-02-2024 19:58
B2B_FIRST_LEAD_NUMBER = 10001
# lead_source: (share, probability that the lead is won)
B2B_SOURCES = {
    "Inbound": (0.35, 0.16),
    "Outbound": (0.25, 0.06),
    "Webinar": (0.18, 0.12),
    "Partner referral": (0.12, 0.25),
    "Trade show": (0.10, 0.14),
}
B2B_INDUSTRIES = {  # "" = missing
    "Software": (0.30, 1.20),
    "Manufacturing": (0.20, 1.00),
    "Retail": (0.15, 0.95),
    "Finance": (0.15, 0.90),
    "Healthcare": (0.12, 0.80),
    "": (0.08, 1.00),
}
# company_size: (share, rate multiplier, median deal value)
B2B_SIZES = {
    "1-10": (0.22, 1.10, 2_500),
    "11-50": (0.30, 1.10, 6_000),
    "51-200": (0.25, 1.00, 15_000),
    "201-1000": (0.15, 0.85, 40_000),
    "1000+": (0.08, 0.70, 95_000),
}
B2B_COUNTRIES = {
    "United States": 0.40,
    "United Kingdom": 0.15,
    "Germany": 0.14,
    "France": 0.10,
    "Canada": 0.09,
    "Netherlands": 0.07,
    "Australia": 0.05,
}
B2B_MIN_LAG_DAYS = 5
B2B_MAX_LAG_DAYS = 200
B2B_LAG_GAMMA = (2.0, 28.0)  # days after the 5-day minimum: mean ~61 days in all
B2B_REPEAT_WINS = 8  # leads that close a second deal later
B2B_ORPHAN_LEAD_IDS = ("L-09412", "L-09877", "L-09958")  # deals on leads missing from the leads
B2B_DEAL_VALUE_SIGMA = 0.5  # lognormal spread around the median deal value

# ---------------------------------------------------------------------------------------------
# 3. crm_contacts_export.csv
# ---------------------------------------------------------------------------------------------
CRM_ROWS = 1500
CRM_FIRST_CREATE = datetime(2024, 7, 1)
CRM_LAST_CREATE = datetime(2025, 9, 30, 23, 59)
CRM_EXPORT = datetime(2025, 10, 31, 18, 0)
CRM_HEADERS = (
    "Record ID",
    "First Name",
    "Email",
    "Original Source",
    "Lifecycle Stage",
    "Create Date",
    "Became a Customer Date",
    "Country",
    "Converted",
)
CRM_DATETIME_FORMAT = "%Y-%m-%d %H:%M"
# Original Source: (share, probability of becoming a customer)
CRM_SOURCES = {
    "Organic Search": (0.28, 0.14),
    "Paid Search": (0.18, 0.09),
    "Social Media": (0.16, 0.05),
    "Direct Traffic": (0.14, 0.12),
    "Email Marketing": (0.10, 0.16),
    "Referrals": (0.09, 0.27),
    "Offline Sources": (0.05, 0.20),
}
CRM_COUNTRIES = {
    "United States": (0.45, 1.10),
    "United Kingdom": (0.15, 1.00),
    "Canada": (0.10, 1.05),
    "Germany": (0.10, 0.95),
    "Australia": (0.08, 1.00),
    "India": (0.07, 0.60),
    "": (0.05, 0.90),
}
CRM_NON_CUSTOMER_STAGES = {
    "subscriber": 0.30,
    "lead": 0.35,
    "marketingqualifiedlead": 0.17,
    "salesqualifiedlead": 0.10,
    "opportunity": 0.08,
}
CRM_LAG_GAMMA = (1.5, 25.0)  # days from creation to becoming a customer
NAME_STARTS = ("Ma", "Li", "Ta", "Jo", "Ka", "Ro", "Se", "Da", "Ni", "El", "A", "Mi")
NAME_STARTS += ("Sa", "Be", "No", "Lu", "Ve", "Ha", "Ti", "Ar", "Zo", "Fe", "Ya", "O")
NAME_ENDS = ("ra", "na", "lia", "ren", "son", "la", "mir", "dan", "vi", "tis", "len", "ro")
NAME_ENDS += ("sha", "nes", "ta", "rik", "mon", "ley", "dre", "fi", "lo", "ran")
NAME_ACCENTED_ENDS = ("ë", "née", "rén", "lø")  # a few non-ASCII names to exercise UTF-8
NAME_ACCENTED_SHARE = 0.04
SURNAME_PARTS = ("bel", "kor", "ven", "dal", "mor", "sten", "har", "win", "lund", "ford")
SURNAME_PARTS += ("mar", "tel", "ros", "berg", "cal", "den", "vik", "ton", "ash", "rey")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")

# ---------------------------------------------------------------------------------------------
# 4. campaign_summary.csv (already aggregated)
# ---------------------------------------------------------------------------------------------
# campaign, channel, contacts, customer rate (customers are drawn binomially from these)
CAMPAIGNS = (
    ("Spring Sale 2025", "Email", 1840, 0.11),
    ("Summer Webinar Series", "Webinar", 620, 0.18),
    ("Brand Search Q2", "Paid search", 2310, 0.07),
    ("Generic Search Q2", "Paid search", 3150, 0.03),
    ("Retargeting June", "Display", 1270, 0.05),
    ("Instagram Creators", "Paid social", 1980, 0.04),
    ("LinkedIn ABM Pilot", "Paid social", 410, 0.09),
    ("Customer Referral Bonus", "Referral", 530, 0.26),
    ("Partner Co-marketing", "Partner", 360, 0.14),
    ("Trade Fair Berlin", "Events", 95, 0.21),
    ("Podcast Sponsorship", "Audio", 45, 0.0),  # no customers at all
    ("VIP Dinner Invite", "Events", 3, 2 / 3),  # tiny: pinned to 2 of 3 below
)
CAMPAIGN_PINNED = {"VIP Dinner Invite": 2}

# ---------------------------------------------------------------------------------------------
# 5. web_sessions.csv
# ---------------------------------------------------------------------------------------------
WEB_ROWS = 3000
# month: (share of sessions, purchase rate)
WEB_MONTHS = {
    "Feb": (0.015, 0.02),
    "Mar": (0.150, 0.10),
    "Apr": (0.040, 0.08),
    "May": (0.270, 0.11),
    "Jun": (0.025, 0.10),
    "Jul": (0.035, 0.15),
    "Aug": (0.035, 0.17),
    "Sep": (0.036, 0.19),
    "Oct": (0.045, 0.21),
    "Nov": (0.240, 0.25),
    "Dec": (0.140, 0.12),
}
WEB_VISITORS = {
    "Returning_Visitor": (0.85, 0.92),
    "New_Visitor": (0.14, 1.55),
    "Other": (0.01, 1.10),
}
WEB_TRAFFIC_TYPES = {  # traffic_type: (share, rate multiplier)
    1: (0.20, 0.75),
    2: (0.32, 1.30),
    3: (0.17, 0.65),
    4: (0.09, 1.00),
    5: (0.04, 1.40),
    6: (0.04, 0.80),
    7: (0.02, 1.50),
    8: (0.12, 1.20),
}
WEB_WEEKEND = (0.23, 1.10)  # share of weekend sessions, rate multiplier on weekends


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _shares(table: dict) -> tuple[list, np.ndarray]:
    """Keys and normalised first-column probabilities of a constants table."""
    keys = list(table)
    first = [v[0] if isinstance(v, tuple) else v for v in table.values()]
    p = np.asarray(first, dtype=float)
    return keys, p / p.sum()


def _draw(rng: np.random.Generator, table: dict, n: int) -> np.ndarray:
    """Draw n keys of a constants table with its share column as probabilities."""
    keys, p = _shares(table)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=p)]


def _multiplier(table: dict, values: np.ndarray, column: int = 1) -> np.ndarray:
    """Rate multipliers for drawn values, divided by their share-weighted mean (mean 1)."""
    keys, p = _shares(table)
    mult = np.asarray([table[k][column] for k in keys], dtype=float)
    lookup = dict(zip(keys, mult / float(p @ mult), strict=True))
    return np.asarray([lookup[v] for v in values], dtype=float)


def _gamma_lag(rng: np.random.Generator, shape_scale: tuple, n: int, maximum: float) -> np.ndarray:
    """Gamma-distributed lags, redrawn until every one is at most `maximum`."""
    lag = rng.gamma(*shape_scale, size=n)
    while (too_long := lag > maximum).any():
        lag[too_long] = rng.gamma(*shape_scale, size=int(too_long.sum()))
    return lag


def _write_csv(name: str, header: Sequence[str], rows: list, bom: bool = False) -> int:
    with (OUT_DIR / name).open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def _iso(d: date | None) -> str:
    return "" if d is None else d.isoformat()


# ---------------------------------------------------------------------------------------------
# generators, one per file
# ---------------------------------------------------------------------------------------------
def make_newsletter_signups(seed: int) -> int:
    rng = np.random.default_rng(seed)
    n = NEWSLETTER_ROWS
    span = (NEWSLETTER_LAST_SIGNUP - NEWSLETTER_FIRST_SIGNUP).days
    day = np.sort(rng.integers(0, span + 1, size=n))

    source_rates = {s: rate for s, (_, rate) in NEWSLETTER_SOURCES.items()}
    source_rates["Events"] = NEWSLETTER_EVENTS_RATE
    source = _draw(rng, NEWSLETTER_SOURCES, n)
    source[rng.choice(n, size=NEWSLETTER_EVENTS_CONTACTS, replace=False)] = "Events"
    device = _draw(rng, NEWSLETTER_DEVICES, n)
    region = _draw(rng, NEWSLETTER_REGIONS, n)
    plan = _draw(rng, NEWSLETTER_PLANS, n)

    trend = np.interp(day, [0, span], NEWSLETTER_TREND)
    trend /= trend.mean()
    p_buy = (
        np.asarray([source_rates[s] for s in source])
        * _multiplier(NEWSLETTER_DEVICES, device)
        * _multiplier(NEWSLETTER_REGIONS, region)
        * _multiplier(NEWSLETTER_PLANS, plan)
        * trend
    ).clip(0, 0.95)
    buys = rng.random(n) < p_buy
    lag = np.floor(_gamma_lag(rng, NEWSLETTER_LAG_GAMMA, n, NEWSLETTER_MAX_LAG_DAYS)).astype(int)
    # purchases after the export date have not happened yet as far as the file knows
    days_to_export = (NEWSLETTER_EXPORT_DATE - NEWSLETTER_FIRST_SIGNUP).days - day
    buys &= lag <= days_to_export
    region[rng.random(n) < NEWSLETTER_MISSING_REGION_SHARE] = ""

    rows = []
    for i in range(n):
        signup = NEWSLETTER_FIRST_SIGNUP + timedelta(days=int(day[i]))
        purchase = signup + timedelta(days=int(lag[i])) if buys[i] else None
        row = [f"N{i + 1:06d}", signup, source[i], region[i], device[i], plan[i], purchase]
        rows.append(row)

    # data-entry errors: a few purchase dates one day before the sign-up
    buyers = np.flatnonzero(buys)
    for i in rng.choice(buyers, size=NEWSLETTER_PURCHASE_BEFORE_SIGNUP, replace=False):
        rows[i][6] = rows[i][1] - timedelta(days=1)

    # the same person signing up twice: the second row is later and may differ
    never_bought = np.flatnonzero(~buys & (day < span - 60))
    first = rows[int(rng.choice(never_bought))]
    other_sources = [s for s in source_rates if s != first[2]]
    again = first.copy()
    again[1] = first[1] + timedelta(days=int(rng.integers(20, 60)))
    again[2] = other_sources[int(rng.integers(len(other_sources)))]
    rows.append(again)
    slow_buyers = [
        r
        for r in rows
        if r[6] is not None
        and (r[6] - r[1]).days >= 30
        and r[1] + (r[6] - r[1]) // 2 <= NEWSLETTER_LAST_SIGNUP
    ]
    second = slow_buyers[int(rng.integers(len(slow_buyers)))]
    again = second.copy()
    again[1] = second[1] + timedelta(days=(second[6] - second[1]).days // 2)
    again[4] = "Mobile" if second[4] != "Mobile" else "Desktop"
    rows.append(again)

    rows.sort(key=lambda r: (r[1], r[0]))
    out = [[r[0], _iso(r[1]), r[2], r[3], r[4], r[5], _iso(r[6])] for r in rows]
    header = ("contact_id", "signup_date", "source", "region", "device", "plan_interest")
    return _write_csv("newsletter_signups.csv", (*header, "first_purchase_date"), out)


def make_b2b_leads_and_deals(seed: int) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    n = B2B_LEADS
    start = datetime(B2B_YEAR, 1, 1)
    days_in_year = (datetime(B2B_YEAR + 1, 1, 1) - start).days
    minute_of_day = rng.integers(7 * 60, 20 * 60, size=n)  # mostly office hours
    created_min = np.sort(rng.integers(0, days_in_year, size=n) * 1440 + minute_of_day)
    created = [start + timedelta(minutes=int(m)) for m in created_min]
    lead_ids = [f"L-{B2B_FIRST_LEAD_NUMBER + i}" for i in range(n)]

    source = _draw(rng, B2B_SOURCES, n)
    industry = _draw(rng, B2B_INDUSTRIES, n)
    size = _draw(rng, B2B_SIZES, n)
    country = _draw(rng, B2B_COUNTRIES, n)
    p_win = (
        np.asarray([B2B_SOURCES[s][1] for s in source])
        * _multiplier(B2B_INDUSTRIES, industry)
        * _multiplier(B2B_SIZES, size)
    ).clip(0, 0.95)
    wins = rng.random(n) < p_win
    lag_span = B2B_MAX_LAG_DAYS - B2B_MIN_LAG_DAYS
    lag = B2B_MIN_LAG_DAYS + np.floor(_gamma_lag(rng, B2B_LAG_GAMMA, n, lag_span)).astype(int)

    def won_at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day) + timedelta(
            minutes=int(rng.integers(8 * 60, 19 * 60))
        )

    def deal_value(company_size: str) -> int:
        median = B2B_SIZES[company_size][2]
        return int(round(median * rng.lognormal(0.0, B2B_DEAL_VALUE_SIGMA), -1))

    deals = []  # (won datetime, lead_id, value)
    for i in np.flatnonzero(wins):
        won_day = created[i].date() + timedelta(days=int(lag[i]))
        if won_day <= B2B_EXPORT_DATE:
            deals.append((won_at(won_day), lead_ids[i], deal_value(size[i])))
    lead_index = {lead_id: i for i, lead_id in enumerate(lead_ids)}

    def last_day(lead_id: str) -> date:  # a repeat deal also falls within the lag limits
        latest = created[lead_index[lead_id]].date() + timedelta(days=B2B_MAX_LAG_DAYS)
        return min(latest, B2B_EXPORT_DATE)

    repeat_candidates = [d for d in deals if (last_day(d[1]) - d[0].date()).days >= 40]
    for k in rng.choice(len(repeat_candidates), size=B2B_REPEAT_WINS, replace=False):
        first_won, lead_id, _ = repeat_candidates[int(k)]
        room = (last_day(lead_id) - first_won.date()).days
        later = first_won.date() + timedelta(days=int(rng.integers(20, room + 1)))
        deals.append((won_at(later), lead_id, deal_value(size[lead_index[lead_id]])))
    for lead_id in B2B_ORPHAN_LEAD_IDS:
        orphan_day = date(B2B_YEAR, 1, 1) + timedelta(days=int(rng.integers(30, 300)))
        deals.append((won_at(orphan_day), lead_id, deal_value(str(_draw(rng, B2B_SIZES, 1)[0]))))
    deals.sort()

    fmt = B2B_DATETIME_FORMAT
    leads = [
        [lead_ids[i], created[i].strftime(fmt), source[i], industry[i], size[i], country[i]]
        for i in range(n)
    ]
    header = ("lead_id", "created", "lead_source", "industry", "company_size", "country")
    n_leads = _write_csv("b2b_leads.csv", header, leads)
    won = [[lead_id, when.strftime(fmt), value] for when, lead_id, value in deals]
    n_deals = _write_csv("b2b_won_deals.csv", ("lead_id", "won_date", "deal_value"), won)
    return n_leads, n_deals


def _fake_name(rng: np.random.Generator) -> tuple[str, str]:
    """A made-up first name and surname from syllables (no real people)."""
    first = NAME_STARTS[int(rng.integers(len(NAME_STARTS)))]
    ends = NAME_ACCENTED_ENDS if rng.random() < NAME_ACCENTED_SHARE else NAME_ENDS
    first += ends[int(rng.integers(len(ends)))]
    parts = rng.choice(len(SURNAME_PARTS), size=2, replace=False)
    surname = "".join(SURNAME_PARTS[int(k)] for k in parts)
    return first, surname


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def make_crm_contacts_export(seed: int) -> int:
    rng = np.random.default_rng(seed)
    n = CRM_ROWS
    span_min = int((CRM_LAST_CREATE - CRM_FIRST_CREATE).total_seconds() // 60)
    created = [
        CRM_FIRST_CREATE + timedelta(minutes=int(m))
        for m in np.sort(rng.integers(0, span_min + 1, size=n))
    ]
    record_ids = 15_004_200 + np.cumsum(rng.integers(1, 4000, size=n))
    source = _draw(rng, CRM_SOURCES, n)
    country = _draw(rng, CRM_COUNTRIES, n)
    p_customer = (
        np.asarray([CRM_SOURCES[s][1] for s in source]) * _multiplier(CRM_COUNTRIES, country)
    ).clip(0, 0.95)
    customer = rng.random(n) < p_customer
    lag_minutes = rng.gamma(*CRM_LAG_GAMMA, size=n) * 1440
    stages, stage_p = _shares(CRM_NON_CUSTOMER_STAGES)
    other_stage = np.asarray(stages, dtype=object)[rng.choice(len(stages), size=n, p=stage_p)]

    rows = []
    for i in range(n):
        first, surname = _fake_name(rng)
        suffix = str(int(rng.integers(1, 99))) if rng.random() < 0.25 else ""
        domain = EMAIL_DOMAINS[int(rng.integers(len(EMAIL_DOMAINS)))]
        email = f"{_ascii(first)}.{surname}{suffix}@{domain}".lower()
        became = created[i] + timedelta(minutes=int(lag_minutes[i]))
        if customer[i] and became <= CRM_EXPORT:
            stage, became_text, converted = "customer", became.strftime(CRM_DATETIME_FORMAT), "Y"
        else:
            # a would-be customer whose deal had not closed by the export is still in the pipeline
            stage = "opportunity" if customer[i] else other_stage[i]
            became_text, converted = "", "N"
        rows.append(
            [
                int(record_ids[i]),
                first,
                email,
                source[i],
                stage,
                created[i].strftime(CRM_DATETIME_FORMAT),
                became_text,
                country[i],
                converted,
            ]
        )
    return _write_csv("crm_contacts_export.csv", CRM_HEADERS, rows, bom=True)


def make_campaign_summary(seed: int) -> int:
    rng = np.random.default_rng(seed)
    rows = []
    for campaign, channel, contacts, rate in CAMPAIGNS:
        customers = CAMPAIGN_PINNED.get(campaign, int(rng.binomial(contacts, rate)))
        rows.append([campaign, channel, contacts, customers])
    header = ("campaign", "channel", "contacts", "customers")
    return _write_csv("campaign_summary.csv", header, rows)


def make_web_sessions(seed: int) -> int:
    rng = np.random.default_rng(seed)
    n = WEB_ROWS
    months = list(WEB_MONTHS)
    month = _draw(rng, WEB_MONTHS, n)
    month = month[np.argsort([months.index(m) for m in month], kind="stable")]
    visitor = _draw(rng, WEB_VISITORS, n)
    traffic = _draw(rng, WEB_TRAFFIC_TYPES, n)
    weekend = rng.random(n) < WEB_WEEKEND[0]
    weekend_mult = np.where(weekend, WEB_WEEKEND[1], 1.0)
    p_revenue = (
        np.asarray([WEB_MONTHS[m][1] for m in month])
        * _multiplier(WEB_VISITORS, visitor)
        * _multiplier(WEB_TRAFFIC_TYPES, traffic)
        * weekend_mult
        / weekend_mult.mean()
    ).clip(0, 0.95)
    revenue = rng.random(n) < p_revenue

    def flag(b: bool) -> str:
        return "TRUE" if b else "FALSE"

    rows = [
        [f"S{i + 1:05d}", visitor[i], month[i], int(traffic[i]), flag(weekend[i]), flag(revenue[i])]
        for i in range(n)
    ]
    header = ("session_id", "visitor_type", "month", "traffic_type", "weekend", "revenue")
    return _write_csv("web_sessions.csv", header, rows)


def main() -> None:
    n_newsletter = make_newsletter_signups(SEED)
    n_leads, n_deals = make_b2b_leads_and_deals(SEED + 1)
    n_crm = make_crm_contacts_export(SEED + 2)
    n_campaigns = make_campaign_summary(SEED + 3)
    n_sessions = make_web_sessions(SEED + 4)
    for name, rows in (
        ("newsletter_signups.csv", n_newsletter),
        ("b2b_leads.csv", n_leads),
        ("b2b_won_deals.csv", n_deals),
        ("crm_contacts_export.csv", n_crm),
        ("campaign_summary.csv", n_campaigns),
        ("web_sessions.csv", n_sessions),
    ):
        print(f"{name}: {rows:,} rows written")


if __name__ == "__main__":
    main()
