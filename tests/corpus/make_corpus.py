"""Build the export corpus: files in the shapes real tools write, from counts chosen by hand.

Every file is built FROM the per-segment counts declared as literal tables below, so the
expected numbers are known by construction; nothing here reads a file back or calls the
project's code. The same tables are written to ``expected.json`` (the manifest the tests read).
Standard library only; the seeds are fixed, so a rebuild is byte-identical:

    python tests/corpus/make_corpus.py            # rewrites the files beside this script
    python tests/corpus/make_corpus.py OUT_DIR    # writes them somewhere else (the tests do)

See README.md in this folder for what each file imitates and the trap it holds.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
import re
import sys
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20250304


def rng(offset: int) -> random.Random:
    """One generator per file, so that changing one file leaves the others byte-identical."""
    return random.Random(SEED + offset)


def csv_text(
    rows: list[list[str]], *, delimiter: str = ",", quote_all: bool = False, newline: str = "\n"
) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(
        out,
        delimiter=delimiter,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        lineterminator=newline,
    )
    writer.writerows(rows)
    return out.getvalue()


def thousands(value: int, separator: str = ",") -> str:
    return f"{value:,}".replace(",", separator)


def expand(table: dict[str, tuple[int, int]]) -> list[tuple[str, bool]]:
    """(segment, is customer) for every contact of a {segment: (contacts, customers)} table."""
    out = []
    for segment, (contacts, customers) in table.items():
        out += [(segment, True)] * customers + [(segment, False)] * (contacts - customers)
    return out


def expected_segments(table: dict[str, tuple[int, int]]) -> dict[str, dict[str, int]]:
    return {s: {"contacts": n, "customers": c} for s, (n, c) in table.items()}


def overall(table: dict[str, tuple[int, int]]) -> dict[str, int]:
    return {
        "contacts": sum(n for n, _ in table.values()),
        "customers": sum(c for _, c in table.values()),
    }


FIRST = ["Ada", "Bram", "Chloé", "Dario", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas",
         "Kaja", "Liam", "Maëlle", "Nils", "Oona", "Pavel", "Rosa", "Sven", "Tariq",
         "Uma"]  # fmt: skip
LAST = ["Andersen", "Baptiste", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hansen",
        "Ivanova", "Jansen", "Kowalski", "Laine", "Moreau", "Novak", "O'Brien", "Petrov",
        "Quinn", "Rossi", "Schmidt", "Tanaka"]  # fmt: skip


def ascii_name(name: str) -> str:
    """A name as an e-mail address part: lower case, accents and apostrophes dropped."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return plain.lower().replace("'", "")


# ---------------------------------------------------------------------------------------------
# 1. hubspot_contacts.csv: HubSpot contacts export (BOM, every field quoted, internal stage names)
# ---------------------------------------------------------------------------------------------
# Original Source: (contacts, customers); customers are lifecycle "customer" or "evangelist".
HUBSPOT_SOURCES = {
    "ORGANIC_SEARCH": (120, 18),
    "PAID_SOCIAL": (90, 6),
    "EMAIL_MARKETING": (70, 14),
    "REFERRALS": (40, 12),
    "DIRECT_TRAFFIC": (60, 9),
    "OFFLINE": (20, 2),
}
HUBSPOT_EVANGELISTS = {"ORGANIC_SEARCH": 3, "PAID_SOCIAL": 1, "EMAIL_MARKETING": 2,
                       "REFERRALS": 4, "DIRECT_TRAFFIC": 1, "OFFLINE": 0}  # fmt: skip
HUBSPOT_OPEN_STAGES = ["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity"]


