"""The Funnel chart (conversion/presentation/charts/funnel.py) through ``to_dict()``, and the
notebook API ``conversion.funnel`` (conversion/api.py, presentation/funnel.py).

Expected values are hand counts of the small tables built here.
"""

from __future__ import annotations

import polars as pl
import pytest

import conversion
from conversion.analysis.funnel import describe_funnel
from conversion.counting.funnel import count_funnel
from conversion.counting.stages import Funnel
from conversion.definition import Bands
from conversion.presentation.charts.funnel import OVERALL_LABEL, funnel_chart

# Ads: 10 leads, 4 MQL, 1 customer. Web: 5 leads, 5 MQL, 0 customers.
LEADS = pl.DataFrame(
    {
        "src": ["Ads"] * 10 + ["Web"] * 5,
        "lead": ["2025-01-01"] * 15,
        "mql": ["2025-01-05"] * 4 + [None] * 6 + ["2025-01-03"] * 5,
        "customer": ["2025-02-01"] + [None] * 14,
    }
)
FUNNEL = Funnel(segments=("src",), stages=("lead", "mql", "customer"))


def chart_spec(bands: Bands | None = None) -> dict:
    table = describe_funnel(count_funnel(LEADS, FUNNEL))
    return funnel_chart(table, ["src"], bands or Bands()).to_dict()


def layer(spec: dict, mark: str) -> list[dict]:
    return [item for item in spec["layer"] if item["mark"]["type"] == mark]


def test_bars_are_the_cumulative_rate_per_stage_grouped_by_segment() -> None:
    spec = chart_spec()
    bars = layer(spec, "bar")[0]["encoding"]
    assert bars["x"]["field"] == "cumulative_rate" and bars["y"]["field"] == "stage"
    assert bars["yOffset"]["field"] == "segment"
    assert bars["y"]["sort"] == ["lead", "mql", "customer"]
    assert bars["color"]["scale"]["domain"] == ["Ads", "Web", OVERALL_LABEL]
    values = {(r["segment"], r["stage"]): r for r in spec["data"]["values"]}
    assert values[("Ads", "mql")]["cumulative_rate"] == pytest.approx(0.4)
    assert values[("Web", "customer")]["cumulative_rate"] == 0.0
    assert values[(OVERALL_LABEL, "customer")]["cumulative_rate"] == pytest.approx(1 / 15)


def test_step_rates_are_the_labels_and_stage_one_shows_its_contacts() -> None:
    spec = chart_spec()
    text = layer(spec, "text")[0]
    assert text["encoding"]["text"]["field"] == "step_text"
    labels = {(r["segment"], r["stage"]): r["step_text"] for r in spec["data"]["values"]}
    assert labels[("Ads", "lead")] == "10 contacts"
    assert labels[("Ads", "mql")] == "40.0% of previous"
    assert labels[("Ads", "customer")] == "25.0% of previous"
    assert labels[("Web", "mql")] == "100.0% of previous"


def test_band_lines_and_the_overall_final_conversion_are_rules() -> None:
    spec = chart_spec(Bands.preset("ecommerce"))
    rules = [row for item in layer(spec, "rule") for row in item["data"]["values"]]
    assert {"threshold": 0.10, "label": "top ≥ 10%"} in rules
    assert {"threshold": 0.02, "label": "average ≥ 2%"} in rules
    overall = next(row for row in rules if "overall" in row)
    assert overall["overall"] == pytest.approx(1 / 15)  # 1 customer of 15 leads
    whiskers = layer(spec, "errorbar")[0]["encoding"]
    assert (whiskers["x"]["field"], whiskers["x2"]["field"]) == (
        "cumulative_ci_low",
        "cumulative_ci_high",
    )


def test_the_api_returns_the_table_drops_and_chart() -> None:
    result = conversion.funnel(LEADS, "src", stages=["lead", "mql", "customer"])
    rows = {(r["src"], r["stage_index"]): r for r in result.table.iter_rows(named=True)}
    assert rows[("Ads", 3)]["reached"] == 1 and rows[("(all)", 2)]["reached"] == 9
    assert rows[("Ads", 3)]["step_rate"] == pytest.approx(0.25)
    drops = result.biggest_drops()
    assert drops[0].startswith("Ads: the biggest drop is mql → customer: 3 of 4 lost; 25.0%")
    assert drops[0].endswith("few contacts, a rough guide.")
    assert drops[1].startswith("Web: the biggest drop is mql → customer: 5 of 5 lost; 0.0%")
    assert drops[2].startswith("All segments: the biggest drop is mql → customer: 8 of 9 lost")
    assert layer(result.chart().to_dict(), "bar")
    assert result.to_csv().splitlines()[0].startswith("src,stage,stage_index,reached,")


def test_the_api_takes_a_stage_column_its_order_a_map_and_windows() -> None:
    frame = pl.DataFrame({"src": ["A", "A", "A"], "stage": ["Lead", "junk", "MQL"]})
    with pytest.raises(conversion.InputError, match="'junk'"):
        conversion.funnel(frame, "src", stage_column="stage", stage_order="lead, mql")
    result = conversion.funnel(
        frame, "src", stage_column="stage", stage_order=["lead", "mql"], stage_map={"junk": ""}
    )
    assert result.counts.no_stage == 1
    assert result.table.filter(pl.col("src") == "A")["reached"].to_list() == [2, 1]
    windowed = conversion.funnel(
        LEADS, "src", stages=["lead", "mql"], step_window_days=3, as_of="2025-03-01"
    )
    web = windowed.table.filter((pl.col("src") == "Web") & (pl.col("stage_index") == 2)).row(
        0, named=True
    )
    # Web's MQLs came 2 days after the lead: within 3 days; Ads' 4 days later: outside.
    assert (web["step_base"], web["step_reached"]) == (5, 5)
    ads = windowed.table.filter((pl.col("src") == "Ads") & (pl.col("stage_index") == 2))
    assert ads["step_reached"].item() == 0


def test_long_stage_names_wrap_onto_short_lines() -> None:
    frame = LEADS.rename({"mql": "Became a Marketing Qualified Lead Date"})
    funnel = Funnel(segments=("src",), stages=("lead", "Became a Marketing Qualified Lead Date"))
    table = describe_funnel(count_funnel(frame, funnel))
    y = layer(funnel_chart(table, ["src"], Bands()).to_dict(), "bar")[0]["encoding"]["y"]
    assert y["sort"] == ["lead", "Marketing Qualified Lead"]
    assert '["Marketing", "Qualified", "Lead"]' in y["axis"]["labelExpr"]
