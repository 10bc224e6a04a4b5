"""Trends: conversion rate per monthly or weekly cohort, overall and per segment."""

import streamlit as st

from conversion import charts, report
from ui import controls, state

st.title("Trends by cohort")
data = state.dataset()
definition = state.definition()
if definition.pre_aggregated or not definition.contact_date:
    st.info(
        "Trends need a contact date per contact. Choose the contact-date column on the Data page."
    )
    st.stop()

left, right = st.columns([1, 3])
with left:
    period = st.segmented_control(
        "Cohort", ["month", "week", "quarter"], key="period", required=True
    )
with right:
    options = ["Overall", *[s for s in definition.segments if s != definition.contact_date]]
    by = st.selectbox("Lines", options, key="trend_by")
cohort_definition = definition.with_changes(segments=() if by == "Overall" else (by,))
result = state.cohorts(data, cohort_definition, period)
if result is None:
    st.stop()
table, counts = result
rates = report.cohort_rates(table)
segment = None if by == "Overall" else by
st.altair_chart(
    charts.trend_chart(rates, controls.safe_bands(), segment=segment, period=period),
    width="stretch",
)
if definition.window_days is not None:
    st.caption(
        f"Each cohort's rate counts conversions within {definition.window_days} days. A cohort is "
        "immature (hollow diamond) while some of its contacts have not had their full window by "
        f"{counts.quality.as_of}: those contacts are left out, so its rate may still move."
    )
else:
    st.caption("No conversion window is set, so recent cohorts have had less time to convert.")
st.dataframe(
    rates.select(
        "cohort", *([segment] if segment else []), "contacts", "customers", "immature", "mature",
        (rates["rate"] * 100).alias("Rate %"),
    ),
    hide_index=True,
    column_config={"Rate %": st.column_config.NumberColumn(format="%.1f%%")},
)  # fmt: skip
