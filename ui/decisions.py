"""Decision aids in the app: What changed (Trends), how sure and how many more leads.

The Segments page gets optional columns (the chance each segment is truly strong or poor, and
the leads it still needs), Compare gets the chance A beats B, the expected loss of each choice,
the leads to tell them apart and a sample-size calculator, Trends gets "What changed". Their
settings live in session state and travel in the share link (``query``/``apply_query``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
import streamlit as st

from conversion.analysis import change, sample_size
from conversion.counting.periods import mature_periods, period_end, period_text
from conversion.counting.ranges import DAYS, days_text
from conversion.presentation import change_report, charts, decisions, export, formats
from conversion.sharing.decision_links import (
    CALCULATOR,
    DecisionLink,
    decision_from_query,
    decision_query,
)
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
SURE_NOTE = decisions.SURE_NOTE
LEADS_NOTE = decisions.LEADS_NOTE


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
        st.caption(decisions.leads_note(margin(), difference()))
    return table


def display_frame(described: pl.DataFrame, target: float | None = None) -> pl.DataFrame | None:
    """The decision columns as the results table shows them; None when none were added.

    ``target`` is the interval target the leads were counted for (the page's by default).
    """
    return decisions.display_frame(described, margin() if target is None else target)


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


CALCULATOR_DEFAULTS = {"calc_alpha": 0.05, "calc_power": 80.0}
"""The calculator's level and power until changed; its two rates start at the pair compared."""


def _calculator_defaults(rate_a: float, rate_b: float) -> tuple[float, float]:
    """Fill the calculator from the pair compared: on a first visit and when the pair changes.

    A link's rates (``apply_query``) are kept on the first visit. Returns the pair's rates in
    percent, which the share link leaves out as the defaults.
    """
    state = st.session_state
    observed = (round(rate_a * 100, 1), round(rate_b * 100, 1))
    if tuple(state.get("calc_observed") or ()) != observed:
        from_link = state.pop("calc_from_link", False)
        for key, value in zip(("calc_a", "calc_b"), observed, strict=True):
            if from_link:
                state.setdefault(key, value)
            else:
                state[key] = value
        state["calc_observed"] = observed
    for key, value in CALCULATOR_DEFAULTS.items():
        state.setdefault(key, value)
    return observed


def calculator(rate_a: float, rate_b: float) -> None:
    """A sample-size calculator: contacts per group to detect rate A against rate B."""
    _calculator_defaults(rate_a, rate_b)
    with st.expander("Sample-size calculator", icon=":material/calculate:"):
        cols = st.columns(4)
        kept: dict[str, Any] = {"persist_state": "session"}
        first = cols[0].number_input("Rate A %", 0.0, 100.0, key="calc_a", **kept)
        second = cols[1].number_input("Rate B %", 0.0, 100.0, key="calc_b", **kept)
        level = cols[2].number_input(
            "Level α", 0.001, 0.5, step=0.01, format="%.3f", key="calc_alpha", **kept
        )
        power = cols[3].number_input("Power %", 50.0, 99.0, step=5.0, key="calc_power", **kept)
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


def _calculator_query() -> tuple[tuple[str, float], ...]:
    """The calculator inputs that differ from their defaults, for the share link."""
    state = st.session_state
    defaults: dict[str, float] = dict(CALCULATOR_DEFAULTS)
    observed = state.get("calc_observed")
    if observed:
        defaults |= {"calc_a": observed[0], "calc_b": observed[1]}
    return tuple(
        (key, float(state[key]))
        for key in CALCULATOR
        if state.get(key) is not None and state[key] != defaults.get(key)
    )


PERIODS, DATES = "Periods", "Custom dates"
"""The two ways What changed picks what to compare: two full periods, or any two date ranges."""


def what_changed(
    data: Dataset, definition: Definition, period: DateBucket, segment: str | None
) -> dict[str, str] | None:
    """Trends: each segment's rate in two mature periods (or date ranges), the change, drivers.

    Returns the comparison shown as a What changed cell's options (``notebook.changes``), or
    None when nothing was shown.
    """
    if segment is None:
        st.info("Choose a segment column under Lines to see what changed per segment.")
        return None
    one = definition.with_changes(segments=(segment,))
    result = results.cohorts(data, one, period)
    if result is None:
        return None
    table, counts = result
    st.session_state.setdefault("change_mode", PERIODS)
    mode = st.segmented_control(
        "Compare", [PERIODS, DATES], key="change_mode", required=True, persist_state="session",
        help="Two full periods of the cohort size above, or any two ranges of contact dates "
        "(whole days, both included).",
    )  # fmt: skip
    if mode == DATES:
        return _custom_dates(data, one, table, period, counts.quality.as_of)
    starts = mature_periods(table, period, counts.quality.as_of)
    if len(starts) < 2:
        st.info(f"At least two full, mature {period}s are needed to compare.")
        return None
    before, after = _pick_two(starts, period)
    if before >= after:
        st.info("Pick a From period before the To period.")
        return None
    changed = results.guarded(
        change.between_cohorts, table, [segment], before, after, top_k=definition.top_k
    )
    if changed is None:
        return None
    names = (formats.cohort(before, period), formats.cohort(after, period))
    _show_change(changed, segment, names, data.name)
    return {"period": period, "previous": period_text(before, period),
            "current": period_text(after, period)}  # fmt: skip


def _custom_dates(
    data: Dataset,
    definition: Definition,
    cohorts: pl.DataFrame,
    period: DateBucket,
    as_of: date | None,
) -> dict[str, str] | None:
    """What changed between two ranges of contact dates the analyst picks (mature ones only)."""
    segment = definition.segments[0]
    picked = _pick_days(cohorts, period, as_of, definition.window_days)
    if picked is None:
        return None
    previous, current = picked
    if previous[1] >= current[0]:
        st.info("The previous dates must end before the current ones start.")
        return None
    counted = results.counts_between(data, definition.with_changes(top_k=None), *picked)
    if counted is None:
        return None
    changed = results.guarded(
        change.period_change,
        counted[0].table,
        counted[1].table,
        [segment],
        top_k=definition.top_k,
    )
    if changed is None:
        return None
    names = (change_report.span_label(previous, DAYS), change_report.span_label(current, DAYS))
    _show_change(changed, segment, names, data.name)
    # Days are named as dates whatever the cohort size (a date would name a week with weeks).
    return {"period": "month", "previous": days_text(previous), "current": days_text(current)}


Days = tuple[date, date]
DAY_KEYS = ("change_previous_days", "change_current_days")


def _pick_days(
    cohorts: pl.DataFrame, period: DateBucket, as_of: date | None, window: int | None
) -> tuple[Days, Days] | None:
    """Two date-range pickers over the mature days; by default the last two full months."""
    bounds = _day_bounds(cohorts, period, as_of, window)
    if bounds is None:
        st.info("No contact date has had its full conversion window yet: nothing to compare.")
        return None
    for key, default in zip(DAY_KEYS, _default_days(*bounds), strict=True):
        stored = st.session_state.get(key)
        inside = isinstance(stored, tuple | list) and all(
            isinstance(d, date) and bounds[0] <= d <= bounds[1] for d in stored
        )
        if not stored or not inside:
            st.session_state[key] = default
    chosen: list[Days] = []
    for column, label, key in zip(
        st.columns(2), ("Previous dates", "Current dates"), DAY_KEYS, strict=True
    ):
        days = column.date_input(
            label, min_value=bounds[0], max_value=bounds[1], key=key, persist_state="session",
            format="YYYY-MM-DD", help="Contacts whose contact date falls in the range, both "
            "ends included; only days whose contacts have had their full window can be picked.",
        )  # fmt: skip
        if not isinstance(days, tuple) or len(days) != 2:
            st.info("Pick the first and the last day of both ranges.")
            return None
        chosen.append((days[0], days[1]))
    return chosen[0], chosen[1]


def _day_bounds(
    cohorts: pl.DataFrame, period: DateBucket, as_of: date | None, window: int | None
) -> Days | None:
    """The first contact day and the last mature one (the data's last day without a window)."""
    starts = cohorts["cohort"].drop_nulls()
    if starts.is_empty():
        return None
    first = starts.min()
    if as_of is not None:
        last = as_of - timedelta(days=window or 0)
    else:
        last = period_end(starts.max(), period)  # type: ignore[arg-type]
    if not isinstance(first, date) or last < first:
        return None
    return first, last


def _default_days(first: date, last: date) -> tuple[Days, Days]:
    """The last two full months up to ``last``, or the two halves of the span when shorter.

    Examples
    --------
    >>> _default_days(date(2025, 1, 4), date(2025, 6, 29))
    ((datetime.date(2025, 4, 1), datetime.date(2025, 4, 30)), \
(datetime.date(2025, 5, 1), datetime.date(2025, 5, 31)))
    """
    end = last if (last + timedelta(days=1)).day == 1 else last.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    before = start - timedelta(days=1)
    if before.replace(day=1) >= first:
        return (before.replace(day=1), before), (start, end)
    middle = first + (last - first) // 2
    return (first, middle), (min(middle + timedelta(days=1), last), last)


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


def _show_change(changed: pl.DataFrame, segment: str, names: tuple[str, str], name: str) -> None:
    previous, current = change.overall_change(changed)
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
    st.dataframe(shown, hide_index=True, column_config=change_column_config(shown.columns))
    st.download_button(
        "What changed (CSV)",
        lambda: shown.write_csv().encode("utf-8"),
        file_name=export.safe_file_name(name, "_what_changed.csv"),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )


def change_column_config(columns: Sequence[str]) -> dict[str, Any]:
    """What changed's table: rates in percent with one decimal, points signed with two."""
    return {
        c: st.column_config.NumberColumn(format="%.1f" if c.endswith("pct") else "%+.2f")
        for c in columns
        if c.endswith(("_pct", "_pp"))
    }


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
            **_days_query(),
            calculator=_calculator_query(),
        )
    )


def _days_query() -> dict[str, Days | None]:
    """What Changed's two date ranges, when it compares dates."""
    if st.session_state.get("change_mode") != DATES:
        return {}
    found: list[Days] = []
    for key in DAY_KEYS:
        days = st.session_state.get(key)
        if not isinstance(days, tuple | list) or len(days) != 2:
            return {}
        found.append((days[0], days[1]))
    return {"previous_days": found[0], "current_days": found[1]}


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
    if link.previous_days is not None and link.current_days is not None:
        st.session_state["change_mode"] = DATES
        st.session_state[DAY_KEYS[0]] = link.previous_days
        st.session_state[DAY_KEYS[1]] = link.current_days
    for key, value in link.calculator:
        st.session_state[key] = value
        st.session_state["calc_from_link"] = True
    return notices
