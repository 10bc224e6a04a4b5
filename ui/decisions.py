"""Decision aids in the app: What changed (Trends), how sure and how many more leads.

The Segments page gets optional columns (the chance each segment is truly strong or poor, and
the leads it still needs), Compare gets the chance A beats B, the expected loss of each choice,
the leads to tell them apart and a sample-size calculator, Trends gets "What changed". Their
settings live in session state and travel in the share link (``query``/``apply_query``).
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl
import streamlit as st

from conversion.analysis import change, sample_size
from conversion.counting.periods import mature_periods
from conversion.presentation import change_report, charts, decisions, export, formats
from conversion.sharing.decision_links import DecisionLink, decision_from_query, decision_query
from ui import results, theme
from ui.text import plain

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from conversion.definition import Bands, DateBucket, Definition
    from conversion.presentation.report import Comparison
    from ui.datasets import Dataset

EXTRA_LABELS = {
    decisions.SURE: "How sure (chance strong / poor)",
    decisions.LEADS: "How many more leads",
}
SURE_NOTE = (
    "P(strong) / P(poor): the chance the segment's true rate is at least the strong threshold, "
    "or below the moderate one, from a beta posterior ({prior})."
)
LEADS_NOTE = (
    "Leads: the contacts still needed for the 95 % interval to be at most ± {margin} points, "
    "and to tell the segment from the rest at {difference} (80 % power, two-sided, "
    "level 0.05 ÷ segments); weeks at the segment's intake over the data's date span."
)


def extras() -> tuple[str, ...]:
    """The decision columns chosen (``decisions.SURE``, ``decisions.LEADS``)."""
    return tuple(st.session_state.get("decision_extra") or ())


def margin() -> float:
    """The interval target as a fraction (± points / 100)."""
    return float(st.session_state.get("margin_pp") or 5.0) / 100


def difference() -> float | None:
    """The difference against the rest to detect, as a fraction; None for the observed one."""
    pp = st.session_state.get("detect_pp") or 0.0
    return float(pp) / 100 if pp else None


def controls() -> None:
    """The choice of decision columns, and the interval target when leads are shown."""
    left, middle, right = st.columns([2, 1, 1])
    left.multiselect(
        "Decision aids",
        list(EXTRA_LABELS),
        format_func=EXTRA_LABELS.__getitem__,
        key="decision_extra",
        persist_state="session",
        help="How sure each segment's band is, and how many more leads until you can tell.",
    )
    if decisions.LEADS in extras():
        right.number_input(
            "Interval target (± points)",
            min_value=0.5,
            max_value=25.0,
            value=5.0,
            step=0.5,
            key="margin_pp",
            persist_state="session",
        )
        middle.number_input(
            "Difference to detect (points)",
            min_value=-50.0,
            max_value=50.0,
            value=0.0,
            step=1.0,
            key="detect_pp",
            persist_state="session",
            help="Against the rest's rate; 0 uses each segment's observed difference.",
        )


def intake_weeks(data: Dataset, definition: Definition) -> float | None:
    """The data's date span in weeks (first contact month to the as-of date); None without dates."""
    if definition.pre_aggregated or not definition.contact_date:
        return None
    overall = results.cohorts(data, definition.with_changes(segments=()), "month")
    if overall is None:
        return None
    table, counts = overall
    return decisions.span_weeks(table, "month", counts.quality.as_of)


def with_columns(
    data: Dataset, definition: Definition, described: pl.DataFrame, bands: Bands
) -> pl.DataFrame:
    """``described`` with the chosen decision columns, and a line saying what they mean."""
    chosen = extras()
    if not chosen:
        return described
    weeks = intake_weeks(data, definition) if decisions.LEADS in chosen else None
    added = results.guarded(
        decisions.with_decisions,
        described,
        bands,
        chosen,
        margin=margin(),
        difference=difference(),
        weeks=weeks,
    )
    if added is None:
        return described
    table, prior = added
    if prior is not None:
        st.caption(plain(SURE_NOTE.format(prior=prior)))
    if decisions.LEADS in chosen:
        wanted = difference()
        detect = (
            "its observed difference"
            if wanted is None
            else f"a difference of {formats.points(wanted)} from the rest's rate"
        )
        st.caption(LEADS_NOTE.format(margin=f"{margin() * 100:g}", difference=detect))
    return table


