"""Data: pick a sample or upload a file, check how its columns are read, see what was counted."""

import streamlit as st

from conversion import reading
from conversion.presentation import report
from conversion.reading.samples import SAMPLES
from ui import connection, controls, datasets, results, state
from ui.entry import through_app
from ui.text import plain

through_app()

st.title("Data")
st.caption(
    "Bring a contacts, leads or sign-ups table (CSV, TSV, Excel, Parquet, JSON), optionally with "
    "a table of orders or won deals. Files stay in your session and are never modified."
)
data = state.dataset()
offered = connection.database_offered()  # only to the people the operator meant (ui.access)
kinds = ["Bundled sample", "Upload a file"] + (["Connect to a database"] if offered else [])
source = st.radio(
    "Source", kinds, horizontal=True, key="source_kind",
    index=min({"sample": 0, "database": 2}.get(data.kind, 1), len(kinds) - 1),
)  # fmt: skip
if not offered:
    connection.sign_in_offer()
if source == "Bundled sample":
    current = data.sample.key if data.sample else None
    key = st.selectbox(
        "Sample", list(SAMPLES), index=list(SAMPLES).index(current) if current else 0,
        format_func=lambda k: SAMPLES[k].title, key="sample_pick",
    )  # fmt: skip
    st.caption(SAMPLES[key].description)
    if key != current:
        state.use_dataset(datasets.sample_dataset(key))
        st.rerun()
elif source == "Upload a file":
    controls.upload_controls()
else:
    controls.database_controls()

data = state.dataset()
st.subheader(f"Preview of {plain(data.contacts.name)}")
if data.kind == "database":
    st.caption(
        f"The first {datasets.REMOTE_SAMPLE_ROWS:,} rows, read once to suggest column roles; every "
        "count runs on the whole table in the database."
    )
st.dataframe(data.contacts.frame.head(reading.PREVIEW_ROWS).collect(), hide_index=True, height=250)

st.subheader("Column roles")
st.caption("Detected from the column names and values; change anything that is wrong.")
definition = controls.role_editor(data, state.definition())
state.set_definition(definition)

st.subheader("Validation summary")
counts = results.counts(data, definition) if definition.segments else None
if counts is not None:
    roles = (definition.id, definition.converted, definition.converted_date,
             definition.contact_date, *definition.segments)  # fmt: skip
    missing = results.missing_values(data, tuple(c for c in roles if c))
    items = report.validation_summary(counts, missing)
    for row_start in range(0, len(items), 4):
        for column, item in zip(st.columns(4), items[row_start : row_start + 4], strict=False):
            column.metric(item.label, item.value, help=item.help, border=True)
    for warning in counts.warnings:
        st.warning(plain(warning), icon=":material/info:")
    st.page_link("pages/segments.py", label="See conversion by segment", icon="➡️")
elif not definition.segments:
    st.info("Pick a segment column on the Segments page to validate the counts.")
