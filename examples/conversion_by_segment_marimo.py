"""Conversion by segment in a marimo notebook.

Open it with `marimo edit examples/conversion_by_segment_marimo.py`; it also runs as a plain
script (`python examples/conversion_by_segment_marimo.py`), which is how CI executes it.
"""

# marimo shows the last expression of a cell, which is exactly what B018 calls useless.
# ruff: noqa: B018

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    from pathlib import Path

    import marimo as mo

    import conversion

    return Path, conversion, mo


@app.cell
def _(mo):
    mo.md("""
    # Conversion by segment, in a notebook

    A walk through the bundled newsletter sample with the Python API: 4,000 sign-ups from
    January to September 2025, and whether each bought within 90 days of signing up.
    Install the project first (`pip install -e .` from a clone); the API is documented in
    `docs/api.md`.
    """)
    return


@app.cell
def _(Path, mo):
    # The project folder: where this notebook's sample data lives.
    here = Path(mo.notebook_dir() or Path.cwd()).resolve()
    root = next(p for p in [here, *here.parents] if (p / "sample_data").is_dir())
    signups = root / "sample_data" / "newsletter_signups.csv"
    return (signups,)


@app.cell
def _(mo):
    mo.md("""
    ## The overall rate

    A sign-up is a customer if it bought within 90 days. Sign-ups whose 90 days are not over
    by the as-of date (the latest date in the data) are left out, not counted as lost.
    """)
    return


@app.cell
def _(conversion, mo, signups):
    result = conversion.by_segment(
        signups,
        segment="source",
        id="contact_id",
        contact_date="signup_date",
        converted_date="first_purchase_date",
        window_days=90,
    )
    overall = result.overall
    overall_line = mo.md(
        f"**{overall.rate:.1%}** of {overall.contacts:,} mature sign-ups bought within 90 days "
        f"(95 % CI {overall.ci_low:.1%} – {overall.ci_high:.1%}); as of {result.quality.as_of}, "
        f"{result.quality.immature:,} sign-ups are still in their window."
    )
    overall_line
    return (result,)


@app.cell
def _(mo):
    mo.md("""
    ## The breakdown

    One row per source, ranked by the lower bound of its interval, so a small lucky source
    does not top the list.
    """)
    return


@app.cell
def _(result):
    result
    return


@app.cell
def _(mo):
    mo.md("""
    ## The chart, with bands

    Bars are coloured by band (strong ≥ 20 %, moderate ≥ 10 %, poor below), whiskers are
    95 % Wilson intervals, and the dashed line is the overall rate.
    """)
    return


@app.cell
def _(result):
    bars = result.bar_chart(title="Newsletter sign-ups: bought within 90 days")
    bars
    return


@app.cell
def _(mo, result):
    sources = result.table["source"].to_list()
    first = mo.ui.dropdown(sources, value="Referral", label="Source A")
    second = mo.ui.dropdown(sources, value="Paid social", label="Source B")
    mo.md("## Two sources compared\n\nPick two sources: " + f"{first} {second}")
    return first, second


@app.cell
def _(first, mo, result, second):
    comparison = result.compare(first.value, second.value) if first.value != second.value else None
    # Plain text: the verdict names segments, which come from the data.
    verdict = mo.plain_text(comparison.verdict if comparison else "Pick two different sources.")
    verdict
    return


@app.cell
def _(mo):
    mo.md("""
    ## The trend

    The rate per monthly sign-up cohort. Hollow diamonds are immature cohorts: some of
    their sign-ups have not had the full 90 days yet, so their rate may still move.
    """)
    return


@app.cell
def _(result):
    trend = result.trend_chart()
    trend
    return


@app.cell
def _(result):
    result.cohorts().select("cohort", "contacts", "customers", "immature", "mature", "rate")
    return


if __name__ == "__main__":
    app.run()