def display_frame(described: pl.DataFrame) -> pl.DataFrame | None:
    """The decision columns as the results table shows them; None when none were added."""
    columns: dict[str, Any] = {}
    if "p_strong" in described.columns:
        columns["P(strong) %"] = (described["p_strong"] * 100).to_list()
        columns["P(poor) %"] = (described["p_poor"] * 100).to_list()
    if "margin_more" in described.columns:
        for name, more, weeks in (
            (f"Leads for ± {margin() * 100:g} pp", "margin_more", "margin_weeks"),
            ("Leads to tell from the rest", "power_more", "power_weeks"),
        ):
            columns[name] = [
                decisions.leads_text(m, w)
                for m, w in zip(described[more].to_list(), described[weeks].to_list(), strict=True)
            ]
    return pl.DataFrame(columns) if columns else None


def column_config() -> dict[str, Any]:
    """How the decision columns read in the results table."""
    chance = st.column_config.NumberColumn(format="%.1f%%")
    return {"P(strong) %": chance, "P(poor) %": chance}


def compare_aids(data: Dataset, definition: Definition, result: Comparison) -> None:
    """Compare: how sure A beats B, the loss of each choice, and the leads to tell them apart."""
    chosen = extras()
    a, b = result.a, result.b
    if not chosen:
        return
    table = results.counts(data, definition)
    if table is None:
        return
    aids = results.guarded(
        decisions.compare_decision,
        table.table,
        (a.customers, a.contacts),
        (b.customers, b.contacts),
        alpha=0.05 / max(result.comparisons, 1),
    )
    if aids is None:
        return
    if decisions.SURE in chosen:
        cols = st.columns(3)
        cols[0].metric("P(A beats B)", f"{aids.p_a_beats_b:.1%}", border=True)
        cols[1].metric("Expected loss if you pick A", f"{aids.loss_a * 100:.2f} pp", border=True)
        cols[2].metric("Expected loss if you pick B", f"{aids.loss_b * 100:.2f} pp", border=True)
        st.caption(
            plain(
                "The chance A's true rate is higher than B's, and the rate you expect to give up "
                f"by picking one if the other is truly better ({aids.prior_note}; exact "
                "numerical integration)."
            )
        )
    if decisions.LEADS in chosen:
        weeks = intake_weeks(data, definition)
        st.markdown(
            "**To tell them apart** "
            + plain(
                f"at this difference ({formats.points(result.diff)}, 80 % "
                f"power, level 0.05 ÷ {result.comparisons} pairs): "
                f"{formats.count(int(aids.per_group)) if math.isfinite(aids.per_group) else '–'} "
                f"contacts each. {a.label}: "
                f"{decisions.leads_text(aids.more_a, _weeks(aids.more_a, a.contacts, weeks))}; "
                f"{b.label}: "
                f"{decisions.leads_text(aids.more_b, _weeks(aids.more_b, b.contacts, weeks))}."
            )
        )


def _weeks(more: float, contacts: int, span: float | None) -> float | None:
    if span is None or not contacts or not math.isfinite(more):
        return None
    return more / (contacts / span)


def calculator(rate_a: float, rate_b: float) -> None:
    """A sample-size calculator: contacts per group to detect rate A against rate B."""
    with st.expander("Sample-size calculator", icon=":material/calculate:"):
        cols = st.columns(4)
        first = cols[0].number_input("Rate A %", 0.0, 100.0, round(rate_a * 100, 1), key="calc_a")
        second = cols[1].number_input("Rate B %", 0.0, 100.0, round(rate_b * 100, 1), key="calc_b")
        level = cols[2].number_input("Level α", 0.001, 0.5, 0.05, step=0.01, key="calc_alpha")
        power = cols[3].number_input("Power %", 50.0, 99.0, 80.0, step=5.0, key="calc_power")
        needed = results.guarded(
            sample_size.contacts_for_difference,
            first / 100,
            second / 100,
            alpha=level,
            power=power / 100,
        )
        if needed is None:
            return
        value = formats.count(math.ceil(needed)) if math.isfinite(needed) else "–"
        st.metric("Contacts per segment", value, border=True)
        st.caption(
            "Two-sided test of two rates, equal groups, normal approximation on Cohen's h "
            "(as statsmodels' NormalIndPower)."
        )


