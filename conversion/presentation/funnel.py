"""How a funnel is shown in words and tables: the export table, CSV, JSON, the terminal table.

Every view of a funnel — ``conversion funnel``, the Funnel page's table and download, the
notebook API — goes through ``export_funnel`` (rates in percent, one row per segment and stage,
the overall block last) and the sentences of ``drop_sentences``, so a number never reads two
ways. Percentages are formatted by ``formats``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from conversion.counting.stages import ALL, stage_label
from conversion.definition import Bands
from conversion.presentation import formats

if TYPE_CHECKING:
    from collections.abc import Sequence

    import altair as alt

    from conversion.counting.funnel import FunnelCounts

# The columns the issue names first, in its order; the rest add the step base, skipped
# contacts, the cumulative interval and the test against the other segments.
EXPORT_COLUMNS = (
    "stage",
    "stage_index",
    "reached",
    "step_rate_pct",
    "cumulative_rate_pct",
    "step_ci_low_pct",
    "step_ci_high_pct",
    "immature",
    "step_base",
    "step_reached",
    "skipped",
    "cumulative_ci_low_pct",
    "cumulative_ci_high_pct",
    "vs_rest_pp",
    "test",
    "p_value",
    "p_adjusted",
    "significant",
    "low_sample",
)


def export_funnel(table: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame:
    """The described funnel with rates in percent and the difference in percentage points."""
    percent = {
        "step_rate_pct": "step_rate",
        "cumulative_rate_pct": "cumulative_rate",
        "step_ci_low_pct": "step_ci_low",
        "step_ci_high_pct": "step_ci_high",
        "cumulative_ci_low_pct": "cumulative_ci_low",
        "cumulative_ci_high_pct": "cumulative_ci_high",
        "vs_rest_pp": "step_diff",
    }
    columns = [
        (pl.col(percent[c]) * 100).alias(c) if c in percent else pl.col(c) for c in EXPORT_COLUMNS
    ]
    return table.select(*segments, *columns)


def funnel_csv(table: pl.DataFrame, segments: Sequence[str]) -> str:
    """One CSV row per segment and stage, the overall block (segments ``(all)``) last."""
    return export_funnel(table, segments).write_csv()


def funnel_json(
    counts: FunnelCounts, table: pl.DataFrame, drops: pl.DataFrame, days: pl.DataFrame | None
) -> str:
    """``{"funnel": {...}, "stages": [...], "biggest_drops": [...], "days_between": [...],
    "warnings": [...]}``: numbers as in the CSV, NaN as null."""
    segments = list(counts.funnel.segments)
    document = {
        "funnel": {
            "segment_columns": segments,
            "stages": list(counts.funnel.stage_names),
            "stage_column": counts.funnel.stage_column,
            "step_windows_days": list(counts.funnel.step_windows) or None,
            "as_of": counts.as_of.isoformat() if counts.as_of else None,
            "rows": counts.rows,
            "contacts": counts.contacts,
            "no_stage": counts.no_stage,
            "missing_id": counts.missing_id,
        },
        "stages": _records(export_funnel(table, segments)),
        "biggest_drops": _records(
            drops.with_columns(
                (pl.col(c) * 100).alias(f"{c}_pct")
                for c in ("step_rate", "step_ci_low", "step_ci_high")
            ).drop("step_rate", "step_ci_low", "step_ci_high")
        ),
        "days_between": _records(days) if days is not None else None,
        "warnings": list(counts.warnings),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dicts()]


def _clean(value: object) -> object:
    return None if isinstance(value, float) and math.isnan(value) else value


def drop_sentences(drops: pl.DataFrame, segments: Sequence[str]) -> list[str]:
    """One sentence per segment: where it loses the largest share, with the interval.

    Examples
    --------
    >>> drops = pl.DataFrame({"src": ["Ads"], "from_stage": ["lead"], "to_stage": ["mql"],
    ...     "step_rate": [0.25], "step_ci_low": [0.2], "step_ci_high": [0.3], "lost": [30],
    ...     "step_base": [40]})
    >>> drop_sentences(drops, ["src"])[0]
    'Ads: the biggest drop is lead → mql: 30 of 40 lost; 25.0% moved on (95% CI 20.0% – 30.0%).'
    """
    sentences = []
    for row in drops.iter_rows(named=True):
        values = [str(row[c]) for c in segments]
        overall = all(v == ALL for v in values)
        name = "All segments" if overall else formats.label(" · ".join(values))
        sentences.append(
            f"{name}: the biggest drop is {stage_label(row['from_stage'])} → "
            f"{stage_label(row['to_stage'])}: {formats.count(row['lost'])} of "
            f"{formats.count(row['step_base'])} lost; {formats.percent(row['step_rate'])} moved "
            f"on (95% CI {formats.interval(row['step_ci_low'], row['step_ci_high'])})"
            + (" — few contacts, a rough guide." if row.get("thin") else ".")
        )
    return sentences


def funnel_text(
    counts: FunnelCounts, table: pl.DataFrame, drops: pl.DataFrame, days: pl.DataFrame | None
) -> str:
    """The aligned terminal table: per segment and stage, reached, step and cumulative rates."""
    segments = list(counts.funnel.segments)
    header = [*segments, "stage", "reached", "step", "95% CI", "cumulative", "immature", "vs rest"]
    lines = []
    for row in table.iter_rows(named=True):
        first = row["stage_index"] == 1
        lines.append(
            [
                *(formats.label(str(row[c])) for c in segments),
                stage_label(row["stage"]),
                formats.count(row["reached"]),
                "" if first else formats.percent(row["step_rate"]),
                "" if first else formats.interval(row["step_ci_low"], row["step_ci_high"]),
                formats.percent(row["cumulative_rate"]),
                "" if first else formats.count(row["immature"] or 0),
                _versus(row),
            ]
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    numeric = set(range(len(segments) + 1, len(header)))

    def aligned(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    out = [aligned(header), aligned(["-" * w for w in widths]), *map(aligned, lines), ""]
    out += drop_sentences(drops, segments)
    if days is not None:
        out.append(_days_line(days, segments))
    out += [f"note: {w}" for w in counts.warnings]
    return "\n".join(out) + "\n"


def _versus(row: dict[str, Any]) -> str:
    if row.get("step_diff") is None:
        return ""
    mark = " *" if row.get("significant") else (" (low n)" if row.get("low_sample") else "")
    return formats.points(row["step_diff"]) + mark


def _days_line(days: pl.DataFrame, segments: Sequence[str]) -> str:
    """Median days between stages overall (Kaplan–Meier), one figure per step."""
    overall = days
    for column in segments:
        overall = overall.filter(pl.col(column) == "(all)")
    parts = [
        f"step {row['stage_index']}: "
        + (f"{row['median_days']} days" if row["median_days"] is not None else "not yet half")
        for row in overall.iter_rows(named=True)
    ]
    return "Median days between stages, all segments (Kaplan–Meier): " + "; ".join(parts) + "."


@dataclass(frozen=True)
class FunnelResult:
    """A funnel per segment, as ``conversion.funnel`` returns it.

    Attributes
    ----------
    table
        One row per segment and stage, the overall block (segments ``(all)``) last: the counts
        (``reached``, ``skipped``, ``step_base``, ``step_reached``, ``immature``,
        ``cumulative_base``, ``cumulative_reached``), the step and cumulative rates with
        Wilson intervals (fractions) and each segment's step against the rest.
    drops
        Per segment, the step at which it loses the largest share (``biggest_drops``).
    days
        Median days between stages per segment (Kaplan–Meier), None without stage dates.
    counts
        The counts and what was left out (no stage, no id), with ``warnings``.
    """

    table: pl.DataFrame
    drops: pl.DataFrame
    days: pl.DataFrame | None
    counts: FunnelCounts
    bands: Bands = field(default_factory=Bands)

    @property
    def segments(self) -> tuple[str, ...]:
        return self.counts.funnel.segments

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.counts.warnings

    def to_pandas(self) -> Any:
        """The ``table`` as a pandas ``DataFrame`` (needs pandas installed)."""
        return self.table.to_pandas()

    def to_csv(self) -> str:
        """The table as ``conversion funnel --format csv`` writes it."""
        return funnel_csv(self.table, self.segments)

    def biggest_drops(self) -> list[str]:
        """One sentence per segment: where it loses most, as the Funnel page says it."""
        return drop_sentences(self.drops, self.segments)

    def chart(self, *, title: str | None = None) -> alt.LayerChart:
        """The Funnel page's chart: bars per stage and segment, step rates labelled."""
        # Altair takes most of a second to import; `conversion funnel` writes no chart.
        from conversion.presentation.charts.funnel import funnel_chart

        return funnel_chart(self.table, self.segments, self.bands, title=title)
