"""Pieces of page layout used by several pages: KPI cards, notes, the results table, downloads."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl
import streamlit as st

from conversion.analysis import insights, survival
from conversion.errors import InputError
from conversion.presentation import charts, export, formats, report
from conversion.sharing import codegen
from ui import controls, decisions, links, results, state, theme
from ui.text import plain

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import altair as alt
    from streamlit.delta_generator import DeltaGenerator

    from conversion.analysis import stats
    from conversion.counting import Counts
    from conversion.definition import Bands, DateBucket, Definition
    from ui.datasets import Dataset

SORT_LABELS = {
    "lower_bound": "Interval lower bound (honest ranking)",
    "rate": "Rate",
    "contacts": "Contacts",
    "segment": "Segment name",
}


def kpi_cards(k: report.Kpis, bands: Bands) -> None:
    """The overall figures and the best and worst segments, readable at any width.

    Labels are short enough for a phone-width card; a segment's name, which can be as long as
    the data make it, is written under its card's figure, where it wraps instead of being cut.
    Rates keep as many decimals as keep them on their band's side of each threshold.
    """
    overall = k.overall
    limits = (bands.moderate, bands.strong)
    cards = st.columns(5)
    band = bands.label(overall.rate) if overall.contacts else "–"
    cards[0].metric(
        "Overall rate",
        formats.band_percent(overall.rate, limits) if overall.contacts else "–",
        help=f"Overall conversion rate, customers / contacts. 95 % interval "
        f"{formats.interval(overall.ci_low, overall.ci_high)}; band: {band}.",
        border=True,
    )
    cards[1].metric("Contacts", formats.count(overall.contacts), border=True)
    cards[2].metric("Customers", formats.count(overall.customers), border=True)
    if k.best and k.worst:
        _segment_card(
            cards[3],
            "Best segment",
            k.best,
            f"surely ≥ {formats.percent(k.best.ci_low)}",
            "The segment whose 95 % interval has the highest lower bound: surely at least that "
            "good, so a tiny segment with a lucky streak does not win.",
            limits,
        )
        _segment_card(
            cards[4],
            "Worst segment",
            k.worst,
            f"surely ≤ {formats.percent(k.worst.ci_high)}",
            "The segment whose 95 % interval has the lowest upper bound: surely no better than "
            "that.",
            limits,
        )
    else:
        cards[3].metric("Segments", k.segments, border=True)


def _segment_card(
    column: DeltaGenerator,
    label: str,
    card: report.SegmentCard,
    bound: str,
    explanation: str,
    limits: tuple[float, float],
) -> None:
    """A bordered card: the segment's rate as the figure, its full name beneath it."""
    with column.container(border=True):
        st.metric(
            label,
            formats.band_percent(card.rate, limits),
            delta=bound,
            delta_color="off",
            delta_arrow="off",
            help=f"{plain(card.label)}: {formats.rate(card.rate, card.customers, card.contacts)}. "
            f"{explanation}",
        )
        st.caption(plain(card.label))


def warnings(messages: Sequence[str]) -> None:
    if messages:
        with st.expander(f"How the rows were counted ({len(messages)} notes)", expanded=False):
            for message in messages:
                st.text(message)


def remember_pick(selection: object, field: str) -> None:
    """Keep a clicked bar's segment for the Compare page."""
    if not isinstance(selection, Mapping):
        return
    points = (selection.get("selection") or {}).get("pick")
    if points:
        value = points[0].get(field)
        if value is not None and value != st.session_state.get("compare_a"):
            st.session_state["compare_a"] = value
            st.toast(f"Picked {plain(value)} for Compare")


def results_table(
    described: pl.DataFrame,
    segments: Sequence[str],
    bands: Bands | None = None,
    margin: float | None = None,
) -> None:
    """The results table; with ``bands``, the rate column has the decimals that keep each rate
    on its band's side of the thresholds (19.97 % beside "moderate", not 20.0 %). ``margin`` is
    the interval target the leads column was counted for (the page's setting by default)."""
    shown = report.display_table(described, segments)
    extra = decisions.display_frame(described, margin)  # the optional decision aids
    if extra is not None:
        shown = pl.concat([shown, extra], how="horizontal")
    if "adjusted_rate" in described.columns:
        shown = shown.insert_column(
            len(segments) + 3, (described["adjusted_rate"] * 100).alias("Adjusted %")
        )
    percent = st.column_config.NumberColumn(format="%.1f%%")
    decimals = (
        formats.band_decimals(described["rate"].to_list(), (bands.moderate, bands.strong))
        if bands is not None
        else 1
    )
    rate = st.column_config.NumberColumn(format=f"%.{decimals}f%%")
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "Contacts": st.column_config.NumberColumn(format="localized"),
            "Customers": st.column_config.NumberColumn(format="localized"),
            "Rate %": rate,
            "Adjusted %": percent,
            "CI low %": percent,
            "CI high %": percent,
            "vs rest (pp)": st.column_config.NumberColumn(format="%+.1f"),
            "p (adjusted)": st.column_config.NumberColumn(
                format="%.3g", help="Benjamini–Hochberg adjusted, exploratory."
            ),
            **decisions.column_config(),
        },
    )


