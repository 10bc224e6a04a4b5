"""The drill-down's levels: each adds up to the row it came from, Top K keeps the totals."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversion.analysis import drill
from conversion.counting import OTHER
from conversion.errors import InputError

SEGMENTS = ["a", "b", "c"]

combinations = st.lists(
    st.tuples(
        st.sampled_from(["x", "y", "z"]),
        st.sampled_from(["p", "q"]),
        st.sampled_from(["1", "2", "3", "4"]),
        st.integers(1, 50),
        st.integers(0, 50),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda row: row[:3],
)


def as_table(rows) -> pl.DataFrame:
    return pl.DataFrame(
        [(a, b, c, n, min(k, n)) for a, b, c, n, k in rows],
        schema=["a", "b", "c", "contacts", "customers"],
        orient="row",
    )


@settings(max_examples=60, deadline=None)
@given(rows=combinations)
def test_every_level_adds_up_to_the_row_picked_above_it(rows):
    table = as_table(rows)
    top = drill.level(table, SEGMENTS, [])
    assert top["contacts"].sum() == table["contacts"].sum()
    for first in top.iter_rows(named=True):
        below = drill.level(table, SEGMENTS, [first["a"]])
        assert below["contacts"].sum() == first["contacts"]
        assert below["customers"].sum() == first["customers"]
        for second in below.iter_rows(named=True):
            leaf = drill.level(table, SEGMENTS, [first["a"], second["b"]])
            assert leaf["contacts"].sum() == second["contacts"]
            # The leaf level is the table's own rows on that path, counted by hand.
            hand = table.filter((pl.col("a") == first["a"]) & (pl.col("b") == second["b"]))
            assert sorted(leaf.rows()) == sorted(hand.select("c", "contacts", "customers").rows())


@settings(max_examples=40, deadline=None)
@given(rows=combinations, k=st.integers(1, 3))
def test_top_k_within_a_level_keeps_its_totals_and_at_most_k_values_plus_other(rows, k):
    table = as_table(rows)
    first = table["a"][0]
    level = drill.level(table, SEGMENTS, [first], k)
    plain = drill.level(table, SEGMENTS, [first])
    assert level["contacts"].sum() == plain["contacts"].sum()
    assert level.filter(pl.col("b") != OTHER).height <= k


def test_a_path_as_long_as_the_columns_or_off_the_data_is_refused():
    table = as_table([("x", "p", "1", 10, 2)])
    with pytest.raises(InputError, match="no level below"):
        drill.level(table, SEGMENTS, ["x", "p", "1"])
    with pytest.raises(InputError, match="a = 'y'"):
        drill.level(table, SEGMENTS, ["y"])


def test_a_stale_path_is_cut_back_to_what_still_exists():
    table = as_table([("x", "p", "1", 10, 2), ("y", "q", "2", 5, 1)])
    assert drill.valid_path(table, SEGMENTS, ["x", "p"]) == ["x", "p"]
    assert drill.valid_path(table, SEGMENTS, ["x", "q"]) == ["x"]
    assert drill.valid_path(table, SEGMENTS, ["gone"]) == []
    assert drill.valid_path(table, SEGMENTS, ["x", "p", "1"]) == ["x", "p"]  # a level is left
