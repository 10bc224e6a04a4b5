"""The Funnel page in a real Chromium: opened from its own address, at desktop and phone width.

Expected numbers are a plain ``csv`` recount of the bundled lifecycle sample. Screenshots go to
``tests/artifacts/`` (funnel_1400.png, funnel_390.png).
"""

from __future__ import annotations

import csv
from urllib.parse import quote

import pytest
from test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    TIMEOUT_MS,
    _assert_no_exception,
    _wait_for_idle,
    _wait_for_title,
    app_url,
    browser,
)

pytestmark = pytest.mark.browser

SAMPLE = ARTIFACTS.parent.parent / "sample_data" / "crm_lifecycle.csv"
STAGES = ("Became a Lead Date", "Became a Customer Date")


def customers_by_country() -> dict[str, int]:
    """Unique contacts per country with a customer date, recounted from the csv."""
    with SAMPLE.open(encoding="utf-8") as handle:
        contacts = {row["Record ID"]: row for row in csv.DictReader(handle)}
    counts: dict[str, int] = {}
    for row in contacts.values():
        counts[row["Country"]] = counts.get(row["Country"], 0) + bool(row[STAGES[1]])
    return counts


def open_funnel(browser, url: str, width: int, height: int):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.goto(f"{url}/funnel?fseg=Country&fwin=0", timeout=30_000)
    _wait_for_title(tab, "Funnel by segment")
    _wait_for_idle(tab)
    tab.locator('[data-testid="stVegaLiteChart"] svg.marks').first.wait_for()
    return context, tab


def screenshot(tab, name: str, width: int) -> None:
    """The whole page at ``width``: Streamlit scrolls inside stMain, so grow the viewport."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = tab.evaluate(
        "() => Math.max(...['stMain', 'stMainBlockContainer']"
        ".map(t => document.querySelector(`[data-testid=${t}]`)?.scrollHeight ?? 0))"
    )
    tab.set_viewport_size({"width": width, "height": min(max(height, 900), 8000)})
    tab.wait_for_timeout(800)
    tab.screenshot(path=ARTIFACTS / name, full_page=True)


def test_the_funnel_page_opens_from_its_address_with_the_links_segments(browser, app_url) -> None:  # noqa: F811
    context, tab = open_funnel(browser, app_url, 1400, 1000)
    try:
        _assert_no_exception(tab)
        body = tab.locator("body").inner_text()
        for country in ("United States", "United Kingdom", "Germany", "India"):
            assert f"{country}: the biggest drop is" in body
        assert "All segments: the biggest drop is" in body
        chart = tab.locator('[data-testid="stVegaLiteChart"]').first.inner_text()
        assert "Share of stage-1 contacts" in chart or tab.locator("svg.marks").count() > 0
        # The table's accessible copy holds the raw values: customers per country.
        grid = tab.locator('[data-testid="stDataFrame"]').first
        grid.locator("table tr").nth(1).wait_for(state="attached")
        header = grid.locator("table tr").first.locator("th, td").all_inner_texts()
        reached = {}
        for row in grid.locator("table tr").all()[1:]:
            cells = dict(zip(header, row.locator("th, td").all_inner_texts(), strict=False))
            if cells.get("stage") == STAGES[1]:
                reached[cells["Country"]] = int(cells["reached"])
        # The grid renders the rows in view: the first countries' customer rows.
        expected = customers_by_country()
        assert {"Germany", "India"} <= set(reached)
        assert all(expected[country] == n for country, n in reached.items())
        assert "fseg=Country" in tab.url
        screenshot(tab, "funnel_1400.png", 1400)
    finally:
        context.close()


def test_the_funnel_page_reads_on_a_phone(browser, app_url) -> None:  # noqa: F811
    context, tab = open_funnel(browser, app_url, 390, 844)
    try:
        _assert_no_exception(tab)
        assert tab.get_by_text("the biggest drop is").count() >= 5
        box = tab.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()
        assert box is not None and box["width"] <= 390
        screenshot(tab, "funnel_390.png", 390)
    finally:
        context.close()


def test_a_deep_link_keeps_its_funnel_settings_in_the_address(browser, app_url) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        stage = quote("Became a Lead Date")
        customer = quote("Became a Customer Date")
        tab.goto(f"{app_url}/funnel?fseg=Country&fstage={stage}&fstage={customer}&fwin=30")
        _wait_for_title(tab, "Funnel by segment")
        _wait_for_idle(tab)
        _assert_no_exception(tab)
        assert "fwin=30" in tab.url and tab.url.count("fstage=") == 2
        assert "immature" in tab.locator("body").inner_text()
    finally:
        context.close()