def overall_test_note(overall: stats.Overall) -> None:
    chi = overall.chi_square
    if chi is None:
        return
    caution = " Some expected counts are below 5: read it with care." if chi.small_expected else ""
    st.caption(
        f"Do the segments differ at all? Chi-square test of independence: χ² = "
        f"{chi.statistic:.2f}, df = {chi.df}, p = {chi.p_value:.3g}.{caution} Tests against "
        "the rest use a pooled z-test (Fisher's exact test for small counts), Benjamini–Hochberg "
        "adjusted; treat them as exploratory."
    )


def table_downloads(
    described: pl.DataFrame, segments: Sequence[str], name: str, counts: Counts
) -> None:
    """CSV and Excel of the results table; files are built when the button is clicked."""
    left, right, _ = st.columns([1, 1, 2])
    left.download_button(
        "Table (CSV)",
        lambda: export.table_csv(described, segments),
        file_name=export.safe_file_name(name, "_by_segment.csv"),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        "Table (Excel)",
        lambda: export.table_xlsx(described, segments, title=name, counts=counts),
        file_name=export.safe_file_name(name, "_by_segment.xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
    )


def chart_downloads(build: Callable[[], alt.TopLevelMixin], name: str, what: str) -> None:
    """PNG and SVG of one chart, built and drawn offline by vl-convert when a button is clicked."""
    left, right, _ = st.columns([1, 1, 2])
    left.download_button(
        f"{what} (PNG)",
        lambda: export.chart_png(build()),
        file_name=export.safe_file_name(name, f"_{what.lower().replace(' ', '_')}.png"),
        mime="image/png",
        icon=":material/image:",
        on_click="ignore",
    )
    right.download_button(
        f"{what} (SVG)",
        lambda: export.chart_svg(build()),
        file_name=export.safe_file_name(name, f"_{what.lower().replace(' ', '_')}.svg"),
        mime="image/svg+xml",
        icon=":material/image:",
        on_click="ignore",
    )


def report_download(
    name: str,
    definition: Definition,
    counts: Counts,
    described: pl.DataFrame,
    charts: dict[str, Callable[[], alt.TopLevelMixin]],
) -> None:
    """A one-page HTML report that opens without a network (charts built on click)."""

    def build() -> str:
        return export.html_report(
            title=f"Conversion by segment — {name}",
            dataset=name,
            generated=datetime.now(tz=UTC),
            definition=definition,
            counts=counts,
            described=described,
            charts={title: build() for title, build in charts.items()},
        )

    st.download_button(
        "Report (HTML)",
        build,
        file_name=export.safe_file_name(name, "_report.html"),
        mime="text/html",
        icon=":material/description:",
        on_click="ignore",
        type="primary",
    )


def share_box(counts_table: pl.DataFrame) -> None:
    """A link that reopens this view: the view's settings, plus the counts for uploaded data."""
    with st.expander("Share this view", icon=":material/share:"):
        try:
            url = links.share_link(controls.safe_bands(), counts_table)
        except InputError as error:
            st.error(str(error))
            return
        st.code(url, language=None, wrap_lines=True)
        if state.dataset().sample is None:
            st.caption(
                "For an uploaded file the link carries the per-segment counts only (no rows of "
                "your data), so a colleague sees this table and these charts without the file."
            )


def maturity_note(definition: Definition, counts: Counts) -> None:
    if definition.window_days is not None:
        st.caption(
            f"Each cohort's rate counts conversions within {definition.window_days} days. A "
            "cohort is immature (hollow diamond) while some of its contacts have not had their "
            f"full window by {counts.quality.as_of}: those contacts are left out, so its rate "
            "may still move."
        )
    else:
        st.caption(
            "No conversion window is set, so recent cohorts have had less time to convert; set "
            "a window on the Data page to compare cohorts fairly."
        )


def control_notes(points: pl.DataFrame, chi: stats.ChiSquare | None) -> None:
    """What the control chart says, and the test behind it."""
    outside = insights.outside_cohorts(points)
    if outside:
        months = ", ".join(f"{d:%b %Y}" for d in outside)
        st.warning(
            f"Outside the 3-sigma limits: {months}. Something beyond chance changed in "
            "those cohorts: look for a campaign, a tracking change or a new source."
        )
    else:
        st.success("Every mature cohort lies within its 3-sigma limits: no unusual month.")
    note = (
        "p-chart: centre line = pooled rate of the mature cohorts; limits = centre ± 3 standard "
        "errors for each cohort's size."
    )
    if chi is not None:
        caution = " (some expected counts < 5: approximate)" if chi.small_expected else ""
        note += (
            f" Do the cohorts differ at all? Chi-square test across mature cohorts: χ² = "
            f"{chi.statistic:.2f}, df = {chi.df}, p = {chi.p_value:.3g}{caution}."
        )
    st.caption(note)


def why_it_moved(data: Dataset, definition: Definition, period: DateBucket) -> None:
    """Split the change in the overall rate between two cohorts into mix and rate effects."""
    columns = [s for s in definition.segments if s != definition.contact_date]
    if not columns:
        st.info("Pick a segment column on the Segments page to split the change by segment.")
        return
    column = st.selectbox("Split by", columns, key="move_by")
    result = results.cohorts(data, definition.with_changes(segments=(column,)), period)
    if result is None:
        return
    cohorts = insights.cohort_dates(insights.mature_cohorts(result[0]))
    if len(cohorts) < 2:
        st.info("At least two mature cohorts are needed to compare.")
        return

    def label(cohort: date) -> str:
        return formats.cohort(cohort, period)

    left, right = st.columns(2)
    before = left.selectbox(
        "From", cohorts, index=len(cohorts) - 2, key="move_from", format_func=label
    )
    after = right.selectbox("To", cohorts, index=len(cohorts) - 1, key="move_to", format_func=label)
    if before == after:
        st.info("Pick two different cohorts.")
        return
    parts = insights.mix_between_cohorts(result[0], column, before, after)
    total = insights.mix_total(parts)
    st.metric(
        "Change in the overall rate",
        f"{total['total_effect'] * 100:+.1f} points",
        help="Mix effect: segments' shares of contacts changed. Rate effect: rates within "
        "segments changed. The two add up exactly to the change (midpoint shift-share).",
        border=True,
    )
    theme.altair_chart(
        charts.waterfall_chart(parts),
        f"Waterfall from {label(before)} to {label(after)}: the overall rate moved "
        f"{total['total_effect'] * 100:+.1f} points, each {column} value's mix and rate effect "
        "a step; the table below has every step.",
        width="stretch",
    )
    st.caption(
        f"Mix effects total {total['mix_effect'] * 100:+.2f} points and rate effects "
        f"{total['rate_effect'] * 100:+.2f} points. Thin segments (fewer than 30 contacts in a "
        "cohort) are marked in the table; their effects are noisy."
    )
    st.dataframe(
        parts.select(
            "segment",
            "contacts_before",
            "contacts_after",
            (pl.col("rate_before") * 100).alias("Rate before %"),
            (pl.col("rate_after") * 100).alias("Rate after %"),
            (pl.col("mix_effect") * 100).alias("Mix effect (pp)"),
            (pl.col("rate_effect") * 100).alias("Rate effect (pp)"),
            "thin",
        ),
        hide_index=True,
        column_config={
            "Rate before %": st.column_config.NumberColumn(format="%.1f%%"),
            "Rate after %": st.column_config.NumberColumn(format="%.1f%%"),
            "Mix effect (pp)": st.column_config.NumberColumn(format="%+.2f"),
            "Rate effect (pp)": st.column_config.NumberColumn(format="%+.2f"),
        },
    )


def time_tables(km: pl.DataFrame, segment: str | None) -> None:
    """Median days and the chance of converting within 7 / 14 / 30 / 90 days."""
    table = survival.time_table(km, segment)
    percents = {
        survival.within_column(d): f"Within {d} days %"
        for d in survival.WITHIN_DAYS
        if survival.within_column(d) in table.columns
    }
    shown = table.with_columns(pl.col(c) * 100 for c in percents).rename(
        percents | {"median_days_converters": "Median days (converters)", "thin": "Few converters"}
    )
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.1f%%") for c in percents.values()
        },
    )
    st.caption(
        f"{survival.METHOD}. Contacts that have not converted are followed until the as-of date "
        "(censored), so recent contacts do not count as failures. Empty cells: not enough "
        "follow-up to say."
    )