def hubspot_contacts() -> bytes:
    r = rng(1)
    people = []
    for source, (contacts, customers) in HUBSPOT_SOURCES.items():
        evangelists = HUBSPOT_EVANGELISTS[source]
        stages = ["evangelist"] * evangelists + ["customer"] * (customers - evangelists)
        stages += [r.choice(HUBSPOT_OPEN_STAGES) for _ in range(contacts - customers)]
        people += [(source, stage) for stage in stages]
    r.shuffle(people)
    ids = r.sample(range(10_000_000, 99_999_999), len(people))
    start = datetime(2024, 1, 2, 8, 0)
    rows = [["Record ID", "First Name", "Last Name", "Email", "Create Date", "Lifecycle Stage",
             "Original Source"]]  # fmt: skip
    for record, (source, stage) in zip(ids, people, strict=True):
        first, last = r.choice(FIRST), r.choice(LAST)
        created = start + timedelta(minutes=r.randrange(0, 340 * 24 * 60))
        email = f"{ascii_name(first)}.{ascii_name(last)}{r.randrange(100)}@example.com"
        rows.append([str(record), first, last, email, created.strftime("%Y-%m-%d %H:%M"),
                     stage, source])  # fmt: skip
    return codecs.BOM_UTF8 + csv_text(rows, quote_all=True).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# 2. salesforce_leads_report.csv: a Salesforce report exported as CSV, with its footer
# ---------------------------------------------------------------------------------------------
SALESFORCE_SOURCES = {
    "Web": (80, 12),
    "Phone Inquiry": (40, 8),
    "Partner Referral": (35, 11),
    "Purchased List": (60, 2),
    "Trade Show": (45, 7),
    "Employee Referral": (20, 6),
}
SALESFORCE_OWNERS = ["Jane Doe", "Marco Bianchi", "Priya Nair", "Tom Becker"]
SALESFORCE_COMPANIES = ["Northwind Traders", "Globex Ltd", "Initech", "Umbrella Labs",
                        "Vandelay Industries", "Stark Fabrication", "Wayne Logistics",
                        "Hooli GmbH", "Soylent SA", "Cyberdyne BV"]  # fmt: skip
SALESFORCE_FOOTER = [
    "Confidential Information - Do Not Distribute",
    "Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.",
    "Acme Corp",
    "Generated By:  Jane Doe  12/2/2024 10:15 AM",
]


def salesforce_leads_report() -> bytes:
    r = rng(2)
    leads = []
    for source, converted in expand(SALESFORCE_SOURCES):
        created = date(2024, 1, 2) + timedelta(days=r.randrange(0, 330))
        status = (
            "Closed - Converted"
            if converted
            else r.choice(["Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"])
        )
        company = f"{r.choice(SALESFORCE_COMPANIES)} {r.randrange(1, 90)}"
        leads.append((r.choice(SALESFORCE_OWNERS), source, company, status, converted, created))
    leads.sort(key=lambda lead: (lead[0], lead[5], lead[2]))  # grouped by owner, as reports are
    rows = [["Lead Owner", "Lead Source", "Company / Account", "Lead Status", "Converted",
             "Create Date"]]  # fmt: skip
    for owner, source, company, status, converted, created in leads:
        rows.append([owner, source, company, status, "1" if converted else "0",
                     created.strftime("%m/%d/%Y")])  # fmt: skip
    text = csv_text(rows, quote_all=True, newline="\r\n") + "\r\n"
    text += csv_text([[line] for line in SALESFORCE_FOOTER], quote_all=True, newline="\r\n")
    return text.encode("utf-8")


