"""The funnel on DuckDB, PostgreSQL and Spark gives the polars engine's counts (issue 20).

Every test starts a real engine (``engines.py``, the ``on`` fixture of test_engines.py). The
polars engine reads the lifecycle sample as a file; the other engines get the same rows as a
typed table (stage dates as dates) and count where the rows are. The hand-counted table of
test_funnel.py is counted on every engine too.
"""

from __future__ import annotations

from datetime import date

import narwhals as nw
import polars as pl
import pytest
from test_engines import on, typed  # noqa: F401 (the engine fixture)
from test_funnel import ORDER_CONTACTS, ORDERS, SKIPS

from conversion import reading
from conversion.analysis.funnel import days_between
from conversion.counting.funnel import count_funnel, day_number
from conversion.counting.stages import Funnel, detect_stages
from conversion.definition import OrdersJoin
from conversion.errors import InputError

SAMPLE = reading.load("sample_data/crm_lifecycle.csv")
STAGES = detect_stages(SAMPLE.frame).stages
LIFECYCLE = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
)


def same(want, got) -> None:
    assert got.table.to_dicts() == want.table.to_dicts()
    assert got.left_out.to_dicts() == want.left_out.to_dicts()
    assert (got.rows, got.contacts, got.no_stage, got.missing_id) == (
        want.rows,
        want.contacts,
        want.no_stage,
        want.missing_id,
    )
    assert got.as_of == want.as_of
    assert got.warnings == want.warnings


def test_the_lifecycle_sample_counts_the_same_on_every_engine(on) -> None:  # noqa: F811
    remote = on(typed(SAMPLE, list(STAGES)), "lifecycle")
    for funnel in (
        Funnel(segments=("Original Source",), stages=STAGES, id="Record ID"),
        Funnel(
            segments=("Original Source", "Country"),
            stages=STAGES,
            id="Record ID",
            step_windows=(14, 30, 21, 45),
        ),
        Funnel(segments=("Country",), stages=STAGES[1:4], as_of=date(2025, 9, 30)),
        Funnel(segments=("Country",), stage_column="Lifecycle Stage", stage_order=LIFECYCLE),
    ):
        same(count_funnel(SAMPLE, funnel), count_funnel(remote, funnel))


def test_the_hand_counted_skips_count_the_same_on_every_engine(on) -> None:  # noqa: F811
    frame = SKIPS.with_columns(pl.col(c).str.to_date() for c in ("a", "b", "c"))
    funnel = Funnel(segments=("src",), stages=("a", "b", "c"))
    got = count_funnel(on(frame, "skips"), funnel)
    rows = {(r["src"], r["stage_index"]): r["reached"] for r in got.table.iter_rows(named=True)}
    # test_funnel.py's hand count: Ads 4, 3, 2; Web 3, 2, 1; one contact with no stage.
    assert [rows[("Ads", k)] for k in (1, 2, 3)] == [4, 3, 2]
    assert [rows[("Web", k)] for k in (1, 2, 3)] == [3, 2, 1]
    assert got.no_stage == 1


def test_values_outside_the_order_are_listed_on_every_engine(on) -> None:  # noqa: F811
    frame = pl.DataFrame({"src": ["A", "A", "B"], "stage": ["lead", "junk", "junk"]})
    funnel = Funnel(segments=("src",), stage_column="stage", stage_order=("lead", "customer"))
    with pytest.raises(InputError, match=r"'junk' \(2 rows\)"):
        count_funnel(on(frame, "outside"), funnel)


def test_an_orders_table_as_the_last_stage_counts_the_same_on_every_engine(on) -> None:  # noqa: F811
    contacts = ORDER_CONTACTS.with_columns(pl.col("lead", "mql").str.to_date())
    orders = ORDERS.with_columns(pl.col("won").str.strip_chars().str.to_date("%d/%m/%Y"))
    funnel = Funnel(
        segments=("src",), stages=("lead", "mql"), id="id", orders=OrdersJoin("id", "cust", "won")
    )
    want = count_funnel(ORDER_CONTACTS, funnel, ORDERS)
    got = count_funnel(on(contacts, "order_contacts"), funnel, on(orders, "order_deals"))
    same(want, got)


DAYS = [date(1970, 1, 1), date(1999, 12, 31), date(2000, 2, 29), date(2000, 3, 1),
        date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2025, 12, 31),
        date(2100, 3, 1)]  # fmt: skip


def test_the_day_number_is_the_calendars_on_every_engine(on) -> None:  # noqa: F811
    remote = on(pl.DataFrame({"day": DAYS}), "days")
    got = remote.fetch(nw.from_native(remote.frame).select(day_number(nw.col("day")).alias("n")))
    epoch = date(1970, 1, 1).toordinal()
    assert sorted(got["n"].to_list()) == sorted(d.toordinal() - epoch for d in DAYS)


def days_rows(counts) -> list[tuple]:
    assert counts.days is not None
    return sorted(counts.days.select(sorted(counts.days.columns)).iter_rows())


def test_days_between_stages_are_the_same_on_every_engine(on) -> None:  # noqa: F811
    remote = on(typed(SAMPLE, list(STAGES)), "lifecycle_days")
    funnel = Funnel(segments=("Original Source",), stages=STAGES, id="Record ID")
    want, got = count_funnel(SAMPLE, funnel), count_funnel(remote, funnel)
    assert days_rows(got) == days_rows(want)
    medians = days_between(got)
    assert medians is not None and medians.equals(days_between(want))


def test_days_between_stages_count_from_the_hand_counted_dates_on_every_engine(on) -> None:  # noqa: F811
    # Lead to customer: 2024-02-27 -> 2024-03-02 is 4 days (a leap day between), and
    # 2023-12-30 -> 2024-01-02 is 3 days; the third is censored at as-of 2024-03-10 after 9 days.
    frame = pl.DataFrame(
        {
            "src": ["A", "A", "A"],
            "lead": [date(2024, 2, 27), date(2023, 12, 30), date(2024, 3, 1)],
            "customer": [date(2024, 3, 2), date(2024, 1, 2), None],
        }
    )
    funnel = Funnel(segments=("src",), stages=("lead", "customer"), as_of=date(2024, 3, 10))
    got = count_funnel(on(frame, "leap_days"), funnel)
    assert got.days is not None
    rows = sorted(got.days.select("days", "converted", "contacts").iter_rows())
    assert rows == [(3, True, 1), (4, True, 1), (9, False, 1)]
