"""The bundled sample datasets and the definition each one is read with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conversion.definition import Definition, OrdersJoin

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


@dataclass(frozen=True)
class Sample:
    """A bundled dataset: its files, a sentence about it, and the roles of its columns.

    ``stages`` names its funnel stages (stage-date columns, first stage first) when it has them.
    """

    key: str
    title: str
    description: str
    contacts_file: str
    definition: Definition
    orders_file: str | None = None
    stages: tuple[str, ...] = ()  # stage-date columns in funnel order, for the Funnel page

    @property
    def contacts_path(self) -> Path:
        return SAMPLE_DIR / self.contacts_file

    @property
    def orders_path(self) -> Path | None:
        return SAMPLE_DIR / self.orders_file if self.orders_file else None


SAMPLES: dict[str, Sample] = {
    sample.key: sample
    for sample in (
        Sample(
            key="newsletter",
            title="Newsletter sign-ups",
            description="4,000 newsletter sign-ups from Jan to Sep 2025 and their first purchase; "
            "a purchase counts within 90 days of signing up.",
            contacts_file="newsletter_signups.csv",
            definition=Definition(
                segments=("source",),
                id="contact_id",
                contact_date="signup_date",
                converted_date="first_purchase_date",
                window_days=90,
            ),
        ),
        Sample(
            key="b2b",
            title="B2B leads and won deals",
            description="2,500 leads of 2024 joined to a table of won deals by lead id; day-first "
            "dates; a deal counts within 90 days of the lead.",
            contacts_file="b2b_leads.csv",
            orders_file="b2b_won_deals.csv",
            definition=Definition(
                segments=("lead_source",),
                id="lead_id",
                contact_date="created",
                window_days=90,
                orders=OrdersJoin("lead_id", orders_date="won_date"),
            ),
        ),
        Sample(
            key="crm",
            title="CRM contacts export",
            description="1,500 contacts exported from a CRM, with a Y/N Converted flag and "
            "lifecycle stages.",
            contacts_file="crm_contacts_export.csv",
            definition=Definition(
                segments=("Original Source",),
                id="Record ID",
                contact_date="Create Date",
                converted="Converted",
            ),
        ),
        Sample(
            key="lifecycle",
            title="CRM lifecycle stages",
            description="3,000 contacts of 2025 with the date each reached lead, marketing- and "
            "sales-qualified lead, opportunity and customer (the Funnel page's stages: Became a "
            "Lead Date … Became a Customer Date); a customer counts within 120 days of creation.",
            contacts_file="crm_lifecycle.csv",
            definition=Definition(
                segments=("Original Source",),
                id="Record ID",
                contact_date="Create Date",
                converted_date="Became a Customer Date",
                window_days=120,
            ),
            stages=(
                "Became a Lead Date",
                "Became a Marketing Qualified Lead Date",
                "Became a Sales Qualified Lead Date",
                "Became an Opportunity Date",
                "Became a Customer Date",
            ),
        ),
        Sample(
            key="web",
            title="Web sessions",
            description="3,000 shop sessions with a TRUE/FALSE revenue flag.",
            contacts_file="web_sessions.csv",
            definition=Definition(segments=("visitor_type",), converted="revenue"),
        ),
        Sample(
            key="campaigns",
            title="Campaign summary (pre-aggregated)",
            description="Contacts and customers already counted per campaign.",
            contacts_file="campaign_summary.csv",
            definition=Definition(
                segments=("channel",), contacts_column="contacts", customers_column="customers"
            ),
        ),
    )
}
DEFAULT_SAMPLE = "newsletter"