# ---------------------------------------------------------------------------------------------
# 3. google_ads_campaigns.csv / google_ads_bad_total.csv: Google Ads campaign report
# ---------------------------------------------------------------------------------------------
# Campaign, Campaign type, Clicks (= contacts), Conversions (= customers).
GOOGLE_CAMPAIGNS = [
    ("Brand - US", "Search", 3471, 24),
    ("Brand - UK", "Search", 2542, 149),
    ("Brand - DE", "Search", 559, 5),
    ("Brand - FR", "Search", 111, 8),
    ("Brand - CA", "Search", 886, 7),
    ("Brand - AU", "Search", 446, 2),
    ("Brand - NL", "Search", 5744, 73),
    ("Brand - ES", "Search", 624, 6),
    ("Brand - IT", "Search", 4078, 49),
    ("Brand, SE - 2024", "Search", 104, 7),
    ("Generic - US", "Search", 6146, 464),
    ("Generic - UK", "Search", 294, 2),
    ("Generic - DE", "Search", 9111, 746),
    ("Generic - FR", "Search", 663, 32),
    ("Generic - CA", "Search", 815, 62),
    ("Generic, AU - 2024", "Search", 2271, 87),
    ("Generic, NL - 2024", "Search", 9137, 70),
    ("Generic, ES - 2024", "Search", 316, 1),
    ("Generic, IT - 2024", "Search", 8301, 395),
    ("Generic - SE", "Search", 1369, 45),
    ("Competitor, US - 2024", "Search", 159, 3),
    ("Competitor, UK - 2024", "Search", 5056, 200),
    ("Competitor - DE", "Search", 548, 28),
    ("Competitor, FR - 2024", "Search", 3243, 142),
    ("Competitor - CA", "Search", 407, 9),
    ("Competitor - AU", "Search", 194, 0),
    ("Competitor - NL", "Search", 3987, 144),
    ("Competitor - ES", "Search", 9758, 624),
    ("Competitor, IT - 2024", "Search", 168, 7),
    ("Competitor - SE", "Search", 7428, 408),
    ("Remarketing - US", "Display", 533, 12),
    ("Remarketing - UK", "Display", 253, 3),
    ("Remarketing - DE", "Display", 93, 2),
    ("Remarketing, FR - 2024", "Display", 412, 13),
    ("Remarketing - CA", "Display", 5132, 308),
    ("Remarketing - AU", "Display", 2889, 119),
    ("Remarketing, NL - 2024", "Display", 359, 3),
    ("Remarketing, ES - 2024", "Display", 5337, 424),
    ("Remarketing - IT", "Display", 568, 33),
    ("Remarketing, SE - 2024", "Display", 1443, 82),
    ("Prospecting - US", "Performance Max", 5278, 85),
    ("Prospecting - UK", "Performance Max", 9725, 651),
    ("Prospecting, DE - 2024", "Performance Max", 870, 51),
    ("Prospecting, FR - 2024", "Performance Max", 4275, 182),
    ("Prospecting - CA", "Performance Max", 5577, 132),
    ("Prospecting, AU - 2024", "Performance Max", 6640, 357),
    ("Prospecting - NL", "Performance Max", 413, 6),
    ("Prospecting, ES - 2024", "Performance Max", 241, 15),
    ("Prospecting - IT", "Performance Max", 1031, 83),
    ("Prospecting - SE", "Performance Max", 698, 58),
]
GOOGLE_TOTALS = ("Total: Account", "Total: Campaigns")
# In the bad file this campaign row was deleted by hand after the export: both Total rows still
# include it, so neither adds up to the rows left.
GOOGLE_DELETED_ROW = "Brand - DE"


def google_ads(bad_total: bool) -> bytes:
    r = rng(3)  # the same costs in both files
    rows = [["Campaign report"], ["September 1, 2024 - September 30, 2024"],
            ["Campaign", "Campaign type", "Clicks", "Conversions", "Cost"]]  # fmt: skip
    cents_total = 0
    for campaign, kind, clicks, conversions in GOOGLE_CAMPAIGNS:
        cents = clicks * r.randrange(35, 260)
        cents_total += cents
        if bad_total and campaign == GOOGLE_DELETED_ROW:
            continue
        rows.append([campaign, kind, thousands(clicks), f"{conversions:,}.00", money(cents)])
    clicks_total = thousands(sum(c[2] for c in GOOGLE_CAMPAIGNS))
    conversions_total = f"{sum(c[3] for c in GOOGLE_CAMPAIGNS):,}.00"
    for label in GOOGLE_TOTALS:
        rows.append([label, "--", clicks_total, conversions_total, money(cents_total)])
    return csv_text(rows).encode("utf-8")