def column_ranking(data: Dataset, definition: Definition) -> None:
    """Which columns separate converters from the rest, best first; a click switches to one."""
    usable = results.usable_tables(data, definition)
    if usable is None:
        return
    tables, excluded = usable
    if not tables:
        st.info("No column qualifies as a segment.")
        return
    ranked, left_out = insights.split_excluded(insights.rank_columns(tables, excluded))
    st.caption(
        "Each column is tested with a chi-square test of independence (p adjusted across "
        "columns, Benjamini–Hochberg); Cramér's V measures how strongly it separates "
        "conversion; spread = best segment's lower bound − worst segment's upper bound (a "
        "positive spread means the best is surely better than the worst)."
    )
    for row in ranked.iter_rows(named=True):
        left, middle, right = st.columns([3, 5, 2])
        left.markdown(f"**{plain(row['column'])}** · {row['segments']} segments")
        middle.caption(insights.column_verdict(row))
        if row["column"] not in definition.segments and right.button(
            "Break down", key=f"rank_{row['column']}"
        ):
            state.use_dataset(data, definition.with_changes(segments=(row["column"],)))
            st.rerun()
    if left_out.height:
        with st.popover("Columns left out, and why"):
            for row in left_out.iter_rows(named=True):
                st.markdown(f"- {plain(row['excluded_reason'])}")


