"""Tests for the funnel: counting (conversion/counting/funnel.py, stages.py) and its statistics
(conversion/analysis/funnel.py).

Expected numbers are hand counts of small tables written here, ORACLES.md values, or a
plain-Python reference implementation of the funnel definition (``reference_funnel``) compared
with the engine by hypothesis on random tables.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversion.analysis.funnel import biggest_drops, days_between, describe_funnel
from conversion.counting.funnel import count_funnel
from conversion.counting.stages import ALL, Funnel, detect_stages, parse_stage_map, stage_label
from conversion.definition import OrdersJoin
from conversion.errors import InputError

D0 = date(2025, 1, 1)
EXACT = 1e-9


def day(n: int) -> str:
    return (D0 + timedelta(days=n)).isoformat()


def rows_of(table: pl.DataFrame, segment: str = "src") -> dict[tuple[str, int], dict]:
    """The funnel table keyed by (segment, stage index)."""
    return {(r[segment], r["stage_index"]): r for r in table.iter_rows(named=True)}


# ---------------------------------------------------------------------------------------------
# Hand-counted tables, one per rule
# ---------------------------------------------------------------------------------------------

# Five contacts of Ads, three of Web; stages a → b → c.
#   Ads-1: a, b, c             Ads-2: a, b        Ads-3: a            Ads-4: c only (skipped a, b)
#   Ads-5: nothing (no stage)   Web-1: a, c (skipped b)   Web-2: b only (skipped a)   Web-3: a
SKIPS = pl.DataFrame(
    {
        "src": ["Ads", "Ads", "Ads", "Ads", "Ads", "Web", "Web", "Web"],
        "a": [day(0), day(1), day(2), None, None, day(0), None, day(3)],
        "b": [day(2), day(3), None, None, None, None, day(5), None],
        "c": [day(9), None, None, day(8), None, day(4), None, None],
    }
)


def test_a_skipped_stage_counts_as_passed_and_is_reported() -> None:
    counts = count_funnel(SKIPS, Funnel(segments=("src",), stages=("a", "b", "c")))
    got = rows_of(counts.table)
    # Ads: reached a = 4 (1, 2, 3 and 4 via c), b = 3 (1, 2, 4), c = 2 (1, 4).
    assert [got[("Ads", k)]["reached"] for k in (1, 2, 3)] == [4, 3, 2]
    assert [got[("Ads", k)]["skipped"] for k in (1, 2, 3)] == [1, 1, 0]
    # Web: a = 3 (1, 2 via b, 3), b = 2 (1 via c, 2), c = 1.
    assert [got[("Web", k)]["reached"] for k in (1, 2, 3)] == [3, 2, 1]
    assert [got[("Web", k)]["skipped"] for k in (1, 2, 3)] == [1, 1, 0]
    assert counts.no_stage == 1 and counts.contacts == 7 and counts.rows == 8
    assert "1 contact with no stage at all was left out of the funnel." in counts.warnings
    assert any(
        "2 contacts reached a later stage without a date for 'a'" in w for w in counts.warnings
    )
    assert counts.left_out.rows() == [("Ads", 1)]


def test_step_and_cumulative_rates_and_the_overall_block() -> None:
    counts = count_funnel(SKIPS, Funnel(segments=("src",), stages=("a", "b", "c")))
    table = describe_funnel(counts)
    got = rows_of(table)
    assert got[("Ads", 2)]["step_rate"] == pytest.approx(3 / 4, abs=EXACT)
    assert got[("Ads", 3)]["step_rate"] == pytest.approx(2 / 3, abs=EXACT)
    assert got[("Ads", 3)]["cumulative_rate"] == pytest.approx(2 / 4, abs=EXACT)
    assert got[("Ads", 1)]["step_rate"] is None and got[("Ads", 1)]["cumulative_rate"] == 1.0
    assert [got[(ALL, k)]["reached"] for k in (1, 2, 3)] == [7, 5, 3]
    assert got[(ALL, 3)]["step_rate"] == pytest.approx(3 / 5, abs=EXACT)
    assert got[(ALL, 2)]["test"] is None  # no test on the overall rows
    assert table["src"].to_list()[-3:] == [ALL, ALL, ALL]


def test_a_stage_column_with_its_order_trimmed_and_case_insensitive() -> None:
    frame = pl.DataFrame(
        {
            "src": ["Ads", "Ads", "Ads", "Web", "Web", "Web"],
            "stage": ["lead", " MQL ", "Customer", "mql", None, "lead"],
        }
    )
    funnel = Funnel(
        segments=("src",), stage_column="stage", stage_order=("lead", "mql", "customer")
    )
    counts = count_funnel(frame, funnel)
    got = rows_of(counts.table)
    # Ads: lead ≥ 1 for all three, mql or later 2, customer 1. Web: 2 staged, 1 mql, 0 customer.
    assert [got[("Ads", k)]["reached"] for k in (1, 2, 3)] == [3, 2, 1]
    assert [got[("Web", k)]["reached"] for k in (1, 2, 3)] == [2, 1, 0]
    assert counts.no_stage == 1  # the empty stage value
    assert all(r["skipped"] == 0 for r in counts.table.iter_rows(named=True))


def test_values_outside_the_order_are_an_error_listing_them_unless_mapped() -> None:
    frame = pl.DataFrame(
        {"src": ["Ads"] * 5, "stage": ["lead", "subscriber", "subscriber", "other", "customer"]}
    )
    funnel = Funnel(segments=("src",), stage_column="stage", stage_order=("lead", "customer"))
    with pytest.raises(InputError) as error:
        count_funnel(frame, funnel)
    message = str(error.value)
    assert "'subscriber' (2 rows)" in message and "'other' (1 row)" in message
    assert "--stage-map" in message and "'stage'" in message
    mapped = funnel.with_changes(stage_map=parse_stage_map(["subscriber=lead", "other="]))
    counts = count_funnel(frame, mapped)
    # subscriber → lead (2), other left out (no stage), lead 1, customer 1.
    assert [r["reached"] for r in counts.table.iter_rows(named=True)] == [4, 1]
    assert counts.no_stage == 1


def test_windows_leave_recent_contacts_out_as_immature_never_as_lost() -> None:
    # as-of = day 30 (the latest date). Window 10 days for every step.
    # P1: a0 b5 c12    P2: a0 b20 (b late: lost at step 2)    P3: a25 (immature for step 2)
    # P4: a18 b19 (step 3 immature: b after day 20)    P5: a30 c30 (skipped b; immature)
    frame = pl.DataFrame(
        {
            "src": ["P"] * 5,
            "a": [day(0), day(0), day(25), day(18), day(30)],
            "b": [day(5), day(20), None, day(19), None],
            "c": [day(12), None, None, None, day(30)],
        }
    )
    funnel = Funnel(segments=("src",), stages=("a", "b", "c"), step_windows=(10,))
    counts = count_funnel(frame, funnel)
    assert counts.as_of == D0 + timedelta(days=30)
    got = rows_of(counts.table)
    # Step 2: mature if a ≤ day 20: P1, P2, P4 → base 3; within 10 days: P1 (5), P4 (1) → 2.
    assert (got[("P", 2)]["step_base"], got[("P", 2)]["step_reached"]) == (3, 2)
    assert got[("P", 2)]["immature"] == 2  # P3, P5
    # Step 3: reached b: P1 (b5), P2 (b20), P4 (b19), P5 (b30 via c). Mature if b ≤ day 20:
    # P1, P2, P4 → base 3; c within 10 days of b: P1 (7 days) → 1. Immature: P5.
    assert (got[("P", 3)]["step_base"], got[("P", 3)]["step_reached"]) == (3, 1)
    assert got[("P", 3)]["immature"] == 1
    # Cumulative to c: a ≤ day 30 − 20 = 10: P1, P2; passed both steps in time: P1 → 1 of 2.
    assert (got[("P", 3)]["cumulative_base"], got[("P", 3)]["cumulative_reached"]) == (2, 1)
    # reached counts every contact that got there by as-of, window or not.
    assert [got[("P", k)]["reached"] for k in (1, 2, 3)] == [5, 4, 2]


def test_one_window_per_step_and_an_as_of_date_before_the_last_dates() -> None:
    frame = pl.DataFrame(
        {"src": ["P", "P", "P"], "a": [day(0), day(0), day(4)], "b": [day(3), day(8), day(5)]}
    )
    funnel = Funnel(
        segments=("src",), stages=("a", "b"), step_windows=(5,), as_of=D0 + timedelta(days=6)
    )
    got = rows_of(count_funnel(frame, funnel).table)
    # b on day 8 has not happened by day 6. Mature: a ≤ day 1: first two; within 5 days: 1.
    assert (got[("P", 2)]["step_base"], got[("P", 2)]["step_reached"]) == (2, 1)
    assert got[("P", 2)]["immature"] == 1 and got[("P", 2)]["reached"] == 2


def test_an_id_with_several_rows_is_one_contact_in_its_earliest_rows_segment() -> None:
    frame = pl.DataFrame(
        {
            "id": ["1", "1", "2", "2", "3", None],
            "src": ["Web", "Ads", "Ads", "Ads", "Web", "Web"],
            "a": [day(5), day(1), day(0), None, day(2), day(2)],
            "b": [None, None, None, day(4), day(3), None],
        }
    )
    counts = count_funnel(frame, Funnel(segments=("src",), stages=("a", "b"), id="id"))
    got = rows_of(counts.table)
    # id 1: earliest row (day 1) is Ads; stage b never. id 2: Ads, a0 and b4 over two rows.
    assert [got[("Ads", k)]["reached"] for k in (1, 2)] == [2, 1]
    assert [got[("Web", k)]["reached"] for k in (1, 2)] == [1, 1]
    assert counts.missing_id == 1 and counts.segment_conflicts == 1
    assert any("1 row without an id in 'id'" in w for w in counts.warnings)


ORDERS = pl.DataFrame(
    {
        "cust": ["1", "3", " 3 ", "9"],
        "won": ["13/02/2025", "15/01/2025", "01/01/2025", "01/01/2025"],
    }
)
ORDER_CONTACTS = pl.DataFrame(
    {
        "src": ["A", "A", "B", "B"],
        "id": ["1", "2", "3", "4"],
        "lead": [day(0), day(1), day(2), None],
        "mql": [day(4), None, None, day(3)],
    }
)


def test_an_orders_table_is_the_last_stage_on_its_first_orders_date() -> None:
    funnel = Funnel(
        segments=("src",), stages=("lead", "mql"), id="id",
        orders=OrdersJoin("id", "cust", "won"), orders_stage="won deal",
    )  # fmt: skip
    counts = count_funnel(ORDER_CONTACTS, funnel, ORDERS)
    got = rows_of(counts.table)
    # 1: lead, mql, won.  2: lead.  3: lead, won (key " 3 " trimmed; skipped mql).  4: mql.
    assert [got[("A", k)]["reached"] for k in (1, 2, 3)] == [2, 1, 1]
    assert [got[("B", k)]["reached"] for k in (1, 2, 3)] == [2, 2, 1]
    assert [got[("B", k)]["skipped"] for k in (1, 2, 3)] == [1, 1, 0]
    assert got[("A", 3)]["stage"] == "won deal"
    assert counts.as_of == date(2025, 2, 13)  # the latest date, an order's
    with pytest.raises(InputError, match="--orders-date"):
        Funnel(segments=("src",), stages=("lead",), orders=OrdersJoin("id", "cust"))


def test_an_orders_table_after_a_stage_column() -> None:
    frame = pl.DataFrame(
        {"src": ["A", "A", "B"], "id": ["1", "2", "3"], "st": ["lead", "mql", None]}
    )
    funnel = Funnel(
        segments=("src",), stage_column="st", stage_order=("lead", "mql"),
        orders=OrdersJoin("id", "cust"),
    )  # fmt: skip
    got = rows_of(count_funnel(frame, funnel, ORDERS).table)
    # 1: lead then ordered (all three stages). 2: mql. 3: no stage value but an order: all.
    assert [got[("A", k)]["reached"] for k in (1, 2, 3)] == [2, 2, 1]
    assert [got[("B", k)]["reached"] for k in (1, 2, 3)] == [1, 1, 1]
    assert got[("A", 3)]["stage"] == "ordered"


def test_unreadable_order_dates_are_named() -> None:
    funnel = Funnel(
        segments=("src",), stages=("lead", "mql"), orders=OrdersJoin("id", "cust", "won")
    )
    orders = pl.DataFrame({"cust": ["1", "2"], "won": ["2025-02-01", "2025-02-30"]})
    with pytest.raises(InputError, match=r"'won'.*2025-02-30"):
        count_funnel(ORDER_CONTACTS, funnel, orders)
    with pytest.raises(InputError, match="no orders table"):
        count_funnel(ORDER_CONTACTS, funnel)


def test_missing_segment_values_form_their_own_segment() -> None:
    frame = pl.DataFrame({"src": [None, "Ads"], "a": [day(0), day(0)], "b": [day(1), None]})
    counts = count_funnel(frame, Funnel(segments=("src",), stages=("a", "b")))
    assert set(counts.table["src"]) == {"(missing)", "Ads"}


@pytest.mark.parametrize(
    ("funnel", "message"),
    [
        (dict(segments=("src",), stages=("a",)), "at least two stages"),
        (dict(segments=("src",), stage_column="s", stage_order=("x",)), "Give the order"),
        (dict(segments=("src",), stages=("a", "b"), stage_column="s"), "one way"),
        (
            dict(segments=("src",), stages=("a", "b", "c"), step_windows=(1, 2, 3)),
            "one step window",
        ),
        (
            dict(segments=("src",), stage_column="s", stage_order=("x", "y"), step_windows=(5,)),
            "date of each stage",
        ),
        (dict(segments=("a",), stages=("a", "b")), "both a segment"),
        (
            dict(
                segments=("s",), stage_column="c", stage_order=("x", "y"), stage_map=(("z", "w"),)
            ),
            "not a stage",
        ),
    ],
)
def test_a_funnel_that_cannot_be_counted_is_refused(funnel: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Funnel(**funnel)


def test_unreadable_stage_dates_and_unknown_columns_are_named() -> None:
    frame = pl.DataFrame({"src": ["A", "A"], "a": ["2025-01-01", "soon"], "b": [None, None]})
    with pytest.raises(InputError, match=r"Column 'a'.*'soon'"):
        count_funnel(frame, Funnel(segments=("src",), stages=("a", "b")))
    with pytest.raises(InputError, match="no column 'nope'"):
        count_funnel(frame, Funnel(segments=("src",), stages=("a", "nope")))


def test_stages_are_detected_from_crm_headers_and_lifecycle_values() -> None:
    headers = pl.LazyFrame(
        {
            "Became a Customer Date": [None],
            "Became a Marketing Qualified Lead Date": [None],
            "Became a Lead Date": [None],
            "Became an Opportunity Date": [None],
        },
        schema={
            c: pl.String
            for c in (
                "Became a Customer Date",
                "Became a Marketing Qualified Lead Date",
                "Became a Lead Date",
                "Became an Opportunity Date",
            )
        },
    )
    assert detect_stages(headers).stages == (
        "Became a Lead Date",
        "Became a Marketing Qualified Lead Date",
        "Became an Opportunity Date",
        "Became a Customer Date",
    )
    values = pl.LazyFrame({"name": ["x", "y", "z"], "Stage": ["customer", "Lead", "opportunity"]})
    found = detect_stages(values)
    assert (found.stage_column, found.stage_order) == ("Stage", ("Lead", "opportunity", "customer"))
    assert not detect_stages(pl.LazyFrame({"Stage": ["won", "lost"]})).found
    assert stage_label("Became an Opportunity Date") == "Opportunity"


# ---------------------------------------------------------------------------------------------
# Intervals and tests against ORACLES.md
# ---------------------------------------------------------------------------------------------


def two_stage_frame(counts: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """Per segment n contacts at stage a, x of them also at stage b."""
    src, a, b = [], [], []
    for name, (x, n) in counts.items():
        src += [name] * n
        a += [day(0)] * n
        b += [day(1)] * x + [None] * (n - x)
    return pl.DataFrame({"src": src, "a": a, "b": b})


FIVE = {
    "Organic": (120, 800),
    "Paid": (45, 500),
    "Referral": (30, 120),
    "Partner": (3, 40),
    "Events": (0, 12),
}


def test_wilson_intervals_on_steps_and_cumulative_match_oracles() -> None:
    oracle = {  # ORACLES.md, Wilson score interval, 95 %
        "Half": ((500, 1000), (0.4690696004, 0.5309303996)),
        "None": ((0, 12), (0.0, 0.2424940067)),
        "Few": ((3, 40), (0.0258360258, 0.1986423352)),
        "Most": ((199, 200), (0.9722262956, 0.9991168313)),
    }
    frame = two_stage_frame({name: counts for name, (counts, _) in oracle.items()})
    table = describe_funnel(count_funnel(frame, Funnel(segments=("src",), stages=("a", "b"))))
    got = rows_of(table)
    for name, (_, (low, high)) in oracle.items():
        row = got[(name, 2)]
        assert row["step_ci_low"] == pytest.approx(low, abs=1e-9)
        assert row["step_ci_high"] == pytest.approx(high, abs=1e-9)
        assert row["cumulative_ci_low"] == pytest.approx(low, abs=1e-9)
        assert row["cumulative_ci_high"] == pytest.approx(high, abs=1e-9)


def plain_bh(p: list[float]) -> list[float]:
    """Benjamini–Hochberg by its definition: min over j ≥ i of p(j)·m/j, capped at 1."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted = [0.0] * m
    for rank, i in enumerate(order, start=1):
        adjusted[i] = min(1.0, min(p[order[j - 1]] * m / j for j in range(rank, m + 1)))
    return adjusted


