"""The Funnel page's view as a cell kind: the lifecycle funnel by segment, stage by stage.

A funnel cell keeps what ``Funnel`` needs in two places: its ``Definition`` holds the segment
columns, the id, the as-of date (so ``conversion notebook --as-of`` moves it), the orders table
and the bands; its options hold the stages — ``stages`` (stage-date columns, first stage
first), or ``stage_column`` with ``stage_order`` and ``stage_map`` (``VALUE=STAGE`` items,
``VALUE=`` to leave those contacts out) — and ``windows`` (days, one for every step or one per
step). Its counts are one small table, per segment and stage: ``reached`` and the step and
cumulative bases and reached (``counting.funnel.COUNT_COLUMNS``) — the stage names come from the
cell — so a shared snapshot carries those counts and nothing else.

Shown, it reads as the Funnel page: the chart, the biggest drop per segment in words, the
stage-by-stage table. Its figures: ``{contacts}`` the contacts at stage 1, ``{customers}`` those
that passed every step, ``{rate}`` the overall final cumulative rate, ``{best}`` and
``{worst}`` the segments with the highest and lowest final cumulative rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from conversion.analysis import funnel as funnel_stats
from conversion.counting.funnel import COUNT_COLUMNS, FunnelCounts, count_funnel
from conversion.counting.stages import ALL, Funnel, parse_stage_map, stage_label
from conversion.definition import Definition
from conversion.errors import InputError
from conversion.notebook.kinds import (
    MAX_OPTION_TEXT,
    CellKind,
    Chart,
    Counted,
    Data,
    Figures,
    Shown,
    Text,
    register,
)
from conversion.presentation import formats
from conversion.presentation import funnel as funnel_output
from conversion.presentation.charts.funnel import funnel_chart

if TYPE_CHECKING:
    from conversion.notebook.document import Cell

MAX_ITEMS = 20
MAX_WINDOW_DAYS = 3650
MAX_SEGMENTS = 4  # a snapshot's table holds at most 12 columns: segments, stage_index, counts
TABLE = "funnel"


@dataclass(frozen=True)
class Texts(Text):
    """An option holding a list of short texts (column names, stage values), or nothing."""

    def read(self, value: object, what: str) -> Any:
        if value is None:
            return ()
        if (
            not isinstance(value, list | tuple)
            or len(value) > MAX_ITEMS
            or not all(isinstance(v, str) and len(v) <= MAX_OPTION_TEXT for v in value)
        ):
            raise InputError(
                f"{what} must be a list of at most {MAX_ITEMS} texts of at most "
                f"{MAX_OPTION_TEXT} characters."
            )
        return tuple(value)


@dataclass(frozen=True)
class Days(Text):
    """An option holding a list of whole numbers of days (step windows), or nothing."""

    def read(self, value: object, what: str) -> Any:
        if value is None:
            return ()
        if (
            not isinstance(value, list | tuple)
            or len(value) > MAX_ITEMS
            or not all(type(v) is int and 0 <= v <= MAX_WINDOW_DAYS for v in value)
        ):
            raise InputError(
                f"{what} must be a list of whole numbers of days from 0 to {MAX_WINDOW_DAYS}."
            )
        return tuple(value)


OPTIONS = {
    "stages": Texts(),
    "stage_column": Text(),
    "stage_order": Texts(),
    "stage_map": Texts(),
    "windows": Days(),
}


def cell_parts(funnel: Funnel) -> tuple[Definition, dict[str, Any]]:
    """A funnel as the definition and options of a cell (what the Funnel page pins).

    Examples
    --------
    >>> d, options = cell_parts(Funnel(segments=("src",), stages=("a", "b"), step_windows=(30,)))
    >>> d.segments, options["stages"], options["windows"]
    (('src',), ('a', 'b'), (30,))
    """
    definition = Definition(
        segments=funnel.segments,
        id=funnel.id,
        as_of=funnel.as_of,
        date_format=funnel.date_format,
        orders=funnel.orders,
    )
    options = {
        "stages": funnel.stages,
        "stage_column": funnel.stage_column,
        "stage_order": funnel.stage_order,
        "stage_map": tuple(f"{value}={stage}" for value, stage in funnel.stage_map),
        "windows": funnel.step_windows,
    }
    return definition, options


def funnel_of(cell: Cell) -> Funnel:
    """The ``Funnel`` a cell counts (its definition's columns, its options' stages)."""
    d = cell.view_definition
    return Funnel(
        segments=d.segments,
        stages=cell.option("stages", ()),
        stage_column=cell.option("stage_column"),
        stage_order=cell.option("stage_order", ()),
        stage_map=parse_stage_map(cell.option("stage_map", ())),
        id=d.id,
        step_windows=cell.option("windows", ()),
        as_of=d.as_of,
        date_format=d.date_format,
        orders=d.orders,
    )


def count_funnel_cell(data: Data, cell: Cell) -> Counted:
    """Per segment and stage: reached, step and cumulative bases and reached, immature."""
    funnel = funnel_of(cell)
    if len(funnel.segments) > MAX_SEGMENTS:
        raise InputError(
            f"The cell {cell.title!r} breaks the funnel down by {len(funnel.segments)} columns; "
            f"a notebook's funnel takes at most {MAX_SEGMENTS}."
        )
    counts = count_funnel(data.source, funnel, data.orders_source, days=False)
    table = counts.table.select(*funnel.segments, "stage_index", *COUNT_COLUMNS)
    return Counted({TABLE: table}, counts.warnings, counts.as_of)


def counts_of(cell: Cell, counted: Counted) -> FunnelCounts:
    """The cell's counts as the funnel statistics take them (stage names from the cell)."""
    funnel = funnel_of(cell)
    table = counted.tables[TABLE]
    names = funnel.stage_names
    expected = {*funnel.segments, "stage_index", *COUNT_COLUMNS}
    if (
        set(table.columns) != expected
        or table.filter(~pl.col("stage_index").is_between(1, len(names))).height
    ):
        raise InputError(f"The counts of the cell {cell.title!r} do not match its stages.")
    stage = pl.col("stage_index").replace_strict(
        dict(enumerate(names, start=1)), return_dtype=pl.String
    )
    table = table.select(
        *(pl.col(c).cast(pl.String) for c in funnel.segments),
        stage.alias("stage"),
        pl.col("stage_index").cast(pl.Int64),
        *(pl.col(c).cast(pl.Int64) for c in COUNT_COLUMNS),
    ).sort([*funnel.segments, "stage_index"])
    first = table.filter(pl.col("stage_index") == 1)
    return FunnelCounts(
        table=table,
        left_out=table.head(0).select(*funnel.segments),
        funnel=funnel,
        rows=0,
        contacts=int(first["reached"].sum()),
        no_stage=0,
        missing_id=0,
        segment_conflicts=0,
        as_of=counted.as_of,
        warnings=counted.warnings,
    )


