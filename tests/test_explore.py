"""Which columns qualify as segments, and their counts, against hand counts."""

from __future__ import annotations

import polars as pl

from conversion.analysis import explore
from conversion.definition import Definition
from conversion.roles import detect_roles

# Converters: every third row, plus rows 1 and 4 (so no ordinary column separates perfectly).
CONVERTED = {i for i in range(60) if i % 3 == 0} | {1, 4}
FRAME = pl.LazyFrame(
    {
        "id": [str(i) for i in range(60)],
        "source": ["Ads", "Web", "Mail"] * 20,
        "age": [str(20 + i) for i in range(60)],
        "signed": [f"2025-01-{1 + i % 28:02d}" for i in range(60)],
        "bought": [f"2025-02-{1 + i % 28:02d}" if i in CONVERTED else None for i in range(60)],
        "stage": ["customer" if i in CONVERTED else "lead" for i in range(60)],
        "won": ["yes" if i in CONVERTED else "no" for i in range(60)],
        "constant": ["x"] * 60,
    }
)
DEFINITION = Definition(segments=("source",), id="id", contact_date="signed", converted="won")


def test_candidates_exclude_roles_leaks_and_useless_columns_with_reasons():
    roles = detect_roles(FRAME)
    found = explore.candidate_columns(FRAME, DEFINITION, roles)
    assert "source" in found.columns
    assert "age" in found.columns  # many values, but binned
    for column in ("id", "signed", "won", "constant"):
        assert column in found.excluded, column
    assert "id" in found.excluded["id"]
    assert "outcome" in found.excluded["won"]


def test_columns_that_encode_the_outcome_are_found_from_their_counts():
    roles = detect_roles(FRAME)
    tables, excluded = explore.usable_tables(FRAME, DEFINITION, roles)
    # 'bought' is only filled for converters and 'stage' says "customer" for them: 0 % / 100 %.
    assert "bought" in excluded and "stage" in excluded
    assert "restates the outcome" in excluded["stage"]
    assert set(tables) == {"source", "age"}


def test_column_tables_count_each_column_like_the_breakdown():
    roles = detect_roles(FRAME)
    tables = explore.column_tables(FRAME, DEFINITION, ("source", "age"), roles)
    source = dict(zip(tables["source"]["source"], tables["source"]["customers"], strict=True))
    # Source cycles Ads, Web, Mail: rows 0, 3, 6, ... are all Ads; rows 1 and 4 are Web.
    assert source == {"Ads": 20, "Web": 2, "Mail": 0}
    assert tables["age"].height == explore.QUANTILE_BINS
    assert tables["age"]["contacts"].sum() == 60


def test_cross_tables_pair_the_breakdown_with_each_other_column():
    roles = detect_roles(FRAME)
    tables = explore.cross_tables(FRAME, DEFINITION, "source", ("source", "age"), roles)
    assert list(tables) == ["age"]
    assert tables["age"].columns[:2] == ["source", "age"]
    assert tables["age"]["contacts"].sum() == 60