def test_each_segments_step_against_the_rest_matches_oracles() -> None:
    table = describe_funnel(
        count_funnel(two_stage_frame(FIVE), Funnel(segments=("src",), stages=("a", "b")))
    )
    got = rows_of(table)
    z_p = {  # ORACLES.md, pooled z-test two-sided p; Fisher for Events (expected count < 5)
        "Organic": 0.05738823411,
        "Paid": 3.31014669e-4,
        "Referral": 1.093263086e-4,
        "Partner": 0.2633939623,
        "Events": 0.3870887339,
    }
    for name, p in z_p.items():
        assert got[(name, 2)]["p_value"] == pytest.approx(p, rel=1e-8)
    assert got[("Events", 2)]["test"] == "fisher" and got[("Organic", 2)]["test"] == "z"
    expected = plain_bh(list(z_p.values()))
    for name, adjusted in zip(z_p, expected, strict=True):
        assert got[(name, 2)]["p_adjusted"] == pytest.approx(adjusted, rel=1e-8)
    # Low-sample segments are never significant; Paid and Referral are.
    assert got[("Partner", 2)]["low_sample"] and got[("Partner", 2)]["significant"] is False
    assert got[("Paid", 2)]["significant"] and got[("Referral", 2)]["significant"]
    assert got[("Referral", 2)]["rest_step_rate"] == pytest.approx(168 / 1352, abs=EXACT)


