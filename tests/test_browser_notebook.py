"""The notebook in a real Chromium: pin views, write notes, share one link, open it fresh.

Uses the helpers and fixtures of ``test_browser.py`` (its server, its browser, its hand-counted
CRM export: Webinar 12/40, Ads 3/60, Referral 10/25, Trade show 5/25 → 30/150 = 20.0 %).
Screenshots go to ``tests/artifacts/`` at 1400 and 390 pixels wide.
"""

# ruff: noqa: F811 - the fixtures imported from test_browser are used as arguments

from __future__ import annotations

import pytest
from test_browser import (  # noqa: F401 - fixtures used by name
    CONTACTS,
    CUSTOMERS,
    TIMEOUT_MS,
    _assert_no_exception,
    _crm_export,
    _go_to,
    _open_and_upload,
    _open_cleanly,
    _screenshot_at,
    _serve,
    _wait_for_idle,
    _wait_for_title,
    app_url,
    browser,
)

pytestmark = pytest.mark.browser

HOSTILE = "<b>not bold</b> <script>window.hacked = 1</script> [click me](javascript:alert(1))"
NOTE = "Overall {rate} of {contacts} contacts; {best} leads."


def _pin(tab, key: str, number: int) -> None:
    """Click a page's "Add to notebook" and wait for the toast naming cell ``number``."""
    button = tab.locator(f".st-key-pin_{key}").get_by_role("button", name="Add to notebook")
    button.wait_for(timeout=TIMEOUT_MS)
    _wait_for_idle(tab)
    button.click()
    tab.get_by_text(f"to the notebook (cell {number}).").first.wait_for(timeout=TIMEOUT_MS)
    _wait_for_idle(tab)


def _write_note(tab, index: int, text: str) -> None:
    """Open the ``index``-th cell's editor, type the note and leave the field (which saves it)."""
    cell = tab.locator('[class*="st-key-nb_cell_"]').nth(index)
    cell.get_by_text("Edit title and note").click()
    area = cell.locator("textarea")
    area.fill(text)
    area.press("Control+Enter")
    _wait_for_idle(tab)


def _cells(tab):
    return tab.locator('[class*="st-key-nb_cell_"]')


def _cell_metric(cell, label: str) -> str:
    card = cell.locator('[data-testid="stMetric"]').filter(
        has=cell.page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    )
    return card.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _share_link(tab) -> str:
    tab.get_by_text("Share this notebook").click()
    code = tab.locator('[data-testid="stCode"] code').filter(has_text="notebook=")
    code.first.wait_for(timeout=TIMEOUT_MS)
    return code.first.inner_text().strip().replace("\n", "")


