"""Conversion by Segment: the Streamlit app's entry point (navigation only)."""

import streamlit as st

st.set_page_config(page_title="Conversion by Segment", layout="wide")
st.title("Conversion by Segment")
st.write("The app is being built; use the `conversion` command meanwhile.")