def test_biggest_drop_per_segment_prefers_steps_with_enough_contacts() -> None:
    # Big: a→b 60/100, b→c 12/60 (the drop). Small: a→b 10/100, b→c 0/10 (lower, but thin).
    src, a, b, c = [], [], [], []
    for name, (n, at_b, at_c) in {"Big": (100, 60, 12), "Small": (100, 10, 0)}.items():
        for i in range(n):
            src.append(name)
            a.append(day(0))
            b.append(day(1) if i < at_b else None)
            c.append(day(2) if i < at_c else None)
    frame = pl.DataFrame({"src": src, "a": a, "b": b, "c": c})
    table = describe_funnel(count_funnel(frame, Funnel(segments=("src",), stages=("a", "b", "c"))))
    drops = {r["src"]: r for r in biggest_drops(table, ["src"]).iter_rows(named=True)}
    assert (drops["Big"]["to_stage"], drops["Big"]["lost"]) == ("c", 48)
    assert drops["Big"]["step_rate"] == pytest.approx(0.2)
    assert (drops["Small"]["to_stage"], drops["Small"]["lost"]) == ("b", 90)
    assert not drops["Small"]["thin"]


def test_median_days_between_stages_is_kaplan_meier_with_censoring() -> None:
    # ORACLES.md, time to convert: T = [2, 3, 3, 5, 8, 10, 12, 15, 20, 25, 30, 30],
    # E = [1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0].
    # Stage a on day 0 for all; stage b on day T where E = 1; as-of = day 30 censors the rest.
    times = [2, 3, 3, 5, 8, 10, 12, 15, 20, 25, 30, 30]
    events = [1, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0]
    frame = pl.DataFrame(
        {
            "src": ["S"] * 12,
            "a": [day(0)] * 12,
            "b": [day(t) if e else None for t, e in zip(times, events, strict=True)],
        }
    )
    funnel = Funnel(segments=("src",), stages=("a", "b"), as_of=D0 + timedelta(days=30))
    counts = count_funnel(frame, funnel)
    days = days_between(counts)
    assert days is not None
    row = days.filter(pl.col("src") == "S").row(0, named=True)
    # P(converted by day 14) = 0.4709, by day 30 = 0.6473 (ORACLES): the median is passed on
    # the first event after day 14 with the share ≥ 0.5, day 25.
    assert row["median_days"] == 25 and row["converters"] == 6 and row["contacts"] == 12