def what_changed(
    data: Dataset, definition: Definition, period: DateBucket, segment: str | None
) -> None:
    """Trends: each segment's rate in two mature periods, the change, its interval and drivers."""
    if segment is None:
        st.info("Choose a segment column under Lines to see what changed per segment.")
        return
    result = results.cohorts(data, definition.with_changes(segments=(segment,)), period)
    if result is None:
        return
    table, counts = result
    starts = mature_periods(table, period, counts.quality.as_of)
    if len(starts) < 2:
        st.info(f"At least two full, mature {period}s are needed to compare.")
        return
    before, after = _pick_two(starts, period)
    if before >= after:
        st.info("Pick a From period before the To period.")
        return
    changed = results.guarded(change.between_cohorts, table, [segment], before, after)
    if changed is None:
        return
    _show_change(changed, segment, (before, after), period, data.name)


def _pick_two(starts: list[date], period: DateBucket) -> tuple[date, date]:
    for key, default in (("change_from", starts[-2]), ("change_to", starts[-1])):
        if st.session_state.get(key) not in starts:
            st.session_state[key] = default

    def label(start: date) -> str:
        return formats.cohort(start, period)

    left, right = st.columns(2)
    before = left.selectbox(
        "From", starts, key="change_from", format_func=label, persist_state="session"
    )
    after = right.selectbox(
        "To", starts, key="change_to", format_func=label, persist_state="session"
    )
    return before, after


def _show_change(
    changed: pl.DataFrame, segment: str, periods: tuple[date, date], period: str, name: str
) -> None:
    previous, current = change.overall_change(changed)
    names = [formats.cohort(p, period) for p in periods]
    st.metric(
        f"Overall rate, {names[0]} → {names[1]}",
        f"{formats.percent(current)}",
        f"{formats.points(current - previous)}",
        border=True,
    )
    theme.altair_chart(
        charts.change_chart(changed, segment),
        f"Change in conversion rate per {segment} from {names[0]} to {names[1]}, in points, "
        "with 95 % Newcombe intervals; the largest driver of the overall change first. The "
        "table below has every value.",
        width="stretch",
    )
    st.caption(
        "Mature contacts only. p adjusted (Benjamini–Hochberg) across segments; contribution: "
        "the segment's mix and rate effect on the overall change (they add up to it)."
    )
    shown = change_report.export_change(changed, [segment], drivers=True)
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="%.1f" if c.endswith("pct") else "%+.2f")
            for c in shown.columns
            if c.endswith(("_pct", "_pp"))
        },
    )
    st.download_button(
        "What changed (CSV)",
        lambda: shown.write_csv().encode("utf-8"),
        file_name=export.safe_file_name(name, "_what_changed.csv"),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )


def query() -> dict[str, str | list[str]]:
    """The decision aids' settings as share-link parameters (only what differs from defaults)."""
    chosen = extras()
    pp = st.session_state.get("margin_pp")
    detect = st.session_state.get("detect_pp")
    leads = decisions.LEADS in chosen
    return decision_query(
        DecisionLink(
            extra=chosen or None,
            margin_pp=pp if leads and pp not in (None, 5.0) else None,
            detect_pp=detect if leads and detect else None,
            previous=st.session_state.get("change_from"),
            current=st.session_state.get("change_to"),
        )
    )


def apply_query(params: Mapping[str, Sequence[str]]) -> list[str]:
    """Set the decision aids from a link's parameters; returns notices for what was ignored."""
    link, notices = decision_from_query(params)
    if link.extra is not None:
        st.session_state["decision_extra"] = list(link.extra)
    if link.margin_pp is not None:
        st.session_state["margin_pp"] = link.margin_pp
    if link.detect_pp is not None:
        st.session_state["detect_pp"] = link.detect_pp
    if link.previous is not None:
        st.session_state["change_from"] = link.previous
    if link.current is not None:
        st.session_state["change_to"] = link.current
    return notices
