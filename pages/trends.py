"""Trends: conversion per cohort, whether it is stable, why it moved, and how long it takes."""

import polars as pl
import streamlit as st

from conversion.analysis import insights, survival
from conversion.definition import DateBucket
from conversion.presentation import charts, report
from conversion.sharing import links
from ui import controls, decisions, notebook, results, state, theme, views
from ui.entry import through_app
from ui.text import plain

through_app()

st.title("Trends by cohort")
data = state.dataset()
definition = state.definition()
if definition.pre_aggregated or not definition.contact_date:
    st.info(
        "Trends need a contact date per contact. Choose the contact-date column on the Data page."
    )
    st.stop()

# Weeks are cut on files only; a database counts months and quarters where it lives.
periods: list[DateBucket] = [p for p in links.PERIODS if data.source.supports.weeks or p != "week"]
if st.session_state.get("period") not in (None, *periods):
    st.session_state["period"] = "month"
left, right = st.columns([1, 3])
with left:
    period = st.segmented_control(
        "Cohort", periods, key="period", required=True, persist_state="session",
    ) or "month"  # fmt: skip
with right:
    options = ["Overall", *[s for s in definition.segments if s != definition.contact_date]]
    by = st.selectbox("Lines", options, key="trend_by")
segment = None if by == "Overall" else by
result = results.cohorts(data, definition.with_changes(segments=(by,) if segment else ()), period)
if result is None:
    st.stop()
table, counts = result
rates = report.cohort_rates(table)
bands = controls.safe_bands()

rate_tab, control_tab, move_tab, change_tab, time_tab = st.tabs(
    ["Rate by cohort", "Stable or not?", "Why did it move?", "What changed", "Time to convert"]
)
with rate_tab:
    trend = charts.trend_chart(rates, bands, segment=segment, period=period)
    theme.altair_chart(trend, report.trend_summary(rates, period, segment), width="stretch")
    views.chart_downloads(lambda: trend, data.name, "Trend chart")
    views.maturity_note(definition, counts)
    trend_cell = definition.with_changes(segments=(by,) if segment else ())
    notebook.pin_button("trend", trend_cell, {"period": period, "tab": "rate"},
                        f"Rate by {period} cohort" + (f" per {segment}" if segment else ""),
                        "trend_rate")  # fmt: skip
    st.dataframe(
        report.cohort_labelled(rates, period).select(
            "cohort", *([segment] if segment else []), "contacts", "customers", "immature",
            "mature", (pl.col("rate") * 100).alias("Rate %"),
        ),
        hide_index=True,
        column_config={"Rate %": st.column_config.NumberColumn(format="%.1f%%")},
    )  # fmt: skip

with control_tab:
    overall = results.cohorts(data, definition.with_changes(segments=()), period)
    if overall is not None:
        cohorts_overall = overall[0]
        points = insights.p_chart(cohorts_overall)
        outside = insights.outside_cohorts(points)
        theme.altair_chart(
            charts.control_chart(points, period=period),
            f"Control chart (p-chart) of the rate per {period} cohort against the pooled rate: "
            f"{len(outside)} of {points.height} cohorts outside the 3-sigma limits.",
            width="stretch",
        )
        views.control_notes(points, insights.cohort_chi_square(cohorts_overall))
        notebook.pin_button("trend", definition.with_changes(segments=()),
                            {"period": period, "tab": "stable"},
                            f"Is the {period}ly rate stable?", "trend_stable")  # fmt: skip
        review = insights.monthly_review(table, segment)
        st.markdown("**Review of the latest mature cohort**")
        for sentence in review.sentences:
            st.markdown(f"- {plain(sentence)}")

with move_tab:
    views.why_it_moved(data, definition, period)
    notebook.pin_moved(definition, period)

with change_tab:
    compared = decisions.what_changed(data, definition, period, segment)
    if compared is not None:
        notebook.pin_button("change", definition.with_changes(segments=(by,)), compared,
                            f"What changed by {segment}", "change")  # fmt: skip

with time_tab:
    timing = results.time_to_convert(
        data, definition.with_changes(segments=(by,) if segment else ())
    )
    if timing is not None:
        lags, _ = timing
        km = survival.kaplan_meier(lags, [segment] if segment else [])
        curves = f", one curve per {segment}" if segment else ""
        theme.altair_chart(
            charts.time_to_convert_chart(km, segment=segment),
            "Share of contacts converted by days since contact (Kaplan–Meier, contacts not yet "
            f"converted counted until the as-of date){curves}; the tables below give the median "
            "days and the chance within 7 to 90 days.",
            width="stretch",
        )
        hint = survival.window_hint_text(lags)
        if hint:
            st.info(plain(hint))
        views.time_tables(km, segment)
        notebook.pin_button("trend", definition.with_changes(segments=(by,) if segment else ()),
                            {"period": period, "tab": "time"}, "Time to convert" +
                            (f" by {segment}" if segment else ""), "trend_time")  # fmt: skip