# ---------------------------------------------------------------------------------------------
# The engine against a plain-Python reference on random tables
# ---------------------------------------------------------------------------------------------


def reference_funnel(rows: list[dict], funnel: Funnel) -> dict[tuple[str, int], dict[str, int]]:
    """The funnel definition (README, "Funnel") counted row by row in plain Python."""
    k_count = len(funnel.stages)
    contacts: dict[object, list[dict]] = {}
    for i, row in enumerate(rows):
        key = row["id"] if funnel.id else i
        if key is None:
            continue
        contacts.setdefault(key, []).append(row)
    dates_seen = [row[s] for rs in contacts.values() for row in rs for s in funnel.stages if row[s]]
    as_of = funnel.as_of or (max(dates_seen) if dates_seen else None)
    out: dict[tuple[str, int], dict[str, int]] = {}
    for group in contacts.values():

        def first_date(row: dict) -> date:
            known = [row[s] for s in funnel.stages if row[s] is not None]
            return min(known) if known else date.max

        earliest = min(group, key=lambda r: (first_date(r), r["src"] or "(missing)"))
        segment = earliest["src"] or "(missing)"
        stage_dates = []
        for s in funnel.stages:
            known = [r[s] for r in group if r[s] is not None and (as_of is None or r[s] <= as_of)]
            stage_dates.append(min(known) if known else None)
        reach = [
            min((d for d in stage_dates[k:] if d is not None), default=None) for k in range(k_count)
        ]
        if reach[0] is None:
            continue
        passed, total = True, 0
        for k in range(k_count):
            tally = out.setdefault(
                (segment, k + 1),
                dict.fromkeys(
                    (
                        "reached",
                        "skipped",
                        "step_base",
                        "step_reached",
                        "immature",
                        "cumulative_base",
                        "cumulative_reached",
                    ),
                    0,
                ),
            )
            if reach[k] is not None:
                tally["reached"] += 1
                tally["skipped"] += stage_dates[k] is None
            if k == 0:
                continue
            window = funnel.window(k + 1)
            within = (
                reach[k] is not None
                and (window is None or reach[k] <= reach[k - 1] + timedelta(days=window))
                if reach[k - 1] is not None
                else False
            )
            if reach[k - 1] is not None:
                mature = window is None or reach[k - 1] <= as_of - timedelta(days=window)
                tally["step_base" if mature else "immature"] += 1
                tally["step_reached"] += mature and within
            total += window or 0
            passed = passed and within
            cumulative_mature = not funnel.step_windows or reach[0] <= as_of - timedelta(days=total)
            tally["cumulative_base"] += cumulative_mature
            tally["cumulative_reached"] += cumulative_mature and passed
    return out