def adjusted_rates(described: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame | None:
    """Empirical-Bayes rates beside the raw ones; None (with the reason shown) when not useful."""
    prior, reason = insights.fit_prior(
        described["contacts"].to_numpy(), described["customers"].to_numpy()
    )
    if prior is None:
        st.info(plain(f"Adjusted rates are not shown: {reason}"))
        return None
    adjusted = insights.with_adjusted_rates(described, segments, prior)
    st.caption(
        f"Adjusted rate = (customers + α) / (contacts + α + β), a beta-binomial prior fitted to "
        f"all segments (Kleinman's moment estimate: mean {prior.mu:.1%}, α = {prior.alpha:.1f}, "
        f"β = {prior.beta:.1f}). Small segments move toward the mean; large ones barely move."
    )
    return adjusted


def simpson_check(data: Dataset, definition: Definition, a: str, b: str) -> None:
    """Does another column reverse the comparison of a and b? (Mantel–Haenszel)"""
    if len(definition.segments) != 1:
        return
    exposure = definition.segments[0]
    usable = results.usable_tables(data, definition)
    if usable is None:
        return
    others = tuple(c for c in usable[0] if c != exposure)
    tables = results.cross_tables(data, definition, exposure, others) if others else {}
    if not tables:
        return
    flips = insights.simpson_flips(tables, exposure, a, b)
    if not flips:
        st.success(
            f"Checked against {len(tables)} other columns: none reverses this comparison once "
            "it is held fixed (Mantel–Haenszel adjustment)."
        )
        return
    for mh in flips:
        st.warning(plain(insights.simpson_warning(mh) or ""), icon=":material/warning:")
        st.dataframe(
            mh.composition.with_columns(
                pl.col("^(share|rate)_.*$") * 100, pl.col("difference") * 100
            ),
            hide_index=True,
        )


def python_box(data: Dataset, definition: Definition, sort: str) -> None:
    """'Copy as Python': the notebook code that reproduces this view with the public API."""
    file_name, orders_file = "", None
    if data.database is not None:
        pass  # the code opens the same tables through the secrets file
    elif data.sample is not None:
        file_name = codegen.sample_file(data.sample.contacts_file)
        orders_file = (
            codegen.sample_file(data.sample.orders_file) if data.sample.orders_file else None
        )
    else:
        file_name = codegen.placeholder(data.contacts.name)
        orders_file = codegen.placeholder(data.orders.name) if data.orders else None
    with st.expander("Copy as Python", icon=":material/code:"):
        st.caption("Paste into a notebook (Jupyter, marimo) to get this table and chart there.")
        st.code(
            codegen.python_code(
                definition,
                file_name=file_name,
                database=data.database,
                orders_file=orders_file,
                bands=controls.safe_bands(),
                sheet=data.contacts.sheet,
                sort=sort,
                share=st.session_state.get("share") or "customers",
                donut=bool(st.session_state.get("donut", True)),
            ),
            language="python",
        )


def chart(
    build: Callable[[], alt.TopLevelMixin],
    inputs: tuple,
    name: str,
    summary: str | None = None,
    **options: Any,
) -> object:
    """Place the chart ``build()`` makes from ``inputs``; its spec is cached for the session.

    Building an Altair chart and validating it costs ~0.1–0.2 s; a re-render after an unrelated
    control (sort, the other chart's switches) reuses the spec instead. ``summary`` is the
    chart's text alternative: the SVG's accessible description, and a caption under the chart.
    ``options`` go to ``st.vega_lite_chart`` (``key``, ``on_select``, ``width``).
    """
    key = (name, *(_frozen(value) for value in inputs))
    spec = copy.deepcopy(results.chart_spec(key, lambda: build().to_dict()))
    if summary:
        spec["description"] = summary
    placed = st.vega_lite_chart(spec=theme.themed(spec), **options)
    if summary:
        st.caption(plain(summary))
    return placed


def _frozen(value: object) -> object:
    """A hashable stand-in for a chart input: small frames by their rows."""
    if isinstance(value, pl.DataFrame):
        return ("frame", tuple(value.columns), tuple(value.iter_rows()))
    return value
