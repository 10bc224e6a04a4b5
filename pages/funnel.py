"""Funnel: where each segment's contacts drop out, stage by stage, with intervals."""

import streamlit as st

from ui import controls, funnel
from ui.entry import through_app

through_app()

st.title("Funnel by segment")
data = funnel.funnel_data()
if data.fallback:
    st.info(
        "The dataset in use has no stage columns, so this page shows the bundled CRM lifecycle "
        "sample. Upload a CRM export with stage dates (Became a … Date) or a lifecycle-stage "
        "column to see your own funnel."
    )
funnel.apply_link(data)
chosen = funnel.controls(data)
if chosen is None:
    st.stop()
shown = funnel.result(data, chosen)
if shown is None:
    st.stop()
funnel.show(data, shown, controls.safe_bands())
funnel.pin(data, chosen)