maybe_day = st.one_of(st.none(), st.integers(0, 40).map(lambda n: D0 + timedelta(days=n)))
random_rows = st.lists(
    st.fixed_dictionaries(
        {
            "src": st.sampled_from(["A", "B", None]),
            "id": st.sampled_from(["1", "2", "3", "4", "5", None]),
            "a": maybe_day,
            "b": maybe_day,
            "c": maybe_day,
        }
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=120, deadline=None)
@given(
    rows=random_rows,
    use_id=st.booleans(),
    windows=st.sampled_from([(), (0,), (7,), (3, 12)]),
    as_of=st.one_of(st.none(), st.integers(10, 45).map(lambda n: D0 + timedelta(days=n))),
)
def test_the_engine_counts_as_the_plain_reference(
    rows: list[dict], use_id: bool, windows: tuple[int, ...], as_of: date | None
) -> None:
    funnel = Funnel(
        segments=("src",),
        stages=("a", "b", "c"),
        id="id" if use_id else None,
        step_windows=windows,
        as_of=as_of,
    )
    frame = pl.DataFrame(
        rows, schema={"src": pl.String, "id": pl.String, "a": pl.Date, "b": pl.Date, "c": pl.Date}
    )
    expected = reference_funnel(rows, funnel)
    if not expected:
        with pytest.raises(InputError, match="No contact has reached any stage"):
            count_funnel(frame, funnel)
        return
    counts = count_funnel(frame, funnel)
    got = {
        (r["src"], r["stage_index"]): {k: (r[k] or 0) for k in expected[next(iter(expected))]}
        for r in counts.table.iter_rows(named=True)
    }
    assert got == expected


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(
        st.tuples(
            st.sampled_from(["A", "B"]),
            st.sampled_from(["1", "2", "3", None]),
            st.sampled_from(["lead", "MQL", "customer", None, " Lead "]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_a_stage_column_counts_as_the_plain_reference(values: list[tuple]) -> None:
    order = {"lead": 1, "mql": 2, "customer": 3}
    frame = pl.DataFrame(
        values, schema={"src": pl.String, "id": pl.String, "stage": pl.String}, orient="row"
    )
    funnel = Funnel(
        segments=("src",), stage_column="stage", stage_order=("lead", "mql", "customer"), id="id"
    )
    best: dict[str, int] = {}
    first_row: dict[str, str] = {}
    for src, ident, stage in values:
        if ident is None:
            continue
        # No dates: an id's segment is its smallest value.
        first_row[ident] = min(first_row.get(ident, src), src)
        best[ident] = max(best.get(ident, 0), order[stage.strip().lower()] if stage else 0)
    expected: dict[tuple[str, int], int] = {}
    for ident, top in best.items():
        for k in range(1, 4):
            if top:
                key = (first_row[ident], k)
                expected[key] = expected.get(key, 0) + (top >= k)
    if not expected:
        with pytest.raises(InputError):
            count_funnel(frame, funnel)
        return
    counts = count_funnel(frame, funnel)
    assert {
        (r["src"], r["stage_index"]): r["reached"] for r in counts.table.iter_rows(named=True)
    } == expected
