"""What ``conversion rates`` prints: the aligned text table, or the JSON document.

Both take the counting (for the definition, quality numbers and warnings), the per-segment
table ``stats.describe`` returns and the overall figures, and return the text to write.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import TYPE_CHECKING, Any

from conversion.presentation import formats
from conversion.presentation.report import export_table

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars as pl

    from conversion.analysis import stats
    from conversion.counting import Counts

_LEGEND = (
    "* significant against the rest after adjustment (exploratory); 'low n' = too few "
    "contacts or customers to judge."
)


def to_json(counts: Counts, table: pl.DataFrame, overall: stats.Overall) -> str:
    """The overall figures, one object per segment (rates in percent) and the warnings."""
    segments = list(counts.definition.segments)
    rows = export_table(table, segments).to_dicts()
    chi = overall.chi_square
    quality = {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in vars(counts.quality).items()
    }
    document = {
        "overall": {
            "contacts": overall.contacts,
            "customers": overall.customers,
            "rate_pct": _clean(overall.rate * 100),
            "ci_low_pct": _clean(overall.ci_low * 100),
            "ci_high_pct": _clean(overall.ci_high * 100),
            "band": counts.definition.bands.label(overall.rate)
            if overall.contacts and not math.isnan(overall.rate)
            else None,
            "chi_square": None
            if chi is None
            else {
                "statistic": chi.statistic,
                "df": chi.df,
                "p_value": chi.p_value,
                "small_expected": chi.small_expected,
            },
            "segment_columns": segments,
            "window_days": counts.definition.window_days,
            "as_of": quality["as_of"],
            "quality": quality,
        },
        "segments": [{k: _clean(v) for k, v in row.items()} for row in rows],
        "warnings": list(counts.warnings),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _clean(value: object) -> object:
    """NaN as null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def to_text_table(counts: Counts, table: pl.DataFrame, overall: stats.Overall) -> str:
    """A readable aligned table with the overall line and the warnings below it."""
    segments = list(counts.definition.segments)
    headers = [*segments, "contacts", "customers", "rate", "95% CI", "band", "vs rest", "p adj."]
    headers.append("")
    bands = counts.definition.bands
    thresholds = (bands.moderate, bands.strong)
    lines = [_row_cells(row, segments, thresholds) for row in table.iter_rows(named=True)]
    # Counts, the rate and the difference line up on the right; text on the left.
    numeric = set(range(len(segments), len(segments) + 3)) | {len(segments) + 5}
    widths = [
        max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
        for i, h in enumerate(headers)
    ]

    def render(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    out = [render(headers), render(["-" * w for w in widths])]
    out += [render(line) for line in lines]
    out.append("")
    out.append(formats.overall_line(overall))
    chi = overall.chi_square
    if chi is not None:
        note = "; some expected counts < 5, read with care" if chi.small_expected else ""
        out.append(
            f"Segments differ? chi-square = {chi.statistic:.2f}, df = {chi.df}, "
            f"p = {formats.p_value(chi.p_value)}{note}"
        )
    out.append(_LEGEND)
    out += [f"Note: {w}" for w in counts.warnings]
    return "\n".join(out) + "\n"


def _row_cells(
    row: dict[str, Any], segments: Sequence[str], thresholds: Sequence[float]
) -> list[str]:
    """One segment's cells: its values, counts, rate, interval, band, difference, p and mark.

    The rate has as many decimals as keep it on its band's side of each threshold.
    """
    mark = "*" if row["significant"] else ("low n" if row["low_sample"] else "")
    return [
        *(str(row[c]) for c in segments),
        formats.count(row["contacts"]),
        formats.count(row["customers"]),
        formats.band_percent(row["rate"], thresholds),
        formats.interval(row["ci_low"], row["ci_high"]),
        formats.label(row["band"]),
        formats.points(row["diff"]),
        formats.p_value(row["p_adjusted"]),
        mark,
    ]
