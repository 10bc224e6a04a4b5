"""Pieces of page layout used by several pages: KPI cards, notes, the results table, downloads."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl
import streamlit as st

from conversion.errors import InputError
from conversion.presentation import export, report
from ui import state
from ui.text import plain

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import altair as alt

    from conversion.analysis import stats
    from conversion.counting import Counts
    from conversion.definition import Bands, Definition

SORT_LABELS = {
    "lower_bound": "Interval lower bound (honest ranking)",
    "rate": "Rate",
    "contacts": "Contacts",
    "segment": "Segment name",
}


def kpi_cards(k: report.Kpis, bands: Bands) -> None:
    overall = k.overall
    cards = st.columns(5)
    cards[0].metric(
        "Overall conversion rate",
        f"{overall.rate:.1%}" if overall.contacts else "–",
        help=f"95 % interval {overall.ci_low:.1%} – {overall.ci_high:.1%}; "
        f"band: {bands.label(overall.rate) if overall.contacts else '–'}.",
        border=True,
    )
    cards[1].metric("Contacts", f"{overall.contacts:,}", border=True)
    cards[2].metric("Customers", f"{overall.customers:,}", border=True)
    if k.best and k.worst:
        cards[3].metric(
            "Best segment",
            plain(k.best.label),
            delta=f"{k.best.rate:.1%}, surely ≥ {k.best.ci_low:.1%}",
            delta_color="off",
            delta_arrow="off",
            help="The segment whose 95 % interval has the highest lower bound: surely at least "
            "that good, so a tiny segment with a lucky streak does not win.",
            border=True,
        )
        cards[4].metric(
            "Worst segment",
            plain(k.worst.label),
            delta=f"{k.worst.rate:.1%}, surely ≤ {k.worst.ci_high:.1%}",
            delta_color="off",
            delta_arrow="off",
            help="The segment whose 95 % interval has the lowest upper bound: surely no better "
            "than that.",
            border=True,
        )
    else:
        cards[3].metric("Segments", k.segments, border=True)


def warnings(messages: Sequence[str]) -> None:
    if messages:
        with st.expander(f"How the rows were counted ({len(messages)} notes)", expanded=False):
            for message in messages:
                st.text(message)


def remember_pick(selection: object, field: str) -> None:
    """Keep a clicked bar's segment for the Compare page."""
    try:
        points = selection["selection"]["pick"]  # type: ignore[index]
    except (KeyError, TypeError):
        return
    if points:
        value = points[0].get(field)
        if value is not None and value != st.session_state.get("compare_a"):
            st.session_state["compare_a"] = value
            st.toast(f"Picked {plain(value)} for Compare")


def results_table(described: pl.DataFrame, segments: Sequence[str]) -> None:
    shown = report.display_table(described, segments)
    if "adjusted_rate" in described.columns:
        shown = shown.insert_column(
            len(segments) + 3, (described["adjusted_rate"] * 100).alias("Adjusted %")
        )
    percent = st.column_config.NumberColumn(format="%.1f%%")
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "Contacts": st.column_config.NumberColumn(format="localized"),
            "Customers": st.column_config.NumberColumn(format="localized"),
            "Rate %": percent,
            "Adjusted %": percent,
            "CI low %": percent,
            "CI high %": percent,
            "vs rest (pp)": st.column_config.NumberColumn(format="%+.1f"),
            "p (adjusted)": st.column_config.NumberColumn(
                format="%.3g", help="Benjamini–Hochberg adjusted, exploratory."
            ),
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
    from ui import controls, links

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
    outside = points.filter(pl.col("outside").fill_null(False))
    if outside.height:
        months = ", ".join(f"{d:%b %Y}" for d in outside["cohort"].to_list())
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


