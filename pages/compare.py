"""Compare: two segments side by side, the difference, its interval and a plain verdict."""

import polars as pl
import streamlit as st

from conversion.presentation import charts, formats, report
from ui import decisions, notebook, results, state, theme, views
from ui.entry import through_app
from ui.text import plain

through_app()

st.title("Compare two segments")
data = state.dataset()
definition = state.definition()
if not definition.segments:
    st.info("Pick a segment column on the Segments page first.")
    st.stop()
counts = results.counts(data, definition)
if counts is None:
    st.stop()
labels = (
    report.with_labels(counts.table, definition.segments)
    .filter(pl.col("contacts") > 0)
    .sort("contacts", descending=True)[report.label_column(definition.segments)]
    .to_list()
)
if len(labels) < 2:
    st.info("There is only one segment with contacts; choose another breakdown.")
    st.stop()
picked = st.session_state.get("compare_a")
first = labels.index(picked) if picked in labels else 0
left, right = st.columns(2)
a = left.selectbox("Segment A", labels, index=first, key="compare_pick_a")
b = right.selectbox("Segment B", [x for x in labels if x != a], index=0, key="compare_pick_b")
result = results.guarded(report.compare, counts.table, definition.segments, a, b)
if result is None:
    st.stop()
limits = (definition.bands.moderate, definition.bands.strong)
for column, name, card in zip(st.columns(2), ("A", "B"), (result.a, result.b), strict=True):
    # The segment's name goes under the figure, where a long one wraps instead of being cut.
    with column.container(border=True):
        st.metric(
            f"Segment {name}", formats.band_percent(card.rate, limits),
            help=f"{formats.count(card.customers)} customers of {formats.count(card.contacts)} "
            f"contacts; 95 % interval {formats.interval(card.ci_low, card.ci_high)}.",
        )  # fmt: skip
        st.caption(plain(card.label))
cols = st.columns(3)
cols[0].metric("Difference (A − B)", f"{result.diff * 100:+.1f} pp", border=True)
cols[1].metric(
    "95 % interval", f"{result.diff_low * 100:+.1f} to {result.diff_high * 100:+.1f} pp",
    border=True, help="Newcombe's interval for a difference of two proportions.",
)  # fmt: skip
cols[2].metric(
    "Adjusted p-value", f"{result.p_adjusted:.3g}", border=True,
    help=f"{'Fisher exact' if result.test == 'fisher' else 'Pooled z'} test, p = "
    f"{result.p_value:.3g}, adjusted (Benjamini–Hochberg) for all {result.comparisons} pairs.",
)  # fmt: skip
st.info(plain(result.verdict))
decisions.controls()
decisions.compare_aids(data, definition, result)
decisions.calculator(result.a.rate, result.b.rate)
notebook.pin_button("compare", definition, {"a": a, "b": b, **notebook.aids_options()},
                    f"{a} against {b}", "compare")  # fmt: skip
rows = pl.DataFrame(
    [
        {"segment": c.label, "contacts": c.contacts, "customers": c.customers, "rate": c.rate,
         "ci_low": c.ci_low, "ci_high": c.ci_high}
        for c in (result.a, result.b)
    ]
)  # fmt: skip
theme.altair_chart(
    charts.difference_chart(rows),
    f"{result.a.label} converts at {formats.band_percent(result.a.rate, limits)} and "
    f"{result.b.label} at {formats.band_percent(result.b.rate, limits)}, with 95 % intervals; "
    f"the difference is {result.diff * 100:+.1f} points ({result.diff_low * 100:+.1f} to "
    f"{result.diff_high * 100:+.1f}).",
)

st.subheader("Could another column explain it?")
st.caption(
    "Simpson's paradox: a comparison can reverse once a third column (company size, region) is "
    "held fixed. Each other column is checked with a Mantel–Haenszel adjustment."
)
if st.toggle("Check the other columns", key="simpson", persist_state="session"):
    views.simpson_check(data, definition, a, b)