def money(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


# ---------------------------------------------------------------------------------------------
# 4. meta_ads_export.csv: Meta Ads Manager export, "Objective" twice in the header
# ---------------------------------------------------------------------------------------------
META_AUDIENCES = ["Broad 25-44", "Lookalike 1%", "Lookalike 3%", "Interests - Fitness",
                  "Interests - Travel", "Website visitors 30d", "Engaged IG 90d"]  # fmt: skip
# Campaign: (prefix, objective, [(link clicks, results) per audience, in META_AUDIENCES order]).
META_CAMPAIGNS = {
    "Autumn Sale 2024": ("AUT", "Sales", [(3735, 221), (3844, 231), (4190, 97), (1542, 102),
                                          (3927, 95), (801, 28), (2515, 36)]),
    "Lead Gen - Webinar": ("LEA", "Leads", [(772, 34), (373, 19), (3275, 115), (1320, 79),
                                            (152, 8), (547, 3), (322, 6)]),
    "Retargeting - Cart": ("RET", "Sales", [(2011, 7), (3830, 167), (3638, 151), (1630, 66),
                                            (1944, 75), (4124, 2), (726, 29)]),
    "Prospecting - Lookalike": ("PRO", "Sales", [(2308, 104), (711, 45), (2110, 80),
                                                 (1911, 73), (273, 2), (914, 25), (913, 54)]),
    "Newsletter Sign-ups": ("NEW", "Leads", [(2413, 98), (577, 1), (34, 0), (1748, 116),
                                             (458, 15), (3105, 181), (3285, 107)]),
    "Brand Awareness Q3": ("BRA", "Sales", [(628, 36), (1656, 99), (2240, 86), (743, 19),
                                            (2754, 3), (3389, 194), (996, 17)]),
    "App Installs - iOS": ("APP", "Sales", [(2048, 25), (119, 0), (3838, 249), (1485, 87),
                                            (1573, 57), (4198, 97), (1102, 53)]),
    "Black Friday Teaser": ("BLA", "Sales", [(3173, 29), (3264, 107), (1773, 0), (2240, 77),
                                             (190, 3), (1564, 50), (851, 2)]),
}  # fmt: skip
META_INDICATORS = {
    "Sales": "actions:offsite_conversion.fb_pixel_purchase",
    "Leads": "actions:onsite_conversion.lead_grouped",
}


def meta_ad_sets() -> dict[str, tuple[int, int]]:
    return {
        f"{prefix} | {audience}": counts
        for prefix, _, per_audience in META_CAMPAIGNS.values()
        for audience, counts in zip(META_AUDIENCES, per_audience, strict=True)
    }


def meta_ads_export() -> bytes:
    r = rng(4)
    rows = [["Campaign name", "Ad set name", "Objective", "Reach", "Impressions", "Link clicks",
             "Results", "Result indicator", "Objective", "Reporting starts",
             "Reporting ends"]]  # fmt: skip
    for campaign, (prefix, objective, per_audience) in META_CAMPAIGNS.items():
        for audience, (clicks, results) in zip(META_AUDIENCES, per_audience, strict=True):
            impressions = clicks * r.randrange(40, 120)
            reach = impressions * r.randrange(45, 90) // 100
            rows.append([campaign, f"{prefix} | {audience}", objective, str(reach),
                         str(impressions), str(clicks), str(results), META_INDICATORS[objective],
                         objective, "2024-09-01", "2024-09-30"])  # fmt: skip
    return codecs.BOM_UTF8 + csv_text(rows, quote_all=True).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# 5. excel_unicode_text.txt / _be.txt: Excel "Unicode Text" (UTF-16 + BOM, tabs, CRLF)
# ---------------------------------------------------------------------------------------------
EXCEL_REGIONS = {
    "München": (60, 9),
    "Zürich": (45, 12),
    "Île-de-France": (80, 10),
    "São Paulo": (70, 7),
    "Genève": (25, 5),
}
EXCEL_CHANNELS = ["Email", "Webinar", "Partner", "Trade fair"]


def excel_text() -> str:
    r = rng(5)
    contacts = expand(EXCEL_REGIONS)
    r.shuffle(contacts)
    rows = [["Contact ID", "Region", "Channel", "Customer"]]
    for number, (region, customer) in enumerate(contacts, start=4001):
        rows.append([f"C{number}", region, r.choice(EXCEL_CHANNELS), "Yes" if customer else "No"])
    return csv_text(rows, delimiter="\t", newline="\r\n")


def excel_unicode_text(byte_order: str) -> bytes:
    if byte_order == "le":
        return codecs.BOM_UTF16_LE + excel_text().encode("utf-16-le")
    return codecs.BOM_UTF16_BE + excel_text().encode("utf-16-be")


# ---------------------------------------------------------------------------------------------
# 6. european_semicolon.csv / european_decimal_count.csv: Excel "CSV (semicolon)", cp1252
# ---------------------------------------------------------------------------------------------
# Region: (contacts, customers). "Grand Est" has 4.000 contacts and "Région de
# Bruxelles-Capitale" 1.000 customers: read as decimals they would be 4 and 1.
EUROPEAN_REGIONS = {
    "Île-de-France": (5185, 814),
    "Auvergne-Rhône-Alpes": (767, 119),
    "Nouvelle-Aquitaine": (854, 40),
    "Occitanie": (7091, 504),
    "Hauts-de-France": (449, 73),
    "Provence-Alpes-Côte d'Azur": (315, 26),
    "Grand Est": (4000, 163),
    "Bretagne": (840, 35),
    "Normandie": (11116, 259),
    "Pays de la Loire": (195, 13),
    "Bourgogne-Franche-Comté": (852, 42),
    "Centre-Val de Loire": (356, 34),
    "Corse": (957, 46),
    "Bayern": (4225, 305),
    "Baden-Württemberg": (6917, 339),
    "Nordrhein-Westfalen": (209, 21),
    "Hessen": (368, 38),
    "Niedersachsen": (12594, 270),
    "Sachsen": (6822, 984),
    "Berlin": (773, 123),
    "Hamburg": (543, 7),
    "Thüringen": (1374, 216),
    "Lombardia": (1296, 93),
    "Lazio": (445, 57),
    "Piemonte": (107, 6),
    "Veneto": (181, 29),
    "Emilia-Romagna": (8572, 1049),
    "Toscana": (9596, 1588),
    "Sicilia": (2770, 440),
    "Cataluña": (1600, 46),
    "Comunidad de Madrid": (6582, 303),
    "Andalucía": (408, 39),
    "Comunidad Valenciana": (6190, 363),
    "País Vasco": (877, 79),
    "Galicia": (555, 10),
    "Aragón": (9741, 65),
    "Région de Bruxelles-Capitale": (13133, 1000),
    "Région wallonne": (11665, 298),
    "Vlaams Gewest": (117, 15),
    "Genève": (402, 16),
    "Vaud": (809, 105),
    "Zürich": (3765, 381),
    "Ticino": (1962, 150),
    "Wien": (204, 33),
    "Tirol": (8997, 981),
    "Salzburg": (5768, 413),
    "Luxembourg": (983, 96),
    "Lisboa": (901, 127),
    "Noord-Holland": (948, 22),
    "Zuid-Holland": (5461, 64),
}
EUROPEAN_BAD_ROW = 14  # the 14th data row (Bayern) has Customers "12,5" in the bad file
EUROPEAN_BAD_VALUE = "12,5"


def euro_money(cents: int) -> str:
    return f"{thousands(cents // 100, '.')},{cents % 100:02d}"


def european(bad: bool) -> bytes:
    r = rng(6)
    rows = [["Region", "Contacts", "Customers", "Revenue"]]
    for position, (region, (contacts, customers)) in enumerate(EUROPEAN_REGIONS.items(), 1):
        cents = customers * r.randrange(8_000, 40_000)
        shown = thousands(customers, ".")
        if bad and position == EUROPEAN_BAD_ROW:
            shown = EUROPEAN_BAD_VALUE
        rows.append([region, thousands(contacts, "."), shown, euro_money(cents)])
    return csv_text(rows, delimiter=";", newline="\r\n").encode("cp1252")


# ---------------------------------------------------------------------------------------------
# 7. event_log.csv: several page views per user on one day, newest first
# ---------------------------------------------------------------------------------------------
# Page of each user's EARLIEST event: (users, users who purchased).
EVENT_FIRST_PAGES = {
    "Pricing": (30, 9),
    "Blog": (25, 2),
    "Home": (40, 6),
    "Docs": (20, 5),
    "Signup": (15, 8),
}
EVENT_PAGES = sorted(EVENT_FIRST_PAGES)


def event_log() -> bytes:
    r = rng(7)
    users = expand(EVENT_FIRST_PAGES)
    r.shuffle(users)
    events = []
    for number, (first_page, purchased) in enumerate(users, start=1):
        user = f"u{1000 + number * 7}"
        day = datetime(2025, 3, 1) + timedelta(days=r.randrange(0, 28))
        first = day + timedelta(minutes=r.randrange(5, 10 * 60))  # 00:05 to 09:59
        later = sorted(r.sample(range(10 * 60, 24 * 60), r.randrange(1, 4)))  # 10:00 to 23:59
        pages = [r.choice([p for p in EVENT_PAGES if p != first_page]) for _ in later]
        earlier_in_sort = [p for p in EVENT_PAGES if p < first_page]
        if earlier_in_sort and r.random() < 0.8:
            # A later page that sorts before the first one: a tie-break by day and then by
            # value would pick it instead of the earliest moment's page.
            pages[-1] = r.choice(earlier_in_sort)
        moments = [first] + [day + timedelta(minutes=m) for m in later]
        flags = ["N"] * len(moments)
        if purchased:
            flags[r.randrange(len(moments))] = "Y"
        for moment, page, flag in zip(moments, [first_page, *pages], flags, strict=True):
            events.append((moment.strftime("%Y-%m-%d %H:%M:%S"), user, page, flag))
    events.sort(key=lambda e: (e[0], e[1]), reverse=True)  # newest first, as log exports are
    rows = [["user_id", "event_time", "page", "purchased"]]
    rows += [[user, moment, page, flag] for moment, user, page, flag in events]
    return csv_text(rows, quote_all=True).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# 8. hubspot_deals_report.csv: a HubSpot report export, title line, "1 234" thousands
# ---------------------------------------------------------------------------------------------
# Original source: (contacts, deals won) for the year, split over twelve monthly rows.
DEALS_SOURCES = {
    "Organic search": (14820, 1093),
    "Paid social": (13500, 387),
    "Email marketing": (6310, 702),
    "Referrals": (2460, 498),
    "Direct traffic": (12600, 611),
    "Offline sources": (1290, 143),
}
DEALS_TITLE = "Contacts and deals won by original source (2024)"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def split(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), summing exactly."""
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def hubspot_deals_report() -> bytes:
    r = rng(8)
    rows = [[DEALS_TITLE], ["Original source", "Create date (month)", "Contacts", "Deals won"]]
    for source, (contacts, won) in DEALS_SOURCES.items():
        weights = [r.randrange(80, 120) for _ in MONTHS]
        monthly_contacts = split(contacts, weights)
        monthly_won = split(won, weights)
        for month, (n, c) in enumerate(zip(monthly_contacts, monthly_won, strict=True)):
            assert c <= n
            # Even months use a plain space, odd months a no-break space (U+00A0).
            separator = " " if month % 2 == 0 else "\u00a0"
            rows.append([source, f"{MONTHS[month]} 2024", thousands(n, separator),
                         thousands(c, separator)])  # fmt: skip
    return csv_text(rows, quote_all=True).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------------------------
TRAPS = {
    "hubspot_contacts.csv": "UTF-8 BOM, quoted headers; lifecycle stages customer AND evangelist "
    "mean a customer",
    "salesforce_leads_report.csv": "report footer after a blank line (confidential, copyright, "
    "company, generated-by); month-first dates",
    "google_ads_campaigns.csv": "two title lines above the header; '1,234' counts, '12.00' "
    "conversions; Total rows equal to the sum (pre-aggregated, must not be doubled)",
    "google_ads_bad_total.csv": "the 'Brand - DE' row was deleted by hand: neither Total row "
    "adds up to the campaign rows left (559 clicks and 5 conversions more)",
    "meta_ads_export.csv": "UTF-8 BOM; 'Objective' twice in the header (identical values)",
    "excel_unicode_text.txt": "UTF-16 LE with BOM, tab-separated, CRLF; accented region names",
    "excel_unicode_text_be.txt": "UTF-16 BE with BOM, tab-separated, CRLF; accented region names",
    "european_semicolon.csv": "cp1252, ';'-separated; '1.234' dot thousands ('4.000', '1.000' "
    "are thousands, not decimals); revenue '12.345,67'",
    "european_decimal_count.csv": "one count is '12,5' (data row 14, Bayern, Customers)",
    "event_log.csv": "several rows per user on one day, newest first; the earliest MOMENT's page "
    "counts, not the alphabetically first page of the day",
    "hubspot_deals_report.csv": "a title line above the header; '1 234' and '1\u00a0234' "
    "(no-break space) thousands; twelve monthly rows per source to sum",
}


def segments_and_overall(table: dict[str, tuple[int, int]]) -> dict:
    return {"segments": expected_segments(table), "overall": overall(table)}


def google_table() -> dict[str, tuple[int, int]]:
    return {name: (clicks, conversions) for name, _, clicks, conversions in GOOGLE_CAMPAIGNS}


def manifest() -> dict:
    excel = {
        "segment": "Region",
        "given": {"args": ["--segment", "Region", "--id", "Contact ID", "--converted",
                           "Customer"], "notes": []},
        "detected": {"args": ["--segment", "Region"], "roles": {"customer = ": "Customer"},
                     "notes": []},
        **segments_and_overall(EXCEL_REGIONS),
    }  # fmt: skip
    aggregated_roles = {"contacts = ": "Clicks", "customers = ": "Conversions"}
    google_given = ["--segment", "Campaign", "--contacts", "Clicks", "--customers", "Conversions"]
    european_given = ["--segment", "Region", "--contacts", "Contacts", "--customers", "Customers"]
    files = [
        {
            "file": "hubspot_contacts.csv",
            "segment": "Original Source",
            "given": {
                "args": ["--segment", "Original Source", "--converted", "Lifecycle Stage",
                         "--customer-value", "customer", "evangelist", "--id", "Record ID"],
                "notes": [],
            },
            "detected": {"args": ["--segment", "Original Source"],
                         "roles": {"customer = ": "Lifecycle Stage"}, "notes": []},
            **segments_and_overall(HUBSPOT_SOURCES),
        },
        {
            "file": "salesforce_leads_report.csv",
            "segment": "Lead Source",
            "given": {
                "args": ["--segment", "Lead Source", "--converted", "Converted",
                         "--contact-date", "Create Date"],
                "notes": ["footer"],
            },
            "detected": {"args": ["--segment", "Lead Source"],
                         "roles": {"customer = ": "Converted"}, "notes": ["footer"]},
            **segments_and_overall(SALESFORCE_SOURCES),
        },
        {
            "file": "google_ads_campaigns.csv",
            "segment": "Campaign",
            "given": {"args": google_given, "notes": ["Total", "title"]},
            "detected": {"args": ["--segment", "Campaign"], "roles": aggregated_roles,
                         "notes": ["Total", "title"]},
            **segments_and_overall(google_table()),
        },
        {
            "file": "meta_ads_export.csv",
            "segment": "Ad set name",
            "given": {
                "args": ["--segment", "Ad set name", "--contacts", "Link clicks", "--customers",
                         "Results"],
                "notes": ["Objective (2)"],
            },
            "detected": {"args": ["--segment", "Ad set name"],
                         "roles": {"contacts = ": "Link clicks", "customers = ": "Results"},
                         "notes": ["Objective (2)"]},
            **segments_and_overall(meta_ad_sets()),
        },
        {"file": "excel_unicode_text.txt", **excel},
        {"file": "excel_unicode_text_be.txt", **excel},
        {
            "file": "european_semicolon.csv",
            "segment": "Region",
            "given": {"args": european_given, "notes": []},
            "detected": {"args": ["--segment", "Region"],
                         "roles": {"contacts = ": "Contacts", "customers = ": "Customers"},
                         "notes": []},
            **segments_and_overall(EUROPEAN_REGIONS),
        },
        {
            "file": "event_log.csv",
            "segment": "page",
            "given": {
                "args": ["--segment", "page", "--id", "user_id", "--contact-date", "event_time",
                         "--converted", "purchased"],
                "notes": ["different segment values"],
            },
            "detected": {
                "args": ["--segment", "page", "--id", "user_id", "--contact-date", "event_time"],
                "roles": {"customer = ": "purchased"},
                "notes": ["different segment values"],
            },
            **segments_and_overall(EVENT_FIRST_PAGES),
        },
        {
            "file": "hubspot_deals_report.csv",
            "segment": "Original source",
            "given": {
                "args": ["--segment", "Original source", "--contacts", "Contacts",
                         "--customers", "Deals won"],
                "notes": ["title"],
            },
            "detected": {"args": ["--segment", "Original source"],
                         "roles": {"contacts = ": "Contacts", "customers = ": "Deals won"},
                         "notes": ["title"]},
            **segments_and_overall(DEALS_SOURCES),
        },
    ]  # fmt: skip
    errors = [
        {"file": "google_ads_bad_total.csv", "args": google_given, "stderr": ["Total: "]},
        {
            "file": "european_decimal_count.csv",
            "args": european_given,
            "stderr": [EUROPEAN_BAD_VALUE, f"row {EUROPEAN_BAD_ROW}"],
        },
    ]
    for entries in (files, errors):
        entries[:] = [{"file": e["file"], "trap": TRAPS[e["file"]], **e} for e in entries]
    return {
        "about": "Written by make_corpus.py from its count tables; edit the tables, not this "
        "file. Per file: the CLI arguments with every role given and with the customer "
        "evidence left to detection, the notes expected on stderr, and the hand-chosen counts.",
        "files": files,
        "errors": errors,
    }


BUILDERS = {
    "hubspot_contacts.csv": hubspot_contacts,
    "salesforce_leads_report.csv": salesforce_leads_report,
    "google_ads_campaigns.csv": lambda: google_ads(bad_total=False),
    "google_ads_bad_total.csv": lambda: google_ads(bad_total=True),
    "meta_ads_export.csv": meta_ads_export,
    "excel_unicode_text.txt": lambda: excel_unicode_text("le"),
    "excel_unicode_text_be.txt": lambda: excel_unicode_text("be"),
    "european_semicolon.csv": lambda: european(bad=False),
    "european_decimal_count.csv": lambda: european(bad=True),
    "event_log.csv": event_log,
    "hubspot_deals_report.csv": hubspot_deals_report,
}


def compact(text: str) -> str:
    """JSON with each list of strings and each {contacts, customers} pair on one line."""
    text = re.sub(
        r'\{\n\s+"contacts": (\d+),\n\s+"customers": (\d+)\n\s+\}',
        r'{"contacts": \1, "customers": \2}',
        text,
    )
    return re.sub(
        r'\[\n((?:\s+"(?:[^"\\\n]|\\.)*",?\n)+)\s+\]',
        lambda m: "[" + ", ".join(item.strip().rstrip(",") for item in m[1].splitlines()) + "]",
        text,
    )


def main(out_dir: Path = HERE) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        data = build()
        (out_dir / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")
    text = compact(json.dumps(manifest(), indent=2, ensure_ascii=False)) + "\n"
    (out_dir / "expected.json").write_text(text, encoding="utf-8", newline="\n")
    print("expected.json")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
