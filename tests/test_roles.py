"""Tests for conversion.roles: role detection, flag spellings and date formats."""

from __future__ import annotations

import random

import polars as pl
import pytest

from conversion.definition import Definition, parse_customer_values
from conversion.errors import InputError
from conversion.roles import complete_definition, detect_roles

# ---------------------------------------------------------------------------------------------
# detect_roles


def _crm_export(rows: int = 60) -> pl.LazyFrame:
    rng = random.Random(7)
    stages = ["subscriber", "lead", "opportunity", "customer"]
    stage = [rng.choice(stages) for _ in range(rows)]
    return pl.LazyFrame(
        {
            "Record ID": [str(15000000 + 7 * i) for i in range(rows)],
            "First Name": [f"Name{i}" for i in range(rows)],
            "Lead Source": [rng.choice(["Ads", "Webinar", "Referral"]) for _ in range(rows)],
            "Original Source": [rng.choice(["Organic Search", "Paid Search"]) for _ in range(rows)],
            "Lifecycle Stage": stage,
            "Create Date": [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 09:30" for i in range(rows)],
            "Became a Customer Date": [
                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00" if s == "customer" else ""
                for i, s in enumerate(stage)
            ],
            "Converted": ["Y" if s == "customer" else "N" for s in stage],
        }
    )


def test_crm_headers_give_id_flag_dates_and_segments() -> None:
    roles = detect_roles(_crm_export())
    assert roles.id == "Record ID"
    assert roles.converted == "Converted"
    assert roles.customer_values == ()
    assert roles.contact_date == "Create Date"
    assert roles.converted_date == "Became a Customer Date"
    assert {"Lead Source", "Original Source"} <= set(roles.segments)
    for taken in ("Record ID", "Converted", "Create Date", "Became a Customer Date", "First Name"):
        assert taken not in roles.segments
    assert set(roles.date_columns) == {"Create Date", "Became a Customer Date"}
    assert roles.contacts_column is None and roles.customers_column is None


def test_crm_sample_file_roles() -> None:
    from conversion import reading

    table = reading.load("sample_data/crm_contacts_export.csv")
    roles = detect_roles(table.frame)
    assert roles.id == "Record ID"
    assert roles.converted == "Converted"
    assert roles.contact_date == "Create Date"
    assert roles.converted_date == "Became a Customer Date"
    assert {"Original Source", "Country"} <= set(roles.segments)
    assert "Email" not in roles.segments


def _bank_table(rows: int = 400) -> pl.LazyFrame:
    """Columns of the UCI bank-marketing table, as a CSV export gives them: all text."""
    rng = random.Random(20251031)
    jobs = [
        "admin.",
        "blue-collar",
        "entrepreneur",
        "housemaid",
        "management",
        "retired",
        "self-employed",
        "services",
        "student",
        "technician",
        "unemployed",
        "unknown",
    ]

    def pick(values: list[str]) -> list[str]:
        return [rng.choice(values) for _ in range(rows)]

    def ints(low: int, high: int) -> list[str]:
        return [str(rng.randint(low, high)) for _ in range(rows)]

    return pl.LazyFrame(
        {
            "age": ints(18, 95),
            "job": pick(jobs),
            "marital": pick(["married", "single", "divorced"]),
            "education": pick(["primary", "secondary", "tertiary", "unknown"]),
            "default": pick(["yes", "no"]),
            "balance": ints(-2000, 60000),
            "housing": pick(["yes", "no"]),
            "loan": pick(["yes", "no"]),
            "contact": pick(["cellular", "telephone", "unknown"]),
            "day": ints(1, 31),
            "month": pick(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug"]),
            "duration": ints(0, 3000),
            "campaign": ints(1, 12),
            "pdays": ints(-1, 800),
            "previous": ints(0, 6),
            "poutcome": pick(["unknown", "failure", "other", "success"]),
            "y": pick(["yes", "no", "no", "no", "no"]),
        }
    )


def test_bank_table_flag_is_y() -> None:
    roles = detect_roles(_bank_table())
    assert roles.converted == "y"
    assert roles.customer_values == ()


def test_bank_table_has_no_id_and_no_dates() -> None:
    roles = detect_roles(_bank_table())
    assert roles.id is None  # not age, balance or duration
    assert roles.contact_date is None and roles.converted_date is None
    assert roles.date_columns == ()


def test_bank_table_segments_lead_with_job_marital_education() -> None:
    roles = detect_roles(_bank_table())
    assert roles.segments[:3] == ("job", "marital", "education")
    assert "y" not in roles.segments
    for continuous in ("balance", "duration"):
        assert continuous not in roles.segments


def test_lifecycle_stage_without_flag_is_chosen_with_customer_value() -> None:
    frame = pl.LazyFrame(
        {
            "Email": [f"p{i}@example.org" for i in range(8)],
            "Country": ["FR", "DE"] * 4,
            "Lifecycle Stage": [
                "subscriber",
                "lead",
                "customer",
                "opportunity",
                "lead",
                "customer",
                "marketingqualifiedlead",
                "lead",
            ],
        }
    )
    roles = detect_roles(frame)
    assert roles.converted == "Lifecycle Stage"
    assert roles.customer_values == ("customer",)
    assert roles.id == "Email"
    assert "Country" in roles.segments


def test_pre_aggregated_table_is_detected() -> None:
    frame = pl.LazyFrame(
        {
            "campaign": ["Spring", "Summer", "Autumn"],
            "channel": ["Email", "Webinar", "Email"],
            "contacts": ["1840", "620", "300"],
            "customers": ["198", "126", "12"],
        }
    )
    roles = detect_roles(frame)
    assert roles.contacts_column == "contacts"
    assert roles.customers_column == "customers"
    assert set(roles.segments) == {"campaign", "channel"}
    assert roles.converted is None


def test_pre_aggregated_sample_is_detected() -> None:
    from conversion import reading

    roles = detect_roles(reading.load("sample_data/campaign_summary.csv").frame)
    assert (roles.contacts_column, roles.customers_column) == ("contacts", "customers")
    assert "channel" in roles.segments


def test_count_named_columns_with_text_are_not_pre_aggregated() -> None:
    frame = pl.LazyFrame({"seg": ["a", "b"], "contacts": ["x", "y"], "customers": ["1", "0"]})
    assert detect_roles(frame).contacts_column is None


def test_parse_customer_values_splits_commas() -> None:
    assert parse_customer_values(["customer, evangelist", " won "]) == (
        "customer",
        "evangelist",
        "won",
    )


# ---------------------------------------------------------------------------------------------
# complete_definition: the defaults of the app and the command line


def _bank_like(**extra: list[str]) -> pl.LazyFrame:
    rows = 40
    return pl.LazyFrame(
        {
            "job": [["admin.", "technician", "services"][i % 3] for i in range(rows)],
            "housing": ["yes" if i % 2 else "no" for i in range(rows)],
            "loan": ["no" if i % 5 else "yes" for i in range(rows)],
            "y": ["yes" if i % 7 == 0 else "no" for i in range(rows)],
            **extra,
        }
    )


def test_the_detected_flag_completes_a_definition_with_a_note():
    frame = _bank_like()
    done, notes = complete_definition(Definition(segments=("job",)), detect_roles(frame))
    assert done.converted == "y"
    assert done.segments == ("job",)
    assert [n.note() for n in notes] == [
        'customer = flag column "y" (detected; --converted COL to choose another)'
    ]


def test_roles_given_are_never_replaced():
    frame = _crm_export()
    given = Definition(segments=("Lead Source",), converted_date="Became a Customer Date", id=None)
    done, notes = complete_definition(given, detect_roles(frame))
    assert done.converted is None and done.converted_date == "Became a Customer Date"
    assert done.id == "Record ID"  # open, so detected
    assert {n.role for n in notes} == {"id", "contact date"}
    id_note = next(n.note() for n in notes if n.role == "id")
    assert id_note == (
        'id = column "Record ID" (detected; --id COL to choose another, --no-id to count rows)'
    )


def test_no_id_keeps_counting_rows():
    done, notes = complete_definition(
        Definition(segments=("Lead Source",)), detect_roles(_crm_export()), id=False
    )
    assert done.id is None and done.converted == "Converted"
    assert "id" not in {n.role for n in notes}


def test_a_lifecycle_stage_is_the_customer_evidence_with_its_customer_values():
    frame = pl.LazyFrame(
        {
            "Original Source": ["Ads", "Web", "Ads", "Web"] * 5,
            "Lifecycle Stage": ["lead", "customer", "opportunity", "evangelist"] * 5,
        }
    )
    done, notes = complete_definition(
        Definition(segments=("Original Source",)), detect_roles(frame)
    )
    assert done.converted == "Lifecycle Stage"
    assert done.customer_values == ("customer", "evangelist")
    assert notes[0].note() == (
        'customer = "Lifecycle Stage" is "customer" or "evangelist" (detected; --converted COL '
        "--customer-value VALUE to choose another)"
    )


def test_two_flag_columns_of_equal_standing_are_refused_with_both_listed():
    frame = _bank_like(converted=["Y", "N"] * 20)
    roles = detect_roles(frame)
    assert roles.converted is None and set(roles.flag_candidates) == {"y", "converted"}
    with pytest.raises(InputError, match="--converted COL") as error:
        complete_definition(Definition(segments=("job",)), roles, source="bank.csv")
    assert '"y"' in str(error.value) and '"converted"' in str(error.value)
    assert "bank.csv" in str(error.value)


def test_two_unnamed_yes_no_columns_are_candidates_not_a_guess():
    frame = _bank_like().drop("y")
    roles = detect_roles(frame)
    assert roles.converted is None and set(roles.flag_candidates) == {"housing", "loan"}
    with pytest.raises(InputError, match='"housing", "loan"'):
        complete_definition(Definition(segments=("job",)), roles)


def test_no_evidence_at_all_says_what_to_pass():
    frame = pl.LazyFrame({"job": ["a", "b"] * 10, "age": [str(20 + i) for i in range(20)]})
    with pytest.raises(InputError, match="--converted COL") as error:
        complete_definition(Definition(segments=("job",)), detect_roles(frame))
    assert "--converted-date" in str(error.value)


def test_a_given_evidence_needs_no_detection_even_when_it_would_be_ambiguous():
    frame = _bank_like(converted=["Y", "N"] * 20)
    done, notes = complete_definition(
        Definition(segments=("job",), converted="y"), detect_roles(frame)
    )
    assert done.converted == "y" and notes == ()


def test_a_conversion_date_is_the_evidence_when_no_flag_is_found():
    frame = pl.LazyFrame(
        {
            "contact_id": [f"c{i}" for i in range(20)],
            "source": ["Ads", "Web"] * 10,
            "signup_date": ["2025-01-02"] * 20,
            "first_purchase_date": ["2025-02-01", ""] * 10,
        }
    )
    done, notes = complete_definition(Definition(segments=("source",)), detect_roles(frame))
    assert done.converted_date == "first_purchase_date" and done.converted is None
    assert done.contact_date == "signup_date" and done.id == "contact_id"
    assert notes[0].note() == (
        'customer = a date in "first_purchase_date" (detected; --converted-date COL to choose '
        "another)"
    )


def test_a_window_beside_a_flag_takes_the_detected_conversion_date():
    frame = _crm_export()
    done, notes = complete_definition(
        Definition(segments=("Lead Source",), window_days=30), detect_roles(frame)
    )
    assert done.converted == "Converted"
    assert done.converted_date == "Became a Customer Date"
    assert "conversion date" in {n.role for n in notes}


def test_pre_aggregated_count_columns_are_detected():
    frame = pl.LazyFrame(
        {"Campaign": ["Brand", "Generic"], "Clicks": ["1200", "800"], "Conversions": ["60", "20"]}
    )
    done, notes = complete_definition(Definition(segments=("Campaign",)), detect_roles(frame))
    assert (done.contacts_column, done.customers_column) == ("Clicks", "Conversions")
    assert [n.role for n in notes] == ["contacts", "customers"]