def _open_link(browser, url: str, width: int = 1400):
    context = browser.new_context(viewport={"width": width, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.goto(url, timeout=30_000)
    _wait_for_title(tab, "Notebook")
    _wait_for_idle(tab)
    # The cells are counted after the page's first paint: wait for their figures.
    tab.locator('[data-testid="stMetric"]').first.wait_for(timeout=TIMEOUT_MS)
    _wait_for_idle(tab)
    return context, tab


def _what_a_reader_sees(tab) -> list[tuple[str, str, str, str]]:
    """Per cell: its heading, overall rate, contacts and first note line."""
    seen = []
    for i in range(_cells(tab).count()):
        cell = _cells(tab).nth(i)
        heading = cell.locator("h3").first.inner_text().strip()
        labels = cell.locator('[data-testid="stMetricLabel"]').all_inner_texts()
        rate = _cell_metric(cell, "Overall rate") if "Overall rate" in labels else ""
        contacts = _cell_metric(cell, "Contacts") if rate else ""
        notes = cell.locator('[data-testid="stMarkdownContainer"] p').all_inner_texts()
        note = next((n for n in notes if "Overall" in n or "not bold" in n), "")
        seen.append((heading, rate, contacts, note))
    return seen


def _sees_in_time(
    tab, expected: list[tuple[str, str, str, str]]
) -> list[tuple[str, str, str, str]]:
    """What a reader sees once the cells have drawn their figures (or the timeout has passed).

    A fresh session paints the cells, then their cards: under load a read can fall between the
    two, so read again until the view matches or the time is up, and return the last read.
    """
    seen = _what_a_reader_sees(tab)
    for _ in range(TIMEOUT_MS // 500):
        if seen == expected:
            break
        tab.wait_for_timeout(500)
        seen = _what_a_reader_sees(tab)
    return seen


def test_a_notebook_built_on_a_sample_reopens_from_its_link_in_a_fresh_context(
    browser,
    app_url,
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        tab.goto(app_url, timeout=30_000)
        _wait_for_title(tab, "Conversion by segment")
        _wait_for_idle(tab)
        _pin(tab, "segments", 1)
        _go_to(tab, "Trends", "Trends by cohort")
        _pin(tab, "trend_rate", 2)
        _go_to(tab, "Notebook", "Notebook")
        expect(_cells(tab)).to_have_count(2)
        _write_note(tab, 0, NOTE)
        _assert_no_exception(tab)
        built = _what_a_reader_sees(tab)
        assert built[0][3].startswith(f"Overall {built[0][1]} of {built[0][2]} contacts; ")
        link = _share_link(tab)
        assert "/notebook?notebook=1." in link
        _screenshot_at(tab, "notebook_sample_1400.png", 1400)
    finally:
        context.close()

    colleague, other = _open_link(browser, link)
    try:
        _assert_no_exception(other)
        _screenshot_at(other, "notebook_sample_link_1400.png", 1400)
        assert _sees_in_time(other, built) == built
    finally:
        colleague.close()


@pytest.mark.parametrize("width", [1400, 390])
def test_an_uploads_notebook_link_carries_its_counts_and_shows_notes_literally(
    browser,
    app_url,
    tmp_path,
    width,
):
    from playwright.sync_api import expect

    context, tab = _open_and_upload(browser, app_url, _crm_export(tmp_path / "crm.csv"), 1400)
    try:
        _wait_for_title(tab, "Conversion by segment")
        _wait_for_idle(tab)
        _pin(tab, "segments", 1)
        _go_to(tab, "Compare", "Compare two segments")
        _pin(tab, "compare", 2)
        _go_to(tab, "Notebook", "Notebook")
        expect(_cells(tab)).to_have_count(2)
        _write_note(tab, 0, NOTE)
        _write_note(tab, 1, HOSTILE)
        built = _what_a_reader_sees(tab)
        assert built[0][1:] == (
            "20.0%",
            str(CONTACTS),
            f"Overall 20.0% of {CONTACTS} contacts; Referral (40.0%) leads.",
        )
        link = _share_link(tab)
    finally:
        context.close()

    colleague, other = _open_link(browser, link, width)
    try:
        _assert_no_exception(other)
        expect(other.get_by_text("Numbers from a shared snapshot of crm.csv")).to_be_visible()
        assert _sees_in_time(other, built) == built
        assert _cell_metric(_cells(other).nth(0), "Customers") == str(CUSTOMERS)
        # Compare picks the two largest segments: Ads 3/60 against Webinar 12/40.
        assert _cell_metric(_cells(other).nth(1), "Segment A") == "5.0%"
        assert _cell_metric(_cells(other).nth(1), "Segment B") == "30.0%"
        assert _cell_metric(_cells(other).nth(1), "Difference (A − B)") == "-25.0 pp"
        # The hostile note reads as typed: no bold, no script run, no javascript: link.
        expect(other.locator("p", has_text=HOSTILE)).to_have_text(HOSTILE)
        main = other.locator('[data-testid="stMain"]')
        assert main.locator("b").count() == 0
        assert other.locator('a[href^="javascript"]').count() == 0
        assert other.evaluate("() => window.hacked === undefined")
        _screenshot_at(other, f"notebook_snapshot_link_{width}.png", width)
    finally:
        colleague.close()


def test_the_notebook_address_opens_cleanly_as_a_fresh_servers_first_request(browser, tmp_path):
    with _serve(tmp_path) as url:
        _open_cleanly(browser, url + "/notebook", "Notebook")
