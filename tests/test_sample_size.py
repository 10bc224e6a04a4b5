"""Tests for how many more leads (analysis/sample_size.py).

References: statsmodels 0.15's ``NormalIndPower().solve_power`` with ``proportion_effectsize``
pasted as literals, ORACLES.md's Wilson interval for 500 of 1000, and a plain-Python search
over n of the Wilson half-width written here.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversion.analysis.sample_size import (
    contacts_for_difference,
    contacts_for_margin,
    leads_needed,
)
from conversion.errors import InputError

Z = 1.959963984540054

# NormalIndPower().solve_power(proportion_effectsize(p1, p2), alpha=a, power=0.8, ratio=r).
STATSMODELS = [
    ((0.25, 0.15), 0.01, 3.0, 245.60441587179346),
    ((0.12, 0.10), 0.05, 1.0, 3834.595739884031),
    ((0.05, 0.08), 0.01, 0.5, 2335.343393962334),
    ((0.5, 0.4), 0.05, 1.0, 387.1677468578098),
]
# The same for the two-segment table below: A (0.5) against the rest (0.2), level 0.05 / 2,
# ratio 3; and B (0.2) against A (0.5), ratio 1/3.
POWER_A = 30.60510590297841
POWER_B = 91.81531864666347


def half_width(p: float, n: int) -> float:
    """Plain Wilson half-width: z·√(p(1−p)/n + z²/4n²) / (1 + z²/n)."""
    return Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)


def smallest_n(p: float, margin: float) -> int:
    n = 1
    while half_width(p, n) > margin:
        n += 1
    return n


@pytest.mark.parametrize(("rates", "alpha", "ratio", "expected"), STATSMODELS)
def test_power_matches_statsmodels(
    rates: tuple[float, float], alpha: float, ratio: float, expected: float
) -> None:
    # statsmodels also counts the far tail, which moves n by far less than one contact.
    n = contacts_for_difference(*rates, alpha=alpha, power=0.8, ratio=ratio)
    assert n == pytest.approx(expected, rel=1e-5)


def test_margin_matches_a_plain_search_and_the_oracle_interval() -> None:
    for p in (0.0, 0.02, 0.1, 0.25, 0.5, 0.9, 1.0):
        for margin in (0.01, 0.03, 0.05, 0.1):
            assert contacts_for_margin(p, margin) == smallest_n(p, margin), (p, margin)
    # ORACLES.md: 500 of 1000 gives 0.4690696004 – 0.5309303996, half-width 0.0309303996.
    assert contacts_for_margin(0.5, 0.0309303997) == 1000
    assert contacts_for_margin(0.5, 0.0309303995) == 1001


def test_leads_needed_per_segment_by_hand() -> None:
    table = pl.DataFrame({"s": ["A", "B"], "contacts": [100, 300], "customers": [50, 60]})
    result = leads_needed(table, weeks=4).rows_by_key("s", named=True)
    a, b = result["A"][0], result["B"][0]
    assert a["margin_contacts"] == smallest_n(0.5, 0.05) == 381
    assert a["margin_more"] == 281
    assert a["margin_weeks"] == pytest.approx(281 / 25)  # 100 contacts in 4 weeks
    assert b["margin_contacts"] == smallest_n(0.2, 0.05)
    assert b["margin_more"] == 0 and b["margin_weeks"] == 0
    assert a["power_contacts"] == math.ceil(POWER_A) and a["power_more"] == 0
    assert b["power_contacts"] == math.ceil(POWER_B) and b["power_more"] == 0


def test_a_given_difference_and_segments_without_an_answer() -> None:
    table = pl.DataFrame({"s": ["A", "B", "C"], "contacts": [40, 40, 0], "customers": [4, 4, 0]})
    result = leads_needed(table, difference=0.05, weeks=None).rows_by_key("s", named=True)
    a, c = result["A"][0], result["C"][0]
    # A at the rest's 10 % + 5 points against 10 %, ratio 1, level 0.05 / 2 (two segments).
    # statsmodels: solve_power(proportion_effectsize(0.15, 0.10), alpha=0.025, ratio=1).
    assert a["power_contacts"] == math.ceil(823.9127558427882)
    assert a["power_more"] == math.ceil(823.9127558427882) - 40
    assert a["power_weeks"] is None  # no date span: no intake
    assert c["margin_contacts"] is None and c["power_contacts"] is None
    same = leads_needed(table.head(2))  # equal rates: no difference to detect
    assert same["power_contacts"].to_list() == [None, None]


def test_bad_requests_are_refused() -> None:
    with pytest.raises(InputError, match="margin"):
        contacts_for_margin(0.2, 0.0)
    with pytest.raises(InputError, match="between 0 and 1"):
        contacts_for_margin(1.2, 0.05)
    with pytest.raises(InputError, match="power"):
        contacts_for_difference(0.2, 0.1, power=1.0)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 2000),
    st.floats(0, 1),
    st.integers(1, 50),
    st.floats(0.005, 0.2),
    st.integers(2, 4),
)
def test_more_data_never_raises_the_leads_needed_for_the_same_rate(
    contacts: int, rate: float, factor: int, margin: float, segments: int
) -> None:
    customers = round(contacts * rate)
    table = pl.DataFrame(
        {"contacts": [contacts] + [contacts + 7 * i for i in range(1, segments)],
         "customers": [customers] + [round((contacts + 7 * i) * 0.3) for i in range(1, segments)]}
    )  # fmt: skip
    bigger = table.with_columns(pl.col("contacts", "customers") * factor)
    small, large = leads_needed(table, margin=margin), leads_needed(bigger, margin=margin)
    for name in ("margin_more", "power_more"):
        for before, after in zip(small[name], large[name], strict=True):
            if before is not None:
                assert after is not None and after <= before
    assert contacts_for_margin(customers / contacts, margin) == smallest_n(
        customers / contacts, margin
    )