def why_it_moved(data: state.Dataset, definition: Definition, period: str) -> None:
    """Split the change in the overall rate between two cohorts into mix and rate effects."""
    from conversion.analysis import insights
    from conversion.presentation import charts

    columns = [s for s in definition.segments if s != definition.contact_date]
    if not columns:
        st.info("Pick a segment column on the Segments page to split the change by segment.")
        return
    column = st.selectbox("Split by", columns, key="move_by")
    result = state.cohorts(data, definition.with_changes(segments=(column,)), period)
    if result is None:
        return
    table = result[0].filter(pl.col("mature") & (pl.col("contacts") > 0))
    cohorts = sorted(set(table["cohort"].to_list()))
    if len(cohorts) < 2:
        st.info("At least two mature cohorts are needed to compare.")
        return
    left, right = st.columns(2)
    before = left.selectbox(
        "From",
        cohorts,
        index=len(cohorts) - 2,
        key="move_from",
        format_func=lambda d: f"{d:%b %Y}" if period != "week" else str(d),
    )
    after = right.selectbox(
        "To",
        cohorts,
        index=len(cohorts) - 1,
        key="move_to",
        format_func=lambda d: f"{d:%b %Y}" if period != "week" else str(d),
    )
    if before == after:
        st.info("Pick two different cohorts.")
        return
    parts = insights.mix_rate_decomposition(
        table.filter(pl.col("cohort") == before), table.filter(pl.col("cohort") == after), column
    )
    total = parts.filter(pl.col("segment") == insights.TOTAL).row(0, named=True)
    st.metric(
        "Change in the overall rate",
        f"{total['total_effect'] * 100:+.1f} points",
        help="Mix effect: segments' shares of contacts changed. Rate effect: rates within "
        "segments changed. The two add up exactly to the change (midpoint shift-share).",
        border=True,
    )
    st.altair_chart(charts.waterfall_chart(parts), width="stretch")
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
    from conversion.analysis import survival

    within = survival.convert_within(km)
    keys = [segment] if segment else []
    wide = within.pivot(on="within_days", index=keys or None, values="converted_share")
    if not keys:
        wide = within.select(
            *(
                pl.col("converted_share").filter(pl.col("within_days") == d).first().alias(str(d))
                for d in (7, 14, 30, 90)
            )
        )
    medians = survival.median_days(km)
    shown = wide.rename(
        {str(d): f"Within {d} days %" for d in (7, 14, 30, 90) if str(d) in wide.columns}
    )
    shown = shown.with_columns(pl.col(c) * 100 for c in shown.columns if c.startswith("Within"))
    if keys:
        shown = shown.join(medians.select(*keys, "median_days_converters", "thin"), on=keys)
    else:
        shown = pl.concat(
            [shown, medians.select("median_days_converters", "thin")], how="horizontal"
        )
    st.dataframe(
        shown.rename(
            {"median_days_converters": "Median days (converters)", "thin": "Few converters"}
        ),
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.1f%%")
            for c in shown.columns
            if c.startswith("Within")
        },
    )
    st.caption(
        f"{survival.METHOD}. Contacts that have not converted are followed until the as-of date "
        "(censored), so recent contacts do not count as failures. Empty cells: not enough "
        "follow-up to say."
    )


def column_ranking(data: state.Dataset, definition: Definition) -> None:
    """Which columns separate converters from the rest, best first; a click switches to one."""
    from conversion.analysis import insights

    usable = state.usable_tables(data, definition)
    if usable is None:
        return
    tables, excluded = usable
    if not tables:
        st.info("No column qualifies as a segment.")
        return
    ranked = insights.rank_columns(tables, excluded)
    usable = ranked.filter(pl.col("excluded_reason").is_null())
    st.caption(
        "Each column is tested with a chi-square test of independence (p adjusted across "
        "columns, Benjamini–Hochberg); Cramér's V measures how strongly it separates "
        "conversion; spread = best segment's lower bound − worst segment's upper bound (a "
        "positive spread means the best is surely better than the worst)."
    )
    for row in usable.iter_rows(named=True):
        left, middle, right = st.columns([3, 5, 2])
        left.markdown(f"**{plain(row['column'])}** · {row['segments']} segments")
        verdict = (
            "separates conversion clearly"
            if (row["p_adjusted"] or 1) < 0.05 and (row["spread"] or 0) > 0
            else "no clear separation"
        )
        thin = " (thin data: approximate)" if row["thin"] else ""
        middle.caption(
            f"{verdict}{thin}: V = {row['cramers_v']:.2f}, p = {row['p_adjusted']:.2g}, "
            f"spread {row['spread'] * 100:+.1f} pp"
            if row["cramers_v"] is not None
            else "not enough data to test"
        )
        if row["column"] not in definition.segments and right.button(
            "Break down", key=f"rank_{row['column']}"
        ):
            state.use_dataset(data, definition.with_changes(segments=(row["column"],)))
            st.rerun()
    excluded = ranked.filter(pl.col("excluded_reason").is_not_null())
    if excluded.height:
        with st.popover("Columns left out, and why"):
            for row in excluded.iter_rows(named=True):
                st.markdown(f"- {plain(row['excluded_reason'])}")