def show_funnel_cell(cell: Cell, counted: Counted) -> Shown:
    """The chart, the biggest drops in words and the stage-by-stage table, with its figures."""
    counts = counts_of(cell, counted)
    segments = list(counts.funnel.segments)
    bands = cell.view_definition.bands
    described = funnel_stats.describe_funnel(counts)
    drops = funnel_stats.biggest_drops(described, segments)
    last = len(counts.funnel.stage_names)
    first_stage, last_stage = (stage_label(s) for s in counts.funnel.stage_names[:: last - 1])
    summary = (
        f"Share of each segment's {first_stage} contacts that reached each stage, with 95 % "
        f"Wilson whiskers; labels: the step rate from the previous stage (to {last_stage})."
    )
    return Shown(
        figures=funnel_figures(described, segments, bands.moderate, bands.strong),
        charts=(Chart("Funnel by segment", funnel_chart(described, segments, bands), summary),),
        tables=(("Stage by stage", stage_table(described, segments)),),
        lines=tuple(funnel_output.drop_sentences(drops, segments)),
    )


def funnel_figures(
    described: pl.DataFrame, segments: list[str], moderate: float, strong: float
) -> Figures:
    """Stage-1 contacts, the last stage's reached and overall final cumulative rate, and the
    segments with the highest and lowest final cumulative rate (ties: the first in order)."""
    last = described.filter(pl.col("stage_index") == described["stage_index"].max())
    is_all = pl.all_horizontal(pl.col(c) == ALL for c in segments)
    overall = last.filter(is_all).row(0, named=True)
    first = described.filter((pl.col("stage_index") == 1) & is_all).row(0, named=True)
    rated = [
        (formats.label(" · ".join(str(row[c]) for c in segments)), row["cumulative_rate"])
        for row in last.filter(~is_all).iter_rows(named=True)
        if row["cumulative_rate"] is not None
    ]
    best = max(rated, key=lambda item: item[1], default=None)
    worst = min(rated, key=lambda item: item[1], default=None)
    return Figures(
        contacts=int(first["reached"]),
        customers=int(overall["cumulative_reached"] or 0),
        rate=overall["cumulative_rate"],
        best=best[0] if best else None,
        best_rate=best[1] if best else None,
        worst=worst[0] if worst else None,
        worst_rate=worst[1] if worst else None,
        limits=(moderate, strong),
    )


def stage_table(described: pl.DataFrame, segments: list[str]) -> pl.DataFrame:
    """Per segment and stage: reached, the step and cumulative rates (percent) and intervals."""
    return described.select(
        *segments,
        pl.col("stage").map_elements(stage_label, return_dtype=pl.String).alias("Stage"),
        pl.col("reached").alias("Reached"),
        pl.col("step_base").alias("Step base"),
        (pl.col("step_rate") * 100).alias("Step rate %"),
        (pl.col("step_ci_low") * 100).alias("Step 95% low %"),
        (pl.col("step_ci_high") * 100).alias("Step 95% high %"),
        (pl.col("cumulative_rate") * 100).alias("Cumulative rate %"),
        pl.col("immature").alias("Immature"),
        (pl.col("step_diff") * 100).alias("Step vs rest (pp)"),
    )


FUNNEL = register(
    CellKind("funnel", "Funnel", count=count_funnel_cell, show=show_funnel_cell, options=OPTIONS)
)