def adjusted_rates(described: pl.DataFrame, segments: Sequence[str]) -> pl.DataFrame | None:
    """Empirical-Bayes rates beside the raw ones; None (with the reason shown) when not useful."""
    from conversion.analysis import insights

    prior = insights.beta_binomial_prior(
        described["contacts"].to_numpy(), described["customers"].to_numpy()
    )
    if prior is None:
        reason = insights.prior_reason(
            described["contacts"].to_numpy(), described["customers"].to_numpy()
        )
        st.info(plain(f"Adjusted rates are not shown: {reason}"))
        return None
    shrunk = insights.shrunk_rates(described.select(*segments, "contacts", "customers"), prior)
    st.caption(
        f"Adjusted rate = (customers + α) / (contacts + α + β), a beta-binomial prior fitted to "
        f"all segments (Kleinman's moment estimate: mean {prior.mu:.1%}, α = {prior.alpha:.1f}, "
        f"β = {prior.beta:.1f}). Small segments move toward the mean; large ones barely move."
    )
    return described.join(
        shrunk.select(*segments, "adjusted_rate"), on=list(segments), how="left"
    ).sort("adjusted_rate", descending=True, nulls_last=True)


def simpson_check(data: state.Dataset, definition: Definition, a: str, b: str) -> None:
    """Does another column reverse the comparison of a and b? (Mantel–Haenszel)"""
    from conversion.analysis import insights

    if len(definition.segments) != 1:
        return
    exposure = definition.segments[0]
    usable = state.usable_tables(data, definition)
    if usable is None:
        return
    others = tuple(c for c in usable[0] if c != exposure)
    tables = state.cross_tables(data, definition, exposure, others) if others else {}
    if not tables:
        return
    flips = insights.simpson_scan(tables, exposure, a, b)
    if flips.height == 0:
        st.success(
            f"Checked against {len(tables)} other columns: none reverses this comparison once "
            "it is held fixed (Mantel–Haenszel adjustment)."
        )
        return
    for row in flips.iter_rows(named=True):
        st.warning(plain(row["warning"]), icon=":material/warning:")
        mh = insights.mantel_haenszel(tables[row["column"]], exposure, row["column"], a, b)
        st.dataframe(
            mh.composition.with_columns(
                pl.col("^(share|rate)_.*$") * 100, pl.col("difference") * 100
            ),
            hide_index=True,
        )


def python_box(data: state.Dataset, definition: Definition, sort: str) -> None:
    """'Copy as Python': the notebook code that reproduces this view with the public API."""
    from conversion.sharing import codegen
    from ui import controls

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
    build: Callable[[], alt.TopLevelMixin], inputs: tuple, name: str, **options: object
) -> object:
    """Place the chart ``build()`` makes from ``inputs``; its spec is cached for the session.

    Building an Altair chart and validating it costs ~0.1–0.2 s; a re-render after an unrelated
    control (sort, the other chart's switches) reuses the spec instead. ``options`` go to
    ``st.vega_lite_chart`` (``key``, ``on_select``, ``width``).
    """
    key = (name, *(_frozen(value) for value in inputs))
    spec = state.chart_spec(key, lambda: build().to_dict())
    return st.vega_lite_chart(spec=copy.deepcopy(spec), **options)  # type: ignore[arg-type]


def _frozen(value: object) -> object:
    """A hashable stand-in for a chart input: small frames by their rows."""
    if isinstance(value, pl.DataFrame):
        return ("frame", tuple(value.columns), tuple(value.iter_rows()))
    return value
